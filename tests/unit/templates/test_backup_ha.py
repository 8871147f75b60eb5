"""Backups of a database cluster (postgres_ha; docs/ha.md, "Backups"): what the postgres and backup roles render.

- pgbackrest.conf: under postgres_ha no local repository, the S3 repository (repo2) at one path for every member
  (backup_ha_repo_path), pg1-path Patroni's data directory; one database host keeps both repositories, per host.
- the backup script: under postgres_ha it asks Patroni (/primary) first and skips (exit 0) on a member that does not
  lead; one database host has no such step.
- Patroni's configuration: archive_mode, archive_command, archive_timeout and restore_command are cluster-wide
  (bootstrap.dcs, kept by PATCH /config), not per member; turning archiving off sends nulls for them; restore.yml's
  bootstrap from the repository (Patroni's custom bootstrap) renders pgbackrest restore with the target.
"""
import shlex

import yaml

from rendering import render_template, render_var

DB = ['db1', 'db2', 'db3']
OFFSITE = dict(backup_offsite_enabled=True, backup_offsite_s3_endpoint='s3.example.com:9443',
               backup_offsite_s3_bucket='supabase-backups', backup_offsite_s3_key='unit-s3-key',
               backup_offsite_s3_key_secret='unit-s3-secret', backup_pgbackrest_cipher_pass='unit-cipher-' + 'x' * 32)


def _backup(name, ha, host='db2', **extra):
    kw = dict(OFFSITE, inventory_hostname=host, ansible_managed='managed', groups={'db': DB}, postgres_ha=ha)
    kw.update(extra)
    return render_template('backup', name, **kw)


def _conf(text):
    return dict(line.split('=', 1) for line in text.splitlines() if '=' in line and not line.startswith('#'))


def test_pgbackrest_conf_of_a_cluster_member_has_the_shared_s3_repository_only():
    conf = [_conf(_backup('pgbackrest.conf.j2', True, host=h)) for h in DB]
    assert conf[0] == conf[1] == conf[2], 'every member writes the same configuration'
    c = conf[0]
    assert not any(k.startswith('repo1-') for k in c), c
    assert c['repo2-type'] == 's3' and c['repo2-path'] == '/supabase/pgbackrest'
    assert c['repo2-s3-endpoint'] == 's3.example.com' and c['repo2-storage-port'] == '9443'
    assert c['pg1-path'] == '/var/lib/postgresql/data/pgdata'
    custom = _conf(_backup('pgbackrest.conf.j2', True, backup_ha_repo_path='/prod/pg'))
    assert custom['repo2-path'] == '/prod/pg'


def test_pgbackrest_conf_of_one_database_host_keeps_both_repositories_per_host():
    c = _conf(_backup('pgbackrest.conf.j2', False))
    assert c['repo1-path'] == '/var/lib/pgbackrest'
    assert c['repo2-path'] == '/db2/pgbackrest'
    assert c['pg1-path'] == '/var/lib/postgresql/data'
    assert render_var('backup', '__backup_repos', backup_offsite_enabled=True, inventory_hostname='db2') == [1, 2]
    assert render_var('backup', '__backup_repos', backup_offsite_enabled=True, postgres_ha=True, inventory_hostname='db2') == [2]
    assert render_var('backup', 'backup_drill_repo', postgres_ha=True) == 2
    assert render_var('backup', 'backup_drill_repo') == 1


def test_backup_script_of_a_cluster_member_skips_unless_it_leads():
    script = _backup('supabase-backup.sh.j2', True)
    probe = script.index('/primary')
    assert script.index('stamp=') < probe < script.index('# --- 1. physical backups ---')
    block = script[probe - 200:script.index('# --- 1. physical backups ---')]
    assert 'status=0' in block and 'exit 0' in block and 'skipped' in block
    assert 'http://127.0.0.1:8008/primary' in block
    assert 'REPOS=(2)' in script
    # MinIO runs on the first db host only: its copy is off by default under postgres_ha.
    assert 'MINIO=false' in script
    single = _backup('supabase-backup.sh.j2', False)
    assert '/primary' not in single and 'REPOS=(1 2)' in single and 'MINIO=true' in single


def _pg(**extra):
    kw = dict(inventory_hostname='db1', ansible_managed='managed', groups={'db': DB}, postgres_memory_mb=1024,
              postgres_ha=True, supabase_private_address='10.0.0.11',
              hostvars={h: {'supabase_private_address': '10.0.0.1%d' % i} for i, h in enumerate(DB, 1)})
    kw.update(extra)
    return kw


def test_archiving_under_patroni_is_cluster_wide():
    dcs = render_var('postgres', '__postgres_patroni_dcs', **_pg(postgres_wal_archive=True))
    params = dcs['postgresql']['parameters']
    assert params['archive_mode'] == 'on'  # not always: a replica never archives
    assert params['archive_command'] == 'pgbackrest --stanza=supabase archive-push %p'
    assert int(params['archive_timeout']) == 60
    assert dcs['postgresql']['recovery_conf'] == {'restore_command': 'pgbackrest --stanza=supabase archive-get %f "%p"'}
    assert dcs['postgresql']['use_slots'] is True
    local = render_var('postgres', '__postgres_patroni_local_settings', **_pg(postgres_wal_archive=True))
    assert not any(k.startswith('archive_') for k in local), local
    # What PATCH /config is asked for equals the bootstrap while archiving is on.
    assert render_var('postgres', '__postgres_patroni_dcs_wanted', **_pg(postgres_wal_archive=True)) == dcs
    # Not the local repository volume: the shared S3 one.
    assert render_var('postgres', '__postgres_archive_volumes', **_pg(postgres_wal_archive=True)) == [
        '/opt/supabase/backup/pgbackrest:/etc/pgbackrest:ro']


def test_archiving_off_under_patroni_asks_etcd_to_drop_it():
    dcs = render_var('postgres', '__postgres_patroni_dcs', **_pg(postgres_wal_archive=False))
    assert 'recovery_conf' not in dcs['postgresql']
    assert not any(k.startswith('archive_') for k in dcs['postgresql']['parameters'])
    wanted = render_var('postgres', '__postgres_patroni_dcs_wanted', **_pg(postgres_wal_archive=False))
    assert wanted['postgresql']['recovery_conf'] is None
    assert {k: v for k, v in wanted['postgresql']['parameters'].items() if k.startswith('archive_')} == {
        'archive_mode': None, 'archive_command': None, 'archive_timeout': None}
    assert wanted['postgresql']['parameters']['wal_level'] == 'logical'


def test_patroni_yml_bootstraps_from_the_repository_only_for_a_restore():
    normal = yaml.safe_load(render_template('postgres', 'patroni.yml.j2', **_pg(postgres_wal_archive=True)))
    assert 'method' not in normal['bootstrap'] and 'pgbackrest' not in normal['bootstrap']
    assert normal['bootstrap']['dcs']['postgresql']['parameters']['archive_mode'] == 'on'
    restore = {'args': ['--repo=2', '--target-timeline=latest', '--type=time', '--target=2026-12-03 15:00:00+00',
                        '--target-action=promote'],
               'recovery': {'recovery_target_timeline': 'latest', 'recovery_target_time': '2026-12-03 15:00:00+00',
                            'recovery_target_action': 'promote'}}
    conf = yaml.safe_load(render_template('postgres', 'patroni.yml.j2',
                                          **_pg(postgres_wal_archive=True, __postgres_patroni_restore=restore)))
    boot = conf['bootstrap']
    assert boot['method'] == 'pgbackrest'
    method = boot['pgbackrest']
    # Patroni splits the command with shlex: the target time stays one argument.
    assert shlex.split(method['command']) == ['pgbackrest', '--stanza=supabase', '--repo=2', '--target-timeline=latest',
                                              '--type=time', '--target=2026-12-03 15:00:00+00', '--target-action=promote',
                                              'restore']
    assert method['no_params'] is True and method['keep_existing_recovery_conf'] is False
    assert method['recovery_conf'] == {'restore_command': 'pgbackrest --stanza=supabase archive-get %f "%p"',
                                       'recovery_target_timeline': 'latest',
                                       'recovery_target_time': '2026-12-03 15:00:00+00',
                                       'recovery_target_action': 'promote'}
    # The rest of the file is the converge's.
    assert {k: v for k, v in conf.items() if k != 'bootstrap'} == {k: v for k, v in normal.items() if k != 'bootstrap'}
    assert boot['dcs'] == normal['bootstrap']['dcs']
