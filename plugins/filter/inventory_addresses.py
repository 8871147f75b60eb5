# -*- coding: utf-8 -*-
# Copyright: selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filters for the host firewall: the inventory addresses of a set of groups."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: inventory_addresses
author: selfhost.supabase maintainers
version_added: 0.1.0
short_description: The private addresses of every host in some inventory groups, as CIDRs
description:
  - Returns, for every host in the given inventory groups, the address the other hosts reach it at, as a
    host CIDR (C(/32) for IPv4, C(/128) for IPv6), sorted and without duplicates.
  - The address of a host is, in this order, its C(supabase_private_address), else its C(ansible_host) when
    that is an IP address, else the C(default_ipv4) address from its gathered facts.
  - The first two come from the inventory, so a run with C(--limit) (where the other hosts have no facts)
    still returns every host of the groups.
  - A host with C(ansible_connection=local) and none of the three is skipped (it is this machine, and
    loopback is trusted anyway).
  - Any other host without an address, or a C(supabase_private_address) that is not an IP address, fails
    with a message naming the host and the variable to set.
positional: groups, hostvars
options:
  _input:
    description: Inventory group names. Groups that the inventory does not have contribute no hosts.
    type: list
    elements: str
    required: true
  groups:
    description: The C(groups) magic variable.
    type: dict
    required: true
  hostvars:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Addresses of the fleet
  ansible.builtin.debug:
    msg: "{{ ['db', 'app', 'edge'] | selfhost.supabase.inventory_addresses(groups, hostvars) }}"
  # e.g. ["10.0.0.10/32", "10.0.0.21/32", "10.0.0.22/32", "10.0.0.30/32"]
'''

RETURN = r'''
_value:
  description: Host CIDRs, IPv4 first, each sorted.
  type: list
  elements: str
'''

import ipaddress  # noqa: E402

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible.module_utils.common.text.converters import to_text  # noqa: E402

_LOCAL_CONNECTIONS = ('local', 'ansible.builtin.local')


def _ip(value):
    """An ipaddress object for value, or None when value is not a plain IP address."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return ipaddress.ip_address(to_text(value).strip())
    except ValueError:
        return None


def _get(mapping, key, default=None):
    try:
        value = mapping[key]
    except (KeyError, TypeError):
        return default
    # Undefined values of hostvars come back as Undefined objects in some versions.
    if value is None or type(value).__name__.endswith('Undefined'):
        return default
    return value


def host_address(name, host):
    """The address of one host (an ipaddress object), or None for a local host without one.

    Raises AnsibleFilterError when the host has no usable address.
    """
    private = _get(host, 'supabase_private_address')
    if private not in (None, ''):
        address = _ip(private)
        if address is None:
            raise AnsibleFilterError(
                'supabase_private_address of host %s must be an IP address, got %r' % (name, to_text(private)))
        return address
    address = _ip(_get(host, 'ansible_host'))
    if address is not None:
        return address
    facts = _get(host, 'ansible_facts') or {}
    address = _ip(_get(_get(facts, 'default_ipv4') or {}, 'address'))
    if address is not None:
        return address
    if to_text(_get(host, 'ansible_connection', '')) in _LOCAL_CONNECTIONS:
        return None
    raise AnsibleFilterError(
        'host %s has no address for the firewall: set supabase_private_address for it (the address the other '
        'hosts reach it at), or ansible_host to an IP address, or gather its facts' % name)


def inventory_addresses(group_names, groups, hostvars):
    """Host CIDRs of every host in group_names (see DOCUMENTATION)."""
    if isinstance(group_names, str) or not isinstance(group_names, (list, tuple)):
        raise AnsibleFilterError('inventory_addresses expects a list of group names, got %r' % (group_names,))
    names = []
    for group in group_names:
        if not isinstance(group, str):
            raise AnsibleFilterError('inventory_addresses: group names must be strings, got %r' % (group,))
        for name in _get(groups, group) or []:
            if name not in names:
                names.append(name)
    found = set()
    for name in names:
        address = host_address(name, hostvars[name])
        if address is not None:
            found.add(address)
    ordered = sorted((a for a in found if a.version == 4), key=int) + sorted((a for a in found if a.version == 6), key=int)
    return ['%s/%d' % (a, a.max_prefixlen) for a in ordered]


class FilterModule(object):
    """selfhost.supabase firewall filters."""

    def filters(self):
        return {'inventory_addresses': inventory_addresses}
