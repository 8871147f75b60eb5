# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The postgres role's server command line and its integer setting checks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Each filter is documented in plugins/filter/<name>.yml (a file-level DOCUMENTATION here would
# shadow them in ansible-doc).

import re

from ansible.errors import AnsibleFilterError

_INT = re.compile(r'^[0-9]+$')


def postgres_command(settings, program='postgres'):
    """The container command: ``program`` then ``-c name=value`` per setting, in the mapping's order."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError('postgres_command: expects a mapping of setting names to values, got %s'
                                 % type(settings).__name__)
    out = [str(program)]
    for name, value in settings.items():
        out.extend(['-c', '%s=%s' % (name, value)])
    return out


def postgres_integer_problems(values, minimum=0, maximum=262143):
    """``name=value must be an integer from minimum to maximum`` for each value (name -> value) that is not."""
    if not isinstance(values, dict):
        raise AnsibleFilterError('postgres_integer_problems: expects a mapping of variable names to values, got %s'
                                 % type(values).__name__)
    out = []
    for name, value in values.items():
        text = str(value)
        if not _INT.match(text) or not int(minimum) <= int(text) <= int(maximum):
            out.append('%s=%s must be an integer from %d to %d' % (name, text, int(minimum), int(maximum)))
    return out


def _same(wanted, current):
    """Patroni returns numbers and booleans as JSON; the inputs may arrive as their strings."""
    if isinstance(wanted, bool) or isinstance(current, bool):
        return str(wanted).lower() == str(current).lower()
    return str(wanted) == str(current)


def patroni_config_changes(wanted, current):
    """The part of ``wanted`` (Patroni's cluster-wide settings) that ``current`` (GET /config) lacks or holds
    another value for, nested mappings compared key by key; {} when nothing differs. Keys only ``current``
    has are left alone (an operator's own settings made with patronictl edit-config). A wanted value of None asks
    for the key to be absent: it is kept (PATCH /config removes a key sent as null) only when ``current`` holds the
    key with a value."""
    if not isinstance(wanted, dict):
        raise AnsibleFilterError('patroni_config_changes: expects a mapping of the wanted settings, got %s'
                                 % type(wanted).__name__)
    if current is None:
        current = {}
    if not isinstance(current, dict):
        raise AnsibleFilterError('patroni_config_changes: expects the current settings as a mapping, got %s'
                                 % type(current).__name__)
    out = {}
    for key, value in wanted.items():
        have = current.get(key)
        if value is None:
            if have is not None:
                out[key] = None
        elif isinstance(value, dict):
            nested = patroni_config_changes(value, have if isinstance(have, dict) else {})
            if nested:
                out[key] = nested
        elif key not in current or not _same(value, have):
            out[key] = value
    return out


class FilterModule(object):
    def filters(self):
        return {
            'postgres_command': postgres_command,
            'postgres_integer_problems': postgres_integer_problems,
            'patroni_config_changes': patroni_config_changes,
        }
