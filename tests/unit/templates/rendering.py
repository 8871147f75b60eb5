"""Helpers that render a role's templates and variables the way Ansible does.

Roles' defaults/main.yml and vars/main.yml are loaded, test inputs laid over them, and
everything is rendered by Ansible's own Templar (so filters such as to_nice_json work).
"""
import os

import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar, trust_as_template

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = os.path.join(ROOT, 'roles')

# The collection's own filters (selfhost.supabase.*) resolve as they do in a playbook run.
try:
    init_plugin_loader([os.path.join(ROOT, 'collections')])
except Exception:  # noqa: BLE001  (already initialised by an earlier import)
    pass

# Test-only stack inputs: not the upstream demo values, never used anywhere real.
STACK = {
    'supabase_jwt_secret': 'unit-test-jwt-secret-0123456789abcdefghijklmnop',
    'supabase_anon_key': 'unit.anon.key',
    'supabase_service_role_key': 'unit.service.key',
    'supabase_postgres_password': 'unit-pg-password',
    'supabase_dashboard_username': 'unit-admin',
    'supabase_dashboard_password': 'unit-dashboard-password',
    'supabase_secret_key_base': 'k' * 64,
    'supabase_db_enc_key': '0123456789abcdef',
    'supabase_pg_meta_crypto_key': 'unit-meta-crypto-key',
    'supabase_minio_root_user': 'unit-minio-user',
    'supabase_minio_root_password': 'unit-minio-password',
    'supabase_redis_password': 'unit-redis-password',
    'supabase_public_url': 'https://supabase.unit.test',
    'supabase_site_url': 'https://app.unit.test',
}


def _trust(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: _trust(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trust(v) for v in value]
    return value


def role_vars(role, **overrides):
    data = {}
    for name in ('defaults', 'vars'):
        path = os.path.join(ROLES, role, name, 'main.yml')
        if os.path.exists(path):
            with open(path, encoding='utf-8') as handle:
                data.update(yaml.safe_load(handle) or {})
    data.update(STACK)
    data['role_path'] = os.path.join(ROLES, role)
    data.update(overrides)
    return data


def templar(role, **overrides):
    loader = DataLoader()
    loader.set_basedir(os.path.join(ROLES, role))
    return Templar(loader=loader, variables=_trust(role_vars(role, **overrides)))


def render_template(role, name, **overrides):
    with open(os.path.join(ROLES, role, 'templates', name), encoding='utf-8') as handle:
        return templar(role, **overrides).template(trust_as_template(handle.read()))


def render_var(role, var, **overrides):
    return templar(role, **overrides).template(trust_as_template('{{ %s }}' % var))
