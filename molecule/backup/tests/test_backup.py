"""Verify the `backup` scenario: the backup role on a REAL PostgreSQL 15 (offline image) and restore.yml.

The tests run in file order: the backup set of the first converge is checked, then restore.yml is run
with ansible-playbook against this scenario's inventory (refused, tampered set, real restore), and the
retention test last, because it runs more backups and removes sets.
"""
import os
import shutil
import subprocess

import yaml

testinfra_hosts = ['ansible://backup-host']

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
with open(os.path.join(HERE, '..', 'molecule.yml'), encoding='utf-8') as _fh:
    GIVEN = yaml.safe_load(_fh)['provisioner']['inventory']['group_vars']['all']

BACKUP_DIR = '/opt/supabase/backups'
LATEST = BACKUP_DIR + '/latest'
SET_FILES = {'globals.sql', 'postgres.dump', '_supabase.dump', 'volume-redis_data.tar.gz', 'backup.info', 'SHA256SUMS'}
PASSWORD = GIVEN['supabase_postgres_password']


def psql(host, sql):
    return host.check_output('docker exec supabase-db psql -X -A -t -U postgres -d postgres -c %s' % _quote(sql))


def _quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def run_restore(*extra):
    """restore.yml with ansible-playbook, against the scenario's inventory; returns (rc, output)."""
    ephemeral = os.environ['MOLECULE_EPHEMERAL_DIRECTORY']
    env = dict(os.environ,
               ANSIBLE_CONFIG=os.path.join(ephemeral, 'ansible.cfg'),
               ANSIBLE_LOG_PATH=os.path.join(ephemeral, 'restore.log'),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'collections'),
               ANSIBLE_FORCE_COLOR='false')
    cmd = [shutil.which('ansible-playbook') or 'ansible-playbook', '-i', os.path.join(ephemeral, 'inventory'),
           os.path.join(ROOT, 'playbooks', 'restore.yml')] + list(extra)
    proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=600, check=False)
    return proc.returncode, proc.stdout


def journal(host):
    return host.run('journalctl --unit supabase-backup.service --no-pager --output cat').stdout


def test_backup_dir_private(host):
    d = host.file(BACKUP_DIR)
    assert d.is_directory and d.user == 'root' and d.mode == 0o700
    assert host.file(LATEST).is_symlink


def test_set_files_private_and_complete(host):
    files = set(host.check_output('ls -A %s' % LATEST).split())
    assert files == SET_FILES, journal(host)
    for name in files:
        f = host.file('%s/%s' % (LATEST, name))
        assert f.user == 'root' and f.mode == 0o600, name


def test_manifest_checksums_valid(host):
    out = host.run('cd %s && sha256sum --check --strict SHA256SUMS' % LATEST)
    assert out.rc == 0, out.stdout + out.stderr
    listed = {line.split(':')[0] for line in out.stdout.splitlines()}
    assert listed == SET_FILES - {'SHA256SUMS'}


def test_dump_lists_table_with_rows(host):
    listing = host.check_output('docker exec -i supabase-db pg_restore --list < %s/postgres.dump' % LATEST)
    assert 'TABLE public molecule_notes' in listing
    assert 'TABLE DATA public molecule_notes' in listing
    data = host.check_output('docker exec -i supabase-db pg_restore --data-only --table=molecule_notes --file=- < %s/postgres.dump'
                             % LATEST)
    for note in ('first', 'second', 'third'):
        assert '\t%s\n' % note in data


def test_volume_archive_holds_the_aof(host):
    names = host.check_output('tar -tzf %s/volume-redis_data.tar.gz' % LATEST).split()
    assert './appendonlydir/appendonly.aof' in names


def test_info_names_the_server(host):
    info = host.file(LATEST + '/backup.info').content_string
    assert 'server_version=15.' in info
    assert 'databases=postgres _supabase' in info


def test_timer_enabled_and_scheduled(host):
    assert host.service('supabase-backup.timer').is_enabled
    assert host.service('supabase-backup.timer').is_running
    assert 'supabase-backup.timer' in host.check_output('systemctl list-timers --all --no-pager')


def test_password_only_in_its_0600_file(host):
    pw = host.file('/opt/supabase/backup/pgpassword')
    assert pw.mode == 0o600 and pw.content_string == PASSWORD
    for path in ('/opt/supabase/backup/supabase-backup.sh', '/etc/systemd/system/supabase-backup.service',
                 '/etc/systemd/system/supabase-backup.timer'):
        assert PASSWORD not in host.file(path).content_string, path
    assert PASSWORD not in journal(host)


def test_set_fetched_to_controller(host):
    """converge set backup_fetch_to (first converge): the set is on the controller, private."""
    base = os.path.join(os.environ['MOLECULE_EPHEMERAL_DIRECTORY'], 'fetched', 'backup-host')
    sets = os.listdir(base)
    assert len(sets) == 1
    fetched = os.path.join(base, sets[0])
    assert set(os.listdir(fetched)) == SET_FILES
    assert os.stat(fetched).st_mode & 0o777 == 0o700
    assert host.run('test -d %s/%s' % (BACKUP_DIR, sets[0])).rc == 0


def test_restore_refused_without_confirm(host):
    rc, out = run_restore('-e', 'restore_set=latest')
    assert rc != 0
    assert 'Refusing to restore' in out and 'restore_confirm=true' in out


def test_restore_refuses_a_tampered_set(host):
    psql(host, 'DELETE FROM public.molecule_notes WHERE id = 3')
    bad = '20000101T000000Z-daily'
    host.check_output('cp -a %s/ %s/%s && echo tampered >> %s/%s/postgres.dump' % (LATEST, BACKUP_DIR, bad, BACKUP_DIR, bad))
    try:
        rc, out = run_restore('-e', 'restore_set=' + bad, '-e', 'restore_confirm=true')
    finally:
        host.run('rm -rf %s/%s' % (BACKUP_DIR, bad))
    assert rc != 0
    assert 'does not match its SHA256SUMS' in out and 'postgres.dump: FAILED' in out
    assert psql(host, 'SELECT count(*) FROM public.molecule_notes').strip() == '2'


def test_restore_brings_rows_back(host):
    psql(host, 'DELETE FROM public.molecule_notes WHERE id > 1')
    started = host.check_output("docker inspect -f '{{.State.StartedAt}}' supabase-rest")
    rc, out = run_restore('-e', 'restore_set=latest', '-e', 'restore_confirm=true')
    assert rc == 0, out[-4000:]
    assert psql(host, 'SELECT count(*) FROM public.molecule_notes').strip() == '3'
    # The writer was stopped for the restore and started again.
    assert host.check_output("docker inspect -f '{{.State.Running}}' supabase-rest") == 'true'
    assert host.check_output("docker inspect -f '{{.State.StartedAt}}' supabase-rest") != started
    # The contract holds after the restore: the API roles log in again.
    assert 'authenticator' in psql(host, "SELECT rolname FROM pg_roles WHERE rolname = 'authenticator'")


def test_no_secret_in_ansible_logs():
    """What converge, idempotence and the restore runs logged. ansible.log also holds the verifier's own
    inventory dumps (testinfra runs ansible-inventory, which prints the test values): the part checked is
    the one around this run's converge, between two such dumps."""
    ephemeral = os.environ['MOLECULE_EPHEMERAL_DIRECTORY']
    dump = '"_meta": {'
    with open(os.path.join(ephemeral, 'ansible.log'), encoding='utf-8', errors='replace') as fh:
        text = fh.read()
    converge_at = text.rindex('Start supabase-backup.service')
    end = text.find(dump, converge_at)
    converge_log = text[text.rfind(dump, 0, converge_at) + 1:end if end >= 0 else len(text)]
    with open(os.path.join(ephemeral, 'restore.log'), encoding='utf-8', errors='replace') as fh:
        restore_log = fh.read()
    assert 'pg_restore' in restore_log
    assert PASSWORD not in converge_log
    assert PASSWORD not in restore_log


def test_retention_keeps_newest_daily_and_weekly(host):
    for _ in range(3):
        host.check_output('sleep 1 && systemctl start supabase-backup.service')
    sets = sorted(host.check_output("find %s -mindepth 1 -maxdepth 1 -type d -name '*Z-*' -printf '%%f\\n'"
                                    % BACKUP_DIR).split())
    weekly = [s for s in sets if s.endswith('-weekly')]
    daily = [s for s in sets if s.endswith('-daily')]
    # keep_daily 2: the two newest sets; keep_weekly 1: the first set of this week, taken by converge.
    assert len(weekly) == 1 and len(daily) == 2, sets
    assert sets[-1] == host.check_output('readlink %s' % LATEST)
