"""Backup status metrics (node exporter textfile format) from pgbackrest info JSON and the logical sets."""
import io
import json
import os
import re
import sys

from ansible_collections.selfhost.supabase.plugins.filter import backup_status as S


def _backup(label, stop, kind, repo, delta):
    return {'label': label, 'type': kind, 'timestamp': {'start': stop - 30, 'stop': stop},
            'database': {'id': 1, 'repo-key': repo}, 'info': {'repository': {'delta': delta, 'size': delta}}}


INFO = [{'name': 'supabase', 'backup': [
    _backup('F1', 1000, 'full', 1, 3000), _backup('D1', 2000, 'diff', 1, 100), _backup('D2', 3000, 'diff', 1, 120),
    _backup('F1', 1010, 'full', 2, 2900)]}]


def test_newest_per_repo_and_type():
    latest = S.pgbackrest_latest(json.dumps(INFO))
    assert {k: v['label'] for k, v in latest.items()} == {(1, 'full'): 'F1', (1, 'diff'): 'D2', (2, 'full'): 'F1'}


def test_metrics_text():
    text = S.backup_metrics(INFO, logical={'time': 1500, 'size': 42}, last_archived=3100, last_run_ok=True, now=4000)
    assert 'supabase_backup_physical_last_success_timestamp_seconds{repo="1",type="diff"} 3000\n' in text
    assert 'supabase_backup_physical_last_size_bytes{repo="1",type="diff"} 120\n' in text
    assert 'supabase_backup_physical_last_size_bytes{repo="2",type="full"} 2900\n' in text
    assert 'supabase_backup_physical_backups{repo="1"} 3\n' in text
    assert 'supabase_backup_wal_last_archived_timestamp_seconds 3100\n' in text
    assert 'supabase_backup_logical_last_size_bytes 42\n' in text
    assert 'supabase_backup_last_run_success 1\n' in text and text.endswith('\n')
    # Every sample has its HELP and TYPE, once.
    names = set(re.findall(r'^([a-z_]+)[{ ]', text, re.M))
    for name in names:
        assert text.count('# TYPE %s gauge' % name) == 1 and text.count('# HELP %s ' % name) == 1


def test_failed_run_and_nothing_yet():
    text = S.backup_metrics('[]', last_run_ok=False, now=5)
    assert 'supabase_backup_last_run_success 0' in text
    assert 'physical' not in text and 'wal' not in text


def test_newest_logical_set(tmp_path):
    for name in ('20261101T031500Z-daily', '20261102T031500Z-daily', '.partial-x'):
        (tmp_path / name).mkdir()
    (tmp_path / '20261101T031500Z-daily' / 'SHA256SUMS').write_text('x')
    (tmp_path / '20261102T031500Z-daily' / 'a.dump').write_text('incomplete: no manifest')
    found = S.newest_logical(str(tmp_path))
    assert found['size'] == 1  # the newest COMPLETE set


def test_cli(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(sys, 'stdin', io.StringIO(json.dumps(INFO)))
    assert S.main(['has-full']) == 0
    monkeypatch.setattr(sys, 'stdin', io.StringIO('[]'))
    assert S.main(['has-full']) == 1
    monkeypatch.setattr(sys, 'stdin', io.StringIO('not json'))
    assert S.main(['metrics', '--backup-dir', str(tmp_path), '--last-run-ok', '0']) == 0
    assert 'supabase_backup_last_run_success 0' in capsys.readouterr().out
