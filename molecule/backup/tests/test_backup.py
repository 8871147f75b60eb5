"""Verify the `backup` scenario: pgBackRest with WAL archiving into a local and an offsite S3 repository, the
logical sets with the configuration archive, restore.yml (point in time, latest, logical, MinIO, configuration),
restore_drill.yml, verification of a corrupted repository, metrics, permissions and retention.

The tests run in file order (they build on each other): the first converge's backups are checked, then rows A are
written, time T noted, rows B written, and restore.yml is run with ansible-playbook against this scenario's
inventory; retention runs last, because it takes more backups and removes sets. tests/test_aa_postgres.py runs
before this file on the same host and puts back what it changes (its tables dropped, tuning and password converged back).
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import time

import yaml

testinfra_hosts = ['ansible://backup-host']

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
with open(os.path.join(HERE, '..', 'molecule.yml'), encoding='utf-8') as _fh:
    GIVEN = yaml.safe_load(_fh)['provisioner']['inventory']['group_vars']['all']

BACKUP_DIR = '/opt/supabase/backups'
LATEST = BACKUP_DIR + '/latest'
SET_FILES = {'globals.sql', 'postgres.dump', '_supabase.dump', 'config.tar.gz', 'volume-redis_data.tar.gz',
             'volume-caddy_data.tar.gz', 'backup.info', 'SHA256SUMS'}
REPO1 = '/var/lib/docker/volumes/db_backup/_data'
PASSWORD = GIVEN['supabase_postgres_password']
SECRETS = [GIVEN[k] for k in ('supabase_postgres_password', 'supabase_backup_cipher_pass', 'supabase_backup_s3_key_secret',
                              'supabase_minio_root_password')]
METRICS = '/var/lib/prometheus/node-exporter/supabase_backup.prom'
STATE = {}


def psql(host, sql):
    return host.check_output('docker exec supabase-db psql -X -A -t -U postgres -d postgres -c %s' % _quote(sql))


def _quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def pgbr(host, *args):
    return host.run('docker exec -u postgres supabase-db pgbackrest --stanza=supabase %s' % ' '.join(args))


def s3(host, container, code):
    """Python with boto3 in one of the S3 servers, as its root user."""
    script = ("import boto3, os, sys\n"
              "c = boto3.client('s3', endpoint_url='http://127.0.0.1:9000', region_name='us-east-1',"
              " aws_access_key_id=os.environ['MINIO_ROOT_USER'], aws_secret_access_key=os.environ['MINIO_ROOT_PASSWORD'])\n"
              + code)
    return host.check_output('docker exec %s /opt/s3/bin/python -c %s' % (container, _quote(script)))


def run_playbook(name, *extra, log='restore.log'):
    """A playbook with ansible-playbook, against the scenario's inventory; returns (rc, output, seconds)."""
    ephemeral = os.environ['MOLECULE_EPHEMERAL_DIRECTORY']
    env = dict(os.environ,
               ANSIBLE_CONFIG=os.path.join(ephemeral, 'ansible.cfg'),
               ANSIBLE_LOG_PATH=os.path.join(ephemeral, log),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'collections'),
               ANSIBLE_FORCE_COLOR='false')
    # The scenario's plain host is in group edge, which the playbooks' preflight and health.yml would reach.
    cmd = [shutil.which('ansible-playbook') or 'ansible-playbook', '-i', os.path.join(ephemeral, 'inventory'),
           '--limit', 'backup-host,localhost', os.path.join(ROOT, 'playbooks', name)] + list(extra)
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=900, check=False)
    seconds = time.monotonic() - started
    print('%s %s: rc %s in %.0fs' % (name, ' '.join(extra), proc.returncode, seconds))
    return proc.returncode, proc.stdout, seconds


def run_restore(*extra):
    return run_playbook('restore.yml', *extra)


def journal(host, unit='supabase-backup.service'):
    return host.run('journalctl --unit %s --no-pager --output cat' % unit).stdout


def info(host, repo):
    out = pgbr(host, '--repo=%d' % repo, 'info', '--output=json')
    assert out.rc == 0, out.stderr
    return json.loads(out.stdout)[0]


def notes(host):
    return psql(host, 'SELECT string_agg(note, \',\' ORDER BY id) FROM public.molecule_notes').strip()


# --- the first converge: image, archiving, both repositories ---

def test_database_runs_the_derived_image_with_archiving(host):
    image = host.check_output("docker inspect -f '{{.Config.Image}}' supabase-db")
    assert image.startswith('selfhost-local/postgres-pgbackrest:')
    assert 'pgBackRest 2.' in host.check_output('docker exec supabase-db pgbackrest version')
    assert psql(host, 'SHOW archive_mode').strip() == 'on'
    assert psql(host, 'SHOW archive_command').strip() == 'pgbackrest --stanza=supabase archive-push %p'
    archived = psql(host, 'SELECT archived_count FROM pg_stat_archiver').strip()
    assert int(archived) > 0, journal(host)
    # Segments written before converge created the stanza failed once; the last attempt succeeded.
    assert psql(host, 'SELECT last_failed_time IS NULL OR last_archived_time > last_failed_time FROM pg_stat_archiver').strip() == 't'


def test_both_repositories_hold_full_and_diff_encrypted(host):
    for repo in (1, 2):
        stanza = info(host, repo)
        assert stanza['cipher'] == 'aes-256-cbc'
        types = sorted(b['type'] for b in stanza['backup'])
        assert 'full' in types and 'diff' in types, (repo, types)
        assert stanza['status']['code'] == 0, stanza['status']


def test_offsite_bucket_has_the_repository_encrypted(host):
    keys = s3(host, 'backup-offsite-s3', "print('\\n'.join(o['Key'] for p in c.get_paginator('list_objects_v2')"
                                         ".paginate(Bucket='supabase-offsite') for o in p.get('Contents', [])))").split()
    repo = [k for k in keys if k.startswith('backup-host/pgbackrest/')]
    assert any('/archive/supabase/' in k for k in repo) and any('/backup/supabase/' in k for k in repo)
    head = s3(host, 'backup-offsite-s3', "import sys; sys.stdout.write(c.get_object(Bucket='supabase-offsite', "
              "Key='backup-host/pgbackrest/backup/supabase/backup.info')['Body'].read()[:8].decode('latin-1'))")
    assert head == 'Salted__'  # OpenSSL's encrypted-file header: not the plain INI pgBackRest writes unencrypted
    assert any(k.startswith('backup-host/logical/') and k.endswith('/postgres.dump') for k in keys)
    assert 'backup-host/minio/supabase-storage/avatars/molecule.bin' in keys


def test_repository_and_sets_private(host):
    loose = host.run("find %s %s -mindepth 1 \\( -type f ! -perm 0600 -o -type d ! -perm 0700 \\) -printf '%%m %%p\\n'"
                     % (REPO1, BACKUP_DIR)).stdout
    loose = [line for line in loose.splitlines() if not line.endswith('/.lock')]
    assert loose == []
    assert host.file(REPO1).mode == 0o700
    conf = host.file('/opt/supabase/backup/pgbackrest/pgbackrest.conf')
    assert conf.mode == 0o600 and conf.uid != 0
    assert host.file('/opt/supabase/backup/rclone.env').mode == 0o600


def test_metrics_in_textfile_format(host):
    text = host.file(METRICS).content_string
    assert 'supabase_backup_last_run_success 1' in text
    for repo in (1, 2):
        for kind in ('full', 'diff'):
            assert re.search(r'^supabase_backup_physical_last_success_timestamp_seconds\{repo="%d",type="%s"\} \d{10}$'
                             % (repo, kind), text, re.M), text
            assert re.search(r'^supabase_backup_physical_last_size_bytes\{repo="%d",type="%s"\} \d+$' % (repo, kind), text, re.M)
    assert re.search(r'^supabase_backup_wal_last_archived_timestamp_seconds \d{10}$', text, re.M), text
    assert re.search(r'^supabase_backup_logical_last_size_bytes [1-9]\d*$', text, re.M)


# --- the logical set (unchanged contract) with the configuration archive ---

def test_set_files_private_and_complete(host):
    files = set(host.check_output('ls -A %s' % LATEST).split())
    assert files == SET_FILES, journal(host)
    out = host.run('cd %s && sha256sum --check --strict SHA256SUMS' % LATEST)
    assert out.rc == 0, out.stdout + out.stderr


def test_config_archive_holds_the_configuration(host):
    names = host.check_output('tar -tzf %s/config.tar.gz' % LATEST).split()
    assert 'opt/supabase/postgres/settings.conf' in names
    assert 'opt/supabase/backup/pgbackrest/pgbackrest.conf' in names
    assert not [n for n in names if n.startswith('opt/supabase/backups/')]
    caddy = host.check_output('tar -tzf %s/volume-caddy_data.tar.gz' % LATEST).split()
    assert './caddy/pki/authorities/local/root.crt' in caddy


def test_timers_installed(host):
    assert host.service('supabase-backup.timer').is_enabled
    assert not host.service('supabase-backup-drill.timer').is_enabled


def test_set_fetched_to_controller(host):
    base = os.path.join(os.environ['MOLECULE_EPHEMERAL_DIRECTORY'], 'fetched', 'backup-host')
    sets = os.listdir(base)
    assert len(sets) == 1
    assert set(os.listdir(os.path.join(base, sets[0]))) == SET_FILES


# --- point-in-time recovery: rows A, time T, rows B ---

def test_write_a_then_t_then_b(host):
    psql(host, "INSERT INTO public.molecule_notes (id, note) VALUES (101, 'A1'), (102, 'A2')")
    time.sleep(1.5)
    STATE['t'] = psql(host, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'").strip()
    time.sleep(1.5)
    psql(host, "INSERT INTO public.molecule_notes (id, note) VALUES (201, 'B1'), (202, 'B2')")
    # check switches the WAL segment and waits until it is in both repositories.
    out = pgbr(host, 'check')
    assert out.rc == 0, out.stderr
    assert notes(host) == 'first,second,third,A1,A2,B1,B2'


def test_restore_refused_without_confirm(host):
    rc, out, _ = run_restore('-e', 'restore_set=latest')
    assert rc != 0
    assert 'Refusing to restore' in out and 'restore_confirm=true' in out


def test_restore_refuses_a_label_not_in_the_repository(host):
    rc, out, _ = run_restore('-e', 'restore_confirm=true', '-e', 'restore_set=20000101-000000F')
    assert rc != 0 and 'has no backup 20000101-000000F' in out
    assert notes(host) == 'first,second,third,A1,A2,B1,B2'


def test_restore_to_t_from_the_offsite_repository(host):
    started = host.check_output("docker inspect -f '{{.State.StartedAt}}' supabase-rest")
    rc, out, seconds = run_restore('-e', 'restore_confirm=true', '-e', 'restore_repo=2',
                                   '-e', json.dumps({'restore_target_time': STATE['t']}))
    assert rc == 0, out[-5000:]
    assert notes(host) == 'first,second,third,A1,A2'  # A present, B absent
    assert host.check_output("docker inspect -f '{{.State.Running}}' supabase-rest") == 'true'
    assert host.check_output("docker inspect -f '{{.State.StartedAt}}' supabase-rest") != started
    assert 'authenticator' in psql(host, "SELECT rolname FROM pg_roles WHERE rolname = 'authenticator'")
    assert 'Health' in out
    print('restore to T from repo2: %.0fs' % seconds)


def test_restore_to_latest_from_the_local_repository(host):
    # After a point-in-time restore the server is on a new timeline; `current` follows the backup's own
    # timeline to its end, where rows B are.
    rc, out, seconds = run_restore('-e', 'restore_confirm=true', '-e', 'restore_target_timeline=current')
    assert rc == 0, out[-5000:]
    assert notes(host) == 'first,second,third,A1,A2,B1,B2'  # A and B
    print('restore to latest from repo1: %.0fs' % seconds)


def test_archiving_goes_on_after_the_restores(host):
    out = pgbr(host, 'check')
    assert out.rc == 0, out.stderr


# --- restore drill and verification ---

def test_restore_drill_passes_and_leaves_the_live_database(host):
    live = host.check_output("docker inspect -f '{{.State.StartedAt}}' supabase-db")
    rc, out, seconds = run_playbook('restore_drill.yml', log='drill.log')
    assert rc == 0, out[-5000:]
    assert 'Restore drill passed' in out and 'public.molecule_notes has' in out
    report = json.loads(host.file(BACKUP_DIR + '/drill/last.json').content_string)
    assert report['ok'] is True and report['rows'] >= 3
    assert host.check_output("docker inspect -f '{{.State.StartedAt}}' supabase-db") == live
    assert host.run('docker inspect supabase-backup-drill').rc != 0  # the scratch container is gone
    assert 'supabase_backup_drill_last_success 1' in host.file(
        '/var/lib/prometheus/node-exporter/supabase_backup_drill.prom').content_string
    print('drill: %.0fs' % seconds)


def _segments(host):
    return host.check_output("find %s/archive/supabase -name '000000010000000000000*.gz' -type f | sort" % REPO1).split()


def test_verify_detects_damaged_bytes(host):
    """Bytes overwritten in the oldest archived WAL file (encrypted, compressed): verify aborts with an error."""
    segment = _segments(host)[0]
    host.check_output('cp -a %s /root/segment.keep' % segment)
    try:
        host.check_output("printf 'corrupted' | dd of=%s bs=1 seek=64 conv=notrunc status=none" % segment)
        out = pgbr(host, '--repo=1', 'verify', '--output=text')
    finally:
        host.check_output('cp -a /root/segment.keep %s' % segment)
    print(out.stdout + out.stderr)
    assert out.rc != 0 and 'ERROR' in out.stderr + out.stdout
    assert pgbr(host, '--repo=1', 'verify', '--output=text').rc == 0  # and passes again with the file put back


def test_drill_reports_a_file_whose_checksum_is_wrong(host):
    """The oldest WAL file replaced by another valid one (silent corruption: it decrypts and decompresses): the drill's
    verify names the file, the drill fails and its metric says so."""
    first, second = _segments(host)[:2]
    host.check_output('cp -a %s /root/segment.keep && cp %s %s' % (first, second, first))
    try:
        rc, drill, _ = run_playbook('restore_drill.yml', log='drill.log')
    finally:
        host.check_output('cp -a /root/segment.keep %s' % first)
    assert rc != 0
    assert 'pgbackrest verify found errors in repo1' in drill
    assert "invalid checksum '15-1/0000000100000000/%s'" % os.path.basename(first) in drill, drill[-3000:]
    assert 'supabase_backup_drill_last_success 0' in host.file(
        '/var/lib/prometheus/node-exporter/supabase_backup_drill.prom').content_string


# --- MinIO objects and the configuration archive, byte for byte ---

def test_minio_object_and_config_archive_restored_byte_for_byte(host):
    digest = ("import hashlib; print(hashlib.sha256(c.get_object(Bucket='supabase-storage', "
              "Key='avatars/molecule.bin')['Body'].read()).hexdigest())")
    before = s3(host, 'supabase-minio', digest).strip()
    # The disaster: the object is gone from the stack's object store.
    s3(host, 'supabase-minio', "c.delete_object(Bucket='supabase-storage', Key='avatars/molecule.bin')")
    host.run('rm -rf /root/config-restore')
    rc, out, seconds = run_restore('-e', 'restore_confirm=true', '-e', 'restore_database=false', '-e', 'restore_minio=true',
                                   '-e', 'restore_config=true', '-e', 'restore_config_dest=/root/config-restore')
    assert rc == 0, out[-5000:]
    assert s3(host, 'supabase-minio', digest).strip() == before
    for path in ('opt/supabase/postgres/settings.conf', 'opt/supabase/backup/pgbackrest/pgbackrest.conf',
                 'opt/supabase/backup/supabase-backup.sh'):
        assert host.run('cmp /%s /root/config-restore/%s' % (path, path)).rc == 0, path
    assert host.file('/root/config-restore/opt/supabase/backup/pgbackrest/pgbackrest.conf').mode == 0o600
    print('MinIO + configuration restore: %.0fs' % seconds)


# --- logical restore (pg_dump sets) still works ---

def test_restore_refuses_a_tampered_logical_set(host):
    bad = '20000101T000000Z-daily'
    host.check_output('cp -a %s/ %s/%s && echo tampered >> %s/%s/postgres.dump' % (LATEST, BACKUP_DIR, bad, BACKUP_DIR, bad))
    try:
        rc, out, _ = run_restore('-e', 'restore_set=' + bad, '-e', 'restore_confirm=true')
    finally:
        host.run('rm -rf %s/%s' % (BACKUP_DIR, bad))
    assert rc != 0
    assert 'does not match its SHA256SUMS' in out and 'postgres.dump: FAILED' in out


def test_logical_restore_brings_the_first_converges_rows_back(host):
    name = host.check_output('readlink %s' % LATEST)
    rc, out, _ = run_restore('-e', 'restore_set=' + name, '-e', 'restore_confirm=true')
    assert rc == 0, out[-4000:]
    assert notes(host) == 'first,second,third'


def test_no_secret_in_ansible_logs():
    """converge, idempotence and every playbook run of verify. ansible.log also holds the verifier's own
    inventory dumps (testinfra runs ansible-inventory, which prints the test values): the part checked is the
    one around this run's converge, between two such dumps."""
    ephemeral = os.environ['MOLECULE_EPHEMERAL_DIRECTORY']
    dump = '"_meta": {'
    with open(os.path.join(ephemeral, 'ansible.log'), encoding='utf-8', errors='replace') as fh:
        text = fh.read()
    # Everything before the verifier's first inventory dump: create, prepare, converge and idempotence.
    end = text.find(dump)
    converge_log = text[:end if end >= 0 else len(text)]
    assert 'Write pgbackrest.conf' in converge_log and 'Take the first full backup' in converge_log
    logs = [converge_log]
    for name in ('restore.log', 'drill.log'):
        with open(os.path.join(ephemeral, name), encoding='utf-8', errors='replace') as fh:
            logs.append(fh.read())
    assert 'pgbackrest' in logs[1] and 'Restore drill' in logs[2]
    generated = yaml.safe_load(open(os.path.join(ephemeral, 'supabase-secrets.yml'), encoding='utf-8'))
    secrets = SECRETS + [v for v in (generated or {}).values() if isinstance(v, str) and len(v) >= 16]
    for log in logs:
        for secret in secrets:
            assert secret not in log


def test_retention_is_calendar_based(host):
    """All sets of this run are from one day: with 2 daily / 1 weekly / 1 monthly only the newest survives, and in
    each repository the newest differential and the full it needs."""
    host.check_output('systemctl start supabase-backup.service')
    sets = sorted(host.check_output("find %s -mindepth 1 -maxdepth 1 -type d -name '*Z-*' -printf '%%f\\n'"
                                    % BACKUP_DIR).split())
    assert sets == [host.check_output('readlink %s' % LATEST)], sets
    for repo in (1, 2):
        backups = info(host, repo)['backup']
        assert sorted(b['type'] for b in backups) == ['diff', 'full'], (repo, [b['label'] for b in backups])
        assert backups[1]['prior'] == backups[0]['label']
    assert 'expiring pgBackRest backup' in journal(host)
