"""Render each service role's container environment (vars/main.yml) with Ansible's Templar and check
it against docs/components/<role>.md: every documented variable is set, from the documented source."""
import re
import urllib.parse

import pytest

from rendering import STACK, render_var
from doctables import expectations, table

ENVS = {
    'kong': ['__kong_env'],
    'gotrue': ['__gotrue_env', '__gotrue_provider_env'],
    'postgrest': ['__postgrest_env'],
    'realtime': ['__realtime_env', '__realtime_redis_env'],
    'storage': ['__storage_env', '__storage_backend_env.s3', '__storage_imgproxy_env'],
    'functions': ['__functions_env'],
    'meta': ['__meta_env'],
    'studio': ['__studio_env'],
}


def env(role, **overrides):
    out = {}
    for var in ENVS[role]:
        out.update(render_var(role, var, **overrides))
    return out


@pytest.mark.parametrize('role', sorted(ENVS))
def test_every_value_is_a_string(role):
    assert all(isinstance(v, str) for v in env(role).values())


@pytest.mark.parametrize('role', sorted(ENVS))
def test_documented_table_matches(role):
    rendered = env(role)
    for var, expected in expectations(role, STACK):
        assert var in rendered, var
        if expected is not None:
            assert rendered[var] == expected, var
    documented = {var for var, _ in table(role)}
    undocumented = {k for k in rendered if k not in documented and not re.match(r'GOTRUE_EXTERNAL_[A-Z]+_(CLIENT_ID|SECRET|REDIRECT_URI|URL)$', k)}
    assert not undocumented, 'not in docs/components/%s.md: %s' % (role, sorted(undocumented))


def test_db_urls_name_the_right_roles():
    password = urllib.parse.quote(STACK['supabase_postgres_password'], safe='')
    assert env('gotrue')['GOTRUE_DB_DATABASE_URL'] == 'postgres://supabase_auth_admin:%s@supabase-db:5432/postgres' % password
    assert env('postgrest')['PGRST_DB_URI'] == 'postgres://authenticator:%s@supabase-db:5432/postgres' % password
    assert env('storage')['DATABASE_URL'] == 'postgres://supabase_storage_admin:%s@supabase-db:5432/postgres' % password
    assert env('functions')['SUPABASE_DB_URL'] == 'postgresql://postgres:%s@supabase-db:5432/postgres' % password


def test_password_is_url_encoded():
    url = env('postgrest', supabase_postgres_password='a/b@c:d')['PGRST_DB_URI']
    assert url.startswith('postgres://authenticator:a%2Fb%40c%3Ad@')


def test_gotrue_providers():
    rendered = env('gotrue', gotrue_external_providers=[
        {'name': 'github', 'client_id': 'id1', 'secret': 's1'},
        {'name': 'azure', 'client_id': 'id2', 'secret': 's2', 'url': 'https://login.microsoftonline.com/t'},
        {'name': 'slack', 'enabled': False}])
    callback = STACK['supabase_public_url'] + '/auth/v1/callback'
    assert rendered['GOTRUE_EXTERNAL_GITHUB_ENABLED'] == 'true'
    assert rendered['GOTRUE_EXTERNAL_GITHUB_REDIRECT_URI'] == callback
    assert rendered['GOTRUE_EXTERNAL_AZURE_URL'] == 'https://login.microsoftonline.com/t'
    assert rendered['GOTRUE_EXTERNAL_SLACK_ENABLED'] == 'false'
    assert rendered['GOTRUE_EXTERNAL_GOOGLE_ENABLED'] == 'false'
    assert 'GOTRUE_EXTERNAL_GOOGLE_CLIENT_ID' not in rendered


def test_storage_file_backend_and_imgproxy():
    assert render_var('storage', '__storage_backend_env.file') == {'FILE_STORAGE_BACKEND_PATH': '/var/lib/storage'}
    assert render_var('storage', '__storage_volumes', storage_backend='file') == ['storage_data:/var/lib/storage']
    assert render_var('storage', '__storage_imgproxy_env', storage_image_transformation=True) == {
        'IMGPROXY_URL': 'http://supabase-imgproxy:5001'}


@pytest.mark.parametrize('role,port', [('gotrue', 9999), ('postgrest', 3000), ('realtime', 4000), ('storage', 5000),
                                       ('functions', 9000), ('meta', 8080), ('studio', 3000)])
def test_bind_address_publishes_the_service_port(role, port):
    assert render_var(role, '__%s_ports' % role) == []
    assert render_var(role, '__%s_ports' % role, **{role + '_bind_address': '10.0.0.5'}) == [
        {'container_port': port, 'host_ip': '10.0.0.5'}]


FLEET = {'groups': {'db': ['db1'], 'app': ['app1', 'app2'], 'edge': ['edge1']},
         'hostvars': {'db1': {'supabase_private_address': '10.0.0.10'}}}


def test_storage_uses_the_bucket_minio_creates():
    assert env('storage')['GLOBAL_S3_BUCKET'] == render_var('minio', 'minio_bucket') == 'supabase-storage'
    assert env('storage', supabase_storage_bucket='media')['GLOBAL_S3_BUCKET'] == 'media'
    assert render_var('minio', 'minio_bucket', supabase_storage_bucket='media') == 'media'


def test_data_tier_by_docker_name_on_the_db_host():
    assert env('storage', inventory_hostname='db1', **FLEET)['GLOBAL_S3_ENDPOINT'] == 'http://supabase-minio:9000'
    assert env('realtime', inventory_hostname='db1', **FLEET)['REDIS_HOST'] == 'supabase-redis'
    assert env('storage')['GLOBAL_S3_ENDPOINT'] == 'http://supabase-minio:9000'


def test_data_tier_by_private_address_from_an_app_host():
    assert env('storage', inventory_hostname='app1', **FLEET)['GLOBAL_S3_ENDPOINT'] == 'http://10.0.0.10:9000'
    realtime = env('realtime', inventory_hostname='app2', **FLEET)
    assert realtime['REDIS_HOST'] == '10.0.0.10'
    assert realtime['REDIS_PASSWORD'] == STACK['supabase_redis_password']


def test_db_host_publishes_redis_and_minio_on_its_private_address_for_app_hosts():
    fleet = dict(FLEET, inventory_hostname='db1', supabase_private_address='10.0.0.10')
    assert render_var('redis', 'redis_bind_address', **fleet) == '10.0.0.10'
    assert render_var('minio', 'minio_bind_address', **fleet) == '10.0.0.10'
    # One host: nothing leaves loopback / the stack network.
    one = {'groups': {'db': ['h'], 'app': ['h'], 'edge': ['h']}, 'inventory_hostname': 'h', 'supabase_private_address': '10.0.0.5'}
    # An empty redis_bind_address publishes nothing (the one rule of every role).
    assert render_var('redis', 'redis_bind_address', **one) == ''
    assert render_var('minio', 'minio_console_bind_address', **one) == ''
    assert render_var('minio', 'minio_bind_address', **one) == '127.0.0.1'
