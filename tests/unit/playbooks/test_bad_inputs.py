"""Bad operator input fails in the validation phase of site.yml, before any host is contacted.

Every case runs `ansible-playbook playbooks/site.yml` against a throwaway inventory of a fleet
(one db, two app, one edge host) whose hosts would be reached by SSH on 127.0.0.1 port 1, where
nothing listens: a task that contacted a host would end UNREACHABLE. Each case asserts that:
  - the run failed, and the failure came from a validation play (playbooks/preflight.yml),
  - no host was contacted or changed (no UNREACHABLE, changed=0 for every host, the secrets file
    and the inventory directory unchanged),
  - the error message names the operator's variable.
The runs go in parallel; the whole file prints its timing.
"""

import concurrent.futures
import copy
import hashlib
import os
import re
import subprocess
import sys
import time

import pytest
import yaml

from ansible_collections.selfhost.supabase.plugins.module_utils import jwt as J

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
SITE = os.path.join(ROOT, 'playbooks', 'site.yml')
VALIDATION_PLAYS = ('Validate - ', 'Secrets - ', 'Share - ')
WORKERS = int(os.environ.get('BAD_INPUT_WORKERS', '4'))

DEMO_ANON = ('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyAgCiAgICAicm9sZSI6ICJhbm9uIiwKICAgICJpc3MiOiAic3VwYWJhc2UtZGVtbyIs'
             'CiAgICAiaWF0IjogMTY0MTc2OTIwMCwKICAgICJleHAiOiAxNzk5NTM1NjAwCn0.dc_X5iR_VP_qT0zsiyj_I_OZ2T9FtRU2BBNWN8Bu4GE')

HOSTS = {
    'all': {
        'vars': {'ansible_host': '127.0.0.1', 'ansible_port': 1, 'ansible_user': 'nobody',
                 'ansible_ssh_common_args': '-o ConnectTimeout=2 -o StrictHostKeyChecking=no'},
        'hosts': {'localhost': {'ansible_connection': 'local',
                                'ansible_python_interpreter': '{{ ansible_playbook_python }}'}},
        'children': {
            'db': {'hosts': {'db1': {'supabase_private_address': '10.0.0.10'}}},
            'app': {'hosts': {'app1': {'supabase_private_address': '10.0.0.21'},
                              'app2': {'supabase_private_address': '10.0.0.22'}}},
            'edge': {'hosts': {'edge1': {'supabase_private_address': '10.0.0.30'}}},
        },
    },
}

GOOD_VARS = {
    'supabase_public_url': 'https://supabase.example.com',
    'supabase_site_url': 'https://app.example.com',
    'supabase_environment': 'production',
    'supabase_base_dir': '/opt/supabase',
    'supabase_network': 'supabase_default',
    'supabase_db_host': "{{ hostvars[groups['db'][0]].supabase_private_address }}",
    'secrets_file': '{{ inventory_dir }}/supabase-secrets.yml',
    'host_firewall_ssh_port': 1,
    'kong_bind_address': '{{ supabase_private_address }}',
    'postgres_bind_address': '{{ supabase_private_address }}',
    'caddy_tls_mode': 'internal',
    'supabase_strict_variables': True,
}


def _secrets():
    secret = J.random_secret(48)
    out = {
        'supabase_jwt_secret': secret,
        'supabase_anon_key': J.sign_hs256(J.api_key_claims('anon'), secret),
        'supabase_service_role_key': J.sign_hs256(J.api_key_claims('service_role'), secret),
        'supabase_dashboard_username': 'opsadmin',
        'supabase_db_enc_key': J.random_secret(16),
        'supabase_minio_root_user': 'minioadmin1',
        'supabase_secret_key_base': J.random_secret(64),
    }
    for name in ['supabase_postgres_password', 'supabase_dashboard_password', 'supabase_vault_enc_key',
                 'supabase_pg_meta_crypto_key', 'supabase_minio_root_password', 'supabase_redis_password']:
        out[name] = J.random_secret(32)
    return out


def _db2(h):
    h['all']['children']['db']['hosts']['db2'] = {'supabase_private_address': '10.0.0.11'}


def _no_app(h):
    h['all']['children']['app'] = {'hosts': {}}


def _controller_in_app(h):
    h['all']['children']['app']['hosts']['localhost'] = {}


def _no_db(h):
    del h['all']['children']['db']


def _hosts(group, names):
    def change(h):
        for i, name in enumerate(names):
            h['all']['children'][group]['hosts'][name] = {'supabase_private_address': '10.0.%d.%d' % (len(group), 40 + i)}
    return change


# A case: (id, host whose failure must name the words or None for the run's whole failure text,
#          {host or 'all': vars}, words). Cases of one run are independent checks, so a run reports
# all of them at once; a case passes only if ITS words appear in ITS host's failure.
# A run: (id, inventory change, group_vars/all overrides, cases).
RUNS = [
    # --- the inventory's shape, one run each
    ('two-db-hosts', _db2, {}, [('two-db-hosts', None, {}, ['group db has 2 hosts', 'postgres_ha'])]),
    ('ha-with-two-db-hosts', _db2, {}, [('ha-with-two-db-hosts', None, {'all': {'postgres_ha': True}},
                                         ['postgres_ha: true', '3 or more'])]),
    ('no-db-group', _no_db, {}, [('no-db-group', None, {}, ['group db has no host'])]),
    ('no-app-host', _no_app, {}, [('no-app-host', None, {}, ['group app has no host'])]),
    ('controller-in-app', _controller_in_app, {}, [('controller-in-app-group', None, {},
                                                    ['controller (localhost) is in group app'])]),
    # --- a database cluster (postgres_ha: supabase_ha_problems in plugins/filter/validation.py): one message per run.
    #     Not strict: postgres_etcd_hosts is the postgres role's input, and these runs test the cluster rules alone.
    ('ha-with-one-db-host', None, {}, [('ha-with-one-db-host', None, {'all': {'postgres_ha': True}},
                                        ['group db has 1 host(s) (db1) with postgres_ha: true', '3 or more'])]),
    ('ha-1', lambda h: (_hosts('db', ['db2', 'db3'])(h), h['all']['children']['app']['hosts'].update(db1={})),
     {'postgres_ha': True, 'supabase_strict_variables': False}, [
         ('ha-etcd-even', None, {'all': {'postgres_etcd_hosts': ['db1', 'db2']}},
          ['Database cluster (postgres_ha): ', 'postgres_etcd_hosts has 2 members (db1, db2)', 'odd number']),
         ('ha-db-private-address-empty', None, {'db2': {'supabase_private_address': ''}},
          ['db2: supabase_private_address is not set']),
         ('ha-db-private-address-not-ip', None, {'db3': {'supabase_private_address': 'db3.internal'}},
          ["db3: supabase_private_address is 'db3.internal', not an IP address"]),
         ('ha-db-host-in-app', None, {}, ['db1 is in both group db and group app', 'HAProxy']),
     ]),
    ('ha-2', lambda h: (_hosts('db', ['db2'])(h), h['all']['children']['db']['hosts'].update(db3={})),
     {'supabase_strict_variables': False}, [
        ('ha-etcd-member-not-db', None, {'all': {'postgres_etcd_hosts': ['db1', 'db2', 'app1']}},
         ['postgres_etcd_hosts names app1, not in group db']),
        ('ha-set-on-some-db-hosts', None, {'db1': {'postgres_ha': True}}, ['postgres_ha is true on db1 but not on db2, db3']),
        ('ha-db-private-address-missing', None, {}, ['db3: supabase_private_address is not set']),
    ]),
    # --- public URLs, one host each; the loop reports every host
    ('urls', _hosts('app', ['app3', 'app4']), {}, [
        ('public-url-with-path', 'db1', {'db1': {'supabase_public_url': 'https://supabase.example.com/api'}},
         ['supabase_public_url', 'must not have a path']),
        ('public-url-ftp', 'app1', {'app1': {'supabase_public_url': 'ftp://supabase.example.com'}},
         ['supabase_public_url (ftp://supabase.example.com) must start with https://']),
        ('public-url-no-host', 'app2', {'app2': {'supabase_public_url': 'https://'}},
         ['supabase_public_url (https://) must name a host']),
        ('public-url-query', 'edge1', {'edge1': {'supabase_public_url': 'https://supabase.example.com/?a=1'}},
         ['supabase_public_url', 'query or fragment']),
        ('http-in-Production', 'app3', {'app3': {'supabase_environment': 'Production',
                                                  'supabase_public_url': 'http://supabase.example.com'}},
         ['supabase_public_url (http://supabase.example.com) must be https://', "'Production'"]),
        ('site-url-not-url', 'app4', {'app4': {'supabase_site_url': 'app.example.com'}},
         ['supabase_site_url (app.example.com) must start with https://']),
    ]),
    # --- port variables of every host, one message
    ('ports', None, {}, [
        ('postgres-port-70000', None, {'db1': {'postgres_port': 70000}}, ['db1: postgres_port is 70000']),
        ('kong-port-0', None, {'app1': {'kong_http_port': 0}}, ['app1: kong_http_port is 0']),
        ('redis-port-text', None, {'db1': {'redis_port': 'abc'}}, ["db1: redis_port is 'abc'"]),
        ('meta-port-negative', None, {'app2': {'meta_port': -1}}, ['app2: meta_port is -1']),
    ]),
    # --- image references (plugins/filter/images.py): floating tags, digests, the registry prefix; one message
    ('images', None, {}, [
        ('redis-7-alpine', None, {'db1': {'redis_image': 'redis:7-alpine'}},
         ['db1: redis_image: redis:7-alpine uses a floating tag', 'redis_image_digest']),
        ('caddy-2-alpine', None, {'edge1': {'caddy_image': 'caddy:2-alpine'}}, ['edge1: caddy_image: caddy:2-alpine']),
        ('gotrue-latest', None, {'app1': {'gotrue_image': 'supabase/gotrue:latest'}}, ['app1: gotrue_image: supabase/gotrue:latest']),
        ('kong-no-tag', None, {'app2': {'kong_image': 'kong'}}, ['app2: kong_image: kong uses a floating tag, no tag']),
        ('minio-version-latest', None, {'db1': {'minio_version': 'latest'}}, ['db1: minio_version: minio/minio:latest']),
        ('digest-malformed', None, {'app1': {'meta_image_digest': 'sha256:1234'}}, ['app1: meta_image_digest ']),
        ('registry-with-scheme', None, {'all': {'supabase_image_registry': 'https://mirror.example.com'}},
         ["supabase_image_registry 'https://mirror.example.com' is not a registry prefix"]),
    ]),
    # --- unknown variables, supabase_strict_variables: true
    ('unknown', None, {}, [
        ('typo-postgres-max-conections', None, {'all': {'postgres_max_conections': 200}},
         ['postgres_max_conections is not an input', 'did you mean postgres_max_connections?']),
        ('typo-gotrue-externall', None, {'app1': {'gotrue_externall_github_enabled': True}},
         ['gotrue_externall_github_enabled is not an input']),
    ]),
    # --- renamed variables (RENAMED_VARIABLES in plugins/filter/validation.py): an error even without
    #     supabase_strict_variables, one message naming the old and the new name and the hosts that set it
    ('renamed', None, {'supabase_strict_variables': False}, [
        ('renamed-postgres-healthcheck-timeout', None, {'db1': {'postgres_healthcheck_timeout': 300}},
         ['db1: postgres_healthcheck_timeout was renamed to postgres_wait_timeout: set postgres_wait_timeout instead']),
        ('renamed-redis-publish-port', None, {'all': {'redis_publish_port': True}},
         ['localhost: redis_publish_port was renamed to redis_bind_address (the address Redis is published on;'
          ' "" publishes nothing)']),
        ('renamed-minio-allow-public-bind', None, {'db1': {'minio_allow_public_bind': True}},
         ['db1: minio_allow_public_bind was renamed to minio_allow_public_ports']),
    ]),
    # --- secrets: the secrets role reports every problem at once; one case per variable and run
    ('secrets-1', None, {}, [
        ('db-password-newline', None, {'all': {'supabase_postgres_password': 'abcdefghij\nklmnopqrstu'}},
         ['supabase_postgres_password (given) must be one line']),
        ('jwt-secret-short', None, {'all': {'supabase_jwt_secret': 'x' * 20}},
         ['supabase_jwt_secret (given) must be at least 32 characters']),
        ('db-enc-key-15', None, {'all': {'supabase_db_enc_key': 'x' * 15}},
         ['supabase_db_enc_key (given) must be exactly 16 characters']),
        ('minio-password-10', None, {'all': {'supabase_minio_root_password': 'x' * 10}},
         ['supabase_minio_root_password (given) must be at least 16 characters']),
        ('redis-password-space', None, {'all': {'supabase_redis_password': 'abcdefgh ijklmnopqrs'}},
         ['supabase_redis_password (given) must not hold', 'connection strings']),
        ('dashboard-password-demo', None, {'all': {'supabase_dashboard_password': 'this_password_is_insecure_and_should_be_updated'}},
         ['supabase_dashboard_password (given) is a published demo value']),
        ('secret-key-base-short', None, {'all': {'supabase_secret_key_base': 'x' * 40}},
         ['supabase_secret_key_base (given) must be at least 64 characters']),
        ('anon-key-demo', None, {'all': {'supabase_anon_key': DEMO_ANON}}, ['supabase_anon_key (given) is a published demo key']),
    ]),
    ('secrets-2', None, {}, [
        ('db-password-at-sign', None, {'all': {'supabase_postgres_password': 'abcdefghij@klmnopqrstu'}},
         ["supabase_postgres_password (given) must not hold '@'"]),
        ('jwt-secret-demo', None, {'all': {'supabase_jwt_secret': 'your-super-secret-jwt-token-with-at-least-32-characters-long'}},
         ['supabase_jwt_secret (given) is a published demo value']),
        ('minio-user-short', None, {'all': {'supabase_minio_root_user': 'ab'}},
         ['supabase_minio_root_user (given) must be at least 3 characters']),
    ]),
    ('secrets-3', None, {}, [
        ('db-password-short', None, {'all': {'supabase_postgres_password': 'short'}},
         ['supabase_postgres_password (given) must be at least 16 characters']),
        ('service-key-unsigned', None, {'all': {'supabase_service_role_key': 'not.a.jwt'}}, ['supabase_service_role_key (given)']),
    ]),
    ('secrets-generated', None, {}, [
        ('generated-too-short', None, {'all': {'secrets_rotate': ['supabase_redis_password'], 'secrets_password_length': 8}},
         ['supabase_redis_password (generated) must be at least 16 characters']),
    ]),
    # --- the data tier's roles: one case per db host (postgres_ha allows several)
    ('roles-data', _hosts('db', ['db2', 'db3', 'db4', 'db5', 'db6', 'db7', 'db8']), {'postgres_ha': True}, [
        ('postgres-max-connections-text', 'db1', {'db1': {'postgres_max_connections': 'lots'}}, ['postgres_max_connections']),
        ('postgres-shared-buffers-unit', 'db2', {'db2': {'postgres_shared_buffers': '10XB'}}, ['postgres_shared_buffers=10XB']),
        ('postgres-wal-level-minimal', 'db3', {'db3': {'postgres_wal_level': 'minimal'}}, ['postgres_wal_level must be one of: replica, logical, got: minimal']),
        ('postgres-public-bind', 'db4', {'db4': {'postgres_bind_address': '0.0.0.0'}}, ['postgres_bind_address=0.0.0.0']),
        ('redis-appendfsync', 'db5', {'db5': {'redis_appendfsync': 'sometimes'}}, ['redis_appendfsync']),
        ('redis-policy', 'db6', {'db6': {'redis_maxmemory_policy': 'lru'}}, ['redis_maxmemory_policy']),
        ('minio-bucket-name', 'db7', {'db7': {'minio_bucket': 'Bad_Bucket'}}, ['minio_bucket=Bad_Bucket']),
        ('minio-public-bind', 'db8', {'db8': {'minio_bind_address': '0.0.0.0'}}, ['minio_bind_address=0.0.0.0']),
        # Backups of a cluster need the S3 repository every member shares (backups are on by default), and the leader
        # as their source (docs/ha.md, "Backups").
        ('postgres-ha-archive-no-shared-repository', 'db1', {}, ['postgres_ha with WAL archiving',
                                                                 'Set backup_offsite_enabled: true']),
        ('postgres-ha-backup-from-a-replica', 'db2', {'db2': {'backup_ha_source': 'replica'}},
         ['backup_ha_source: leader (got replica;', 'backup-standby, are not supported yet']),
        # postgres_ha puts HAProxy (services tier) on the app hosts: GOOD_VARS' supabase_db_host (db1's address) on
        # app1 would bypass it.
        ('haproxy-db-host-bypass', 'app1', {}, ['haproxy: ', 'supabase_db_host is 10.0.0.10', 'through HAProxy']),
        ('haproxy-public-bind', 'app2', {'app2': {'haproxy_bind_address': '0.0.0.0', 'supabase_db_host': 'supabase-db'}},
         ['publishing on haproxy_bind_address=0.0.0.0 needs haproxy_allow_public_ports']),
    ]),
    # --- host, docker, services, gateway and edge roles: one case per host
    ('roles-app-edge', lambda h: (_hosts('app', ['app%d' % i for i in range(3, 17)])(h), _hosts('edge', ['edge2', 'edge3'])(h)),
     {'caddy_storage_shared': True}, [
         ('host-base-dir-relative', 'app12', {'app12': {'host_base_dir': 'opt/supabase'}}, ['host_base_dir']),
         ('host-ssh-port-mismatch', 'app13', {'app13': {'host_firewall_ssh_port': 2222}}, ['host_firewall_ssh_port is 2222']),
         ('host-sysctl-bad-key', 'app14', {'app14': {'host_sysctl_extra': {'not a key': 1}}}, ['host_sysctl', 'not a key']),
         ('docker-install-snap', 'app15', {'app15': {'docker_install_source': 'snap'}}, ['docker_install_source']),
         ('docker-log-max-file-0', 'app16', {'app16': {'docker_log_max_file': 0}}, ['docker_log_max_file']),
         ('gotrue-unknown-provider', 'app1', {'app1': {'gotrue_external_providers': [
             {'name': 'githubb', 'client_id': 'a', 'secret': 'b'}]}}, ['gotrue_external_providers', 'githubb']),
         ('gotrue-site-url', 'app2', {'app2': {'gotrue_site_url': 'not-a-url'}}, ['gotrue_site_url']),
         ('postgrest-max-rows-0', 'app3', {'app3': {'postgrest_db_max_rows': 0}}, ['postgrest_db_max_rows']),
         ('realtime-tenant', 'app4', {'app4': {'realtime_tenant_id': 'Bad_Tenant'}}, ['realtime_tenant_id']),
         ('realtime-mode', 'app5', {'app5': {'realtime_replication_mode': 'FOO'}}, ['realtime_replication_mode']),
         ('storage-backend-nfs', 'app6', {'app6': {'storage_backend': 'nfs'}}, ['storage_backend']),
         ('storage-size-negative', 'app7', {'app7': {'storage_file_size_limit': -5}}, ['storage_file_size_limit']),
         ('functions-dir-missing', 'app8', {'app8': {'functions_source_dir': '/nonexistent/functions'}},
          ['functions_source_dir: /nonexistent/functions']),
         ('studio-url-ftp', 'app9', {'app9': {'studio_public_url': 'ftp://studio.example.com'}}, ['studio_public_url']),
         ('kong-rate-limit-text', 'app10', {'app10': {'kong_rate_limits': {'anon': {'minute': 'many'}}}}, ['kong_rate_limits']),
         ('kong-upstreams-missing', 'app11', {'app11': {'kong_upstreams': {'auth': 'http://auth:9999'}}}, ['kong_upstreams']),
         ('caddy-acme-email', 'edge1', {'edge1': {'caddy_tls_mode': 'acme', 'caddy_acme_email': 'nope'}}, ['caddy_acme_email']),
         ('caddy-files-no-cert', 'edge2', {'edge2': {'caddy_tls_mode': 'files'}}, ['caddy_tls_cert_src']),
         ('caddy-tls-mode-bogus', 'edge3', {'edge3': {'caddy_tls_mode': 'bogus'}}, ['caddy_tls_mode']),
     ]),
]
CASES = [(run[0],) + case for run in RUNS for case in run[3]]


def _tree_digest(path):
    digest = hashlib.sha256()
    for base, dirs, files in sorted(os.walk(path)):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(base, name)
            digest.update(full.encode())
            with open(full, 'rb') as handle:
                digest.update(handle.read())
            digest.update(oct(os.stat(full).st_mode).encode())
    return digest.hexdigest()


def _env():
    env = dict(os.environ)
    venv_bin = os.path.dirname(sys.executable)
    env.update(PATH=venv_bin + os.pathsep + env.get('PATH', ''),
               ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'collections'),
               ANSIBLE_LOG_PATH='', ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_RETRY_FILES_ENABLED='False',
               ANSIBLE_LOCAL_TEMP=os.path.join(env.get('TMPDIR', '/tmp'), 'ansible-local-bad-inputs'))
    return env


def _make_inventory(base, run_id, change, group_vars, cases, secrets):
    inv = os.path.join(base, run_id)
    os.makedirs(os.path.join(inv, 'group_vars'))
    os.makedirs(os.path.join(inv, 'host_vars'))
    hosts = copy.deepcopy(HOSTS)
    if change:
        change(hosts)
    all_vars = dict(GOOD_VARS, **group_vars)
    host_vars = {}
    for _case_id, _host, settings, _words in cases:
        for where, values in settings.items():
            if where == 'all':
                all_vars.update(values)
            else:
                host_vars.setdefault(where, {}).update(values)
    with open(os.path.join(inv, 'hosts.yml'), 'w') as handle:
        yaml.safe_dump(hosts, handle)
    with open(os.path.join(inv, 'group_vars', 'all.yml'), 'w') as handle:
        yaml.safe_dump(all_vars, handle)
    for host, values in host_vars.items():
        with open(os.path.join(inv, 'host_vars', host + '.yml'), 'w') as handle:
            yaml.safe_dump(values, handle)
    fd = os.open(os.path.join(inv, 'supabase-secrets.yml'), os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, 'w') as handle:
        yaml.safe_dump(secrets, handle)
    return inv


def _run(inv):
    started = time.monotonic()
    before = _tree_digest(inv)
    run = subprocess.run(['ansible-playbook', '-i', os.path.join(inv, 'hosts.yml'), SITE],
                         capture_output=True, text=True, env=_env(), check=False, timeout=600)
    return {'rc': run.returncode, 'out': run.stdout + run.stderr, 'seconds': time.monotonic() - started,
            'unchanged': _tree_digest(inv) == before}


@pytest.fixture(scope='module')
def outcomes(tmp_path_factory):
    base = str(tmp_path_factory.mktemp('bad-inputs'))
    secrets = _secrets()
    only = [r for r in os.environ.get('BAD_INPUT_RUNS', '').split(',') if r]  # to run a few while developing
    invs = {} if only and 'good' not in only else {'good': _make_inventory(base, 'good', None, {}, [], secrets)}
    for run_id, change, group_vars, cases in RUNS:
        if not only or run_id in only:
            invs[run_id] = _make_inventory(base, run_id, change, group_vars, cases, secrets)
    started = time.monotonic()
    # The longest runs first, so the pool finishes together.
    order = sorted(invs, key=lambda r: -len(open(os.path.join(invs[r], 'hosts.yml')).read()))
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = dict((run_id, pool.submit(_run, invs[run_id])) for run_id in order)
        results = dict((run_id, f.result()) for run_id, f in futures.items())
    total = time.monotonic() - started
    print('\nbad inputs: %d cases in %d runs of site.yml, %.1f s (%d in parallel; per run: %s)'
          % (len(CASES), len(results), total, WORKERS,
             ', '.join('%s %.0fs' % (k, v['seconds']) for k, v in sorted(results.items()))))
    return results


def _host_failures(text, host):
    """The failure blocks of one host (or loop item) in a failure text."""
    out = []
    lines = text.split('\n')
    for i, line in enumerate(lines):
        if re.match(r'^(fatal|failed): \[%s\]' % re.escape(host), line) or \
                re.match(r'^(fatal|failed): \[[^]]+\] \(item=%s\)' % re.escape(host), line):
            block = [line]
            for follow in lines[i + 1:]:
                if follow and not follow[0].isspace():
                    break
                block.append(follow)
            out.append('\n'.join(block))
    return '\n'.join(out)


def _failure(out):
    """(play the first failure happened in, the text from that failure to the recap)."""
    match = re.search(r'^(fatal: \[|failed: \[|\[ERROR\]:)', out, re.M)
    assert match, 'no failure in the output:\n' + out[-3000:]
    plays = re.findall(r'^PLAY \[(.*)\] \*', out[:match.start()], re.M)
    end = out.find('PLAY RECAP', match.start())
    return (plays[-1] if plays else ''), out[match.start():end if end > 0 else None]


def _recap(out):
    return dict((h, dict((k, int(v)) for k, v in re.findall(r'(\w+)=(\d+)', rest)))
                for h, rest in re.findall(r'^(\S+)\s+:\s+(ok=.*)$', out, re.M))


def test_cases_are_many_and_distinct():
    ids = [c[1] for c in CASES]
    assert len(ids) >= 40 and len(set(ids)) == len(ids)


def test_good_inventory_passes_the_validation_phase(outcomes):
    """The control: the same inventory without a bad input passes validation and then fails to connect."""
    if 'good' not in outcomes:
        pytest.skip('BAD_INPUT_RUNS leaves the control out')
    result = outcomes['good']
    out = result['out']
    assert 'Validation phase: ' in out, out[-3000:]
    play, text = _failure(out)
    assert play.startswith('Hosts - '), (play, text[:2000])
    assert 'UNREACHABLE' in text
    assert 'WARNING: unknown variables' not in out
    seconds = re.search(r'Validation phase: ([0-9.]+) s', out).group(1)
    print('validation phase of the good inventory (4 hosts + controller): %s s' % seconds)


@pytest.mark.parametrize('run_id,case_id,host,settings,words', CASES, ids=[c[1] for c in CASES])
def test_bad_input_fails_in_validation(outcomes, run_id, case_id, host, settings, words):
    if run_id not in outcomes:
        pytest.skip('BAD_INPUT_RUNS leaves %s out' % run_id)
    result = outcomes[run_id]
    out = result['out']
    assert result['rc'] != 0, out[-3000:]
    play, text = _failure(out)
    assert play.startswith(VALIDATION_PLAYS), 'failed in play %r, not in validation:\n%s' % (play, text[:3000])
    assert 'UNREACHABLE' not in out and 'Failed to connect' not in out, text[:3000]
    assert not re.search(r'^PLAY \[(Hosts|Data|Services|Gateway|Edge|Health)', out, re.M), 'a deployment play started'
    recap = _recap(out)
    assert recap, out[-2000:]
    for name, counts in recap.items():
        assert counts.get('changed', 0) == 0 and counts.get('unreachable', 0) == 0, (name, counts)
    assert result['unchanged'], 'the inventory directory (secrets file) changed'
    where = _host_failures(text, host) if host else text
    assert where, 'no failure for %s:\n%s' % (host, text[:4000])
    where = re.sub(r'\s+', ' ', where)  # the yaml callback wraps long messages
    for word in words:
        assert word in where, 'the failure does not name %r:\n%s' % (word, where[:3000])
