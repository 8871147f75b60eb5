"""STAND-IN contract: the environment each real component needs, checked at start.

Pure functions (standard library only) so the unit tests import this file by path. A rule names
one environment key and what the real component needs of it; `check_env(component, env)` returns
the list of problems as "KEY: reason" strings (never a value). The stand-in exits non-zero on the
first one, logging `STAND-IN <component>: KEY: reason`.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import time
from urllib.parse import unquote, urlsplit

COMPONENTS = ('gotrue', 'postgrest', 'realtime', 'storage', 'studio', 'functions', 'kong')

# Keys whose values are secrets: scrubbed from every message and never reported.
SECRET_WORDS = ('PASSWORD', 'SECRET', 'KEY', 'PASS', 'TOKEN')

BOOL = ('true', 'false')
IDENT = re.compile(r'^[A-Za-z_][A-Za-z0-9_$]*$')
HOSTNAME = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$')
BUCKET = re.compile(r'^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')
NGINX_SIZE = re.compile(r'^[0-9]+[kKmM]?$')


class ContractError(Exception):
    """One broken rule: str() is 'KEY: reason'."""

    def __init__(self, key, reason):
        super().__init__('%s: %s' % (key, reason))
        self.key = key
        self.reason = reason


# --- JWT (HS256) -------------------------------------------------------------

def _b64url(text):
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))


def verify_hs256(token, secret, now=None):
    """Return the claims of an HS256 JWT signed with secret, or raise ValueError(reason)."""
    parts = (token or '').split('.')
    if len(parts) != 3 or not all(parts):
        raise ValueError('not a JWT (three dot-separated parts)')
    try:
        header = json.loads(_b64url(parts[0]))
        claims = json.loads(_b64url(parts[1]))
        signature = _b64url(parts[2])
    except (ValueError, TypeError):
        raise ValueError('not a JWT (undecodable part)')
    if not isinstance(header, dict) or header.get('alg') != 'HS256':
        raise ValueError('not signed with HS256')
    expected = hmac.new(secret.encode(), ('%s.%s' % (parts[0], parts[1])).encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise ValueError('signature does not verify with the JWT secret')
    if not isinstance(claims, dict):
        raise ValueError('claims are not an object')
    exp = claims.get('exp')
    if exp is not None:
        if not isinstance(exp, (int, float)):
            raise ValueError('exp is not a number')
        if exp < (now if now is not None else time.time()):
            raise ValueError('expired')
    return claims


def sign_hs256(claims, secret):
    """Make an HS256 JWT (tests, and the image's own health check of realtime)."""
    def enc(obj):
        return base64.urlsafe_b64encode(json.dumps(obj, separators=(',', ':')).encode()).rstrip(b'=').decode()
    head = '%s.%s' % (enc({'alg': 'HS256', 'typ': 'JWT'}), enc(claims))
    sig = hmac.new(secret.encode(), head.encode(), hashlib.sha256).digest()
    return head + '.' + base64.urlsafe_b64encode(sig).rstrip(b'=').decode()


# --- rule kinds ----------------------------------------------------------------

def _present(env, key):
    if key not in env:
        raise ContractError(key, 'missing')
    return env[key]


def _nonempty(env, key):
    if not _present(env, key).strip():
        raise ContractError(key, 'empty')
    return env[key]


def _url(env, key, schemes=('http', 'https')):
    value = _nonempty(env, key)
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ContractError(key, 'not a URL (%s)' % ('port is not a number' if 'port' in str(exc).lower() else 'unparsable'))
    if parts.scheme not in schemes:
        raise ContractError(key, 'URL scheme must be one of %s' % ', '.join(schemes))
    if not parts.hostname:
        raise ContractError(key, 'URL has no host')
    if port is not None and not 0 < port < 65536:
        raise ContractError(key, 'URL port out of range')
    return parts


def _pgurl(env, key):
    parts = _url(env, key, schemes=('postgres', 'postgresql'))
    if not parts.username:
        raise ContractError(key, 'database URL has no user')
    if not parts.password:
        raise ContractError(key, 'database URL has no password')
    if not parts.path.strip('/'):
        raise ContractError(key, 'database URL has no database name')
    if '/' in parts.password or '@' in parts.password or ':' in parts.password:
        raise ContractError(key, 'password in the URL is not URL-encoded')
    return parts


def _port(env, key):
    value = _nonempty(env, key)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ContractError(key, 'not a port number')
    return int(value)


def _int(env, key, minimum=0):
    value = _nonempty(env, key)
    if not value.lstrip('-').isdigit():
        raise ContractError(key, 'not an integer')
    if int(value) < minimum:
        raise ContractError(key, 'below %d' % minimum)
    return int(value)


def _bool(env, key):
    value = _nonempty(env, key)
    if value not in BOOL:
        raise ContractError(key, 'not true or false')
    return value == 'true'


def _secret(env, key, minimum=32):
    value = _nonempty(env, key)
    if len(value) < minimum:
        raise ContractError(key, 'shorter than %d characters' % minimum)
    return value


def _length(env, key, exact):
    value = _nonempty(env, key)
    if len(value) != exact:
        raise ContractError(key, 'must be exactly %d characters' % exact)
    return value


def _equals(env, key, wanted):
    value = _nonempty(env, key)
    if value != wanted:
        raise ContractError(key, 'must be %s' % wanted)
    return value


def _oneof(env, key, allowed):
    value = _nonempty(env, key)
    if value not in allowed:
        raise ContractError(key, 'must be one of %s' % ', '.join(allowed))
    return value


def _host(env, key):
    value = _nonempty(env, key)
    if not HOSTNAME.match(value):
        raise ContractError(key, 'not a host name or address')
    return value


def _list(env, key, item=None, allow_empty=False):
    value = _present(env, key)
    items = [i.strip() for i in value.split(',') if i.strip()]
    if not items and not allow_empty:
        raise ContractError(key, 'empty list')
    for entry in items:
        if item is not None and not item.match(entry):
            raise ContractError(key, 'item %d is not a valid name' % (items.index(entry) + 1))
    return items


def _same(env, key, other):
    if _present(env, key) != env.get(other):
        raise ContractError(key, 'differs from %s' % other)


def _jwt(env, key, secret_key, role):
    token = _nonempty(env, key)
    secret = env.get(secret_key, '')
    try:
        claims = verify_hs256(token, secret)
    except ValueError as exc:
        raise ContractError(key, '%s (%s)' % (exc, secret_key) if 'signature' in str(exc) else str(exc))
    if claims.get('role') != role:
        raise ContractError(key, 'role claim is not %s' % role)
    return claims


# --- the components --------------------------------------------------------------

GOTRUE_PROVIDERS = ('google', 'github', 'gitlab', 'bitbucket', 'azure', 'facebook', 'twitter', 'discord',
                    'twitch', 'slack')


def _gotrue(env):
    yield lambda: _nonempty(env, 'GOTRUE_API_HOST')
    yield lambda: _port(env, 'GOTRUE_API_PORT')
    yield lambda: _url(env, 'API_EXTERNAL_URL')
    yield lambda: _equals(env, 'GOTRUE_DB_DRIVER', 'postgres')
    yield lambda: _pgurl(env, 'GOTRUE_DB_DATABASE_URL')
    yield lambda: _url(env, 'GOTRUE_SITE_URL')
    yield lambda: _present(env, 'GOTRUE_URI_ALLOW_LIST')
    yield lambda: _bool(env, 'GOTRUE_DISABLE_SIGNUP')
    yield lambda: _nonempty(env, 'GOTRUE_JWT_ADMIN_ROLES')
    yield lambda: _nonempty(env, 'GOTRUE_JWT_AUD')
    yield lambda: _nonempty(env, 'GOTRUE_JWT_DEFAULT_GROUP_NAME')
    yield lambda: _int(env, 'GOTRUE_JWT_EXP', 1)
    yield lambda: _secret(env, 'GOTRUE_JWT_SECRET', 32)
    yield lambda: _bool(env, 'GOTRUE_EXTERNAL_EMAIL_ENABLED')
    yield lambda: _bool(env, 'GOTRUE_MAILER_AUTOCONFIRM')
    for key in ('GOTRUE_SMTP_ADMIN_EMAIL', 'GOTRUE_SMTP_HOST', 'GOTRUE_SMTP_USER', 'GOTRUE_SMTP_PASS',
                'GOTRUE_SMTP_SENDER_NAME', 'GOTRUE_MAILER_URLPATHS_INVITE', 'GOTRUE_MAILER_URLPATHS_CONFIRMATION',
                'GOTRUE_MAILER_URLPATHS_RECOVERY', 'GOTRUE_MAILER_URLPATHS_EMAIL_CHANGE'):
        yield lambda key=key: _present(env, key)
    yield lambda: _port(env, 'GOTRUE_SMTP_PORT')
    yield lambda: _bool(env, 'GOTRUE_EXTERNAL_PHONE_ENABLED')
    yield lambda: _bool(env, 'GOTRUE_SMS_AUTOCONFIRM')
    for name in GOTRUE_PROVIDERS:
        prefix = 'GOTRUE_EXTERNAL_%s_' % name.upper()
        if env.get(prefix + 'ENABLED') is None:
            continue
        yield lambda prefix=prefix: _bool(env, prefix + 'ENABLED')
        if env.get(prefix + 'ENABLED') == 'true':
            yield lambda prefix=prefix: _nonempty(env, prefix + 'CLIENT_ID')
            yield lambda prefix=prefix: _nonempty(env, prefix + 'SECRET')
            yield lambda prefix=prefix: _url(env, prefix + 'REDIRECT_URI')


def _postgrest(env):
    yield lambda: _pgurl(env, 'PGRST_DB_URI')
    yield lambda: _list(env, 'PGRST_DB_SCHEMAS', IDENT)
    yield lambda: IDENT.match(_nonempty(env, 'PGRST_DB_ANON_ROLE')) or _fail('PGRST_DB_ANON_ROLE', 'not a role name')
    yield lambda: _secret(env, 'PGRST_JWT_SECRET', 32)
    yield lambda: _bool(env, 'PGRST_DB_USE_LEGACY_GUCS')
    yield lambda: _secret(env, 'PGRST_APP_SETTINGS_JWT_SECRET', 32)
    yield lambda: _same(env, 'PGRST_APP_SETTINGS_JWT_SECRET', 'PGRST_JWT_SECRET')
    yield lambda: _int(env, 'PGRST_APP_SETTINGS_JWT_EXP', 1)
    yield lambda: _int(env, 'PGRST_DB_MAX_ROWS', 1)
    yield lambda: _list(env, 'PGRST_DB_EXTRA_SEARCH_PATH', IDENT, allow_empty=True)


def _realtime(env):
    yield lambda: _port(env, 'PORT')
    yield lambda: _host(env, 'DB_HOST')
    yield lambda: _port(env, 'DB_PORT')
    yield lambda: _nonempty(env, 'DB_USER')
    yield lambda: _nonempty(env, 'DB_PASSWORD')
    yield lambda: _nonempty(env, 'DB_NAME')
    yield lambda: _present(env, 'DB_AFTER_CONNECT_QUERY')
    # Realtime encrypts tenant secrets with AES-128: the key is 16 characters.
    yield lambda: _length(env, 'DB_ENC_KEY', 16)
    yield lambda: _secret(env, 'API_JWT_SECRET', 32)
    yield lambda: _secret(env, 'SECRET_KEY_BASE', 64)
    yield lambda: _present(env, 'ERL_AFLAGS')
    yield lambda: _present(env, 'DNS_NODES')
    yield lambda: _int(env, 'RLIMIT_NOFILE', 1)
    yield lambda: _nonempty(env, 'APP_NAME')
    yield lambda: _bool(env, 'SEED_SELF_HOST')
    yield lambda: _oneof(env, 'REPLICATION_MODE', ('RLS', 'STREAM'))
    yield lambda: _host(env, 'REDIS_HOST')
    yield lambda: _port(env, 'REDIS_PORT')


def _storage(env):
    yield lambda: _secret(env, 'PGRST_JWT_SECRET', 32)
    yield lambda: _jwt(env, 'ANON_KEY', 'PGRST_JWT_SECRET', 'anon')
    yield lambda: _jwt(env, 'SERVICE_KEY', 'PGRST_JWT_SECRET', 'service_role')
    yield lambda: _url(env, 'POSTGREST_URL')
    yield lambda: _pgurl(env, 'DATABASE_URL')
    yield lambda: _int(env, 'FILE_SIZE_LIMIT', 1)
    backend = env.get('STORAGE_BACKEND')
    yield lambda: _oneof(env, 'STORAGE_BACKEND', ('s3', 'file'))
    yield lambda: _nonempty(env, 'GLOBAL_S3_BUCKET')
    yield lambda: _nonempty(env, 'TENANT_ID')
    yield lambda: _nonempty(env, 'REGION')
    yield lambda: _bool(env, 'ENABLE_IMAGE_TRANSFORMATION')
    if backend == 's3':
        yield lambda: BUCKET.match(env['GLOBAL_S3_BUCKET']) or _fail('GLOBAL_S3_BUCKET', 'not a valid S3 bucket name')
        yield lambda: _url(env, 'GLOBAL_S3_ENDPOINT')
        yield lambda: _oneof(env, 'GLOBAL_S3_PROTOCOL', ('http', 'https'))
        yield lambda: _bool(env, 'GLOBAL_S3_FORCE_PATH_STYLE')
        yield lambda: _nonempty(env, 'AWS_ACCESS_KEY_ID')
        yield lambda: _nonempty(env, 'AWS_SECRET_ACCESS_KEY')
        yield lambda: _nonempty(env, 'AWS_DEFAULT_REGION')
    elif backend == 'file':
        yield lambda: _nonempty(env, 'FILE_STORAGE_BACKEND_PATH').startswith('/') or \
            _fail('FILE_STORAGE_BACKEND_PATH', 'not an absolute path')
    if env.get('ENABLE_IMAGE_TRANSFORMATION') == 'true':
        yield lambda: _url(env, 'IMGPROXY_URL')


def _studio(env):
    yield lambda: _url(env, 'STUDIO_PG_META_URL')
    yield lambda: _nonempty(env, 'POSTGRES_PASSWORD')
    yield lambda: _nonempty(env, 'DEFAULT_ORGANIZATION_NAME')
    yield lambda: _nonempty(env, 'DEFAULT_PROJECT_NAME')
    yield lambda: _url(env, 'SUPABASE_URL')
    yield lambda: _url(env, 'SUPABASE_PUBLIC_URL')
    yield lambda: _secret(env, 'AUTH_JWT_SECRET', 32)
    yield lambda: _jwt(env, 'SUPABASE_ANON_KEY', 'AUTH_JWT_SECRET', 'anon')
    yield lambda: _jwt(env, 'SUPABASE_SERVICE_KEY', 'AUTH_JWT_SECRET', 'service_role')
    yield lambda: _nonempty(env, 'PG_META_CRYPTO_KEY')


def _functions(env):
    yield lambda: _secret(env, 'JWT_SECRET', 32)
    yield lambda: _url(env, 'SUPABASE_URL')
    yield lambda: _jwt(env, 'SUPABASE_ANON_KEY', 'JWT_SECRET', 'anon')
    yield lambda: _jwt(env, 'SUPABASE_SERVICE_ROLE_KEY', 'JWT_SECRET', 'service_role')
    yield lambda: _pgurl(env, 'SUPABASE_DB_URL')
    yield lambda: _bool(env, 'VERIFY_JWT')


def _kong(env):
    yield lambda: _equals(env, 'KONG_DATABASE', 'off')
    yield lambda: _nonempty(env, 'KONG_DECLARATIVE_CONFIG').startswith('/') or \
        _fail('KONG_DECLARATIVE_CONFIG', 'not an absolute path')
    yield lambda: _list(env, 'KONG_DNS_ORDER', re.compile(r'^(LAST|A|AAAA|CNAME|SRV)$'))
    yield lambda: _list(env, 'KONG_PLUGINS', re.compile(r'^[a-z0-9-]+$'))
    yield lambda: NGINX_SIZE.match(_nonempty(env, 'KONG_NGINX_PROXY_PROXY_BUFFER_SIZE')) or \
        _fail('KONG_NGINX_PROXY_PROXY_BUFFER_SIZE', 'not an nginx size (e.g. 160k)')
    yield lambda: re.match(r'^[0-9]+ [0-9]+[kKmM]?$', _nonempty(env, 'KONG_NGINX_PROXY_PROXY_BUFFERS')) or \
        _fail('KONG_NGINX_PROXY_PROXY_BUFFERS', 'not "<number> <size>" (e.g. 64 160k)')


def _fail(key, reason):
    raise ContractError(key, reason)


RULES = {'gotrue': _gotrue, 'postgrest': _postgrest, 'realtime': _realtime, 'storage': _storage,
         'studio': _studio, 'functions': _functions, 'kong': _kong}


def check_env(component, env):
    """Every broken rule of the component, as ContractError objects, in rule order."""
    if component not in RULES:
        return [ContractError('STANDIN_COMPONENT', 'unknown component (one of %s)' % ', '.join(COMPONENTS))]
    out = []
    for rule in RULES[component](env):
        try:
            rule()
        except ContractError as exc:
            out.append(exc)
    return out


def check_main_service(argv, exists=os.path.isdir, listdir=os.listdir):
    """functions: `start --main-service DIR` needs DIR with an index.ts (edge-runtime's entry point)."""
    if '--main-service' not in argv:
        return None
    index = argv.index('--main-service')
    if index + 1 >= len(argv):
        return ContractError('--main-service', 'no directory given')
    path = argv[index + 1]
    if not exists(path):
        return ContractError('--main-service', 'the directory does not exist in the container')
    names = listdir(path)
    if not any(n in names for n in ('index.ts', 'index.js', 'index.tsx', 'index.mjs')):
        return ContractError('--main-service', 'the directory has no index.ts')
    return None


def contract_keys(component, env):
    """The env keys the component's rules look at (for the answer's key list and hashes)."""
    seen = []

    class Spy(dict):
        def __contains__(self, key):
            seen.append(key)
            return dict.__contains__(self, key)

        def get(self, key, default=None):
            seen.append(key)
            return dict.get(self, key, default)

        def __getitem__(self, key):
            seen.append(key)
            return dict.__getitem__(self, key)

    spy = Spy(env)
    if component in RULES:
        for rule in RULES[component](spy):
            try:
                rule()
            except ContractError:
                pass
    return sorted(set(k for k in seen if k in env))


def is_secret_key(key):
    return any(word in key.upper() for word in SECRET_WORDS) or key.upper().endswith('_URL') or key.upper().endswith('_URI')


def scrubber(env):
    """A function that replaces secret values (and URL user/password/host) in a text with <KEY>."""
    pairs = []
    for key, value in env.items():
        if not value or value in BOOL or value.isdigit():
            continue
        if is_secret_key(key) and len(value) >= 4:
            pairs.append((value, '<%s>' % key))
        if '://' in value:
            try:
                parts = urlsplit(value)
            except ValueError:
                continue
            for label, part in (('password', parts.password), ('user', parts.username)):
                if part and len(part) >= 3:
                    pairs.append((part, '<%s:%s>' % (key, label)))
                    if unquote(part) != part:
                        pairs.append((unquote(part), '<%s:%s>' % (key, label)))
    pairs.sort(key=lambda p: -len(p[0]))

    def scrub(text):
        text = str(text)
        for value, label in pairs:
            text = text.replace(value, label)
        return text
    return scrub


def value_hashes(env, keys):
    """sha256 of selected values (tests compare them with what they configured)."""
    return {k: hashlib.sha256(env[k].encode()).hexdigest() for k in keys if k in env}
