"""plugins/filter/host_preflight.py: the host role's sysctl and firewall port spec programs."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.selfhost.supabase.plugins.filter import host_preflight as F


def test_registered():
    assert set(F.FilterModule().filters()) == {'host_sysctl_problems', 'host_firewall_port_items'}


def test_sysctl_good_entries_pass():
    good = {'vm.overcommit_memory': 1, 'net.core.somaxconn': '4096', 'net.ipv4.conf.all.rp_filter': 0,
            'vm.swappiness': 1.5, 'net.ipv4.ip_local_port_range': '1024 65000', 'kernel.x-y_Z': 'v'}
    assert F.host_sysctl_problems(good) == []
    assert F.host_sysctl_problems({}) == []


def test_sysctl_bad_keys_and_values_named():
    bad = {'swappiness': 1, 'Vm.x': 1, 'vm.a b': 1, 'vm.list': [1, 2], 'vm.map': {'a': 1}, 'vm.none': None,
           'vm.ok': 2}
    assert F.host_sysctl_problems(bad) == [
        'swappiness = 1', 'Vm.x = 1', 'vm.a b = 1', 'vm.list = [1, 2]', 'vm.map = {"a": 1}', 'vm.none = null']


def test_sysctl_not_a_mapping():
    with pytest.raises(AnsibleFilterError, match='mapping'):
        F.host_sysctl_problems(['vm.swappiness=1'])


def test_firewall_items_only_the_hosts_groups_then_extra():
    group_ports = {'db': ['5432/tcp'], 'app': ['8000/tcp', {'port': 4000}], 'edge': ['443/tcp']}
    items = F.host_firewall_port_items(group_ports, ['app', 'db'], ['9100/tcp', 'x'])
    assert items == [
        {'var': 'host_firewall_group_ports.db', 'raw': '5432/tcp'},
        {'var': 'host_firewall_group_ports.app', 'raw': '8000/tcp'},
        {'var': 'host_firewall_group_ports.app', 'raw': {'port': 4000}},
        {'var': 'host_firewall_extra_ports[0]', 'raw': '9100/tcp'},
        {'var': 'host_firewall_extra_ports[1]', 'raw': 'x'},
    ]
    assert F.host_firewall_port_items(group_ports, [], []) == []


def test_firewall_items_bad_input():
    with pytest.raises(AnsibleFilterError, match='host_firewall_group_ports must be a mapping'):
        F.host_firewall_port_items(['db'], ['db'], [])
    with pytest.raises(AnsibleFilterError, match='host_firewall_extra_ports must be a list'):
        F.host_firewall_port_items({}, ['db'], '8080/tcp')
    with pytest.raises(AnsibleFilterError, match='host_firewall_group_ports.db must be a list'):
        F.host_firewall_port_items({'db': '5432/tcp'}, ['db'], [])
