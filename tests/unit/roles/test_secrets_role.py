"""The secrets role, run for real with ansible-playbook against localhost (no Docker).

Each ansible-playbook run takes a few seconds, so the cases share runs where they can.
"""
import os
import re
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
VENV_BIN = os.path.dirname(sys.executable)
PLAYBOOK_BIN = os.path.join(VENV_BIN, 'ansible-playbook')

sys.path.insert(0, os.path.join(REPO, 'collections'))
from ansible_collections.selfhost.supabase.plugins.module_utils import jwt as J  # noqa: E402

NAMES = [
    'supabase_postgres_password', 'supabase_jwt_secret', 'supabase_anon_key', 'supabase_service_role_key',
    'supabase_dashboard_username', 'supabase_dashboard_password', 'supabase_secret_key_base',
    'supabase_db_enc_key', 'supabase_vault_enc_key', 'supabase_pg_meta_crypto_key',
    'supabase_minio_root_user', 'supabase_minio_root_password', 'supabase_redis_password',
    'supabase_backup_cipher_pass',
]

# From shared/reference/demo-secrets.md. The dashboard user "supabase" is warn-only.
DEMO_VALUES = {
    'supabase_jwt_secret': J.DEMO_JWT_SECRET,
    'supabase_postgres_password': 'your-super-secret-and-long-postgres-password',
    'supabase_dashboard_password': 'this_password_is_insecure_and_should_be_updated',
    'supabase_secret_key_base': 'UpNVntn3cDxHJpq99YMc1T1AQgQpc8kfYTuRgBiYa15BLrx8etQoXz3gZv1/u2oq',
    'supabase_vault_enc_key': 'your-encryption-key-32-chars-min',
    'supabase_db_enc_key': 'supabaserealtime',
    'supabase_anon_key': J.DEMO_ANON_KEY,
    'supabase_service_role_key': J.DEMO_SERVICE_ROLE_KEY,
}

PLAYBOOK = """
- name: Apply the secrets role
  hosts: all
  gather_facts: false
  roles:
    - selfhost.supabase.secrets
  tasks:
    - name: Dump the facts the role set, for the test to read
      ansible.builtin.copy:
        content: "{{ dict(names | zip(names | map('extract', hostvars[inventory_hostname]))) | to_json }}"
        dest: "{{ inventory_dir }}/facts-{{ inventory_hostname }}.json"
        mode: "0600"
      vars:
        names: %s
      no_log: true
""" % NAMES


@pytest.fixture
def workdir(tmp_path):
    inv = tmp_path / 'inventory'
    inv.mkdir()
    python = sys.executable
    (inv / 'hosts.ini').write_text(
        '[all]\n'
        'localhost ansible_connection=local ansible_python_interpreter=%s\n'
        'second ansible_connection=local ansible_python_interpreter=%s\n' % (python, python))
    (tmp_path / 'play.yml').write_text(PLAYBOOK)
    return tmp_path


def run(workdir, *extra, extra_vars=None):
    cmd = [PLAYBOOK_BIN, '-i', str(workdir / 'inventory' / 'hosts.ini'), str(workdir / 'play.yml')] + list(extra)
    for key, value in (extra_vars or {}).items():
        cmd += ['-e', '%s=%s' % (key, value)]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_FORCE_COLOR='0', PATH=VENV_BIN + os.pathsep + os.environ.get('PATH', ''))
    proc = subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120, check=False)
    return proc.returncode, proc.stdout.decode('utf-8', 'replace')


def recap_changed(output, host='localhost'):
    match = re.search(r'^%s\s+: ok=\d+\s+changed=(\d+)' % host, output, re.M)
    assert match, output
    return int(match.group(1))


def facts(workdir, host='localhost'):
    return yaml.safe_load((workdir / 'inventory' / ('facts-%s.json' % host)).read_text())


def check_values(values):
    assert set(values) == set(NAMES)
    assert len(values['supabase_jwt_secret']) >= 40
    assert len(values['supabase_secret_key_base']) >= 64
    assert len(values['supabase_db_enc_key']) == 16
    assert len(values['supabase_vault_enc_key']) >= 32
    assert len(values['supabase_pg_meta_crypto_key']) >= 32
    ok, results = J.verify_key_set({'anon': values['supabase_anon_key'],
                                    'service_role': values['supabase_service_role_key']},
                                   secret=values['supabase_jwt_secret'])
    assert ok, results
    assert len(set(values.values())) == len(values)  # all different


def test_plain_file_created_reused_and_never_logged(workdir):
    secrets_file = workdir / 'inventory' / 'supabase-secrets.yml'
    rc, out = run(workdir)
    assert rc == 0, out
    assert recap_changed(out) > 0
    assert oct(secrets_file.stat().st_mode & 0o777) == '0o600'
    stored = yaml.safe_load(secrets_file.read_text())
    values = facts(workdir)
    check_values(values)
    assert stored == values
    assert facts(workdir, 'second') == values  # facts on every host of the play

    # Second run, verbose: nothing changes, same values, no secret in the output.
    rc, out = run(workdir, '-vvv')
    assert rc == 0, out
    assert recap_changed(out) == 0
    assert facts(workdir) == values
    assert yaml.safe_load(secrets_file.read_text()) == stored
    for name, value in values.items():
        assert value not in out, '%s leaked into the -vvv output' % name


def test_check_mode_writes_nothing(workdir):
    rc, out = run(workdir, '--check')
    assert rc == 0, out
    assert not (workdir / 'inventory' / 'supabase-secrets.yml').exists()
    assert recap_changed(out) > 0  # it reports the file it would write


def test_vault_mode(workdir):
    pw = workdir / 'vault-pw'
    pw.write_text('test-vault-password\n')
    secrets_file = workdir / 'inventory' / 'supabase-secrets.yml'
    rc, out = run(workdir, '-vvv', extra_vars={'secrets_vault_password_file': str(pw)})
    assert rc == 0, out
    text = secrets_file.read_text()
    assert text.startswith('$ANSIBLE_VAULT;')
    assert oct(secrets_file.stat().st_mode & 0o777) == '0o600'
    values = facts(workdir)
    check_values(values)
    for name, value in values.items():
        assert value not in text
        assert value not in out, '%s leaked into the -vvv output of a generating run' % name
    rc, out = run(workdir, extra_vars={'secrets_vault_password_file': str(pw)})
    assert rc == 0, out
    assert secrets_file.read_text() == text  # not re-encrypted
    assert facts(workdir) == values


def test_operator_values_win_and_stay_out_of_the_file(workdir):
    given = 'Operator-Postgres-Password-123'
    rc, out = run(workdir, extra_vars={'supabase_postgres_password': given})
    assert rc == 0, out
    assert facts(workdir)['supabase_postgres_password'] == given
    stored = yaml.safe_load((workdir / 'inventory' / 'supabase-secrets.yml').read_text())
    assert 'supabase_postgres_password' not in stored


def test_every_demo_value_refused(workdir):
    rc, out = run(workdir, extra_vars=DEMO_VALUES)
    assert rc != 0
    assert 'Refusing the stack secrets' in out
    for name in DEMO_VALUES:
        assert re.search(r'%s \(given\)[^;]*(demo|signature)' % name, out), name
    assert not (workdir / 'inventory' / 'supabase-secrets.yml').exists()


def test_mismatched_and_swapped_keys_refused(workdir):
    secret = 'Q' * 20 + 'w' * 20
    other = J.sign_hs256(J.api_key_claims('anon'), 'x' * 40)
    service = J.sign_hs256(J.api_key_claims('service_role'), secret)
    rc, out = run(workdir, extra_vars={'supabase_jwt_secret': secret, 'supabase_anon_key': other,
                                       'supabase_service_role_key': service, 'supabase_db_enc_key': 'short'})
    assert rc != 0
    assert 'supabase_anon_key (given): signature does not verify against the JWT secret' in out
    assert 'supabase_db_enc_key (given) must be exactly 16 characters' in out
    assert 'supabase_service_role_key (given)' not in out
    assert not (workdir / 'inventory' / 'supabase-secrets.yml').exists()
    assert secret not in out and other not in out


def test_rotation_replaces_only_the_named_values(workdir):
    rc, out = run(workdir)
    assert rc == 0, out
    before = facts(workdir)
    rc, out = run(workdir, '-e', '{"secrets_rotate": ["supabase_redis_password", "supabase_jwt_secret"]}')
    assert rc == 0, out
    after = facts(workdir)
    check_values(after)
    rotated = {'supabase_redis_password', 'supabase_jwt_secret', 'supabase_anon_key', 'supabase_service_role_key'}
    for name in NAMES:
        if name in rotated:
            assert after[name] != before[name], '%s was not rotated' % name
        else:
            assert after[name] == before[name], '%s changed but was not asked for' % name
    assert yaml.safe_load((workdir / 'inventory' / 'supabase-secrets.yml').read_text()) == after
    for value in after.values():
        assert value not in out


def test_lost_jwt_secret_brings_new_keys(workdir):
    rc, out = run(workdir)
    assert rc == 0, out
    secrets_file = workdir / 'inventory' / 'supabase-secrets.yml'
    stored = yaml.safe_load(secrets_file.read_text())
    del stored['supabase_jwt_secret']
    secrets_file.write_text(yaml.safe_dump(stored))
    rc, out = run(workdir)
    assert rc == 0, out
    after = facts(workdir)
    check_values(after)  # the keys verify against the new secret
    assert after['supabase_anon_key'] != stored['supabase_anon_key']
