"""Database high availability in the fleet: three db hosts (PostgreSQL 15 under Patroni 3.0, etcd 3.4), two app
hosts whose HAProxy routes writes to the leader (docs/ha.md).

PostgreSQL, Patroni, etcd and HAProxy are REAL (Debian's packages); the services on the app hosts are STAND-INs
whose clients (psycopg2) connect where the real services would: the `supabase-db` name on the app host's network.
The failover test (test_zz_failover.py) kills the leader; these tests read the converged cluster.
"""
import json
import os
import shlex
import time

import pytest
import testinfra

testinfra_hosts = ["fleet-app1"]

DB_HOSTS = {"fleet-db1": "10.213.7.11", "fleet-db2": "10.213.7.12", "fleet-db3": "10.213.7.13"}
APP_HOSTS = ["fleet-app1", "fleet-app2"]
SERVICES = ["supabase-auth", "supabase-rest", "supabase-realtime", "supabase-storage", "supabase-meta"]


def _peer(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


def _wait(what, check, timeout, interval=0.5):
    """Call check() until it returns something true: (seconds it took, that value); fails after timeout."""
    start = time.time()
    while time.time() - start < timeout:
        value = check()
        if value:
            return time.time() - start, value
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout} s")


def cluster(host):
    """Patroni's view of the cluster, asked of the first member that answers."""
    for address in DB_HOSTS.values():
        out = host.run(f"curl -sS -m 3 http://{address}:8008/cluster")
        if out.rc == 0 and out.stdout.strip().startswith("{"):
            return json.loads(out.stdout)
    raise AssertionError("no Patroni member answered /cluster")


# Inside supabase-auth: the password of the stack's login roles (postgres_password) read from the container's own
# environment (GoTrue's database URL), so no secret travels on a command line or into a log.
PASSWORD = ("__import__('urllib.parse').parse.urlsplit(__import__('os').environ['GOTRUE_DB_DATABASE_URL']).password")


def sql(host, query, port=5432, container="supabase-auth", timeout=10):
    """One statement through the app host's database endpoint (HAProxy, as `supabase-db`), from inside a service
    container, as the services connect; returns the rows."""
    script = (
        "import json, psycopg2\n"
        f"c = psycopg2.connect(host='supabase-db', port={port}, user='postgres', dbname='postgres',"
        f" password={PASSWORD}, connect_timeout={timeout})\n"
        "c.autocommit = True\n"
        "cur = c.cursor()\n"
        f"cur.execute({query!r})\n"
        "print(json.dumps(cur.fetchall() if cur.description else [], default=str))\n"
    )
    out = host.run(f"docker exec {container} python3 -c {shlex.quote(script)}")
    assert out.rc == 0, out.stderr
    return json.loads(out.stdout)


def test_one_leader_and_two_streaming_replicas(host):
    members = {m["name"]: m for m in cluster(host)["members"]}
    assert set(members) == set(DB_HOSTS), members
    roles = sorted(m["role"] for m in members.values())
    assert roles.count("leader") == 1, roles
    # synchronous_mode on (the default): one replica is the synchronous standby.
    assert roles.count("sync_standby") == 1, roles
    for m in members.values():
        if m["role"] != "leader":
            # Patroni 3.0.2 says running; later releases say streaming.
            assert m["state"] in ("running", "streaming"), m
            assert int(m["lag"]) < 1024 * 1024, m
    # The leader's own view: both replicas stream from it, one of them synchronously.
    rows = sql(host, "select application_name, state, sync_state from pg_stat_replication order by 1")
    assert sorted(r[0] for r in rows) == sorted(n for n in members if members[n]["role"] != "leader"), rows
    assert {r[1] for r in rows} == {"streaming"}, rows
    assert sorted(r[2] for r in rows) == ["async", "sync"], rows


def test_write_port_reaches_the_leader_and_read_port_a_replica(host):
    # Only Patroni's leader is out of recovery; the read port lands on a replica (in recovery).
    assert sql(host, "select pg_is_in_recovery()") == [[False]]
    assert sql(host, "select pg_is_in_recovery()", port=5433) == [[True]]
    # Realtime needs logical decoding: wal_level reaches every member (a cluster-wide setting, kept in etcd).
    assert sql(host, "show wal_level") == [["logical"]]
    assert sql(host, "show wal_level", port=5433) == [["logical"]]


def test_a_write_through_the_endpoint_reaches_every_replica(host):
    sql(host, "create table if not exists public.ha_probe (id int primary key, note text)")
    sql(host, "insert into public.ha_probe values (1, 'written through haproxy') on conflict (id) do update set note = excluded.note")
    for name in DB_HOSTS:
        out = _peer(name).run(
            "docker exec -u postgres supabase-db psql -tA -d postgres -c 'select note from public.ha_probe where id = 1'")
        assert out.rc == 0 and out.stdout.strip() == "written through haproxy", (name, out.stderr)
    sql(host, "drop table public.ha_probe")


def test_the_contract_is_on_every_member(host):
    # The bootstrap ran on the leader only; the replicas have the roles and schemas by streaming.
    for name in DB_HOSTS:
        out = _peer(name).run(
            "docker exec -u postgres supabase-db psql -tA -d postgres -c "
            "\"select count(*) from pg_roles where rolname in ('authenticator','anon','service_role','supabase_auth_admin')\"")
        assert out.stdout.strip() == "4", (name, out.stdout, out.stderr)


@pytest.mark.parametrize("app", APP_HOSTS)
@pytest.mark.parametrize("name", SERVICES)
def test_services_use_the_proxy(app, name):
    # The services' DB host is supabase-db: on each app host that name is HAProxy's container, not a database.
    peer = _peer(app)
    resolved = peer.check_output(f"docker exec {name} getent hosts supabase-db").split()[0]
    proxy = peer.check_output("docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' supabase-haproxy")
    assert resolved == proxy
    health = peer.check_output(f"docker inspect -f '{{{{.State.Health.Status}}}}' {name}")
    assert health == "healthy"


def test_etcd_has_three_members(host):
    out = _peer("fleet-db1").check_output(
        "docker exec supabase-etcd etcdctl --endpoints=http://127.0.0.1:2379 member list -w json")
    members = json.loads(out)["members"]
    assert sorted(m["name"] for m in members) == sorted(DB_HOSTS)


def test_docker_stop_shuts_a_replica_down_cleanly(host):
    """`docker stop` (teardown, upgrade, a recreate) sends Patroni SIGTERM, its shutdown signal: PostgreSQL stops
    and Patroni exits 0 within seconds. With the postgres image's SIGINT, which Patroni as PID 1 hands to a worker
    that ignores it, Docker kills the container after postgres_stop_timeout (exit 137)."""
    members = cluster(host)["members"]
    name = next(m["name"] for m in members if m["role"] == "replica")
    peer = _peer(name)
    start = time.time()
    peer.check_output("docker stop supabase-db")
    took = time.time() - start
    state = json.loads(peer.check_output("docker inspect -f '{{json .State}}' supabase-db"))
    peer.check_output("docker start supabase-db")
    print(f"STOP: docker stop of the replica {name} took {took:.1f} s, exit code {state['ExitCode']}")
    assert state["ExitCode"] == 0, state
    assert took < 30, took
    _wait(f"{name} streaming again after docker start", lambda: next(
        (m for m in cluster(host)["members"] if m["name"] == name
         and m["state"] in ("running", "streaming") and str(m.get("lag", "")).isdigit()), None), 90, interval=1)


def test_no_secret_in_the_ansible_log():
    # Every ansible run of the scenario (converge, idempotence) logs to ANSIBLE_LOG_PATH; the passwords Patroni
    # gets through its environment, and the REST API calls made with them, must not appear there.
    import yaml
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    with open(os.path.join(inventory, "supabase-secrets.yml"), encoding="utf-8") as f:
        secrets = yaml.safe_load(f)
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "ansible.log"), encoding="utf-8",
              errors="replace") as f:
        log = f.read()
    assert len(log) > 10000, "the converge log is missing"
    for name in ("supabase_postgres_password", "supabase_jwt_secret"):
        assert secrets[name] not in log, name
