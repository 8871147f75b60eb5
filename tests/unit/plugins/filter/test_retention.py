"""Calendar retention over synthetic dates: 14 months of nightly sets, exactly 7 daily / 4 weekly / 12 monthly survive."""
import datetime
import io
import json
import sys

import pytest

from ansible_collections.selfhost.supabase.plugins.filter import retention as R

END = datetime.date(2026, 11, 24)  # a Tuesday, ISO week 48


def nightly(days, hour=3, minute=15):
    """One set a night for `days` nights ending on END, named like the logical sets."""
    out = []
    for back in range(days):
        day = END - datetime.timedelta(days=back)
        out.append('%sT%02d%02d00Z-daily' % (day.strftime('%Y%m%d'), hour, minute))
    return out


def day(name):
    return name[:8]


def test_fourteen_months_keep_exactly_7_daily_4_weekly_12_monthly():
    sets = nightly(14 * 31)
    kept = R.calendar_keep(sets, daily=7, weekly=4, monthly=12)
    daily = ['20261124', '20261123', '20261122', '20261121', '20261120', '20261119', '20261118']
    # Newest set of ISO weeks 48, 47, 46, 45: Tuesday 24th (week 48 so far), then the Sundays.
    weekly = ['20261124', '20261122', '20261115', '20261108']
    # Newest set of each of the 12 newest months: this month's newest, then each month's last day.
    monthly = ['20261124', '20261031', '20260930', '20260831', '20260731', '20260630', '20260531', '20260430',
               '20260331', '20260228', '20260131', '20251231']
    assert [day(n) for n in kept] == sorted(set(daily + weekly + monthly), reverse=True)
    assert len(kept) == 20  # 7 + 4 + 12 with the overlaps (24th three times, 22nd twice) counted once
    dropped = R.calendar_drop(sets, 7, 4, 12)
    assert len(dropped) + len(kept) == len(sets)
    assert not set(dropped) & set(kept)


def test_each_rule_alone():
    sets = nightly(14 * 31)
    assert len(R.calendar_keep(sets, daily=7, weekly=0, monthly=0)) == 7
    weekly = R.calendar_keep(sets, daily=0, weekly=4, monthly=0)
    assert [day(n) for n in weekly] == ['20261124', '20261122', '20261115', '20261108']
    assert all(datetime.datetime.strptime(day(n), '%Y%m%d').isoweekday() == 7 for n in weekly[1:])
    monthly = R.calendar_keep(sets, daily=0, weekly=0, monthly=12)
    assert len(monthly) == 12 and day(monthly[-1]) == '20251231'


def test_extra_sets_on_one_day_do_not_push_out_other_days():
    sets = nightly(30)
    # Five extra runs today (e.g. before an upgrade).
    extra = ['20261124T%02d0000Z-daily' % h for h in (9, 10, 11, 12, 13)]
    kept = R.calendar_keep(sets + extra, daily=7, weekly=0, monthly=0)
    assert [day(n) for n in kept] == ['20261124', '20261123', '20261122', '20261121', '20261120', '20261119', '20261118']
    assert kept[0] == '20261124T130000Z-daily'  # the newest of the day is the daily one


def test_a_stopped_schedule_keeps_its_last_sets():
    """Periods count only when they hold a set: sets from long ago are not all aged away."""
    sets = ['20250101T031500Z-daily', '20250102T031500Z-daily']
    assert R.calendar_keep(sets, daily=7, weekly=4, monthly=12) == list(reversed(sets))


def test_dict_items_with_epoch_times():
    t = int(datetime.datetime(2026, 11, 24, 3, 15, tzinfo=datetime.timezone.utc).timestamp())
    sets = [{'name': 'a', 'time': t}, {'name': 'b', 'time': t - 86400}, {'name': 'c', 'time': t - 60}]
    assert R.calendar_keep(sets, daily=1, weekly=0, monthly=0) == ['a']
    assert R.calendar_drop(sets, daily=1, weekly=0, monthly=0) == ['c', 'b']


@pytest.mark.parametrize('bad', [-1, 'x', None])
def test_bad_counts_refused(bad):
    with pytest.raises(ValueError, match='daily'):
        R.calendar_keep(nightly(3), daily=bad)


def test_bad_time_refused():
    with pytest.raises(ValueError, match='not a backup time'):
        R.calendar_keep(['latest'])


def _backup(label, stop, kind, prior=None, repo=1):
    return {'label': label, 'type': kind, 'prior': prior, 'timestamp': {'start': stop - 60, 'stop': stop},
            'database': {'id': 1, 'repo-key': repo}}


def test_pgbackrest_expire_keeps_the_full_a_kept_diff_needs():
    base = int(datetime.datetime(2026, 11, 1, 3, 15, tzinfo=datetime.timezone.utc).timestamp())
    backups = []
    full = None
    for n in range(24):  # a full on every 8th night, diffs between
        stop = base + n * 86400
        label = 'L%02d' % n
        if n % 8 == 0:
            backups.append(_backup(label + 'F', stop, 'full'))
            full = label + 'F'
        else:
            backups.append(_backup(label + 'D', stop, 'diff', prior=full))
    info = [{'name': 'supabase', 'backup': backups + [dict(b, database={'id': 1, 'repo-key': 2}) for b in backups]}]
    drop = R.pgbackrest_expire(json.dumps(info), daily=3, weekly=0, monthly=0)
    per_repo = {}
    for item in drop:
        per_repo.setdefault(item['repo'], []).append(item['label'])
    assert set(per_repo) == {1, 2}
    kept = {b['label'] for b in backups} - set(per_repo[1])
    # The three newest nightly sets (L21D, L22D, L23D) and the full they are differentials of (L16F).
    assert kept == {'L21D', 'L22D', 'L23D', 'L16F'}
    # Differentials are expired before the fulls.
    kinds = [lbl[-1] for lbl in per_repo[1]]
    assert kinds == sorted(kinds)  # 'D' < 'F'
    assert per_repo[1] == per_repo[2]


def test_cli_drop(monkeypatch, capsys):
    monkeypatch.setattr(sys, 'stdin', io.StringIO('\n'.join(nightly(10) + ['latest', '.partial-x']) + '\n'))
    assert R.main(['--daily', '7', '--weekly', '0', '--monthly', '0', 'drop']) == 0
    out = capsys.readouterr().out.split()
    assert [day(n) for n in out] == ['20261117', '20261116', '20261115']


def test_cli_pgbackrest(monkeypatch, capsys):
    stop = int(datetime.datetime(2026, 11, 24, tzinfo=datetime.timezone.utc).timestamp())
    info = [{'name': 's', 'backup': [_backup('A', stop - 86400, 'full'), _backup('B', stop, 'full')]}]
    monkeypatch.setattr(sys, 'stdin', io.StringIO(json.dumps(info)))
    assert R.main(['--daily', '1', '--weekly', '0', '--monthly', '0', 'pgbackrest']) == 0
    assert capsys.readouterr().out == '1 A\n'


def test_filter_plugin_names():
    assert set(R.FilterModule().filters()) == {'calendar_keep', 'calendar_drop', 'pgbackrest_expire'}
