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


# WAL archiving under Patroni (docs/ha.md, "Backups"): archive_* parameters and restore_command (recovery_conf)
# are cluster-wide; turning archiving off sends null for what etcd holds, and nothing once it is gone.
ARCHIVE = {'postgresql': {'recovery_conf': {'restore_command': 'pgbackrest --stanza=supabase archive-get %f "%p"'},
                          'parameters': {'archive_mode': 'on', 'archive_timeout': 60,
                                         'archive_command': 'pgbackrest --stanza=supabase archive-push %p'}}}
ARCHIVE_OFF = {'postgresql': {'recovery_conf': None,
                              'parameters': {'archive_mode': None, 'archive_command': None, 'archive_timeout': None}}}


def test_patroni_archiving_turned_on_sends_the_nested_settings():
    current = {'ttl': 20, 'postgresql': {'use_slots': True, 'parameters': {'wal_level': 'logical'}}}
    assert F.patroni_config_changes(ARCHIVE, current) == ARCHIVE
    same = {'postgresql': {'recovery_conf': {'restore_command': 'pgbackrest --stanza=supabase archive-get %f "%p"'},
                           'parameters': {'archive_mode': 'on', 'archive_timeout': '60', 'wal_level': 'logical',
                                          'archive_command': 'pgbackrest --stanza=supabase archive-push %p'}}}
    assert F.patroni_config_changes(ARCHIVE, same) == {}
    # Another stanza in restore_command: only that setting is sent.
    other = {'postgresql': dict(same['postgresql'], recovery_conf={'restore_command': 'pgbackrest --stanza=old archive-get %f "%p"'})}
    assert F.patroni_config_changes(ARCHIVE, other) == {'postgresql': {'recovery_conf': ARCHIVE['postgresql']['recovery_conf']}}


def test_patroni_archiving_turned_off_removes_what_etcd_holds_only():
    held = {'postgresql': {'recovery_conf': {'restore_command': 'x'}, 'use_slots': True,
                           'parameters': {'archive_mode': 'on', 'archive_command': 'y', 'wal_level': 'logical'}}}
    assert F.patroni_config_changes(ARCHIVE_OFF, held) == {
        'postgresql': {'recovery_conf': None, 'parameters': {'archive_mode': None, 'archive_command': None}}}
    # A cluster that never archived (or once the keys are gone): nothing to send, so a converge stays changed=0.
    assert F.patroni_config_changes(ARCHIVE_OFF, {'postgresql': {'use_slots': True, 'parameters': {'wal_level': 'logical'}}}) == {}
    assert F.patroni_config_changes(ARCHIVE_OFF, {'postgresql': {'recovery_conf': None, 'parameters': {'archive_mode': None}}}) == {}
    assert F.patroni_config_changes(ARCHIVE_OFF, None) == {}


def test_patroni_bad_input():
    with pytest.raises(AnsibleFilterError, match='mapping of the wanted'):
        F.patroni_config_changes(['ttl'], {})
    with pytest.raises(AnsibleFilterError, match='current settings'):
        F.patroni_config_changes({}, ['ttl'])
