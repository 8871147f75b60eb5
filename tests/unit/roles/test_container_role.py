"""The internal container role, run for real with ansible-playbook against localhost, no Docker.

A stand-in community.docker collection (first on ANSIBLE_COLLECTIONS_PATH) replaces the three modules the
container role calls: docker_network and docker_container_info answer as an engine would, docker_container
writes the arguments it was given to a file. So a test sees exactly what a role's inputs turn into at the
docker_container call, and the guard against direct use runs as it does in a play.
"""
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PLAYBOOK_BIN = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')

FAKE_CONTAINER = '''#!/usr/bin/python
import json, os
from ansible.module_utils.basic import AnsibleModule
def main():
    module = AnsibleModule(argument_spec=dict(
            name=dict(type='str'), image=dict(type='str'), pull=dict(type='raw'), state=dict(type='str'),
            command=dict(type='raw'), command_handling=dict(type='str'), entrypoint=dict(type='raw'),
            env=dict(type='dict'), volumes=dict(type='list'), published_ports=dict(type='list'),
            networks=dict(type='list'), networks_cli_compatible=dict(type='bool'), network_mode=dict(type='str'),
            healthcheck=dict(type='dict'), restart_policy=dict(type='str'), memory=dict(type='str'),
            stop_signal=dict(type='str'), stop_timeout=dict(type='int'),
            memory_reservation=dict(type='str'), cpus=dict(type='float'), cpu_shares=dict(type='int'),
            ulimits=dict(type='list'), user=dict(type='str'), etc_hosts=dict(type='dict'),
            cap_drop=dict(type='list'), security_opts=dict(type='list'), log_driver=dict(type='str'),
            log_options=dict(type='dict'), labels=dict(type='dict'), comparisons=dict(type='dict'),
        ), supports_check_mode=True)
    with open(os.environ['FAKE_DOCKER_LOG'], 'a') as handle:
        handle.write(json.dumps({k: v for k, v in module.params.items() if v is not None}) + '\\n')
    state = {'Running': True}
    if os.environ.get('FAKE_DOCKER_HEALTH'):
        state['Health'] = {'Status': os.environ['FAKE_DOCKER_HEALTH'], 'Log': []}
    module.exit_json(changed=os.environ.get('FAKE_DOCKER_CHANGED', '1') == '1',
                     container={'Name': module.params['name'], 'State': state,
                     'NetworkSettings': {'Networks': {'n': {'IPAddress': '127.0.0.1'}}}})
main()
'''

FAKE_NETWORK = '''#!/usr/bin/python
import os
from ansible.module_utils.basic import AnsibleModule
module = AnsibleModule(argument_spec=dict(name=dict(type='str'), state=dict(type='str')), supports_check_mode=True)
if os.environ.get('FAKE_NETWORK_LOG'):
    with open(os.environ['FAKE_NETWORK_LOG'], 'a') as handle:
        handle.write(module.params['name'] + '\\n')
module.exit_json(changed=False, network={'Name': module.params['name']})
'''

FAKE_INFO = '''#!/usr/bin/python
import os
from ansible.module_utils.basic import AnsibleModule
module = AnsibleModule(argument_spec=dict(name=dict(type='str')), supports_check_mode=True)
if os.environ.get('FAKE_INFO_LOG'):
    with open(os.environ['FAKE_INFO_LOG'], 'a') as handle:
        handle.write(module.params['name'] + '\\n')
module.exit_json(changed=False, exists=True, container={'State': {'Health': {'Status': 'healthy', 'Log': []}}})
'''

SECRETS = {
    'supabase_postgres_password': 'unit-pg-password-not-real',
    'supabase_jwt_secret': 'unit-test-jwt-secret-0123456789abcdefghijklmnop',
}


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    base = tmp_path_factory.mktemp('container-role')
    docker = base / 'collections' / 'ansible_collections' / 'community' / 'docker'
    (docker / 'plugins' / 'modules').mkdir(parents=True)
    (docker / 'galaxy.yml').write_text('namespace: community\nname: docker\nversion: 99.0.0\n')
    (docker / 'meta').mkdir()
    (docker / 'meta' / 'runtime.yml').write_text('requires_ansible: ">=2.15"\n')
    for name, text in (('docker_container', FAKE_CONTAINER), ('docker_network', FAKE_NETWORK),
                       ('docker_container_info', FAKE_INFO)):
        (docker / 'plugins' / 'modules' / (name + '.py')).write_text(text)
    selfhost = base / 'collections' / 'ansible_collections' / 'selfhost'
    selfhost.mkdir()
    (selfhost / 'supabase').symlink_to(REPO)
    roles = base / 'roles' / 'outsider' / 'tasks'
    roles.mkdir(parents=True)
    (roles / 'main.yml').write_text(textwrap.dedent('''\
        - name: Use the internal role from a role outside the collection
          ansible.builtin.include_role:
            name: selfhost.supabase.container
          vars:
            container_name: outsider
            container_image: busybox
        '''))
    return base


def run(world, tasks, extra=None, env_extra=None):
    log = world / ('docker-%d.log' % time.monotonic_ns())
    book = world / 'play.yml'
    book.write_text(yaml.safe_dump([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]))
    env = dict(os.environ,
               ANSIBLE_COLLECTIONS_PATH=str(world / 'collections'),
               ANSIBLE_ROLES_PATH=str(world / 'roles'),
               ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'),
               ANSIBLE_NOCOLOR='1',
               FAKE_DOCKER_LOG=str(log), **(env_extra or {}))
    cmd = [PLAYBOOK_BIN, '-i', 'localhost,', '-c', 'local', str(book),
           '-e', json.dumps(dict(SECRETS, ansible_python_interpreter=sys.executable, **(extra or {})))]
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    print('ansible-playbook: %.1f s' % (time.monotonic() - start))
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return proc, calls


def include(role, tasks_from=None, **vars_):
    task = {'name': 'Include', 'ansible.builtin.include_role': {'name': role}}
    if tasks_from:
        task['ansible.builtin.include_role']['tasks_from'] = tasks_from
    if vars_:
        task['vars'] = vars_
    return task


def test_postgres_resources_reach_docker_container_and_none_pass_no_limits(world):
    # One run for both cases (each ansible-playbook run costs seconds): postgres with the seed's limits, redis
    # with none.
    resources = {'cpus': 4, 'memory': '8G', 'memory_reservation': '4G', 'cpu_shares': 2048}
    proc, calls = run(world, [include('selfhost.supabase.postgres', tasks_from='container'),
                              include('selfhost.supabase.redis', tasks_from='container')],
                      {'postgres_resources': resources, 'supabase_redis_password': 'unit-redis-password-not-real'})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert [c['name'] for c in calls] == ['supabase-db', 'supabase-redis'], calls
    db, redis = calls
    assert (db['cpus'], db['memory'], db['memory_reservation'], db['cpu_shares']) == (4.0, '8g', '4g', 2048)
    for key in ('cpus', 'memory', 'memory_reservation', 'cpu_shares'):
        assert key not in redis, redis
    # PostgreSQL gets postgres_stop_timeout for its shutdown checkpoint and keeps its image's stop signal
    # (SIGTERM is for Patroni, under postgres_ha); redis keeps Docker's defaults for both.
    assert db['stop_timeout'] == 120 and 'stop_signal' not in db, db
    assert 'stop_timeout' not in redis and 'stop_signal' not in redis, redis
    assert SECRETS['supabase_postgres_password'] not in proc.stdout


def test_a_bad_size_fails_before_the_container_naming_the_input(world):
    proc, calls = run(world, [include('selfhost.supabase.postgres', tasks_from='container')],
                      {'postgres_resources': {'memory': '8 GB'}})
    assert proc.returncode != 0
    assert calls == []
    assert 'postgres_resources' in proc.stdout and '8 GB' in proc.stdout, proc.stdout[-3000:]


def test_a_public_port_is_refused_before_the_container_naming_the_input(world):
    # The whole description is checked by one assert (container_input_problems); a redis bound on 0.0.0.0
    # without redis_allow_public_ports stops before docker_container is called.
    proc, calls = run(world, [include('selfhost.supabase.redis', tasks_from='container')],
                      {'supabase_redis_password': 'unit-redis-password-not-real', 'redis_bind_address': '0.0.0.0'})
    assert proc.returncode != 0
    assert calls == []
    assert 'container_allow_public_ports' in proc.stdout, proc.stdout[-3000:]
    assert 'unit-redis-password-not-real' not in proc.stdout


def test_the_network_is_ensured_once_per_run_and_host(world, tmp_path):
    networks = tmp_path / 'networks.log'
    proc, calls = run(world, [include('selfhost.supabase.postgres', tasks_from='container'),
                              include('selfhost.supabase.redis', tasks_from='container')],
                      {'supabase_redis_password': 'unit-redis-password-not-real'},
                      env_extra={'FAKE_NETWORK_LOG': str(networks)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert len(calls) == 2
    assert networks.read_text().splitlines() == ['supabase_default'], networks.read_text()


def test_direct_use_from_a_play_is_refused(world):
    proc, calls = run(world, [include('selfhost.supabase.container', container_name='direct', container_image='busybox')])
    assert proc.returncode != 0
    assert calls == []
    assert 'selfhost.supabase.container is internal' in proc.stdout, proc.stdout[-3000:]


def test_direct_use_from_an_outside_role_is_refused(world):
    proc, calls = run(world, [include('outsider')])
    assert proc.returncode != 0
    assert calls == []
    assert 'selfhost.supabase.container is internal' in proc.stdout
    assert 'reached from outsider' in proc.stdout


def test_a_collection_playbook_names_itself(world):
    proc, calls = run(world, [include('selfhost.supabase.container', container_name='named', container_image='busybox',
                                      __container_caller='unit test')])
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert [c['name'] for c in calls] == ['named']


def _include_role_tasks(node):
    if isinstance(node, dict):
        for key in ('ansible.builtin.include_role', 'include_role', 'ansible.builtin.import_role', 'import_role'):
            if key in node and isinstance(node[key], dict):
                yield node
        for value in node.values():
            yield from _include_role_tasks(value)
    elif isinstance(node, list):
        for value in node:
            yield from _include_role_tasks(value)


def test_every_caller_outside_the_service_roles_names_itself():
    """Static check: include_role of the container role from playbooks/ or molecule/ sets __container_caller;
    inside roles/, only roles other than container call it."""
    found = 0
    for top in ('roles', 'playbooks', 'molecule'):
        for dirpath, _dirs, files in os.walk(os.path.join(REPO, top)):
            for name in files:
                if not name.endswith(('.yml', '.yaml')):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding='utf-8') as handle:
                    try:
                        data = yaml.safe_load(handle)
                    except yaml.YAMLError:
                        continue
                for task in _include_role_tasks(data):
                    spec = task.get('ansible.builtin.include_role') or task.get('include_role') \
                        or task.get('ansible.builtin.import_role') or task.get('import_role')
                    if spec.get('name') not in ('selfhost.supabase.container', 'container'):
                        continue
                    found += 1
                    rel = os.path.relpath(path, REPO)
                    if rel.startswith('roles/'):
                        assert not rel.startswith('roles/container/'), rel
                    else:
                        assert (task.get('vars') or {}).get('__container_caller'), \
                            '%s includes the container role without __container_caller' % rel
    assert found >= 13, found


def test_functions_tree_hash_changes_with_the_tree(world, tmp_path):
    """The functions role hashes its tree with find + tree_digest: the restart token (in the config-hash label)
    changes when a function changes; files deleted at the source leave the host folder."""
    source = tmp_path / 'src'
    (source / 'hello').mkdir(parents=True)
    (source / 'hello' / 'index.ts').write_text('export default () => new Response("1")\n')
    (source / 'gone').mkdir()
    (source / 'gone' / 'index.ts').write_text('\n')
    host_dir = tmp_path / 'host'
    extra = {'functions_source_dir': str(source), 'functions_dir': str(host_dir),
             'supabase_anon_key': 'unit.anon.key', 'supabase_service_role_key': 'unit.service.key'}
    sync = [include('selfhost.supabase.functions', tasks_from='config'),
            include('selfhost.supabase.functions', tasks_from='container')]
    # One ansible-playbook run (each costs seconds): sync and run, change the tree, sync and run again.
    change = [
        {'name': 'Change a function', 'ansible.builtin.copy': {
            'dest': str(source / 'hello' / 'index.ts'), 'content': 'export default () => new Response("2")\n',
            'mode': '0644'}},
        {'name': 'Delete a function', 'ansible.builtin.file': {'path': str(source / 'gone'), 'state': 'absent'}},
        {'name': 'The first sync put it on the host',
         'ansible.builtin.stat': {'path': str(host_dir / 'gone' / 'index.ts')}, 'register': 'gone'},
        {'name': 'Check', 'ansible.builtin.assert': {'that': ['gone.stat.exists']}},
    ]
    proc, calls = run(world, sync + change + sync, extra)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert len(calls) == 2, calls
    for call in calls:
        assert call['volumes'] == ['%s:/home/deno/functions:ro' % host_dir]
    labels = [c['labels']['com.supabase.selfhost.config-hash'] for c in calls]
    # An unchanged tree keeps its digest (tests/unit/plugins/filter/test_tree_digest.py); the container role
    # recreates only on a changed label (the molecule idempotence stages).
    assert labels[0] != labels[1]
    assert (host_dir / 'main' / 'index.ts').exists()  # the role's router joins a tree without `main`
    assert (host_dir / 'hello' / 'index.ts').read_text().endswith('("2")\n')
    assert not (host_dir / 'gone' / 'index.ts').exists()


@pytest.mark.parametrize('changed, health, waited', [
    ('0', 'healthy', False),   # a no-op: unchanged and healthy, no health wait
    ('0', 'starting', True),   # unchanged but not healthy yet: waited for
    ('1', 'healthy', True),    # replaced: always waited for
])
def test_health_wait_only_when_changed_or_not_healthy(world, changed, health, waited):
    info_log = world / ('info-%d.log' % time.monotonic_ns())
    proc, calls = run(world, [include('selfhost.supabase.redis', tasks_from='container')],
                      {'supabase_redis_password': 'unit-redis-password-not-real'},
                      {'FAKE_DOCKER_CHANGED': changed, 'FAKE_DOCKER_HEALTH': health, 'FAKE_INFO_LOG': str(info_log)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert [c['name'] for c in calls] == ['supabase-redis']
    asked = info_log.read_text().split() if info_log.exists() else []
    assert ('supabase-redis' in asked) == waited, (changed, health, asked)
