"""plugins/filter/secrets_fast.py: the secrets role's controller-side helpers (no module run)."""

import os
import stat

import jwt as pyjwt
import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.selfhost.supabase.plugins.filter import secrets_fast as F
from ansible_collections.selfhost.supabase.plugins.module_utils import jwt as J

SECRET = 'Zr4mQ8vT2nLx6Pc9Hb3Wk7Ys1Df5Gj0Ua8Ne2Ro6'


def test_registered():
    names = F.FilterModule().filters()
    assert set(names) == {'supabase_controller_file', 'supabase_jwt_verification', 'supabase_jwt_generate'}


def test_controller_file(tmp_path):
    path = tmp_path / 'secrets.yml'
    assert F.supabase_controller_file(str(path)) == {'exists': False, 'mode': '', 'content': ''}
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b'supabase_jwt_secret: abc\n')
    os.close(fd)
    os.chmod(str(path), 0o600)
    assert F.supabase_controller_file(str(path)) == {'exists': True, 'mode': '0600', 'content': 'supabase_jwt_secret: abc\n'}
    os.chmod(str(path), 0o644)
    assert F.supabase_controller_file(str(path))['mode'] == '0644'
    with pytest.raises(AnsibleFilterError):
        F.supabase_controller_file(str(tmp_path))
    with pytest.raises(AnsibleFilterError):
        F.supabase_controller_file('')
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o644  # read-only: nothing changed


def _key(role, secret=SECRET, **claims):
    body = dict(J.api_key_claims(role), **claims)
    return J.sign_hs256(body, secret)


def test_verification_good_keys():
    result = F.supabase_jwt_verification({'anon': _key('anon'), 'service_role': _key('service_role')}, SECRET)
    assert result == {'anon': {'ok': True, 'errors': []}, 'service_role': {'ok': True, 'errors': []}}


def test_verification_same_as_the_module_code():
    other = 'Xq9pL2mN7bV4cZ8rT1yH6jK3wF5dG0sA2eU7iO4p'
    keys = {'anon': _key('anon', secret=other), 'service_role': _key('anon')}
    result = F.supabase_jwt_verification(keys, SECRET)
    assert result['anon']['ok'] is False and any('does not verify' in e for e in result['anon']['errors'])
    assert result['service_role']['ok'] is False and any('role claim' in e for e in result['service_role']['errors'])
    _valid, expected = J.verify_key_set(keys, secret=SECRET)
    assert dict((r, v['errors']) for r, v in expected.items()) == dict((r, v['errors']) for r, v in result.items())
    for errors in [v['errors'] for v in result.values()]:
        assert all(SECRET not in e and keys['anon'] not in e for e in errors)


def test_verification_skips_empty_keys_and_refuses_a_bad_secret():
    assert F.supabase_jwt_verification({'anon': '', 'service_role': None}, SECRET) == {}
    assert list(F.supabase_jwt_verification({'anon': _key('anon'), 'service_role': ''}, SECRET)) == ['anon']
    with pytest.raises(AnsibleFilterError) as exc:
        F.supabase_jwt_verification({'anon': _key('anon')}, 'short')
    assert 'short' not in str(exc.value).replace('shorter', '')


def test_generate_new_secret_and_keys():
    out = F.supabase_jwt_generate('', length=48, issuer='supabase', expiry_years=3)
    assert len(out['secret']) == 48
    for role in J.ROLES:
        claims = pyjwt.decode(out['%s_key' % role], out['secret'], algorithms=['HS256'])
        assert claims['role'] == role and claims['iss'] == 'supabase'
    assert F.supabase_jwt_generate('')['secret'] != out['secret']


def test_generate_keys_for_a_given_secret():
    out = F.supabase_jwt_generate(SECRET)
    assert out['secret'] == SECRET
    assert F.supabase_jwt_verification({'anon': out['anon_key'], 'service_role': out['service_role_key']}, SECRET) == {
        'anon': {'ok': True, 'errors': []}, 'service_role': {'ok': True, 'errors': []}}
    with pytest.raises(AnsibleFilterError):
        F.supabase_jwt_generate('', length=16)
    with pytest.raises(AnsibleFilterError):
        F.supabase_jwt_generate(J.DEMO_JWT_SECRET)
