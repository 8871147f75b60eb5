# -*- coding: utf-8 -*-
# Copyright: selfhost.supabase maintainers
# Apache License 2.0
"""The packages of a list that the host's package facts do not show installed."""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.six import string_types

DOCUMENTATION = r"""
name: packages_to_install
short_description: The packages of a list that the package facts do not show installed
version_added: 1.3.0
description:
  - Given package names and the host's C(ansible_facts.packages) (from M(ansible.builtin.package_facts)),
    returns the names that are not installed, in their order. A role's package task runs only when this is
    not empty, so a re-run does not pay for an apt module call per role when everything is in place.
  - Conservative by design. A name is dropped only when it is a key of the facts with at least one installed
    version. A name that carries a version, a pattern or an architecture (C(nftables=1.0.6-2), C(nftables*),
    C(nftables:amd64)) is never such a key, so it is always returned and the package module decides. With no
    facts at all (C(None) or an empty dict, for example when the role runs without the host role that gathers
    them), every name is returned.
positional: packages
options:
  _input:
    description: Package names, a list or one name.
    type: raw
    required: true
  packages:
    description: The host's C(ansible_facts.packages), a dict of package name to installed versions.
    type: dict
    required: false
"""

EXAMPLES = r"""
- name: Install nftables
  ansible.builtin.apt:
    name: nftables
  when: "['nftables'] | selfhost.supabase.packages_to_install(ansible_facts.packages | default(none)) | length > 0"
"""

RETURN = r"""
_value:
  description: The names to give the package module, in the input's order, without duplicates.
  type: list
  elements: str
"""

def packages_to_install(names, packages=None):
    if names is None:
        return []
    if isinstance(names, string_types):
        names = [names]
    if not isinstance(names, (list, tuple)):
        raise AnsibleFilterError("packages_to_install: expected a list of package names, got %s" % type(names).__name__)
    if packages is not None and not isinstance(packages, dict):
        raise AnsibleFilterError("packages_to_install: the package facts must be a dict (ansible_facts.packages), got %s"
                                 % type(packages).__name__)
    installed = packages or {}
    missing = []
    for name in names:
        if not isinstance(name, string_types) or not name.strip():
            raise AnsibleFilterError("packages_to_install: %r is not a package name" % (name,))
        name = name.strip()
        # Package facts are keyed by bare package names: a pinned or patterned name never matches one.
        if not installed.get(name) and name not in missing:
            missing.append(name)
    return missing


class FilterModule:
    def filters(self):
        return {"packages_to_install": packages_to_install}
