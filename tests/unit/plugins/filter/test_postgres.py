"""plugins/filter/postgres.py: the server command line and the integer setting checks."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.selfhost.supabase.plugins.filter import postgres as F


def test_registered():
    assert set(F.FilterModule().filters()) == {'postgres_command', 'postgres_integer_problems'}


def test_command_in_order():
    settings = {'max_connections': 100, 'wal_level': 'logical', 'archive_mode': True,
                'archive_command': 'pgbackrest --stanza=main archive-push %p'}
    assert F.postgres_command(settings) == [
        'postgres', '-c', 'max_connections=100', '-c', 'wal_level=logical', '-c', 'archive_mode=True',
        '-c', 'archive_command=pgbackrest --stanza=main archive-push %p']
    assert F.postgres_command({}) == ['postgres']


def test_command_bad_input():
    with pytest.raises(AnsibleFilterError, match='mapping'):
        F.postgres_command(['max_connections=100'])


def test_integer_problems():
    assert F.postgres_integer_problems({'postgres_max_wal_senders': 10, 'postgres_max_replication_slots': '0'}) == []
    assert F.postgres_integer_problems({'postgres_max_wal_senders': 262143}) == []
    assert F.postgres_integer_problems({'postgres_max_wal_senders': 262144, 'postgres_max_replication_slots': 'ten',
                                        'x': -1, 'y': '1.5'}) == [
        'postgres_max_wal_senders=262144 must be an integer from 0 to 262143',
        'postgres_max_replication_slots=ten must be an integer from 0 to 262143',
        'x=-1 must be an integer from 0 to 262143', 'y=1.5 must be an integer from 0 to 262143']
    assert F.postgres_integer_problems({'n': 0}, 1, 5) == ['n=0 must be an integer from 1 to 5']


def test_integer_problems_bad_input():
    with pytest.raises(AnsibleFilterError, match='mapping'):
        F.postgres_integer_problems([1, 2])
