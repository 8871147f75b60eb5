# -*- coding: utf-8 -*-
# Copyright: selfhost.supabase maintainers
# Apache License 2.0
"""The registered result of ansible.builtin.find over one or more roots, walked file by file (shared by the
tree_digest and tree_files filters)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath

from ansible.errors import AnsibleFilterError


def find_tree_entries(found, roots, name):
    """Yield (root index, base, path relative to base, find item) for every file found under each root.

    found: a find result, or a loop result whose `results` are find results, in the order of roots.
    name: the calling filter's name, for the error messages.
    """
    if isinstance(roots, str):
        roots = [roots]
    results = found['results'] if 'results' in found else [found]
    if len(results) != len(roots):
        raise AnsibleFilterError('%s: %d find results for %d roots' % (name, len(results), len(roots)))
    for index, (result, root) in enumerate(zip(results, roots)):
        if 'files' not in result:
            raise AnsibleFilterError('%s: a find result has no "files" (was find skipped?)' % name)
        base = posixpath.normpath(str(root))
        for item in result['files']:
            yield index, base, posixpath.relpath(item['path'], base), item
