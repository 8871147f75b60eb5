"""peer_host: the Docker name on the db host itself, the db host's private address elsewhere."""
from ansible_collections.selfhost.supabase.plugins.filter.endpoints import FilterModule, peer_host

GROUPS = {'db': ['db1'], 'app': ['app1', 'app2'], 'edge': ['edge1']}
HOSTVARS = {
    'db1': {'supabase_private_address': '10.0.0.10', 'ansible_host': '192.0.2.10'},
    'app1': {'supabase_private_address': '10.0.0.21'},
}


def test_same_host_uses_the_docker_name():
    assert peer_host('supabase-redis', GROUPS, HOSTVARS, 'db1') == 'supabase-redis'


def test_other_host_uses_the_private_address():
    assert peer_host('supabase-redis', GROUPS, HOSTVARS, 'app1') == '10.0.0.10'
    assert peer_host('supabase-minio', GROUPS, HOSTVARS, 'app2') == '10.0.0.10'


def test_falls_back_to_ansible_host_then_inventory_name():
    assert peer_host('x', GROUPS, {'db1': {'ansible_host': '192.0.2.10'}}, 'app1') == '192.0.2.10'
    assert peer_host('x', GROUPS, {}, 'app1') == 'db1'


def test_no_group_means_one_host():
    assert peer_host('supabase-redis', {}, {}, 'localhost') == 'supabase-redis'
    assert peer_host('supabase-redis', None, None, 'h') == 'supabase-redis'


def test_other_group():
    assert peer_host('supabase-kong', GROUPS, HOSTVARS, 'db1', group='app') == '10.0.0.21'


def test_registered():
    assert FilterModule().filters()['peer_host'] is peer_host
