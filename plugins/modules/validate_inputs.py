#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

# The work is done by the action plugin plugins/action/validate_inputs.py, on the controller.
# This file holds the documentation.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: validate_inputs
short_description: Check a role's inputs (its argument spec and its own checks) in one task, reporting every problem
version_added: 0.1.0
description:
  - Refuses the variables the operator set that are old, renamed inputs of the role (the map is C(RENAMED_VARIABLES)
    in C(plugins/filter/validation.py)), naming the old and the new variable; the role would ignore them.
  - Validates the variables the operator set (inventory, extra vars) against the C(main) entry point of
    O(role_path)C(/meta/argument_specs.yml), like M(ansible.builtin.validate_argument_spec), and the
    required options.
  - Then evaluates each of O(checks) like M(ansible.builtin.assert) would, with the task's variables
    (the role's defaults and vars when it runs inside the role), and collects the message of every failing
    check.
  - Fails once, at the end, with every problem (the spec errors first), so an operator sees all their
    mistakes in one run. Each message names the operator's variable.
  - One task instead of one per check keeps the validation phase of C(playbooks/preflight.yml) to a few
    seconds. Runs on the controller only and never contacts the host.
author:
  - selfhost.supabase maintainers (@selfhost)
attributes:
  check_mode:
    support: full
    description: Read-only; runs in check mode as well.
  diff_mode:
    support: none
    description: There is no state to diff.
  action:
    support: full
    description: Runs as an action plugin on the controller; no module is sent to the host.
options:
  role_path:
    description:
      - The role whose C(meta/argument_specs.yml) the operator's variables are validated against, usually
        C({{ role_path }}). Only options the operator set (present in C(hostvars[inventory_hostname])) and
        required ones are validated; the role's defaults are its own.
      - Empty (the default) validates no spec, only O(checks).
    type: path
    default: ""
  entry_point:
    description: The entry point of the spec to validate against.
    type: str
    default: main
  checks:
    description:
      - The checks, evaluated in order. They are not templated up front; each is evaluated only when its
        O(checks[].when) holds, and its message only when it fails.
    type: list
    elements: dict
    default: []
    suboptions:
      that:
        description: A conditional expression, or a list of them that must all hold (as in M(ansible.builtin.assert)).
        type: raw
        required: true
      msg:
        description:
          - The problem reported when the check fails; a template, rendered only then. Name the operator's
            variable and the rule it broke. Never put a secret's value in it.
        type: str
      when:
        description: A conditional expression, or a list of them; the check is skipped unless they all hold.
        type: raw
      loop:
        description:
          - A list (or a template giving one); the check is evaluated once per element, with the element
            in O(checks[].loop_var), and reports one problem per failing element.
        type: raw
      loop_var:
        description: The name of the loop element.
        type: str
        default: item
      vars:
        description:
          - Variables of this check, rendered once per evaluation (per loop element), in order; a variable
            may use the ones before it and the loop element.
        type: dict
      secret:
        description:
          - The check involves a secret. When its expression itself fails to evaluate, the error text
            (which may quote a value) is left out of the problem.
        type: bool
        default: false
  fail:
    description: Fail when a check fails. With V(false), the problems are returned in RV(problems) only.
    type: bool
    default: true
notes:
  - The messages of failing checks are the only values shown; write them without secrets (use O(checks[].secret)).
seealso:
  - module: ansible.builtin.validate_argument_spec
  - module: ansible.builtin.assert
'''

EXAMPLES = r'''
- name: Check the inputs (argument spec and the role's checks)
  selfhost.supabase.validate_inputs:
    role_path: "{{ role_path }}"
    checks:
      - that: minio_bucket is match('^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')
        msg: minio_bucket={{ minio_bucket }} must be a valid S3 bucket name
      - that: __problems | length == 0
        msg: "{{ __problems | join('; ') }} (values not shown)"
        secret: true
        vars:
          __problems: "{{ minio_root_password | selfhost.supabase.supabase_secret_problems('supabase_minio_root_password', 'minio_root_password') }}"
      - that: item.key is match('^[a-z_.]+$')
        msg: "host_sysctl: {{ item.key }} is not a kernel key"
        loop: "{{ host_sysctl | dict2items }}"
'''

RETURN = r'''
problems:
  description: Every problem found, the argument spec's first; empty when the inputs are fine.
  returned: always
  type: list
  elements: str
  sample: ["minio_bucket=Bad_Bucket must be a valid S3 bucket name"]
checked:
  description: How many checks were given.
  returned: always
  type: int
  sample: 7
msg:
  description: The role's name, the number of problems and every problem, one line.
  returned: always
  type: str
  sample: "minio: 1 bad input(s): minio_bucket=Bad_Bucket must be a valid S3 bucket name"
'''

if __name__ == '__main__':
    raise SystemExit('validate_inputs runs as an action plugin on the controller (plugins/action/validate_inputs.py)')
