"""Probe functions against real local servers (see ../conftest.py)."""
import socket
import struct
import threading
import time

import pytest

from ansible_collections.selfhost.supabase.plugins.module_utils import probes as P


def http(url, **kw):
    probe = {'name': 'h', 'type': 'http', 'url': url, 'timeout': 2, 'status_codes': [200], 'use_proxy': False}
    probe.update(kw)
    return P.probe_http(probe)


def pg(port, **kw):
    probe = {'name': 'pg', 'type': 'postgres', 'host': '127.0.0.1', 'port': port, 'timeout': 5, 'user': 'postgres'}
    probe.update(kw)
    return P.probe_postgres(probe)


def redis(port, **kw):
    probe = {'name': 'r', 'type': 'redis', 'host': '127.0.0.1', 'port': port, 'timeout': 3}
    probe.update(kw)
    return P.probe_redis(probe)


# --- http ------------------------------------------------------------------

def test_http_healthy(http_server):
    ok, detail = http(http_server + '/ok')
    assert ok, detail
    assert detail == 'HTTP 200'


def test_http_wrong_status(http_server):
    ok, detail = http(http_server + '/error')
    assert not ok
    assert 'HTTP 500' in detail


def test_http_other_expected_status(http_server):
    ok, detail = http(http_server + '/error', status_codes=[500, 503])
    assert ok, detail


def test_http_body_match_and_mismatch(http_server):
    assert http(http_server + '/ok', body='"healthy"')[0]
    ok, detail = http(http_server + '/ok', body='degraded')
    assert not ok
    assert 'body does not contain' in detail


def test_http_headers_are_sent(http_server):
    assert not http(http_server + '/auth')[0]
    ok, detail = http(http_server + '/auth', headers={'apikey': 'header-secret'})
    assert ok, detail


def test_http_slow_times_out(http_server):
    started = time.monotonic()
    ok, detail = http(http_server + '/slow/3', timeout=0.5)
    assert not ok
    assert 'timed out' in detail
    assert time.monotonic() - started < 2


def test_http_down(closed_port):
    ok, detail = http('http://127.0.0.1:%d/' % closed_port)
    assert not ok
    assert 'refused' in detail.lower()


def test_https_certificate_checks(https_server):
    url = https_server['url'] + '/ok'
    # Signed by a private CA: refused by default, accepted with its ca_path or without checks.
    ok, detail = http(url)
    assert not ok
    assert 'CERTIFICATE_VERIFY_FAILED' in detail
    ok, detail = http(url, ca_path=https_server['ca_path'], body='healthy')
    assert ok, detail
    ok, detail = http(url, validate_certs=False)
    assert ok, detail


def test_https_against_plain_server_fails(http_server):
    ok, detail = http(http_server.replace('http://', 'https://') + '/ok', validate_certs=False)
    assert not ok


# --- tcp -------------------------------------------------------------------

def test_tcp_open_and_closed(tcp_listener, closed_port):
    assert P.probe_tcp({'host': '127.0.0.1', 'port': tcp_listener, 'timeout': 1})[0]
    ok, detail = P.probe_tcp({'host': '127.0.0.1', 'port': closed_port, 'timeout': 1})
    assert not ok
    assert 'connect failed' in detail


# --- postgres --------------------------------------------------------------

def test_postgres_scram_login(postgres_server):
    ok, detail = pg(postgres_server['port'], password=postgres_server['password'])
    assert ok, detail
    assert 'ready for query' in detail


def test_postgres_scram_wrong_password(postgres_server):
    ok, detail = pg(postgres_server['port'], password='not-the-password')
    assert not ok
    assert '28P01' in detail


def test_postgres_md5_login_and_wrong_password(postgres_server):
    ok, detail = pg(postgres_server['port'], user='md5user', database='postgres',
                    password=postgres_server['md5_password'])
    assert ok, detail
    ok, detail = pg(postgres_server['port'], user='md5user', database='postgres', password='wrong')
    assert not ok
    assert '28P01' in detail


def test_postgres_cleartext_login(postgres_server):
    ok, detail = pg(postgres_server['port'], user='clearuser', database='postgres',
                    password=postgres_server['clear_password'])
    assert ok, detail
    assert not pg(postgres_server['port'], user='clearuser', database='postgres', password='wrong')[0]


def test_postgres_without_password_is_accepting(postgres_server):
    ok, detail = pg(postgres_server['port'])
    assert ok, detail
    assert 'authentication requested' in detail


def test_postgres_down(closed_port):
    ok, detail = pg(closed_port, password='x')
    assert not ok
    assert 'connect failed' in detail


def test_postgres_probe_on_redis_port_fails(redis_server):
    ok, detail = pg(redis_server['port'], timeout=0.5)
    assert not ok
    assert 'not PostgreSQL?' in detail, detail


def test_postgres_probe_on_http_server_says_not_postgres(http_server):
    port = int(http_server.rsplit(':', 1)[1].split('/')[0])
    ok, detail = pg(port, timeout=2)
    assert not ok
    assert 'not PostgreSQL?' in detail, detail


def test_postgres_probe_on_a_server_that_hangs_up():
    port = _fake_server(b'', hold=0)
    ok, detail = pg(port, timeout=2)
    assert not ok
    assert detail == 'not PostgreSQL? server closed the connection', detail


def _fake_server(reply, hold=0.0):
    """One-shot server that reads a startup message and sends ``reply``."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(1)

    def serve():
        conn, dummy = sock.accept()
        with conn:
            conn.recv(4096)
            time.sleep(hold)
            conn.sendall(reply)
            time.sleep(0.2)
        sock.close()

    threading.Thread(target=serve, daemon=True).start()
    return sock.getsockname()[1]


def test_postgres_starting_up_57P03():
    fields = b'SFATAL\x00C57P03\x00Mthe database system is starting up\x00\x00'
    port = _fake_server(b'E' + struct.pack('!I', len(fields) + 4) + fields)
    ok, detail = pg(port)
    assert not ok
    assert '57P03' in detail and 'starting up' in detail


def test_postgres_silent_server_times_out():
    port = _fake_server(b'', hold=2)
    started = time.monotonic()
    ok, detail = pg(port, timeout=0.5)
    assert not ok
    assert 'timed out' in detail
    assert time.monotonic() - started < 1.5


# --- redis -----------------------------------------------------------------

def test_redis_auth_and_ping(redis_server):
    ok, detail = redis(redis_server['port'], password=redis_server['password'])
    assert ok, detail
    assert detail == 'PONG'


def test_redis_acl_user(redis_server):
    ok, detail = redis(redis_server['port'], password=redis_server['password'], username=redis_server['username'])
    assert ok, detail
    assert not redis(redis_server['port'], password='wrong', username=redis_server['username'])[0]


def test_redis_wrong_password(redis_server):
    ok, detail = redis(redis_server['port'], password='wrong-password')
    assert not ok
    assert 'AUTH refused' in detail
    assert 'wrong-password' not in detail


def test_redis_no_password_is_refused(redis_server):
    ok, detail = redis(redis_server['port'])
    assert not ok
    assert 'NOAUTH' in detail


def test_redis_down(closed_port):
    assert not redis(closed_port, password='x')[0]


# --- runner ----------------------------------------------------------------

def test_run_probes_concurrent_and_ordered(http_server, tcp_listener):
    probes = [
        {'name': 'slow-%d' % i, 'type': 'http', 'url': http_server + '/slow/0.6', 'timeout': 3, 'use_proxy': False}
        for i in range(4)
    ] + [{'name': 'tcp', 'type': 'tcp', 'host': '127.0.0.1', 'port': tcp_listener, 'timeout': 1}]
    started = time.monotonic()
    results = P.run_probes(probes, wait=0)
    elapsed = time.monotonic() - started
    assert [r['name'] for r in results] == [p['name'] for p in probes]
    assert all(r['ok'] and r['attempts'] == 1 for r in results), results
    assert elapsed < 1.5  # serial would take 2.4 s
    assert results[0]['latency_ms'] >= 500


def test_run_probes_retries_until_healthy(http_server):
    # The port opens only after 0.7 s: the probe must retry and then succeed.
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    threading.Timer(0.7, sock.listen, args=(4,)).start()
    try:
        results = P.run_probes([{'name': 'late', 'type': 'tcp', 'host': '127.0.0.1', 'port': port, 'timeout': 1}],
                               wait=5, interval=0.2)
    finally:
        time.sleep(0.05)
        sock.close()
    assert results[0]['ok'], results
    assert results[0]['attempts'] > 1


def test_run_probes_gives_up_at_deadline(closed_port):
    started = time.monotonic()
    results = P.run_probes([{'name': 'down', 'type': 'tcp', 'host': '127.0.0.1', 'port': closed_port, 'timeout': 1}],
                           wait=1, interval=0.3)
    assert not results[0]['ok']
    assert results[0]['attempts'] >= 3
    assert time.monotonic() - started < 2


@pytest.mark.parametrize('kind', ['http', 'tcp', 'postgres', 'redis'])
def test_probe_bug_is_reported_not_raised(kind):
    results = P.run_probes([{'name': 'broken', 'type': kind}], wait=0)
    assert not results[0]['ok']
    assert 'probe error' in results[0]['detail']


def test_run_probes_stays_within_wait():
    """A probe whose timeout is longer than wait still returns by the deadline."""
    port = _fake_server(b'', hold=3)
    started = time.monotonic()
    results = P.run_probes([{'name': 'slow', 'type': 'postgres', 'host': '127.0.0.1', 'port': port, 'timeout': 10}],
                           wait=0.6, interval=0.2)
    elapsed = time.monotonic() - started
    assert not results[0]['ok']
    assert elapsed < 1.2, elapsed


def test_a_deadline_cut_timeout_does_not_hide_the_servers_answer():
    """Every attempt is refused (28P01) after 0.4 s; the last attempt gets only the time left before the deadline
    and times out: the result still says the password was refused (the postgres bootstrap resets the password
    on that answer)."""
    fields = b'SFATAL\x00C28P01\x00Mpassword authentication failed for user "postgres"\x00\x00'
    reply = b'E' + struct.pack('!I', len(fields) + 4) + fields
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(8)

    def serve():
        while True:
            try:
                conn, dummy = sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(4096)
                time.sleep(0.4)
                try:
                    conn.sendall(reply)
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    try:
        [result] = P.run_probes([{'name': 'db', 'type': 'postgres', 'host': '127.0.0.1', 'port': sock.getsockname()[1],
                                  'user': 'postgres', 'password': 'pw', 'timeout': 1}], wait=1.0, interval=0.05)
    finally:
        sock.close()
    assert not result['ok']
    assert result['attempts'] >= 3, result
    assert '28P01' in result['detail'], result
    assert 'cut to' in result['detail'], result


def test_run_probes_refuses_negative_wait():
    with pytest.raises(ValueError):
        P.run_probes([{'name': 'a', 'type': 'tcp', 'host': '127.0.0.1', 'port': 1, 'timeout': 1}], wait=-1)
