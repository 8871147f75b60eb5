"""Bad input fails in preflight, before any container changes, with a message naming the variable.

Runs each role's tasks/preflight.yml for real (ansible-playbook against localhost, no Docker).
"""
import json
import os
import subprocess
import sys

import pytest

from rendering import ROOT, STACK

PLAY = '''
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: selfhost.supabase.{role}
        tasks_from: preflight.yml
'''


def run(tmp_path, role, **extra):
    play = tmp_path / 'play.yml'
    play.write_text(PLAY.format(role=role))
    variables = tmp_path / 'vars.json'
    variables.write_text(json.dumps(dict(STACK, supabase_jwt_secret='x' * 40, **extra)))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'collections'),
               ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    bindir = os.path.dirname(sys.executable)
    return subprocess.run([os.path.join(bindir, 'ansible-playbook'), '-i', 'localhost,', str(play), '-e', '@%s' % variables],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120)


CASES = [
    ('gotrue', {'gotrue_external_providers': [{'name': 'myspace', 'client_id': 'a', 'secret': 'b'}]},
     'gotrue_external_providers: unknown provider name(s) myspace'),
    ('gotrue', {'gotrue_external_providers': [{'name': 'github', 'secret': 'b'}]},
     'gotrue_external_providers: github enabled without client_id'),
    ('kong', {'kong_rate_limits': {'anon': {'minute': -5}}}, 'kong_rate_limits must map'),
    ('kong', {'kong_rate_limits': {'anon': {'minute': 'lots'}}}, 'kong_rate_limits must map'),
    ('kong', {'kong_rate_limits': {'anon': {'fortnight': 5}}}, 'kong_rate_limits must map'),
    ('functions', {'functions_source_dir': '/nonexistent/functions'}, 'functions_source_dir: /nonexistent/functions is not a folder'),
    ('realtime', {'supabase_db_enc_key': 'short'}, 'supabase_db_enc_key (exactly 16 characters)'),
    # the role's argument spec (checked first by its preflight) refuses it
    ('storage', {'storage_backend': 'ftp'}, 'value of storage_backend must be one of: s3, file, got: ftp'),
]


@pytest.mark.parametrize('role,extra,message', CASES, ids=[c[2][:40] for c in CASES])
def test_bad_input_fails_in_preflight(tmp_path, role, extra, message):
    result = run(tmp_path, role, **extra)
    assert result.returncode != 0, result.stdout
    assert message in result.stdout, result.stdout[-2000:]


@pytest.mark.parametrize('role', ['kong', 'gotrue', 'postgrest', 'realtime', 'storage', 'functions', 'meta', 'studio'])
def test_good_input_passes(tmp_path, role):
    result = run(tmp_path, role, gotrue_external_providers=[{'name': 'github', 'client_id': 'a', 'secret': 'b'}])
    assert result.returncode == 0, result.stdout[-3000:]
    assert 'unit-pg-password' not in result.stdout
