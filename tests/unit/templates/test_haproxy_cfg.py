"""Render the haproxy role's haproxy.cfg: the write endpoint reaches the Patroni leader only (GET /primary on the
REST API port), its sessions are cut when the leader is marked down, the read endpoint prefers replicas and falls
back to the leader, and the monitor page fails without exactly one leader.

`config_problems` is the rule; the last tests feed it broken variants (a /health check, which passes on every
running node, replicas included) to show it rejects them.
"""
import re

import pytest

from rendering import render_template

DB = {'db1': '10.0.0.11', 'db2': '10.0.0.12', 'db3': '10.0.0.13'}
FLEET = {'groups': {'db': list(DB), 'app': ['app1']},
         'hostvars': {name: {'supabase_private_address': address} for name, address in DB.items()},
         'inventory_hostname': 'app1', 'ansible_managed': 'managed'}


def render(**overrides):
    return render_template('haproxy', 'haproxy.cfg.j2', **dict(FLEET, **overrides))


def sections(text):
    """{'backend postgres_write': [lines], ...}: each section's lines, stripped, comments and blanks left out."""
    out, current = {}, None
    for raw in text.splitlines():
        line = raw.split('#', 1)[0].rstrip()
        if not line.strip():
            continue
        if not raw[0].isspace():
            current = ' '.join(line.split())
            out[current] = []
        elif current is not None:
            out[current].append(' '.join(line.split()))
    return out


def servers(lines):
    return [line.split()[1:] for line in lines if line.startswith('server ')]


def config_problems(text, db=DB, write_port=5432, read_port=5433, patroni_port=8008):
    """Why ``text`` would not send writes to the leader alone, or reads to a replica then the leader."""
    s = sections(text)
    problems = []
    write = s.get('backend postgres_write', [])
    read = s.get('backend postgres_read', [])
    defaults = s.get('defaults', [])
    if 'mode tcp' not in defaults:
        problems.append('defaults: not mode tcp')
    default_server = next((line for line in defaults if line.startswith('default-server ')), '')
    if 'on-marked-down shutdown-sessions' not in default_server:
        problems.append('default-server: a server marked down keeps its sessions')
    # Only Patroni's /primary answers 200 on the leader alone (/health does on every running node).
    if write[:2] != ['option httpchk GET /primary', 'http-check expect status 200']:
        problems.append('backend postgres_write checks %s, not GET /primary expecting 200' % write[:2])
    wanted = [[name, '%s:5432' % address, 'check', 'port', str(patroni_port)] for name, address in db.items()]
    if servers(write) != wanted:
        problems.append('backend postgres_write servers %s, not %s' % (servers(write), wanted))
    if read[1:3] != ['option httpchk GET /replica', 'http-check expect status 200']:
        problems.append('backend postgres_read checks %s, not GET /replica expecting 200' % read[1:3])
    primary = [srv for srv in servers(read) if 'backup' not in srv]
    backups = [srv for srv in servers(read) if 'backup' in srv]
    if [srv[:5] for srv in primary] != wanted:
        problems.append('backend postgres_read servers %s, not %s' % (primary, wanted))
    wanted_backups = [['%s-leader' % name, '%s:5432' % address, 'backup', 'track', 'postgres_write/%s' % name]
                      for name, address in db.items()]
    if backups != wanted_backups:
        problems.append('backend postgres_read: the leader fallback is %s, not %s' % (backups, wanted_backups))
    if s.get('frontend postgres_write', [])[:1] != ['bind :%d' % write_port]:
        problems.append('frontend postgres_write does not bind :%d' % write_port)
    if 'tcp-request connection reject unless { nbsrv(postgres_write) eq 1 }' not in s.get('frontend postgres_write', []):
        problems.append('frontend postgres_write accepts connections without exactly one leader')
    if s.get('frontend postgres_read', [])[:1] != ['bind :%d' % read_port]:
        problems.append('frontend postgres_read does not bind :%d' % read_port)
    monitor = s.get('frontend monitor', [])
    if 'monitor-uri /healthz' not in monitor or 'monitor fail unless { nbsrv(postgres_write) eq 1 }' not in monitor:
        problems.append('frontend monitor: /healthz does not fail without exactly one leader')
    return problems


def test_default_config_sends_writes_to_the_leader_and_reads_to_replicas():
    text = render()
    assert config_problems(text) == []
    s = sections(text)
    assert 'default-server inter 2s fall 2 rise 1 on-marked-down shutdown-sessions init-addr libc,none' in s['defaults']
    assert {'timeout client 30m', 'timeout server 30m', 'timeout connect 5s', 'timeout check 2s'} <= set(s['defaults'])
    assert 'balance leastconn' in s['backend postgres_read']
    # A replica coming back takes the reads off the leader.
    assert all(srv[-1] == 'shutdown-backup-sessions' for srv in servers(s['backend postgres_read']) if 'backup' not in srv)
    assert 'stats uri /stats' in s['frontend monitor']
    assert s['frontend monitor'][:2] == ['mode http', 'bind :8404']


def test_inputs_reach_the_config():
    text = render(haproxy_check_interval='1s', haproxy_check_fall=3, haproxy_check_rise=2, haproxy_patroni_port=8009,
                  haproxy_read_check_path='/replica?lag=16MB', haproxy_stats_uri='', haproxy_timeout_client='1h')
    s = sections(text)
    assert s['defaults'][-1].startswith('default-server inter 1s fall 3 rise 2 on-marked-down shutdown-sessions')
    assert 'timeout client 1h' in s['defaults']
    assert 'option httpchk GET /replica?lag=16MB' in s['backend postgres_read']
    assert all(srv[3:5] == ['port', '8009'] for srv in servers(s['backend postgres_write']))
    assert not [line for line in s['frontend monitor'] if line.startswith('stats')]


def test_backends_given_by_hand_with_their_own_ports():
    text = render(haproxy_backends=[{'name': 'pg-a', 'address': 'fd00::1', 'port': 6432, 'patroni_port': 8010},
                                    {'name': 'pg-b', 'address': 'pg-b.internal'}])
    write = servers(sections(text)['backend postgres_write'])
    assert write == [['pg-a', 'fd00::1:6432', 'check', 'port', '8010'], ['pg-b', 'pg-b.internal:5432', 'check', 'port', '8008']]
    backups = [srv for srv in servers(sections(text)['backend postgres_read']) if 'backup' in srv]
    assert backups == [['pg-a-leader', 'fd00::1:6432', 'backup', 'track', 'postgres_write/pg-a'],
                       ['pg-b-leader', 'pg-b.internal:5432', 'backup', 'track', 'postgres_write/pg-b']]


def test_without_fallback_or_single_leader_rule():
    text = render(haproxy_read_fallback_to_leader=False, haproxy_write_single_leader=False)
    s = sections(text)
    assert not [srv for srv in servers(s['backend postgres_read']) if 'backup' in srv]
    assert all('shutdown-backup-sessions' not in srv for srv in servers(s['backend postgres_read']))
    assert not [line for line in s['frontend postgres_write'] if line.startswith('tcp-request')]
    assert 'monitor fail unless { nbsrv(postgres_write) ge 1 }' in s['frontend monitor']


# The rule against broken variants of the config: each must be reported.
BROKEN = [
    ('option httpchk GET /primary', 'option httpchk GET /health', 'not GET /primary'),
    ('option httpchk GET /primary', 'option httpchk GET /replica', 'not GET /primary'),
    ('option httpchk GET /replica', 'option httpchk GET /read-only', 'not GET /replica'),
    (' check port 8008\n', ' check\n', 'backend postgres_write servers'),
    (' on-marked-down shutdown-sessions', '', 'keeps its sessions'),
    ('monitor fail unless { nbsrv(postgres_write) eq 1 }', 'monitor fail if { nbsrv(postgres_write) ne 1 }',
     '/healthz does not fail'),
    ('tcp-request connection reject unless { nbsrv(postgres_write) eq 1 }', '', 'without exactly one leader'),
    (' backup track postgres_write/db2', ' backup check port 8008', 'leader fallback'),
    ('mode tcp', 'mode http', 'not mode tcp'),
]


@pytest.mark.parametrize('good,bad,reported', BROKEN, ids=[b[1].strip() or 'removed: ' + b[0].strip() for b in BROKEN])
def test_the_rule_rejects_a_broken_config(good, bad, reported):
    text = render()
    assert good in text
    broken = text.replace(good, bad, 1 if good.startswith('mode') else -1)
    found = config_problems(broken)
    assert any(reported in p for p in found), found


def test_a_health_check_on_the_wrong_port_is_reported():
    text = re.sub(r'check port 8008', 'check port 5432', render())
    assert any('backend postgres_write servers' in p for p in config_problems(text))
