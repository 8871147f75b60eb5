"""Dependency checks against real servers: PostgreSQL 15, Redis, the offline S3 server (moto + SigV4 front)."""
import json
import threading
import time

import pytest

import checks
import contract
import kong
from conftest import free_port

SCRUB = contract.scrubber({})


def url(user, password, port, db='postgres'):
    return 'postgres://%s:%s@127.0.0.1:%d/%s' % (user, password, port, db)


# --- PostgreSQL -----------------------------------------------------------------------------------

def test_pg_login_as_the_components_role(supabase_db):
    detail = checks.pg_check('GOTRUE_DB_DATABASE_URL', SCRUB, dsn=url('supabase_auth_admin', supabase_db['password'],
                                                                    supabase_db['port']), schema_create='auth')
    assert 'may create in schema auth' in detail


def test_pg_wrong_password_names_the_key_and_hides_the_password(supabase_db):
    env = {'GOTRUE_DB_DATABASE_URL': url('supabase_auth_admin', 'wrong-pw-123', supabase_db['port'])}
    with pytest.raises(checks.CheckFailed) as err:
        checks.pg_check('GOTRUE_DB_DATABASE_URL', contract.scrubber(env), dsn=env['GOTRUE_DB_DATABASE_URL'])
    text = str(err.value)
    assert text.startswith('GOTRUE_DB_DATABASE_URL: cannot log in to PostgreSQL')
    assert 'password authentication failed' in text
    assert 'wrong-pw-123' not in text and 'supabase_auth_admin' not in text


def test_pg_schema_privileges(supabase_db):
    with pytest.raises(checks.CheckFailed, match='may not CREATE in schema auth'):
        checks.pg_check('GOTRUE_DB_DATABASE_URL', SCRUB, dsn=url('plain_user', supabase_db['password'], supabase_db['port']),
                        schema_create='auth')
    with pytest.raises(checks.CheckFailed, match='schema nope does not exist'):
        checks.pg_check('DATABASE_URL', SCRUB, dsn=url('supabase_storage_admin', supabase_db['password'], supabase_db['port']),
                        schema_create='nope')


def test_postgrest_authenticator_set_role(supabase_db):
    dsn = url('authenticator', supabase_db['password'], supabase_db['port'])
    detail = checks.pg_check('PGRST_DB_URI', SCRUB, dsn=dsn, set_role='anon', role_key='PGRST_DB_ANON_ROLE',
                             schemas=['public', 'storage', 'graphql_public'], schemas_key='PGRST_DB_SCHEMAS')
    assert 'SET ROLE' in detail
    with pytest.raises(checks.CheckFailed, match='^PGRST_DB_ANON_ROLE: SET ROLE failed'):
        checks.pg_check('PGRST_DB_URI', SCRUB, dsn=dsn, set_role='service_role', role_key='PGRST_DB_ANON_ROLE')
    with pytest.raises(checks.CheckFailed, match='^PGRST_DB_SCHEMAS: schema missing_schema does not exist'):
        checks.pg_check('PGRST_DB_URI', SCRUB, dsn=dsn, schemas=['public', 'missing_schema'], schemas_key='PGRST_DB_SCHEMAS')


def test_realtime_params_after_connect_and_replication(supabase_db):
    params = {'host': '127.0.0.1', 'port': supabase_db['port'], 'user': 'supabase_admin',
              'password': supabase_db['password'], 'dbname': 'postgres'}
    assert 'after-connect' in checks.pg_check('DB_*', SCRUB, params=params, after_connect='SET search_path TO _realtime',
                                               replication=True)
    with pytest.raises(checks.CheckFailed, match='^DB_AFTER_CONNECT_QUERY: failed'):
        checks.pg_check('DB_*', SCRUB, params=params, after_connect='SET nonsense TO 1')
    with pytest.raises(checks.CheckFailed, match='neither SUPERUSER nor REPLICATION'):
        checks.pg_check('DB_*', SCRUB, params=dict(params, user='plain_user'), replication=True)


def test_pg_unreachable(closed_port):
    with pytest.raises(checks.CheckFailed, match='^SUPABASE_DB_URL: cannot log in'):
        checks.pg_check('SUPABASE_DB_URL', SCRUB, dsn=url('postgres', 'x', closed_port), timeout=2)


# --- Redis ----------------------------------------------------------------------------------------

KEYS = ('REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD')


def test_redis_with_its_password(redis_server):
    assert 'with the password' in checks.redis_check(KEYS, SCRUB, '127.0.0.1', redis_server['port'], redis_server['password'])


def test_redis_wrong_missing_password_and_closed_port(redis_server, closed_port):
    with pytest.raises(checks.CheckFailed, match='^REDIS_PASSWORD: Redis refused the password'):
        checks.redis_check(KEYS, SCRUB, '127.0.0.1', redis_server['port'], 'wrong-redis-password')
    with pytest.raises(checks.CheckFailed, match='^REDIS_PASSWORD: not given, but Redis requires a password'):
        checks.redis_check(KEYS, SCRUB, '127.0.0.1', redis_server['port'], None)
    with pytest.raises(checks.CheckFailed, match='^REDIS_HOST/REDIS_PORT: cannot connect'):
        checks.redis_check(KEYS, SCRUB, '127.0.0.1', closed_port, 'x', timeout=1)


def _redis_conf(redis_server, limit, password=None):
    return {'minute': limit, 'policy': 'redis', 'redis_host': '127.0.0.1', 'redis_port': redis_server['port'],
            'redis_password': password or redis_server['password']}


def test_rate_limit_is_shared_by_every_node_through_redis(redis_server):
    conf = _redis_conf(redis_server, 4)
    nodes = [kong.RateLimiter(), kong.RateLimiter(), kong.RateLimiter()]
    scope = 'consumer:anon-%d' % time.time_ns()
    now = 1_800_000_000.0 + 5
    verdicts = [nodes[i % 3].hit(conf, scope, 'anon', now=now)[0] for i in range(6)]
    # 4 allowed in the window over the three nodes together, then refused on any node
    assert verdicts == [False, False, False, False, True, True]
    # the next window starts again
    assert nodes[0].hit(conf, scope, 'anon', now=now + 60)[0] is False
    # a separate local counter would have let each node pass 4 on its own
    local = dict(conf, policy='local')
    assert [kong.RateLimiter().hit(local, scope, 'anon', now=now)[0] for _ in range(3)] == [False] * 3


def test_rate_limit_redis_failure_is_fault_tolerant_or_500(redis_server):
    conf = _redis_conf(redis_server, 1, password='wrong-redis-password')
    decision = kong.Decision()
    decision.consumer = {'username': 'anon'}
    decision.service = {'name': 'rest'}
    decision.rate_limits = [(conf, 'consumer:anon')]
    kong.apply_limits(kong.RateLimiter(), decision, '10.0.0.1')
    assert decision.status is None
    decision.rate_limits = [(dict(conf, fault_tolerant=False), 'consumer:anon')]
    kong.apply_limits(kong.RateLimiter(), decision, '10.0.0.1')
    assert decision.status == 500


# --- S3 (the offline minio image's front over moto) -------------------------------------------------

@pytest.fixture(scope='module')
def s3_server():
    pytest.importorskip('moto')
    import s3front
    from werkzeug.serving import make_server
    server = make_server('127.0.0.1', 0, s3front.Front(s3front.moto_app(), 'unit-s3-user', 'unit-s3-password-123'),
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = 'http://127.0.0.1:%d' % server.server_port
    import boto3
    from botocore.config import Config
    boto3.client('s3', endpoint_url=endpoint, aws_access_key_id='unit-s3-user', aws_secret_access_key='unit-s3-password-123',
                 region_name='us-east-1', config=Config(s3={'addressing_style': 'path'})).create_bucket(Bucket='supabase-storage')
    yield endpoint
    server.shutdown()


def test_storage_s3_round_trip(s3_server):
    assert 'wrote, read back and deleted' in checks.s3_check(
        s3_server, 'unit-s3-user', 'unit-s3-password-123', 'us-east-1', 'supabase-storage', True)


@pytest.mark.parametrize('access,secret,bucket,reason', [
    ('unit-s3-user', 'unit-s3-password-123', 'stub', '^GLOBAL_S3_BUCKET: the bucket does not exist'),
    ('unit-s3-user', 'wrong-secret-value', 'supabase-storage', '^AWS_SECRET_ACCESS_KEY: .*SignatureDoesNotMatch'),
    ('someone-else', 'unit-s3-password-123', 'supabase-storage', '^AWS_ACCESS_KEY_ID: .*InvalidAccessKeyId'),
])
def test_storage_s3_failures_name_the_key(s3_server, access, secret, bucket, reason):
    with pytest.raises(checks.CheckFailed, match=reason):
        checks.s3_check(s3_server, access, secret, 'us-east-1', bucket, True)


def test_storage_s3_unreachable(closed_port):
    with pytest.raises(checks.CheckFailed, match='^GLOBAL_S3_ENDPOINT: cannot reach'):
        checks.s3_check('http://127.0.0.1:%d' % closed_port, 'a', 'b', 'us-east-1', 'x', True, timeout=2)


def test_file_backend(tmp_path):
    assert 'writable' in checks.file_check(str(tmp_path))
    with pytest.raises(checks.CheckFailed, match='^FILE_STORAGE_BACKEND_PATH'):
        checks.file_check(str(tmp_path / 'missing'))


def test_http_check(http_server):
    assert 'HTTP 200' in checks.http_check('STUDIO_PG_META_URL', http_server + '/ok', SCRUB)
    with pytest.raises(checks.CheckFailed, match='^STUDIO_PG_META_URL: .*HTTP 500'):
        checks.http_check('STUDIO_PG_META_URL', http_server + '/error', SCRUB)
