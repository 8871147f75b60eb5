"""plugins/filter/postgres.py: the server command line and the integer setting checks."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.selfhost.supabase.plugins.filter import postgres as F


def test_registered():
    assert set(F.FilterModule().filters()) == {'postgres_command', 'postgres_integer_problems', 'patroni_config_changes'}


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


# --- patroni_config_changes: what PATCH /config must send

WANTED = {'ttl': '20', 'loop_wait': 5, 'synchronous_mode': 'True',
          'postgresql': {'use_pg_rewind': True, 'use_slots': True}}


def test_patroni_nothing_differs_across_types():
    current = {'ttl': 20, 'loop_wait': 5, 'synchronous_mode': True, 'retry_timeout': 10,
               'postgresql': {'use_pg_rewind': True, 'use_slots': True, 'parameters': {'max_connections': 200}}}
    assert F.patroni_config_changes(WANTED, current) == {}


def test_patroni_changed_and_missing_keys_only():
    current = {'ttl': 30, 'loop_wait': 5, 'postgresql': {'use_pg_rewind': True, 'use_slots': False}}
    assert F.patroni_config_changes(WANTED, current) == {
        'ttl': '20', 'synchronous_mode': 'True', 'postgresql': {'use_slots': True}}


def test_patroni_sync_mode_turned_off():
    current = {'ttl': 20, 'loop_wait': 5, 'synchronous_mode': True, 'postgresql': {'use_pg_rewind': True, 'use_slots': True}}
    assert F.patroni_config_changes(dict(WANTED, synchronous_mode=False), current) == {'synchronous_mode': False}


def test_patroni_no_current_config():
    assert F.patroni_config_changes(WANTED, None) == WANTED
    assert F.patroni_config_changes({'postgresql': {'use_slots': True}}, {'postgresql': 'x'}) == {'postgresql': {'use_slots': True}}


def test_patroni_bad_input():
    with pytest.raises(AnsibleFilterError, match='mapping of the wanted'):
        F.patroni_config_changes(['ttl'], {})
    with pytest.raises(AnsibleFilterError, match='current settings'):
        F.patroni_config_changes({}, ['ttl'])
