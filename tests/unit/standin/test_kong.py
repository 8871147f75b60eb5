"""The kong stand-in's decisions on the config the kong role renders (roles/kong/templates/kong.yml.j2)."""
import base64
import json

import pytest
import yaml

import kong
from rendering import render_template, render_var
from standin_envs import ANON_KEY, JWT_SECRET, SERVICE_KEY

# KONG_PLUGINS as the kong role renders it with its defaults (the status API on adds prometheus).
PLUGINS = render_var('kong', '__kong_plugins')
DASH = ('unit-admin', 'unit-dashboard-password')


def rendered(**overrides):
    values = dict(supabase_jwt_secret=JWT_SECRET, supabase_anon_key=ANON_KEY, supabase_service_role_key=SERVICE_KEY)
    values.update(overrides)
    return render_template('kong', 'kong.yml.j2', **values)


@pytest.fixture(scope='module')
def config():
    return kong.load_config(rendered(), PLUGINS)


def decide(config, path, key=None, method='GET', headers=None, query=()):
    headers = dict(headers or {})
    if key:
        headers['apikey'] = key
    return kong.decide(config, method, path, list(query), headers)


def basic(user, password):
    return {'Authorization': 'Basic ' + base64.b64encode(('%s:%s' % (user, password)).encode()).decode()}


# request path, upstream URL it must reach (default kong_upstreams), auth kind
ROUTES = [
    ('/auth/v1/verify', 'http://supabase-auth:9999/verify', 'open'),
    ('/auth/v1/callback', 'http://supabase-auth:9999/callback', 'open'),
    ('/auth/v1/authorize', 'http://supabase-auth:9999/authorize', 'open'),
    ('/auth/v1/health', 'http://supabase-auth:9999/health', 'secure'),
    ('/rest/v1/items', 'http://supabase-rest:3000/items', 'secure'),
    ('/graphql/v1', 'http://supabase-rest:3000/rpc/graphql', 'secure'),
    ('/realtime/v1/websocket', 'http://realtime-dev.supabase-realtime:4000/socket/websocket', 'secure'),
    ('/realtime/v1/api/tenants/realtime-dev/health', 'http://realtime-dev.supabase-realtime:4000/api/tenants/realtime-dev/health', 'secure'),
    ('/storage/v1/object/public/a.png', 'http://supabase-storage:5000/object/public/a.png', 'open'),
    ('/functions/v1/hello', 'http://supabase-edge-functions:9000/hello', 'open'),
    ('/pg/tables', 'http://supabase-meta:8080/tables', 'admin'),
    ('/project/default', 'http://supabase-studio:3000/project/default', 'dashboard'),
]


@pytest.mark.parametrize('path,upstream,auth', ROUTES)
def test_every_route_reaches_its_upstream_with_the_right_auth(config, path, upstream, auth):
    if auth == 'open':
        assert decide(config, path).upstream_url == upstream
        return
    if auth == 'dashboard':
        assert decide(config, path).status == 401
        assert decide(config, path, headers=basic('unit-admin', 'wrong')).status == 401
        ok = decide(config, path, headers=basic(*DASH))
        assert ok.status is None and ok.upstream_url == upstream
        assert ok.upstream_headers['authorization'] is None  # hide_credentials
        return
    none = decide(config, path)
    assert (none.status, none.body) == (401, kong.NO_KEY)
    bad = decide(config, path, key='not-a-known-key')
    assert (bad.status, bad.body) == (401, kong.BAD_CREDENTIALS)
    anon = decide(config, path, key=ANON_KEY)
    service = decide(config, path, key=SERVICE_KEY)
    assert service.status is None and service.upstream_url == upstream
    assert service.upstream_headers['x-consumer-username'] == 'service_role'
    if auth == 'admin':
        assert (anon.status, anon.body) == (403, kong.FORBIDDEN)
    else:
        assert anon.status is None and anon.upstream_url == upstream


def test_key_in_query_and_header_case(config):
    by_query = decide(config, '/rest/v1/items', query=[('apikey', ANON_KEY), ('select', '*')])
    assert by_query.status is None and by_query.consumer['username'] == 'anon'
    # hide_credentials is false on the secure routes: the key goes upstream
    assert 'apikey=' in by_query.upstream_url and 'select=%2A' in by_query.upstream_url
    assert decide(config, '/rest/v1/', headers={'APIKEY': ANON_KEY}).status is None


def test_graphql_adds_content_profile(config):
    decision = decide(config, '/graphql/v1', key=ANON_KEY)
    assert decision.upstream_headers['content-profile'] == 'graphql_public'


def test_cors_preflight_needs_no_key(config):
    decision = decide(config, '/rest/v1/items', method='OPTIONS',
                      headers={'Origin': 'https://app.example', 'Access-Control-Request-Method': 'POST',
                               'Access-Control-Request-Headers': 'apikey,content-type'})
    assert decision.status == 200
    assert decision.headers['Access-Control-Allow-Origin'] == '*'
    assert 'POST' in decision.headers['Access-Control-Allow-Methods']
    assert decision.headers['Access-Control-Allow-Headers'] == 'apikey,content-type'


def test_cors_origins_from_the_role():
    config = kong.load_config(rendered(kong_cors_origins=['https://app.example']), PLUGINS)
    ok = decide(config, '/rest/v1/', key=ANON_KEY, headers={'Origin': 'https://app.example'})
    assert ok.headers['Access-Control-Allow-Origin'] == 'https://app.example'
    other = decide(config, '/rest/v1/', key=ANON_KEY, headers={'Origin': 'https://evil.example'})
    assert 'Access-Control-Allow-Origin' not in other.headers


def test_longest_prefix_wins(config):
    assert decide(config, '/auth/v1/verify').route['name'] == 'auth-v1-open'
    assert decide(config, '/auth/v1/verifyx').route['name'] == 'auth-v1-open'
    assert decide(config, '/auth/v1/user').status == 401
    assert decide(config, '/realtime/v1/api').route['name'] == 'realtime-v1-rest'


def test_unknown_plugin_name_and_disabled_plugin():
    with pytest.raises(kong.ConfigError, match="KONG_PLUGINS: unknown plugin 'no-such-plugin'"):
        kong.load_config(rendered(), PLUGINS + ['no-such-plugin'])
    with pytest.raises(kong.ConfigError, match="plugin 'basic-auth' .* not enabled in KONG_PLUGINS"):
        kong.load_config(rendered(), [p for p in PLUGINS if p != 'basic-auth'])
    assert kong.load_config(rendered(), ['bundled']).routes


def test_malformed_files():
    with pytest.raises(kong.ConfigError, match='not YAML'):
        kong.load_config('{"a": [', PLUGINS)
    with pytest.raises(kong.ConfigError, match='_format_version'):
        kong.load_config('{"services": []}', PLUGINS)
    with pytest.raises(kong.ConfigError, match='top level'):
        kong.load_config('[1, 2]', PLUGINS)


def test_unknown_keys_are_logged_and_ignored():
    data = json.loads(rendered())
    data['mystery'] = 1
    data['services'][0]['routes'][0]['hosts'] = ['x.example']
    data['consumers'][0]['plugins'][0]['config']['sync_rate'] = 1
    config = kong.load_config(json.dumps(data), PLUGINS)
    assert any('mystery' in w for w in config.warnings)
    assert any('config key sync_rate is not enforced' in w for w in config.warnings)
    assert not any('config key' in w for w in kong.load_config(rendered(), PLUGINS).warnings)
    assert any('hosts' in w for w in config.warnings)


def redis_config(password='unit-redis-password', nested=False, limit=3):
    data = yaml.safe_load(rendered(kong_rate_limit_policy='local', kong_rate_limits={'anon': {'minute': limit}, 'service_role': {'minute': 1000}}))
    for consumer in data['consumers']:
        for plugin in consumer.get('plugins', []):
            if nested:
                plugin['config'].update({'policy': 'redis', 'redis': {'host': '127.0.0.1', 'port': 6390, 'password': password}})
            else:
                plugin['config'].update({'policy': 'redis', 'redis_host': '127.0.0.1', 'redis_port': 6390,
                                         'redis_password': password})
    return json.dumps(data)


def test_redis_settings_flat_and_nested():
    for nested in (False, True):
        config = kong.load_config(redis_config(nested=nested), PLUGINS)
        assert config.redis == [{'host': '127.0.0.1', 'port': 6390, 'password': 'unit-redis-password', 'username': None,
                                 'database': 0, 'timeout': 2.0}]
    # The role's default is policy redis on the stack's Redis (one limit for every Kong node).
    assert kong.load_config(rendered(), PLUGINS).redis[0]['host'] == 'supabase-redis'
    assert kong.load_config(rendered(kong_rate_limit_policy='local'), PLUGINS).redis == []


def test_local_rate_limit_per_consumer(config):
    limiter = kong.RateLimiter()
    conf = {'minute': 2, 'policy': 'local'}
    anon = decide(config, '/rest/v1/', key=ANON_KEY)
    anon.rate_limits = [(conf, 'consumer:anon')]
    results = []
    for _ in range(3):
        d = decide(config, '/rest/v1/', key=ANON_KEY)
        d.rate_limits = [(conf, 'consumer:anon')]
        kong.apply_limits(limiter, d, '10.0.0.1')
        results.append(d.status)
    assert results == [None, None, 429]


def test_upstream_path_join():
    service = {'url': 'http://x:1/'}
    route = {'strip_path': True}
    assert kong.upstream_path(service, route, '/rest/v1/', '/rest/v1/items') == '/items'
    assert kong.upstream_path(service, route, '/rest/v1/', '/rest/v1/') == '/'
    assert kong.upstream_path({'url': 'http://x:1/rpc/graphql'}, route, '/graphql/v1', '/graphql/v1') == '/rpc/graphql'
    assert kong.upstream_path({'url': 'http://x:1/api'}, route, '/realtime/v1/api', '/realtime/v1/api/t/h') == '/api/t/h'
    assert kong.upstream_path(service, {'strip_path': False}, '/pg/', '/pg/tables') == '/pg/tables'
