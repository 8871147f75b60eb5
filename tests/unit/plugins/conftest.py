"""Real local servers for the probe tests: HTTP, TCP, PostgreSQL 15 and Redis.

Everything listens on 127.0.0.1 only. PostgreSQL and Redis binaries come from
Debian (postgresql-15, redis-server); they are installed with apt-get when missing.
"""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

PG_BIN = '/usr/lib/postgresql/15/bin'
PG_USER = 'nobody'
PG_PASSWORD = 'scram-pw-Tq8sLx2v'
PG_MD5_PASSWORD = 'md5-pw-Vn3kZr7w'
PG_CLEAR_PASSWORD = 'clear-pw-Jb5mHy1c'
REDIS_PASSWORD = 'redis-pw-Wc4pGs9e'


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_port(port, timeout=20.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError('server exited with %s' % proc.returncode)
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError('port %d did not open' % port)


def stop_process(proc):
    """Stop a server the fixture started: terminate, then kill after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def ensure_packages(binary, packages):
    """Install Debian packages when a server binary is missing (root only)."""
    if os.path.exists(binary):
        return
    if os.geteuid() != 0 or not shutil.which('apt-get'):
        pytest.skip('%s missing; install %s' % (binary, ' '.join(packages)))
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    subprocess.run(['apt-get', 'update', '-qq'], check=True, env=env)
    subprocess.run(['apt-get', 'install', '-y', '-qq'] + packages, check=True, env=env)


# --- HTTP ------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split('?')[0]
        if path == '/ok':
            self._send(200, b'{"status":"healthy","service":"test"}')
        elif path == '/error':
            self._send(500, b'internal error')
        elif path.startswith('/slow/'):
            time.sleep(float(path.rsplit('/', 1)[1]))
            self._send(200, b'slow but fine')
        elif path == '/auth':
            if self.headers.get('apikey') == 'header-secret':
                self._send(200, b'authorized')
            else:
                self._send(401, b'no key')
        else:
            self._send(404, b'not found')

    def _send(self, status, body):
        try:
            self.send_response(status)
            self.send_header('Content-Type', 'text/plain')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)

    def log_message(self, *args):
        pass


@pytest.fixture(scope='session')
def http_server():
    server = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % server.server_address[1]
    server.shutdown()
    server.server_close()


# --- TCP -------------------------------------------------------------------

@pytest.fixture(scope='session')
def tcp_listener():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(16)
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def closed_port():
    # A port that was just free: nothing listens on it.
    return free_port()


# --- PostgreSQL ------------------------------------------------------------

def _demote(user):
    entry = pwd.getpwnam(user)
    return {'user': entry.pw_uid, 'group': entry.pw_gid}


@pytest.fixture(scope='session')
def postgres_server():
    ensure_packages(os.path.join(PG_BIN, 'postgres'), ['postgresql-15'])
    as_user = _demote(PG_USER) if os.geteuid() == 0 else {}
    base = tempfile.mkdtemp(prefix='probe-pg-')
    os.chmod(base, 0o755)
    datadir = os.path.join(base, 'data')
    pwfile = os.path.join(base, 'pw')
    with open(pwfile, 'w') as handle:
        handle.write(PG_PASSWORD + '\n')
    if as_user:
        os.chown(base, as_user['user'], as_user['group'])
        os.chown(pwfile, as_user['user'], as_user['group'])
    try:
        subprocess.run([os.path.join(PG_BIN, 'initdb'), '-D', datadir, '-U', 'postgres', '--pwfile', pwfile,
                        '--auth=scram-sha-256', '-E', 'UTF8', '--no-sync'],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **as_user)
        # Extra users for the MD5 and cleartext methods, made in single-user mode.
        sql = ("SET password_encryption = 'md5';\n"
               "CREATE ROLE md5user LOGIN PASSWORD '%s';\n"
               "RESET password_encryption;\n"
               "CREATE ROLE clearuser LOGIN PASSWORD '%s';\n" % (PG_MD5_PASSWORD, PG_CLEAR_PASSWORD))
        subprocess.run([os.path.join(PG_BIN, 'postgres'), '--single', '-D', datadir, 'postgres'],
                       input=sql.encode(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **as_user)
        with open(os.path.join(datadir, 'pg_hba.conf'), 'w') as hba:
            hba.write('host all md5user 127.0.0.1/32 md5\n'
                      'host all clearuser 127.0.0.1/32 password\n'
                      'host all all 127.0.0.1/32 scram-sha-256\n')
        port = free_port()
        proc = subprocess.Popen([os.path.join(PG_BIN, 'postgres'), '-D', datadir, '-p', str(port),
                                 '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=' + base,
                                 '-c', 'fsync=off', '-c', 'shared_buffers=16MB'],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **as_user)
        try:
            wait_port(port, proc=proc)
            # The port opens before startup ends; wait until the server accepts logins.
            deadline = time.monotonic() + 20
            while subprocess.run([os.path.join(PG_BIN, 'pg_isready'), '-q', '-h', '127.0.0.1', '-p', str(port)], check=False).returncode:
                if time.monotonic() > deadline:
                    raise RuntimeError('PostgreSQL did not become ready')
                time.sleep(0.1)
            yield {'port': port, 'password': PG_PASSWORD, 'md5_password': PG_MD5_PASSWORD,
                   'clear_password': PG_CLEAR_PASSWORD}
        finally:
            stop_process(proc)
    finally:
        shutil.rmtree(base, ignore_errors=True)


# --- Redis -----------------------------------------------------------------

@pytest.fixture(scope='session')
def redis_server():
    ensure_packages('/usr/bin/redis-server', ['redis-server'])
    port = free_port()
    workdir = tempfile.mkdtemp(prefix='probe-redis-')
    proc = subprocess.Popen(['/usr/bin/redis-server', '--port', str(port), '--bind', '127.0.0.1',
                             '--requirepass', REDIS_PASSWORD, '--save', '', '--appendonly', 'no',
                             '--dir', workdir, '--daemonize', 'no', '--protected-mode', 'yes',
                             '--user', 'probe', 'on', '>' + REDIS_PASSWORD, '~*', '+@all'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc=proc)
        yield {'port': port, 'password': REDIS_PASSWORD, 'username': 'probe'}
    finally:
        stop_process(proc)
        shutil.rmtree(workdir, ignore_errors=True)


# --- HTTPS -----------------------------------------------------------------

def _make_tls_files(directory):
    """A throw-away CA and a server certificate for 127.0.0.1, as PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'probe test CA')])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {name: os.path.join(directory, name + '.pem') for name in ('ca', 'cert', 'key')}
    with open(paths['ca'], 'wb') as handle:
        handle.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    with open(paths['cert'], 'wb') as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths['key'], 'wb') as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return paths


@pytest.fixture(scope='session')
def https_server(tmp_path_factory):
    import ssl

    paths = _make_tls_files(str(tmp_path_factory.mktemp('tls')))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(paths['cert'], paths['key'])
    server = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {'url': 'https://127.0.0.1:%d' % server.server_address[1], 'ca_path': paths['ca']}
    server.shutdown()
    server.server_close()
