# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

"""Rules of the validation phase (playbooks/preflight.yml), as filters.

Every function returns a list of problems, each a sentence that names the operator's variable and
the rule it broke. An empty list means the input is fine. No function ever puts a secret's value in
a problem.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# No DOCUMENTATION here: ansible-doc would show a module-level one for every filter of this file.
# Each filter has its own sidecar, plugins/filter/<filter name>.yml.

import copy
import difflib
import ipaddress
import os
import re

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported
    urlsplit = None

from ansible.errors import AnsibleFilterError

# The one place the secret rules live. The secrets role checks given, stored and generated values
# with them; the roles that use a value (postgres, redis, minio, ...) check their own variable with
# the same rule. A role's *_min_length option can raise a minimum, never lower it.
#   min_length / exact_length: characters
#   url_safe: the value goes into a connection string (postgres://user:PASSWORD@host, redis://:PASSWORD@):
#             none of : / @ ? # [ ] % ' " \ and no whitespace
SECRET_RULES = {
    'supabase_postgres_password': {'min_length': 16, 'url_safe': True},
    'supabase_jwt_secret': {'min_length': 32},
    'supabase_anon_key': {'min_length': 1},
    'supabase_service_role_key': {'min_length': 1},
    'supabase_dashboard_username': {'min_length': 1, 'url_safe': True},
    'supabase_dashboard_password': {'min_length': 16},
    'supabase_secret_key_base': {'min_length': 64},
    'supabase_db_enc_key': {'exact_length': 16},  # Realtime uses it as an AES-128 key
    'supabase_vault_enc_key': {'min_length': 32},
    'supabase_pg_meta_crypto_key': {'min_length': 32},
    'supabase_minio_root_user': {'min_length': 3, 'url_safe': True},  # MinIO's own minimum is 3
    'supabase_minio_root_password': {'min_length': 16},  # MinIO needs 8; the stack asks 16
    'supabase_redis_password': {'min_length': 16, 'url_safe': True},
    'supabase_backup_cipher_pass': {'min_length': 32},  # pgBackRest repository encryption
}

# The one place renamed inputs live: old name -> (new name, what to write instead, or '').
# The validation phase refuses a host that still sets an old name (always an error: the old name would
# be ignored), and the validate_inputs action refuses it for a role run alone. See docs/architecture.md,
# Conventions.
RENAMED_VARIABLES = {
    # One name for the wait: <role>_wait_timeout.
    'postgres_healthcheck_timeout': ('postgres_wait_timeout', ''),
    'redis_healthcheck_timeout': ('redis_wait_timeout', ''),
    'minio_healthcheck_timeout': ('minio_wait_timeout', ''),
    # One name for publishing on 0.0.0.0 or ::: <role>_allow_public_ports.
    'postgres_allow_public_bind': ('postgres_allow_public_ports', ''),
    'redis_allow_public_bind': ('redis_allow_public_ports', ''),
    'minio_allow_public_bind': ('minio_allow_public_ports', ''),
    # One way to publish: a port is published on its address, and not at all when the address is "".
    'redis_publish_port': ('redis_bind_address', 'the address Redis is published on; "" publishes nothing'),
    'minio_publish_api': ('minio_bind_address', 'the address the S3 API is published on; "" publishes nothing'),
    'minio_publish_console': ('minio_console_bind_address',
                              'the address the console is published on; "" (the default) publishes nothing'),
}

_URL_UNSAFE = set(':/@?#[]%\'"\\')
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')
_HOST_RE = re.compile(r'^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$')
SERVICE_GROUPS = ('db', 'app', 'edge')


def _text(value):
    if value is None:
        return ''
    return value if isinstance(value, str) else str(value)


def supabase_secret_names(_input=None):
    """The names of every stack secret (sorted): the facts the secrets role sets and the share play copies."""
    return sorted(SECRET_RULES)


def supabase_secret_rule(name):
    """The rule of stack secret ``name`` (a copy), e.g. {'min_length': 16, 'url_safe': True}."""
    if name not in SECRET_RULES:
        raise AnsibleFilterError('supabase_secret_rule: %s is not a stack secret; known: %s'
                                 % (name, ', '.join(sorted(SECRET_RULES))))
    return dict(SECRET_RULES[name])


def supabase_secret_problems(value, secret, variable=None, origin='', min_length=0, demo=None):
    """Problems of one secret value, checked by the rule of stack secret ``secret``.

    ``variable``: the operator's variable named in the message (default ``secret``);
    ``origin``: e.g. 'given' or 'in /path/supabase-secrets.yml', shown in brackets;
    ``min_length``: a role's own minimum (raises the rule's); ``demo``: published values to refuse.
    An empty value gives no problem here (missing values are generated or reported elsewhere).
    """
    rule = supabase_secret_rule(secret)
    variable = variable or secret
    where = '%s (%s)' % (variable, origin) if origin else variable
    text = _text(value)
    problems = []
    if not text:
        return problems
    if demo and text in [_text(d) for d in demo]:
        problems.append('%s is a published demo value; use your own (the secrets role generates one when unset)' % where)
    if '\n' in text or '\r' in text:
        problems.append('%s must be one line (it holds a newline)' % where)
    elif _CONTROL.search(text):
        problems.append('%s must not hold control characters' % where)
    if rule.get('url_safe'):
        bad = sorted(set(c for c in text if c in _URL_UNSAFE or c.isspace()) - set('\n\r'))
        if bad:
            problems.append('%s must not hold %s: it goes into connection strings'
                            % (where, ' '.join(repr(c) for c in bad)))
    if 'exact_length' in rule:
        if len(text) != rule['exact_length']:
            problems.append('%s must be exactly %d characters (it has %d)' % (where, rule['exact_length'], len(text)))
    else:
        minimum = max(int(rule.get('min_length', 0)), int(min_length or 0))
        if len(text) < minimum:
            problems.append('%s must be at least %d characters (it has %d)' % (where, minimum, len(text)))
    return problems


def supabase_url_problems(value, variable, environment='production', require_https=None):
    """Problems of a public URL: scheme http(s), a host, no path/query/fragment/credentials.

    ``environment`` is compared case-insensitively: production requires https.
    """
    text = _text(value).strip()
    production = _text(environment).strip().lower() == 'production'
    if require_https is None:
        require_https = production
    if not text:
        return ['%s is not set: give the URL users reach the stack at, e.g. https://supabase.example.com' % variable]
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        if 'port' in str(exc).lower():
            return ['%s (%s): port must be 1-65535' % (variable, text)]
        return ['%s (%s) is not a URL: %s' % (variable, text, exc)]
    problems = []
    if parts.scheme.lower() not in ('http', 'https'):
        problems.append('%s (%s) must start with https:// (or http:// outside production)' % (variable, text))
        return problems
    host = parts.hostname or ''
    if not host or not (_HOST_RE.match(host) or (':' in host and re.match(r'^[0-9a-f:.]+$', host))):
        problems.append('%s (%s) must name a host, e.g. https://supabase.example.com' % (variable, text))
    if '@' in parts.netloc:
        problems.append('%s (%s) must not hold credentials (user@)' % (variable, text))
    if port is not None and not 1 <= port <= 65535:
        problems.append('%s (%s): port must be 1-65535' % (variable, text))
    if parts.path not in ('', '/'):
        problems.append('%s (%s) must not have a path (%s): the stack is served at the root of its host'
                        % (variable, text, parts.path))
    if parts.query or parts.fragment:
        problems.append('%s (%s) must not have a query or fragment' % (variable, text))
    if require_https and parts.scheme.lower() != 'https':
        problems.append('%s (%s) must be https:// when supabase_environment is production (case-insensitive, got %r);'
                        ' set supabase_environment: development to allow http' % (variable, text, _text(environment)))
    return problems


def supabase_port_problems(ports, specs=None):
    """Problems of a mapping variable name -> port: an integer 1-65535 (numbers as strings accepted).

    ``specs``: parsed argument specs; an option they declare with a type other than int or str (e.g. a
    boolean named <role>_expose_port) is not a port, whatever its name, and is left to its role's spec.
    Renamed names (RENAMED_VARIABLES, e.g. the boolean redis_publish_port) are reported as renamed, not here.
    """
    not_ports = set()
    for doc in specs or []:
        for entry in ((doc or {}).get('argument_specs') or {}).values():
            for option, spec in ((entry or {}).get('options') or {}).items():
                if (spec or {}).get('type', 'str') not in ('int', 'str', 'raw'):
                    not_ports.add(option)
    problems = []
    for name in sorted(set(ports or {}) - not_ports - set(RENAMED_VARIABLES)):
        value = ports[name]
        if isinstance(value, bool) or value is None:
            ok = False
        else:
            text = _text(value).strip()
            ok = text.isdigit() and 1 <= int(text) <= 65535
        if not ok:
            problems.append('%s is %r: a port must be an integer from 1 to 65535' % (name, value))
    return problems


def _truthy(value):
    if isinstance(value, bool):
        return value
    return _text(value).strip().lower() in ('1', 'true', 'yes', 'on', 'y', 't')


def supabase_inventory_problems(groups, controller='localhost', postgres_ha=False):
    """Problems of the inventory's shape: one db host (or 3+ with postgres_ha), an app host,
    the controller in no service group."""
    groups = groups or {}
    problems = []
    db = list(groups.get('db') or [])
    app = list(groups.get('app') or [])
    ha = _truthy(postgres_ha)
    if not db:
        problems.append('group db has no host: put the host that runs PostgreSQL, Redis and MinIO in group db')
    elif not ha and len(db) != 1:
        problems.append('group db has %d hosts (%s): the stack runs one database host; set postgres_ha: true for a cluster'
                        % (len(db), ', '.join(db)))
    elif ha and len(db) < 3:
        problems.append('group db has %d host(s) (%s) with postgres_ha: true: a cluster needs 3 or more'
                        % (len(db), ', '.join(db)))
    if not app:
        problems.append('group app has no host: Kong and the Supabase services run on the hosts of group app')
    if controller not in (groups.get('all') or []):
        problems.append('the controller (%s) is not in the inventory: add it with ansible_connection: local, in no'
                        ' stack group (see inventories/example/hosts.yml)' % controller)
    service_hosts = set()
    for group in SERVICE_GROUPS:
        service_hosts.update(groups.get(group) or [])
    # One machine that is the whole stack (inventories/local) is fine; in a fleet the controller
    # keeps the secrets file and must not be a service host as well.
    if controller in service_hosts and service_hosts != {controller}:
        for group in SERVICE_GROUPS:
            if controller in (groups.get(group) or []):
                problems.append('the controller (%s) is in group %s of a fleet (%s): the controller keeps the secrets'
                                ' and is in no service group unless it is the whole stack alone; give the service'
                                ' host its own inventory name' % (controller, group, ', '.join(sorted(service_hosts - {controller}))))
    return problems


def _hv_get(hostvars, host, name, default=None):
    """(set, value) of variable ``name`` of ``host`` as the inventory gives it (templated by hostvars)."""
    try:
        hv = hostvars[host]
    except KeyError:
        raise AnsibleFilterError('%s is not a host of the inventory' % host)
    if name not in hv:
        return False, default
    return True, hv[name]


def _is_ip(value):
    try:
        ipaddress.ip_address(_text(value).strip())
    except ValueError:
        return False
    return True


def supabase_ha_problems(hostvars, groups):
    """Problems of a database cluster (postgres_ha: true on a db host): the inputs the postgres role's HA
    mode, etcd, the app hosts' HAProxy and switchover.yml rely on. Empty when no db host sets postgres_ha.

    - postgres_ha the same on every db host;
    - postgres_etcd_hosts (default: the first three db hosts) a list of an odd number of db hosts, the same on
      every db host;
    - every db host has supabase_private_address, an IP address, each its own;
    - no host in both db and app (the app host's HAProxy takes the supabase-db name on its stack network).
    """
    groups = groups or {}
    db = _unique(list(groups.get('db') or []))
    app = list(groups.get('app') or [])
    ha = dict((host, _truthy(_hv_get(hostvars, host, 'postgres_ha', False)[1])) for host in db)
    on = [host for host in db if ha[host]]
    if not on:
        return []
    problems = []
    off = [host for host in db if not ha[host]]
    if off:
        problems.append('postgres_ha is true on %s but not on %s: a db host outside the cluster would run a database of'
                        ' its own; set postgres_ha: true for the whole group (group_vars/db.yml)'
                        % (', '.join(on), ', '.join(off)))

    # etcd: the members as each HA db host sees them (the postgres role's default: the first three db hosts).
    seen = []
    for host in on:
        given, members = _hv_get(hostvars, host, 'postgres_etcd_hosts', None)
        if not given or members is None:
            members = list(db[:3])
        for known in seen:
            if known[0] == members:
                known[1].append(host)
                break
        else:
            seen.append((members, [host]))
    if len(seen) > 1:
        problems.append('postgres_etcd_hosts differs between db hosts (%s): every etcd member must be given the same'
                        ' member list; set it once in group_vars/db.yml'
                        % '; '.join('%s: %s' % (', '.join(hosts), _text(value)) for value, hosts in seen))
    members = seen[0][0]
    if not isinstance(members, (list, tuple)) or any(not isinstance(m, str) for m in members):
        problems.append('postgres_etcd_hosts must be a list of inventory host names of group db, got %r' % (members,))
    else:
        unique = _unique(list(members))
        if len(unique) != len(members):
            problems.append('postgres_etcd_hosts names a host more than once (%s)' % ', '.join(members))
        if not unique:
            problems.append('postgres_etcd_hosts is empty: etcd needs 3 members (or 5, 7), one per db host')
        elif len(unique) % 2 == 0:
            problems.append('postgres_etcd_hosts has %d members (%s): etcd needs an odd number (3, 5, 7); with an even'
                            ' number one more member adds no failure tolerance, and a split in half has no majority'
                            % (len(unique), ', '.join(unique)))
        strangers = [m for m in unique if m not in db]
        if strangers:
            problems.append('postgres_etcd_hosts names %s, not in group db: etcd runs beside PostgreSQL on the db hosts'
                            ' (supabase-etcd); list db hosts only' % ', '.join(strangers))

    addresses = {}
    for host in db:
        try:
            given, address = _hv_get(hostvars, host, 'supabase_private_address', None)
        except AnsibleFilterError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. a template naming an undefined variable
            problems.append('%s: supabase_private_address cannot be resolved (%s): give the IP address the other db'
                            ' and app hosts reach it at' % (host, _text(exc).split('\n')[0]))
            continue
        text = _text(address).strip()
        if not given or not text:
            problems.append('%s: supabase_private_address is not set: with postgres_ha every db host needs the IP address'
                            ' the other db and app hosts reach it at (Patroni, etcd and PostgreSQL publish their ports'
                            ' there)' % host)
        elif not _is_ip(text):
            problems.append('%s: supabase_private_address is %r, not an IP address: with postgres_ha Patroni and etcd'
                            ' advertise it to their peers; give the host\'s private IP address' % (host, text))
        else:
            addresses.setdefault(str(ipaddress.ip_address(text)), []).append(host)
    for address, hosts in sorted(addresses.items()):
        if len(hosts) > 1:
            problems.append('%s share supabase_private_address %s: each db host of a cluster needs its own'
                            % (', '.join(hosts), address))

    both = [host for host in db if host in app]
    if both:
        problems.append('%s %s in both group db and group app: with postgres_ha the app hosts run HAProxy, which takes'
                        ' the supabase-db name on their stack network (the name the db host\'s PostgreSQL container has'
                        ' on a shared host); give the database and the app hosts different machines'
                        % (', '.join(both), 'is' if len(both) == 1 else 'are'))
    return problems


def supabase_declared_options(specs):
    """Option names of a list of parsed meta/argument_specs.yml documents (every entry point)."""
    names = set()
    for doc in specs or []:
        for entry in ((doc or {}).get('argument_specs') or {}).values():
            names.update(((entry or {}).get('options') or {}).keys())
    return sorted(names)


_SPEC_CACHE = {}


def _load_yaml(path):
    """A YAML file, parsed once per process and mtime (the validation phase reads the specs many times)."""
    import yaml  # PyYAML ships with ansible-core
    info = os.stat(path)
    key = (path, info.st_mtime_ns, info.st_size)
    if key not in _SPEC_CACHE:
        loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
        with open(path, 'rb') as handle:
            _SPEC_CACHE[key] = yaml.load(handle, Loader=loader) or {}  # nosec B506 - a safe loader
    return copy.deepcopy(_SPEC_CACHE[key])


def supabase_role_specs(roles_dir):
    """{role name: parsed meta/argument_specs.yml} of every role directory under ``roles_dir``."""
    out = {}
    if not os.path.isdir(roles_dir):
        raise AnsibleFilterError('supabase_role_specs: %s is not a directory' % roles_dir)
    for name in sorted(os.listdir(roles_dir)):
        path = os.path.join(roles_dir, name, 'meta', 'argument_specs.yml')
        if os.path.isfile(path):
            out[name] = _load_yaml(path)
    return out


def supabase_unknown_variables(names, declared, prefixes, extra=None):
    """Variables that look like role inputs (a role's prefix) but that no role declares.

    Returns a list of {'name', 'nearest'} ('' when nothing is close). Names starting with '_' are
    internal and skipped, and so are renamed ones (supabase_renamed_variables reports them).
    """
    known = set(declared or []) | set(extra or [])
    prefixes = sorted(set(prefixes or []), key=len, reverse=True)
    out = []
    for name in sorted(set(names or [])):
        name = _text(name)
        if name.startswith('_') or name in known or name in RENAMED_VARIABLES:
            continue
        prefix = next((p for p in prefixes if name.startswith(p)), None)
        if prefix is None:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        out.append({'name': name, 'nearest': close[0] if close else ''})
    return out


def supabase_unknown_messages(unknown, where=''):
    """One sentence per unknown variable."""
    out = []
    for item in unknown or []:
        msg = '%s%s is not an input of any selfhost.supabase role' % (where + ': ' if where else '', item['name'])
        msg += '; did you mean %s?' % item['nearest'] if item.get('nearest') else ' (no declared name is close)'
        out.append(msg)
    return out


def supabase_renamed_variables(names, renamed=None):
    """One sentence per name of ``names`` that is an old, renamed input (sorted, each once).

    ``renamed``: old name -> (new name, note); RENAMED_VARIABLES by default.
    """
    renamed = RENAMED_VARIABLES if renamed is None else renamed
    out = []
    for name in sorted(set(_text(n) for n in names or [])):
        if name in renamed:
            new, note = renamed[name]
            out.append('%s was renamed to %s%s: set %s instead (the old name is ignored)'
                       % (name, new, ' (%s)' % note if note else '', new))
    return out


def supabase_hosts_renamed_variables(hostvars, hosts, renamed=None):
    """supabase_renamed_variables of ``hosts``' variable names: one 'host, host: sentence' per old name
    (sorted by name; the hosts that set it in the order given)."""
    renamed = RENAMED_VARIABLES if renamed is None else renamed
    where = {}
    for host in _unique(hosts or []):
        try:
            names = list(hostvars[host].keys())
        except KeyError:
            raise AnsibleFilterError('%s is not a host of the inventory' % host)
        for name in names:
            if _text(name) in renamed:
                where.setdefault(_text(name), []).append(host)
    return ['%s: %s' % (', '.join(where[name]), supabase_renamed_variables([name], renamed)[0]) for name in sorted(where)]


def _unique(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _host_vars(hostvars, host, pattern):
    """{name: value} of ``host``'s variables whose name matches ``pattern`` (only those are templated)."""
    try:
        hv = hostvars[host]
    except KeyError:
        raise AnsibleFilterError('%s is not a host of the inventory' % host)
    return dict((name, hv[name]) for name in list(hv.keys()) if re.match(pattern, str(name)))


def supabase_hosts_unknown_variables(hostvars, hosts, declared, prefixes, extra=None):
    """supabase_unknown_variables for each of ``hosts``, each result with its ``host``, in host order."""
    out = []
    for host in hosts or []:
        names = list(hostvars[host].keys())
        for item in supabase_unknown_variables(names, declared, prefixes, extra):
            out.append(dict(item, host=host))
    return out


def supabase_hosts_port_problems(hostvars, hosts, prefixes, specs=None):
    """supabase_port_problems of each host's role-prefixed ``*port`` variables, as 'host: problem' (unique)."""
    pattern = '^(' + '|'.join(prefixes or []) + ')(.*_)?port$'
    out = []
    for host in hosts or []:
        for problem in supabase_port_problems(_host_vars(hostvars, host, pattern), specs):
            out.append('%s: %s' % (host, problem))
    return _unique(out)


def supabase_tier_roles(tiers, tier_roles, group_names):
    """The roles of the ``tiers`` (known ones only) that run on a host of ``group_names``, in order, unique.

    ``tier_roles``: tier -> {groups, roles}.
    """
    groups = set(group_names or [])
    out = []
    for tier in tiers or []:
        if tier not in (tier_roles or {}):
            continue
        entry = tier_roles[tier] or {}
        if groups & set(entry.get('groups') or []):
            out.extend(entry.get('roles') or [])
    return _unique(out)


class FilterModule(object):
    def filters(self):
        return {
            'supabase_secret_rule': supabase_secret_rule,
            'supabase_secret_names': supabase_secret_names,
            'supabase_secret_problems': supabase_secret_problems,
            'supabase_url_problems': supabase_url_problems,
            'supabase_port_problems': supabase_port_problems,
            'supabase_inventory_problems': supabase_inventory_problems,
            'supabase_ha_problems': supabase_ha_problems,
            'supabase_declared_options': supabase_declared_options,
            'supabase_role_specs': supabase_role_specs,
            'supabase_unknown_variables': supabase_unknown_variables,
            'supabase_unknown_messages': supabase_unknown_messages,
            'supabase_hosts_unknown_variables': supabase_hosts_unknown_variables,
            'supabase_renamed_variables': supabase_renamed_variables,
            'supabase_hosts_renamed_variables': supabase_hosts_renamed_variables,
            'supabase_hosts_port_problems': supabase_hosts_port_problems,
            'supabase_tier_roles': supabase_tier_roles,
        }
