"""The whole stack on one host through playbooks/site.yml.

REAL: PostgreSQL, Redis, Caddy, postgres-meta. STAND-IN (wiring only): Kong, GoTrue, PostgREST,
Realtime, Storage, MinIO, Studio, Edge Functions. A 200 from a stand-in proves routing, not the component.
"""
import os
import subprocess
import time

import pytest
import yaml

testinfra_hosts = ["stack-host"]

SITE = "supabase.test"
CURL = f"curl -sS -k --http2 --resolve {SITE}:443:127.0.0.1 --resolve {SITE}:80:127.0.0.1"
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.getcwd())
# molecule.yml renames GoTrue's container (gotrue_container_name in group_vars).
AUTH = "supabase-auth-renamed"


@pytest.fixture(scope="module")
def secrets():
    with open(os.path.join(EPHEMERAL, "inventory", "supabase-secrets.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def psql(host, sql):
    return host.check_output(f"docker exec supabase-db psql -U postgres -d postgres -tAc \"{sql}\"")


def _request(host, args):
    """(status, http version, lower-case headers) of one request through Caddy; the body is dropped."""
    head = host.check_output(f"{CURL} -o /dev/null -D - {args}")
    status_line, *header_lines = head.replace("\r", "").strip().split("\n")
    version, status = status_line.split()[:2]
    headers = dict((k.strip().lower(), v.strip()) for k, _, v in (h.partition(":") for h in header_lines))
    return int(status), version.split("/")[1], headers


def test_every_container_running(host):
    names = host.check_output("docker ps --format '{{.Names}}'").split()
    for name in ["supabase-db", "supabase-redis", "supabase-kong", AUTH, "supabase-rest",
                 "supabase-realtime", "supabase-storage", "supabase-meta", "supabase-studio",
                 "supabase-edge-functions", "supabase-caddy"]:
        assert name in names, f"{name} not running: {names}"


def test_https_through_caddy_with_security_headers(host, secrets):
    status, version, headers = _request(host, f"-H 'apikey: {secrets['supabase_anon_key']}' https://{SITE}/rest/v1/")
    assert status == 200
    assert version == "2"
    assert "max-age=31536000" in headers["strict-transport-security"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_http_redirects_and_studio_needs_login(host, secrets):
    status, _, headers = _request(host, f"http://{SITE}/")
    assert status in (301, 308) and headers["location"] == f"https://{SITE}/"
    status, _, _ = _request(host, f"https://{SITE}/")
    assert status == 401
    user, password = secrets["supabase_dashboard_username"], secrets["supabase_dashboard_password"]
    status, _, headers = _request(host, f"-u '{user}:{password}' https://{SITE}/")
    assert status == 200
    assert "content-security-policy" in headers


def test_db_contract_roles(host):
    roles = set(psql(host, "select rolname from pg_roles").split())
    for role in ["postgres", "supabase_admin", "authenticator", "anon", "authenticated", "service_role",
                 "supabase_auth_admin", "supabase_storage_admin", "supabase_functions_admin", "pgbouncer",
                 "dashboard_user"]:
        assert role in roles, role
    assert psql(host, "select rolbypassrls from pg_roles where rolname = 'service_role'") == "t"
    assert psql(host, "select rolcanlogin from pg_roles where rolname = 'anon'") == "f"
    grants = set(psql(host, "select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid "
                            "join pg_roles u on u.oid = m.member where u.rolname = 'authenticator'").split())
    assert {"anon", "authenticated", "service_role"} <= grants


def test_db_contract_schemas_and_helpers(host):
    schemas = set(psql(host, "select nspname from pg_namespace").split())
    for schema in ["public", "auth", "storage", "realtime", "_realtime", "supabase_functions", "graphql_public", "extensions"]:
        assert schema in schemas, schema
    assert psql(host, "select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
                      "where n.nspname = 'auth' and p.proname in ('uid', 'role', 'jwt')") == "3"


def test_health_playbook_green():
    inventory = os.path.join(EPHEMERAL, "inventory")
    env = dict(os.environ, ANSIBLE_LOG_PATH="")
    run = subprocess.run(
        ["ansible-playbook", "-i", inventory, "-e", f"@{PROJECT}/molecule/resources/vars/offline-images.yml",
         os.path.join(PROJECT, "playbooks", "health.yml")],
        capture_output=True, text=True, env=env, check=False)
    print(run.stdout[-6000:])
    assert run.returncode == 0
    for component in ["postgres", "redis", "kong", "gotrue", "postgrest", "meta", "caddy"]:
        assert component in run.stdout


def test_only_edge_ports_listen_off_loopback(host):
    """Beyond loopback and the private address (exporters, status ports: the firewall's business), only
    the edge listens."""
    private = host.ansible.get_variables()["supabase_private_address"]
    exposed = set()
    for line in host.check_output("ss -Hltn").splitlines():
        local = line.split()[3]
        addr, port = local.rsplit(":", 1)
        if not (addr.startswith("127.") or addr in ("[::1]", "::1", private)):
            exposed.add(int(port))
    assert exposed <= {22, 80, 443}, exposed


def _encodings(value):
    """The forms a log could carry a secret in: raw, URL-encoded, JSON-escaped (and both)."""
    import json
    from urllib.parse import quote, quote_plus
    forms = {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1],
             json.dumps(value, ensure_ascii=False)[1:-1], quote(value)}
    return {f for f in forms if len(f) >= 8}


def _leaks(text, secrets):
    return sorted(name for name, value in secrets.items()
                  if isinstance(value, str) and len(value) >= 8 and any(f in text for f in _encodings(value)))


def test_no_secret_in_the_logs(secrets):
    """Every ansible run of the scenario (the converge at -vvv: the provisioner options in molecule.yml)."""
    with open(os.path.join(EPHEMERAL, "ansible.log"), encoding="utf-8", errors="replace") as f:
        log = f.read()
    assert "site.yml" in log or "PLAY RECAP" in log
    assert "<stack-host> ESTABLISH" in log or "EXEC " in log, "the log is not verbose (-vvv)"
    leaked = _leaks(log, secrets)
    assert not leaked, f"secret values found in the converge log: {leaked}"


def test_failing_bootstrap_query_keeps_secrets_out(secrets, tmp_path):
    """The postgres bootstrap with an admin that may not change roles: its query fails, at -vvv."""
    playbook = tmp_path / "failing-bootstrap.yml"
    playbook.write_text(
        "- hosts: db\n  become: true\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.include_role:\n        name: selfhost.supabase.postgres\n"
        "        tasks_from: bootstrap\n      vars:\n        postgres_admin_user: authenticator\n"
        "        postgres_superuser: authenticator\n"
        "        postgres_install_client_deps: false\n")
    inventory = os.path.join(EPHEMERAL, "inventory")
    env = dict(os.environ, ANSIBLE_LOG_PATH="")
    run = subprocess.run(
        ["ansible-playbook", "-vvv", "-i", inventory, "-e", f"@{inventory}/supabase-secrets.yml",
         "-e", f"@{PROJECT}/molecule/resources/vars/offline-images.yml", str(playbook)],
        capture_output=True, text=True, env=env, check=False)
    out = run.stdout + run.stderr
    print(out[-3000:])
    assert run.returncode != 0, "the bootstrap was meant to fail"
    assert "failed=1" in out
    leaked = _leaks(out, secrets)
    assert not leaked, f"secret values found in the failing bootstrap's output: {leaked}"


def test_gotrue_down_keeps_kong_in_rotation(host, secrets):
    """Caddy checks Kong on its status endpoint, not through one backend: with GoTrue stopped for two
    health intervals, REST still answers through Caddy (with /auth/v1/health as the check, every Kong
    node would leave the pool and this request would get 502/503)."""
    host.check_output(f"docker stop {AUTH}")
    try:
        time.sleep(22)  # caddy_health_interval (10 s) twice, and a little
        status, _, _ = _request(host, f"-H 'apikey: {secrets['supabase_anon_key']}' https://{SITE}/rest/v1/")
        assert status == 200, f"/rest/v1/ through Caddy answered {status} with GoTrue stopped"
    finally:
        host.check_output(f"docker start {AUTH}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = host.check_output(f"docker inspect -f '{{{{.State.Health.Status}}}}' {AUTH}")
            if state == "healthy":
                break
            time.sleep(2)
