"""Failover under load, then the old leader's return (docs/ha.md, "Measured").

A client inside a service container on the first app host writes a counter through the database endpoint the services
use (HAProxy as `supabase-db`), one autocommit INSERT at a time, reconnecting after an error, bounded in count
and time. The leader's database container is killed (SIGKILL: no clean shutdown, the leader key expires). The
test measures the time to a new leader, to every service healthy again and to the first write accepted again,
checks that every acknowledged write is in the table (synchronous mode), then starts the old leader's container
and waits until it is a streaming replica again. Figures are printed (pytest -s).
"""
import json
import time

import shlex

from test_ha import APP_HOSTS, PASSWORD, SERVICES, _peer, _wait, cluster, sql

testinfra_hosts = ["fleet-app1"]

WRITES = 600          # bound on the loop's writes
LOOP_SECONDS = 90     # bound on the loop's time
PAUSE = 0.05          # seconds between writes

LOOP = r"""
import json, os, time, urllib.parse, psycopg2
password = urllib.parse.urlsplit(os.environ['GOTRUE_DB_DATABASE_URL']).password
acked, failed, first_fail, first_ok_after = [], 0, None, None
conn = None
deadline = time.time() + %(seconds)d
i = 0
while i < %(writes)d and time.time() < deadline:
    i += 1
    try:
        if conn is None:
            conn = psycopg2.connect(host='supabase-db', port=5432, user='postgres', dbname='postgres',
                                    password=password, connect_timeout=3, application_name='ha-failover-test')
            conn.autocommit = True
        cur = conn.cursor()
        cur.execute('insert into public.ha_counter (n) values (%%s)', (i,))
        acked.append(i)
        if first_fail is not None and first_ok_after is None:
            first_ok_after = time.time()
    except Exception:
        failed += 1
        if first_fail is None:
            first_fail = time.time()
        try:
            conn.close()
        except Exception:
            pass
        conn = None
        time.sleep(0.5)
    time.sleep(%(pause)s)
print(json.dumps({'acked': acked, 'failed': failed, 'attempts': i, 'first_fail': first_fail,
                  'first_ok_after': first_ok_after}))
"""


def _leader(host):
    return next((m for m in cluster(host)["members"] if m["role"] == "leader"), None)


def _all_healthy():
    """Every service healthy on every app host."""
    for app in APP_HOSTS:
        out = _peer(app).run("docker inspect -f '{{.Name}} {{.State.Health.Status}}' " + " ".join(SERVICES))
        if out.rc != 0 or not all(line.endswith(" healthy") for line in out.stdout.split("\n") if line.strip()):
            return False
    return True


def _start_loop(host, name):
    """The write loop in the background inside supabase-auth; its report lands in /tmp/<name>.json."""
    host.run(f"docker exec supabase-auth rm -f /tmp/{name}.json")
    script = LOOP % {"seconds": LOOP_SECONDS, "writes": WRITES, "pause": PAUSE}
    host.check_output(f"docker exec supabase-auth python3 -c {shlex.quote('open(%r, %r).write(%r)' % (f'/tmp/{name}.py', 'w', script))}")
    host.check_output(f"docker exec -d supabase-auth sh -c 'python3 /tmp/{name}.py > /tmp/{name}.json 2>&1'")


def _loop_report(host, name, timeout=LOOP_SECONDS + 30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = host.run(f"docker exec supabase-auth cat /tmp/{name}.json")
        if out.rc == 0 and out.stdout.strip().startswith("{"):
            return json.loads(out.stdout)
        time.sleep(2)
    raise AssertionError(f"the write loop {name} did not report within {timeout} s")


def test_failover_loses_no_acknowledged_write(host):
    sql(host, "drop table if exists public.ha_counter")
    sql(host, "create table public.ha_counter (id bigserial primary key, n int not null)")
    old = _leader(host)
    assert old is not None
    # A logical slot as realtime creates one on the database it reaches (the leader, through the endpoint).
    sql(host, "select pg_create_logical_replication_slot('ha_realtime_probe', 'test_decoding')")
    _start_loop(host, "ha-failover")
    time.sleep(5)  # writes flowing before the kill
    old_host = _peer(old["name"])
    killed_at = time.time()
    old_host.check_output("docker kill supabase-db")

    t_leader, new = _wait("a new leader", lambda: (lambda m: m if m and m["name"] != old["name"] else None)(_leader(host)), 30)
    probe = (f"import psycopg2; c = psycopg2.connect(host='supabase-db', user='postgres', dbname='postgres',"
             f" password={PASSWORD}, connect_timeout=3); c.autocommit = True;"
             f" c.cursor().execute('insert into public.ha_counter (n) values (0)')")
    t_write, _ = _wait("a write through the endpoint",
                       lambda: host.run(f"docker exec supabase-auth python3 -c {shlex.quote(probe)}").rc == 0, 60)
    t_write += t_leader
    t_healthy, _ = _wait("every service healthy on both app hosts", _all_healthy, 60, interval=1)
    t_healthy = time.time() - killed_at

    report = _loop_report(host, "ha-failover")
    rows = sql(host, "select n from public.ha_counter")
    present = {r[0] for r in rows}
    lost = sorted(set(report["acked"]) - present)
    print(f"\nFAILOVER (REAL PostgreSQL 15 + Patroni 3.0.2 + etcd 3.4 + HAProxy 2.6): leader {old['name']} killed; "
          f"new leader {new['name']} after {t_leader:.1f} s; first write through the endpoint after {t_write:.1f} s; "
          f"every service healthy {t_healthy:.1f} s after the kill; loop: {report['attempts']} attempts, "
          f"{len(report['acked'])} acknowledged, {report['failed']} failed, {len(lost)} acknowledged writes lost")
    assert t_leader < 30
    assert t_healthy < 60
    assert not lost, lost
    # Realtime's slot (docs/ha.md): Patroni does not copy a slot it does not manage, so the new leader lacks it;
    # realtime reconnects through the endpoint and creates it again, and changes from then on are decoded.
    assert sql(host, "select count(*) from pg_replication_slots where slot_name = 'ha_realtime_probe'") == [[0]]
    sql(host, "select pg_create_logical_replication_slot('ha_realtime_probe', 'test_decoding')")
    sql(host, "insert into public.ha_counter (n) values (-1)")
    changes = sql(host, "select data from pg_logical_slot_get_changes('ha_realtime_probe', null, null)")
    assert any("public.ha_counter" in c[0] and "INSERT" in c[0] and "n[integer]:-1" in c[0] for c in changes), changes
    sql(host, "select pg_drop_replication_slot('ha_realtime_probe')")
    present.add(-1)

    # The old leader comes back as a replica of the new one (pg_rewind if its timeline diverged).
    started_at = time.time()
    old_host.check_output("docker start supabase-db")
    t_back, member = _wait("the old leader back as a streaming replica", lambda: next(
        (m for m in cluster(host)["members"] if m["name"] == old["name"] and m["role"] in ("replica", "sync_standby")
         and m["state"] in ("running", "streaming") and str(m.get("lag", "")).isdigit()
         and int(m["lag"]) < 1024 * 1024), None), 120, interval=2)
    _, count = _wait("the old leader holding every row", lambda: (lambda c: c if c == str(len(present)) else None)(
        _peer(old["name"]).run("docker exec -u postgres supabase-db psql -tA -d postgres -c "
                               "'select count(*) from public.ha_counter'").stdout.strip()), 30, interval=1)
    print(f"REJOIN: {old['name']} streaming again as {member['role']} {t_back:.1f} s after docker start "
          f"(timeline {member.get('timeline')}); it holds {count} of {len(present)} rows")
    assert int(count) == len(present)
    sql(host, "drop table public.ha_counter")
