# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""One digest of a file tree, from ansible.builtin.find results that carry checksums."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: tree_digest
short_description: One SHA-256 digest of file trees found by ansible.builtin.find
description:
  - Takes the registered result of M(ansible.builtin.find) run with C(get_checksum=true) (a single result, or
    the result of a loop over several roots) and returns one SHA-256 hex digest over every file's path relative
    to the root it was found under and its checksum, in a stable order.
  - Its companion P(selfhost.supabase.tree_files#filter) lists the relative paths.
  - The digest changes when a file is added, removed, renamed or changed, and does not depend on the order
    find listed the files in or on where the tree lies (only the paths below each root count).
options:
  _input:
    description: A find result (with C(files)), or a loop result (with C(results), each a find result).
    type: dict
    required: true
  roots:
    description: The roots searched, in the order of the loop (or one root). Paths are made relative to them.
    type: list
    elements: str
    required: true
'''

EXAMPLES = r'''
- name: Hash the function tree
  ansible.builtin.find:
    paths: "{{ item }}"
    recurse: true
    hidden: true
    get_checksum: true
    checksum_algorithm: sha256
  loop: "{{ dirs }}"
  register: found
- name: Show its digest
  ansible.builtin.debug:
    msg: "{{ found | selfhost.supabase.tree_digest(dirs) }}"
'''

RETURN = r'''
_value:
  description: SHA-256 hex digest of the trees.
  type: str
'''

import hashlib

from ansible.errors import AnsibleFilterError
from ansible_collections.selfhost.supabase.plugins.module_utils.find_tree import find_tree_entries


def tree_digest(found, roots):
    entries = {}
    for index, base, rel, item in find_tree_entries(found, roots, 'tree_digest'):
        if 'checksum' not in item:
            raise AnsibleFilterError('tree_digest: %s has no checksum (run find with get_checksum: true)' % item.get('path'))
        if rel.startswith('../'):
            raise AnsibleFilterError('tree_digest: %s is not under %s' % (item['path'], base))
        entries.setdefault(index, []).append('%s\0%s\n' % (rel, item['checksum']))
    digest = hashlib.sha256()
    for index in range(len([roots] if isinstance(roots, str) else roots)):
        digest.update(('root %d\n' % index).encode())
        for line in sorted(entries.get(index, [])):
            digest.update(line.encode('utf-8', 'surrogateescape'))
    return digest.hexdigest()


class FilterModule(object):
    def filters(self):
        return {'tree_digest': tree_digest}
