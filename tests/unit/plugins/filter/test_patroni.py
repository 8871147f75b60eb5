"""Unit tests of plugins/filter/patroni.py: reading Patroni's GET /cluster for health.yml and switchover.yml."""

import copy

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.selfhost.supabase.plugins.filter import patroni as p

# The shape of Patroni 3.0's GET /cluster (members sorted by name; no lag for the leader).
CLUSTER = {
    'members': [
        {'name': 'db1', 'role': 'leader', 'state': 'running', 'api_url': 'http://10.0.0.11:8008/patroni',
         'host': '10.0.0.11', 'port': 5432, 'timeline': 3},
        {'name': 'db2', 'role': 'sync_standby', 'state': 'running', 'api_url': 'http://10.0.0.12:8008/patroni',
         'host': '10.0.0.12', 'port': 5432, 'timeline': 3, 'lag': 0},
        {'name': 'db3', 'role': 'replica', 'state': 'running', 'api_url': 'http://10.0.0.13:8008/patroni',
         'host': '10.0.0.13', 'port': 5432, 'timeline': 3, 'lag': 2048},
    ],
}
HOSTS = ['db1', 'db2', 'db3']


def cluster(**changes):
    """CLUSTER with member fields changed: cluster(db3={'state': 'stopped'}); a value None removes the field."""
    out = copy.deepcopy(CLUSTER)
    for member in out['members']:
        for key, value in (changes.get(member['name']) or {}).items():
            if value is None:
                member.pop(key, None)
            else:
                member[key] = value
    return out


def test_filters_registered():
    names = p.FilterModule().filters()
    for name in ('patroni_cluster_summary', 'patroni_cluster_problems', 'patroni_cluster_rows', 'patroni_switchover_plan'):
        assert callable(names[name])


def test_summary():
    s = p.patroni_cluster_summary(CLUSTER)
    assert s['leader'] == 'db1' and s['paused'] is False
    assert [(m['name'], m['role'], m['state'], m['lag'], m['leader']) for m in s['members']] == [
        ('db1', 'leader', 'running', None, True), ('db2', 'sync_standby', 'running', 0, False),
        ('db3', 'replica', 'running', 2048, False)]
    assert p.patroni_cluster_summary(s) is s
    shuffled = cluster()
    shuffled['members'].reverse()
    shuffled['pause'] = True
    assert [m['name'] for m in p.patroni_cluster_summary(shuffled)['members']] == HOSTS
    assert p.patroni_cluster_summary(shuffled)['paused'] is True


@pytest.mark.parametrize('lag,expect', [(0, 0), (17, 17), ('17', 17), ('unknown', None), (None, None), (True, None)])
def test_summary_lag(lag, expect):
    assert p.patroni_cluster_summary(cluster(db3={'lag': lag}))['members'][2]['lag'] == expect


def test_summary_no_leader_and_bad_input():
    s = p.patroni_cluster_summary(cluster(db1={'role': 'replica', 'state': 'stopped'}))
    assert s['leader'] == ''
    for bad in (None, [], 'text', {'members': 'db1'}, {}):
        with pytest.raises(AnsibleFilterError, match='GET /cluster'):
            p.patroni_cluster_summary(bad)
    with pytest.raises(AnsibleFilterError, match='without a name'):
        p.patroni_cluster_summary({'members': [{'role': 'leader'}]})


def test_problems_healthy_and_lag_limit():
    assert p.patroni_cluster_problems(CLUSTER, 16 * 1024 * 1024) == []
    assert p.patroni_cluster_problems(CLUSTER, 2048) == []
    assert p.patroni_cluster_problems(CLUSTER, 2047) == ['db3 lags 2048 bytes behind the leader (at most 2047)']
    assert p.patroni_cluster_problems(CLUSTER) == ['db3 lags 2048 bytes behind the leader (at most 0)']
    assert p.patroni_cluster_problems(CLUSTER, 1024, limit_name='supabase_health_max_lag_bytes') == [
        'db3 lags 2048 bytes behind the leader (at most 1024, supabase_health_max_lag_bytes)']
    # Only the members asked for (the switchover's candidate), the leader's checks still apply.
    assert p.patroni_cluster_problems(CLUSTER, 0, members=['db2']) == []
    assert p.patroni_cluster_problems(CLUSTER, 0, leader='db1', members=['db2']) == []
    assert p.patroni_cluster_problems(CLUSTER, 0, leader='db2', members=['db2']) == ['db1 leads, not db2']
    assert p.patroni_cluster_problems(CLUSTER, 0, members=['db9']) == ['db9 is not a member of the cluster'
                                                                       ' (members: db1, db2, db3)']


def test_problems_no_leader_and_members_down():
    problems = p.patroni_cluster_problems(cluster(db1={'role': 'replica', 'state': 'stopped', 'lag': 'unknown'}), 100)
    assert problems[0] == 'the cluster has no leader (members: db1 replica stopped, db2 sync_standby running,' \
                          ' db3 replica running)'
    assert 'db1 is stopped (role replica), not a running replica' in problems
    assert p.patroni_cluster_problems({'members': []}) == ['the cluster has no leader (members: none)']
    assert p.patroni_cluster_problems(cluster(db3={'state': 'starting'}), 4096) == [
        'db3 is starting (role replica), not a running replica']
    assert p.patroni_cluster_problems(cluster(db3={'lag': 'unknown'}), 4096) == [
        'db3: lag unknown (it has not reported a WAL position)']
    # Newer Patroni: a replica that streams says so.
    assert p.patroni_cluster_problems(cluster(db2={'state': 'streaming'}, db3={'state': 'streaming'}), 4096) == []


def test_rows():
    assert p.patroni_cluster_rows(CLUSTER, '%-4s %-12s %-8s %6s') == [
        'db1  leader       running       -', 'db2  sync_standby running       0', 'db3  replica      running    2048']
    assert p.patroni_cluster_rows(cluster(db3={'lag': 'unknown', 'state': None}), '%s|%s|%s|%s')[2] == 'db3|replica|-|unknown'


def test_plan_default_is_the_synchronous_standby():
    plan = p.patroni_switchover_plan(CLUSTER, '', True, HOSTS)
    assert plan == {'leader': 'db1', 'candidate': 'db2', 'reason': 'the synchronous standby', 'problems': []}
    # Even with more lag than an asynchronous replica, and without synchronous_mode.
    lagging = cluster(db2={'lag': 9999}, db3={'lag': 0})
    assert p.patroni_switchover_plan(lagging, '', False)['candidate'] == 'db2'


def test_plan_default_without_a_synchronous_standby():
    async_cluster = cluster(db2={'role': 'replica', 'lag': 4096})
    plan = p.patroni_switchover_plan(async_cluster, '', False, HOSTS)
    assert (plan['candidate'], plan['reason']) == ('db3', 'the replica with the least lag (2048 bytes)')
    # An unknown lag counts last; a stopped replica or a nofailover one never counts.
    assert p.patroni_switchover_plan(cluster(db2={'role': 'replica', 'lag': 'unknown'}), '', False)['candidate'] == 'db3'
    assert p.patroni_switchover_plan(cluster(db2={'role': 'replica', 'lag': 0}, db3={'lag': 0}), '', False)['candidate'] == 'db2'
    stopped = cluster(db2={'role': 'replica', 'state': 'stopped'}, db3={'tags': {'nofailover': True}})
    plan = p.patroni_switchover_plan(stopped, '', False)
    assert plan['candidate'] == '' and plan['problems'][0].startswith('no running replica to hand over to')
    # synchronous_mode on, no synchronous standby now: Patroni would refuse any candidate.
    plan = p.patroni_switchover_plan(async_cluster, '', True)
    assert plan['candidate'] == '' and plan['problems'][0].startswith('no running synchronous standby')


@pytest.mark.parametrize('candidate,changes,synchronous,words', [
    ('db9', {}, True, 'switchover_candidate db9 is not a member of the cluster (members: db1, db2, db3)'),
    ('db1', {}, True, 'switchover_candidate db1 is the leader already'),
    ('db3', {'db3': {'state': 'stopped'}}, False, 'switchover_candidate db3 is not a running replica (role replica, state stopped)'),
    ('db3', {'db3': {'state': 'starting'}}, False, 'is not a running replica'),
    ('db3', {'db3': {'tags': {'nofailover': 'true'}}}, False, 'switchover_candidate db3 has the Patroni tag nofailover'),
    ('db3', {}, True, 'switchover_candidate db3 is not a synchronous standby: with postgres_synchronous_mode Patroni'
                      ' hands over to a synchronous standby only (db2)'),
])
def test_plan_refuses_a_candidate(candidate, changes, synchronous, words):
    plan = p.patroni_switchover_plan(cluster(**changes), candidate, synchronous, HOSTS)
    assert plan['candidate'] == '' and plan['reason'] == ''
    assert len(plan['problems']) == 1 and words in plan['problems'][0], plan


def test_plan_accepts_a_given_candidate():
    assert p.patroni_switchover_plan(CLUSTER, 'db3', False, HOSTS) == {
        'leader': 'db1', 'candidate': 'db3', 'reason': 'given (switchover_candidate)', 'problems': []}
    assert p.patroni_switchover_plan(CLUSTER, ' db2 ', 'yes')['candidate'] == 'db2'
    # A lagging candidate is fine here: switchover.yml waits until it has caught up.
    assert p.patroni_switchover_plan(cluster(db3={'lag': 10 ** 9}), 'db3', False)['candidate'] == 'db3'


def test_plan_no_leader_paused_and_strangers():
    plan = p.patroni_switchover_plan(cluster(db1={'role': 'replica', 'state': 'stopped'}), 'db2')
    assert plan['leader'] == '' and plan['candidate'] == ''
    assert plan['problems'] == ['the cluster has no leader: a switchover hands over from a leader (Patroni elects one by'
                                ' itself after a failure; see playbooks/health.yml)']
    paused = cluster()
    paused['pause'] = True
    assert 'paused' in p.patroni_switchover_plan(paused)['problems'][0]
    plan = p.patroni_switchover_plan(CLUSTER, '', True, ['db1', 'db2'])
    assert plan['candidate'] == '' and plan['problems'] == [
        "members db3 are not hosts of group db: Patroni's member names must be the inventory hostnames"]


def test_api_urls():
    hostvars = {'db1': {'supabase_private_address': '10.0.0.11'},
                'db2': {'supabase_private_address': ' fd00::12 ', 'postgres_patroni_port': '8018'},
                'db3': {'supabase_private_address': ''}}
    assert p.patroni_api_urls(['db1', 'db2'], hostvars) == {'db1': 'http://10.0.0.11:8008', 'db2': 'http://[fd00::12]:8018'}
    assert p.patroni_api_urls(['db1'], hostvars, 9008) == {'db1': 'http://10.0.0.11:9008'}
    with pytest.raises(AnsibleFilterError, match='db3 has no supabase_private_address'):
        p.patroni_api_urls(['db3'], hostvars)
    with pytest.raises(AnsibleFilterError, match='db9 is not a host'):
        p.patroni_api_urls(['db9'], hostvars)
