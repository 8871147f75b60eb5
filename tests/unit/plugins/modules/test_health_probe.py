"""The health_probe module end to end through AnsibleModule, against real local servers."""
import json

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.selfhost.supabase.plugins.modules import health_probe


def call(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            health_probe.main()
    result = json.loads(capsys.readouterr().out)
    return exc.value.code != 0 or result.get('failed', False), result


def test_all_healthy(capsys, http_server, tcp_listener, postgres_server, redis_server):
    failed, result = call(capsys, wait=5, _ansible_check_mode=True, probes=[
        {'name': 'web', 'type': 'http', 'url': http_server + '/ok', 'body': 'healthy', 'use_proxy': False},
        {'name': 'port', 'type': 'tcp', 'port': tcp_listener},
        {'name': 'db', 'type': 'postgres', 'port': postgres_server['port'], 'password': postgres_server['password']},
        {'name': 'cache', 'type': 'redis', 'port': redis_server['port'], 'password': redis_server['password']},
    ])
    assert not failed, result
    assert result['changed'] is False
    assert result['unhealthy'] == []
    assert [p['name'] for p in result['probes']] == ['web', 'port', 'db', 'cache']
    for probe in result['probes']:
        assert set(probe) == {'name', 'type', 'ok', 'latency_ms', 'attempts', 'detail'}
        assert probe['ok'] and probe['attempts'] == 1 and probe['latency_ms'] >= 0


def test_failure_names_every_unhealthy_probe(capsys, http_server, closed_port, postgres_server, redis_server):
    failed, result = call(capsys, wait=0, probes=[
        {'name': 'good', 'type': 'http', 'url': http_server + '/ok', 'use_proxy': False},
        {'name': 'status', 'type': 'http', 'url': http_server + '/error', 'use_proxy': False},
        {'name': 'body', 'type': 'http', 'url': http_server + '/ok', 'body': 'nope', 'use_proxy': False},
        {'name': 'slow', 'type': 'http', 'url': http_server + '/slow/2', 'timeout': 0.3, 'use_proxy': False},
        {'name': 'down', 'type': 'tcp', 'port': closed_port},
        {'name': 'pg-auth', 'type': 'postgres', 'port': postgres_server['port'], 'password': 'Wrong-Pg-Pass'},
        {'name': 'redis-auth', 'type': 'redis', 'port': redis_server['port'], 'password': 'Wrong-Redis-Pass'},
    ])
    assert failed
    assert result['unhealthy'] == ['status', 'body', 'slow', 'down', 'pg-auth', 'redis-auth']
    for name in result['unhealthy']:
        assert name + ' (' in result['msg']
    assert 'good (' not in result['msg']
    assert '28P01' in result['msg'] and 'WRONGPASS' in result['msg']
    # Passwords are no_log: never echoed back.
    text = json.dumps(result)
    assert 'Wrong-Pg-Pass' not in text and 'Wrong-Redis-Pass' not in text


def test_report_only(capsys, closed_port):
    failed, result = call(capsys, wait=0, fail_on_unhealthy=False, probes=[{'name': 'down', 'type': 'tcp', 'port': closed_port}])
    assert not failed
    assert result['unhealthy'] == ['down']


def test_headers_are_no_log(capsys, http_server):
    failed, result = call(capsys, wait=0, probes=[
        {'name': 'auth', 'type': 'http', 'url': http_server + '/auth', 'headers': {'apikey': 'header-secret'}, 'use_proxy': False}])
    assert not failed, result
    assert 'header-secret' not in json.dumps(result)


@pytest.mark.parametrize('probes,message', [
    ([{'name': 'a', 'type': 'tcp', 'port': 1}, {'name': 'a', 'type': 'tcp', 'port': 2}], 'used twice'),
    ([{'name': 'a', 'type': 'tcp'}], 'needs a port'),
    ([{'name': 'a', 'type': 'http', 'url': 'ftp://x'}], 'needs a url'),
    ([{'name': 'a', 'type': 'tcp', 'port': 1, 'timeout': 0}], 'timeout must be positive'),
    ([{'name': 'a', 'type': 'tcp', 'port': 0}], 'port must be 1-65535, got 0'),
    ([{'name': 'a', 'type': 'tcp', 'port': 65536}], 'port must be 1-65535, got 65536'),
    ([{'name': 'a', 'type': 'postgres', 'port': -5}], 'port must be 1-65535'),
])
def test_bad_input(capsys, probes, message):
    failed, result = call(capsys, probes=probes)
    assert failed
    assert message in result['msg']


def test_default_ports():
    probes, error = health_probe.prepare([
        {'name': 'p', 'type': 'postgres', 'port': None, 'timeout': 1},
        {'name': 'r', 'type': 'redis', 'port': None, 'timeout': 1},
    ])
    assert error is None
    assert [p['port'] for p in probes] == [5432, 6379]


def test_negative_wait_refused(capsys):
    failed, result = call(capsys, wait=-1, probes=[{'name': 'a', 'type': 'tcp', 'port': 1}])
    assert failed
    assert 'wait must be 0 or more' in result['msg']
