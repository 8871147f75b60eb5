"""Verify the `services` scenario.

Every component except postgres-meta runs here as the STAND-IN image (selfhost-supabase/standin),
which is not the component: the tests of those are WIRING checks against a stand-in, made with
`docker inspect` (environment and where each value comes from, DB roles in URLs, mounted files,
health check, restart policy, published ports). postgres-meta is the REAL program (npm 0.64.6) on a
real PostgreSQL 15: its tests call its API.
"""
import json
import os
import sys
import urllib.parse

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'unit', 'templates'))
from doctables import expectations  # noqa: E402  (shared with the unit tests)

with open(os.path.join(HERE, '..', 'molecule.yml'), encoding='utf-8') as _fh:
    GIVEN = yaml.safe_load(_fh)['provisioner']['inventory']['group_vars']['all']

CONTAINERS = {
    'kong': 'supabase-kong', 'gotrue': 'supabase-auth', 'postgrest': 'supabase-rest',
    'realtime': 'supabase-realtime', 'storage': 'supabase-storage', 'functions': 'supabase-edge-functions',
    'meta': 'supabase-meta', 'studio': 'supabase-studio',
}
STANDINS = [r for r in CONTAINERS if r != 'meta']


def inspect(host, name):
    return json.loads(host.check_output('docker inspect %s' % name))[0]


def env_of(host, name):
    return dict(item.split('=', 1) for item in inspect(host, name)['Config']['Env'])


def pw():
    return urllib.parse.quote(GIVEN['supabase_postgres_password'], safe='')


@pytest.mark.parametrize('role', sorted(CONTAINERS))
def test_running_healthy_restart_policy(host, role):
    """Wiring: running, health check defined (postgrest: none by design), unless-stopped, stack network."""
    data = inspect(host, CONTAINERS[role])
    assert data['State']['Running']
    assert data['HostConfig']['RestartPolicy']['Name'] == 'unless-stopped'
    assert 'supabase_default' in data['NetworkSettings']['Networks']
    assert data['Config']['Labels']['com.supabase.selfhost.managed'] == 'true'
    if role == 'postgrest':
        assert not data['Config'].get('Healthcheck'), 'postgrest image has no shell: no health check expected'
    else:
        assert data['Config']['Healthcheck']['Test'][0] in ('CMD', 'CMD-SHELL')
        assert data['State']['Health']['Status'] == 'healthy'


@pytest.mark.parametrize('role', STANDINS)
def test_standin_is_labelled(host, role):
    """These containers are stand-ins: the checks below are wiring checks only."""
    assert inspect(host, CONTAINERS[role])['Config']['Labels'].get('selfhost.standin') == 'true'


@pytest.mark.parametrize('role', sorted(CONTAINERS))
def test_env_matches_the_documented_table(host, role):
    """Wiring: every variable in docs/components/<role>.md is set, and secret-derived ones equal the secret."""
    env = env_of(host, CONTAINERS[role])
    rows = expectations(role, GIVEN)
    assert rows, 'docs/components/%s.md has no table' % role
    for var, expected in rows:
        assert var in env, '%s missing from %s' % (var, role)
        if expected is not None:
            assert env[var] == expected, '%s is not set from its documented source' % var


def test_db_urls_use_the_right_roles(host):
    """Wiring: each DB URL logs in as the role components.md names, with the given password."""
    expect = {
        ('supabase-auth', 'GOTRUE_DB_DATABASE_URL'): 'postgres://supabase_auth_admin:%s@supabase-db:5432/postgres',
        ('supabase-rest', 'PGRST_DB_URI'): 'postgres://authenticator:%s@supabase-db:5432/postgres',
        ('supabase-storage', 'DATABASE_URL'): 'postgres://supabase_storage_admin:%s@supabase-db:5432/postgres',
        ('supabase-edge-functions', 'SUPABASE_DB_URL'): 'postgresql://postgres:%s@supabase-db:5432/postgres',
    }
    for (name, var), url in expect.items():
        assert env_of(host, name)[var] == url % pw(), var
    assert env_of(host, 'supabase-realtime')['DB_USER'] == 'supabase_admin'
    assert env_of(host, 'supabase-meta')['PG_META_DB_USER'] == 'supabase_admin'


def test_gotrue_providers_and_urls(host):
    """Wiring: OAuth providers from the list, callback from supabase_public_url, SMTP and URLs."""
    env = env_of(host, 'supabase-auth')
    callback = GIVEN['supabase_public_url'] + '/auth/v1/callback'
    assert env['GOTRUE_EXTERNAL_GITHUB_ENABLED'] == 'true'
    assert env['GOTRUE_EXTERNAL_GITHUB_CLIENT_ID'] == 'mol-github-id'
    assert env['GOTRUE_EXTERNAL_GITHUB_SECRET'] == 'mol-github-secret'
    assert env['GOTRUE_EXTERNAL_GITHUB_REDIRECT_URI'] == callback
    assert env['GOTRUE_EXTERNAL_GOOGLE_ENABLED'] == 'false'
    for provider in ('gitlab', 'bitbucket', 'azure', 'facebook', 'twitter', 'discord', 'twitch', 'slack'):
        assert env['GOTRUE_EXTERNAL_%s_ENABLED' % provider.upper()] == 'false'
    assert env['GOTRUE_SMTP_PASS'] == 'mol-smtp-pass-6Yh1Nc4Vb8'
    assert env['GOTRUE_URI_ALLOW_LIST'] == 'https://app.molecule.test/welcome'
    assert env['GOTRUE_SITE_URL'] == GIVEN['supabase_site_url']
    assert env['API_EXTERNAL_URL'] == GIVEN['supabase_public_url']


def test_realtime_tenant_alias(host):
    """Wiring: the tenant DNS name Kong uses resolves to the realtime container."""
    aliases = inspect(host, 'supabase-realtime')['NetworkSettings']['Networks']['supabase_default']['Aliases'] or []
    assert 'realtime-dev.supabase-realtime' in aliases


def test_kong_ports_config_and_file_mode(host):
    """Wiring: 8000/8443 published on 127.0.0.1 only, kong.yml mounted read-only, 0600 on the host."""
    data = inspect(host, 'supabase-kong')
    ports = data['HostConfig']['PortBindings']
    assert ports == {'8000/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '8000'}],
                     '8443/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '8443'}]}
    mounts = {m['Destination']: m for m in data['Mounts']}
    assert mounts['/home/kong/kong.yml']['Source'] == '/opt/supabase/kong/kong.yml'
    assert mounts['/home/kong/kong.yml']['RW'] is False
    conf = host.file('/opt/supabase/kong/kong.yml')
    assert conf.mode == 0o600
    config = json.loads(conf.content_string)
    keys = {c['username']: c.get('keyauth_credentials') for c in config['consumers']}
    assert keys['anon'] == [{'key': GIVEN['supabase_anon_key']}]
    assert keys['service_role'] == [{'key': GIVEN['supabase_service_role_key']}]
    assert host.socket('tcp://127.0.0.1:8000').is_listening
    assert not host.socket('tcp://0.0.0.0:8000').is_listening


@pytest.mark.parametrize('role', [r for r in CONTAINERS if r not in ('kong', 'meta')])
def test_no_other_published_ports(host, role):
    """Wiring: nothing else publishes a port (the scenario publishes only meta, with meta_bind_address)."""
    assert not inspect(host, CONTAINERS[role])['HostConfig']['PortBindings']


def test_functions_synced_and_mounted(host):
    """Wiring: functions from the controller plus the role's main router, mounted, command as upstream."""
    data = inspect(host, 'supabase-edge-functions')
    assert data['Config']['Cmd'] == ['start', '--main-service', '/home/deno/functions/main']
    mounts = {m['Destination']: m for m in data['Mounts']}
    assert mounts['/home/deno/functions']['Source'] == '/opt/supabase/functions'
    for path in ('main/index.ts', 'hello/index.ts', 'echo/index.ts'):
        assert host.file('/opt/supabase/functions/' + path).is_file
    listing = host.check_output('docker exec supabase-edge-functions ls /home/deno/functions')
    assert set(listing.split()) == {'main', 'hello', 'echo'}
    assert env_of(host, 'supabase-edge-functions')['VERIFY_JWT'] == 'true'


def test_storage_backend_is_minio(host):
    """Wiring: S3 on MinIO with the MinIO root credentials, 50 MiB limit, transformation off."""
    env = env_of(host, 'supabase-storage')
    assert env['STORAGE_BACKEND'] == 's3'
    assert env['GLOBAL_S3_ENDPOINT'] == 'http://supabase-minio:9000'
    assert env['AWS_ACCESS_KEY_ID'] == GIVEN['supabase_minio_root_user']
    assert env['AWS_SECRET_ACCESS_KEY'] == GIVEN['supabase_minio_root_password']
    assert env['FILE_SIZE_LIMIT'] == '52428800'
    assert env['ENABLE_IMAGE_TRANSFORMATION'] == 'false'
    assert 'IMGPROXY_URL' not in env


def _meta(host, path):
    ip = inspect(host, 'supabase-meta')['NetworkSettings']['Networks']['supabase_default']['IPAddress']
    return json.loads(host.check_output('curl -fsS http://%s:8080%s' % (ip, path)))


def test_meta_real_api_health(host):
    """REAL: postgres-meta answers /health."""
    assert _meta(host, '/health')['date']


def test_meta_real_api_schemas_and_tables(host):
    """REAL: postgres-meta reads the schemas and tables the postgres role's bootstrap created."""
    schemas = {s['name']: s['owner'] for s in _meta(host, '/schemas')}
    assert schemas.get('auth') == 'supabase_auth_admin'
    assert schemas.get('storage') == 'supabase_storage_admin'
    assert '_realtime' in schemas and 'supabase_functions' in schemas
    tables = _meta(host, '/tables?included_schemas=supabase_functions')
    hooks = [t for t in tables if t['schema'] == 'supabase_functions' and t['name'] == 'hooks']
    assert hooks, tables
    assert 'hook_table_id' in [c['name'] for c in hooks[0]['columns']]


def test_meta_real_api_on_the_published_port(host):
    """REAL: meta_bind_address publishes 8080 on 127.0.0.1 only, and the API answers there."""
    assert inspect(host, 'supabase-meta')['HostConfig']['PortBindings'] == {
        '8080/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '8080'}]}
    tables = json.loads(host.check_output(
        'curl -fsS "http://127.0.0.1:8080/tables?included_schemas=supabase_functions"'))
    assert 'hooks' in [t['name'] for t in tables]


def test_meta_real_api_through_the_stack_network(host):
    """REAL: another container on the stack network reaches meta by its DNS name."""
    out = host.check_output(
        'docker exec supabase-studio python3 -c "import urllib.request;'
        "print(urllib.request.urlopen('http://supabase-meta:8080/health').status)\"")
    assert out.strip() == '200'


def test_no_secret_in_kong_container_logs(host):
    """The stand-in logs requests only; no key leaks from the config."""
    logs = host.run('docker logs supabase-kong').stdout + host.run('docker logs supabase-kong').stderr
    assert GIVEN['supabase_service_role_key'] not in logs
