"""OFFLINE S3 SERVER for the selfhost.supabase tests. It is NOT MinIO.

moto's S3 implementation (from PyPI) served in-process, behind a WSGI front that:
  - answers MinIO's health paths (/minio/health/live, /minio/health/ready, /minio/health/cluster),
  - admits only requests signed with AWS Signature Version 4 (Authorization header) by the one
    account MINIO_ROOT_USER / MINIO_ROOT_PASSWORD, verified with botocore's own SigV4 signer;
    everything else gets the S3 error a real server gives (403 AccessDenied, InvalidAccessKeyId,
    SignatureDoesNotMatch, RequestTimeTooSkewed; 400 AuthorizationHeaderMalformed,
    XAmzContentSHA256Mismatch),
  - serves path-style addressing (S3_IGNORE_SUBDOMAIN_BUCKETNAME=true for moto).

Not supported: presigned URLs (query-string auth), SigV2, virtual-host addressing, per-chunk
signatures of aws-chunked uploads (the seed signature is checked). Data lives in memory. An object
PUT with Content-Type application/x-www-form-urlencoded (curl's default) is stored as
application/octet-stream: moto would otherwise parse the body as a form and store nothing.

Environment: MINIO_ROOT_USER (>= 3 chars), MINIO_ROOT_PASSWORD (>= 8 chars), S3_PORT (9000),
S3_CONSOLE_PORT (9001, a page that says there is no console), S3_MAX_SKEW (900 seconds).
The command line (MinIO's `server /data --console-address :9001`) is accepted and ignored.
"""
import datetime
import hashlib
import hmac
import io
import logging
import os
import re
import signal
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

LABEL = 'OFFLINE S3 SERVER (moto, not MinIO)'
HEALTH_PATHS = ('/minio/health/live', '/minio/health/ready', '/minio/health/cluster')
AMZ_DATE = '%Y%m%dT%H%M%SZ'
HEX64 = re.compile(r'^[0-9a-f]{64}$')


class Refused(Exception):
    """A request the front refuses: status, S3 error code, message."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def check_env(env):
    """Return (user, password) or raise ValueError('KEY: reason')."""
    user = env.get('MINIO_ROOT_USER', '')
    password = env.get('MINIO_ROOT_PASSWORD', '')
    if not user:
        raise ValueError('MINIO_ROOT_USER: missing or empty')
    if len(user) < 3:
        raise ValueError('MINIO_ROOT_USER: shorter than 3 characters')
    if not password:
        raise ValueError('MINIO_ROOT_PASSWORD: missing or empty')
    if len(password) < 8:
        raise ValueError('MINIO_ROOT_PASSWORD: shorter than 8 characters')
    for key in ('S3_PORT', 'S3_CONSOLE_PORT', 'S3_MAX_SKEW'):
        if env.get(key, '') and not env[key].isdigit():
            raise ValueError('%s: not a number' % key)
    return user, password


def parse_authorization(value):
    """Split an `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` header."""
    algorithm, _, rest = value.strip().partition(' ')
    if algorithm != 'AWS4-HMAC-SHA256':
        if algorithm == 'AWS':
            raise Refused(403, 'AccessDenied', 'Only AWS Signature Version 4 is accepted by this server.')
        raise Refused(400, 'AuthorizationHeaderMalformed', 'Unsupported authorization algorithm.')
    fields = {}
    for item in rest.split(','):
        key, _, val = item.strip().partition('=')
        fields[key.strip()] = val.strip()
    try:
        credential = fields['Credential'].split('/')
        signed = [h.strip().lower() for h in fields['SignedHeaders'].split(';') if h.strip()]
        signature = fields['Signature']
    except KeyError as exc:
        raise Refused(400, 'AuthorizationHeaderMalformed', 'The authorization header lacks %s.' % exc.args[0])
    if len(credential) != 5 or credential[4] != 'aws4_request' or credential[3] != 's3':
        raise Refused(400, 'AuthorizationHeaderMalformed', 'The credential scope is malformed.')
    if 'host' not in signed:
        raise Refused(400, 'AuthorizationHeaderMalformed', 'The host header must be signed.')
    return {'access_key': credential[0], 'date': credential[1], 'region': credential[2],
            'signed': signed, 'signature': signature}


class _Verifier(S3SigV4Auth):
    """botocore's S3 SigV4 signer, told exactly which headers the client signed."""

    def __init__(self, credentials, region, signed, query_override=None):
        super().__init__(credentials, 's3', region)
        self._signed = signed
        self._query = query_override

    def headers_to_sign(self, request):
        header_map = HTTPHeaders()
        for name in self._signed:
            header_map[name] = request.headers.get(name, '')
        return header_map

    def canonical_query_string(self, request):
        if self._query is not None:
            return self._query
        return super().canonical_query_string(request)


def _canonical_query(raw_query):
    """The spec's canonical form computed from decoded pairs (for clients that send raw characters)."""
    pairs = []
    for pair in raw_query.split('&') if raw_query else []:
        key, _, val = pair.partition('=')
        pairs.append((quote(unquote(key), safe='-_.~'), quote(unquote(val), safe='-_.~')))
    return '&'.join('%s=%s' % kv for kv in sorted(pairs))


def verify(method, raw_uri, headers, body, user, password, now=None, max_skew=900):
    """Raise Refused unless the request is SigV4-signed by user/password.

    headers: a mapping with lower-case names. raw_uri: path and query as received.
    """
    auth = headers.get('authorization', '')
    if not auth:
        raise Refused(403, 'AccessDenied', 'Access Denied. Requests must be signed (AWS Signature Version 4).')
    parsed = parse_authorization(auth)
    if not hmac.compare_digest(parsed['access_key'].encode(), user.encode()):
        raise Refused(403, 'InvalidAccessKeyId', 'The Access Key Id you provided does not exist in our records.')
    stamp = headers.get('x-amz-date', '')
    try:
        when = datetime.datetime.strptime(stamp, AMZ_DATE).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise Refused(403, 'AccessDenied', 'AWS authentication requires a valid X-Amz-Date header.')
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if abs((now - when).total_seconds()) > max_skew:
        raise Refused(403, 'RequestTimeTooSkewed',
                      'The difference between the request time and the current time is too large.')
    if parsed['date'] != stamp[:8]:
        raise Refused(400, 'AuthorizationHeaderMalformed', 'The credential date does not match X-Amz-Date.')
    # Without x-amz-content-sha256 (curl --aws-sigv4, as MinIO allows) the payload hash is the body's.
    content_sha = headers.get('x-amz-content-sha256', '') or hashlib.sha256(body).hexdigest()
    if HEX64.match(content_sha) and hashlib.sha256(body).hexdigest() != content_sha:
        raise Refused(400, 'XAmzContentSHA256Mismatch',
                      "The provided 'x-amz-content-sha256' header does not match what was computed.")
    path, _, query = raw_uri.partition('?')
    request = AWSRequest(method=method, url='http://%s%s' % (headers.get('host', ''), raw_uri),
                         headers={name: headers.get(name, '') for name in parsed['signed']}, data=body)
    request.headers['X-Amz-Content-SHA256'] = content_sha
    request.context['timestamp'] = stamp
    credentials = Credentials(user, password)
    candidates = [None]
    normalized = _canonical_query(query)
    if normalized:
        candidates.append(normalized)
    urls = [request.url]
    normal_path = quote(unquote(path), safe='/-_.~')
    if normal_path != path:
        urls.append('http://%s%s%s' % (headers.get('host', ''), normal_path, '?' + query if query else ''))
    for url in urls:
        request.url = url
        for query_override in candidates:
            signer = _Verifier(credentials, parsed['region'], parsed['signed'], query_override)
            expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
            if hmac.compare_digest(expected, parsed['signature']):
                return parsed
    raise Refused(403, 'SignatureDoesNotMatch',
                  'The request signature we calculated does not match the signature you provided. '
                  'Check your key and signing method.')


def error_xml(code, message, resource, request_id):
    def esc(text):
        return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
            '<Resource>%s</Resource><RequestId>%s</RequestId></Error>'
            % (esc(code), esc(message), esc(resource), request_id)).encode()


def _read_body(environ):
    stream = environ['wsgi.input']
    if environ.get('wsgi.input_terminated'):
        return stream.read()
    length = environ.get('CONTENT_LENGTH') or '0'
    return stream.read(int(length)) if length.isdigit() and int(length) > 0 else b''


class Front(object):
    """WSGI middleware: health paths, SigV4 check, then moto's S3 app."""

    def __init__(self, app, user, password, max_skew=900, log=None):
        self.app = app
        self.user = user
        self.password = password
        self.max_skew = max_skew
        self.log = log or logging.getLogger('s3front')

    def __call__(self, environ, start_response):
        raw_uri = environ.get('RAW_URI') or environ.get('REQUEST_URI') or quote(environ.get('PATH_INFO', '/'))
        if environ.get('QUERY_STRING') and '?' not in raw_uri:
            raw_uri += '?' + environ['QUERY_STRING']
        path = raw_uri.partition('?')[0]
        method = environ['REQUEST_METHOD']
        if path in HEALTH_PATHS and method in ('GET', 'HEAD'):
            start_response('200 OK', [('Content-Length', '0'), ('X-Offline-S3', 'moto')])
            return [b'']
        body = _read_body(environ)
        headers = {}
        for key, value in environ.items():
            if key.startswith('HTTP_'):
                headers[key[5:].replace('_', '-').lower()] = value
        if environ.get('CONTENT_TYPE'):
            headers['content-type'] = environ['CONTENT_TYPE']
        if environ.get('CONTENT_LENGTH'):
            headers['content-length'] = environ['CONTENT_LENGTH']
        try:
            verify(method, raw_uri, headers, body, self.user, self.password, max_skew=self.max_skew)
        except Refused as exc:
            request_id = uuid.uuid4().hex[:16].upper()
            self.log.warning('refused %s %s: %s %s', method, path, exc.status, exc.code)
            payload = error_xml(exc.code, exc.message, path, request_id) if method != 'HEAD' else b''
            start_response('%d %s' % (exc.status, 'Forbidden' if exc.status == 403 else 'Bad Request'),
                           [('Content-Type', 'application/xml'), ('Content-Length', str(len(payload))),
                            ('x-amz-request-id', request_id), ('X-Offline-S3', 'moto')])
            return [payload]
        environ['wsgi.input'] = io.BytesIO(body)
        if method == 'PUT' and environ.get('CONTENT_TYPE', '').startswith('application/x-www-form-urlencoded'):
            # moto would parse such a body as a form and store nothing: keep the bytes, lose the type.
            environ['CONTENT_TYPE'] = 'application/octet-stream'
        environ['CONTENT_LENGTH'] = str(len(body))
        environ.pop('wsgi.input_terminated', None)
        return self.app(environ, start_response)


def moto_app():
    # Every request the front passes is SigV4-signed for service s3: moto dispatches it to S3.
    from moto.server import DomainDispatcherApplication, create_backend_app
    return DomainDispatcherApplication(create_backend_app)


class _Console(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'selfhost.supabase offline S3 server (moto, not MinIO): there is no console.\n'
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.send_header('X-Offline-S3', 'moto')
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


def main():
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format='%(name)s %(levelname)s %(message)s')
    try:
        user, password = check_env(os.environ)
    except ValueError as exc:
        sys.stderr.write('OFFLINE-S3: %s\n' % exc)
        return 1
    port = int(os.environ.get('S3_PORT') or 9000)
    console = int(os.environ.get('S3_CONSOLE_PORT') or 9001)
    skew = int(os.environ.get('S3_MAX_SKEW') or 900)
    import moto
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server
    server = make_server('0.0.0.0', port, Front(moto_app(), user, password, max_skew=skew), threaded=True,
                         request_handler=MotoRequestHandler)
    console_server = ThreadingHTTPServer(('0.0.0.0', console), _Console)
    threading.Thread(target=console_server.serve_forever, daemon=True).start()
    sys.stderr.write('%s: moto %s S3 API on :%d (path-style, SigV4 by MINIO_ROOT_USER only, data in memory), '
                     'health /minio/health/live; arguments ignored: %s\n'
                     % (LABEL, moto.__version__, port, ' '.join(sys.argv[1:])))
    sys.stderr.flush()
    server.serve_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main())
