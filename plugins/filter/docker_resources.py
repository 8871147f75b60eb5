# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Resource limits and reservations of one container, as community.docker.docker_container arguments."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: docker_resources
short_description: A container's resource limits and reservations as docker_container arguments
description:
  - Takes the resources a role was given (C(cpus), C(memory), C(memory_reservation), C(cpu_shares); unset or
    null keys mean no limit) and returns the arguments of M(community.docker.docker_container) for the keys
    that are set, checked and normalised.
  - Refuses unknown keys, a memory size Docker would not read (a number followed by an optional unit
    b, k, m or g), a non-positive CPU count, CPU shares below 2, and a memory reservation above the memory limit.
  - Docker has no CPU reservation outside swarm; C(cpu_shares) is a relative weight that only counts while
    CPUs are contended (1024 is the default weight of every container).
options:
  _input:
    description: Dict with any of C(cpus), C(memory), C(memory_reservation), C(cpu_shares); null values are dropped.
    type: dict
    required: true
  name:
    description: Name used in error messages, e.g. the role's input C(postgres_resources).
    type: str
    default: resources
'''

EXAMPLES = r'''
- name: The db limited to 4 CPUs and 8G, reserving 4G and twice the default CPU weight
  ansible.builtin.debug:
    msg: "{{ {'cpus': 4, 'memory': '8G', 'memory_reservation': '4G', 'cpu_shares': 2048} | selfhost.supabase.docker_resources }}"
'''

RETURN = r'''
_value:
  description: The docker_container arguments for the keys that were set (memory sizes lower-case, cpus a float).
  type: dict
'''

import re

from ansible.errors import AnsibleFilterError

KEYS = ('cpus', 'memory', 'memory_reservation', 'cpu_shares')
SIZE = re.compile(r'^([0-9]+(?:\.[0-9]+)?)([bkmg]?)$')
UNIT = {'': 1, 'b': 1, 'k': 1024, 'm': 1024 ** 2, 'g': 1024 ** 3}


def _bytes(value, where):
    text = str(value).strip().lower()
    match = SIZE.match(text)
    if not match:
        raise AnsibleFilterError('%s: %r is not a memory size (a number with an optional unit b, k, m or g, e.g. 8G)'
                                 % (where, value))
    number = float(match.group(1)) * UNIT[match.group(2)]
    if number <= 0:
        raise AnsibleFilterError('%s: %r must be more than 0' % (where, value))
    return text, number


def docker_resources(resources, name='resources'):
    if resources is None:
        return {}
    if not isinstance(resources, dict):
        raise AnsibleFilterError('%s must be a dict of %s, got %r' % (name, ', '.join(KEYS), resources))
    unknown = sorted(set(resources) - set(KEYS))
    if unknown:
        raise AnsibleFilterError('%s: unknown key(s) %s; known: %s' % (name, ', '.join(unknown), ', '.join(KEYS)))
    given = {k: v for k, v in resources.items() if v is not None and v != ''}
    out = {}
    if 'cpus' in given:
        try:
            cpus = float(given['cpus'])
        except (TypeError, ValueError):
            raise AnsibleFilterError('%s.cpus: %r is not a number of CPUs' % (name, given['cpus']))
        if isinstance(given['cpus'], bool) or cpus <= 0:
            raise AnsibleFilterError('%s.cpus: %r must be a number above 0' % (name, given['cpus']))
        out['cpus'] = cpus
    if 'cpu_shares' in given:
        shares = given['cpu_shares']
        if isinstance(shares, bool) or not str(shares).isdigit() or int(shares) < 2:
            raise AnsibleFilterError('%s.cpu_shares: %r must be an integer of at least 2 (1024 is the default weight)'
                                     % (name, shares))
        out['cpu_shares'] = int(shares)
    sizes = {}
    for key in ('memory', 'memory_reservation'):
        if key in given:
            out[key], sizes[key] = _bytes(given[key], '%s.%s' % (name, key))
    if len(sizes) == 2 and sizes['memory_reservation'] > sizes['memory']:
        raise AnsibleFilterError('%s: memory_reservation %s is above the memory limit %s'
                                 % (name, out['memory_reservation'], out['memory']))
    return out


class FilterModule(object):
    def filters(self):
        return {'docker_resources': docker_resources}
