# -*- coding: utf-8 -*-
# Copyright: selfhost.supabase maintainers
# Apache License 2.0
"""The enabled OAuth providers of gotrue_external_providers that lack a client id or a secret."""

DOCUMENTATION = r"""
name: gotrue_incomplete_providers
short_description: The enabled GoTrue OAuth providers without a client id or a secret
version_added: 1.2.0
description:
  - The C(name) (V(?) when missing) of every entry of C(_input) whose C(enabled) is not false and whose C(client_id)
    or C(secret) is empty or missing; an entry that is not a mapping counts as one without either.
  - No client id or secret appears in the result.
options:
  _input:
    description: The providers, as C(gotrue_external_providers) takes them.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
__incomplete: "{{ gotrue_external_providers | selfhost.supabase.gotrue_incomplete_providers }}"
"""

RETURN = r"""
_value:
  description: Provider names, in the order of the list.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.selfhost.supabase.plugins.filter.gotrue_provider_env import _bool


def gotrue_incomplete_providers(providers):
    if providers is None:
        return []
    if not isinstance(providers, (list, tuple)):
        raise AnsibleFilterError("gotrue_external_providers must be a list, got %s" % type(providers).__name__)
    out = []
    for entry in providers:
        p = entry if isinstance(entry, dict) else {}
        if not _bool(p.get("enabled", True)):
            continue
        if len(str(p.get("client_id", ""))) == 0 or len(str(p.get("secret", ""))) == 0:
            out.append(p.get("name", "?"))
    return out


class FilterModule:
    def filters(self):
        return {"gotrue_incomplete_providers": gotrue_incomplete_providers}
