# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The relative paths of the files ansible.builtin.find found under one or more roots."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: tree_files
short_description: Paths of the files ansible.builtin.find found, relative to their roots
description:
  - Takes the registered result of M(ansible.builtin.find) (a single result, or the result of a loop over
    several roots) and returns the sorted list of every file's path relative to the root it was found under;
    a path found under two roots is listed once.
  - Companion of P(selfhost.supabase.tree_digest#filter).
options:
  _input:
    description: A find result (with C(files)), or a loop result (with C(results), each a find result).
    type: dict
    required: true
  roots:
    description: The roots searched, in the order of the loop (or one root).
    type: list
    elements: str
    required: true
'''

EXAMPLES = r'''
- name: Files that belong on the host
  ansible.builtin.debug:
    msg: "{{ found | selfhost.supabase.tree_files(dirs) }}"
'''

RETURN = r'''
_value:
  description: Relative paths, sorted.
  type: list
  elements: str
'''

from ansible_collections.selfhost.supabase.plugins.module_utils.find_tree import find_tree_entries


def tree_files(found, roots):
    """Sorted paths of every file, relative to the root it was found under (duplicates once)."""
    return sorted({rel for _, _, rel, _ in find_tree_entries(found, roots, 'tree_files')})


class FilterModule(object):
    def filters(self):
        return {'tree_files': tree_files}
