"""STAND-IN gateway: enforces a Kong declarative config (DB-less). It is NOT Kong.

What it enforces, in Kong's plugin order: cors (preflight answered, Allow-Origin added),
key-auth (header or query, key_names, hide_credentials), basic-auth (hide_credentials), acl
(allow/deny groups), rate-limiting (per consumer or ip; policy local, or redis shared by every node),
request-transformer (headers add/append/replace/remove). Routing: longest path prefix over every
route, strip_path, the service url (Docker DNS names). Anything else in the file is logged and ignored.

Pure parts (load_config, match, decide, upstream_path) take no I/O so unit tests can feed them the
rendered kong.yml.
"""
import base64
import hmac
import json
import time
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import yaml

ENFORCED = ('cors', 'key-auth', 'basic-auth', 'acl', 'rate-limiting', 'request-transformer')
# Plugins bundled with Kong 3.x: a name outside this list in KONG_PLUGINS stops real Kong.
BUNDLED = frozenset("""
acl acme ai-prompt-decorator ai-prompt-guard ai-prompt-template ai-proxy ai-request-transformer
ai-response-transformer aws-lambda azure-functions basic-auth bot-detection correlation-id cors
datadog file-log grpc-gateway grpc-web hmac-auth http-log ip-restriction jwt key-auth ldap-auth
loggly oauth2 opentelemetry post-function pre-function prometheus proxy-cache rate-limiting
request-size-limiting request-termination request-transformer response-ratelimiting
response-transformer session statsd syslog tcp-log udp-log zipkin
""".split())
PERIODS = {'second': 1, 'minute': 60, 'hour': 3600, 'day': 86400, 'month': 2592000, 'year': 31536000}
TOP_KEYS = {'_format_version', '_transform', 'services', 'consumers', 'plugins', 'routes', 'upstreams',
            'certificates', 'ca_certificates', 'vaults', '_comment', '_workspace', 'snis', 'targets'}

NO_KEY = {'message': 'No API key found in request'}
BAD_CREDENTIALS = {'message': 'Invalid authentication credentials'}
UNAUTHORIZED = {'message': 'Unauthorized'}
FORBIDDEN = {'message': 'You cannot consume this service'}
RATE_LIMITED = {'message': 'API rate limit exceeded'}
NO_ROUTE = {'message': 'no Route matched with those values'}


class ConfigError(Exception):
    """The file or KONG_PLUGINS is unusable: str() names what."""


class Config(object):
    """The parts of a declarative config the stand-in enforces."""

    def __init__(self):
        self.routes = []          # (path, route dict, service dict)
        self.consumers = {}       # username -> consumer dict
        self.keys = {}            # key-auth key -> username
        self.basic = {}           # basic-auth username -> (password, consumer username)
        self.global_plugins = []
        self.warnings = []
        self.redis = []           # distinct redis settings of rate-limiting plugins (policy redis)


def _plugin_list(owner, where, enabled, config):
    out = []
    for plugin in owner.get('plugins') or []:
        name = plugin.get('name') if isinstance(plugin, dict) else None
        if not name:
            raise ConfigError('KONG_DECLARATIVE_CONFIG: a plugin of %s has no name' % where)
        if name not in enabled:
            raise ConfigError("KONG_DECLARATIVE_CONFIG: plugin '%s' (%s) is not enabled in KONG_PLUGINS" % (name, where))
        if plugin.get('enabled', True) is False:
            continue
        if name not in ENFORCED:
            config.warnings.append('plugin %s (%s) is not enforced by the stand-in' % (name, where))
        out.append({'name': name, 'config': plugin.get('config') or {}})
        if name == 'rate-limiting':
            settings = redis_settings(plugin.get('config') or {})
            if settings and settings not in config.redis:
                config.redis.append(settings)
    return out


def redis_settings(conf):
    """Redis connection of a rate-limiting config with policy redis (Kong 3.4 flat keys or 3.6 `redis`)."""
    if conf.get('policy', 'local') != 'redis':
        return None
    nested = conf.get('redis') or {}
    host = conf.get('redis_host') or nested.get('host')
    port = conf.get('redis_port') or nested.get('port') or 6379
    return {'host': host, 'port': int(port),
            'password': conf.get('redis_password') or nested.get('password') or None,
            'username': conf.get('redis_username') or nested.get('username') or None,
            'database': int(conf.get('redis_database') or nested.get('database') or 0),
            'timeout': float(conf.get('redis_timeout') or nested.get('timeout') or 2000) / 1000.0}


def check_plugins(names):
    """KONG_PLUGINS: every name must be bundled (or 'bundled'); returns the enabled set."""
    enabled = set()
    for name in names:
        if name == 'bundled':
            enabled |= BUNDLED
        elif name in BUNDLED:
            enabled.add(name)
        else:
            raise ConfigError("KONG_PLUGINS: unknown plugin '%s'" % name)
    return enabled


def load_config(text, plugins):
    """Parse and index a declarative config; raise ConfigError naming the problem."""
    enabled = check_plugins(plugins)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError('KONG_DECLARATIVE_CONFIG: not YAML/JSON (%s)' % str(exc).splitlines()[0])
    if not isinstance(data, dict):
        raise ConfigError('KONG_DECLARATIVE_CONFIG: the top level is not a mapping')
    if not data.get('_format_version'):
        raise ConfigError('KONG_DECLARATIVE_CONFIG: _format_version is missing')
    config = Config()
    for key in sorted(set(data) - TOP_KEYS):
        config.warnings.append('unknown top-level key %s ignored' % key)
    for key in ('routes', 'upstreams', 'certificates', 'vaults'):
        if data.get(key):
            config.warnings.append('top-level %s are not enforced by the stand-in' % key)
    config.global_plugins = _plugin_list(data, 'global', enabled, config)
    for index, service in enumerate(data.get('services') or []):
        name = service.get('name') or 'services[%d]' % index
        url = service.get('url') or '%s://%s:%s%s' % (service.get('protocol', 'http'), service.get('host', ''),
                                                      service.get('port', 80), service.get('path', '/'))
        parts = urlsplit(url)
        if not parts.hostname:
            raise ConfigError('KONG_DECLARATIVE_CONFIG: service %s has no usable url' % name)
        service = dict(service, name=name, url=url,
                       _plugins=_plugin_list(service, 'service %s' % name, enabled, config))
        for rindex, route in enumerate(service.get('routes') or []):
            rname = route.get('name') or '%s.routes[%d]' % (name, rindex)
            route = dict(route, name=rname, _plugins=_plugin_list(route, 'route %s' % rname, enabled, config))
            for unknown in ('hosts', 'methods', 'headers', 'snis'):
                if route.get(unknown):
                    config.warnings.append('route %s: %s matching is not enforced' % (rname, unknown))
            for path in route.get('paths') or []:
                if path.startswith('~'):
                    config.warnings.append('route %s: regex path %s ignored' % (rname, path))
                    continue
                config.routes.append((path, route, service))
    for index, consumer in enumerate(data.get('consumers') or []):
        username = consumer.get('username') or consumer.get('custom_id') or 'consumers[%d]' % index
        consumer = dict(consumer, username=username,
                        groups=[a.get('group') for a in consumer.get('acls') or []],
                        _plugins=_plugin_list(consumer, 'consumer %s' % username, enabled, config))
        config.consumers[username] = consumer
        for cred in consumer.get('keyauth_credentials') or []:
            if cred.get('key'):
                config.keys[cred['key']] = username
        for cred in consumer.get('basicauth_credentials') or []:
            if cred.get('username'):
                config.basic[cred['username']] = (cred.get('password', ''), username)
    # Longest prefix first, as Kong orders plain path routes.
    config.routes.sort(key=lambda item: -len(item[0]))
    return config


def match(config, path):
    """(route path, route, service) of the longest matching prefix, or None."""
    for prefix, route, service in config.routes:
        if path.startswith(prefix):
            return prefix, route, service
    return None


def upstream_path(service, route, prefix, path):
    """The path Kong sends upstream: service path joined with the (stripped) request path."""
    base = urlsplit(service['url']).path or '/'
    rest = path[len(prefix):] if route.get('strip_path', True) else path
    if not rest:
        return base
    if base.endswith('/') and rest.startswith('/'):
        return base + rest[1:]
    if not base.endswith('/') and not rest.startswith('/'):
        return base + '/' + rest
    return base + rest


class Decision(object):
    """What the gateway does with one request."""

    def __init__(self):
        self.status = None          # set when the gateway answers itself
        self.body = None
        self.headers = {}           # headers of the gateway's own answer, or added to the upstream's answer
        self.consumer = None
        self.route = None
        self.service = None
        self.upstream_url = None
        self.upstream_headers = {}  # header name (lower) -> value, None to remove
        self.drop_query = set()
        self.rate_limits = []       # (plugin config, scope) to count

    def answer(self, status, body, headers=None):
        self.status = status
        self.body = body
        self.headers.update(headers or {})
        return self


def _header(headers, name):
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _plugins_for(decision, config):
    merged = {}
    for plugin in config.global_plugins + decision.service['_plugins'] + decision.route['_plugins']:
        merged[plugin['name']] = plugin['config']
    return merged


def _cors(conf, method, headers, decision):
    origin = _header(headers, 'origin')
    if not origin:
        return False
    origins = conf.get('origins') or ['*']
    if '*' in origins:
        allow = '*'
    elif origin in origins:
        allow = origin
    else:
        allow = None
    out = {}
    if allow:
        out['Access-Control-Allow-Origin'] = allow
        if allow != '*':
            out['Vary'] = 'Origin'
    if conf.get('credentials'):
        out['Access-Control-Allow-Credentials'] = 'true'
    if conf.get('exposed_headers'):
        out['Access-Control-Expose-Headers'] = ','.join(conf['exposed_headers'])
    preflight = method == 'OPTIONS' and _header(headers, 'access-control-request-method') is not None
    if preflight and not conf.get('preflight_continue'):
        out['Access-Control-Allow-Methods'] = ','.join(conf.get('methods') or [
            'GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'])
        requested = _header(headers, 'access-control-request-headers')
        if conf.get('headers'):
            out['Access-Control-Allow-Headers'] = ','.join(conf['headers'])
        elif requested:
            out['Access-Control-Allow-Headers'] = requested
        if conf.get('max_age'):
            out['Access-Control-Max-Age'] = str(conf['max_age'])
        decision.answer(200, None, out)
        return True
    decision.headers.update(out)
    return False


def _key_auth(conf, headers, query, config, decision):
    names = conf.get('key_names') or ['apikey']
    found = None
    for name in names:
        if conf.get('key_in_header', True):
            value = _header(headers, name.lower())
            if value is not None:
                found = (value, 'header', name)
                break
        if conf.get('key_in_query', True):
            values = [v for k, v in query if k == name]
            if values:
                found = (values[0], 'query', name)
                break
    if found is None:
        decision.answer(401, NO_KEY, {'WWW-Authenticate': 'Key realm="kong"'})
        return
    value, where, name = found
    username = None
    for key, owner in config.keys.items():
        if hmac.compare_digest(key.encode(), value.encode()):
            username = owner
    if username is None:
        decision.answer(401, BAD_CREDENTIALS, {'WWW-Authenticate': 'Key realm="kong"'})
        return
    decision.consumer = config.consumers[username]
    if conf.get('hide_credentials'):
        if where == 'header':
            decision.upstream_headers[name.lower()] = None
        else:
            decision.drop_query.add(name)


def _basic_auth(conf, headers, config, decision):
    value = _header(headers, 'authorization') or _header(headers, 'proxy-authorization')
    if not value or not value.lower().startswith('basic '):
        decision.answer(401, UNAUTHORIZED, {'WWW-Authenticate': 'Basic realm="kong"'})
        return
    try:
        user, _, password = base64.b64decode(value.split(None, 1)[1]).decode().partition(':')
    except (ValueError, UnicodeDecodeError):
        decision.answer(401, BAD_CREDENTIALS, {'WWW-Authenticate': 'Basic realm="kong"'})
        return
    wanted = config.basic.get(user)
    if wanted is None or not hmac.compare_digest(wanted[0].encode(), password.encode()):
        decision.answer(401, BAD_CREDENTIALS, {'WWW-Authenticate': 'Basic realm="kong"'})
        return
    decision.consumer = config.consumers[wanted[1]]
    if conf.get('hide_credentials'):
        decision.upstream_headers['authorization'] = None
        decision.upstream_headers['proxy-authorization'] = None


def _acl(conf, decision):
    if decision.consumer is None:
        decision.answer(401, UNAUTHORIZED)
        return
    groups = set(decision.consumer['groups'])
    allow, deny = conf.get('allow') or [], conf.get('deny') or []
    if (allow and not groups & set(allow)) or (deny and groups & set(deny)):
        decision.answer(403, FORBIDDEN)
        return
    if not conf.get('hide_groups_header'):
        decision.upstream_headers['x-consumer-groups'] = ', '.join(decision.consumer['groups'])


def _transform(conf, headers, decision):
    def pairs(section):
        for item in (conf.get(section) or {}).get('headers') or []:
            name, _, value = item.partition(':')
            yield name.strip().lower(), value.strip()
    for name in (conf.get('remove') or {}).get('headers') or []:
        decision.upstream_headers[name.strip().lower()] = None
    for name, value in pairs('replace'):
        if _header(headers, name) is not None:
            decision.upstream_headers[name] = value
    for name, value in pairs('add'):
        if _header(headers, name) is None and decision.upstream_headers.get(name) is None:
            decision.upstream_headers[name] = value
    for name, value in pairs('append'):
        old = _header(headers, name)
        decision.upstream_headers[name] = value if old is None else old + ', ' + value
    for section in ('add', 'append', 'replace', 'remove', 'rename'):
        for part in ('querystring', 'body', 'json_types', 'uri'):
            if (conf.get(section) or {}).get(part):
                decision.headers.setdefault('X-Standin-Ignored', 'request-transformer %s.%s' % (section, part))


def decide(config, method, path, query, headers):
    """Route and authenticate one request (no I/O). query: list of (name, value) pairs."""
    decision = Decision()
    found = match(config, path)
    if found is None:
        return decision.answer(404, NO_ROUTE)
    prefix, decision.route, decision.service = found
    plugins = _plugins_for(decision, config)
    if 'cors' in plugins and _cors(plugins['cors'], method, headers, decision):
        return decision
    if 'key-auth' in plugins:
        _key_auth(plugins['key-auth'], headers, query, config, decision)
        if decision.status:
            return decision
    if 'basic-auth' in plugins and decision.consumer is None:
        _basic_auth(plugins['basic-auth'], headers, config, decision)
        if decision.status:
            return decision
    if 'acl' in plugins:
        _acl(plugins['acl'], decision)
        if decision.status:
            return decision
    limits = []
    if decision.consumer is not None:
        for plugin in decision.consumer['_plugins']:
            if plugin['name'] == 'rate-limiting':
                limits.append((plugin['config'], 'consumer:%s' % decision.consumer['username']))
    if 'rate-limiting' in plugins:
        limits.append((plugins['rate-limiting'], 'service:%s' % decision.service['name']))
    decision.rate_limits = limits
    if 'request-transformer' in plugins:
        _transform(plugins['request-transformer'], headers, decision)
    if decision.consumer is not None:
        decision.upstream_headers['x-consumer-username'] = decision.consumer['username']
        decision.upstream_headers['x-consumer-id'] = decision.consumer.get('id') or decision.consumer['username']
    target = urlsplit(decision.service['url'])
    kept = [(k, v) for k, v in query if k not in decision.drop_query]
    upath = quote(upstream_path(decision.service, decision.route, prefix, path), safe="/%:@!$&'()*+,;=-._~")
    decision.upstream_url = '%s://%s%s%s' % (
        'https' if target.scheme in ('https', 'wss') else 'http', target.netloc, upath,
        ('?' + urlencode(kept)) if kept else '')
    decision.upstream_headers['x-forwarded-prefix'] = prefix.rstrip('/') if decision.route.get('strip_path', True) else None
    return decision


def window(period, now):
    """Start of the current window of a period (UTC; month and year by the calendar)."""
    if period == 'month':
        t = time.gmtime(now)
        return '%04d%02d' % (t.tm_year, t.tm_mon)
    if period == 'year':
        return '%04d' % time.gmtime(now).tm_year
    size = PERIODS[period]
    return str(int(now // size) * size)


class RateLimiter(object):
    """Counts per identifier and window: in Redis (policy redis, shared by every node) or locally."""

    def __init__(self, redis_factory=None):
        self.local = {}
        self.redis_factory = redis_factory or _redis_client
        self.clients = {}

    def _client(self, settings):
        key = (settings['host'], settings['port'], settings['database'])
        if key not in self.clients:
            self.clients[key] = self.redis_factory(settings)
        return self.clients[key]

    def hit(self, conf, scope, identifier, now=None):
        """Count one request; returns (exceeded, headers). Raises on a Redis error."""
        now = time.time() if now is None else now
        headers = {}
        exceeded = False
        settings = redis_settings(conf)
        for period, size in PERIODS.items():
            limit = conf.get(period)
            if not limit:
                continue
            key = 'ratelimit:%s:%s:%s:%s' % (scope, identifier, window(period, now), period)
            if settings:
                client = self._client(settings)
                pipe = client.pipeline()
                pipe.incr(key)
                pipe.expire(key, size + 1)
                count = int(pipe.execute()[0])
            else:
                self.local = {k: v for k, v in self.local.items() if v[1] > now}
                value, expires = self.local.get(key, (0, now + size))
                count = value + 1
                self.local[key] = (count, expires)
            remaining = max(int(limit) - count, 0)
            headers['X-RateLimit-Limit-%s' % period.capitalize()] = str(limit)
            headers['X-RateLimit-Remaining-%s' % period.capitalize()] = str(remaining)
            if count > int(limit):
                exceeded = True
                headers['Retry-After'] = str(max(int(size - (now % size)), 1) if period in (
                    'second', 'minute', 'hour', 'day') else size)
        return exceeded, headers


def _redis_client(settings):
    import redis
    return redis.Redis(host=settings['host'], port=settings['port'], password=settings['password'],
                       username=settings['username'], db=settings['database'],
                       socket_connect_timeout=settings['timeout'], socket_timeout=settings['timeout'])


def limit_identifier(conf, decision, client_ip):
    by = conf.get('limit_by', 'consumer')
    if by == 'consumer' and decision.consumer is not None:
        return decision.consumer['username']
    if by == 'service':
        return decision.service['name']
    return client_ip


def apply_limits(limiter, decision, client_ip, log=None):
    """Count the decision's rate limits; answer 429 beyond a limit. Redis errors: fault_tolerant."""
    for conf, scope in decision.rate_limits:
        try:
            exceeded, headers = limiter.hit(conf, scope, limit_identifier(conf, decision, client_ip))
        except Exception as exc:  # noqa: BLE001 - any Redis failure
            if log:
                log('rate-limiting: counter store failed: %s' % type(exc).__name__)
            if conf.get('fault_tolerant', True):
                continue
            return decision.answer(500, {'message': 'An unexpected error occurred'})
        if not conf.get('hide_client_headers'):
            decision.headers.update(headers)
        if exceeded:
            return decision.answer(429, RATE_LIMITED)
    return decision


def query_pairs(raw_query):
    return parse_qsl(raw_query, keep_blank_values=True)


def error_body(payload):
    body = dict(payload)
    body.update({'standin': True, 'component': 'kong'})
    return json.dumps(body).encode()
