"""Environment conformance: every role's rendered container environment against the keys upstream's
compose file sets for the same service (upstream_env.yml). Each upstream key a role does not set, and
each key a role adds, carries a reason there; a missing reason or a stale one fails."""
import fnmatch
import os

import pytest
import yaml

from test_role_env import ENVS, env

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'upstream_env.yml'), encoding='utf-8') as handle:
    TABLE = yaml.safe_load(handle)


def _matches(key, patterns):
    return any(fnmatch.fnmatchcase(key, p) for p in patterns)


def test_every_service_role_is_in_the_table():
    assert sorted(TABLE) == sorted(ENVS)


@pytest.mark.parametrize('role', sorted(ENVS))
def test_upstream_keys_are_set_or_explained(role):
    rendered = env(role)
    row = TABLE[role]
    unexplained = [k for k in row['upstream'] if k not in rendered and k not in row['not_set']]
    assert not unexplained, '%s: upstream sets %s; set them or give the reason in upstream_env.yml' % (role, unexplained)
    assert all(isinstance(r, str) and len(r) > 10 for r in row['not_set'].values())


@pytest.mark.parametrize('role', sorted(ENVS))
def test_reasons_are_not_stale(role):
    rendered = env(role)
    row = TABLE[role]
    stale = [k for k in row['not_set'] if k in rendered]
    assert not stale, '%s: sets %s now; drop them from not_set' % (role, stale)
    assert set(row['not_set']) <= set(row['upstream'])


@pytest.mark.parametrize('role', sorted(ENVS))
def test_keys_beyond_upstream_are_explained(role):
    rendered = env(role)
    row = TABLE[role]
    extra = [k for k in rendered if k not in row['upstream'] and not _matches(k, row['added'])]
    assert not extra, '%s: sets %s, which upstream does not; explain them under added' % (role, extra)
    assert all(isinstance(r, str) and len(r) > 10 for r in row['added'].values())


def test_the_check_can_fail():
    """A key upstream sets that a role drops is caught (guards the test itself)."""
    row = TABLE['postgrest']
    rendered = env('postgrest')
    rendered.pop('PGRST_DB_ANON_ROLE')
    assert [k for k in row['upstream'] if k not in rendered and k not in row['not_set']] == ['PGRST_DB_ANON_ROLE']
