"""The stand-in's HTTP answers in-process: health flips with its dependencies, labels, the gateway proxying."""
import json
import urllib.error
import urllib.request

import pytest

import checks
import kong
import standin
from rendering import render_template
from standin_envs import ANON_KEY, JWT_SECRET, SERVICE_KEY, rendered_env


def get(url, headers=None, method='GET'):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}, method=method), timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


class Switch(object):
    def __init__(self):
        self.ok = True

    def __call__(self):
        if not self.ok:
            raise checks.CheckFailed('GOTRUE_DB_DATABASE_URL: cannot log in to PostgreSQL: test switch off')
        return 'fine'


@pytest.fixture
def gotrue():
    switch = Switch()
    health = standin.Health('gotrue', [('postgres', True, switch)])
    app = standin.Component('gotrue', rendered_env('gotrue'), health, [])
    server = standin.serve(app, 0, host='127.0.0.1')
    yield 'http://127.0.0.1:%d' % server.server_address[1], health, switch
    server.shutdown()


def test_health_flips_with_the_dependency(gotrue):
    base, health, switch = gotrue
    status, headers, body = get(base + '/health')
    assert status == 503 and json.loads(body)['reason'] == 'dependencies not checked yet'
    health.run_once()
    status, headers, body = get(base + '/health')
    assert status == 200 and headers['X-Standin'] == 'true' and json.loads(body)['standin'] is True
    switch.ok = False
    health.run_once()
    status, _, body = get(base + '/health')
    answer = json.loads(body)
    assert status == 503 and answer['healthy'] is False
    assert answer['reason'].startswith('GOTRUE_DB_DATABASE_URL:')
    # every path is unavailable while unhealthy
    assert get(base + '/user')[0] == 503
    switch.ok = True
    health.run_once()
    assert get(base + '/health')[0] == 200


def test_echo_reports_the_request_never_a_value(gotrue):
    base, health, _ = gotrue
    health.run_once()
    status, headers, body = get(base + '/user?x=1', headers={'apikey': ANON_KEY, 'Content-Profile': 'graphql_public',
                                                               'X-Forwarded-Prefix': '/auth/v1'})
    answer = json.loads(body)
    assert status == 200 and headers['X-Standin'] == 'true'
    assert answer['standin'] is True and answer['component'] == 'gotrue'
    assert (answer['method'], answer['path'], answer['query']) == ('GET', '/user', 'x=1')
    assert answer['headers']['apikey'] == 'present'
    assert answer['headers']['content-profile'] == 'graphql_public'
    assert 'GOTRUE_JWT_SECRET' in answer['env_keys']
    env = rendered_env('gotrue')
    text = body.decode()
    for key in ('GOTRUE_JWT_SECRET', 'GOTRUE_DB_DATABASE_URL'):
        assert env[key] not in text
    assert ANON_KEY not in text


def test_realtime_health_needs_a_bearer_signed_with_the_secret():
    env = rendered_env('realtime')
    health = standin.Health('realtime', [])
    health.run_once()
    server = standin.serve(standin.Component('realtime', env, health, []), 0, host='127.0.0.1')
    base = 'http://127.0.0.1:%d/api/tenants/%%s/health' % server.server_address[1]
    try:
        assert get(base % 'realtime-dev')[0] == 401
        other = standin.contract.sign_hs256({'role': 'anon'}, 'x' * 40)
        assert get(base % 'realtime-dev', {'Authorization': 'Bearer ' + other})[0] == 401
        assert get(base % 'realtime-dev', {'Authorization': 'Bearer ' + ANON_KEY})[0] == 200
        assert get(base % 'some-tenant', {'Authorization': 'Bearer ' + ANON_KEY})[0] == 404
        root = 'http://127.0.0.1:%d/socket/websocket' % server.server_address[1]
        assert get(root)[0] == 404  # Host 127.0.0.1: no tenant
        assert get(root, {'Host': 'realtime-dev.supabase-realtime:4000'})[0] == 200
    finally:
        server.shutdown()


def test_gateway_proxies_to_the_named_service_and_answers_itself():
    # upstream: a postgrest stand-in on loopback; the gateway's rest URL points at it
    health = standin.Health('postgrest', [])
    health.run_once()
    upstream = standin.serve(standin.Component('postgrest', rendered_env('postgrest'), health, []), 0, host='127.0.0.1')
    port = upstream.server_address[1]
    upstreams = {name: 'http://127.0.0.1:1' for name in ('auth', 'realtime', 'storage', 'functions', 'meta', 'studio')}
    upstreams['rest'] = 'http://127.0.0.1:%d' % port
    upstreams['storage'] = 'http://no-such-host.invalid:5000'
    text = render_template('kong', 'kong.yml.j2', supabase_jwt_secret=JWT_SECRET, supabase_anon_key=ANON_KEY,
                           supabase_service_role_key=SERVICE_KEY, kong_upstreams=upstreams,
                           kong_rate_limit_policy='local')  # no Redis in this test
    config = kong.load_config(text, ['bundled'])
    gate_health = standin.Health('kong', [])
    gate_health.run_once()
    gateway = standin.serve(standin.Gateway(config, gate_health, lambda m: None), 0, host='127.0.0.1')
    base = 'http://127.0.0.1:%d' % gateway.server_address[1]
    try:
        status, headers, body = get(base + '/graphql/v1?q=1', {'apikey': ANON_KEY})
        answer = json.loads(body)
        assert status == 200 and answer['component'] == 'postgrest'
        assert (answer['path'], answer['query']) == ('/rpc/graphql', 'q=1')
        assert answer['headers']['content-profile'] == 'graphql_public'
        assert answer['headers']['x-consumer-username'] == 'anon'
        assert headers['X-Standin-Gateway'] == 'kong' and 'X-RateLimit-Limit-Minute' in headers
        status, headers, body = get(base + '/rest/v1/')
        assert status == 401 and json.loads(body) == {'message': 'No API key found in request', 'standin': True,
                                                      'component': 'kong'}
        assert headers['X-Standin'] == 'true'
        assert get(base + '/pg/tables', {'apikey': ANON_KEY})[0] == 403
        assert get(base + '/auth/v1/verify')[0] == 502
        status, _, body = get(base + '/storage/v1/status')
        assert status == 503 and json.loads(body)['message'] == 'name resolution failed'
    finally:
        gateway.shutdown()
        upstream.shutdown()


def test_env_failure_exits_with_the_key(capsys):
    env = dict(rendered_env('gotrue'), STANDIN_COMPONENT='gotrue', GOTRUE_JWT_SECRET='tiny-secret')
    assert standin.main([], env) == 2
    err = capsys.readouterr().err
    assert 'STAND-IN gotrue: GOTRUE_JWT_SECRET: shorter than 32 characters' in err
    assert 'tiny-secret' not in err
    assert standin.main([], {'STANDIN_COMPONENT': 'nginx'}) == 2
    assert 'STANDIN_COMPONENT: unknown component' in capsys.readouterr().err


def test_kong_bad_config_file_exits(tmp_path, capsys):
    # STANDIN_KONG_USER=root: the stand-in must not drop the test process's privileges.
    env = dict(rendered_env('kong'), STANDIN_COMPONENT='kong', STANDIN_KONG_USER='root',
               KONG_DECLARATIVE_CONFIG=str(tmp_path / 'kong.yml'))
    assert standin.main([], env) == 2
    assert 'KONG_DECLARATIVE_CONFIG: cannot read the file' in capsys.readouterr().err
    (tmp_path / 'kong.yml').write_text('{"_format_version": "2.1", "services": [{"name": "x", "url": "http://a",'
                                       ' "plugins": [{"name": "oauth9"}]}]}')
    assert standin.main([], env) == 2
    assert "plugin 'oauth9' (service x) is not enabled in KONG_PLUGINS" in capsys.readouterr().err


def test_status_listen_and_ready():
    assert standin.status_listen({}) == [('127.0.0.1', 8100)]
    assert standin.status_listen({'KONG_STATUS_LISTEN': 'off'}) == [('127.0.0.1', 8100)]
    assert standin.status_listen({'KONG_STATUS_LISTEN': '0.0.0.0:8100, [::1]:8101 ssl'}) == [('0.0.0.0', 8100), ('::1', 8101)]
    with pytest.raises(ValueError, match='KONG_STATUS_LISTEN'):
        standin.status_listen({'KONG_STATUS_LISTEN': '8100'})
    env = dict(rendered_env('kong'), KONG_STATUS_LISTEN='8100')
    assert [p.key for p in standin.contract.check_env('kong', env)] == ['KONG_STATUS_LISTEN']
    switch = Switch()
    health = standin.Health('kong', [('redis', True, switch)])
    health.run_once()
    config = kong.load_config(render_template('kong', 'kong.yml.j2', supabase_anon_key=ANON_KEY,
                                              supabase_service_role_key=SERVICE_KEY), ['bundled'])
    server = standin.serve(standin.StatusApp(health, config), 0, host='127.0.0.1')
    base = 'http://127.0.0.1:%d' % server.server_address[1]
    try:
        status, _, body = get(base + '/status/ready')
        assert status == 200 and json.loads(body)['message'] == 'ready'
        switch.ok = False
        health.run_once()
        status, _, body = get(base + '/status/ready')
        assert status == 503 and json.loads(body)['reason']
        assert get(base + '/status')[0] == 200
        assert get(base + '/nope')[0] == 404
    finally:
        server.shutdown()
