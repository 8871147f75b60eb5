"""container_input_problems: the container role's input checks, one message per problem."""
import pytest

from ansible_collections.selfhost.supabase.plugins.filter.container_input_problems import (
    container_input_problems as problems)

GOOD_PORT = {'container_port': 8000, 'host_port': 8000, 'host_ip': '127.0.0.1'}
GOOD_PROBE = {'type': 'http', 'port': 8000, 'path': '/health'}


def check(**kwargs):
    args = dict(name='supabase-kong', image='kong:2.8.1', env={'A': 'b'}, ports=[GOOD_PORT], allow_public=False,
                component='kong', tier='gateway', probe=GOOD_PROBE)
    args.update(kwargs)
    name = args.pop('name')
    return problems(name, **args)


def test_a_sound_description_has_no_problem():
    assert check() == []
    assert problems('supabase-db', 'postgres:15') == []


@pytest.mark.parametrize('name', ['', '-lead', 'a b', 'x', None])
def test_a_bad_name_is_named(name):
    assert any('container_name' in p for p in check(name=name))


def test_an_empty_image_is_refused():
    assert check(image='') == ['container_image of supabase-kong must be set']


def test_non_string_env_names_the_keys_never_the_values():
    out = check(env={'PORT': 8000, 'DEBUG': True, 'SECRET': 'hunter2-value', 'RATIO': 1.5})
    assert len(out) == 1
    assert 'DEBUG, PORT, RATIO' in out[0]
    assert 'hunter2' not in out[0] and '8000' not in out[0]


@pytest.mark.parametrize('port, reason', [
    ({'host_ip': '127.0.0.1'}, 'container_port must be 1-65535'),
    ({'container_port': 0, 'host_ip': '127.0.0.1'}, 'container_port must be 1-65535'),
    ({'container_port': 80, 'host_port': 70000, 'host_ip': '127.0.0.1'}, 'host_port must be 1-65535'),
    ({'container_port': 80, 'host_ip': '127.0.0.1', 'protocol': 'sctp'}, 'protocol must be tcp or udp'),
    ({'container_port': 80}, 'an explicit host_ip is needed'),
    ({'container_port': 80, 'host_ip': ''}, 'an explicit host_ip is needed'),
    ({'container_port': 80, 'host_ip': '0.0.0.0'}, 'container_allow_public_ports'),
    ({'container_port': 80, 'host_ip': '::'}, 'container_allow_public_ports'),
    ({'container_port': 80, 'host_ip': '[::]'}, 'container_allow_public_ports'),
])
def test_each_bad_port_is_refused_with_its_reason(port, reason):
    out = check(ports=[GOOD_PORT, port])
    assert len(out) == 1 and reason in out[0] and 'container_published_ports of supabase-kong' in out[0]


def test_public_ports_pass_when_allowed():
    assert check(ports=[{'container_port': 80, 'host_ip': '0.0.0.0'}], allow_public=True) == []


def test_host_port_defaults_to_container_port_and_protocol_to_tcp():
    assert check(ports=[{'container_port': 5432, 'host_ip': '10.0.0.5', 'protocol': 'udp'}]) == []


@pytest.mark.parametrize('kwargs, needle', [
    ({'component': 'Kong'}, 'container_component'),
    ({'component': '9kong'}, 'container_component'),
    ({'tier': 'frontend'}, 'container_tier'),
    ({'probe': {'type': 'icmp', 'port': 1}}, 'type must be one of'),
    ({'probe': {'type': 'http', 'port': 0}}, 'port must be 1-65535'),
    ({'probe': {'type': 'http'}}, 'port must be 1-65535'),
    ({'probe': {'type': 'http', 'port': 80, 'path': 'health'}}, 'path must start with /'),
    ({'probe': {'type': 'http', 'port': 80, 'secret': 'eyJhbGciOi-a-real-key'}}, 'never a value'),
])
def test_a_bad_description_is_refused(kwargs, needle):
    out = check(**kwargs)
    assert len(out) == 1 and needle in out[0]


def test_a_secret_value_given_as_probe_secret_is_not_echoed():
    out = check(probe={'type': 'http', 'port': 80, 'secret': 'eyJhbGciOi-a-real-key'})
    assert 'eyJhbGciOi' not in out[0]


def test_a_probe_naming_a_stack_secret_passes():
    assert check(probe={'type': 'http', 'port': 80, 'secret': 'supabase_anon_key'}) == []


def test_no_component_tier_or_probe_is_fine():
    assert check(component='', tier='', probe={}) == []


def test_several_problems_are_all_reported():
    assert len(check(image='', tier='x', ports=[{'container_port': 80}])) == 3
