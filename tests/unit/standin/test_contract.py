"""Environment contract of every stand-in: the roles' rendered env passes; each broken rule fails naming the key."""
import pytest

import contract
from standin_envs import ANON_KEY, JWT_SECRET, SERVICE_KEY, rendered_env

OTHER_SECRET = 'another-secret-of-enough-length-0123456789'
WRONG_SIGNED_ANON = contract.sign_hs256({'role': 'anon', 'exp': 4102444800}, OTHER_SECRET)
EXPIRED_ANON = contract.sign_hs256({'role': 'anon', 'exp': 1000}, JWT_SECRET)


@pytest.mark.parametrize('component', contract.COMPONENTS)
def test_the_roles_rendered_env_passes(component):
    env = rendered_env(component)
    assert contract.check_env(component, env) == []


def test_storage_file_backend_and_imgproxy_pass():
    env = rendered_env('storage', storage_backend='file', storage_image_transformation=True)
    assert 'FILE_STORAGE_BACKEND_PATH' in env and 'IMGPROXY_URL' in env
    assert contract.check_env('storage', env) == []


def test_gotrue_enabled_provider_passes():
    env = rendered_env('gotrue', gotrue_external_providers=[{'name': 'github', 'client_id': 'id', 'secret': 's'}])
    assert env['GOTRUE_EXTERNAL_GITHUB_ENABLED'] == 'true'
    assert contract.check_env('gotrue', env) == []


DELETE = object()

# component, key, new value (DELETE removes it), words the reason must contain
BROKEN = [
    ('gotrue', 'GOTRUE_JWT_SECRET', 'short-secret', 'shorter than 32 characters'),
    ('gotrue', 'GOTRUE_JWT_SECRET', DELETE, 'missing'),
    ('gotrue', 'GOTRUE_DB_DATABASE_URL', 'mysql://u:p@h/db', 'scheme'),
    ('gotrue', 'GOTRUE_DB_DATABASE_URL', 'postgres://supabase_auth_admin@db:5432/postgres', 'no password'),
    ('gotrue', 'GOTRUE_DB_DATABASE_URL', 'postgres://u:p@db:54x2/postgres', 'port is not a number'),
    ('gotrue', 'GOTRUE_DB_DATABASE_URL', 'postgres://u:p@db:5432/', 'no database name'),
    ('gotrue', 'GOTRUE_DB_DATABASE_URL', 'postgres://u:pa/ss@db:5432/postgres', ''),
    ('gotrue', 'GOTRUE_API_PORT', '99x', 'not a port number'),
    ('gotrue', 'GOTRUE_SITE_URL', 'not a url', 'scheme'),
    ('gotrue', 'API_EXTERNAL_URL', DELETE, 'missing'),
    ('gotrue', 'GOTRUE_DISABLE_SIGNUP', 'yes', 'not true or false'),
    ('gotrue', 'GOTRUE_DB_DRIVER', 'mysql', 'must be postgres'),
    ('gotrue', 'GOTRUE_JWT_EXP', 'soon', 'not an integer'),
    ('gotrue', 'GOTRUE_SMTP_PORT', 'smtp', 'not a port number'),
    ('postgrest', 'PGRST_DB_URI', DELETE, 'missing'),
    ('postgrest', 'PGRST_JWT_SECRET', 'x' * 31, 'shorter than 32 characters'),
    ('postgrest', 'PGRST_APP_SETTINGS_JWT_SECRET', OTHER_SECRET, 'differs from PGRST_JWT_SECRET'),
    ('postgrest', 'PGRST_DB_SCHEMAS', 'public,bad schema', 'not a valid name'),
    ('postgrest', 'PGRST_DB_ANON_ROLE', '', 'empty'),
    ('postgrest', 'PGRST_DB_MAX_ROWS', 'many', 'not an integer'),
    ('realtime', 'DB_PORT', 'five', 'not a port number'),
    ('realtime', 'DB_PASSWORD', DELETE, 'missing'),
    ('realtime', 'DB_ENC_KEY', 'too-short', 'exactly 16 characters'),
    ('realtime', 'API_JWT_SECRET', 'tiny-secret', 'shorter than 32 characters'),
    ('realtime', 'SECRET_KEY_BASE', 'k' * 63, 'shorter than 64 characters'),
    ('realtime', 'REDIS_HOST', DELETE, 'missing'),
    ('realtime', 'REDIS_PORT', '6379x', 'not a port number'),
    ('realtime', 'REPLICATION_MODE', 'FAST', 'must be one of'),
    ('storage', 'ANON_KEY', WRONG_SIGNED_ANON, 'signature does not verify'),
    ('storage', 'ANON_KEY', EXPIRED_ANON, 'expired'),
    ('storage', 'ANON_KEY', SERVICE_KEY, 'role claim is not anon'),
    ('storage', 'SERVICE_KEY', ANON_KEY, 'role claim is not service_role'),
    ('storage', 'SERVICE_KEY', 'unit.service.key', 'not a JWT'),
    ('storage', 'GLOBAL_S3_BUCKET', 'Bad_Bucket', 'not a valid S3 bucket name'),
    ('storage', 'GLOBAL_S3_ENDPOINT', 'supabase-minio:9000', 'scheme'),
    ('storage', 'STORAGE_BACKEND', 'gcs', 'must be one of'),
    ('storage', 'AWS_SECRET_ACCESS_KEY', DELETE, 'missing'),
    ('storage', 'DATABASE_URL', 'postgres://db:5432/postgres', 'no user'),
    ('storage', 'FILE_SIZE_LIMIT', '50MB', 'not an integer'),
    ('studio', 'STUDIO_PG_META_URL', DELETE, 'missing'),
    ('studio', 'SUPABASE_SERVICE_KEY', WRONG_SIGNED_ANON, 'signature does not verify'),
    ('studio', 'SUPABASE_ANON_KEY', SERVICE_KEY, 'role claim is not anon'),
    ('studio', 'AUTH_JWT_SECRET', 'tiny-secret', 'shorter than 32 characters'),
    ('studio', 'SUPABASE_URL', 'ftp://gateway', 'scheme'),
    ('functions', 'SUPABASE_DB_URL', 'postgresql://postgres@db/postgres', 'no password'),
    ('functions', 'SUPABASE_ANON_KEY', WRONG_SIGNED_ANON, 'signature does not verify'),
    ('functions', 'JWT_SECRET', DELETE, 'missing'),
    ('functions', 'VERIFY_JWT', 'maybe', 'not true or false'),
    ('kong', 'KONG_DATABASE', 'postgres', 'must be off'),
    ('kong', 'KONG_DECLARATIVE_CONFIG', 'kong.yml', 'not an absolute path'),
    ('kong', 'KONG_PLUGINS', '', 'empty'),
    ('kong', 'KONG_NGINX_PROXY_PROXY_BUFFERS', '64', 'not "<number> <size>"'),
]


@pytest.mark.parametrize('component,key,value,reason', BROKEN, ids=['%s-%s-%d' % (c, k, i) for i, (c, k, _v, _r) in enumerate(BROKEN)])
def test_a_broken_rule_names_the_key(component, key, value, reason):
    env = rendered_env(component)
    assert contract.check_env(component, env) == []
    if value is DELETE:
        del env[key]
    else:
        env[key] = value
    problems = contract.check_env(component, env)
    assert problems, 'no problem found for %s' % key
    assert problems[0].key == key
    assert str(problems[0]).startswith(key + ': ')
    assert reason in problems[0].reason
    # A message never carries a value.
    if value is not DELETE and len(value) > 3:
        assert value not in str(problems[0])


def test_unknown_component():
    problems = contract.check_env('minio', {})
    assert [p.key for p in problems] == ['STANDIN_COMPONENT']


def test_every_problem_is_reported():
    env = rendered_env('gotrue')
    env['GOTRUE_JWT_SECRET'] = 'tiny-secret'
    del env['GOTRUE_SITE_URL']
    assert [p.key for p in contract.check_env('gotrue', env)] == ['GOTRUE_SITE_URL', 'GOTRUE_JWT_SECRET']


def test_jwt_verification():
    claims = contract.verify_hs256(ANON_KEY, JWT_SECRET)
    assert claims['role'] == 'anon'
    for token, secret, reason in [
            (ANON_KEY, OTHER_SECRET, 'signature'), ('a.b', JWT_SECRET, 'three'), (EXPIRED_ANON, JWT_SECRET, 'expired'),
            (ANON_KEY[:-2] + 'xx', JWT_SECRET, 'signature')]:
        with pytest.raises(ValueError, match=reason):
            contract.verify_hs256(token, secret)
    none_alg = ANON_KEY.replace(ANON_KEY.split('.')[0], 'eyJhbGciOiJub25lIn0')
    with pytest.raises(ValueError, match='HS256'):
        contract.verify_hs256(none_alg, JWT_SECRET)


def test_functions_main_service():
    assert contract.check_main_service(['start']) is None
    missing = contract.check_main_service(['start', '--main-service', '/x'], exists=lambda p: False)
    assert missing.key == '--main-service' and 'does not exist' in missing.reason
    empty = contract.check_main_service(['start', '--main-service', '/x'], exists=lambda p: True, listdir=lambda p: ['a.ts'])
    assert 'no index.ts' in empty.reason
    assert contract.check_main_service(['start', '--main-service', '/x'], exists=lambda p: True,
                                       listdir=lambda p: ['index.ts']) is None


def test_scrubber_hides_secrets_and_url_credentials():
    env = rendered_env('gotrue')
    scrub = contract.scrubber(env)
    text = 'failed for %s with %s at %s' % (env['GOTRUE_JWT_SECRET'], env['GOTRUE_SMTP_PASS'], env['GOTRUE_DB_DATABASE_URL'])
    out = scrub(text)
    assert env['GOTRUE_JWT_SECRET'] not in out and '<GOTRUE_JWT_SECRET>' in out
    assert 'unit-pg-password' not in out
    assert 'supabase_auth_admin' not in scrub('password authentication failed for user "supabase_auth_admin"')


def test_contract_keys_and_hashes():
    env = rendered_env('storage')
    keys = contract.contract_keys('storage', env)
    assert 'GLOBAL_S3_BUCKET' in keys and 'AWS_SECRET_ACCESS_KEY' in keys
    hashes = contract.value_hashes(env, keys)
    import hashlib
    assert hashes['GLOBAL_S3_BUCKET'] == hashlib.sha256(env['GLOBAL_S3_BUCKET'].encode()).hexdigest()
