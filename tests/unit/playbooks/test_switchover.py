"""playbooks/switchover.yml against a fake Patroni REST API, one per db host.

Each db host is the controller itself (ansible_connection: local) with its own loopback address
(127.0.0.11-13) as supabase_private_address; a small HTTP server on each address plays that member's
Patroni 3.0 REST API (GET /cluster, /primary; POST /switchover with basic auth), sharing one cluster
state. After a switchover the old leader is stopped, then running with an unknown lag, then streams with
lag 0, as Patroni reports it; the candidate answers /primary with 503 once, then 200. The app and edge
hosts are unreachable (SSH to port 1): the run must not touch them.

Each case asserts what the fake saw (which member got the POST, with which body and credentials; no
POST at all in check mode or when the run refuses) and what the run printed; no run prints the password.
"""

import base64
import concurrent.futures
import copy
import http.server
import json
import os
import re
import subprocess
import threading
import time

import pytest
import yaml

import test_bad_inputs as B  # the same inventory, environment and secrets (tests/unit/playbooks)

PLAYBOOK = os.path.join(B.ROOT, 'playbooks', 'switchover.yml')
ADDRESSES = {'db1': '127.0.0.11', 'db2': '127.0.0.12', 'db3': '127.0.0.13'}


class FakePatroni:
    """One cluster's state and a server per member."""

    def __init__(self, password, members=None, catchup_reads=3):
        self.password = password
        self.lock = threading.Lock()
        self.members = members or {
            'db1': {'role': 'leader', 'state': 'running'},
            'db2': {'role': 'sync_standby', 'state': 'running', 'lag': 4096},
            'db3': {'role': 'replica', 'state': 'running', 'lag': 0},
        }
        # GET /cluster answers that still show db2's lag (the three first reads, one per db host; None: forever)
        self.catchup_reads = catchup_reads
        self.reads = 0
        self.switched_reads = None  # GET /cluster answers since the switchover
        self.primary_reads = 0
        self.old_leader = None
        self.requests = []  # (member, method, path, body, authorised)
        self.servers = {}

    def start(self):
        for name, address in ADDRESSES.items():
            server = http.server.ThreadingHTTPServer((address, 0), self._handler(name))
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers[name] = server
        return self

    def stop(self):
        for server in self.servers.values():
            server.shutdown()
            server.server_close()

    def port(self, name):
        return self.servers[name].server_address[1]

    def posts(self):
        return [r for r in self.requests if r[1] == 'POST']

    def cluster(self):
        with self.lock:
            self.reads += 1
            out = []
            for name, m in sorted(self.members.items()):
                m = dict(m)
                if name == 'db2' and m.get('lag') and self.switched_reads is None and (
                        self.catchup_reads is not None and self.reads > self.catchup_reads):
                    self.members['db2']['lag'] = m['lag'] = 0
                if name == self.old_leader:
                    self.switched_reads += 1
                    if self.switched_reads <= 2:
                        m.update(state='stopped', lag='unknown')
                    elif self.switched_reads <= 3:
                        m.update(state='running', lag='unknown')
                    else:
                        m.update(state='running', lag=0)
                member = {'name': name, 'role': m['role'], 'state': m['state'], 'host': ADDRESSES[name], 'port': 5432,
                          'api_url': 'http://%s:8008/patroni' % ADDRESSES[name], 'timeline': 2}
                if m['role'] != 'leader':
                    member['lag'] = m.get('lag', 0)
                if m.get('tags'):
                    member['tags'] = m['tags']
                out.append(member)
            return {'members': out}

    def switchover(self, body):
        with self.lock:
            leader = next(n for n, m in self.members.items() if m['role'] == 'leader')
            if body.get('leader') != leader:
                return 412, 'leader name does not match'
            candidate = body.get('candidate')
            if self.members.get(candidate, {}).get('role') != 'sync_standby':
                return 412, 'candidate name does not match with sync_standby'
            self.members[leader] = {'role': 'sync_standby', 'state': 'running', 'lag': 0}
            self.members[candidate] = {'role': 'leader', 'state': 'running'}
            self.old_leader, self.switched_reads = leader, 0
            return 200, 'Successfully switched over to "%s"' % candidate

    def _handler(self, name):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code, body, kind='text/html'):
                data = (json.dumps(body) if kind == 'application/json' else body).encode()
                self.send_response(code)
                self.send_header('Content-Type', kind)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                fake.requests.append((name, 'GET', self.path, None, None))
                if self.path == '/cluster':
                    return self._send(200, fake.cluster(), 'application/json')
                if self.path == '/primary':
                    with fake.lock:
                        leads = fake.members[name]['role'] == 'leader'
                        fake.primary_reads += 1
                        first = fake.primary_reads == 1
                    return self._send(200 if leads and not first else 503, '')
                return self._send(404, 'not found')

            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = json.loads(self.rfile.read(length) or b'{}')
                expected = 'Basic ' + base64.b64encode(('patroni:' + fake.password).encode()).decode()
                authorised = self.headers.get('Authorization') == expected
                fake.requests.append((name, 'POST', self.path, body, authorised))
                if not authorised:
                    self.send_response(401)
                    self.send_header('WWW-Authenticate', 'Basic realm="Patroni"')
                    self.send_header('Content-Length', '12')
                    self.end_headers()
                    self.wfile.write(b'no auth here')
                    return
                if self.path != '/switchover':
                    return self._send(404, 'not found')
                code, text = fake.switchover(body)
                return self._send(code, text)

        return Handler


def _inventory(base, case_id, secrets, fake, db_hosts=('db1', 'db2', 'db3'), ha=True):
    inv = os.path.join(base, case_id)
    os.makedirs(inv)
    hosts = copy.deepcopy(B.HOSTS)
    hosts['all']['children']['db']['hosts'] = dict(
        (name, {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}',
                'supabase_private_address': ADDRESSES[name], 'postgres_patroni_port': fake.port(name)})
        for name in db_hosts)
    group_vars = dict(B.GOOD_VARS, supabase_strict_variables=False, postgres_ha=ha)
    os.makedirs(os.path.join(inv, 'group_vars'))
    with open(os.path.join(inv, 'hosts.yml'), 'w') as handle:
        yaml.safe_dump(hosts, handle)
    with open(os.path.join(inv, 'group_vars', 'all.yml'), 'w') as handle:
        yaml.safe_dump(group_vars, handle)
    fd = os.open(os.path.join(inv, 'supabase-secrets.yml'), os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, 'w') as handle:
        yaml.safe_dump(secrets, handle)
    return inv


def _run(inv, args):
    started = time.monotonic()
    run = subprocess.run(['ansible-playbook', '-i', os.path.join(inv, 'hosts.yml'), PLAYBOOK] + list(args),
                         capture_output=True, text=True, env=B._env(), check=False, timeout=600)
    return {'rc': run.returncode, 'out': run.stdout + run.stderr, 'seconds': time.monotonic() - started}


# case: (extra args, FakePatroni keyword arguments (members given by their changes), inventory keyword arguments)
CASES = {
    'default-candidate': ([], {}, {}),
    'check-mode': (['--check'], {}, {}),
    'candidate-stopped': (['-e', 'switchover_candidate=db3'], {'db3': {'role': 'replica', 'state': 'stopped', 'lag': 0}}, {}),
    'never-catches-up': (['-e', 'switchover_timeout=3'], {'catchup_reads': None}, {}),
    'wrong-password': ([], {'password': 'not-the-postgres-password-0123456789'}, {}),
    'single-db-host': ([], {}, {'db_hosts': ('db1',), 'ha': False}),
}


@pytest.fixture(scope='module')
def outcomes(tmp_path_factory):
    base = str(tmp_path_factory.mktemp('switchover'))
    secrets = B._secrets()
    fakes, invs = {}, {}
    for case_id, (_args, fake_kw, inv_kw) in CASES.items():
        fake_kw = dict(fake_kw)
        password = fake_kw.pop('password', secrets['supabase_postgres_password'])
        catchup = fake_kw.pop("catchup_reads", 3)
        fake = FakePatroni(password, catchup_reads=catchup)
        for name, changes in fake_kw.items():
            fake.members[name] = dict(fake.members[name], **changes)
        fakes[case_id] = fake.start()
        invs[case_id] = _inventory(base, case_id, secrets, fake, **inv_kw)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=B.WORKERS) as pool:
            futures = dict((c, pool.submit(_run, invs[c], CASES[c][0])) for c in CASES)
            results = dict((c, f.result()) for c, f in futures.items())
    finally:
        for fake in fakes.values():
            fake.stop()
    print('\nswitchover.yml: %d runs against fake Patroni APIs (%d in parallel): %s'
          % (len(results), B.WORKERS, ', '.join('%s %.0fs' % (c, r['seconds']) for c, r in sorted(results.items()))))
    return dict((c, (results[c], fakes[c], secrets['supabase_postgres_password'])) for c in CASES)


def _flat(text):
    return ' '.join(text.split())


def _no_secret(out, password):
    assert password not in out, 'the postgres password is in the output'


def test_default_candidate_is_the_synchronous_standby(outcomes):
    result, fake, password = outcomes['default-candidate']
    out = _flat(result['out'])
    assert result['rc'] == 0, result['out'][-4000:]
    # Read on every db host, each from its own API; one POST, to the leader, authorised, leader and candidate named.
    assert {r[0] for r in fake.requests if r[2] == '/cluster'} == {'db1', 'db2', 'db3'}
    assert [(r[0], r[2], r[3], r[4]) for r in fake.posts()] == [
        ('db1', '/switchover', {'leader': 'db1', 'candidate': 'db2'}, True)]
    assert 'Switching over from db1 to db2 (the synchronous standby; lag now 4096 bytes' in out
    assert re.search(r'Switchover db1 -> db2: new leader db2 after [0-9.]+ s, every member streaming again after'
                     r' [0-9.]+ s\.', out), 'no report of the time taken'
    # The table of the members, read from the new leader.
    assert re.search(r'- db2 +leader +running +-', result['out']) and re.search(r'- db1 +sync_standby +running +0', result['out'])
    # It waited: for the candidate's lag (a read after the first), for /primary (503 once), for db1 to stream.
    assert fake.primary_reads >= 2 and fake.switched_reads >= 4
    assert B._recap(result['out'])['db1']['changed'] == 1  # the POST (the validation phase may write the secrets file)
    _no_secret(result['out'], password)


def test_check_mode_changes_nothing(outcomes):
    result, fake, password = outcomes['check-mode']
    out = _flat(result['out'])
    assert result['rc'] == 0, result['out'][-4000:]
    assert 'Check mode: would switch over from db1 to db2 (the synchronous standby' in out
    assert 'Nothing is changed.' in out
    assert fake.posts() == [] and fake.primary_reads == 0
    assert [B._recap(result['out'])[h]['changed'] for h in ('db1', 'db2', 'db3')] == [0, 0, 0]
    _no_secret(result['out'], password)


def test_candidate_that_is_not_a_running_replica_is_refused(outcomes):
    result, fake, password = outcomes['candidate-stopped']
    out = _flat(result['out'])
    assert result['rc'] != 0
    assert 'No switchover: switchover_candidate db3 is not a running replica (role replica, state stopped)' in out
    assert fake.posts() == []
    _no_secret(result['out'], password)


def test_candidate_that_does_not_catch_up_is_not_switched_to(outcomes):
    result, fake, password = outcomes['never-catches-up']
    out = _flat(result['out'])
    assert result['rc'] != 0
    assert 'No switchover: db2 did not catch up within 3 s (switchover_timeout): db2 lags 4096 bytes behind the' \
           ' leader (at most 0, switchover_max_lag_bytes). Nothing was changed.' in out
    assert fake.posts() == []
    _no_secret(result['out'], password)


def test_refused_credentials_are_reported_without_the_password(outcomes):
    result, fake, password = outcomes['wrong-password']
    out = _flat(result['out'])
    assert result['rc'] != 0
    assert [(r[0], r[4]) for r in fake.posts()] == [('db1', False)]
    assert 'Patroni on db1 did not switch over to db2: HTTP 401' in out
    assert 'the REST API takes username patroni and postgres_password' in out
    _no_secret(result['out'], password)
    assert fake.password not in result['out']


def test_single_database_host_is_refused_before_any_request(outcomes):
    result, fake, password = outcomes['single-db-host']
    out = _flat(result['out'])
    assert result['rc'] != 0
    assert 'No switchover: postgres_ha is not true on db1: switchover.yml hands the leader role between the members' in out
    assert fake.requests == []
    _no_secret(result['out'], password)


def _tasks(items):
    for task in items or []:
        yield task
        for key in ('block', 'rescue', 'always'):
            for sub in _tasks(task.get(key)):
                yield sub


def test_the_request_carrying_the_password_is_no_log():
    """Read statically: every task that uses the postgres password is no_log, and it is the POST only."""
    with open(PLAYBOOK) as handle:
        plays = yaml.safe_load(handle)
    tasks = [t for play in plays for t in _tasks(play.get('tasks'))]
    secret = [t for t in tasks if 'password' in json.dumps(t.get('ansible.builtin.uri', {}))]
    assert [t['ansible.builtin.uri']['method'] for t in secret] == ['POST']
    assert all(t.get('no_log') is True for t in secret)
    assert secret[0]['ansible.builtin.uri']['url_username'] == 'patroni'
