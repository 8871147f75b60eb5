"""A role run alone (include_role in the operator's own playbook, no validation phase) refuses bad input
before it contacts the host, naming the operator's variable:

- a secret the role reads directly (supabase_jwt_secret, ...) is `required` in its argument spec, so
  Ansible's own argument validation (the role's first task, tagged always, no connection) names what is
  missing; the roles no longer check that these exist by hand;
- an old, renamed input (RENAMED_VARIABLES in plugins/filter/validation.py) is refused by the role's
  preflight (the validate_inputs action, no connection), naming the old and the new variable.

The hosts would be reached by SSH on 127.0.0.1 port 1, where nothing listens: a task that contacted a
host would end UNREACHABLE.
"""

import os
import re
import subprocess

import pytest
import yaml

import test_bad_inputs as B  # the same inventory, environment and output parsing (tests/unit/playbooks)

PLAYBOOK = [{
    'name': 'Run one role alone, as an operator would in their own repository',
    'hosts': 'all:!localhost',
    'gather_facts': False,
    'tasks': [{'name': 'Run the role under test', 'ansible.builtin.include_role': {
        'name': 'selfhost.supabase.{{ role_under_test }}'}}],
}]

SECRET = 'Alone-Secret-Value-0123456789abcdefghij'

# host: (its variables, words its failure must hold, words it must not hold)
HOSTS = {
    'app1': ({'role_under_test': 'postgrest'},
             ['argument_errors', 'missing required arguments: supabase_jwt_secret, supabase_postgres_password'], []),
    'app2': ({'role_under_test': 'kong', 'supabase_anon_key': SECRET},
             ['missing required arguments', 'supabase_dashboard_password', 'supabase_dashboard_username',
              'supabase_service_role_key'], ['supabase_anon_key', SECRET]),
    'app3': ({'role_under_test': 'realtime'},
             ['missing required arguments: supabase_anon_key, supabase_db_enc_key, supabase_jwt_secret,'
              ' supabase_postgres_password, supabase_secret_key_base'], []),
    'db1': ({'role_under_test': 'redis', 'supabase_redis_password': SECRET, 'redis_healthcheck_timeout': 30,
             'redis_allow_public_bind': True},
            ['redis_healthcheck_timeout was renamed to redis_wait_timeout',
             'redis_allow_public_bind was renamed to redis_allow_public_ports'], [SECRET]),
    'db2': ({'role_under_test': 'minio', 'supabase_minio_root_user': 'minioalone', 'supabase_minio_root_password': SECRET,
             'minio_publish_console': True},
            ['minio_publish_console was renamed to minio_console_bind_address', '"" (the default) publishes nothing'],
            [SECRET]),
}


@pytest.fixture(scope='module')
def outcome(tmp_path_factory):
    base = tmp_path_factory.mktemp('role-alone')
    inventory = {'all': {
        'vars': dict(B.HOSTS['all']['vars']),
        'hosts': dict(B.HOSTS['all']['hosts'], **dict((h, v[0]) for h, v in HOSTS.items())),
    }}
    (base / 'hosts.yml').write_text(yaml.safe_dump(inventory))
    (base / 'play.yml').write_text(yaml.safe_dump(PLAYBOOK, sort_keys=False))
    run = subprocess.run(['ansible-playbook', '-i', str(base / 'hosts.yml'), str(base / 'play.yml')],
                         capture_output=True, text=True, env=B._env(), check=False, timeout=600)
    return run.returncode, run.stdout + run.stderr


def test_no_host_was_contacted_or_changed(outcome):
    rc, out = outcome
    assert rc != 0, out[-3000:]
    assert 'UNREACHABLE' not in out and 'Failed to connect' not in out, out[-3000:]
    recap = B._recap(out)
    assert set(HOSTS) <= set(recap), out[-2000:]
    for name, counts in recap.items():
        assert counts.get('changed', 0) == 0 and counts.get('failed', 0) == (1 if name in HOSTS else 0), (name, counts)


@pytest.mark.parametrize('host', sorted(HOSTS))
def test_the_failure_names_the_variable(outcome, host):
    _rc, out = outcome
    where = re.sub(r'\s+', ' ', B._host_failures(out, host))
    assert where, 'no failure for %s:\n%s' % (host, out[-4000:])
    # Ansible's argument validation appends the whole spec (names and descriptions, no values): not searched.
    where = where.split(' argument_spec_data:', 1)[0]
    for word in HOSTS[host][1]:
        assert word in where, 'the failure of %s does not name %r:\n%s' % (host, word, where[:3000])
    for word in HOSTS[host][2]:
        assert word not in where, 'the failure of %s shows %r:\n%s' % (host, word, where[:3000])
    assert SECRET not in out
