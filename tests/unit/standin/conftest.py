"""Fixtures for the stand-in image's logic (molecule/resources/images/standin), imported by path.

The real local PostgreSQL 15 and Redis servers come from tests/unit/plugins/conftest.py (same
helpers, loaded by path); the database gets the roles and schemas the stand-ins log in with.
"""
import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
STANDIN_DIR = os.path.join(ROOT, 'molecule', 'resources', 'images', 'standin')
MINIO_DIR = os.path.join(ROOT, 'molecule', 'resources', 'images', 'minio')
for path in (STANDIN_DIR, MINIO_DIR, os.path.join(ROOT, 'tests', 'unit', 'templates')):
    if path not in sys.path:
        sys.path.insert(0, path)


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_servers = _load('standin_probe_servers', os.path.join(ROOT, 'tests', 'unit', 'plugins', 'conftest.py'))
postgres_server = _servers.postgres_server
redis_server = _servers.redis_server
free_port = _servers.free_port

# Test-only values, used nowhere else.
JWT_SECRET = 'standin-unit-jwt-secret-0123456789abcdefXYZ'
ROLE_PASSWORD = 'standin-role-pw-K3v9Qx'


@pytest.fixture(scope='session')
def supabase_db(postgres_server):
    """The local server with the Supabase roles and schemas the stand-ins need."""
    psycopg2 = pytest.importorskip('psycopg2')
    conn = psycopg2.connect(host='127.0.0.1', port=postgres_server['port'], user='postgres',
                            password=postgres_server['password'], dbname='postgres')
    conn.autocommit = True
    with conn.cursor() as cur:
        for sql in (
                "CREATE ROLE supabase_admin LOGIN SUPERUSER PASSWORD '%s'" % ROLE_PASSWORD,
                "CREATE ROLE authenticator LOGIN NOINHERIT PASSWORD '%s'" % ROLE_PASSWORD,
                "CREATE ROLE supabase_auth_admin LOGIN NOINHERIT PASSWORD '%s'" % ROLE_PASSWORD,
                "CREATE ROLE supabase_storage_admin LOGIN NOINHERIT PASSWORD '%s'" % ROLE_PASSWORD,
                "CREATE ROLE plain_user LOGIN PASSWORD '%s'" % ROLE_PASSWORD,
                'CREATE ROLE anon NOLOGIN NOINHERIT',
                'CREATE ROLE service_role NOLOGIN',
                'GRANT anon TO authenticator',
                'CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin',
                'CREATE SCHEMA storage AUTHORIZATION supabase_storage_admin',
                'CREATE SCHEMA graphql_public',
                'CREATE SCHEMA _realtime AUTHORIZATION supabase_admin'):
            cur.execute(sql)
    conn.close()
    return {'port': postgres_server['port'], 'password': ROLE_PASSWORD}


@pytest.fixture(scope='session')
def modules():
    import checks
    import contract
    import kong
    import standin
    return {'contract': contract, 'checks': checks, 'kong': kong, 'standin': standin}
closed_port = _servers.closed_port
http_server = _servers.http_server
