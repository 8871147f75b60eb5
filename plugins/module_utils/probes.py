# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

"""Health probes: http(s), tcp, postgres (wire protocol) and redis (RESP).

Standard library only. Each probe function takes a probe dict and returns
(ok, detail). ``run_probes`` runs them concurrently and retries until a deadline.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import hmac
import os
import socket
import ssl
import struct
import threading
import time

try:
    from urllib.error import HTTPError, URLError
    from urllib.request import HTTPSHandler, ProxyHandler, Request, build_opener
except ImportError:  # pragma: no cover - Python 2 is not supported
    pass

BODY_LIMIT = 1024 * 1024  # bytes read from an HTTP body for matching


class ProbeError(Exception):
    """The probe could not get a healthy answer; the text says why."""


# --- http(s) ---------------------------------------------------------------

def probe_http(probe):
    url = probe['url']
    timeout = probe['timeout']
    expected = probe.get('status_codes') or [200]
    headers = dict(probe.get('headers') or {})
    context = None
    if url.lower().startswith('https://'):
        if probe.get('validate_certs', True):
            context = ssl.create_default_context(cafile=probe.get('ca_path') or None)
        else:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    handlers = [HTTPSHandler(context=context)] if context else []
    if not probe.get('use_proxy', True):
        handlers.append(ProxyHandler({}))
    opener = build_opener(*handlers)
    request = Request(url, headers=headers, method=probe.get('method') or 'GET')
    try:
        response = opener.open(request, timeout=timeout)
        status = response.getcode()
    except HTTPError as exc:
        # Non-2xx statuses arrive as exceptions; they are still answers.
        response = exc
        status = exc.code
    except (URLError, socket.timeout, OSError, ValueError) as exc:
        reason = getattr(exc, 'reason', exc)
        return False, 'request failed: %s' % reason
    try:
        body = response.read(BODY_LIMIT) if probe.get('body') is not None else b''
    except (socket.timeout, OSError) as exc:
        return False, 'HTTP %s but reading the body failed: %s' % (status, exc)
    finally:
        response.close()
    if status not in expected:
        return False, 'HTTP %s, expected one of %s' % (status, ', '.join(str(s) for s in expected))
    needle = probe.get('body')
    if needle is not None and needle.encode('utf-8') not in body:
        return False, 'HTTP %s but the body does not contain the expected text' % status
    return True, 'HTTP %s' % status


# --- tcp -------------------------------------------------------------------

def _connect(probe):
    try:
        return socket.create_connection((probe['host'], probe['port']), timeout=probe['timeout'])
    except socket.timeout:
        raise ProbeError('connect timed out after %ss' % probe['timeout'])
    except OSError as exc:
        raise ProbeError('connect failed: %s' % (exc.strerror or exc))


def probe_tcp(probe):
    try:
        sock = _connect(probe)
    except ProbeError as exc:
        return False, str(exc)
    sock.close()
    return True, 'port %s open' % probe['port']


class _Reader(object):
    """Reads exact byte counts from a socket with one overall deadline."""

    def __init__(self, sock, deadline, closed_hint=''):
        self.sock = sock
        self.deadline = deadline
        self.buf = b''
        self.closed_hint = closed_hint  # said when the server hangs up before any reply
        self.received = 0

    def _fill(self):
        left = self.deadline - time.monotonic()
        silent = '' if self.received or not self.closed_hint else ' (no reply at all: %s)' % self.closed_hint.strip()
        if left <= 0:
            raise ProbeError('timed out waiting for the server' + silent)
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise ProbeError('timed out waiting for the server' + silent)
        except OSError as exc:
            raise ProbeError('connection error: %s' % (exc.strerror or exc))
        if not chunk:
            raise ProbeError('%sserver closed the connection' % ('' if self.received else self.closed_hint))
        self.received += len(chunk)
        self.buf += chunk

    def read(self, count):
        while len(self.buf) < count:
            self._fill()
        data, self.buf = self.buf[:count], self.buf[count:]
        return data

    def readline(self):
        while b'\r\n' not in self.buf:
            if len(self.buf) > BODY_LIMIT:
                raise ProbeError('reply line too long')
            self._fill()
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line


# --- postgres --------------------------------------------------------------

PG_PROTOCOL_3 = 196608  # 3.0
SQLSTATE_TEXT = {
    '57P03': 'the database system is starting up (cannot_connect_now)',
    '28P01': 'password authentication failed (invalid_password)',
    '28000': 'authorization rejected (invalid_authorization_specification)',
    '3D000': 'database does not exist',
    '53300': 'too many connections',
}


def _pg_message(kind, payload):
    return kind + struct.pack('!I', len(payload) + 4) + payload


def _pg_read(reader):
    kind = reader.read(1)
    (length,) = struct.unpack('!I', reader.read(4))
    if not kind.isalpha() or length < 4 or length > 1024 * 1024:
        raise ProbeError('not PostgreSQL? the server answered %r, not a PostgreSQL message' % (kind + struct.pack('!I', length))[:5])
    return kind, reader.read(length - 4)


def _pg_error_fields(payload):
    fields = {}
    for part in payload.split(b'\x00'):
        if part:
            fields[part[:1].decode('ascii', 'replace')] = part[1:].decode('utf-8', 'replace')
    return fields


def _pg_error(payload):
    fields = _pg_error_fields(payload)
    code = fields.get('C', '')
    text = SQLSTATE_TEXT.get(code, fields.get('M', 'error'))
    return code, 'SQLSTATE %s: %s' % (code, text)


def _scram_client(password, reader, sock, mechanisms):
    """SCRAM-SHA-256 (RFC 5802/7677) without channel binding."""
    if 'SCRAM-SHA-256' not in mechanisms:
        raise ProbeError('server offers SASL mechanisms %s; only SCRAM-SHA-256 is supported' % mechanisms)
    nonce = base64.b64encode(os.urandom(18)).decode('ascii')
    first_bare = 'n=,r=%s' % nonce  # PostgreSQL takes the user name from the startup message
    first = ('n,,' + first_bare).encode('ascii')
    sock.sendall(_pg_message(b'p', b'SCRAM-SHA-256\x00' + struct.pack('!I', len(first)) + first))

    kind, payload = _pg_read(reader)
    if kind == b'E':
        raise ProbeError(_pg_error(payload)[1])
    if kind != b'R' or struct.unpack('!I', payload[:4])[0] != 11:
        raise ProbeError('unexpected SASL reply from server')
    server_first = payload[4:].decode('utf-8')
    attrs = dict(item.split('=', 1) for item in server_first.split(','))
    if not attrs.get('r', '').startswith(nonce):
        raise ProbeError('server SCRAM nonce does not extend ours')
    salt = base64.b64decode(attrs['s'])
    iterations = int(attrs['i'])

    salted = hashlib.pbkdf2_hmac('sha256', password.encode('utf-8'), salt, iterations)
    client_key = hmac.new(salted, b'Client Key', hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    final_no_proof = 'c=biws,r=%s' % attrs['r']
    auth_message = ','.join((first_bare, server_first, final_no_proof)).encode('utf-8')
    signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    final = '%s,p=%s' % (final_no_proof, base64.b64encode(proof).decode('ascii'))
    sock.sendall(_pg_message(b'p', final.encode('ascii')))

    kind, payload = _pg_read(reader)
    if kind == b'E':
        raise ProbeError(_pg_error(payload)[1])
    if kind != b'R' or struct.unpack('!I', payload[:4])[0] != 12:
        raise ProbeError('unexpected SASL final reply from server')
    server_final = dict(item.split('=', 1) for item in payload[4:].decode('utf-8').split(','))
    server_key = hmac.new(salted, b'Server Key', hashlib.sha256).digest()
    expected = hmac.new(server_key, auth_message, hashlib.sha256).digest()
    if not hmac.compare_digest(base64.b64decode(server_final.get('v', '')), expected):
        raise ProbeError('server SCRAM signature is wrong')


def _postgres_handshake(probe):
    deadline = time.monotonic() + probe['timeout']
    user = probe.get('user') or 'postgres'
    database = probe.get('database') or user
    password = probe.get('password')
    sock = _connect(probe)
    try:
        reader = _Reader(sock, deadline, closed_hint='not PostgreSQL? ')
        params = b'user\x00' + user.encode('utf-8') + b'\x00database\x00' + database.encode('utf-8') + b'\x00'
        params += b'application_name\x00ansible-health-probe\x00\x00'
        body = struct.pack('!I', PG_PROTOCOL_3) + params
        sock.sendall(struct.pack('!I', len(body) + 4) + body)

        authenticated = False
        while True:
            kind, payload = _pg_read(reader)
            if kind == b'E':
                code, text = _pg_error(payload)
                raise ProbeError(text)
            if kind == b'Z':
                return 'accepting connections (ready for query)'
            if kind in (b'S', b'K', b'N'):
                continue  # ParameterStatus, BackendKeyData, Notice
            if kind != b'R':
                raise ProbeError('not PostgreSQL? unexpected message %r from the server' % kind)
            (code,) = struct.unpack('!I', payload[:4])
            if code == 0:
                authenticated = True
                continue  # AuthenticationOk; ReadyForQuery follows
            if authenticated:
                raise ProbeError('unexpected authentication request after success')
            if password is None:
                # The server asked for credentials: it accepts connections.
                return 'accepting connections (authentication requested)'
            if code == 3:
                sock.sendall(_pg_message(b'p', password.encode('utf-8') + b'\x00'))
            elif code == 5:
                salt = payload[4:8]
                inner = hashlib.md5(password.encode('utf-8') + user.encode('utf-8')).hexdigest()
                outer = hashlib.md5(inner.encode('ascii') + salt).hexdigest()
                sock.sendall(_pg_message(b'p', b'md5' + outer.encode('ascii') + b'\x00'))
            elif code == 10:
                mechanisms = [m.decode('ascii') for m in payload[4:].split(b'\x00') if m]
                _scram_client(password, reader, sock, mechanisms)
            else:
                raise ProbeError('unsupported authentication method %d' % code)
    finally:
        try:
            sock.sendall(_pg_message(b'X', b''))  # Terminate
        except OSError:
            pass
        sock.close()


def _as_result(session):
    """Turn a session that returns a detail or raises ProbeError into a probe: (ok, detail)."""
    def probe(spec):
        try:
            return True, session(spec)
        except ProbeError as exc:
            return False, str(exc)
    return probe


probe_postgres = _as_result(_postgres_handshake)


# --- redis -----------------------------------------------------------------

def _resp_command(*args):
    out = b'*%d\r\n' % len(args)
    for arg in args:
        data = arg.encode('utf-8') if not isinstance(arg, bytes) else arg
        out += b'$%d\r\n%s\r\n' % (len(data), data)
    return out


def _resp_reply(reader):
    """Read one simple reply line; returns (is_error, text)."""
    line = reader.readline()
    prefix, text = line[:1], line[1:].decode('utf-8', 'replace')
    if prefix == b'-':
        return True, text
    if prefix in (b'+', b':'):
        return False, text
    if prefix == b'$':
        length = int(text)
        if length < 0:
            return False, ''
        data = reader.read(length + 2)[:-2]
        return False, data.decode('utf-8', 'replace')
    raise ProbeError('unexpected reply %r; is this Redis?' % line[:20])


def _redis_session(probe):
    deadline = time.monotonic() + probe['timeout']
    sock = _connect(probe)
    try:
        reader = _Reader(sock, deadline)
        password = probe.get('password')
        if password is not None:
            if probe.get('username'):
                sock.sendall(_resp_command('AUTH', probe['username'], password))
            else:
                sock.sendall(_resp_command('AUTH', password))
            is_err, text = _resp_reply(reader)
            if is_err:
                # Never echo the password; the server's error text does not hold it.
                raise ProbeError('AUTH refused: %s' % text)
        sock.sendall(_resp_command('PING'))
        is_err, text = _resp_reply(reader)
        if is_err:
            raise ProbeError('PING refused: %s' % text)
        if text != 'PONG':
            raise ProbeError('PING answered %r, expected PONG' % text[:40])
        return 'PONG'
    finally:
        sock.close()


probe_redis = _as_result(_redis_session)


PROBES = {
    'http': probe_http,
    'tcp': probe_tcp,
    'postgres': probe_postgres,
    'redis': probe_redis,
}


# --- runner ----------------------------------------------------------------

def _attempt(probe):
    func = PROBES[probe['type']]
    try:
        return func(probe)
    except Exception as exc:  # a probe bug must not kill the thread silently
        return False, 'probe error: %s: %s' % (type(exc).__name__, exc)


def _within(probe, deadline, first):
    """The probe with its timeout cut to what is left before the deadline (the first attempt
    keeps its own timeout when wait is 0, so that one attempt is always made)."""
    left = deadline - time.monotonic()
    if first and left <= 0:
        return probe
    timeout = probe.get('timeout')
    if isinstance(timeout, (int, float)) and timeout > max(left, 0.05):
        return dict(probe, timeout=max(left, 0.05))
    return probe


def _run_one(probe, deadline, interval, result):
    attempts = 0
    answered = None  # what the last failed attempt said, unless it was a deadline-cut timeout
    while True:
        attempts += 1
        started = time.monotonic()
        tried = _within(probe, deadline, attempts == 1)
        ok, detail = _attempt(tried)
        latency_ms = int(round((time.monotonic() - started) * 1000))
        if not ok and tried is not probe and answered is not None and 'timed out' in detail:
            # The last attempt only had the time left before the deadline and ran out of it: that says nothing
            # about the server, so the answer of the last full attempt (e.g. a refused password) stays the verdict.
            detail = '%s (then an attempt cut to %.2f s by the deadline timed out)' % (answered, tried['timeout'])
        elif not ok:
            answered = detail
        result.update(ok=ok, detail=detail, attempts=attempts, latency_ms=latency_ms)
        if ok:
            return
        pause = min(interval, deadline - time.monotonic())
        if pause <= 0:
            return
        time.sleep(pause)


def run_probes(probes, wait=0, interval=1):
    """Run every probe in its own thread, each retrying until it is healthy or ``wait``
    seconds have passed; no attempt runs past that deadline (each attempt's timeout is cut to
    the time left). Returns the list of results in input order."""
    if wait < 0:
        raise ValueError('wait must be 0 or more, got %r' % wait)
    deadline = time.monotonic() + wait
    results = []
    threads = []
    for probe in probes:
        result = {'name': probe['name'], 'type': probe['type'], 'ok': False,
                  'latency_ms': None, 'attempts': 0, 'detail': 'not run'}
        results.append(result)
        thread = threading.Thread(target=_run_one, args=(probe, deadline, interval, result),
                                  name='probe-%s' % probe['name'])
        thread.daemon = True
        threads.append(thread)
        thread.start()
    for thread in threads:
        thread.join()
    return results
