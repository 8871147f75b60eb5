"""Wiring through the whole stack on one host: Caddy -> Kong STAND-IN (enforcing the rendered
declarative config) -> each component's STAND-IN (which echoes its component and the path it got),
postgres-meta REAL behind /pg/. A stand-in's answer proves routing and auth wiring, never the
component. Then the broken wirings: each must make its role's converge fail, naming the component
and the reason.
"""
import base64
import hashlib
import hmac
import json
import os
import shlex
import subprocess
import time

import pytest
import yaml

testinfra_hosts = ["stack-host"]

SITE = "supabase.test"
CURL = f"curl -sS -k --resolve {SITE}:443:127.0.0.1"
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.getcwd())
# molecule.yml renames GoTrue's container (gotrue_container_name in group_vars).
AUTH = "supabase-auth-renamed"
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (request path, auth, component, path the component receives): ../shared/reference/gateway-routes.md
ROUTES = [
    ("/auth/v1/verify", None, "gotrue", "/verify"),
    ("/auth/v1/callback", None, "gotrue", "/callback"),
    ("/auth/v1/authorize", None, "gotrue", "/authorize"),
    ("/auth/v1/user", "anon", "gotrue", "/user"),
    ("/rest/v1/todos", "anon", "postgrest", "/todos"),
    ("/graphql/v1", "anon", "postgrest", "/rpc/graphql"),
    ("/realtime/v1/api/ping", "anon", "realtime", "/api/ping"),
    ("/realtime/v1/websocket", "anon", "realtime", "/socket/websocket"),
    ("/storage/v1/object/list", None, "storage", "/object/list"),
    ("/functions/v1/hello", None, "functions", "/hello"),
    ("/", "dashboard", "studio", "/"),
]


@pytest.fixture(scope="module")
def secrets():
    with open(os.path.join(EPHEMERAL, "inventory", "supabase-secrets.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def _get(host, path, secrets, auth=None):
    """(status, parsed JSON or None) of GET https://SITE<path> through Caddy."""
    args = ""
    if auth in ("anon", "service_role"):
        key = secrets["supabase_anon_key" if auth == "anon" else "supabase_service_role_key"]
        args = f"-H {shlex.quote('apikey: ' + key)}"
    elif auth == "dashboard":
        args = "-u " + shlex.quote(f"{secrets['supabase_dashboard_username']}:{secrets['supabase_dashboard_password']}")
    out = host.run(f"{CURL} -o /tmp/wiring-body -w '%{{http_code}}' {args} https://{SITE}{path}")
    body = host.file("/tmp/wiring-body").content_string if host.file("/tmp/wiring-body").exists else ""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    return int(out.stdout or 0), data


@pytest.mark.parametrize("path, auth, component, received", ROUTES, ids=[r[0] for r in ROUTES])
def test_every_gateway_route_reaches_its_component(host, secrets, path, auth, component, received):
    status, data = _get(host, path, secrets, auth)
    assert status == 200, (path, status, data)
    assert data and data.get("standin") is True, data
    assert data["component"] == component, data
    assert data["path"] == received, data


def test_graphql_gets_the_graphql_profile(host, secrets):
    _, data = _get(host, "/graphql/v1", secrets, "anon")
    assert data["headers"].get("content-profile") == "graphql_public", data


def test_no_key_is_401(host, secrets):
    for path in ("/rest/v1/todos", "/auth/v1/user", "/pg/schemas"):
        status, _ = _get(host, path, secrets)
        assert status == 401, path


def test_anon_on_pg_is_403(host, secrets):
    status, _ = _get(host, "/pg/schemas", secrets, "anon")
    assert status == 403


def test_service_role_on_pg_reaches_meta_real(host, secrets):
    status, data = _get(host, "/pg/schemas", secrets, "service_role")
    assert status == 200
    # postgres-meta (REAL) lists the schemas the bootstrap created.
    assert {"auth", "storage", "public"} <= {s["name"] for s in data}, data


def test_storage_bucket_versioning_and_lifecycle_on_the_s3_server(host, secrets):
    """The minio role's bootstrap, read back through the S3 API (moto's server, NOT MinIO)."""
    script = (
        "import boto3, json, sys; s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:9000', region_name='us-east-1', "
        "aws_access_key_id=sys.argv[1], aws_secret_access_key=sys.argv[2]); b = 'supabase-storage'; "
        "print(json.dumps({'buckets': [x['Name'] for x in s3.list_buckets()['Buckets']], "
        "'versioning': s3.get_bucket_versioning(Bucket=b).get('Status'), "
        "'rules': [r['ID'] for r in s3.get_bucket_lifecycle_configuration(Bucket=b)['Rules']]}))")
    run = host.run("python3 -c %s %s %s" % (shlex.quote(script), shlex.quote(secrets["supabase_minio_root_user"]),
                                           shlex.quote(secrets["supabase_minio_root_password"])))
    assert run.rc == 0, run.stderr
    state = json.loads(run.stdout)
    assert "supabase-storage" in state["buckets"]
    assert state["versioning"] == "Enabled"
    assert state["rules"] == ["expire-tmp"]
    # Storage is wired to that very bucket.
    env = dict(e.split("=", 1) for e in json.loads(host.check_output("docker inspect supabase-storage"))[0]["Config"]["Env"])
    assert env["GLOBAL_S3_BUCKET"] == "supabase-storage"


def _jwt(payload, secret):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(payload).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


@pytest.fixture(scope="module")
def broken():
    """Run molecule/stack/broken-wiring.yml once; {case: outcome}."""
    started = time.monotonic()
    bad_key = _jwt({"role": "anon", "iss": "supabase", "iat": 1700000000, "exp": 2000000000},
                   "wiring-another-secret-0123456789-abcdefghij")
    result_file = os.path.join(EPHEMERAL, "wiring-results.json")
    if os.path.exists(result_file):
        os.unlink(result_file)
    run = subprocess.run(
        ["ansible-playbook", "-i", os.path.join(EPHEMERAL, "inventory"),
         "-e", f"@{PROJECT}/molecule/resources/vars/offline-images.yml", "-e", f"wiring_bad_anon_key={bad_key}",
         "-e", f"wiring_result_file={result_file}",
         *json.loads(os.environ.get("WIRING_EXTRA_ARGS", "[]")),
         os.path.join(SCENARIO, "broken-wiring.yml")],
        capture_output=True, text=True, check=False)
    print(run.stdout[-5000:])
    print("broken wirings: %.1f s" % (time.monotonic() - started))
    assert os.path.exists(result_file), run.stdout[-3000:] + run.stderr[-2000:]
    with open(result_file, encoding="utf-8") as f:
        return {r["case"]: r for r in json.load(f)}


@pytest.mark.parametrize("case, component, reason", [
    ("wrong-bucket", "storage", "GLOBAL_S3_BUCKET"),
    ("wrong-db-password", "postgrest", "password"),
    ("missing-key", "gotrue", "API_EXTERNAL_URL"),
    ("foreign-signature", "functions", "SUPABASE_ANON_KEY"),
])
def test_broken_wiring_fails_naming_component_and_reason(broken, case, component, reason):
    outcome = broken[case]
    print(json.dumps(outcome, indent=1))
    assert outcome["failed"], f"{case}: the {component} role converged with a broken wiring"
    said = outcome["msg"] + "\n" + outcome["log"]
    assert outcome["container"] in said or component in said.lower(), said
    assert reason.lower() in said.lower(), said


def test_stack_is_still_healthy_after_the_broken_cases(host, broken):
    names = host.check_output("docker ps -a --format '{{.Names}}'").split()
    assert not [n for n in names if n.startswith("wiring-broken-")], names
    for name in ("supabase-storage", "supabase-rest", AUTH, "supabase-edge-functions"):
        state = json.loads(host.check_output(f"docker inspect {name}"))[0]["State"]
        assert state["Running"] and state.get("Health", {}).get("Status", "healthy") == "healthy", (name, state)


def test_health_playbook_fails_naming_an_exited_container(host):
    """health.yml counts every stack container: a stopped one fails the play, named with its state."""
    started = time.monotonic()
    host.check_output("docker stop supabase-studio")
    try:
        run = subprocess.run(
            ["ansible-playbook", "-i", os.path.join(EPHEMERAL, "inventory"), "-e", "health_wait=5",
             "-e", f"@{PROJECT}/molecule/resources/vars/offline-images.yml",
             os.path.join(PROJECT, "playbooks", "health.yml")],
            capture_output=True, text=True, check=False, env=dict(os.environ, ANSIBLE_LOG_PATH=""))
        print(run.stdout[-4000:])
        assert run.returncode != 0, "health.yml stayed green with supabase-studio exited"
        # The table (stdout) and the failure (stderr in ansible-core 2.19) name the container and its state.
        assert "container supabase-studio exited" in run.stdout
        assert "supabase-studio (studio) is exited" in run.stdout + run.stderr
    finally:
        host.check_output("docker start supabase-studio")
        for _ in range(60):
            health = host.check_output("docker inspect -f '{{.State.Health.Status}}' supabase-studio")
            if health == "healthy":
                break
            time.sleep(2)
        print("health.yml exited-container case: %.1f s" % (time.monotonic() - started))
