# -*- coding: utf-8 -*-
# Copyright: selfhost.supabase maintainers
# Apache License 2.0
"""Filters that find a stack peer (Redis, MinIO, ...) from the inventory."""

DOCUMENTATION = r"""
name: peer_host
short_description: The address a host uses to reach a service of the data tier
version_added: 1.1.0
description:
  - Returns the service's Docker name when the caller runs on the host that runs the service (the
    first host of O(group)), or when the inventory has no such group (one host, or the role used alone).
  - Otherwise returns that host's C(supabase_private_address), else its C(ansible_host), else its
    inventory name, where the service publishes its port.
positional: groups, hostvars, inventory_hostname
options:
  _input:
    description: Docker name of the service on the stack network, for example V(supabase-redis).
    type: str
    required: true
  groups:
    description: The C(groups) magic variable.
    type: dict
    required: true
  hostvars:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
  inventory_hostname:
    description: The host asking.
    type: str
    required: true
  group:
    description: Inventory group whose first host runs the service.
    type: str
    default: db
"""

EXAMPLES = r"""
realtime_redis_host: "{{ 'supabase-redis' | selfhost.supabase.peer_host(groups, hostvars, inventory_hostname) }}"
"""

RETURN = r"""
_value:
  description: A Docker container name or the service host's private address.
  type: str
"""


def _lookup(hostvars, name, key):
    try:
        value = hostvars[name][key]
    except (KeyError, TypeError):
        return None
    return value or None


def peer_host(container, groups, hostvars, inventory_hostname, group='db'):
    """Docker name on the same host, the group host's private address otherwise."""
    members = list((groups or {}).get(group) or [])
    if not members or inventory_hostname in members:
        return container
    peer = members[0]
    for key in ('supabase_private_address', 'ansible_host'):
        value = _lookup(hostvars, peer, key)
        if value:
            return str(value)
    return str(peer)


class FilterModule(object):
    def filters(self):
        return {'peer_host': peer_host}
