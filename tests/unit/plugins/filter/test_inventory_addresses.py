"""inventory_addresses: the firewall's trusted sources come from inventory addresses first."""
import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.selfhost.supabase.plugins.filter.inventory_addresses import FilterModule, inventory_addresses

GROUPS = {
    'all': ['db1', 'app1', 'app2', 'edge1', 'outsider'],
    'db': ['db1'],
    'app': ['app1', 'app2'],
    'edge': ['edge1'],
    'outsider': ['outsider'],
}


def _hostvars(**overrides):
    hv = {
        'db1': {'supabase_private_address': '10.0.0.10', 'ansible_host': 'db1.example.net'},
        'app1': {'supabase_private_address': '10.0.0.21'},
        'app2': {'ansible_host': '10.0.0.22'},
        'edge1': {'ansible_host': 'edge.example.net', 'ansible_facts': {'default_ipv4': {'address': '10.0.0.30'}}},
        'outsider': {'supabase_private_address': '10.0.0.99'},
    }
    for name, value in overrides.items():
        hv[name] = value
    return hv


def test_registered():
    assert FilterModule().filters()['inventory_addresses'] is inventory_addresses


def test_fleet_in_order_of_preference():
    # db1: private address beats ansible_host; app2: ansible_host (an IP); edge1: facts (ansible_host is a name).
    assert inventory_addresses(['db', 'app', 'edge'], GROUPS, _hostvars()) == [
        '10.0.0.10/32', '10.0.0.21/32', '10.0.0.22/32', '10.0.0.30/32']


def test_private_address_beats_facts():
    hv = _hostvars(app1={'supabase_private_address': '10.0.0.21', 'ansible_facts': {'default_ipv4': {'address': '192.0.2.7'}}})
    assert '192.0.2.7/32' not in inventory_addresses(['app'], GROUPS, hv)


def test_limit_run_keeps_hosts_without_facts():
    # A --limit run gathers facts on db1 only; the others still come from the inventory.
    hv = _hostvars(db1={'ansible_facts': {'default_ipv4': {'address': '10.0.0.10'}}, 'ansible_host': 'db1.example.net'},
                   edge1={'supabase_private_address': '10.0.0.30'})
    assert inventory_addresses(['db', 'app', 'edge'], GROUPS, hv) == [
        '10.0.0.10/32', '10.0.0.21/32', '10.0.0.22/32', '10.0.0.30/32']


def test_only_the_named_groups():
    result = inventory_addresses(['app'], GROUPS, _hostvars())
    assert result == ['10.0.0.21/32', '10.0.0.22/32']
    assert '10.0.0.99/32' not in inventory_addresses(['db', 'app', 'edge'], GROUPS, _hostvars())


def test_unknown_group_contributes_nothing():
    assert inventory_addresses(['monitor'], GROUPS, _hostvars()) == []


def test_duplicates_and_ipv6():
    groups = {'db': ['a', 'b'], 'app': ['a', 'c']}
    hv = {'a': {'supabase_private_address': 'fd00::10'}, 'b': {'ansible_host': '10.0.0.2'},
          'c': {'supabase_private_address': ' 10.0.0.2 '}}
    assert inventory_addresses(['db', 'app'], groups, hv) == ['10.0.0.2/32', 'fd00::10/128']


def test_local_host_without_address_is_skipped():
    groups = {'db': ['localhost']}
    assert inventory_addresses(['db'], groups, {'localhost': {'ansible_connection': 'local'}}) == []


def test_local_host_with_private_address():
    groups = {'db': ['localhost']}
    hv = {'localhost': {'ansible_connection': 'local', 'supabase_private_address': '127.0.0.1'}}
    assert inventory_addresses(['db'], groups, hv) == ['127.0.0.1/32']


def test_host_without_address_fails_naming_it():
    hv = _hostvars(app2={'ansible_host': 'app2.example.net'})
    with pytest.raises(AnsibleFilterError, match='host app2 has no address.*supabase_private_address'):
        inventory_addresses(['app'], GROUPS, hv)


@pytest.mark.parametrize('bad', ['10.0.0.300', 'db.example.net', '10.0.0.0/24', True])
def test_bad_private_address_fails_naming_the_variable(bad):
    hv = _hostvars(db1={'supabase_private_address': bad})
    with pytest.raises(AnsibleFilterError, match='supabase_private_address of host db1 must be an IP address'):
        inventory_addresses(['db'], GROUPS, hv)


@pytest.mark.parametrize('bad', ['app', None, {'app': 1}, ['app', 3]])
def test_group_names_must_be_a_list_of_strings(bad):
    with pytest.raises(AnsibleFilterError, match='inventory_addresses'):
        inventory_addresses(bad, GROUPS, _hostvars())
