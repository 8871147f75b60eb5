"""STAND-IN server for the selfhost.supabase offline tests. It is NOT the component it stands in for.

STANDIN_COMPONENT picks the component (gotrue, postgrest, realtime, storage, studio, functions, kong).
At start the environment the real component needs is checked (contract.py); a missing or malformed
key stops the process with `STAND-IN <component>: KEY: reason`. Then what the real component
connects to is checked every few seconds (checks.py) and the health path answers 503 with the
reason until every check passes. Other paths answer 200 with a JSON echo of the request (503 while
unhealthy). The kong stand-in enforces the declarative config instead (kong.py).

Every answer carries `X-Standin: true`; JSON answers carry "standin": true. No answer and no log
line holds an environment value: reasons name keys, and values are only ever given as sha256.
Usage: standin.py [component args...] | standin.py --healthcheck | standin.py --kong-parse FILE
"""
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
import contract  # noqa: E402

PORTS = {'gotrue': [9999], 'postgrest': [3000], 'realtime': [4000], 'storage': [5000], 'studio': [3000],
         'functions': [9000], 'kong': [8000, 8443]}
HEALTH_PATHS = {'gotrue': '/health', 'postgrest': '/', 'storage': '/status', 'studio': '/api/profile'}
REALTIME_HEALTH = re.compile(r'^/api/tenants/([^/]+)/health$')
KONG_STATUS_PORT = 8100
ECHO_HEADERS = ('host', 'content-type', 'content-profile', 'accept-profile', 'prefer', 'upgrade', 'origin',
                'x-consumer-username', 'x-consumer-id', 'x-consumer-groups', 'x-forwarded-for',
                'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-path',
                'x-forwarded-prefix', 'x-real-ip', 'x-client-info')
PRESENCE_HEADERS = ('apikey', 'authorization')
HOP_BY_HOP = ('connection', 'keep-alive', 'proxy-authenticate', 'proxy-connection', 'te', 'trailer', 'trailers',
              'transfer-encoding', 'upgrade', 'content-length')


def log(component, message):
    sys.stderr.write('STAND-IN %s: %s\n' % (component, message))
    sys.stderr.flush()


# --- the checks each component needs ------------------------------------------------------------

def dependency_checks(component, env, scrub, argv=(), kong_config=None):
    """[(name, required, callable)] for the component; each callable returns a detail or raises."""
    out = []
    if component == 'gotrue':
        out.append(('postgres', True, lambda: checks.pg_check(
            'GOTRUE_DB_DATABASE_URL', scrub, dsn=env['GOTRUE_DB_DATABASE_URL'], schema_create='auth')))
    elif component == 'postgrest':
        out.append(('postgres', True, lambda: checks.pg_check(
            'PGRST_DB_URI', scrub, dsn=env['PGRST_DB_URI'], set_role=env['PGRST_DB_ANON_ROLE'],
            role_key='PGRST_DB_ANON_ROLE', schemas=[s.strip() for s in env['PGRST_DB_SCHEMAS'].split(',') if s.strip()],
            schemas_key='PGRST_DB_SCHEMAS')))
    elif component == 'realtime':
        out.append(('postgres', True, lambda: checks.pg_check(
            'DB_HOST/DB_PORT/DB_USER/DB_PASSWORD/DB_NAME', scrub,
            params={'host': env['DB_HOST'], 'port': int(env['DB_PORT']), 'user': env['DB_USER'],
                    'password': env['DB_PASSWORD'], 'dbname': env['DB_NAME']},
            after_connect=env.get('DB_AFTER_CONNECT_QUERY') or None, replication=True)))
        out.append(('redis', True, lambda: checks.redis_check(
            ('REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD'), scrub, env['REDIS_HOST'], env['REDIS_PORT'],
            password=env.get('REDIS_PASSWORD') or None, username=env.get('REDIS_USERNAME') or None)))
    elif component == 'storage':
        out.append(('postgres', True, lambda: checks.pg_check(
            'DATABASE_URL', scrub, dsn=env['DATABASE_URL'], schema_create='storage')))
        if env.get('STORAGE_BACKEND') == 's3':
            out.append(('s3', True, lambda: checks.s3_check(
                env['GLOBAL_S3_ENDPOINT'], env['AWS_ACCESS_KEY_ID'], env['AWS_SECRET_ACCESS_KEY'],
                env.get('AWS_DEFAULT_REGION'), env['GLOBAL_S3_BUCKET'], env.get('GLOBAL_S3_FORCE_PATH_STYLE') == 'true')))
        else:
            out.append(('file', True, lambda: checks.file_check(env['FILE_STORAGE_BACKEND_PATH'])))
    elif component == 'studio':
        meta = env['STUDIO_PG_META_URL'].rstrip('/')
        out.append(('meta', True, lambda: checks.http_check(
            'STUDIO_PG_META_URL', meta + '/health', scrub, what=' postgres-meta /health')))
        gateway = env['SUPABASE_URL'].rstrip('/')
        key = env['SUPABASE_SERVICE_KEY']
        # Not required for health: Studio starts before Kong in the playbooks (see docs/testing.md).
        out.append(('gateway', False, lambda: checks.http_check(
            'SUPABASE_URL', gateway + '/rest/v1/', scrub, headers={'apikey': key, 'Authorization': 'Bearer ' + key},
            ok=lambda status: status < 500 and status not in (401, 403), what=' the gateway (service key on /rest/v1/)')))
    elif component == 'functions':
        out.append(('postgres', True, lambda: checks.pg_check('SUPABASE_DB_URL', scrub, dsn=env['SUPABASE_DB_URL'])))
    elif component == 'kong':
        for index, settings in enumerate(kong_config.redis if kong_config else []):
            label = 'KONG_DECLARATIVE_CONFIG rate-limiting redis_%s'
            out.append(('redis' if index == 0 else 'redis-%d' % index, True,
                        lambda settings=settings: checks.redis_check(
                            (label % 'host', 'redis_port', label % 'password'), scrub, settings['host'],
                            settings['port'], password=settings['password'], username=settings['username'],
                            database=settings['database'])))
    return out


class Health(object):
    """Runs the dependency checks in a loop; the latest results decide the health answers."""

    def __init__(self, component, deps, ok_interval=10.0, fail_interval=2.0):
        self.component = component
        self.deps = deps
        self.ok_interval = ok_interval
        self.fail_interval = fail_interval
        self.results = None
        self.lock = threading.Lock()
        self.event = threading.Event()

    def run_once(self):
        results = []
        for name, required, func in self.deps:
            try:
                results.append({'name': name, 'required': required, 'ok': True, 'detail': func()})
            except checks.CheckFailed as exc:
                results.append({'name': name, 'required': required, 'ok': False, 'detail': str(exc)})
            except Exception as exc:  # noqa: BLE001 - a check must never kill the loop
                results.append({'name': name, 'required': required, 'ok': False,
                                'detail': '%s: check crashed (%s)' % (name, type(exc).__name__)})
        with self.lock:
            previous = self.results
            self.results = results
        before = None if previous is None else self._reason(previous)
        after = self._reason(results)
        if previous is None or before != after:
            log(self.component, 'healthy: every dependency answers' if after is None else 'UNHEALTHY: %s' % after)
        return results

    @staticmethod
    def _reason(results):
        for result in results:
            if result['required'] and not result['ok']:
                return result['detail']
        return None

    def loop(self):
        while True:
            results = self.run_once()
            self.event.set()
            time.sleep(self.fail_interval if self._reason(results) else self.ok_interval)

    def state(self):
        with self.lock:
            results = self.results
        if results is None:
            return False, 'dependencies not checked yet', []
        reason = self._reason(results)
        return reason is None, reason, results

    def answer(self):
        healthy, reason, results = self.state()
        return (200 if healthy else 503), {'standin': True, 'component': self.component, 'healthy': healthy,
                                           'reason': reason, 'checks': results}


def files_report():
    out = []
    for top in [d.strip() for d in os.environ.get('STANDIN_REPORT_DIRS', '').split(',') if d.strip()]:
        for root, _dirs, names in os.walk(top):
            for name in sorted(names):
                path = os.path.join(root, name)
                try:
                    with open(path, 'rb') as handle:
                        digest = hashlib.sha256(handle.read()).hexdigest()
                except OSError as exc:
                    digest = 'unreadable: %s' % exc.strerror
                out.append({'path': path, 'sha256': digest})
    return out


# --- HTTP -----------------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    server_version = 'selfhost-standin/2'
    protocol_version = 'HTTP/1.1'
    app = None  # set by serve()

    def log_message(self, fmt, *args):
        pass

    def _body(self):
        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
            data = b''
            while True:
                size = int(self.rfile.readline().split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length > 0 else b''

    def send(self, status, payload=None, headers=None, raw=None, content_type='application/json'):
        body = raw if raw is not None else (json.dumps(payload, sort_keys=True).encode() if payload is not None else b'')
        self.send_response(status)
        sent = set()
        for name, value in (headers or {}).items():
            self.send_header(name, value)
            sent.add(name.lower())
        if body and 'content-type' not in sent:
            self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD' and body:
            self.wfile.write(body)

    def handle_any(self):
        try:
            body = self._body()
            self.app.handle(self, body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = handle_any


class Component(object):
    """A non-gateway stand-in: health path per component, JSON echo elsewhere."""

    def __init__(self, component, env, health, argv):
        self.component = component
        self.env = env
        self.health = health
        self.argv = list(argv)
        keys = contract.contract_keys(component, env)
        self.env_keys = keys
        self.env_sha256 = contract.value_hashes(env, keys)
        self.tenant = env.get('SELF_HOST_TENANT_NAME') or 'realtime-dev'

    def echo(self, handler):
        split = urlsplit(handler.path)
        headers = {h: handler.headers.get(h) for h in ECHO_HEADERS if handler.headers.get(h) is not None}
        for name in PRESENCE_HEADERS:
            if handler.headers.get(name) is not None:
                headers[name] = 'present'
        return {'standin': True, 'component': self.component, 'method': handler.command, 'path': split.path,
                'query': split.query, 'headers': headers, 'port': handler.server.server_address[1],
                'argv': self.argv, 'env_keys': self.env_keys, 'env_sha256': self.env_sha256,
                'files': files_report()}

    def handle(self, handler, body):
        path = urlsplit(handler.path).path
        std = {'X-Standin': 'true', 'X-Standin-Component': self.component}
        if self.component == 'realtime':
            found = REALTIME_HEALTH.match(path)
            if found:
                auth = handler.headers.get('Authorization') or ''
                token = auth[7:] if auth.lower().startswith('bearer ') else ''
                try:
                    contract.verify_hs256(token, self.env['API_JWT_SECRET'])
                except ValueError as exc:
                    return handler.send(401, {'standin': True, 'component': self.component,
                                              'message': 'Authorization: Bearer <anon key> required: %s' % exc}, std)
                if found.group(1) != self.tenant:
                    return handler.send(404, {'standin': True, 'component': self.component,
                                              'message': 'tenant not found (the self-host seed creates %s only)'
                                              % self.tenant}, std)
                status, payload = self.health.answer()
                return handler.send(status, payload, std)
            # Elsewhere Realtime takes the tenant from the first label of the Host header.
            host_tenant = (handler.headers.get('Host') or '').split(':')[0].split('.')[0]
            if host_tenant != self.tenant:
                return handler.send(404, {'standin': True, 'component': self.component,
                                          'message': 'tenant not found: Realtime takes it from the Host header, '
                                          'which must start with %s.' % self.tenant}, std)
        elif self.component in HEALTH_PATHS and path == HEALTH_PATHS[self.component]:
            status, payload = self.health.answer()
            if self.component == 'postgrest' and status == 200:
                payload.update(self.echo(handler))
            return handler.send(status, payload, std)
        status, payload = self.health.answer()
        if status != 200:
            return handler.send(status, payload, std)
        return handler.send(200, self.echo(handler), std)


class Gateway(object):
    """The kong stand-in on :8000/:8443; status on 127.0.0.1:8100."""

    def __init__(self, config, health, log_func):
        import kong
        self.kong = kong
        self.config = config
        self.health = health
        self.limiter = kong.RateLimiter()
        self.log = log_func

    def handle(self, handler, body):
        kong = self.kong
        split = urlsplit(handler.path)
        headers = {k: v for k, v in handler.headers.items()}
        query = kong.query_pairs(split.query)
        decision = kong.decide(self.config, handler.command, split.path, query, headers)
        if decision.status is None:
            kong.apply_limits(self.limiter, decision, handler.client_address[0], log=self.log)
        route = decision.route['name'] if decision.route else '-'
        consumer = decision.consumer['username'] if decision.consumer else '-'
        if decision.status is not None:
            self.log('%s %s -> %d (route %s, consumer %s)' % (handler.command, split.path, decision.status, route, consumer))
            extra = dict(decision.headers, **{'X-Standin': 'true', 'X-Standin-Component': 'kong'})
            raw = kong.error_body(decision.body) if decision.body is not None else b''
            return handler.send(decision.status, headers=extra, raw=raw)
        status = self.proxy(handler, decision, headers, body, split.path)
        self.log('%s %s -> %s (route %s, consumer %s)' % (handler.command, split.path, status, route, consumer))

    def proxy(self, handler, decision, headers, body, original_path):
        kong = self.kong
        target = urlsplit(decision.upstream_url)
        out = {}
        for name, value in headers.items():
            if name.lower() not in HOP_BY_HOP and name.lower() != 'host':
                out[name.lower()] = value
        for name, value in decision.upstream_headers.items():
            if value is None:
                out.pop(name, None)
            else:
                out[name] = value
        client_ip = handler.client_address[0]
        out['x-forwarded-for'] = (headers.get('X-Forwarded-For') + ', ' + client_ip) if headers.get('X-Forwarded-For') else client_ip
        out['x-forwarded-proto'] = 'http'
        out['x-forwarded-host'] = (headers.get('Host') or '').split(':')[0]
        out['x-forwarded-port'] = str(handler.server.server_address[1])
        out['x-forwarded-path'] = original_path
        out['x-real-ip'] = client_ip
        out['host'] = target.netloc
        if body or handler.command in ('POST', 'PUT', 'PATCH'):
            out['content-length'] = str(len(body))
        service = decision.service
        connect = float(service.get('connect_timeout', 60000)) / 1000.0
        read = float(service.get('read_timeout', 60000)) / 1000.0
        try:
            socket.getaddrinfo(target.hostname, target.port or 80)
        except socket.gaierror:
            return self._gateway_error(handler, decision, 503, {'message': 'name resolution failed'})
        conn = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=connect)
        try:
            conn.connect()
            conn.sock.settimeout(read)
            path = target.path + ('?' + target.query if target.query else '')
            conn.request(handler.command, path, body=body or None, headers=out)
            response = conn.getresponse()
            payload = response.read()
        except socket.timeout:
            return self._gateway_error(handler, decision, 504, {'message': 'The upstream server is timing out'})
        except (OSError, http.client.HTTPException):
            return self._gateway_error(handler, decision, 502,
                                       {'message': 'An invalid response was received from the upstream server'})
        finally:
            conn.close()
        reply = {}
        for name, value in response.getheaders():
            # Server and Date are sent by the stand-in's own HTTP layer.
            if name.lower() not in HOP_BY_HOP and name.lower() not in ('server', 'date'):
                reply[name] = value
        reply.update(decision.headers)
        reply['Via'] = '1.1 kong-standin'
        # Which gateway node proxied (the container's host name): lets the harness see Caddy's balancing.
        reply['X-Standin-Node'] = socket.gethostname()
        reply['X-Standin-Gateway'] = 'kong'
        handler.send(response.status, headers=reply, raw=payload)
        return response.status

    def _gateway_error(self, handler, decision, status, payload):
        extra = dict(decision.headers, **{'X-Standin': 'true', 'X-Standin-Component': 'kong'})
        handler.send(status, headers=extra, raw=self.kong.error_body(payload))
        return status


def status_listen(env):
    """(host, port) pairs of KONG_STATUS_LISTEN ('0.0.0.0:8100, 127.0.0.1:8101 ssl'); off/unset: the
    stand-in's own loopback listener for the `kong health` shim."""
    value = (env.get('KONG_STATUS_LISTEN') or 'off').strip()
    out = []
    if value != 'off':
        for item in value.split(','):
            address = item.strip().split()[0]
            host, _, port = address.rpartition(':')
            if not port.isdigit() or not host:
                raise ValueError('KONG_STATUS_LISTEN: not "<address>:<port>[, ...]" or off')
            out.append((host.strip('[]'), int(port)))
    return out or [('127.0.0.1', KONG_STATUS_PORT)]


STANDIN_METRICS = (b'# HELP standin_up STAND-IN, not the component: 1 while the stand-in server runs.\n'
                   b'# TYPE standin_up gauge\n'
                   b'standin_up{component="kong"} 1\n')


class StatusApp(object):
    """Kong's status API analogue. GET /status/ready: 200 when the config is loaded and every Redis of
    the rate-limiting plugin answers (stricter than Kong), 503 with the reason otherwise. GET /status:
    200 with the same report."""

    def __init__(self, health, config):
        self.health = health
        self.config = config

    def handle(self, handler, body):
        path = urlsplit(handler.path).path.rstrip('/')
        status, payload = self.health.answer()
        payload.update({'config_loaded': True, 'routes': len(self.config.routes),
                        'consumers': len(self.config.consumers), 'warnings': self.config.warnings})
        std = {'X-Standin': 'true', 'X-Standin-Component': 'kong'}
        if path == '/status':
            return handler.send(200, payload, std)
        if path == '/status/ready':
            if status == 200:
                payload['message'] = 'ready'
            return handler.send(status, payload, std)
        if path == '/metrics':
            # Where Kong's prometheus plugin answers. STAND-IN: one gauge saying the stand-in runs,
            # nothing about Kong; it proves the scrape wiring (address, port, job) only.
            return handler.send(200, raw=STANDIN_METRICS, headers=std, content_type='text/plain; version=0.0.4')
        return handler.send(404, {'message': 'Not found', 'standin': True, 'component': 'kong'}, std)


def serve(app, port, host='0.0.0.0'):
    handler = type('BoundHandler', (Handler,), {'app': app})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- command-line modes ---------------------------------------------------------------------------

def healthcheck(env):
    """The image's own HEALTHCHECK: ask the component's health path on loopback."""
    import urllib.error
    import urllib.request
    component = env.get('STANDIN_COMPONENT', '')
    headers = {}
    if component == 'kong':
        host, port = status_listen(env)[0]
        url = 'http://%s:%d/status/ready' % ('127.0.0.1' if host in ('0.0.0.0', '*', '::') else host, port)
    elif component == 'realtime':
        tenant = env.get('SELF_HOST_TENANT_NAME') or 'realtime-dev'
        url = 'http://127.0.0.1:%s/api/tenants/%s/health' % (env.get('PORT', '4000'), tenant)
        headers['Authorization'] = 'Bearer ' + contract.sign_hs256(
            {'role': 'anon', 'iss': 'standin-healthcheck', 'exp': int(time.time()) + 60}, env.get('API_JWT_SECRET', ''))
    elif component in PORTS:
        url = 'http://127.0.0.1:%d%s' % (PORTS[component][0], HEALTH_PATHS.get(component, '/'))
    else:
        print('stand-in: STANDIN_COMPONENT is not set to a known component')
        return 1
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=4) as response:
            payload = json.loads(response.read() or b'{}')
            print('stand-in (not %s): healthy' % component)
            return 0
    except urllib.error.HTTPError as exc:
        try:
            payload = json.loads(exc.read() or b'{}')
        except ValueError:
            payload = {}
        print('stand-in (not %s): unhealthy: %s' % (component, payload.get('reason') or payload.get('message') or exc.code))
    except (urllib.error.URLError, OSError) as exc:
        print('stand-in (not %s): not answering: %s' % (component, getattr(exc, 'reason', exc)))
    return 1


def kong_parse(path, env):
    import kong
    plugins = [p.strip() for p in env.get('KONG_PLUGINS', 'bundled').split(',') if p.strip()]
    try:
        with open(path, encoding='utf-8') as handle:
            config = kong.load_config(handle.read(), plugins)
    except (OSError, kong.ConfigError) as exc:
        print('stand-in (not Kong): %s' % (exc.strerror if isinstance(exc, OSError) else exc))
        return 1
    for warning in config.warnings:
        print('stand-in (not Kong): warning: %s' % warning)
    print('stand-in (not Kong): parse successful')
    return 0


def main(argv, env):
    if argv[:1] == ['--healthcheck']:
        return healthcheck(env)
    if argv[:1] == ['--kong-parse']:
        return kong_parse(argv[1], env)
    component = env.get('STANDIN_COMPONENT', '')
    label = component or 'unknown'
    log(label, 'NOT the real component: selfhost.supabase contract stand-in (wiring tests only)')
    problems = contract.check_env(component, env)
    if component == 'functions' and not problems:
        problem = contract.check_main_service(argv)
        problems = [problem] if problem else []
    if problems:
        for problem in problems:
            log(label, str(problem))
        return 2
    scrub = contract.scrubber(env)
    kong_config = None
    if component == 'kong':
        import kong
        # The kong image runs Kong as user kong (uid/gid 1000): read the config as that user too, so a
        # file the role left unreadable to uid 1000 fails here as it would there.
        if os.geteuid() == 0 and (env.get('STANDIN_KONG_USER', '1000:1000') or 'root') != 'root':
            uid, _, gid = env.get('STANDIN_KONG_USER', '1000:1000').partition(':')
            os.setgroups([])
            os.setgid(int(gid or uid))
            os.setuid(int(uid))
        plugins = [p.strip() for p in env['KONG_PLUGINS'].split(',') if p.strip()]
        try:
            with open(env['KONG_DECLARATIVE_CONFIG'], encoding='utf-8') as handle:
                kong_config = kong.load_config(handle.read(), plugins)
        except OSError as exc:
            log(label, 'KONG_DECLARATIVE_CONFIG: cannot read the file (%s)' % exc.strerror)
            return 2
        except kong.ConfigError as exc:
            log(label, str(exc))
            return 2
        for warning in kong_config.warnings:
            log(label, 'ignored: %s' % warning)
        log(label, 'declarative config loaded: %d route paths, %d consumers, %d Redis counter store(s)'
            % (len(kong_config.routes), len(kong_config.consumers), len(kong_config.redis)))
    # PID 1 gets no default signal handling: stop promptly on docker stop.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    deps = dependency_checks(component, env, scrub, argv, kong_config)
    health = Health(component, deps, ok_interval=float(env.get('STANDIN_RECHECK_OK') or 10),
                    fail_interval=float(env.get('STANDIN_RECHECK_FAIL') or 2))
    threading.Thread(target=health.loop, daemon=True).start()
    ports = [int(p) for p in (env.get('STANDIN_PORTS') or '').split(',') if p.strip()] or PORTS[component]
    if component == 'kong':
        app = Gateway(kong_config, health, lambda message: log(label, message))
        for host, port in status_listen(env):
            serve(StatusApp(health, kong_config), port, host='0.0.0.0' if host == '*' else host)
    else:
        app = Component(component, env, health, argv)
    for port in ports:
        serve(app, port)
    log(label, 'listening on %s; checks: %s' % (', '.join(str(p) for p in ports),
                                                 ', '.join(d[0] for d in deps) or 'none'))
    threading.Event().wait()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:], dict(os.environ)))
