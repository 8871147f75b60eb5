# -*- coding: utf-8 -*-
# Copyright: selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The database servers HAProxy balances over, from the inventory."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: haproxy_backends
author: selfhost.supabase maintainers
version_added: 1.3.0
short_description: The database servers of a PostgreSQL HA cluster, as HAProxy backends, from the inventory
description:
  - One C({name, address}) per host of the db group, in inventory order. C(address) is the host's
    C(supabase_private_address), where its PostgreSQL (5432) and Patroni REST API (8008) are published;
    C(name) is its inventory name, with any character HAProxy refuses in a server name replaced by C(_).
  - Fails, naming the host, when a host has no C(supabase_private_address), when it is a loopback address
    (inside the HAProxy container that is the container itself), or when two hosts share an address or a name.
  - A bracketed IPv6 address (C([fd00::10])) is given without its brackets.
positional: hostvars
options:
  _input:
    description: Inventory names of the database hosts, for example C(groups['db']).
    type: list
    elements: str
    required: true
  hostvars:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
'''

EXAMPLES = r'''
haproxy_backends: "{{ groups['db'] | default([]) | selfhost.supabase.haproxy_backends(hostvars) }}"
# [{"name": "db1", "address": "10.0.0.11"}, {"name": "db2", "address": "10.0.0.12"}, {"name": "db3", "address": "10.0.0.13"}]
'''

RETURN = r'''
_value:
  description: One dict per host, C(name) and C(address), in inventory order.
  type: list
  elements: dict
'''

import ipaddress  # noqa: E402
import re  # noqa: E402

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible.module_utils.common.text.converters import to_text  # noqa: E402

# Characters HAProxy accepts in a server name.
_NOT_IN_NAME = re.compile(r'[^A-Za-z0-9_.:-]')


def _private_address(hostvars, host):
    try:
        value = hostvars[host]['supabase_private_address']
    except (KeyError, TypeError):
        return ''
    if value is None or type(value).__name__.endswith('Undefined'):
        return ''
    return to_text(value).strip()


def _is_loopback(address):
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address.lower() == 'localhost'


def haproxy_backends(db_hosts, hostvars):
    """[{name, address}] of every db host (see DOCUMENTATION)."""
    if isinstance(db_hosts, str) or not isinstance(db_hosts, (list, tuple)):
        raise AnsibleFilterError('haproxy_backends expects a list of inventory names, got %r' % (db_hosts,))
    out, names, addresses = [], {}, {}
    for host in db_hosts:
        address = _private_address(hostvars, host)
        if address.startswith('[') and address.endswith(']'):
            address = address[1:-1]
        if not address:
            raise AnsibleFilterError(
                'db host %s has no supabase_private_address: HAProxy reaches its PostgreSQL and Patroni API there '
                '(set it, or give haproxy_backends)' % host)
        if _is_loopback(address):
            raise AnsibleFilterError(
                'supabase_private_address of db host %s is %s, a loopback address: inside the HAProxy container that '
                'is the container itself (set the address the app hosts reach it at, or give haproxy_backends)'
                % (host, address))
        name = _NOT_IN_NAME.sub('_', to_text(host))
        for seen, value, what in ((names, name, 'server name'), (addresses, address, 'address')):
            if value in seen:
                raise AnsibleFilterError('db hosts %s and %s have the same %s %s' % (seen[value], host, what, value))
            seen[value] = host
        out.append({'name': name, 'address': address})
    return out


class FilterModule(object):
    """selfhost.supabase HAProxy filters."""

    def filters(self):
        return {'haproxy_backends': haproxy_backends}
