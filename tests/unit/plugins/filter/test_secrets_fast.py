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
    assert set(names) == {'supabase_controller_file', 'supabase_jwt_verification', 'supabase_jwt_generate',
                          'supabase_secrets_problems', 'supabase_key_problems', 'supabase_generated_problems',
                          'supabase_random_secrets'}


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


# The validation programs moved out of roles/secrets/tasks/*.yml.

SPECS = [
    {'name': 'supabase_postgres_password', 'length': '20', 'demo': ['your-super-secret-and-long-postgres-password']},
    {'name': 'supabase_jwt_secret', 'length': '40', 'demo': []},
    {'name': 'supabase_dashboard_username', 'length': 10, 'chars': ['ascii_lowercase'], 'demo': []},
    {'name': 'supabase_db_enc_key', 'length': 16, 'demo': ['supabaserealtime']},
]
KEYS = ['supabase_anon_key', 'supabase_service_role_key']


def test_secrets_problems_clean_values_give_none():
    candidates = {'supabase_postgres_password': 'p' * 20, 'supabase_jwt_secret': SECRET,
                  'supabase_dashboard_username': 'admin', 'supabase_db_enc_key': 'k' * 16,
                  'supabase_anon_key': _key('anon')}
    operator = dict.fromkeys(candidates, '')
    assert F.supabase_secrets_problems(candidates, SPECS, KEYS, operator, '/s.yml', ['demo.key']) == []


def test_secrets_problems_name_the_variable_and_the_origin():
    candidates = {'supabase_postgres_password': 'your-super-secret-and-long-postgres-password',
                  'supabase_db_enc_key': 'short', 'supabase_anon_key': 'demo.key', 'supabase_jwt_secret': SECRET}
    operator = {'supabase_postgres_password': candidates['supabase_postgres_password'], 'supabase_db_enc_key': '',
                'supabase_anon_key': ''}
    problems = F.supabase_secrets_problems(candidates, SPECS, KEYS, operator, '/s.yml', ['demo.key'])
    assert problems == [
        'supabase_postgres_password (given) is a published demo value; use your own (the secrets role generates one when unset)',
        'supabase_db_enc_key (in /s.yml) must be exactly 16 characters (it has 5)',
        'supabase_anon_key (in /s.yml) is a published demo key',
    ]
    assert all('demo.key' not in p and 'short' not in p for p in problems)


def test_secrets_problems_given_key_without_secret():
    operator = {'supabase_anon_key': 'a.b.c'}
    problems = F.supabase_secrets_problems({'supabase_anon_key': 'a.b.c'}, [], KEYS, operator, '/s.yml')
    assert problems == ['supabase_anon_key (given) cannot be checked: supabase_jwt_secret is not set, '
                        'and a key must be signed by it']
    # With the secret known (given or stored) the key is verified instead.
    assert F.supabase_secrets_problems({'supabase_anon_key': 'a.b.c', 'supabase_jwt_secret': SECRET}, [], KEYS,
                                       operator, '/s.yml') == []
    # A stored key without a secret is regenerated, not refused.
    assert F.supabase_secrets_problems({'supabase_anon_key': 'a.b.c'}, [], KEYS, {}, '/s.yml') == []


def test_secrets_problems_bad_input():
    with pytest.raises(AnsibleFilterError):  # not a stack secret
        F.supabase_secrets_problems({'x': 'y'}, [{'name': 'supabase_nope', 'demo': []}], [], {}, '/s.yml')
    with pytest.raises(KeyError):
        F.supabase_secrets_problems({}, [{'demo': []}], [], {}, '/s.yml')


def test_key_problems_only_for_given_keys():
    verification = {'anon': {'ok': False, 'errors': ['does not verify', 'expired']},
                    'service_role': {'ok': False, 'errors': ['x']}}
    operator = {'supabase_anon_key': 'tok', 'supabase_service_role_key': ''}
    assert F.supabase_key_problems(verification, operator) == ['supabase_anon_key (given): does not verify, expired']
    assert F.supabase_key_problems({'anon': {'ok': True, 'errors': []}}, operator) == []
    assert F.supabase_key_problems({}, operator) == []
    assert F.supabase_key_problems(None, None) == []


def test_generated_problems():
    assert F.supabase_generated_problems({'supabase_db_enc_key': 'k' * 16, 'supabase_jwt_secret': SECRET}) == []
    assert F.supabase_generated_problems({'supabase_jwt_secret': 'short'}) == [
        'supabase_jwt_secret (generated) must be at least 32 characters (it has 5)']
    with pytest.raises(AnsibleFilterError):
        F.supabase_generated_problems({'supabase_nope': 'x'})


def test_random_secrets_lengths_chars_and_skips():
    out = F.supabase_random_secrets(SPECS, {'supabase_db_enc_key': 'kept'}, 'J' * 40)
    assert set(out) == {'supabase_postgres_password', 'supabase_dashboard_username', 'supabase_jwt_secret'}
    assert out['supabase_jwt_secret'] == 'J' * 40
    assert len(out['supabase_postgres_password']) == 20 and out['supabase_postgres_password'].isalnum()
    assert len(out['supabase_dashboard_username']) == 10 and out['supabase_dashboard_username'].islower()
    assert out['supabase_dashboard_username'].isalpha()
    # Random: two runs differ.
    assert F.supabase_random_secrets(SPECS)['supabase_postgres_password'] != out['supabase_postgres_password']
    # No JWT secret is made here (supabase_jwt_generate does) unless one is handed in.
    assert 'supabase_jwt_secret' not in F.supabase_random_secrets(SPECS)
    assert F.supabase_random_secrets(SPECS, dict.fromkeys(s['name'] for s in SPECS)) == {}


def test_random_secrets_bad_input():
    with pytest.raises(AnsibleFilterError, match='supabase_postgres_password has no integer length'):
        F.supabase_random_secrets([{'name': 'supabase_postgres_password', 'length': 'many'}])
    with pytest.raises(AnsibleFilterError, match='length 0'):
        F.supabase_random_secrets([{'name': 'supabase_postgres_password', 'length': 0}])
