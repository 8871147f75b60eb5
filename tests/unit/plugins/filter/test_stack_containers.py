"""The container description (labels written by the container role) and what the shared playbooks make of it."""
from ansible_collections.selfhost.supabase.plugins.filter import stack_containers as S

NET = 'supabase_default'


def _inspect(name, labels, status='running', health=None, ip='10.0.0.5', exit_code=0, restarting=False):
    """A docker_container_info result (the `container` of one loop result)."""
    state = {'Status': status, 'Running': status == 'running', 'Restarting': restarting, 'ExitCode': exit_code}
    if health:
        state['Health'] = {'Status': health}
    return {'Id': name + '-id', 'Name': '/' + name, 'Config': {'Labels': labels, 'Env': ['SECRET=hunter2hunter2']},
            'State': state, 'NetworkSettings': {'Networks': {NET: {'IPAddress': ip}}}}


def _labels(component, probe=None, db_client=False, tier='services'):
    labels = S.description_labels(component, tier, probe, db_client)
    labels.update({S.MANAGED: 'true', 'com.supabase.selfhost.config-hash': 'abc'})
    return labels


GOTRUE = _labels('gotrue', {'type': 'http', 'port': 9999, 'path': '/health'}, db_client=True)
REALTIME = _labels('realtime', {'type': 'http', 'port': 4000, 'path': '/api/tenants/t1/health',
                                'secret': 'supabase_anon_key'}, db_client=True)
REDIS = _labels('redis', {'type': 'redis', 'port': 6379, 'secret': 'supabase_redis_password'}, tier='data')
KONG = _labels('kong', {'type': 'tcp', 'port': 8000}, tier='gateway')


def test_labels_are_strings_and_name_the_secret_never_its_value():
    labels = S.description_labels('realtime', 'services', {'type': 'http', 'port': 4000, 'path': '/x',
                                                           'secret': 'supabase_anon_key'}, True)
    assert labels == {
        'com.supabase.selfhost.component': 'realtime',
        'com.supabase.selfhost.tier': 'services',
        'com.supabase.selfhost.probe.type': 'http',
        'com.supabase.selfhost.probe.port': '4000',
        'com.supabase.selfhost.probe.path': '/x',
        'com.supabase.selfhost.probe.secret': 'supabase_anon_key',
        'com.supabase.selfhost.db-client': 'true',
    }
    assert all(isinstance(v, str) for v in labels.values())


def test_empty_inputs_leave_their_labels_out():
    assert S.description_labels('', '', {}, False) == {'com.supabase.selfhost.db-client': 'false'}
    # A port given as a string (a templated value) ends as the same label.
    assert S.description_labels('x', '', {'type': 'tcp', 'port': '9000'})['com.supabase.selfhost.probe.port'] == '9000'


def test_a_renamed_container_is_described_by_its_labels():
    [d] = S.stack_containers([{'container': _inspect('supabase-auth-renamed', GOTRUE), 'item': 'supabase-auth-renamed'}], NET)
    assert d['container'] == 'supabase-auth-renamed'
    assert d['component'] == 'gotrue'
    assert d['db_client'] is True
    assert d['probe'] == {'type': 'http', 'port': 9999, 'path': '/health'}
    assert d['address'] == '10.0.0.5'
    assert 'hunter2' not in repr(d)  # the environment never leaves the filter


def test_unmanaged_and_vanished_containers_are_skipped():
    other = _inspect('someone-else', {'x': 'y'})
    gone = {'container': None, 'item': 'gone', 'exists': False}
    assert S.stack_containers([other, gone, {'container': _inspect('k', KONG)}], NET)[0]['container'] == 'k'
    assert len(S.stack_containers([other, gone], NET)) == 0


def test_docker_ps_entries_are_read_too():
    """docker_host_info (verbose_output) lists containers with Names, Labels, State as a word, Status as text."""
    entry = {'Id': 'x', 'Names': ['/supabase-rest'], 'Labels': _labels('postgrest', {'type': 'http', 'port': 3000}, True),
             'State': 'running', 'Status': 'Up 3 minutes (healthy)',
             'NetworkSettings': {'Networks': {NET: {'IPAddress': '10.0.0.9'}}}}
    [d] = S.stack_containers([entry], NET)
    assert (d['container'], d['component'], d['running'], d['health'], d['db_client']) == \
        ('supabase-rest', 'postgrest', True, 'healthy', True)
    exited = dict(entry, State='exited', Status='Exited (137) 2 seconds ago')
    [gone] = S.stack_containers([exited], NET)
    assert (gone['running'], gone['exit_code']) == (False, 137)
    assert S.health_failures([gone]) == ['supabase-rest (postgrest) is exited, exit code 137']
    restarting = dict(entry, State='restarting', Status='Restarting (1) 3 seconds ago')
    assert S.health_failures(S.stack_containers([restarting], NET)) == ['supabase-rest (postgrest) is restarting']
    unhealthy = dict(entry, Status='Up 5 minutes (unhealthy)')
    assert S.health_failures(S.stack_containers([unhealthy], NET)) == \
        ['supabase-rest (postgrest) is running, health unhealthy']
    # health.yml lists again, for a bounded time, while a container is in a state Docker may still end by itself.
    starting = dict(entry, Status='Up 2 seconds (health: starting)')
    assert S.health_settling(S.stack_containers([entry, starting, exited], NET)) == []
    assert S.health_settling(S.stack_containers([restarting, unhealthy, entry, exited], NET)) == \
        ['supabase-rest', 'supabase-rest']
    assert S.health_settling(None) == []


def test_probes_from_labels_with_secrets_by_name():
    described = S.stack_containers([_inspect('supabase-auth-renamed', GOTRUE), _inspect('rt', REALTIME, ip='10.0.0.6'),
                                    _inspect('rd', REDIS, ip='10.0.0.7'), _inspect('kg', KONG, ip='10.0.0.8')], NET)
    probes = {p['name']: p for p in S.stack_probes(described, {'supabase_anon_key': 'ANON', 'supabase_redis_password': 'PW'})}
    assert probes['gotrue'] == {'name': 'gotrue', 'type': 'http', 'timeout': 5, 'url': 'http://10.0.0.5:9999/health'}
    assert probes['realtime']['url'] == 'http://10.0.0.6:4000/api/tenants/t1/health'
    assert probes['realtime']['headers'] == {'Authorization': 'Bearer ANON'}
    assert probes['redis'] == {'name': 'redis', 'type': 'redis', 'timeout': 5, 'host': '10.0.0.7', 'port': 6379, 'password': 'PW'}
    assert probes['kong'] == {'name': 'kong', 'type': 'tcp', 'timeout': 5, 'host': '10.0.0.8', 'port': 8000}
    assert S.probe_secret_names(described) == ['supabase_anon_key', 'supabase_redis_password']
    # Named by container for upgrade.yml.
    assert 'supabase-auth-renamed' in {p['name'] for p in S.stack_probes(described, {}, name='container')}


def test_no_probe_for_a_stopped_container_or_one_without_probe_or_address():
    described = S.stack_containers([_inspect('a', GOTRUE, status='exited', exit_code=1),
                                    _inspect('b', _labels('imgproxy')),
                                    _inspect('c', KONG, ip='')], NET)
    assert S.stack_probes(described) == []


def test_failures_name_container_component_and_state():
    described = S.stack_containers([
        _inspect('supabase-studio', _labels('studio', {'type': 'http', 'port': 3000}), status='exited', exit_code=137),
        _inspect('supabase-rest', _labels('postgrest'), health='unhealthy'),
        _inspect('supabase-meta', _labels('meta'), status='restarting', restarting=True),
        _inspect('supabase-kong', KONG, health='healthy')], NET)
    assert S.health_failures(described) == [
        'supabase-meta (meta) is restarting',
        'supabase-rest (postgrest) is running, health unhealthy',
        'supabase-studio (studio) is exited, exit code 137',
    ]


def test_health_rows():
    fmt = '%-10s  %-20s  %-4s  %10s  %s'
    hostvars = {
        'h1': {'__health_result': {'probes': [{'name': 'kong', 'ok': True, 'latency_ms': 3, 'detail': ''},
                                              {'name': 'gotrue', 'ok': False, 'latency_ms': 5, 'detail': 'x' * 80}]},
               '__health_states': S.stack_containers([_inspect('supabase-studio', _labels('studio'), status='exited')], NET)},
        'h2': {'__health_result': {'skipped': True}, '__health_states': []},
    }
    rows = S.health_rows(['h1', 'h2'], hostvars, fmt)
    assert rows[0].startswith('gotrue') and ' NO ' in rows[0] and rows[0].endswith('x' * 57 + '...')
    assert rows[1] == (fmt % ('kong', 'h1', 'yes', '3 ms', '')).strip()
    assert rows[2] == (fmt % ('studio', 'h1', 'NO', '-', 'container supabase-studio exited')).strip()
    assert rows[3] == (fmt % ('-', 'h2', 'NO', '-', 'no stack container found')).strip()
