# -*- coding: utf-8 -*-
# Copyright: selfhost.supabase maintainers
# Apache License 2.0
"""GoTrue's GOTRUE_EXTERNAL_* environment from a list of OAuth providers."""

DOCUMENTATION = r"""
name: gotrue_provider_env
short_description: GoTrue's C(GOTRUE_EXTERNAL_<PROVIDER>_*) environment from a list of providers
version_added: 1.2.0
description:
  - For every known provider C(GOTRUE_EXTERNAL_<NAME>_ENABLED) (V(true) only when the list holds it and its
    C(enabled) is not false). For each provider in the list also C(_CLIENT_ID), C(_SECRET), C(_REDIRECT_URI)
    and, when given, C(_URL) (self-hosted GitLab, Azure tenants).
  - A provider the list names that is not known, or an entry without C(name), is an error naming it.
positional: known, redirect_uri
options:
  _input:
    description: The providers, as C(gotrue_external_providers) takes them (C(name), C(enabled), C(client_id), C(secret), C(url)).
    type: list
    elements: dict
    required: true
  known:
    description: Every provider name GoTrue is configured for (enabled or not).
    type: list
    elements: str
    required: true
  redirect_uri:
    description: The OAuth callback URL, C(<API_EXTERNAL_URL>/auth/v1/callback).
    type: str
    required: true
"""

EXAMPLES = r"""
__gotrue_provider_env: >-
  {{ gotrue_external_providers | selfhost.supabase.gotrue_provider_env(__gotrue_providers_known, __gotrue_redirect_uri) }}
"""

RETURN = r"""
_value:
  description: Environment variable names to string values.
  type: dict
"""

from ansible.errors import AnsibleFilterError


def _bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on", "y", "t")


def gotrue_provider_env(providers, known, redirect_uri):
    given = {}
    for entry in providers or []:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise AnsibleFilterError("gotrue_external_providers: every entry needs a name, got %r" % (entry,))
        if entry["name"] not in known:
            raise AnsibleFilterError("gotrue_external_providers: unknown provider %s (known: %s)"
                                     % (entry["name"], ", ".join(known)))
        given.setdefault(entry["name"], entry)
    env = {}
    for name in known:
        key = "GOTRUE_EXTERNAL_" + name.upper()
        p = given.get(name)
        env[key + "_ENABLED"] = "true" if p is not None and _bool(p.get("enabled", True)) else "false"
        if p is None:
            continue
        env[key + "_CLIENT_ID"] = str(p.get("client_id", "") or "")
        env[key + "_SECRET"] = str(p.get("secret", "") or "")
        env[key + "_REDIRECT_URI"] = redirect_uri
        if p.get("url") is not None:
            env[key + "_URL"] = str(p["url"])
    return env


class FilterModule:
    def filters(self):
        return {"gotrue_provider_env": gotrue_provider_env}
