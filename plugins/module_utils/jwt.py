# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

"""JSON Web Tokens for Supabase API keys.

HS256 uses the standard library only, so it runs on a bare controller.
ES256 (P-256) needs the ``cryptography`` library; it is imported lazily.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import hmac
import json
import secrets
import string
import time

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import (
        decode_dss_signature,
        encode_dss_signature,
    )
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc


ROLES = ('anon', 'service_role')
MIN_SECRET_LENGTH = 32
DEFAULT_ISSUER = 'supabase'
DEMO_ISSUERS = ('supabase-demo',)
# Seconds in a year, counting leap days on average.
YEAR_SECONDS = 31557600

# Published example values (see docs/secrets.md). Never accept them.
DEMO_JWT_SECRET = 'your-super-secret-jwt-token-with-at-least-32-characters-long'
DEMO_ANON_KEY = (
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.'
    'eyAgCiAgICAicm9sZSI6ICJhbm9uIiwKICAgICJpc3MiOiAic3VwYWJhc2UtZGVtbyIsCiAgICAiaWF0IjogMTY0MTc2OTIwMCwKICAgICJleHAiOiAxNzk5NTM1NjAwCn0.'
    'dc_X5iR_VP_qT0zsiyj_I_OZ2T9FtRU2BBNWN8Bu4GE'
)
DEMO_SERVICE_ROLE_KEY = (
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.'
    'eyAgCiAgICAicm9sZSI6ICJzZXJ2aWNlX3JvbGUiLAogICAgImlzcyI6ICJzdXBhYmFzZS1kZW1vIiwKICAgICJpYXQiOiAxNjQxNzY5MjAwLAogICAgImV4cCI6IDE3OTk1MzU2MDAKfQ.'
    'DaYlNEoUrrEn2Ig7tqibS-PHK5vgusbcbo7X36XVt4Q'
)
DEMO_KEYS = (DEMO_ANON_KEY, DEMO_SERVICE_ROLE_KEY)

SECRET_ALPHABET = string.ascii_letters + string.digits


class JWTError(Exception):
    """A token could not be made, parsed or verified."""


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def b64url_decode(text):
    if isinstance(text, str):
        text = text.encode('ascii')
    text += b'=' * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(text)
    except (ValueError, TypeError) as exc:
        raise JWTError('invalid base64url: %s' % exc)


def _to_bytes(value):
    if isinstance(value, bytes):
        return value
    return value.encode('utf-8')


def _json_segment(obj):
    # Compact, sorted JSON so a token is repeatable for the same input.
    return b64url_encode(json.dumps(obj, separators=(',', ':'), sort_keys=True).encode('utf-8'))


def random_secret(length, alphabet=SECRET_ALPHABET):
    """Random string from a CSPRNG."""
    if length < 1:
        raise ValueError('length must be positive')
    return ''.join(secrets.choice(alphabet) for dummy in range(length))


def api_key_claims(role, iat=None, expiry_years=10, issuer=DEFAULT_ISSUER):
    if role not in ROLES:
        raise JWTError('role must be one of %s' % ', '.join(ROLES))
    if iat is None:
        iat = int(time.time())
    return {
        'role': role,
        'iss': issuer,
        'iat': int(iat),
        'exp': int(iat) + int(expiry_years * YEAR_SECONDS),
    }


def split_token(token):
    """Return (header, payload, signing_input, signature) without verifying."""
    if not isinstance(token, str):
        raise JWTError('token is not a string')
    parts = token.split('.')
    if len(parts) != 3:
        raise JWTError('token does not have three dot-separated parts')
    try:
        header = json.loads(b64url_decode(parts[0]).decode('utf-8'))
        payload = json.loads(b64url_decode(parts[1]).decode('utf-8'))
    except (ValueError, UnicodeDecodeError) as exc:
        raise JWTError('token header or payload is not JSON: %s' % exc)
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise JWTError('token header or payload is not a JSON object')
    signing_input = ('%s.%s' % (parts[0], parts[1])).encode('ascii')
    return header, payload, signing_input, b64url_decode(parts[2])


# --- HS256 (stdlib only) ---------------------------------------------------

def check_secret(secret):
    """Return a list of problems with an HS256 secret (empty when fine)."""
    problems = []
    if not secret:
        problems.append('the JWT secret is empty')
    elif len(secret) < MIN_SECRET_LENGTH:
        problems.append('the JWT secret is shorter than %d characters' % MIN_SECRET_LENGTH)
    if secret == DEMO_JWT_SECRET:
        problems.append('the JWT secret is the published demo value')
    return problems


def sign_hs256(claims, secret):
    header = {'alg': 'HS256', 'typ': 'JWT'}
    signing_input = '%s.%s' % (_json_segment(header), _json_segment(claims))
    sig = hmac.new(_to_bytes(secret), signing_input.encode('ascii'), hashlib.sha256).digest()
    return '%s.%s' % (signing_input, b64url_encode(sig))


def _verify_hs256(signing_input, signature, secret):
    expected = hmac.new(_to_bytes(secret), signing_input, hashlib.sha256).digest()
    return hmac.compare_digest(expected, signature)


# --- ES256 (cryptography) --------------------------------------------------

def _need_cryptography():
    if not HAS_CRYPTOGRAPHY:
        raise JWTError('ES256 needs the Python library "cryptography" on the controller: %s'
                       % CRYPTOGRAPHY_IMPORT_ERROR)


def _int_to_b64(value, size=32):
    return b64url_encode(value.to_bytes(size, 'big'))


def generate_es256_key():
    """New P-256 private key as PKCS#8 PEM text."""
    _need_cryptography()
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode('ascii')


def _load_private(pem):
    _need_cryptography()
    try:
        key = serialization.load_pem_private_key(_to_bytes(pem), password=None)
    except (ValueError, TypeError) as exc:
        raise JWTError('signing_key is not a PEM private key: %s' % exc)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != 'secp256r1':
        raise JWTError('signing_key must be an EC P-256 private key')
    return key


def public_jwk(private_pem, kid):
    """Public JWK (RFC 7517) of a P-256 private key."""
    numbers = _load_private(private_pem).public_key().public_numbers()
    return {
        'kty': 'EC',
        'crv': 'P-256',
        'x': _int_to_b64(numbers.x),
        'y': _int_to_b64(numbers.y),
        'kid': kid,
        'alg': 'ES256',
        'use': 'sig',
        'key_ops': ['verify'],
    }


def sign_es256(claims, private_pem, kid):
    key = _load_private(private_pem)
    header = {'alg': 'ES256', 'typ': 'JWT', 'kid': kid}
    signing_input = '%s.%s' % (_json_segment(header), _json_segment(claims))
    der = key.sign(signing_input.encode('ascii'), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    # JWS wants the raw 64-byte r||s form, not DER.
    return '%s.%s' % (signing_input, b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big')))


def _jwk_public_key(jwk):
    _need_cryptography()
    try:
        x = int.from_bytes(b64url_decode(jwk['x']), 'big')
        y = int.from_bytes(b64url_decode(jwk['y']), 'big')
        return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except (KeyError, ValueError, TypeError) as exc:
        raise JWTError('invalid EC JWK: %s' % exc)


def _verify_es256(signing_input, signature, jwk):
    if len(signature) != 64:
        return False
    der = encode_dss_signature(int.from_bytes(signature[:32], 'big'), int.from_bytes(signature[32:], 'big'))
    try:
        _jwk_public_key(jwk).verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


# --- checks ----------------------------------------------------------------

def verify_api_key(token, role, secret=None, jwks=None, now=None,
                   demo_issuers=DEMO_ISSUERS, demo_keys=()):
    """Check one API key. Returns a dict: ok, errors (list of text), claims.

    Error texts never contain the token or the secret.
    """
    result = {'role': role, 'ok': False, 'errors': [], 'claims': {}, 'alg': None, 'kid': None}
    errors = result['errors']
    if not token:
        errors.append('key is empty')
        return result
    if token in DEMO_KEYS or token in (demo_keys or ()):
        errors.append('key is a published demo key')
    try:
        header, payload, signing_input, signature = split_token(token)
    except JWTError as exc:
        errors.append(str(exc))
        return result
    result['claims'] = payload
    alg = header.get('alg')
    result['alg'] = alg
    result['kid'] = header.get('kid')

    if alg == 'HS256':
        if not secret:
            errors.append('key is HS256 but no JWT secret was given to check it')
        elif not _verify_hs256(signing_input, signature, secret):
            errors.append('signature does not verify against the JWT secret')
    elif alg == 'ES256':
        candidates = [k for k in (jwks or []) if k.get('kty') == 'EC']
        if header.get('kid') is not None:
            candidates = [k for k in candidates if k.get('kid') == header.get('kid')]
        if not candidates:
            errors.append('key is ES256 but no matching public key (kid %s) was given' % header.get('kid'))
        elif not any(_verify_es256(signing_input, signature, k) for k in candidates):
            errors.append('signature does not verify against the signing key')
    else:
        errors.append('unsupported algorithm %r (want HS256 or ES256)' % alg)

    if payload.get('role') != role:
        errors.append('role claim is %r, expected %r' % (payload.get('role'), role))
    if payload.get('iss') in demo_issuers:
        errors.append('issuer %r is a demo issuer' % payload.get('iss'))
    if now is None:
        now = time.time()
    exp = payload.get('exp')
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        errors.append('exp claim is missing or not a number')
    elif exp <= now:
        errors.append('key expired at %d' % exp)
    result['ok'] = not errors
    return result


def verify_key_set(keys, secret=None, jwks=None, now=None, demo_issuers=DEMO_ISSUERS, demo_keys=()):
    """Check a dict {role: token}. Returns (all_ok, {role: result})."""
    results = {}
    for role in ROLES:
        if role in keys and keys[role] is not None:
            results[role] = verify_api_key(keys[role], role, secret=secret, jwks=jwks, now=now,
                                           demo_issuers=demo_issuers, demo_keys=demo_keys)
    if keys.get('anon') and keys.get('anon') == keys.get('service_role'):
        for role in ROLES:
            results[role]['errors'].append('anon key and service_role key are the same')
            results[role]['ok'] = False
    return all(r['ok'] for r in results.values()), results
