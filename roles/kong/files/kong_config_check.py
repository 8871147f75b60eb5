#!/usr/bin/python3
"""Check a rendered Kong declarative config before it replaces the live one.

Usage: kong_config_check.py [--plugins a,b,c] FILE

Standard library only (it runs on the managed host): the file must be JSON, which the kong
role writes (JSON is also YAML, so Kong reads it too); YAML is accepted when PyYAML is there.
Exits 0 when the file is fine, 1 with one line per problem otherwise. Never prints a key.
"""
import json
import sys

SECURE = ('key-auth', 'acl')
PLACEHOLDERS = ('{{', '{%', '$SUPABASE_', '${', 'your-super-secret', 'CHANGE_ME', 'changeme')
KEYED_CONSUMERS = {'anon': 'anon', 'service_role': 'admin'}
RATE_PERIODS = ('second', 'minute', 'hour', 'day', 'month', 'year')
RATE_POLICIES = ('local', 'cluster', 'redis')


def load(path):
    with open(path, encoding='utf-8') as handle:
        text = handle.read()
    try:
        return json.loads(text), text
    except ValueError as exc:
        try:
            import yaml  # noqa: WPS433 (optional)
        except ImportError:
            raise ValueError('not JSON (%s) and PyYAML is not installed' % exc)
        return yaml.safe_load(text), text


def problems(config, text, plugins=None):
    out = []
    if not isinstance(config, dict):
        return ['the top level is not a mapping']
    if not config.get('_format_version'):
        out.append('_format_version is missing')
    for marker in PLACEHOLDERS:
        if marker in text:
            out.append('placeholder text %r is left in the file' % marker)
    consumers = {c.get('username'): c for c in config.get('consumers') or [] if isinstance(c, dict)}
    for name, group in KEYED_CONSUMERS.items():
        consumer = consumers.get(name)
        if consumer is None:
            out.append('consumer %s is missing' % name)
            continue
        keys = [c.get('key') for c in consumer.get('keyauth_credentials') or []]
        if not keys or not all(isinstance(k, str) and k for k in keys):
            out.append('consumer %s has no key-auth key' % name)
        if group not in [a.get('group') for a in consumer.get('acls') or []]:
            out.append('consumer %s is not in ACL group %s' % (name, group))
    dashboard = consumers.get('DASHBOARD') or {}
    creds = dashboard.get('basicauth_credentials') or []
    if not creds or not all(c.get('username') and c.get('password') for c in creds):
        out.append('consumer DASHBOARD has no basic-auth credential')
    used = set()
    route_names = set()
    for service in config.get('services') or []:
        name = service.get('name') or '?'
        if not service.get('url') and not service.get('host'):
            out.append('service %s has no url' % name)
        routes = service.get('routes') or []
        if not routes:
            out.append('service %s has no route' % name)
        for route in routes:
            if not route.get('paths'):
                out.append('route %s of service %s has no path' % (route.get('name'), name))
            if route.get('name') in route_names:
                out.append('route name %s is used twice' % route.get('name'))
            route_names.add(route.get('name'))
        names = [p.get('name') for p in service.get('plugins') or []]
        used.update(names)
        if 'key-auth' in names or 'acl' in names:
            missing = [p for p in SECURE if p not in names]
            if missing:
                out.append('service %s is secured but lacks %s' % (name, ', '.join(missing)))
            acl = [p for p in service['plugins'] if p.get('name') == 'acl']
            if acl and not (acl[0].get('config') or {}).get('allow'):
                out.append('service %s has an acl plugin without allow groups' % name)
    for consumer in consumers.values():
        used.update(p.get('name') for p in consumer.get('plugins') or [])
        for plugin in consumer.get('plugins') or []:
            if plugin.get('name') == 'rate-limiting':
                out.extend(rate_limit_problems(consumer.get('username') or '?', plugin.get('config') or {}))
    if plugins is not None:
        for name in sorted(used - set(plugins)):
            out.append('plugin %s is used but not enabled in KONG_PLUGINS' % name)
    return out


def rate_limit_problems(consumer, config):
    """A rate-limiting config Kong would refuse, or one whose counters are not shared (never prints the password)."""
    out = []
    limits = [p for p in RATE_PERIODS if p in config]
    if not limits:
        out.append('rate-limiting of consumer %s sets no limit (one of %s)' % (consumer, ', '.join(RATE_PERIODS)))
    for period in limits:
        if not isinstance(config[period], int) or isinstance(config[period], bool) or config[period] < 1:
            out.append('rate-limiting of consumer %s: %s is not a positive whole number' % (consumer, period))
    policy = config.get('policy', 'local')
    if policy not in RATE_POLICIES:
        out.append('rate-limiting of consumer %s: policy %r is not one of %s' % (consumer, policy, ', '.join(RATE_POLICIES)))
    if policy == 'redis':
        if not config.get('redis_host'):
            out.append('rate-limiting of consumer %s: policy redis without redis_host' % consumer)
        port = config.get('redis_port', 6379)
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            out.append('rate-limiting of consumer %s: redis_port is not a port number' % consumer)
    return out


def main(argv):
    plugins = None
    args = list(argv)
    if len(args) >= 2 and args[0] == '--plugins':
        plugins = [p for p in args[1].split(',') if p]
        args = args[2:]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    try:
        config, text = load(args[0])
    except (OSError, ValueError) as exc:
        print('kong config: cannot read %s: %s' % (args[0], exc))
        return 1
    found = problems(config, text, plugins)
    for problem in found:
        print('kong config: %s' % problem)
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
