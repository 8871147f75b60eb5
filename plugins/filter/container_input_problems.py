# -*- coding: utf-8 -*-
# Copyright: selfhost.supabase maintainers
# Apache License 2.0
"""The container role's input checks, as one list of problems (one assert task instead of five)."""

DOCUMENTATION = r"""
name: container_input_problems
short_description: What is wrong with one container description of the internal container role
version_added: 1.3.0
description:
  - Checks the name, image, environment, published ports and description (component, tier, probe) of one
    container as the internal C(container) role takes them, and returns one message per problem.
  - An empty list means the description is sound. No value of C(env) is ever put in a message, only its keys.
options:
  _input:
    description: The container's name (C(container_name)).
    type: str
    required: true
  image:
    description: C(container_image).
    type: str
    required: true
  env:
    description: C(container_env); every value must be a string.
    type: dict
    default: {}
  ports:
    description: C(container_published_ports), as the role takes them.
    type: list
    elements: dict
    default: []
  allow_public:
    description: C(container_allow_public_ports); publishing on V(0.0.0.0) or V(::) needs it.
    type: bool
    default: false
  component:
    description: C(container_component).
    type: str
    default: ''
  tier:
    description: C(container_tier).
    type: str
    default: ''
  probe:
    description: C(container_probe).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Check the inputs of the container
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join('; ') }}"
  vars:
    __problems: >-
      {{ container_name | selfhost.supabase.container_input_problems(container_image, container_env,
         container_published_ports, container_allow_public_ports, container_component, container_tier,
         container_probe) }}
"""

RETURN = r"""
_value:
  description: One message per problem, naming the container input concerned; empty when all is well.
  type: list
  elements: str
"""

import re

from ansible.module_utils.six import string_types

NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
COMPONENT = re.compile(r"^[a-z][a-z0-9-]*$")
SECRET_NAME = re.compile(r"^supabase_[a-z0-9_]+$")
TIERS = ("", "data", "services", "gateway", "edge", "monitor")
PROBE_TYPES = ("http", "tcp", "postgres", "redis")
PUBLIC = ("0.0.0.0", "::", "[::]")


def _port_number(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= 65535 else None


def _port_problems(name, ports, allow_public):
    problems = []
    for port in ports or []:
        if not isinstance(port, dict):
            problems.append("container_published_ports of %s: %r is not a mapping" % (name, port))
            continue
        host_ip = str(port.get("host_ip") or "")
        label = "%s:%s" % (host_ip or "?", port.get("host_port", port.get("container_port", "?")))
        reasons = []
        if _port_number(port.get("container_port")) is None:
            reasons.append("container_port must be 1-65535")
        if _port_number(port.get("host_port", port.get("container_port"))) is None:
            reasons.append("host_port must be 1-65535")
        if (port.get("protocol") or "tcp") not in ("tcp", "udp"):
            reasons.append("protocol must be tcp or udp")
        if not host_ip:
            reasons.append("an explicit host_ip is needed")
        elif host_ip in PUBLIC and not allow_public:
            reasons.append("publishing on %s needs container_allow_public_ports (the role's "
                           "*_allow_public_ports variable) set to true" % host_ip)
        if reasons:
            problems.append("container_published_ports of %s: %s is not allowed (%s)"
                            % (name, label, "; ".join(reasons)))
    return problems


def _probe_problems(name, probe):
    if not probe:
        return []
    if not isinstance(probe, dict):
        return ["container_probe of %s must be a mapping" % name]
    problems = []
    if probe.get("type", "") not in PROBE_TYPES:
        problems.append("container_probe of %s: type must be one of %s" % (name, ", ".join(PROBE_TYPES)))
    if _port_number(probe.get("port", 0)) is None:
        problems.append("container_probe of %s: port must be 1-65535" % name)
    if not str(probe.get("path", "/")).startswith("/"):
        problems.append("container_probe of %s: path must start with /" % name)
    secret = probe.get("secret") or ""
    if secret and not (isinstance(secret, string_types) and SECRET_NAME.match(secret)):
        problems.append("container_probe of %s: secret is the NAME of a stack-wide variable (supabase_...), "
                        "never a value" % name)
    return problems


def container_input_problems(name, image, env=None, ports=None, allow_public=False, component="", tier="",
                             probe=None):
    name = "" if name is None else str(name)
    problems = []
    if not NAME.match(name):
        problems.append("container_name must be a valid Docker name (got %r)" % name)
    if not image:
        problems.append("container_image of %s must be set" % (name or "the container"))
    non_strings = sorted(k for k, v in (env or {}).items() if not isinstance(v, string_types))
    if non_strings:
        problems.append("container_env of %s: the values of %s are not strings; write booleans and numbers "
                        "as quoted strings" % (name, ", ".join(str(k) for k in non_strings)))
    problems.extend(_port_problems(name, ports, bool(allow_public)))
    if component and not COMPONENT.match(str(component)):
        problems.append("container_component of %s (%s) is lower-case letters, digits and dashes"
                        % (name, component))
    if (tier or "") not in TIERS:
        problems.append("container_tier of %s (%s) is one of %s" % (name, tier, ", ".join(t for t in TIERS if t)))
    problems.extend(_probe_problems(name, probe))
    return problems


class FilterModule:
    def filters(self):
        return {"container_input_problems": container_input_problems}
