#!/usr/bin/python3
# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Backup status in node exporter's textfile format, from `pgbackrest info --output=json` and the logical sets.

Like retention.py, this file is an Ansible filter plugin and a command the backup script runs on the host.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# No DOCUMENTATION here: ansible-doc would show it for every filter of this file.
# Each filter has its own sidecar, plugins/filter/<filter name>.yml.

import argparse
import json
import os
import re
import sys
import time

_SET = re.compile(r'^\d{8}T\d{6}Z-(daily|weekly)$')

METRICS = (
    ('supabase_backup_last_run_success', 'Whether the last backup run succeeded (1) or failed (0).'),
    ('supabase_backup_last_run_timestamp_seconds', 'When the last backup run ended.'),
    ('supabase_backup_physical_last_success_timestamp_seconds',
     'Stop time of the newest pgBackRest backup, per repository and type (full, diff, incr).'),
    ('supabase_backup_physical_last_size_bytes',
     'Bytes the newest pgBackRest backup of that type added to its repository (after compression).'),
    ('supabase_backup_physical_backups', 'Number of pgBackRest backups in the repository.'),
    ('supabase_backup_wal_last_archived_timestamp_seconds', 'When the last WAL segment was archived.'),
    ('supabase_backup_logical_last_success_timestamp_seconds', 'Creation time of the newest logical set.'),
    ('supabase_backup_logical_last_size_bytes', 'Size of the newest logical set.'),
)

def _info(info):
    if isinstance(info, str):
        info = json.loads(info or '[]')
    return info or []

def pgbackrest_latest(info):
    """{(repo, type): backup} for the newest backup of each type in each repository."""
    out = {}
    for stanza in _info(info):
        for backup in stanza.get('backup', []):
            key = (int(backup.get('database', {}).get('repo-key', 1)), backup.get('type'))
            if key not in out or backup['timestamp']['stop'] > out[key]['timestamp']['stop']:
                out[key] = backup
    return out

def has_full(info):
    return any(kind == 'full' for _, kind in pgbackrest_latest(info))

def _value(value):
    return repr(float(value)) if isinstance(value, float) else str(int(value))

def backup_metrics(info, logical=None, last_archived=None, last_run_ok=True, now=None):
    samples = {name: [] for name, _ in METRICS}
    samples['supabase_backup_last_run_success'].append(('', 1 if last_run_ok else 0))
    samples['supabase_backup_last_run_timestamp_seconds'].append(('', int(time.time() if now is None else now)))
    counts = {}
    for stanza in _info(info):
        for backup in stanza.get('backup', []):
            repo = int(backup.get('database', {}).get('repo-key', 1))
            counts[repo] = counts.get(repo, 0) + 1
    for (repo, kind), backup in sorted(pgbackrest_latest(info).items()):
        labels = '{repo="%d",type="%s"}' % (repo, kind)
        samples['supabase_backup_physical_last_success_timestamp_seconds'].append((labels, backup['timestamp']['stop']))
        size = backup.get('info', {}).get('repository', {}).get('delta', 0)
        samples['supabase_backup_physical_last_size_bytes'].append((labels, size))
    for repo in sorted(counts):
        samples['supabase_backup_physical_backups'].append(('{repo="%d"}' % repo, counts[repo]))
    if last_archived not in (None, ''):
        samples['supabase_backup_wal_last_archived_timestamp_seconds'].append(('', int(last_archived)))
    if logical:
        samples['supabase_backup_logical_last_success_timestamp_seconds'].append(('', int(logical['time'])))
        samples['supabase_backup_logical_last_size_bytes'].append(('', int(logical['size'])))
    lines = []
    for name, help_text in METRICS:
        if not samples[name]:
            continue
        lines.append('# HELP %s %s' % (name, help_text))
        lines.append('# TYPE %s gauge' % name)
        lines.extend('%s%s %s' % (name, labels, _value(value)) for labels, value in samples[name])
    return '\n'.join(lines) + '\n'

def newest_logical(backup_dir):
    """time (mtime of the set's SHA256SUMS) and size of the newest complete logical set, or None."""
    try:
        names = sorted(n for n in os.listdir(backup_dir) if _SET.match(n))
    except OSError:
        return None
    for name in reversed(names):
        path = os.path.join(backup_dir, name)
        manifest = os.path.join(path, 'SHA256SUMS')
        if os.path.isfile(manifest):
            size = sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
            return {'time': int(os.path.getmtime(manifest)), 'size': size}
    return None

class FilterModule(object):
    """Backup status filters."""

    def filters(self):
        return {'backup_metrics': backup_metrics, 'pgbackrest_latest': pgbackrest_latest}

def main(argv=None):
    parser = argparse.ArgumentParser(description='Backup status (selfhost.supabase).')
    sub = parser.add_subparsers(dest='command')
    metrics = sub.add_parser('metrics', help='pgbackrest info JSON on stdin; Prometheus text on stdout')
    metrics.add_argument('--backup-dir', default='')
    metrics.add_argument('--last-archived', default='')
    metrics.add_argument('--last-run-ok', default='1')
    sub.add_parser('has-full', help='pgbackrest info JSON on stdin; exit 0 when there is a full backup')
    args = parser.parse_args(argv)
    if args.command == 'metrics':
        text = sys.stdin.read()
        try:
            info = _info(text)
        except ValueError:
            info = []
        logical = newest_logical(args.backup_dir) if args.backup_dir else None
        sys.stdout.write(backup_metrics(info, logical, args.last_archived.strip() or None, args.last_run_ok == '1'))
        return 0
    if args.command == 'has-full':
        return 0 if has_full(sys.stdin.read()) else 1
    parser.print_help()
    return 2

if __name__ == '__main__':
    sys.exit(main())
