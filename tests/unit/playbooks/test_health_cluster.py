"""health.yml's database cluster tasks (postgres_ha) against a fake Patroni REST API per db host.

The tasks are taken from playbooks/health.yml as they are (those named `... (postgres_ha)`, with the play's
vars) and run in a playbook of their own: the rest of the health play needs Docker on every host. A first
task stands in for the container listing: it says on which db hosts supabase-db runs. The db hosts are the
controller (ansible_connection: local) with loopback addresses; app and edge hosts are unreachable and are
never contacted. FakePatroni is test_switchover's.
"""

import concurrent.futures
import copy
import os
import re
import subprocess

import pytest
import yaml

import test_bad_inputs as B
import test_switchover as S

HEALTH = os.path.join(B.ROOT, 'playbooks', 'health.yml')
MIB = 1024 * 1024


def _playbook(path):
    with open(HEALTH) as handle:
        plays = yaml.safe_load(handle)
    play = next(p for p in plays if p.get('name', '').startswith('Health - '))
    tasks = [t for t in play['tasks'] if t['name'].endswith('(postgres_ha)')]
    assert [t['name'].split(' ')[0] for t in tasks] == ['Read', 'Print', 'Fail'], 'health.yml changed its cluster tasks'
    assert play['tasks'][-1] is tasks[-1], 'the cluster check (run_once) must come after the per-host checks'
    test_play = {
        'name': 'Health - the database cluster tasks of playbooks/health.yml',
        'hosts': 'db:app:edge',
        'gather_facts': False,
        'vars': play['vars'],
        'tasks': [{'name': 'Stand in for the container listing: where supabase-db runs',
                   'ansible.builtin.set_fact': {'__health_db_running': '{{ inventory_hostname in db_running | default([]) }}'}}]
        + tasks,
    }
    with open(path, 'w') as handle:
        yaml.safe_dump([test_play], handle, sort_keys=False)
    return path


def _members(**changes):
    members = {'db1': {'role': 'leader', 'state': 'running'},
               'db2': {'role': 'sync_standby', 'state': 'running', 'lag': 0},
               'db3': {'role': 'replica', 'state': 'running', 'lag': 0}}
    for name, change in changes.items():
        members[name] = dict(members[name], **change)
    return members


# case: (members, extra vars of group all)
CASES = {
    'healthy': (_members(db3={'lag': 4096}), {'db_running': ['db1', 'db2', 'db3']}),
    'lag-over-16-mib': (_members(db3={'lag': 20 * MIB}), {'db_running': ['db1', 'db2', 'db3']}),
    'lag-over-given-limit': (_members(db2={'lag': 4096}), {'db_running': ['db1', 'db2', 'db3'],
                                                            'supabase_health_max_lag_bytes': 1000}),
    'no-leader': (_members(db1={'role': 'replica', 'state': 'stopped', 'lag': 'unknown'}),
                  {'db_running': ['db2', 'db3']}),
    'read-on-a-running-db-host': (_members(), {'db_running': ['db3']}),
    'not-a-cluster': (_members(), {'postgres_ha': False, 'db_running': ['db1', 'db2', 'db3']}),
    # db3 lags 20 MiB in the first two answers, then catches up: read again within health_wait, the play passes.
    'lag-that-passes': (_members(db2={'lag': 20 * MIB}), {'db_running': ['db1', 'db2', 'db3']}),
}
# health_wait (-e: the play sets it) per case: a cluster with a problem is read again every 2 s within it, so the
# failing cases are given 4 s (three reads); the others keep the default 60 s and are read once.
WAITS = {'lag-over-16-mib': 4, 'lag-over-given-limit': 4, 'no-leader': 4, 'lag-that-passes': 20}
# GET /cluster answers until db2's lag is 0 (FakePatroni's catchup_reads; None: never).
CATCHUP = {'lag-that-passes': 2}


def _inventory(base, case_id, fake, group_vars):
    inv = os.path.join(base, case_id)
    os.makedirs(os.path.join(inv, 'group_vars'))
    hosts = copy.deepcopy(B.HOSTS)
    hosts['all']['children']['db']['hosts'] = dict(
        (name, {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}',
                'ansible_become': False, 'supabase_private_address': S.ADDRESSES[name],
                'postgres_patroni_port': fake.port(name)})
        for name in S.ADDRESSES)
    with open(os.path.join(inv, 'hosts.yml'), 'w') as handle:
        yaml.safe_dump(hosts, handle)
    with open(os.path.join(inv, 'group_vars', 'all.yml'), 'w') as handle:
        yaml.safe_dump(dict({'postgres_ha': True}, **group_vars), handle)
    return inv


@pytest.fixture(scope='module')
def outcomes(tmp_path_factory):
    base = str(tmp_path_factory.mktemp('health-cluster'))
    playbook = _playbook(os.path.join(base, 'health-cluster.yml'))
    fakes, invs = {}, {}
    for case_id, (members, group_vars) in CASES.items():
        fakes[case_id] = S.FakePatroni('unused-password-0123456789abcdef', members=members,
                                       catchup_reads=CATCHUP.get(case_id)).start()
        invs[case_id] = _inventory(base, case_id, fakes[case_id], group_vars)

    def run(case_id):
        extra = ['-e', 'health_wait=%d' % WAITS[case_id]] if case_id in WAITS else []
        proc = subprocess.run(['ansible-playbook', '-i', os.path.join(invs[case_id], 'hosts.yml'), playbook] + extra,
                              capture_output=True, text=True, env=B._env(), check=False, timeout=300)
        return {'rc': proc.returncode, 'out': proc.stdout + proc.stderr}

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=B.WORKERS) as pool:
            results = dict(zip(CASES, pool.map(run, CASES)))
    finally:
        for fake in fakes.values():
            fake.stop()
    return dict((c, (results[c], fakes[c])) for c in CASES)


def _flat(text):
    return ' '.join(text.split())


def _common(result, fake, reads=1):
    out = result['out']
    assert 'UNREACHABLE' not in out, out[-3000:]
    # Reads of /cluster only: one when the first answer is good, one every 2 s within health_wait otherwise.
    assert [(r[1], r[2]) for r in fake.requests] == [('GET', '/cluster')] * reads, fake.requests
    return _flat(out)


def test_healthy_cluster_printed(outcomes):
    result, fake = outcomes['healthy']
    out = _common(result, fake)
    assert result['rc'] == 0, result['out'][-3000:]
    assert fake.requests[0][0] == 'db1'
    raw = result['out']
    assert re.search(r'- member +role +state +lag \(bytes\)', raw)
    assert re.search(r'- db1 +leader +running +-\n', raw)
    assert re.search(r'- db2 +sync_standby +running +0\n', raw)
    assert re.search(r'- db3 +replica +running +4096\n', raw)
    assert 'leader: db1 (read on db1)' in out


def test_lag_over_the_default_fails(outcomes):
    result, fake = outcomes['lag-over-16-mib']
    out = _common(result, fake, reads=3)
    assert result['rc'] != 0
    assert 'Database cluster: db3 lags 20971520 bytes behind the leader (at most 16777216,' \
           ' supabase_health_max_lag_bytes)' in out


def test_lag_over_the_given_limit_fails(outcomes):
    result, fake = outcomes['lag-over-given-limit']
    out = _common(result, fake, reads=3)
    assert result['rc'] != 0
    assert 'db2 lags 4096 bytes behind the leader (at most 1000, supabase_health_max_lag_bytes)' in out


def test_no_leader_fails(outcomes):
    result, fake = outcomes['no-leader']
    out = _common(result, fake, reads=3)
    assert result['rc'] != 0
    assert 'leader: NONE (read on db2)' in out
    assert 'Database cluster: the cluster has no leader' in out
    assert 'db1 is stopped (role replica), not a running replica' in out


def test_read_on_a_db_host_whose_database_runs(outcomes):
    result, fake = outcomes['read-on-a-running-db-host']
    out = _common(result, fake)
    assert result['rc'] == 0, result['out'][-3000:]
    assert fake.requests[0][0] == 'db3' and 'leader: db1 (read on db3)' in out


def test_no_cluster_no_read(outcomes):
    result, fake = outcomes['not-a-cluster']
    assert result['rc'] == 0, result['out'][-3000:]
    assert fake.requests == []
    assert 'leader:' not in result['out']


def test_a_lag_that_passes_within_health_wait_is_not_a_failure(outcomes):
    result, fake = outcomes['lag-that-passes']
    out = _common(result, fake, reads=3)
    assert result['rc'] == 0, result['out'][-3000:]
    assert re.search(r'- db2 +sync_standby +running +0\n', result['out'])
    assert 'leader: db1 (read on db1)' in out
