"""STAND-IN dependency checks: connect to what the real component connects to, with its credentials.

Each check returns a short detail on success and raises CheckFailed("KEY: reason") otherwise. The
reasons name environment keys; texts that come from a server pass through the scrubber (secret
values and URL users/passwords become <KEY>). Client libraries are Debian's python3-psycopg2,
python3-redis and python3-boto3, imported when a check first runs.
"""
import os
import re
import socket
import time
import urllib.error
import urllib.request


class CheckFailed(Exception):
    """A dependency the component needs is not there; str() names the env key."""


def _one_line(text, limit=300):
    text = re.sub(r'\s+', ' ', str(text)).strip()
    return text[:limit]


def _pg_reason(exc, scrub):
    text = _one_line(scrub(exc))
    # libpq prefixes 'connection to server at "host" (addr), port N failed: '; the rest is the reason.
    text = re.sub(r'^connection to server at [^:]*failed: ', '', text)
    return re.sub(r'^FATAL:\s*', '', text)


def pg_check(key, scrub, dsn=None, params=None, set_role=None, role_key=None, after_connect=None,
             schema_create=None, schemas=None, schemas_key=None, replication=False, timeout=10):
    """Log in to PostgreSQL (URL or keyword params) and check what the component needs there."""
    import psycopg2
    from psycopg2 import sql
    try:
        if dsn is not None:
            conn = psycopg2.connect(dsn, connect_timeout=timeout, application_name='standin')
        else:
            conn = psycopg2.connect(connect_timeout=timeout, application_name='standin', **params)
    except psycopg2.Error as exc:
        raise CheckFailed('%s: cannot log in to PostgreSQL: %s' % (key, _pg_reason(exc, scrub)))
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute('SELECT current_user, rolsuper, rolreplication FROM pg_roles WHERE rolname = current_user')
            user, is_super, can_replicate = cur.fetchone()
            done = ['logged in as %s' % ('<user>' if scrub(user) != user else user)]
            if replication and not (is_super or can_replicate):
                raise CheckFailed('%s: the user has neither SUPERUSER nor REPLICATION (realtime needs logical '
                                  'replication)' % key)
            if after_connect:
                try:
                    cur.execute(after_connect)
                except psycopg2.Error as exc:
                    raise CheckFailed('DB_AFTER_CONNECT_QUERY: failed: %s' % _pg_reason(exc, scrub))
                done.append('after-connect query ran')
            if schema_create:
                cur.execute('SELECT to_regnamespace(%s) IS NOT NULL', (schema_create,))
                if not cur.fetchone()[0]:
                    raise CheckFailed('%s: schema %s does not exist' % (key, schema_create))
                cur.execute("SELECT has_schema_privilege(current_user, %s, 'CREATE')", (schema_create,))
                if not cur.fetchone()[0]:
                    raise CheckFailed('%s: the user may not CREATE in schema %s (its migrations need it)'
                                      % (key, schema_create))
                done.append('may create in schema %s' % schema_create)
            if set_role:
                try:
                    cur.execute(sql.SQL('SET ROLE {}').format(sql.Identifier(set_role)))
                except psycopg2.Error as exc:
                    raise CheckFailed('%s: SET ROLE failed: %s' % (role_key or key, _pg_reason(exc, scrub)))
                done.append('SET ROLE to the anon role works')
            for name in schemas or []:
                cur.execute('SELECT to_regnamespace(%s) IS NOT NULL', (name,))
                if not cur.fetchone()[0]:
                    raise CheckFailed('%s: schema %s does not exist' % (schemas_key or key, name))
            if schemas:
                done.append('schemas exist')
        return ', '.join(done)
    finally:
        conn.close()


def redis_check(keys, scrub, host, port, password=None, username=None, database=0, timeout=5):
    """PING Redis with the password; keys = (host key, port key, password key) for the reasons."""
    import redis
    host_key, port_key, password_key = keys
    client = redis.Redis(host=host, port=int(port), password=password or None, username=username or None,
                         db=int(database or 0), socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except redis.exceptions.AuthenticationError as exc:
        if not password:
            raise CheckFailed('%s: not given, but Redis requires a password' % password_key)
        raise CheckFailed('%s: Redis refused the password: %s' % (password_key, _one_line(scrub(exc))))
    except redis.exceptions.ResponseError as exc:
        if 'WRONGPASS' in str(exc) or 'invalid password' in str(exc):
            raise CheckFailed('%s: Redis refused the password: %s' % (password_key, _one_line(scrub(exc))))
        if 'NOAUTH' in str(exc):
            raise CheckFailed('%s: not given, but Redis requires a password' % password_key)
        raise CheckFailed('%s: Redis answered an error: %s' % (host_key, _one_line(scrub(exc))))
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
        raise CheckFailed('%s/%s: cannot connect to Redis: %s' % (host_key, port_key, _one_line(scrub(exc))))
    finally:
        client.close()
    return 'Redis PING answered' + (' with the password' if password else '')


S3_CODES = {
    'InvalidAccessKeyId': ('AWS_ACCESS_KEY_ID', 'the S3 server does not know this access key'),
    'SignatureDoesNotMatch': ('AWS_SECRET_ACCESS_KEY', 'the S3 server says the signature does not match'),
    'AccessDenied': ('AWS_ACCESS_KEY_ID', 'access denied by the S3 server'),
    'NoSuchBucket': ('GLOBAL_S3_BUCKET', 'the bucket does not exist on the S3 server'),
}


def _s3_reason(exc, step):
    from botocore.exceptions import ClientError
    if isinstance(exc, ClientError):
        code = exc.response.get('Error', {}).get('Code', '?')
        key, reason = S3_CODES.get(code, ('GLOBAL_S3_ENDPOINT', 'S3 error'))
        return '%s: %s (%s %s)' % (key, reason, step, code)
    return 'GLOBAL_S3_ENDPOINT: cannot reach the S3 server (%s: %s)' % (step, type(exc).__name__)


def s3_check(endpoint, access_key, secret_key, region, bucket, path_style, timeout=10, probe_name=None):
    """The bucket exists, and one object can be written, read back and deleted with these keys."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
    client = boto3.client(
        's3', endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        region_name=region or 'us-east-1',
        config=Config(signature_version='s3v4', s3={'addressing_style': 'path' if path_style else 'virtual'},
                      connect_timeout=timeout, read_timeout=timeout, retries={'max_attempts': 1}))
    key = '.standin-probe/%s-%d' % (probe_name or socket.gethostname(), int(time.time() * 1000))
    payload = b'selfhost.supabase storage stand-in round trip %d' % int(time.time())
    step = 'list'
    try:
        client.list_objects_v2(Bucket=bucket, MaxKeys=1)
        step = 'put'
        client.put_object(Bucket=bucket, Key=key, Body=payload)
        step = 'get'
        body = client.get_object(Bucket=bucket, Key=key)['Body'].read()
        if body != payload:
            raise CheckFailed('GLOBAL_S3_ENDPOINT: the object read back differs from the one written')
        step = 'delete'
        client.delete_object(Bucket=bucket, Key=key)
    except (ClientError, BotoCoreError) as exc:
        raise CheckFailed(_s3_reason(exc, step))
    return 'bucket exists; wrote, read back and deleted one object'


def file_check(path):
    """storage with STORAGE_BACKEND=file: the directory takes a file write, read and delete."""
    probe = os.path.join(path, '.standin-probe-%d' % os.getpid())
    try:
        with open(probe, 'wb') as handle:
            handle.write(b'probe')
        with open(probe, 'rb') as handle:
            ok = handle.read() == b'probe'
        os.unlink(probe)
    except OSError as exc:
        raise CheckFailed('FILE_STORAGE_BACKEND_PATH: %s' % (exc.strerror or exc))
    if not ok:
        raise CheckFailed('FILE_STORAGE_BACKEND_PATH: read back differs')
    return 'file backend directory writable'


def http_check(key, url, scrub, headers=None, ok=lambda status: status == 200, timeout=10, what=''):
    """GET url; ok(status) decides. Reasons name the key, never the URL."""
    request = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise CheckFailed('%s: cannot connect%s: %s' % (key, what, _one_line(scrub(getattr(exc, 'reason', exc)))))
    if not ok(status):
        raise CheckFailed('%s: %s answered HTTP %d' % (key, what.strip() or 'the server', status))
    return '%s answered HTTP %d' % (what.strip() or key, status)
