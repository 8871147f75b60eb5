"""plugins/filter/gotrue_incomplete_providers.py."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.selfhost.supabase.plugins.filter import gotrue_incomplete_providers as F


def test_registered():
    assert set(F.FilterModule().filters()) == {'gotrue_incomplete_providers'}


def test_incomplete_enabled_providers_named():
    providers = [
        {'name': 'github', 'client_id': 'a', 'secret': 'b'},
        {'name': 'google', 'client_id': 'a'},
        {'name': 'gitlab', 'secret': 'b', 'enabled': 'yes'},
        {'name': 'azure', 'client_id': '', 'secret': 'b', 'enabled': True},
        {'name': 'apple', 'enabled': False},
        {'name': 'discord', 'enabled': 'no', 'client_id': ''},
        {'client_id': 'a'},
        'github',
    ]
    assert F.gotrue_incomplete_providers(providers) == ['google', 'gitlab', 'azure', '?', '?']
    assert F.gotrue_incomplete_providers([]) == []
    assert F.gotrue_incomplete_providers(None) == []


def test_no_secret_in_the_result():
    out = F.gotrue_incomplete_providers([{'name': 'google', 'client_id': 'cid-123', 'secret': ''}])
    assert out == ['google'] and 'cid-123' not in repr(out)


def test_bad_input():
    with pytest.raises(AnsibleFilterError, match='gotrue_external_providers must be a list'):
        F.gotrue_incomplete_providers({'name': 'github'})
