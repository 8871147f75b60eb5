"""haproxy_backends: the database servers HAProxy checks come from the db group's private addresses."""
import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.selfhost.supabase.plugins.filter.haproxy_backends import FilterModule, haproxy_backends

HOSTVARS = {
    'db1': {'supabase_private_address': '10.0.0.11', 'ansible_host': '192.0.2.11'},
    'db2': {'supabase_private_address': '10.0.0.12'},
    'db3': {'supabase_private_address': ' 10.0.0.13 '},
    'db@4': {'supabase_private_address': '[fd00::14]'},
    'db5': {'supabase_private_address': 'db5.internal'},
    'noaddr': {'ansible_host': '10.0.0.99'},
    'loop': {'supabase_private_address': '127.0.0.1'},
    'loop6': {'supabase_private_address': '::1'},
    'named-localhost': {'supabase_private_address': 'localhost'},
    'twin': {'supabase_private_address': '10.0.0.11'},
    'db_4': {'supabase_private_address': '10.0.0.15'},
}


def test_registered():
    assert FilterModule().filters()['haproxy_backends'] is haproxy_backends


def test_every_db_host_at_its_private_address_in_inventory_order():
    assert haproxy_backends(['db3', 'db1', 'db2'], HOSTVARS) == [
        {'name': 'db3', 'address': '10.0.0.13'},
        {'name': 'db1', 'address': '10.0.0.11'},  # never ansible_host
        {'name': 'db2', 'address': '10.0.0.12'},
    ]


def test_ipv6_without_brackets_names_made_valid_and_dns_names_kept():
    assert haproxy_backends(['db@4', 'db5'], HOSTVARS) == [
        {'name': 'db_4', 'address': 'fd00::14'}, {'name': 'db5', 'address': 'db5.internal'}]


def test_no_db_host_gives_no_server():
    assert haproxy_backends([], HOSTVARS) == []


def test_a_host_without_private_address_fails_naming_it():
    # ansible_host is how Ansible reaches the host, not where the cluster publishes PostgreSQL and Patroni.
    with pytest.raises(AnsibleFilterError, match='db host noaddr has no supabase_private_address'):
        haproxy_backends(['db1', 'noaddr'], HOSTVARS)
    with pytest.raises(AnsibleFilterError, match='db host ghost has no supabase_private_address'):
        haproxy_backends(['ghost'], HOSTVARS)


@pytest.mark.parametrize('host', ['loop', 'loop6', 'named-localhost'])
def test_a_loopback_address_fails(host):
    with pytest.raises(AnsibleFilterError, match='supabase_private_address of db host %s is .*loopback' % host):
        haproxy_backends(['db1', host], HOSTVARS)


def test_two_hosts_on_one_address_or_one_name_fail():
    with pytest.raises(AnsibleFilterError, match='db hosts db1 and twin have the same address 10.0.0.11'):
        haproxy_backends(['db1', 'twin'], HOSTVARS)
    with pytest.raises(AnsibleFilterError, match='db hosts db@4 and db_4 have the same server name db_4'):
        haproxy_backends(['db@4', 'db_4'], HOSTVARS)


@pytest.mark.parametrize('bad', ['db1', None, {'db1': 1}])
def test_input_must_be_a_list(bad):
    with pytest.raises(AnsibleFilterError, match='haproxy_backends expects a list'):
        haproxy_backends(bad, HOSTVARS)
