"""The prometheus role and a database cluster (postgres_ha): the patroni scrape job and its alert rules.

The job: Patroni's /metrics on every db host of a cluster (postgres_patroni_port, default 8008), none
without postgres_ha. The rules (PatroniNoLeader, PatroniReplicationLag) are rendered from the role's
template and, where promtool is found (PATH or $PROMTOOL; Debian's package `prometheus` ships it), checked
with `promtool check rules` and run with `promtool test rules` on series shaped as Patroni 3.0 exports
them (labels: scope; the job adds job, instance, host).
"""
import os
import shutil
import subprocess

import pytest
import yaml

from rendering import render_template, render_var

DB = ['db1', 'db2', 'db3']
GROUPS = {'all': ['localhost', 'mon1'] + DB + ['app1'], 'db': DB, 'app': ['app1'], 'edge': [], 'monitor': ['mon1']}
PROMTOOL = os.environ.get('PROMTOOL') or shutil.which('promtool')


def _hostvars(ha=True, **per_host):
    out = {}
    for i, host in enumerate(GROUPS['all']):
        hv = {'supabase_private_address': '10.0.0.%d' % (10 + i)}
        if host in DB and ha is not None:
            hv['postgres_ha'] = ha
        hv.update(per_host.get(host) or {})
        out[host] = hv
    return out


def _jobs(hostvars):
    return dict((j['job_name'], j) for j in render_var('prometheus', '__prometheus_scrape_jobs',
                                                         groups=GROUPS, hostvars=hostvars))


def test_patroni_job_on_every_db_host_of_a_cluster():
    job = _jobs(_hostvars(db2={'postgres_patroni_port': 8018}))['patroni']
    assert job['metrics_path'] == '/metrics'
    assert [(s['targets'], s['labels']) for s in job['static_configs']] == [
        (['10.0.0.12:8008'], {'host': 'db1'}), (['10.0.0.13:8018'], {'host': 'db2'}), (['10.0.0.14:8008'], {'host': 'db3'})]


@pytest.mark.parametrize('ha', [False, None, 'false'])
def test_no_patroni_job_without_a_cluster(ha):
    jobs = _jobs(_hostvars(ha=ha))
    assert 'patroni' not in jobs and 'postgres' in jobs


def _rules(**overrides):
    text = render_template('prometheus', 'supabase.rules.yml.j2', ansible_managed='managed', **overrides)
    return text, dict((r['alert'], r) for g in yaml.safe_load(text)['groups'] for r in g['rules'])


def test_cluster_rules_use_patronis_metric_names_and_the_inputs():
    _text, rules = _rules()
    no_leader, lag = rules['PatroniNoLeader'], rules['PatroniReplicationLag']
    for name in ('patroni_primary', 'patroni_master', 'patroni_cluster_unlocked'):
        assert name in no_leader['expr']
    for name in ('patroni_xlog_location', 'patroni_xlog_replayed_location', 'patroni_replica == 1'):
        assert name in lag['expr']
    assert lag['expr'].rstrip().endswith('> 16777216')
    assert no_leader['for'] == '2m' and lag['for'] == '10m'
    assert 'prometheus_alert_patroni_lag_bytes' in lag['annotations']['runbook']
    _text, rules = _rules(prometheus_alert_patroni_lag_bytes=1048576, prometheus_alert_down_for='30s')
    assert rules['PatroniReplicationLag']['expr'].rstrip().endswith('> 1048576')
    assert rules['PatroniNoLeader']['for'] == '30s'


def _series(name, host, values):
    return {'series': '%s{scope="supabase",job="patroni",instance="10.0.0.%d:8008",host="%s"}'
                      % (name, 11 + DB.index(host), host), 'values': values}


def _promtool_test(tmp_path, rules_text, tests):
    (tmp_path / 'supabase.rules.yml').write_text(rules_text)
    (tmp_path / 'test.yml').write_text(yaml.safe_dump({'rule_files': ['supabase.rules.yml'],
                                                       'evaluation_interval': '30s', 'tests': tests}))
    check = subprocess.run([PROMTOOL, 'check', 'rules', str(tmp_path / 'supabase.rules.yml')],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    run = subprocess.run([PROMTOOL, 'test', 'rules', str(tmp_path / 'test.yml')], capture_output=True, text=True,
                         check=False, cwd=str(tmp_path))
    return run.returncode, run.stdout + run.stderr


@pytest.mark.skipif(not PROMTOOL, reason='promtool not found (Debian package prometheus; or set PROMTOOL)')
def test_promtool_no_leader_and_lag_alerts(tmp_path):
    text, rules = _rules()
    runbook = dict((name, rules[name]['annotations']['runbook']) for name in ('PatroniNoLeader', 'PatroniReplicationLag'))
    mib = 1024 * 1024
    # 30 s samples. db1 leads for 5 minutes, then no member leads (the lock is gone): PatroniNoLeader, after 2m.
    no_leader = {
        'interval': '30s',
        'input_series': [
            _series('patroni_primary', 'db1', '1x10 0x40'), _series('patroni_primary', 'db2', '0x50'),
            _series('patroni_primary', 'db3', '0x50'), _series('patroni_master', 'db1', '1x10 0x40'),
            _series('patroni_cluster_unlocked', 'db2', '0x10 1x40'), _series('patroni_cluster_unlocked', 'db3', '0x50'),
        ],
        'alert_rule_test': [
            {'eval_time': '4m', 'alertname': 'PatroniNoLeader', 'exp_alerts': []},
            {'eval_time': '6m', 'alertname': 'PatroniNoLeader', 'exp_alerts': []},  # not yet 2m
            {'eval_time': '10m', 'alertname': 'PatroniNoLeader', 'exp_alerts': [{
                'exp_labels': {'severity': 'critical', 'scope': 'supabase'},
                'exp_annotations': {'summary': 'The database cluster supabase has no leader: writes fail',
                                    'runbook': runbook['PatroniNoLeader']}}]},
            {'eval_time': '10m', 'alertname': 'PatroniReplicationLag', 'exp_alerts': []},
        ],
    }
    # db1 leads at 120 MB of WAL; db2 has replayed all of it, db3 20 MiB less: only db3 alerts, after 10m.
    leader_at = 120 * mib
    lag = {
        'interval': '30s',
        'input_series': [
            _series('patroni_primary', 'db1', '1x40'), _series('patroni_primary', 'db2', '0x40'),
            _series('patroni_primary', 'db3', '0x40'),
            _series('patroni_replica', 'db1', '0x40'), _series('patroni_replica', 'db2', '1x40'),
            _series('patroni_replica', 'db3', '1x40'),
            _series('patroni_xlog_location', 'db1', '%dx40' % leader_at), _series('patroni_xlog_location', 'db2', '0x40'),
            _series('patroni_xlog_location', 'db3', '0x40'),
            _series('patroni_xlog_replayed_location', 'db1', '0x40'),
            _series('patroni_xlog_replayed_location', 'db2', '%dx40' % leader_at),
            _series('patroni_xlog_replayed_location', 'db3', '%dx40' % (leader_at - 20 * mib)),
        ],
        'alert_rule_test': [
            {'eval_time': '5m', 'alertname': 'PatroniReplicationLag', 'exp_alerts': []},
            {'eval_time': '15m', 'alertname': 'PatroniReplicationLag', 'exp_alerts': [{
                'exp_labels': {'severity': 'warning', 'scope': 'supabase', 'job': 'patroni', 'host': 'db3',
                               'instance': '10.0.0.13:8008'},
                'exp_annotations': {'summary': 'Database member db3 is 20MiB of WAL behind its leader',
                                    'runbook': runbook['PatroniReplicationLag']}}]},
            {'eval_time': '15m', 'alertname': 'PatroniNoLeader', 'exp_alerts': []},
        ],
    }
    rc, out = _promtool_test(tmp_path, text, [no_leader, lag])
    assert rc == 0, out
    print(out.strip().splitlines()[-1])
