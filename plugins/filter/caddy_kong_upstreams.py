# -*- coding: utf-8 -*-
# Copyright: selfhost.supabase maintainers
# Apache License 2.0
"""The Kong nodes Caddy balances, from the inventory."""

DOCUMENTATION = r"""
name: caddy_kong_upstreams
short_description: The Kong nodes an edge host's Caddy balances, from the inventory
version_added: 1.2.0
description:
  - One C(host:port) per host of the Kong group. The edge host's own Kong is reached by its container name
    on the stack network; every other node by its C(supabase_private_address), else C(ansible_host), else
    its inventory name (IPv6 addresses in brackets), on its C(kong_http_port) or O(port).
  - With no host in the group (the role used alone), the local container.
positional: inventory_hostname, hostvars, container, port
options:
  _input:
    description: Inventory names of the Kong hosts, for example C(groups['app']).
    type: list
    elements: str
    required: true
  inventory_hostname:
    description: The edge host asking.
    type: str
    required: true
  hostvars:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
  container:
    description: Kong's container name on the stack network.
    type: str
    required: true
  port:
    description: Kong's proxy port when a host does not set C(kong_http_port).
    type: int
    required: true
"""

EXAMPLES = r"""
__caddy_derived_upstreams: >-
  {{ groups['app'] | default([]) | selfhost.supabase.caddy_kong_upstreams(inventory_hostname, hostvars,
     'supabase-kong', 8000) }}
"""

RETURN = r"""
_value:
  description: C(host:port) strings, in inventory order.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError


def _get(hostvars, host, key):
    try:
        return hostvars[host].get(key)
    except (KeyError, AttributeError, TypeError):
        return None


def caddy_kong_upstreams(kong_hosts, inventory_hostname, hostvars, container, port):
    if not container:
        raise AnsibleFilterError("caddy_kong_upstreams: the Kong container name is empty")
    out = []
    for host in kong_hosts or []:
        if host == inventory_hostname:
            out.append("%s:%s" % (container, port))
            continue
        address = str(_get(hostvars, host, "supabase_private_address") or _get(hostvars, host, "ansible_host") or host)
        if ":" in address:
            address = "[%s]" % address
        out.append("%s:%s" % (address, _get(hostvars, host, "kong_http_port") or port))
    return out or ["%s:%s" % (container, port)]


class FilterModule:
    def filters(self):
        return {"caddy_kong_upstreams": caddy_kong_upstreams}
