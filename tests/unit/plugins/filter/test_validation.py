"""Unit tests of plugins/filter/validation.py (the rules of the validation phase)."""

import os

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.selfhost.supabase.plugins.filter import validation as v

ROLES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles')


def test_filters_registered():
    names = v.FilterModule().filters()
    for name in ['supabase_secret_problems', 'supabase_url_problems', 'supabase_inventory_problems',
                 'supabase_port_problems', 'supabase_unknown_variables', 'supabase_role_specs']:
        assert callable(names[name])


@pytest.mark.parametrize('value,expect', [
    ('a' * 16, None),
    ('a' * 15, 'at least 16 characters (it has 15)'),
    ('abc\ndefghijklmnopq', 'must be one line'),
    ('abcdefgh@ijklmnopq', "'@'"),
    ('abcdefgh ijklmnopq', "' '"),
    ('abcdefgh/ijklmnop%', "'%' '/'"),
    ('abcdefgh\x01ijklmnop', 'control characters'),
])
def test_postgres_password_rules(value, expect):
    problems = v.supabase_secret_problems(value, 'supabase_postgres_password', origin='given')
    if expect is None:
        assert problems == []
    else:
        assert len(problems) >= 1
        assert all(p.startswith('supabase_postgres_password (given)') for p in problems)
        assert any(expect in p for p in problems), problems
    assert all(value not in p for p in problems), 'a problem must never carry the value'


def test_role_variable_named_and_role_minimum_raises_the_rule():
    problems = v.supabase_secret_problems('x' * 20, 'supabase_redis_password', 'redis_password', min_length=24)
    assert problems == ['redis_password must be at least 24 characters (it has 20)']
    # a role's minimum cannot lower the stack rule
    assert v.supabase_secret_problems('x' * 10, 'supabase_minio_root_password', 'minio_root_password', min_length=8)


def test_minio_one_rule():
    assert v.supabase_secret_rule('supabase_minio_root_password')['min_length'] == 16
    assert v.supabase_secret_problems('x' * 15, 'supabase_minio_root_password')
    assert not v.supabase_secret_problems('x' * 16, 'supabase_minio_root_password')


def test_exact_length_and_demo_and_empty():
    assert 'exactly 16' in v.supabase_secret_problems('x' * 17, 'supabase_db_enc_key')[0]
    assert not v.supabase_secret_problems('x' * 16, 'supabase_db_enc_key')
    assert 'demo value' in v.supabase_secret_problems('supabaserealtime', 'supabase_db_enc_key', demo=['supabaserealtime'])[0]
    assert v.supabase_secret_problems('', 'supabase_jwt_secret') == []
    # the JWT secret is not in connection strings: ':' is fine there
    assert v.supabase_secret_problems('a:' * 20, 'supabase_jwt_secret') == []


def test_unknown_secret_name():
    with pytest.raises(AnsibleFilterError):
        v.supabase_secret_rule('supabase_nope')


@pytest.mark.parametrize('url,env,expect', [
    ('https://supabase.example.com', 'production', None),
    ('https://supabase.example.com/', 'production', None),
    ('https://10.0.0.1:8443', 'production', None),
    ('https://[::1]', 'production', None),
    ('http://localhost', 'development', None),
    ('http://supabase.example.com', 'production', 'must be https://'),
    ('http://supabase.example.com', 'Production', 'must be https://'),
    ('http://supabase.example.com', ' PRODUCTION ', 'must be https://'),
    ('https://supabase.example.com/api', 'production', 'must not have a path'),
    ('https://supabase.example.com?x=1', 'production', 'query or fragment'),
    ('ftp://supabase.example.com', 'production', 'must start with https://'),
    ('supabase.example.com', 'production', 'must start with https://'),
    ('https://', 'production', 'must name a host'),
    ('https://bad_host!.com', 'production', 'must name a host'),
    ('https://u:p@supabase.example.com', 'production', 'credentials'),
    ('https://supabase.example.com:99999', 'production', 'port'),
    ('', 'production', 'is not set'),
])
def test_url_rules(url, env, expect):
    problems = v.supabase_url_problems(url, 'supabase_public_url', env)
    if expect is None:
        assert problems == []
    else:
        assert problems and all('supabase_public_url' in p for p in problems)
        assert any(expect in p for p in problems), problems


@pytest.mark.parametrize('ports,bad', [
    ({'postgres_port': 5432, 'kong_http_port': '8000'}, []),
    ({'postgres_port': 0}, ['postgres_port']),
    ({'postgres_port': 65536}, ['postgres_port']),
    ({'redis_port': 'abc', 'meta_port': -1, 'kong_http_port': True}, ['kong_http_port', 'meta_port', 'redis_port']),
])
def test_ports(ports, bad):
    problems = v.supabase_port_problems(ports)
    assert [p.split(' ')[0] for p in problems] == bad
    assert all('1 to 65535' in p for p in problems)


def test_inventory_shape():
    good = {'all': ['localhost', 'db1', 'app1', 'edge1'], 'db': ['db1'], 'app': ['app1'], 'edge': ['edge1']}
    assert v.supabase_inventory_problems(good) == []
    two_db = dict(good, db=['db1', 'db2'])
    assert 'group db has 2 hosts (db1, db2)' in v.supabase_inventory_problems(two_db)[0]
    assert 'postgres_ha: true' in v.supabase_inventory_problems(two_db)[0]
    assert 'needs 3 or more' in v.supabase_inventory_problems(two_db, postgres_ha=True)[0]
    assert v.supabase_inventory_problems(dict(good, db=['a', 'b', 'c']), postgres_ha='true') == []
    assert 'group db has no host' in v.supabase_inventory_problems(dict(good, db=[]))[0]
    assert 'group app has no host' in v.supabase_inventory_problems(dict(good, app=[]))[0]
    in_app = dict(good, app=['app1', 'localhost'])
    assert 'controller (localhost) is in group app' in v.supabase_inventory_problems(in_app)[0]
    assert 'not in the inventory' in v.supabase_inventory_problems(dict(good, all=['db1']))[0]



# --- a database cluster (postgres_ha): supabase_ha_problems

HA_GROUPS = {'all': ['localhost', 'db1', 'db2', 'db3', 'app1', 'edge1'], 'db': ['db1', 'db2', 'db3'],
             'app': ['app1'], 'edge': ['edge1']}


def _ha_hostvars(**per_host):
    """hostvars of HA_GROUPS' hosts: every db host HA with its own private address; per_host overrides
    (a value None removes the variable)."""
    out = {}
    for i, host in enumerate(HA_GROUPS['all']):
        hv = {'inventory_hostname': host, 'supabase_private_address': '10.0.0.%d' % (10 + i)}
        if host in HA_GROUPS['db']:
            hv['postgres_ha'] = True
        for name, value in (per_host.get(host) or {}).items():
            if value is None:
                hv.pop(name, None)
            else:
                hv[name] = value
        out[host] = hv
    return out


def _ha(groups=None, **per_host):
    return v.supabase_ha_problems(_ha_hostvars(**per_host), groups or HA_GROUPS)


def _all_db(**values):
    return dict((host, dict(values)) for host in HA_GROUPS['db'])


def test_ha_good_cluster_and_no_cluster():
    assert _ha() == []
    # The default etcd members are the db group; giving them explicitly, or as a tuple, is the same.
    assert _ha(**_all_db(postgres_etcd_hosts=['db1', 'db2', 'db3'])) == []
    assert _ha(**_all_db(postgres_ha='yes')) == []
    # No db host sets postgres_ha: nothing to check here (even a missing address is the single-host rules' business).
    assert _ha(**_all_db(postgres_ha=None, supabase_private_address=None)) == []
    assert _ha(**_all_db(postgres_ha=False, postgres_etcd_hosts=['db1', 'db2'])) == []
    assert 'supabase_ha_problems' in v.FilterModule().filters()


def test_ha_even_etcd_members():
    problems = _ha(**_all_db(postgres_etcd_hosts=['db1', 'db2']))
    assert len(problems) == 1, problems
    assert problems[0].startswith('postgres_etcd_hosts has 2 members (db1, db2)')
    assert 'odd number' in problems[0]
    # Four db hosts: the default members are the first three (the postgres role's default), four given are refused.
    groups = dict(HA_GROUPS, db=['db1', 'db2', 'db3', 'edge1'])
    hostvars = _ha_hostvars(edge1={'postgres_ha': True})
    assert v.supabase_ha_problems(hostvars, groups) == []
    for host in groups['db']:
        hostvars[host]['postgres_etcd_hosts'] = list(groups['db'])
    problems = v.supabase_ha_problems(hostvars, groups)
    assert len(problems) == 1 and 'postgres_etcd_hosts has 4 members (db1, db2, db3, edge1)' in problems[0], problems


def test_ha_etcd_members_outside_db_and_malformed():
    problems = _ha(**_all_db(postgres_etcd_hosts=['db1', 'db2', 'app1']))
    assert problems == ['postgres_etcd_hosts names app1, not in group db: etcd runs beside PostgreSQL on the db hosts'
                        ' (supabase-etcd); list db hosts only']
    assert 'nohost' in _ha(**_all_db(postgres_etcd_hosts=['db1', 'db2', 'nohost']))[0]
    assert 'must be a list' in _ha(**_all_db(postgres_etcd_hosts='db1,db2,db3'))[0]
    assert 'is empty' in _ha(**_all_db(postgres_etcd_hosts=[]))[0]
    assert any('more than once' in p for p in _ha(**_all_db(postgres_etcd_hosts=['db1', 'db1', 'db2'])))


def test_ha_etcd_members_differ_between_hosts():
    problems = _ha(db3={'postgres_etcd_hosts': ['db1', 'db2', 'db3']}, db1={'postgres_etcd_hosts': ['db1']})
    assert any(p.startswith('postgres_etcd_hosts differs between db hosts') for p in problems), problems
    # The default of db2 (the first three db hosts) and db3's explicit list are the same list: only db1 differs.
    assert 'db2, db3: ' in problems[0] and 'db1: ' in problems[0]


@pytest.mark.parametrize('address,words', [
    (None, 'db2: supabase_private_address is not set'),
    ('', 'db2: supabase_private_address is not set'),
    ('  ', 'db2: supabase_private_address is not set'),
    ('db2.internal', "db2: supabase_private_address is 'db2.internal', not an IP address"),
    ('10.0.0.300', "db2: supabase_private_address is '10.0.0.300', not an IP address"),
    ('10.0.0.11', 'db1, db2 share supabase_private_address 10.0.0.11'),  # db1's
])
def test_ha_db_host_private_address(address, words):
    problems = _ha(db2={'supabase_private_address': address})
    assert len(problems) == 1 and words in problems[0], problems


def test_ha_private_address_ipv6_and_unresolvable():
    assert _ha(db2={'supabase_private_address': 'fd00::2'}) == []

    class Undefined(dict):
        def __getitem__(self, name):
            if name == 'supabase_private_address':
                raise ValueError("'ansible_host' is undefined\nmore detail")
            return dict.__getitem__(self, name)

    hostvars = _ha_hostvars()
    hostvars['db3'] = Undefined(hostvars['db3'])
    problems = v.supabase_ha_problems(hostvars, HA_GROUPS)
    assert problems == ["db3: supabase_private_address cannot be resolved ('ansible_host' is undefined): give the IP"
                        " address the other db and app hosts reach it at"]


def test_ha_db_and_app_overlap():
    groups = dict(HA_GROUPS, app=['app1', 'db3'])
    problems = v.supabase_ha_problems(_ha_hostvars(), groups)
    assert len(problems) == 1 and problems[0].startswith('db3 is in both group db and group app'), problems
    assert 'HAProxy' in problems[0] and 'supabase-db' in problems[0]


def test_ha_set_on_some_db_hosts_only():
    problems = _ha(db2={'postgres_ha': False}, db3={'postgres_ha': None})
    assert problems == ['postgres_ha is true on db1 but not on db2, db3: a db host outside the cluster would run a'
                        ' database of its own; set postgres_ha: true for the whole group (group_vars/db.yml)']


def test_ha_every_problem_at_once_and_unknown_host():
    problems = _ha(HA_GROUPS, db1={'postgres_etcd_hosts': ['db1', 'db2']}, db2={'postgres_etcd_hosts': ['db1', 'db2'],
                   'supabase_private_address': None}, db3={'postgres_etcd_hosts': ['db1', 'db2'], 'postgres_ha': 'no'})
    assert [p.split(' ')[0] for p in problems] == ['postgres_ha', 'postgres_etcd_hosts', 'db2:'], problems
    with pytest.raises(AnsibleFilterError):
        v.supabase_ha_problems({}, HA_GROUPS)

def test_single_machine_controller_is_the_whole_stack():
    local = {'all': ['localhost'], 'db': ['localhost'], 'app': ['localhost'], 'edge': ['localhost']}
    assert v.supabase_inventory_problems(local) == []


def test_unknown_variables_nearest_name():
    declared = ['postgres_max_connections', 'gotrue_external_providers', 'postgres_port']
    names = ['postgres_max_conections', 'gotrue_externall_github_enabled', 'postgres_port', '__postgres_x',
             'ansible_host', 'kong_zzzzzzzzzzzzzzzzzzzzzzzzz']
    out = v.supabase_unknown_variables(names, declared, ['postgres_', 'gotrue_', 'kong_'])
    assert out == [
        {'name': 'gotrue_externall_github_enabled', 'nearest': 'gotrue_external_providers'},
        {'name': 'kong_zzzzzzzzzzzzzzzzzzzzzzzzz', 'nearest': ''},
        {'name': 'postgres_max_conections', 'nearest': 'postgres_max_connections'},
    ]
    msgs = v.supabase_unknown_messages(out)
    assert msgs[2] == ('postgres_max_conections is not an input of any selfhost.supabase role; '
                       'did you mean postgres_max_connections?')
    assert 'no declared name is close' in msgs[1]
    assert v.supabase_unknown_variables(['postgres_x'], [], ['postgres_'], extra=['postgres_x']) == []


def test_role_specs_of_the_collection():
    specs = v.supabase_role_specs(ROLES)
    assert {'postgres', 'gotrue', 'caddy', 'secrets'} <= set(specs)
    declared = v.supabase_declared_options(list(specs.values()))
    assert 'postgres_max_connections' in declared and 'supabase_public_url' in declared
    with pytest.raises(AnsibleFilterError):
        v.supabase_role_specs('/nonexistent')


def test_secret_names_are_the_secrets_roles_list():
    """One list: the secrets the secrets role produces are exactly the ones the rules (and the share play) know."""
    import yaml
    with open(os.path.join(ROLES, 'secrets', 'vars', 'main.yml'), encoding='utf-8') as fh:
        data = yaml.safe_load(fh)
    produced = sorted([item['name'] for item in data['__secrets_specs']] + data['__secrets_key_names'])
    assert produced == v.supabase_secret_names()


def test_secret_options_are_no_log_in_every_spec():
    """Every option holding a secret is marked no_log in every role's argument spec."""
    secretish = ('password', 'secret', '_key', 'token', '_pass')
    # Settings of the secrets role and a config checksum, not secrets themselves.
    not_secret = ('secrets_rotate', 'secrets_jwt_issuer', 'secrets_jwt_expiry_years', 'secrets_controller_python',
                  'container_restart_token')
    missing = []
    for role, doc in v.supabase_role_specs(ROLES).items():
        for entry in (doc.get('argument_specs') or {}).values():
            for name, opt in (entry.get('options') or {}).items():
                if name in not_secret:
                    continue
                if (any(s in name for s in secretish) or name in v.SECRET_RULES) and not name.endswith(
                        ('_min_length', '_length', '_file', '_src', '_path', '_dir', '_seed_source')):
                    if not (opt or {}).get('no_log'):
                        missing.append('%s: %s' % (role, name))
    assert not missing, 'secret options without no_log: true: %s' % ', '.join(missing)


def _names_of(path):
    """Variable names a molecule.yml's inventory or a vars/group_vars file sets."""
    import glob  # noqa: F401
    import yaml
    with open(path) as handle:
        doc = yaml.safe_load(handle) or {}
    if not path.endswith('molecule.yml'):
        return set(doc) if isinstance(doc, dict) else set()
    names = set()
    inv = (doc.get('provisioner') or {}).get('inventory') or {}
    for section in ('group_vars', 'host_vars'):
        for values in (inv.get(section) or {}).values():
            names.update((values or {}).keys())

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == 'hosts' and isinstance(value, dict):
                    for host_vars in value.values():
                        names.update((host_vars or {}).keys())
                elif key == 'vars':
                    names.update((value or {}).keys())
                else:
                    walk(value)
    walk(inv.get('hosts') or {})
    return names


def test_shipped_inventories_and_scenarios_declare_every_variable():
    """inventories/* and molecule/* set no role-prefixed variable that no role declares (no warning)."""
    import glob
    import re
    root = os.path.join(ROLES, '..')
    specs = v.supabase_role_specs(ROLES)
    declared = v.supabase_declared_options(list(specs.values()))
    with open(os.path.join(root, 'playbooks', 'preflight.yml')) as handle:
        text = handle.read()
    block = text.split('__supabase_stack_inputs:', 1)[1].split('\n  tasks:', 1)[0]
    extra = re.findall(r'^\s+- ([a-z0-9_]+)$', block, re.M)
    assert 'supabase_private_address' in extra
    prefixes = [name + '_' for name in specs] + ['supabase_']
    files = (glob.glob(os.path.join(root, 'molecule', '*', 'molecule.yml'))
             + glob.glob(os.path.join(root, 'molecule', 'resources', 'vars', '*.yml'))
             + glob.glob(os.path.join(root, 'molecule', '*', 'vars', '*.yml'))
             + glob.glob(os.path.join(root, 'inventories', '*', 'group_vars', '*.yml')))
    assert files
    unknown = {}
    for path in files:
        found = v.supabase_unknown_variables(_names_of(path), declared, prefixes, extra)
        found += v.supabase_renamed_variables(_names_of(path))
        if found:
            unknown[os.path.relpath(path, root)] = found
    assert not unknown, unknown


# --- renamed inputs (RENAMED_VARIABLES): the one map, the two filters, and nothing shipped uses an old name

def test_renamed_map_points_from_undeclared_to_declared_names():
    declared = set(v.supabase_declared_options(list(v.supabase_role_specs(ROLES).values())))
    assert len(v.RENAMED_VARIABLES) >= 9
    for old, (new, note) in v.RENAMED_VARIABLES.items():
        assert old not in declared, '%s is renamed but still declared by a role' % old
        assert new in declared, '%s was renamed to %s, which no role declares' % (old, new)
        assert old.split('_')[0] == new.split('_')[0], 'a rename stays in its role: %s -> %s' % (old, new)
        assert isinstance(note, str)


def test_renamed_variables_sentences():
    out = v.supabase_renamed_variables(['redis_port', 'postgres_healthcheck_timeout', 'redis_publish_port',
                                        'postgres_healthcheck_timeout'])
    assert out == [
        'postgres_healthcheck_timeout was renamed to postgres_wait_timeout: set postgres_wait_timeout instead'
        ' (the old name is ignored)',
        'redis_publish_port was renamed to redis_bind_address (the address Redis is published on; "" publishes'
        ' nothing): set redis_bind_address instead (the old name is ignored)']
    assert v.supabase_renamed_variables(['x_old'], {'x_old': ('x_new', '')}) == [
        'x_old was renamed to x_new: set x_new instead (the old name is ignored)']
    assert v.supabase_renamed_variables(None) == []


def test_renamed_names_are_not_also_reported_as_unknown():
    out = v.supabase_unknown_variables(['minio_allow_public_bind', 'minio_typo'], ['minio_allow_public_ports'], ['minio_'])
    assert [u['name'] for u in out] == ['minio_typo']


def test_hosts_renamed_variables_one_sentence_per_name_with_its_hosts():
    hostvars = {'db1': _Vars(redis_healthcheck_timeout=5, boom_x=1, minio_allow_public_bind=True),
                'app1': _Vars(redis_healthcheck_timeout=5), 'edge1': _Vars(caddy_http_port=80)}
    out = v.supabase_hosts_renamed_variables(hostvars, ['db1', 'app1', 'edge1', 'db1'])
    assert out == [
        'db1: minio_allow_public_bind was renamed to minio_allow_public_ports: set minio_allow_public_ports instead'
        ' (the old name is ignored)',
        'db1, app1: redis_healthcheck_timeout was renamed to redis_wait_timeout: set redis_wait_timeout instead'
        ' (the old name is ignored)']
    assert v.supabase_hosts_renamed_variables(hostvars, ['edge1']) == []
    with pytest.raises(AnsibleFilterError, match='nohost is not a host'):
        v.supabase_hosts_renamed_variables(hostvars, ['nohost'])


def test_no_shipped_file_sets_or_reads_an_old_name():
    """roles, playbooks, molecule scenarios and inventories use the new names only (docs may cite the old)."""
    import re
    root = os.path.join(ROLES, '..')
    pattern = re.compile(r'\b(%s)\b' % '|'.join(map(re.escape, v.RENAMED_VARIABLES)))
    found = []
    for top in ('roles', 'playbooks', 'molecule', 'inventories'):
        for base, _dirs, files in os.walk(os.path.join(root, top)):
            for name in files:
                if name.endswith(('.yml', '.yaml', '.j2', '.py', '.md', '.cfg', '.ini', '.json')):
                    path = os.path.join(base, name)
                    with open(path, encoding='utf-8', errors='replace') as handle:
                        for number, line in enumerate(handle, 1):
                            if pattern.search(line):
                                found.append('%s:%d: %s' % (os.path.relpath(path, root), number, line.strip()))
    assert not found, '\n'.join(found)


def test_port_rule_skips_options_declared_with_another_type():
    # redis_expose_port: a made-up boolean whose name ends in port (no role declares one today).
    specs = [{'argument_specs': {'main': {'options': {'redis_expose_port': {'type': 'bool'},
                                                      'redis_port': {'type': 'int'}}}}}]
    assert v.supabase_port_problems({'redis_expose_port': True, 'redis_port': 6379}, specs) == []
    assert v.supabase_port_problems({'redis_expose_port': True, 'redis_port': 70000}, specs) == [
        "redis_port is 70000: a port must be an integer from 1 to 65535"]
    # Without the specs, a boolean is no port.
    assert v.supabase_port_problems({'redis_expose_port': True})
    # An old name is reported as renamed (supabase_renamed_variables), not as a bad port.
    assert v.supabase_port_problems({'redis_publish_port': True}) == []


# The per-host programs moved out of playbooks/preflight.yml.

class _Vars(dict):
    """A host's variables that refuse to be read except by name match (as hostvars templates on read)."""

    def __getitem__(self, name):
        if name.startswith('boom'):
            raise AssertionError('%s was read' % name)
        return dict.__getitem__(self, name)


def _hostvars():
    return {
        'db1': _Vars(postgres_port='5432', postgres_typo=1, boom_value=1, redis_expose_port=True),
        'app1': _Vars(kong_http_port=70000, kong_port='x', supabase_db_port=5432, boom_port_not_prefixed=1),
        'localhost': _Vars(supabase_typo=1),
    }


SPECS = [{'argument_specs': {'main': {'options': {'postgres_port': {'type': 'int'}, 'kong_http_port': {'type': 'int'},
                                                   'redis_expose_port': {'type': 'bool'}}}}}]


def test_hosts_unknown_variables_per_host_in_host_order():
    out = v.supabase_hosts_unknown_variables(_hostvars(), ['app1', 'db1', 'localhost'], ['postgres_port', 'kong_http_port'],
                                             ['postgres_', 'kong_', 'supabase_', 'redis_'], ['supabase_db_port'])
    assert [(u['host'], u['name']) for u in out] == [
        ('app1', 'kong_port'), ('db1', 'postgres_typo'), ('db1', 'redis_expose_port'), ('localhost', 'supabase_typo')]
    assert out[1]['nearest'] == 'postgres_port'
    assert v.supabase_hosts_unknown_variables(_hostvars(), [], [], ['x_']) == []


def test_hosts_port_problems_prefixed_with_the_host():
    out = v.supabase_hosts_port_problems(_hostvars(), ['db1', 'app1', 'db1'], ['postgres_', 'kong_', 'supabase_', 'redis_'],
                                         SPECS)
    assert out == ["app1: kong_http_port is 70000: a port must be an integer from 1 to 65535",
                   "app1: kong_port is 'x': a port must be an integer from 1 to 65535"]
    # Without the specs the boolean redis_expose_port counts as a port.
    assert 'db1: redis_expose_port is True: a port must be an integer from 1 to 65535' in v.supabase_hosts_port_problems(
        _hostvars(), ['db1'], ['redis_'])


def test_hosts_filters_bad_input():
    with pytest.raises(AnsibleFilterError, match='nohost is not a host'):
        v.supabase_hosts_port_problems(_hostvars(), ['nohost'], ['postgres_'])
    with pytest.raises(KeyError):
        v.supabase_hosts_unknown_variables(_hostvars(), ['nohost'], [], ['postgres_'])


TIERS = {'hosts': {'groups': ['db', 'app', 'edge'], 'roles': ['host', 'docker']},
         'data': {'groups': ['db'], 'roles': ['postgres', 'redis']},
         'services': {'groups': ['app'], 'roles': ['gotrue', 'docker']}}


def test_tier_roles():
    assert v.supabase_tier_roles(['hosts', 'data', 'services'], TIERS, ['db']) == ['host', 'docker', 'postgres', 'redis']
    assert v.supabase_tier_roles(['services', 'hosts'], TIERS, ['app', 'other']) == ['gotrue', 'docker', 'host']
    assert v.supabase_tier_roles(['nope', 'data'], TIERS, ['app']) == []
    assert v.supabase_tier_roles([], TIERS, ['db']) == []
    assert v.supabase_tier_roles(None, TIERS, ['db']) == []
