"""playbooks/export_compose.yml refuses bad inputs before it contacts a host, naming the variable.

The inventory's one host would be reached by SSH on 127.0.0.1 port 1, where nothing listens: a task that
contacted it would end UNREACHABLE. Good inputs get that far (the input check passed); bad ones stop before.
"""
import json
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
PLAYBOOK = os.path.join(ROOT, 'playbooks', 'export_compose.yml')


@pytest.fixture(scope='module')
def inventory(tmp_path_factory):
    path = tmp_path_factory.mktemp('export') / 'hosts.json'
    path.write_text(json.dumps({'all': {'children': {'db': {'hosts': {'db1': {
        'ansible_host': '127.0.0.1', 'ansible_port': 1, 'ansible_user': 'nobody',
        'ansible_ssh_common_args': '-o ConnectTimeout=2 -o StrictHostKeyChecking=no'}}}}}}))
    return str(path)


def _run(inventory, extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_LOG_PATH='',
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'collections'), ANSIBLE_RETRY_FILES_ENABLED='false')
    return subprocess.run(['ansible-playbook', '-i', inventory, '-e', json.dumps(extra), PLAYBOOK],
                          capture_output=True, text=True, env=env, check=False, timeout=120)


def test_good_inputs_pass_the_check(inventory):
    run = _run(inventory, {'export_compose_dest': '/root/export/stack.yml', 'export_compose_project': 'stack_2',
                           'export_compose_isolate': 'true'})
    assert run.returncode != 0
    assert 'UNREACHABLE' in run.stdout, run.stdout[-3000:]
    assert 'Nothing has been written' not in run.stdout


@pytest.mark.parametrize('extra, word', [
    ({'export_compose_dest': 'compose/docker-compose.yml'}, 'export_compose_dest'),
    ({'export_compose_dest': '/opt/supabase/compose/'}, 'export_compose_dest'),
    ({'export_compose_dest': '/opt/my stack/docker-compose.yml'}, 'export_compose_dest'),
    ({'export_compose_project': 'My Stack'}, 'export_compose_project'),
    ({'export_compose_isolate': 'maybe'}, 'export_compose_isolate'),
    ({'export_compose_container_names': 'sometimes'}, 'export_compose_container_names'),
], ids=['relative-dest', 'dest-a-directory', 'dest-with-space', 'project-name', 'isolate', 'container-names'])
def test_bad_inputs_fail_before_any_host_is_contacted(inventory, extra, word):
    run = _run(inventory, extra)
    assert run.returncode != 0
    assert 'UNREACHABLE' not in run.stdout, run.stdout[-3000:]
    assert 'Nothing has been written' in run.stdout and word in run.stdout
    # The message names what was given, so the operator sees which value is wrong.
    assert str(next(iter(extra.values()))) in run.stdout
