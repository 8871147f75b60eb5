"""Backups of the database cluster and its restore (docs/ha.md, "Backups"). Runs last: it replaces the cluster's data.

Every member archives to one pgBackRest repository (pgBackRest 2.45, REAL) in an S3 bucket outside the fleet's hosts
(prepare.yml: moto's S3 server, a real S3 API, behind a TLS front). The test
  1. reads the members' pgBackRest configuration and archiving settings (one shared repository, archive_mode on);
  2. runs playbooks/backup.yml: the backup lands in the repository from the leader; a replica's timer run skips;
  3. writes rows after that backup, then runs restore.yml (restore_confirm): Patroni stopped everywhere, the cluster
     removed from etcd, the first db host bootstrapped from the repository (to the end of the archive), the other
     two cloned from it; the rows are there, one leader and two streaming replicas, the database contract intact,
     every service on both app hosts healthy again, and the new leader archives on;
  4. checks that no secret reached the logs.
Figures are printed (pytest -s): backup seconds, restore seconds, the restore member's time to lead, the replicas'
time to stream.
"""
import json
import os
import re
import shlex
import subprocess
import time
from datetime import datetime

import yaml

from test_ha import DB_HOSTS, _peer, cluster, sql
from test_zz_failover import _all_healthy, _wait

testinfra_hosts = ["fleet-app1"]

ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.getcwd())
STANZA = "supabase"
ROWS = 500
S3_SECRET = "molecule-fleet-backup-Secret-7c2e9a4f1b"  # molecule.yml's TEST-ONLY value
FIGURES = {}


def _playbook(name, log, *extra, timeout=900):
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ephemeral, "ansible.cfg"),
               ANSIBLE_LOG_PATH=os.path.join(ephemeral, log),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "collections"), ANSIBLE_FORCE_COLOR="false")
    if os.path.exists(env["ANSIBLE_LOG_PATH"]):
        os.unlink(env["ANSIBLE_LOG_PATH"])
    cmd = ["ansible-playbook", "-i", os.path.join(ephemeral, "inventory"),
           "-e", "@" + os.path.join(ROOT, "molecule/resources/vars/offline-images.yml"),
           os.path.join(ROOT, "playbooks", name)] + list(extra)
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout, time.monotonic() - started


def _member_sql(member, query):
    """One statement on a member's own server, through its local socket (peer: the container's postgres user)."""
    out = _peer(member).run("docker exec supabase-db psql -X -A -t -h /var/run/postgresql -U postgres -d postgres -c "
                            + shlex.quote(query))
    assert out.rc == 0, (member, out.stderr)
    return out.stdout.strip()


def _pgbr(member, *args):
    return _peer(member).run("docker exec -u postgres supabase-db pgbackrest --stanza=%s %s"
                             % (STANZA, " ".join(shlex.quote(a) for a in args)))


def _backups(member):
    out = _pgbr(member, "info", "--output=json")
    assert out.rc == 0, out.stderr
    return [b for stanza in json.loads(out.stdout) for b in stanza.get("backup", [])]


def _leader():
    return next(m["name"] for m in cluster(_peer("fleet-app1"))["members"] if m["role"] == "leader")


def _timeline(host):
    """The leader's current timeline: the first eight hex digits of the WAL file it writes."""
    return int(sql(host, "select substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)")[0][0], 16)


def _task_times(log):
    """When each task started in an ansible log: {task name: [datetime, ...]}."""
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    out = {}
    with open(os.path.join(ephemeral, log), encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = re.match(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d+) .*?TASK \[(?:[^:\]]+ : )?(.*?)\]", line)
            if m:
                stamp = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp() + int(m.group(2)) / 1000
                out.setdefault(m.group(3), []).append(stamp)
    return out


def test_members_share_one_repository_and_archive_only_as_leader():
    confs = {}
    for member in DB_HOSTS:
        text = _peer(member).file("/opt/supabase/backup/pgbackrest/pgbackrest.conf").content_string
        confs[member] = dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    first = confs["fleet-db1"]
    assert all(c == first for c in confs.values()), "every member has the same pgBackRest configuration"
    assert not any(k.startswith("repo1-") for k in first), "no local repository under postgres_ha"
    assert first["repo2-type"] == "s3" and first["repo2-path"] == "/supabase/pgbackrest"
    assert first["pg1-path"] == "/var/lib/postgresql/data/pgdata"
    leader = _leader()
    for member in DB_HOSTS:
        # archive_mode on, not always: a server in recovery (a replica) never archives.
        assert _member_sql(member, "SHOW archive_mode") == "on", member
        assert "archive-push" in _member_sql(member, "SHOW archive_command"), member
        in_recovery = _member_sql(member, "SELECT pg_is_in_recovery()")
        assert in_recovery == ("f" if member == leader else "t"), (member, leader)
        if member != leader:
            # Patroni writes the cluster's restore_command on its replicas: WAL they lack comes from the repository.
            assert "archive-get" in _member_sql(member, "SHOW restore_command"), member
    # The converge's stanza and first full backup, and WAL archived since (the leader changed in the failover and
    # switchover tests: the archive followed it).
    assert any(b["type"] == "full" for b in _backups(leader))
    assert _pgbr(leader, "check").rc == 0


def test_backup_yml_takes_the_backup_on_the_leader():
    leader = _leader()
    before = {b["label"] for b in _backups(leader)}
    rc, out, seconds = _playbook("backup.yml", "ha-backup.log")
    assert rc == 0, out[-4000:]
    FIGURES["backup"] = seconds
    after = _backups(leader)
    new = [b for b in after if b["label"] not in before]
    assert len(new) == 1, (before, new)
    assert new[0]["database"]["repo-key"] == 2
    FIGURES["backup_label"] = new[0]["label"]
    journal = _peer(leader).check_output("journalctl -u supabase-backup.service --no-pager -o cat -n 200")
    assert "this member is the leader of the database cluster: backing up" in journal, journal[-2000:]
    # A replica's scheduled run (the timer is on every member): skipped, exit 0, no backup.
    replica = next(m for m in DB_HOSTS if m != leader)
    replica_host = _peer(replica)
    assert replica_host.run("systemctl start supabase-backup.service").rc == 0
    journal = replica_host.check_output("journalctl -u supabase-backup.service --no-pager -o cat -n 20")
    assert "not the leader of the database cluster (Patroni /primary): skipped" in journal, journal
    assert [b["label"] for b in _backups(leader)] == [b["label"] for b in after]
    assert replica_host.file("/etc/systemd/system/timers.target.wants/supabase-backup.timer").exists
    print(f"\nHA BACKUP (REAL pgBackRest 2.45, S3 repository shared by the members): backup.yml {seconds:.1f} s, "
          f"{new[0]['type']} backup {new[0]['label']} taken on the leader {leader}; a replica's run skipped")


def test_restore_of_the_cluster_brings_the_rows_back_and_every_member_streams(host):
    sql(host, "drop table if exists public.ha_restore_probe")
    sql(host, "create table public.ha_restore_probe (id int primary key, note text not null)")
    # This run's own rows (a token no earlier run wrote): a restore that brought back an older state of the table
    # does not pass for them.
    token = "run-%d" % time.time_ns()
    sql(host, f"insert into public.ha_restore_probe select i, '{token} ' || i from generate_series(1, {ROWS}) i")
    timeline_before = _timeline(host)

    rc, out, seconds = _playbook("restore.yml", "ha-restore.log", "-e", "restore_confirm=true")
    assert rc == 0, out[-6000:]
    FIGURES["restore"] = seconds
    times = _task_times("ha-restore.log")
    t_lead = times["Write patroni.yml back without the bootstrap from the repository"][0] - \
        times["Start the restore member (Patroni restores, replays the WAL and takes the leader lock)"][0]
    t_stream = times["Report the restore"][0] - times["Start the other members"][0]
    t_stopped_to_streaming = times["Report the restore"][0] - times["Stop Patroni and PostgreSQL on the leader"][0]

    # Through the app host's endpoint (HAProxy as supabase-db): the rows written after the backup are there.
    _wait("the endpoint answering", lambda: host.run(
        "docker exec supabase-auth python3 -c " + shlex.quote(
            "import psycopg2, urllib.parse, os; psycopg2.connect(host='supabase-db', user='postgres', dbname='postgres',"
            " password=urllib.parse.urlsplit(os.environ['GOTRUE_DB_DATABASE_URL']).password, connect_timeout=3)")).rc == 0,
        60)
    assert sql(host, f"select count(*), min(id), max(id) from public.ha_restore_probe where note like '{token} %'") == [
        [ROWS, 1, ROWS]]
    assert sql(host, "select pg_is_in_recovery()") == [[False]]
    timeline_after = _timeline(host)
    assert timeline_after > timeline_before, (timeline_before, timeline_after)

    members = {m["name"]: m for m in cluster(host)["members"]}
    assert set(members) == set(DB_HOSTS), members
    assert members["fleet-db1"]["role"] == "leader", members
    for name in ("fleet-db2", "fleet-db3"):
        # Patroni 3.0.2 says running; later releases say streaming.
        assert members[name]["role"] in ("replica", "sync_standby") and members[name]["state"] in ("running", "streaming"), members
    rows = sql(host, "select application_name, state from pg_stat_replication order by 1")
    assert sorted(r[0] for r in rows) == ["fleet-db2", "fleet-db3"] and {r[1] for r in rows} == {"streaming"}, rows
    # The replicas were cloned from the restored leader: the same rows on them.
    for replica in ("fleet-db2", "fleet-db3"):
        assert _member_sql(replica, f"SELECT count(*) FROM public.ha_restore_probe WHERE note LIKE '{token} %'") == str(ROWS), replica

    # The Supabase database contract (the postgres role's bootstrap ran on the new leader).
    roles = sql(host, "select rolname from pg_roles where rolname in ('anon', 'authenticated', 'service_role', "
                      "'authenticator', 'supabase_auth_admin', 'supabase_storage_admin') order by 1")
    assert len(roles) == 6, roles
    schemas = sql(host, "select nspname from pg_namespace where nspname in ('auth', 'storage', 'extensions', 'realtime')")
    assert len(schemas) == 4, schemas
    t_healthy, _ = _wait("every service healthy on both app hosts", _all_healthy, 120, interval=2)

    # The new leader archives on (a new timeline in the same stanza), and the chain takes another backup.
    leader = _leader()
    assert _pgbr(leader, "check").rc == 0
    FIGURES.update(lead=t_lead, stream=t_stream, healthy=t_healthy)
    print(f"\nHA RESTORE (REAL PostgreSQL 15 + Patroni 3.0.2 + pgBackRest 2.45): restore.yml {seconds:.1f} s; "
          f"fleet-db1 restored from {FIGURES.get('backup_label', '?')} to the end of the archive and leading "
          f"{t_lead:.1f} s after its start; fleet-db2 and fleet-db3 cloned and streaming {t_stream:.1f} s after theirs; "
          f"{t_stopped_to_streaming:.1f} s from the leader's stop to every member streaming; timeline "
          f"{timeline_before} -> {timeline_after}; {ROWS} rows written after the backup present; every service healthy "
          f"{t_healthy:.1f} s after the playbook; backup.yml took {FIGURES.get('backup', 0):.1f} s")


def test_no_secret_in_the_backup_and_restore_logs():
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    with open(os.path.join(inventory, "supabase-secrets.yml"), encoding="utf-8") as f:
        secrets = yaml.safe_load(f)
    values = [secrets[n] for n in ("supabase_postgres_password", "supabase_jwt_secret", "supabase_backup_cipher_pass")
              if secrets.get(n)] + [S3_SECRET]
    assert len(values) == 4
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    for log in ("ansible.log", "ha-backup.log", "ha-restore.log"):
        with open(os.path.join(ephemeral, log), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        if log == "ansible.log":
            # Up to the verifier's first inventory dump (testinfra's ansible-inventory prints the inventory's
            # TEST-ONLY values there): create, prepare, converge and idempotence.
            end = text.find('"_meta": {')
            text = text[:end if end >= 0 else len(text)]
            assert "Write pgbackrest.conf" in text and "Take the first full backup" in text
        assert len(text) > 1000, log
        for value in values:
            assert value not in text, log
