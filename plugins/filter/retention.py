#!/usr/bin/python3
# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Calendar retention (daily / weekly / monthly) for backup sets.

The same file is an Ansible filter plugin and a command the scheduled backup script runs on the
database host (python3 only, standard library), so that the schedule and the playbooks keep exactly
the same sets.

Rule, for D daily, W weekly and M monthly:
  - daily:   the newest set of each of the D newest UTC days that have a set;
  - weekly:  the newest set of each of the W newest ISO weeks that have a set;
  - monthly: the newest set of each of the M newest calendar months that have a set.
A set survives when any rule keeps it. The periods counted are the ones that HAVE a set, so a stopped
schedule never ages every set away. Extra sets taken on one day (before an upgrade, by hand) do not push
out other days: only the newest of that day counts as its daily set.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# No DOCUMENTATION here: ansible-doc would show it for every filter of this file.
# Each filter has its own sidecar, plugins/filter/<filter name>.yml.

import argparse
import datetime
import json
import os
import re
import sys

_STAMP = re.compile(r'^(\d{8})[T-](\d{6})')

def _utc(value):
    """A datetime (UTC) from epoch seconds, a datetime, or a name starting with YYYYmmddTHHMMSS(Z)."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    match = _STAMP.match(str(value))
    if not match:
        raise ValueError('not a backup time: %r (expected epoch seconds or YYYYmmddTHHMMSSZ...)' % (value,))
    return datetime.datetime.strptime(match.group(1) + match.group(2), '%Y%m%d%H%M%S').replace(
        tzinfo=datetime.timezone.utc)

def _normalise(sets):
    out = []
    for item in sets:
        if isinstance(item, dict):
            name, when = str(item['name']), _utc(item.get('time', item['name']))
        else:
            name, when = str(item), _utc(item)
        out.append((when, name))
    out.sort(reverse=True)
    return out

def _count(value, what):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError('%s must be a whole number, got %r' % (what, value))
    if number < 0:
        raise ValueError('%s must be 0 or more, got %r' % (what, value))
    return number

def calendar_keep(sets, daily=7, weekly=4, monthly=12):
    """Names of the sets that survive, newest first."""
    rules = (
        (_count(daily, 'daily'), lambda t: t.date()),
        (_count(weekly, 'weekly'), lambda t: tuple(t.isocalendar()[:2])),
        (_count(monthly, 'monthly'), lambda t: (t.year, t.month)),
    )
    ordered = _normalise(sets)
    keep = set()
    for limit, period in rules:
        seen = set()
        for when, name in ordered:  # newest first: the first set met in a period is its newest
            key = period(when)
            if key in seen:
                continue
            if len(seen) >= limit:
                break
            seen.add(key)
            keep.add(name)
    return [name for _, name in ordered if name in keep]

def calendar_drop(sets, daily=7, weekly=4, monthly=12):
    """Names of the sets that do not survive, newest first."""
    keep = set(calendar_keep(sets, daily, weekly, monthly))
    return [name for _, name in _normalise(sets) if name not in keep]

def pgbackrest_expire(info, daily=7, weekly=4, monthly=12):
    """Labels to expire per repository from `pgbackrest info --output=json`.

    Retention is applied to each repository's backups on their own (a set is counted by its stop time).
    A kept differential or incremental keeps the backups it depends on (its `prior` chain up to the full).
    Returns a list of {'repo': N, 'label': L}, differentials and incrementals before full backups, so that
    `pgbackrest expire --repo=N --set=L` can run in that order.
    """
    if isinstance(info, str):
        info = json.loads(info)
    out = []
    for stanza in info or []:
        by_repo = {}
        for backup in stanza.get('backup', []):
            repo = int(backup.get('database', {}).get('repo-key', 1))
            by_repo.setdefault(repo, []).append(backup)
        for repo in sorted(by_repo):
            backups = {b['label']: b for b in by_repo[repo]}
            sets = [{'name': label, 'time': int(b['timestamp']['stop'])} for label, b in backups.items()]
            keep = set(calendar_keep(sets, daily, weekly, monthly))
            for label in list(keep):
                prior = backups[label].get('prior')
                while prior and prior in backups and prior not in keep:
                    keep.add(prior)
                    prior = backups[prior].get('prior')
            drop = [label for label in backups if label not in keep]
            drop.sort(key=lambda label: (backups[label].get('type') == 'full', label), reverse=False)
            out.extend({'repo': repo, 'label': label} for label in drop)
    return out

class FilterModule(object):
    """Calendar retention filters."""

    def filters(self):
        return {
            'calendar_keep': calendar_keep,
            'calendar_drop': calendar_drop,
            'pgbackrest_expire': pgbackrest_expire,
        }

def main(argv=None):
    parser = argparse.ArgumentParser(description='Calendar retention for backup sets (selfhost.supabase).')
    parser.add_argument('--daily', type=int, default=7)
    parser.add_argument('--weekly', type=int, default=4)
    parser.add_argument('--monthly', type=int, default=12)
    sub = parser.add_subparsers(dest='command')
    names = sub.add_parser('drop', help='read set names (one a line) on stdin, print the ones to remove')
    names.add_argument('--pattern', default=r'^\d{8}T\d{6}Z', help='only names matching this count as sets')
    sub.add_parser('pgbackrest', help='read `pgbackrest info --output=json` on stdin, print "REPO LABEL" to expire')
    args = parser.parse_args(argv)
    if args.command == 'drop':
        pattern = re.compile(args.pattern)
        given = [line.strip() for line in sys.stdin if pattern.match(line.strip())]
        for name in calendar_drop(given, args.daily, args.weekly, args.monthly):
            print(os.path.basename(name))
    elif args.command == 'pgbackrest':
        for item in pgbackrest_expire(sys.stdin.read(), args.daily, args.weekly, args.monthly):
            print('%d %s' % (item['repo'], item['label']))
    else:
        parser.print_help()
        return 2
    return 0

if __name__ == '__main__':
    sys.exit(main())
