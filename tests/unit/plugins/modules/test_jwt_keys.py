"""The jwt_keys module, through AnsibleModule (main) and its run() helper."""
import json
import time

import jwt as pyjwt
import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.selfhost.supabase.plugins.module_utils import jwt as J
from ansible_collections.selfhost.supabase.plugins.modules import jwt_keys

SECRET = 'Zr4mQ8vT2nLx6Pc9Hb3Wk7Ys1Df5Gj0Ua8Ne2Ro6'


def call(capsys, **args):
    """Run the module's main() and return (failed, result)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            jwt_keys.main()
    result = json.loads(capsys.readouterr().out)
    return exc.value.code != 0 or result.get('failed', False), result


def test_generate_secret_and_keys(capsys):
    failed, result = call(capsys, generate_secret=True, generate_keys=True, iat=1767225600, expiry_years=3)
    assert not failed, result
    assert result['changed'] is False
    assert len(result['secret']) == 48
    for role in J.ROLES:
        claims = pyjwt.decode(result['%s_key' % role], result['secret'], algorithms=['HS256'])
        assert claims == {'role': role, 'iss': 'supabase', 'iat': 1767225600, 'exp': 1767225600 + 3 * J.YEAR_SECONDS}
        assert result['claims'][role] == claims


def test_repeatable_output(capsys):
    outs = [call(capsys, secret=SECRET, generate_keys=True, iat=1700000000)[1] for dummy in range(2)]
    assert outs[0]['anon_key'] == outs[1]['anon_key']
    assert outs[0]['anon_key'] != outs[0]['service_role_key']


def test_check_mode_still_computes(capsys):
    failed, result = call(capsys, secret=SECRET, generate_keys=True, _ansible_check_mode=True)
    assert not failed and result['changed'] is False and result['anon_key']


def test_verify_good_pyjwt_keys(capsys):
    exp = int(time.time()) + 3600
    anon = pyjwt.encode({'role': 'anon', 'iss': 'supabase', 'exp': exp}, SECRET, algorithm='HS256')
    service = pyjwt.encode({'role': 'service_role', 'iss': 'supabase', 'exp': exp}, SECRET, algorithm='HS256')
    failed, result = call(capsys, secret=SECRET, anon_key=anon, service_role_key=service)
    assert not failed, result
    assert result['valid'] is True
    assert result['verification']['anon']['ok'] and result['verification']['service_role']['ok']


def test_verify_swapped_keys_fails_with_reason(capsys):
    exp = int(time.time()) + 3600
    anon = pyjwt.encode({'role': 'anon', 'exp': exp}, SECRET, algorithm='HS256')
    service = pyjwt.encode({'role': 'service_role', 'exp': exp}, SECRET, algorithm='HS256')
    failed, result = call(capsys, secret=SECRET, anon_key=service, service_role_key=anon)
    assert failed
    assert "role claim is 'service_role', expected 'anon'" in result['msg']
    # No secret or key in the message.
    assert SECRET not in json.dumps(result) and anon not in result['msg']


def test_verify_report_only(capsys):
    failed, result = call(capsys, secret=SECRET, anon_key=J.DEMO_ANON_KEY, fail_on_invalid=False)
    assert not failed
    assert result['valid'] is False
    assert 'key is a published demo key' in result['verification']['anon']['errors']


def test_same_key_twice_fails(capsys):
    token = J.sign_hs256(J.api_key_claims('anon'), SECRET)
    failed, result = call(capsys, secret=SECRET, anon_key=token, service_role_key=token)
    assert failed
    assert 'are the same' in result['msg']


@pytest.mark.parametrize('secret', ['short-secret-31-characters-long', J.DEMO_JWT_SECRET])
def test_bad_secret_refused(capsys, secret):
    assert len('short-secret-31-characters-long') == 31
    failed, result = call(capsys, secret=secret, generate_keys=True)
    assert failed
    assert 'JWT secret' in result['msg']
    assert secret not in result['msg']


def test_keys_without_secret_refused(capsys):
    failed, result = call(capsys, generate_keys=True)
    assert failed and 'empty' in result['msg']


def test_es256_generate_and_sign(capsys):
    failed, result = call(capsys, generate_signing_key=True, algorithm='ES256', generate_keys=True, kid='main')
    assert not failed, result
    assert result['kid'] == 'main'
    jwk = result['jwks']['keys'][0]
    assert 'd' not in jwk  # public only
    public = pyjwt.PyJWK.from_dict(jwk).key
    for role in J.ROLES:
        token = result['%s_key' % role]
        assert pyjwt.get_unverified_header(token) == {'alg': 'ES256', 'typ': 'JWT', 'kid': 'main'}
        assert pyjwt.decode(token, public, algorithms=['ES256'])['role'] == role
    # The module verifies them back with the signing key or with the public JWKS alone.
    failed, check = call(capsys, signing_key=result['signing_key'], kid='main', anon_key=result['anon_key'],
                         service_role_key=result['service_role_key'])
    assert not failed, check
    failed, check = call(capsys, jwks=[jwk], anon_key=result['anon_key'])
    assert not failed, check


def test_es256_default_kid_is_thumbprint(capsys):
    failed, result = call(capsys, generate_signing_key=True)
    assert not failed
    jwk = result['jwks']['keys'][0]
    assert result['kid'] == jwt_keys.jwk_thumbprint(jwk)
    assert len(result['kid']) == 43


def test_es256_without_key_refused(capsys):
    failed, result = call(capsys, algorithm='ES256', generate_keys=True)
    assert failed and 'signing_key' in result['msg']
