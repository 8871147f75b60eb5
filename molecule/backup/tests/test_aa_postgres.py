"""Role postgres on the offline image: REAL PostgreSQL 15 from Debian, bootstrapped by the role.

These tests talk to the real server: every role logs in, authenticator switches roles, row level
security with auth.uid() filters rows, and data survives a recreated container.

They run on the backup scenario's db host, where the server runs with WAL archiving (the backup role's
pgBackRest image, derived from the offline image), and before tests/test_backup.py (file order): what they
change they put back (the tables they create are dropped, the changed tuning and password are converged
back to the inventory's), so the backup and restore tests find the first converge's database.
"""
import json
import os
import shlex
import subprocess

import pytest

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "backup-host"
testinfra_hosts = ["ansible://" + HOST]

CONTAINER = "supabase-db"
LOGIN_ROLES = ["postgres", "supabase_admin", "authenticator", "supabase_auth_admin",
               "supabase_storage_admin", "supabase_functions_admin", "pgbouncer"]
NEW_PASSWORD = "molecule-only-pg-Pw-changed-5e8b"
USER_A = "00000000-0000-0000-0000-00000000000a"
USER_B = "00000000-0000-0000-0000-00000000000b"
# What these tests create in the live database; dropped before and after the module.
TEST_TABLES = ["public.dl_hooked", "public.dl_notes"]


def hvars(host):
    return host.ansible.get_variables()


def psql(host, sql, user="postgres", password=None, port=5432, container=CONTAINER, check=True):
    """Run SQL over TCP inside the container (host auth is scram-sha-256, so the password counts)."""
    password = password or hvars(host)["supabase_postgres_password"]
    cmd = "docker exec -e PGPASSWORD={pw} {c} psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p {port} -U {u} -d postgres -Atc {sql}".format(
        pw=shlex.quote(password), c=container, port=port, u=user, sql=shlex.quote(sql))
    result = host.run(cmd)
    if check:
        assert result.rc == 0, "%s as %s failed: %s" % (sql, user, result.stderr)
    return result


def container_id(host):
    return host.check_output("docker inspect --format '{{.Id}}' %s" % CONTAINER)


def local_psql(host, sql):
    """SQL as postgres over the container's local socket: needs no password (cleanup after a password change)."""
    return host.run("docker exec %s psql -X -q -v ON_ERROR_STOP=1 -U postgres -d postgres -Atc %s"
                    % (CONTAINER, shlex.quote(sql)))


@pytest.fixture(scope="module", autouse=True)
def drop_test_tables(host):
    """The backup tests that follow count rows and restore sets: leave no table of these tests behind."""
    sql = "DROP TABLE IF EXISTS %s" % ", ".join(TEST_TABLES)
    local_psql(host, sql)
    yield
    result = local_psql(host, sql)
    assert result.rc == 0, result.stderr


def playbook(name, *extra, expect_ok=True):
    # The scenario's plain host is in the inventory too: only the db host.
    cmd = ["ansible-playbook", "-i", INVENTORY, "--limit", HOST, os.path.join(SCENARIO_DIR, name)]
    for e in extra:
        cmd += ["-e", e]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if expect_ok:
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    else:
        assert proc.returncode != 0, proc.stdout[-4000:]
        return proc.stdout + proc.stderr  # ansible-core 2.19 prints task errors on stderr
    return proc.stdout


def test_resources_reach_the_container(host):
    """postgres_resources in the inventory: cpus 1.5, memory 2g, memory_reservation 1g, cpu_shares 2048."""
    config = json.loads(host.check_output("docker inspect --format '{{json .HostConfig}}' %s" % CONTAINER))
    assert config["NanoCpus"] == 1500000000, config["NanoCpus"]
    assert config["Memory"] == 2 * 1024 ** 3, config["Memory"]
    assert config["MemoryReservation"] == 1024 ** 3, config["MemoryReservation"]
    assert config["CpuShares"] == 2048, config["CpuShares"]


def test_container_runs_the_offline_postgres_15(host):
    assert host.check_output("docker inspect --format '{{.State.Health.Status}}' %s" % CONTAINER) == "healthy"
    assert psql(host, "SHOW server_version_num").stdout.strip().startswith("15")
    ports = host.check_output("docker port %s 5432/tcp" % CONTAINER)
    assert ports.strip() == "127.0.0.1:5432", "published only on loopback"


def test_tuning_is_applied(host):
    assert psql(host, "SHOW shared_buffers").stdout.strip() == "256MB"
    assert psql(host, "SHOW effective_cache_size").stdout.strip() == "768MB"
    assert psql(host, "SHOW max_connections").stdout.strip() == "200"
    assert psql(host, "SHOW wal_level").stdout.strip() == "logical"
    assert "pg_stat_statements" in psql(host, "SHOW shared_preload_libraries").stdout


def test_password_is_not_in_the_command_line(host):
    secret = hvars(host)["supabase_postgres_password"]
    assert secret not in host.check_output("docker inspect --format '{{json .Args}}' %s" % CONTAINER)


def test_every_login_role_logs_in_with_the_stack_password(host):
    for role in LOGIN_ROLES:
        assert psql(host, "SELECT current_user", user=role).stdout.strip() == role


def test_api_roles_cannot_log_in(host):
    for role in ["anon", "authenticated", "service_role"]:
        assert psql(host, "SELECT 1", user=role, check=False).rc != 0


def test_role_attributes(host):
    rows = psql(host, "SELECT rolname, rolcanlogin, rolinherit, rolbypassrls FROM pg_roles "
                      "WHERE rolname IN ('authenticator','anon','authenticated','service_role') ORDER BY 1").stdout
    assert rows.split() == ["anon|f|f|f", "authenticated|f|f|f", "authenticator|t|f|f", "service_role|f|f|t"]


def test_authenticator_switches_to_the_api_roles(host):
    for role in ["anon", "authenticated", "service_role"]:
        out = psql(host, "SET ROLE %s; SELECT current_user" % role, user="authenticator").stdout
        assert out.strip() == role


def test_schemas_and_owners(host):
    rows = psql(host, "SELECT nspname || '=' || pg_get_userbyid(nspowner) FROM pg_namespace ORDER BY 1").stdout.split()
    for expected in ["auth=supabase_auth_admin", "storage=supabase_storage_admin", "realtime=supabase_admin",
                     "_realtime=supabase_admin", "supabase_functions=supabase_admin",
                     "graphql_public=supabase_admin", "extensions=postgres"]:
        assert expected in rows
    assert "public" in " ".join(rows)


def test_jwt_settings_and_internal_database(host):
    v = hvars(host)
    assert psql(host, "SHOW app.settings.jwt_secret").stdout.strip() == v["supabase_jwt_secret"]
    assert psql(host, "SHOW app.settings.jwt_exp").stdout.strip() == "3600"
    assert psql(host, "SELECT datname FROM pg_database WHERE datname = '_supabase'").stdout.strip() == "_supabase"


def test_extensions_enabled_where_available(host):
    names = psql(host, "SELECT extname FROM pg_extension").stdout.split()
    for ext in ["pg_stat_statements", "pgcrypto", "uuid-ossp", "postgis", "pgtap", "pg_cron"]:
        assert ext in names


def test_webhooks_pieces_are_honest_about_pg_net(host):
    assert psql(host, "SELECT to_regclass('supabase_functions.hooks')").stdout.strip() == "supabase_functions.hooks"
    psql(host, "CREATE TABLE IF NOT EXISTS public.dl_hooked (id int);"
               "DROP TRIGGER IF EXISTS dl_hook ON public.dl_hooked;"
               "CREATE TRIGGER dl_hook AFTER INSERT ON public.dl_hooked FOR EACH ROW EXECUTE FUNCTION "
               "supabase_functions.http_request('http://127.0.0.1:1/', 'POST', '{}', '{}', '1000')")
    result = psql(host, "INSERT INTO public.dl_hooked VALUES (1)", check=False)
    assert result.rc != 0 and "needs the pg_net extension" in result.stderr


RLS_SETUP = """
CREATE TABLE IF NOT EXISTS public.dl_notes (id serial primary key, owner uuid not null, body text);
ALTER TABLE public.dl_notes ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_notes ON public.dl_notes;
CREATE POLICY own_notes ON public.dl_notes FOR SELECT TO authenticated USING (owner = auth.uid());
INSERT INTO public.dl_notes (owner, body)
  SELECT o::uuid, b FROM (VALUES ('{a}', 'a1'), ('{a}', 'a2'), ('{b}', 'b1')) AS v(o, b)
  WHERE NOT EXISTS (SELECT 1 FROM public.dl_notes);
""".format(a=USER_A, b=USER_B)


def as_api_role(host, role, claims=None, legacy_sub=None):
    sql = "BEGIN; SET LOCAL ROLE %s; " % role
    if claims is not None:
        sql += "SET LOCAL request.jwt.claims TO '%s'; " % json.dumps(claims)
    if legacy_sub is not None:
        sql += "SET LOCAL request.jwt.claim.sub TO '%s'; " % legacy_sub
    sql += "SELECT string_agg(body, ',' ORDER BY body) FROM public.dl_notes; COMMIT;"
    return [line for line in psql(host, sql, user="authenticator").stdout.splitlines() if line]


def test_row_level_security_with_auth_uid(host):
    psql(host, RLS_SETUP)
    assert as_api_role(host, "authenticated", claims={"sub": USER_A, "role": "authenticated"}) == ["a1,a2"]
    assert as_api_role(host, "authenticated", claims={"sub": USER_B, "role": "authenticated"}) == ["b1"]
    assert as_api_role(host, "authenticated", legacy_sub=USER_B) == ["b1"], "older request.jwt.claim.sub form"
    assert as_api_role(host, "anon") == [], "anon sees no row"
    assert as_api_role(host, "service_role") == ["a1,a2,b1"], "service_role bypasses RLS"
    out = psql(host, "BEGIN; SET LOCAL ROLE authenticated; SET LOCAL request.jwt.claims TO '{\"sub\":\"%s\",\"role\":\"authenticated\"}';"
                     "SELECT auth.role() || ' ' || (auth.jwt() ->> 'sub'); COMMIT;" % USER_A, user="authenticator").stdout
    assert "authenticated %s" % USER_A in out


def test_changed_tuning_and_password_keep_data_and_logins(host):
    """Converge again with another max_connections and another password: the container is
    recreated (new ID), the rows are still there, every role logs in with the new password, and WAL
    archiving goes on. Then converged back to the inventory's values (recreated again, old password back),
    which the backup tests that follow rely on."""
    psql(host, RLS_SETUP)
    before_id = container_id(host)
    before_rows = psql(host, "SELECT count(*) FROM public.dl_notes").stdout.strip()
    old = hvars(host)["supabase_postgres_password"]
    try:
        playbook("converge.yml", "postgres_max_connections=150", "supabase_postgres_password=" + NEW_PASSWORD)
        changed_id = container_id(host)
        assert changed_id != before_id, "the tuning change recreates the container"
        assert psql(host, "SELECT count(*) FROM public.dl_notes", password=NEW_PASSWORD).stdout.strip() == before_rows
        assert psql(host, "SHOW max_connections", password=NEW_PASSWORD).stdout.strip() == "150"
        for role in LOGIN_ROLES:
            assert psql(host, "SELECT current_user", user=role, password=NEW_PASSWORD).stdout.strip() == role
        assert psql(host, "SELECT 1", user="authenticator", password=old, check=False).rc != 0
        # The recreated server still archives (a switched segment reaches both repositories).
        check = host.run("docker exec -u postgres %s pgbackrest --stanza=supabase check" % CONTAINER)
        assert check.rc == 0, check.stdout + check.stderr
    finally:
        playbook("converge.yml")
    assert container_id(host) != changed_id, "the tuning change back recreates the container again"
    assert psql(host, "SHOW max_connections").stdout.strip() == "200"
    assert psql(host, "SELECT count(*) FROM public.dl_notes").stdout.strip() == before_rows
    for role in LOGIN_ROLES:
        assert psql(host, "SELECT current_user", user=role).stdout.strip() == role
    assert psql(host, "SELECT 1", user="authenticator", password=NEW_PASSWORD, check=False).rc != 0


def test_bootstrap_on_plain_postgres_is_a_no_op_the_second_time(host):
    """Bring-your-own PostgreSQL: the bootstrap alone (postgres_manage_container false) on a fresh
    plain PostgreSQL 15, twice; the second run reports changed=0."""
    pw = "molecule-only-byo-Pw-2f6a9d13"
    host.run("docker rm -f byo-pg")
    host.check_output("docker run -d --name byo-pg -p 127.0.0.1:55432:5432 -e POSTGRES_PASSWORD=%s "
                      "selfhost-supabase/postgres:offline" % pw)
    try:
        first = playbook("byo.yml")
        assert "changed=0" not in first.split("PLAY RECAP")[-1]
        second = playbook("byo.yml")
        recap = second.split("PLAY RECAP")[-1]
        assert "changed=0" in recap and "failed=0" in recap, recap
        assert psql(host, "SET ROLE service_role; SELECT current_user", user="authenticator", password=pw,
                    container="byo-pg").stdout.strip() == "service_role"
    finally:
        host.run("docker rm -f byo-pg")


def test_bootstrap_on_the_supabase_postgres_role_layout(host):
    """The default image's layout (supabase/postgres demotes postgres to NOSUPERUSER after its init
    scripts; supabase_admin is the superuser): the harness variant postgres-supabase:offline reproduces
    it. The bootstrap detects it and converges as supabase_admin, twice (changed=0 the second time),
    and leaves postgres demoted. Logging in as postgres for everything, as before, fails there."""
    import time
    started = time.monotonic()
    pw = "molecule-only-sblayout-Pw-8d3c1a57"
    extra = ["postgres_port=55433", "postgres_password=%s" % pw]
    host.run("docker rm -f sblayout-pg")
    host.check_output("docker run -d --name sblayout-pg -p 127.0.0.1:55433:5432 -e POSTGRES_PASSWORD=%s "
                      "selfhost-supabase/postgres-supabase:offline" % pw)
    try:
        as_postgres = "SELECT rolsuper::text || rolcreatedb::text || rolcreaterole::text || rolbypassrls::text " \
                      "FROM pg_roles WHERE rolname = 'postgres'"
        # Wait until the image's init scripts are done and postgres logs in.
        for _ in range(30):
            if psql(host, as_postgres, password=pw, container="sblayout-pg", check=False).rc == 0:
                break
            time.sleep(1)
        assert psql(host, as_postgres, password=pw, container="sblayout-pg").stdout.strip() == "falsetruetruetrue"
        # The old behaviour (postgres as the superuser) fails on this layout, naming the reason.
        broken = playbook("byo.yml", *extra, "postgres_superuser=postgres", expect_ok=False)
        assert "must be superuser" in broken, broken[-3000:]
        first = playbook("byo.yml", *extra)
        assert "failed=0" in first.split("PLAY RECAP")[-1]
        second = playbook("byo.yml", *extra)
        recap = second.split("PLAY RECAP")[-1]
        assert "changed=0" in recap and "failed=0" in recap, recap
        assert psql(host, as_postgres, password=pw, container="sblayout-pg").stdout.strip() == "falsetruetruetrue"
        assert psql(host, "SELECT rolsuper FROM pg_roles WHERE rolname = 'supabase_admin'", user="supabase_admin",
                    password=pw, container="sblayout-pg").stdout.strip() == "t"
        assert psql(host, "SET ROLE service_role; SELECT current_user", user="authenticator", password=pw,
                    container="sblayout-pg").stdout.strip() == "service_role"
        owners = psql(host, "SELECT nspname || '=' || pg_get_userbyid(nspowner) FROM pg_namespace", password=pw,
                      container="sblayout-pg").stdout.split()
        assert "auth=supabase_auth_admin" in owners and "storage=supabase_storage_admin" in owners
    finally:
        host.run("docker rm -f sblayout-pg")
        print("supabase/postgres layout test: %.1f s" % (time.monotonic() - started))
