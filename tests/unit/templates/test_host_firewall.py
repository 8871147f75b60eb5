"""The host firewall's rule file, rendered by the role's own preflight for a fleet inventory.

Runs roles/host/tasks/preflight.yml for real (ansible-playbook, local connections, nothing on the
machine changes but a file in tmp_path), renders nftables.conf.j2 and reads the rules back.
"""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from rendering import ROOT

INVENTORY = {
    'all': {
        'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable},
        'children': {
            'db': {'hosts': {'db1': {'supabase_private_address': '10.0.0.10'}}},
            'app': {'hosts': {'app1': {'supabase_private_address': '10.0.0.21'}, 'app2': {'ansible_host': '10.0.0.22'}}},
            'edge': {'hosts': {'edge1': {'supabase_private_address': '10.0.0.30'}}},
            'outsider': {'hosts': {'out1': {'supabase_private_address': '10.0.0.99'}}},
        },
    },
}

PLAY = '''
- hosts: {host}
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: selfhost.supabase.host
        tasks_from: preflight.yml
        public: true
    - ansible.builtin.template:
        src: {root}/roles/host/templates/nftables.conf.j2
        dest: "{out}/{{{{ inventory_hostname }}}}.nft"
        mode: "0600"
'''


def render(tmp_path, hosts, inventory=None, **extra):
    """Run the play on hosts (a pattern); return the process and {host: rendered text or None}."""
    inv = tmp_path / 'inventory.json'
    inv.write_text(json.dumps(inventory or INVENTORY))
    play = tmp_path / 'play.yml'
    play.write_text(PLAY.format(host=hosts, root=ROOT, out=tmp_path))
    variables = tmp_path / 'vars.json'
    variables.write_text(json.dumps(extra))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'collections'),
               ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    bindir = os.path.dirname(sys.executable)
    proc = subprocess.run([os.path.join(bindir, 'ansible-playbook'), '-i', str(inv), str(play), '-e', '@%s' % variables],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=180)
    texts = {}
    for host in hosts.split(':'):
        out = tmp_path / ('%s.nft' % host)
        texts[host] = out.read_text() if out.exists() else None
    return proc, texts


def chain(text, name):
    """Rule lines of one chain (comments and blank lines left out)."""
    body = re.search(r'\tchain %s \{\n(.*?)\n\t\}' % name, text, re.S).group(1)
    return [line.strip() for line in body.splitlines() if line.strip() and not line.strip().startswith('#')]


def sources_of(lines, port):
    """The saddr sets of the accept rules for tcp `port` in lines."""
    found = []
    for line in lines:
        if re.search(r'tcp (dport|ct original proto-dst) %d accept' % port, line):
            m = re.search(r'saddr \{ ([^}]*) \}', line)
            found.append(sorted(m.group(1).split(', ')) if m else 'anywhere')
    return found


FLEET = ['10.0.0.10/32', '10.0.0.21/32', '10.0.0.22/32', '10.0.0.30/32', '127.0.0.0/8']
APPS = ['10.0.0.21/32', '10.0.0.22/32', '127.0.0.0/8']


@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
    proc, texts = render(tmp_path_factory.mktemp('fleet'), 'db1:edge1')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return texts


@pytest.fixture(scope='module')
def db_rules(rendered):
    return rendered['db1']


def test_forward_chain_filters_published_ports(db_rules):
    forward = chain(db_rules, 'forward')
    assert 'type filter hook forward priority filter - 10; policy accept;' in forward
    assert 'ct state new ct status dnat jump published' in forward
    published = chain(db_rules, 'published')
    assert published[-1] == 'counter drop comment "published port not admitted"'
    assert published[:2] == ['iifname "docker0" accept', 'iifname "br-*" accept']


@pytest.mark.parametrize('hook', ['input', 'published'])
def test_db_ports_and_their_sources(db_rules, hook):
    lines = chain(db_rules, hook)
    # Every fleet host (from inventory addresses, no facts gathered) for PostgreSQL; never the outsider.
    assert sources_of(lines, 5432) == [FLEET]
    # Redis and MinIO: app hosts (and loopback) only.
    assert sources_of(lines, 6379) == [APPS]
    assert sources_of(lines, 9000) == [APPS]
    # High availability: etcd from db hosts only; Patroni's REST API from db and app hosts, never the edge.
    for port in (2379, 2380):
        assert sources_of(lines, port) == [['10.0.0.10/32', '127.0.0.0/8']]
    assert sources_of(lines, 8008) == [['10.0.0.10/32', '10.0.0.21/32', '10.0.0.22/32', '127.0.0.0/8']]
    assert '10.0.0.99' not in db_rules
    # Not an edge or app host: no web or Kong ports.
    for port in (80, 443, 8000, 8443):
        assert sources_of(lines, port) == []


def test_published_rules_match_the_host_side_port(db_rules):
    assert any('meta l4proto tcp ct original proto-dst 5432 accept' in line for line in chain(db_rules, 'published'))


def test_edge_web_ports_open_to_all(rendered):
    for hook in ('input', 'published'):
        lines = chain(rendered['edge1'], hook)
        assert sources_of(lines, 443) == ['anywhere']
        assert sources_of(lines, 80) == ['anywhere']
        assert any('udp ct original proto-dst 443 accept' in line or 'udp dport 443 accept' in line for line in lines)
        assert sources_of(lines, 5432) == []


@pytest.mark.skipif(not shutil.which('nft') or os.geteuid() != 0, reason='nft -c needs nft and root')
def test_nft_accepts_the_file(tmp_path, db_rules):
    path = tmp_path / 'rules.nft'
    path.write_text(db_rules)
    proc = subprocess.run(['nft', '-c', '-f', str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_bad_inputs_fail_before_rendering(tmp_path):
    # One run, two hosts, each with its own bad input.
    inventory = json.loads(json.dumps(INVENTORY))
    inventory['all']['children']['db']['hosts']['db1']['host_firewall_extra_ports'] = [{'port': 6380, 'source_groups': 'app'}]
    inventory['all']['children']['edge']['hosts']['edge1']['host_firewall_container_interfaces'] = ['br-*; drop']
    proc, texts = render(tmp_path, 'db1:edge1', inventory=inventory)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 'host_firewall_extra_ports[0]' in out and 'source_groups must be a list of inventory group names' in out, out
    assert 'host_firewall_container_interfaces must be a list of interface names' in out, out
    assert texts == {'db1': None, 'edge1': None}


def test_host_without_address_fails_before_rendering(tmp_path):
    inventory = json.loads(json.dumps(INVENTORY))
    inventory['all']['children']['app']['hosts']['app2'] = {'ansible_host': 'app2.example.net', 'ansible_connection': 'ssh'}
    proc, texts = render(tmp_path, 'db1', inventory=inventory)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 'host app2 has no address' in out and 'supabase_private_address' in out, out
    assert texts['db1'] is None
