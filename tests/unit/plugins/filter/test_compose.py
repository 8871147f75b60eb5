"""compose_project: the managed containers' inspect results as a docker-compose 2.4 document."""
import copy

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.selfhost.supabase.plugins.filter.compose import compose_project

NET = 'supabase_default'

# What docker_container_info returns for a container the container role ran (trimmed to what is read).
DB = {
    'Id': 'a1b2c3d4e5f6' + '0' * 52,
    'Name': '/supabase-db',
    'Config': {
        'Hostname': 'a1b2c3d4e5f6',
        'Image': '127.0.0.1:5000/supabase/postgres:15.8.1.060',
        'Cmd': ['postgres', '-c', 'config_file=/etc/postgresql/postgresql.conf'],
        'Entrypoint': ['docker-entrypoint.sh'],
        'Env': ['POSTGRES_PASSWORD=pa$$w0rd=x', 'PGPORT=5432', 'PATH=/usr/bin'],
        'User': '',
        'WorkingDir': '',
        'Labels': {'com.supabase.selfhost.managed': 'true', 'com.supabase.selfhost.component': 'postgres',
                   'com.docker.compose.project': 'old'},
        'Healthcheck': {'Test': ['CMD-SHELL', 'pg_isready -U postgres -h 127.0.0.1'], 'Interval': 5000000000,
                        'Timeout': 3000000000, 'Retries': 10, 'StartPeriod': 90000000000},
    },
    'HostConfig': {
        'Binds': ['db_data:/var/lib/postgresql/data', '/opt/supabase/db/postgresql.conf:/etc/postgresql/postgresql.conf:ro'],
        'PortBindings': {'5432/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '5432'}]},
        'NetworkMode': NET,
        'RestartPolicy': {'Name': 'unless-stopped', 'MaximumRetryCount': 0},
        'NanoCpus': 1500000000,
        'Memory': 1073741824,
        'MemoryReservation': 536870912,
        'CpuShares': 0,
        'CapDrop': ['NET_RAW'],
        'CapAdd': None,
        'SecurityOpt': ['no-new-privileges'],
        'Ulimits': [{'Name': 'nofile', 'Soft': 65536, 'Hard': 65536}],
        'ExtraHosts': ['supabase.test:10.0.0.1'],
        'LogConfig': {'Type': 'journald', 'Config': {'tag': '{{.Name}}'}},
    },
    'NetworkSettings': {'Networks': {NET: {'Aliases': ['supabase-db', 'a1b2c3d4e5f6', 'db'], 'IPAddress': '172.18.0.2'}}},
}

UNMANAGED = {'Id': 'f' * 64, 'Name': '/registry', 'Config': {'Image': 'registry:2', 'Labels': {}}, 'HostConfig': {}}


def _db(**changes):
    c = copy.deepcopy(DB)
    for path, value in changes.items():
        where = c
        keys = path.split('__')
        for key in keys[:-1]:
            where = where[key]
        where[keys[-1]] = value
    return c


def test_a_container_role_container_becomes_one_service():
    doc = compose_project([{'container': DB, 'item': 'supabase-db'}, {'container': UNMANAGED}])
    assert doc['version'] == '2.4'
    assert list(doc['services']) == ['supabase-db']
    svc = doc['services']['supabase-db']
    assert svc['container_name'] == 'supabase-db'
    assert svc['image'] == '127.0.0.1:5000/supabase/postgres:15.8.1.060'
    assert svc['entrypoint'] == ['docker-entrypoint.sh']
    assert svc['command'] == ['postgres', '-c', 'config_file=/etc/postgresql/postgresql.conf']
    assert svc['volumes'] == ['db_data:/var/lib/postgresql/data',
                              '/opt/supabase/db/postgresql.conf:/etc/postgresql/postgresql.conf:ro']
    assert svc['ports'] == ['127.0.0.1:5432:5432']
    assert svc['healthcheck'] == {'test': ['CMD-SHELL', 'pg_isready -U postgres -h 127.0.0.1'], 'interval': '5s',
                                  'timeout': '3s', 'start_period': '90s', 'retries': 10}
    assert svc['networks'] == {NET: {'aliases': ['db']}}
    assert svc['restart'] == 'unless-stopped'
    assert svc['cpus'] == 1.5 and svc['mem_limit'] == 1073741824 and svc['mem_reservation'] == 536870912
    assert 'cpu_shares' not in svc and 'cap_add' not in svc and 'user' not in svc
    assert svc['cap_drop'] == ['NET_RAW'] and svc['security_opt'] == ['no-new-privileges']
    assert svc['ulimits'] == {'nofile': {'soft': 65536, 'hard': 65536}}
    assert svc['extra_hosts'] == ['supabase.test:10.0.0.1']
    assert svc['logging'] == {'driver': 'journald', 'options': {'tag': '{{.Name}}'}}
    assert svc['labels'] == {'com.supabase.selfhost.component': 'postgres', 'com.supabase.selfhost.managed': 'true'}


def test_the_export_keeps_volume_and_network_names():
    doc = compose_project([DB])
    assert doc['volumes'] == {'db_data': {'name': 'db_data'}}
    assert doc['networks'] == {NET: {'name': NET}}


def test_isolate_leaves_volumes_and_network_to_the_project():
    doc = compose_project([DB], isolate=True)
    assert doc['volumes'] == {'db_data': {}}
    assert doc['networks'] == {NET: {}}
    assert compose_project([DB], container_names=False)['services']['supabase-db'].get('container_name') is None


def test_dollars_are_escaped_for_compose_interpolation():
    svc = compose_project([DB])['services']['supabase-db']
    assert svc['environment'] == {'PATH': '/usr/bin', 'PGPORT': '5432', 'POSTGRES_PASSWORD': 'pa$$$$w0rd=x'}


@pytest.mark.parametrize('bindings, want', [
    ({'5432/tcp': [{'HostIp': '', 'HostPort': '5432'}]}, ['5432:5432']),
    ({'53/udp': [{'HostIp': '10.0.0.1', 'HostPort': '5353'}]}, ['10.0.0.1:5353:53/udp']),
    ({'80/tcp': [{'HostIp': '0.0.0.0', 'HostPort': '80'}, {'HostIp': '::', 'HostPort': '80'}]},
     ['0.0.0.0:80:80', ':::80:80']),
    ({'9000/tcp': [{'HostIp': '127.0.0.1', 'HostPort': ''}]}, ['127.0.0.1::9000']),
])
def test_published_ports(bindings, want):
    assert compose_project([_db(HostConfig__PortBindings=bindings)])['services']['supabase-db']['ports'] == want


@pytest.mark.parametrize('policy, want', [
    ({'Name': 'always'}, 'always'),
    ({'Name': 'on-failure', 'MaximumRetryCount': 3}, 'on-failure:3'),
    ({'Name': ''}, 'no'),
    (None, 'no'),
])
def test_restart_policy(policy, want):
    assert compose_project([_db(HostConfig__RestartPolicy=policy)])['services']['supabase-db']['restart'] == want


def test_health_durations_and_disabled_check():
    check = {'Test': ['CMD', 'true'], 'Interval': 120000000000, 'Timeout': 500000000}
    svc = compose_project([_db(Config__Healthcheck=check)])['services']['supabase-db']
    assert svc['healthcheck'] == {'test': ['CMD', 'true'], 'interval': '2m', 'timeout': '500ms'}
    svc = compose_project([_db(Config__Healthcheck={'Test': ['NONE']})])['services']['supabase-db']
    assert svc['healthcheck'] == {'disable': True}
    assert 'healthcheck' not in compose_project([_db(Config__Healthcheck=None)])['services']['supabase-db']


def test_host_network_and_user():
    c = _db(HostConfig__NetworkMode='host', NetworkSettings={'Networks': {'host': {}}}, Config__User='1000:1000')
    doc = compose_project([c])
    svc = doc['services']['supabase-db']
    assert svc['network_mode'] == 'host' and 'networks' not in svc and 'networks' not in doc
    assert svc['user'] == '1000:1000'


def test_gone_containers_and_unmanaged_ones_are_skipped():
    doc = compose_project([{'container': None, 'exists': False}, {'container': UNMANAGED}, {}])
    assert doc == {'version': '2.4', 'services': {}}


def test_the_document_is_plain_yaml_that_reads_back():
    doc = compose_project([DB, _db(Name='/supabase-rest', NetworkSettings={'Networks': {NET: {'Aliases': None}}})])
    text = yaml.safe_dump(doc, sort_keys=False)
    assert yaml.safe_load(text) == doc
    assert list(yaml.safe_load(text)) == ['version', 'services', 'networks', 'volumes']
    assert doc['services']['supabase-rest']['networks'] == {NET: None}


def test_bad_input_is_refused():
    with pytest.raises(AnsibleFilterError, match='expects a list'):
        compose_project({'container': DB})
    with pytest.raises(AnsibleFilterError, match='without a name'):
        compose_project([_db(Name='')])
    with pytest.raises(AnsibleFilterError, match='cannot read the volume'):
        compose_project([_db(HostConfig__Binds=['justone'])])
