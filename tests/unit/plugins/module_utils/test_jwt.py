"""module_utils/jwt.py, cross-checked with PyJWT in both directions."""
import json
import time

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import serialization

from ansible_collections.selfhost.supabase.plugins.module_utils import jwt as J

SECRET = 'k9Vv2qPzL4mXr8Tn6Yb1Hs3Dw7Fc5Ga0Je2Ku4Mq'
IAT = 1767225600


def flip_signature_byte(token):
    head, payload, sig = token.split('.')
    raw = bytearray(J.b64url_decode(sig))
    raw[5] ^= 0x01
    return '%s.%s.%s' % (head, payload, J.b64url_encode(bytes(raw)))


@pytest.mark.parametrize('role', J.ROLES)
def test_hs256_key_verifies_with_pyjwt(role):
    token = J.sign_hs256(J.api_key_claims(role, iat=IAT, expiry_years=5), SECRET)
    claims = pyjwt.decode(token, SECRET, algorithms=['HS256'], options={'verify_iat': True})
    assert claims == {'role': role, 'iss': 'supabase', 'iat': IAT, 'exp': IAT + 5 * J.YEAR_SECONDS}
    assert pyjwt.get_unverified_header(token) == {'alg': 'HS256', 'typ': 'JWT'}


def test_hs256_is_repeatable_with_fixed_iat():
    claims = J.api_key_claims('anon', iat=IAT)
    assert J.sign_hs256(claims, SECRET) == J.sign_hs256(dict(claims), SECRET)
    assert J.sign_hs256(claims, SECRET) != J.sign_hs256(claims, SECRET + 'x')


def test_pyjwt_key_verifies_in_module():
    token = pyjwt.encode({'role': 'service_role', 'iss': 'supabase', 'iat': IAT, 'exp': int(time.time()) + 3600},
                         SECRET, algorithm='HS256')
    result = J.verify_api_key(token, 'service_role', secret=SECRET)
    assert result['ok'], result['errors']
    assert result['claims']['role'] == 'service_role'


def test_flipped_signature_byte_fails():
    token = J.sign_hs256(J.api_key_claims('anon', iat=IAT), SECRET)
    bad = flip_signature_byte(token)
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(bad, SECRET, algorithms=['HS256'])
    result = J.verify_api_key(bad, 'anon', secret=SECRET)
    assert not result['ok']
    assert 'signature does not verify against the JWT secret' in result['errors']


def test_wrong_secret_fails():
    token = J.sign_hs256(J.api_key_claims('anon', iat=IAT), SECRET)
    assert not J.verify_api_key(token, 'anon', secret=SECRET[::-1])['ok']


def test_wrong_role_claim_fails():
    token = J.sign_hs256(J.api_key_claims('service_role', iat=IAT), SECRET)
    result = J.verify_api_key(token, 'anon', secret=SECRET)
    assert not result['ok']
    assert result['errors'] == ["role claim is 'service_role', expected 'anon'"]


def test_expired_key_fails():
    token = pyjwt.encode({'role': 'anon', 'iss': 'supabase', 'iat': 1000, 'exp': 2000}, SECRET, algorithm='HS256')
    result = J.verify_api_key(token, 'anon', secret=SECRET)
    assert not result['ok']
    assert result['errors'] == ['key expired at 2000']
    # The same key is fine at a time before exp.
    assert J.verify_api_key(token, 'anon', secret=SECRET, now=1500)['ok']


def test_missing_exp_fails():
    token = pyjwt.encode({'role': 'anon', 'iss': 'supabase'}, SECRET, algorithm='HS256')
    assert 'exp claim is missing or not a number' in J.verify_api_key(token, 'anon', secret=SECRET)['errors']


@pytest.mark.parametrize('role,token', [('anon', J.DEMO_ANON_KEY), ('service_role', J.DEMO_SERVICE_ROLE_KEY)])
def test_published_demo_keys_fail(role, token):
    # They really are signed by the demo secret, so only the demo checks catch them.
    assert pyjwt.decode(token, J.DEMO_JWT_SECRET, algorithms=['HS256'])['iss'] == 'supabase-demo'
    result = J.verify_api_key(token, role, secret=J.DEMO_JWT_SECRET, now=1700000000)
    assert not result['ok']
    assert 'key is a published demo key' in result['errors']
    assert "issuer 'supabase-demo' is a demo issuer" in result['errors']


def test_demo_issuer_and_listed_demo_key_fail():
    token = J.sign_hs256(J.api_key_claims('anon', iat=IAT, issuer='supabase-demo'), SECRET)
    assert not J.verify_api_key(token, 'anon', secret=SECRET)['ok']
    token = J.sign_hs256(J.api_key_claims('anon', iat=IAT, issuer='acme-demo'), SECRET)
    assert J.verify_api_key(token, 'anon', secret=SECRET)['ok']
    assert not J.verify_api_key(token, 'anon', secret=SECRET, demo_issuers=('acme-demo',))['ok']
    assert not J.verify_api_key(token, 'anon', secret=SECRET, demo_keys=(token,))['ok']


def test_anon_equal_to_service_role_fails():
    token = J.sign_hs256(J.api_key_claims('anon', iat=IAT), SECRET)
    ok, results = J.verify_key_set({'anon': token, 'service_role': token}, secret=SECRET)
    assert not ok
    assert 'anon key and service_role key are the same' in results['anon']['errors']
    assert 'anon key and service_role key are the same' in results['service_role']['errors']


def test_good_key_set_passes():
    keys = {r: J.sign_hs256(J.api_key_claims(r, iat=IAT), SECRET) for r in J.ROLES}
    ok, results = J.verify_key_set(keys, secret=SECRET)
    assert ok, results


@pytest.mark.parametrize('secret,expected', [
    ('x' * 31, 'shorter than 32'),
    ('', 'empty'),
    (J.DEMO_JWT_SECRET, 'demo value'),
])
def test_bad_secrets(secret, expected):
    problems = J.check_secret(secret)
    assert problems and any(expected in p for p in problems)
    assert J.check_secret('x' * 32) == []


@pytest.mark.parametrize('garbage', ['', 'abc', 'a.b.c', 'e30.e30', 'bm90anNvbg.e30.'])
def test_garbage_tokens_fail(garbage):
    assert not J.verify_api_key(garbage, 'anon', secret=SECRET)['ok']


def test_unsupported_alg_none_fails():
    token = pyjwt.encode({'role': 'anon', 'exp': int(time.time()) + 60}, None, algorithm='none')
    result = J.verify_api_key(token, 'anon', secret=SECRET)
    assert not result['ok']
    assert any('unsupported algorithm' in e for e in result['errors'])


def test_random_secret():
    values = {J.random_secret(40) for dummy in range(20)}
    assert len(values) == 20
    assert all(len(v) == 40 and v.isalnum() for v in values)


# --- ES256 -----------------------------------------------------------------

def test_es256_sign_verifies_with_pyjwt():
    pem = J.generate_es256_key()
    jwk = J.public_jwk(pem, 'kid-1')
    token = J.sign_es256(J.api_key_claims('anon', iat=IAT), pem, 'kid-1')
    public = pyjwt.PyJWK.from_dict(jwk)
    claims = pyjwt.decode(token, public.key, algorithms=['ES256'])
    assert claims['role'] == 'anon'
    assert pyjwt.get_unverified_header(token)['kid'] == 'kid-1'
    assert J.verify_api_key(token, 'anon', jwks=[jwk])['ok']
    assert not J.verify_api_key(flip_signature_byte(token), 'anon', jwks=[jwk])['ok']


def test_pyjwt_es256_key_verifies_in_module():
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    token = pyjwt.encode({'role': 'service_role', 'exp': int(time.time()) + 600}, key, algorithm='ES256',
                         headers={'kid': 'k2'})
    jwk = J.public_jwk(pem, 'k2')
    assert json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))['x'] == jwk['x']
    assert J.verify_api_key(token, 'service_role', jwks=[jwk])['ok']
    other = J.public_jwk(J.generate_es256_key(), 'k2')
    assert not J.verify_api_key(token, 'service_role', jwks=[other])['ok']
    # A kid that matches no given key is an error too.
    assert not J.verify_api_key(token, 'service_role', jwks=[dict(jwk, kid='other')])['ok']


def test_es256_rejects_non_p256_key():
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    with pytest.raises(J.JWTError):
        J.public_jwk(pem, 'x')
