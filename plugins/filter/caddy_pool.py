# -*- coding: utf-8 -*-
# Copyright: selfhost.supabase maintainers
# Apache License 2.0
"""Which Kong nodes a running Caddy balances, and the config that drains some of them."""

DOCUMENTATION = r"""
name: caddy_pool
short_description: Compare Caddy's running pool with its Caddyfile's, and build the config that drains nodes
version_added: 1.3.0
description:
  - Reads two Caddy JSON configs, the one Caddy runs (C(GET /config/) on its admin API) and the one its
    Caddyfile adapts to (C(caddy adapt)), and the upstream addresses to take out of the pool.
  - The pool is the set of C(dial) addresses of every C(reverse_proxy) handler, wherever it sits in the
    config (routes, subroutes, handle blocks).
  - The wanted config is the Caddyfile's with the drained addresses removed from every handler. Draining is
    refused when a handler would be left with no upstream (the only node of a pool cannot be drained) and
    when a drained address is in no handler of the Caddyfile (a name that matches nothing drains nothing).
  - Returns what to do. C(none) when Caddy already runs the wanted pool, C(restore) when the wanted pool is
    the Caddyfile's own (reload the Caddyfile), C(drain) with the config to load otherwise.
positional: adapted, drain
options:
  _input:
    description: The running config, a dict or its JSON text. Empty or null when Caddy runs no config.
    type: raw
    required: true
  adapted:
    description: The Caddyfile's config (the output of C(caddy adapt)), a dict or its JSON text.
    type: raw
    required: true
  drain:
    description: Upstream addresses (C(host:port), as the Caddyfile names them) to take out of the pool.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
__caddy_pool: >-
  {{ __running.stdout | selfhost.supabase.caddy_pool(__adapted.stdout, ['10.0.0.21:8000']) }}
"""

RETURN = r"""
_value:
  description: What to do to reach the wanted pool.
  type: dict
  contains:
    action:
      description: C(none), C(restore) or C(drain).
      type: str
    running:
      description: Sorted addresses in Caddy's running pool.
      type: list
      elements: str
    wanted:
      description: Sorted addresses the pool should hold.
      type: list
      elements: str
    drained:
      description: Sorted addresses taken out (empty unless draining).
      type: list
      elements: str
    config:
      description: The config to load when O(action) is C(drain), else null. It holds what the Caddyfile holds
        (the Studio password hash among it), so it must not be logged.
      type: dict
"""

import copy
import json

from ansible.errors import AnsibleFilterError


def _load(value, what):
    if value is None or value == "" or value == "null":
        return {}
    if isinstance(value, dict):
        return value
    try:
        loaded = json.loads(value)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError("caddy_pool: the %s config is not JSON: %s" % (what, exc.__class__.__name__))
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise AnsibleFilterError("caddy_pool: the %s config is not a JSON object" % what)
    return loaded


def _handlers(node):
    """Every reverse_proxy handler dict in a config, depth first."""
    if isinstance(node, dict):
        if node.get("handler") == "reverse_proxy":
            yield node
        for value in node.values():
            yield from _handlers(value)
    elif isinstance(node, list):
        for value in node:
            yield from _handlers(value)


def _dials(handler):
    return [u.get("dial") for u in handler.get("upstreams") or [] if isinstance(u, dict) and u.get("dial")]


def _pool(config):
    return sorted({dial for handler in _handlers(config) for dial in _dials(handler)})


def caddy_pool(running, adapted, drain=None):
    running = _load(running, "running")
    adapted = _load(adapted, "Caddyfile's")
    drain = sorted(set(drain or []))
    file_pool = _pool(adapted)
    if not file_pool:
        raise AnsibleFilterError("caddy_pool: the Caddyfile's config has no reverse_proxy upstream")
    unknown = [d for d in drain if d not in file_pool]
    if unknown:
        raise AnsibleFilterError(
            "caddy_pool: %s is not in the Caddyfile's pool (%s), so draining it would change nothing"
            % (", ".join(unknown), ", ".join(file_pool)))
    wanted_config = copy.deepcopy(adapted)
    for handler in _handlers(wanted_config):
        kept = [u for u in handler.get("upstreams") or [] if not (isinstance(u, dict) and u.get("dial") in drain)]
        if not kept:
            raise AnsibleFilterError(
                "caddy_pool: draining %s would leave a reverse_proxy with no upstream (its pool: %s); "
                "the only node of a pool cannot be taken out" % (", ".join(drain), ", ".join(_dials(handler))))
        handler["upstreams"] = kept
    wanted = _pool(wanted_config)
    current = _pool(running)
    # Compare handler by handler: the same set overall could still hide a handler left drained.
    same = [sorted(_dials(h)) for h in _handlers(running)] == [sorted(_dials(h)) for h in _handlers(wanted_config)]
    if same:
        action = "none"
    elif not drain:
        action = "restore"
    else:
        action = "drain"
    return {
        "action": action,
        "running": current,
        "wanted": wanted,
        "drained": drain,
        "config": wanted_config if action == "drain" else None,
    }


class FilterModule:
    def filters(self):
        return {"caddy_pool": caddy_pool}
