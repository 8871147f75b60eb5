# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The host role's input checks that are more than a test: sysctl entries and the firewall's port specs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Each filter is documented in plugins/filter/<name>.yml (a file-level DOCUMENTATION here would
# shadow them in ansible-doc).

import json
import numbers
import re

from ansible.errors import AnsibleFilterError

# A kernel key: a lower-case first component and at least one more, dot-separated.
SYSCTL_KEY = re.compile(r'^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$')


def _json(value):
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return json.dumps(str(value))


def host_sysctl_problems(sysctl):
    """``key = value`` (value as JSON) of every entry that is not a kernel key with a scalar value."""
    if not isinstance(sysctl, dict):
        raise AnsibleFilterError('host_sysctl_problems: expects a mapping of kernel keys to values, got %s'
                                 % type(sysctl).__name__)
    out = []
    for key, value in sysctl.items():
        if (not SYSCTL_KEY.match(str(key)) or isinstance(value, dict)
                or not isinstance(value, (str, numbers.Number))):
            out.append('%s = %s' % (key, _json(value)))
    return out


def host_firewall_port_items(group_ports, group_names, extra_ports):
    """Every firewall port spec this host gets, as {var, raw}: ``var`` names where the operator wrote it.

    ``group_ports``: group -> list of specs (only the host's ``group_names`` count), then ``extra_ports``.
    """
    if not isinstance(group_ports, dict):
        raise AnsibleFilterError('host_firewall_port_items: host_firewall_group_ports must be a mapping, got %s'
                                 % type(group_ports).__name__)
    if not isinstance(extra_ports, (list, tuple)):
        raise AnsibleFilterError('host_firewall_port_items: host_firewall_extra_ports must be a list, got %s'
                                 % type(extra_ports).__name__)
    groups = list(group_names or [])
    out = []
    for group, specs in group_ports.items():
        if group not in groups:
            continue
        if not isinstance(specs, (list, tuple)):
            raise AnsibleFilterError('host_firewall_port_items: host_firewall_group_ports.%s must be a list' % group)
        for spec in specs:
            out.append({'var': 'host_firewall_group_ports.%s' % group, 'raw': spec})
    for index, spec in enumerate(extra_ports):
        out.append({'var': 'host_firewall_extra_ports[%d]' % index, 'raw': spec})
    return out


class FilterModule(object):
    def filters(self):
        return {
            'host_sysctl_problems': host_sysctl_problems,
            'host_firewall_port_items': host_firewall_port_items,
        }
