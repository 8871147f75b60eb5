"""The haproxy role's preflight (tasks/preflight.yml, run for real by ansible-playbook, no host contacted): good
input passes, and each bad input fails naming its variable. One run, one host per case."""
import json
import os
import subprocess
import sys

import pytest
import yaml

from rendering import ROOT, STACK

PLAY = [{
    'hosts': 'app',
    'gather_facts': False,
    'tasks': [{'ansible.builtin.include_role': {'name': 'selfhost.supabase.haproxy', 'tasks_from': 'preflight.yml'}}],
}]

DB = {'db1': '10.0.0.11', 'db2': '10.0.0.12', 'db3': '10.0.0.13'}

# host: (its variables, words its failure must hold; None: it must pass)
HOSTS = {
    'good': ({}, None),
    'good-published': ({'haproxy_bind_address': '10.0.0.21', 'supabase_db_host': 'supabase-db'}, None),
    'public': ({'haproxy_bind_address': '0.0.0.0'}, ['publishing on haproxy_bind_address=0.0.0.0 needs haproxy_allow_public_ports']),
    'ports': ({'haproxy_read_port': 8404}, ['haproxy_write_port, haproxy_read_port and haproxy_monitor_port must be three different']),
    'write-port': ({'haproxy_write_port': 6432}, ['haproxy_write_port (6432) must be supabase_db_port (5432)']),
    'times': ({'haproxy_timeout_client': '30 minutes', 'haproxy_check_interval': '0s'},
              ['haproxy_check_interval, haproxy_timeout_client must be a time', '(got 0s, 30 minutes)']),
    'read-path': ({'haproxy_read_check_path': 'replica'}, ['haproxy_read_check_path must be a path']),
    'backends': ({'haproxy_backends': [{'name': 'db one', 'address': '10.0.0.11'}, {'name': 'db2', 'address': ' '}]},
                 ['haproxy_backends must list the database servers']),
    'balance': ({'haproxy_read_balance': 'weighted'}, ['haproxy_read_balance must be one of']),
    'bypass': ({'supabase_db_host': '10.0.0.11'},
               ['supabase_db_host is 10.0.0.11: with postgres_ha the services must reach the database through HAProxy']),
    # db1 is an app host too: its PostgreSQL container is supabase-db on the same network.
    'db1': ({}, ['db1 is also a db host', 'would give that name two containers']),
}


@pytest.fixture(scope='module')
def results(tmp_path_factory):
    base = tmp_path_factory.mktemp('haproxy-preflight')
    inventory = {'all': {
        'vars': dict(STACK, ansible_connection='local', ansible_python_interpreter=sys.executable),
        'children': {
            'db': {'hosts': {name: {'supabase_private_address': address} for name, address in DB.items()}},
            'app': {'hosts': dict((name, values) for name, (values, _words) in HOSTS.items())},
        },
    }}
    (base / 'hosts.yml').write_text(yaml.safe_dump(inventory))
    (base / 'play.yml').write_text(yaml.safe_dump(PLAY))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'collections'),
               ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_STDOUT_CALLBACK='ansible.builtin.json', ANSIBLE_LOAD_CALLBACK_PLUGINS='1')
    bindir = os.path.dirname(sys.executable)
    run = subprocess.run([os.path.join(bindir, 'ansible-playbook'), '-i', str(base / 'hosts.yml'), str(base / 'play.yml')],
                         cwd=str(base), env=env, capture_output=True, text=True, timeout=300)
    assert '{' in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]
    data = json.loads(run.stdout[run.stdout.index('{'):])
    out = {}
    for task in data['plays'][0]['tasks']:
        for host, result in task['hosts'].items():
            if result.get('failed'):
                out[host] = result.get('msg', '') + ' ' + ' '.join(result.get('problems') or [])
    return data['stats'], out


@pytest.mark.parametrize('host', sorted(HOSTS))
def test_preflight(results, host):
    stats, failures = results
    words = HOSTS[host][1]
    assert host in stats, stats
    assert stats[host].get('changed', 0) == 0 and stats[host].get('unreachable', 0) == 0, stats[host]
    if words is None:
        assert host not in failures, failures.get(host)
        return
    assert host in failures, 'the preflight of %s passed' % host
    for word in words:
        assert word in ' '.join(failures[host].split()), failures[host]
