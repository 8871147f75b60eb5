"""Render the kong role's declarative config and check it against the gateway routes.

The config is rendered by Ansible's Templar from roles/kong/templates/kong.yml.j2 with the role's
defaults; the checks are independent of (and also run) the checker the role ships for `validate:`.
"""
import importlib.util
import json
import os

import pytest
import yaml

from rendering import ROLES, STACK, render_template, render_var

PLUGINS = ['request-transformer', 'cors', 'key-auth', 'acl', 'basic-auth', 'rate-limiting']

# path, upstream key, upstream path, auth: the gateway routes reference (docs/components/kong.md)
ROUTES_TABLE = """
/auth/v1/verify    auth      /verify      open
/auth/v1/callback  auth      /callback    open
/auth/v1/authorize auth      /authorize   open
/auth/v1/          auth      /            secure
/rest/v1/          rest      /            secure
/graphql/v1        rest      /rpc/graphql secure
/realtime/v1/      realtime  /socket      secure
/realtime/v1/api   realtime  /api         secure
/storage/v1/       storage   /            open
/functions/v1/     functions /            open
/pg/               meta      /            admin
/                  studio    /            dashboard
"""
ROUTES = {row[0]: tuple(row[1:]) for row in (line.split() for line in ROUTES_TABLE.strip().splitlines())}


def _checker():
    spec = importlib.util.spec_from_file_location('kong_config_check', os.path.join(ROLES, 'kong', 'files', 'kong_config_check.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _render(**overrides):
    text = render_template('kong', 'kong.yml.j2', **overrides)
    return yaml.safe_load(text), text


@pytest.fixture(scope='module')
def rendered():
    return _render()


def _plugins(service):
    return {p['name']: p.get('config', {}) for p in service.get('plugins', [])}


def _by_path(config):
    return {path: service for service in config['services'] for route in service['routes'] for path in route['paths']}


def test_is_json_and_yaml(rendered):
    config, text = rendered
    assert json.loads(text) == config
    assert config['_format_version']


def test_every_route_of_the_gateway_reference(rendered):
    config, _ = rendered
    upstreams = render_var('kong', 'kong_upstreams')
    by_path = _by_path(config)
    assert set(by_path) == set(ROUTES)
    for path, (upstream, suffix, auth) in ROUTES.items():
        service = by_path[path]
        assert service['url'] == upstreams[upstream].rstrip('/') + suffix, path
        route = [r for r in service['routes'] if path in r['paths']][0]
        assert route['strip_path'] is True
        plugins = _plugins(service)
        assert 'cors' in plugins, path
        if auth == 'secure':
            assert plugins['key-auth'] == {'hide_credentials': False}
            assert plugins['acl']['allow'] == ['admin', 'anon']
            assert plugins['acl']['hide_groups_header'] is True
        elif auth == 'admin':
            assert plugins['acl']['allow'] == ['admin']
            assert 'key-auth' in plugins
        elif auth == 'dashboard':
            assert plugins['basic-auth'] == {'hide_credentials': True}
            assert 'key-auth' not in plugins
        else:
            assert set(plugins) == {'cors'}, path


def test_route_details(rendered):
    by_path = _by_path(rendered[0])
    graphql = _plugins(by_path['/graphql/v1'])
    assert graphql['request-transformer'] == {'add': {'headers': ['Content-Profile:graphql_public']}}
    assert by_path['/realtime/v1/']['protocol'] == 'ws'
    assert by_path['/functions/v1/']['read_timeout'] == 150000
    assert 'realtime-dev.supabase-realtime' in by_path['/realtime/v1/api']['url']


def test_every_route_has_a_service_and_unique_names(rendered):
    config, _ = rendered
    names = [r['name'] for s in config['services'] for r in s['routes']]
    assert len(names) == len(set(names))
    assert len({s['name'] for s in config['services']}) == len(config['services'])
    for service in config['services']:
        assert service['url'].startswith('http://') and service['routes']


def test_consumers_keys_groups_and_limits(rendered):
    config, _ = rendered
    consumers = {c['username']: c for c in config['consumers']}
    assert consumers['anon']['keyauth_credentials'] == [{'key': STACK['supabase_anon_key']}]
    assert consumers['anon']['acls'] == [{'group': 'anon'}]
    assert consumers['service_role']['keyauth_credentials'] == [{'key': STACK['supabase_service_role_key']}]
    assert consumers['service_role']['acls'] == [{'group': 'admin'}]
    assert consumers['DASHBOARD']['basicauth_credentials'] == [
        {'username': STACK['supabase_dashboard_username'], 'password': STACK['supabase_dashboard_password']}]
    for name in ('anon', 'service_role'):
        (limit,) = consumers[name]['plugins']
        assert limit['name'] == 'rate-limiting'
        assert limit['config']['minute'] > 0
        # Counted in the stack's Redis, so every Kong node counts against the same limit.
        assert limit['config']['policy'] == 'redis'
        assert limit['config']['redis_host'] == 'supabase-redis'
        assert limit['config']['redis_port'] == 6379
        assert limit['config']['redis_password'] == STACK['supabase_redis_password']


def test_rate_limits_follow_the_variable():
    config, _ = _render(kong_rate_limits={'anon': {'second': 5, 'hour': 1000}}, kong_rate_limit_policy='local')
    consumers = {c['username']: c for c in config['consumers']}
    assert consumers['anon']['plugins'][0]['config'] == {'second': 5, 'hour': 1000, 'policy': 'local'}
    assert 'plugins' not in consumers['service_role']


def test_rate_limit_redis_on_another_host():
    config, _ = _render(groups={'db': ['db1'], 'app': ['app1']}, inventory_hostname='app1',
                        hostvars={'db1': {'supabase_private_address': '10.0.0.10'}})
    consumers = {c['username']: c for c in config['consumers']}
    assert consumers['anon']['plugins'][0]['config']['redis_host'] == '10.0.0.10'


@pytest.mark.parametrize('config, problem', [
    ({'minute': 5, 'policy': 'redis'}, 'policy redis without redis_host'),
    ({'minute': 5, 'policy': 'redis', 'redis_host': 'r', 'redis_port': 'x'}, 'redis_port is not a port number'),
    ({'policy': 'local'}, 'sets no limit'),
    ({'minute': 0}, 'minute is not a positive whole number'),
    ({'minute': 5, 'policy': 'shared'}, "policy 'shared'"),
])
def test_checker_refuses_bad_rate_limits(config, problem):
    found = _checker().rate_limit_problems('anon', config)
    assert any(problem in p for p in found), found


def test_upstreams_can_point_at_other_hosts():
    upstreams = dict(render_var('kong', 'kong_upstreams'), rest='http://10.0.0.7:3000')
    config, _ = _render(kong_upstreams=upstreams)
    assert _by_path(config)['/rest/v1/']['url'] == 'http://10.0.0.7:3000/'


def test_cors_origins():
    config, _ = _render(kong_cors_origins=['https://app.unit.test'])
    assert _plugins(_by_path(config)['/rest/v1/'])['cors'] == {'origins': ['https://app.unit.test']}


def test_no_placeholder_and_secrets_escaped():
    config, text = _render(supabase_dashboard_password='p"a\\ss{word}')
    assert '{{' not in text and '$SUPABASE' not in text
    consumers = {c['username']: c for c in config['consumers']}
    assert consumers['DASHBOARD']['basicauth_credentials'][0]['password'] == 'p"a\\ss{word}'


def test_shipped_checker_accepts_the_render(rendered, tmp_path):
    path = tmp_path / 'kong.yml'
    path.write_text(rendered[1])
    assert _checker().main(['--plugins', ','.join(PLUGINS), str(path)]) == 0


@pytest.mark.parametrize('breakage', ['no-key', 'no-acl', 'placeholder', 'plugin-off', 'no-route'])
def test_shipped_checker_refuses_broken_configs(rendered, breakage):
    config = json.loads(rendered[1])
    plugins = PLUGINS
    if breakage == 'no-key':
        config['consumers'][0]['keyauth_credentials'] = [{'key': ''}]
    elif breakage == 'no-acl':
        config['services'][3]['plugins'] = [p for p in config['services'][3]['plugins'] if p['name'] != 'acl']
    elif breakage == 'placeholder':
        config['consumers'][1]['keyauth_credentials'] = [{'key': '$SUPABASE_SERVICE_KEY'}]
    elif breakage == 'plugin-off':
        plugins = [p for p in PLUGINS if p != 'rate-limiting']
    elif breakage == 'no-route':
        config['services'][0]['routes'] = []
    text = json.dumps(config)
    assert _checker().problems(config, text, plugins)


def test_status_listener_for_the_edge_health_check():
    assert render_var('kong', '__kong_env')['KONG_STATUS_LISTEN'] == '0.0.0.0:8100'
    assert render_var('kong', '__kong_env', kong_status_port=0)['KONG_STATUS_LISTEN'] == 'off'
