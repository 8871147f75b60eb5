"""A fleet through playbooks/site.yml: three db hosts (Patroni, test_ha.py), two app hosts, one edge, on a private
network.

Kong and most services are STAND-INs here (wiring only); PostgreSQL, Redis, Caddy and postgres-meta are real.
"""
import json
import os
import time

import pytest
import yaml
import testinfra

testinfra_hosts = ["fleet-edge"]

SITE = "supabase.test"
# The first db host: Redis and MinIO run there (docs/ha.md), and a PostgreSQL member.
DB_ADDRESS = "10.213.7.11"
DB_HOSTS = {"fleet-db1": DB_ADDRESS, "fleet-db2": "10.213.7.12", "fleet-db3": "10.213.7.13"}
APP_HOSTS = ["fleet-app1", "fleet-app2"]
CURL = f"curl -sS -k --resolve {SITE}:443:127.0.0.1"


def _peer(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


def _anon_key():
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    with open(os.path.join(inventory, "supabase-secrets.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)["supabase_anon_key"]


def _answering_kong(edge):
    """Which Kong node proxied a request through Caddy (the kong stand-in names itself in X-Standin-Node)."""
    out = edge.run(f"{CURL} -o /dev/null -D - -H 'apikey: {_anon_key()}' https://{SITE}/rest/v1/")
    lines = out.stdout.replace("\r", "").splitlines()
    if not lines or lines[0].split()[1:2] != ["200"]:
        return None
    headers = dict((k.strip().lower(), v.strip()) for k, _, v in (h.partition(":") for h in lines[1:] if ":" in h))
    return headers.get("x-standin-node")


@pytest.fixture(scope="module")
def kong_ids():
    return {name: _peer(name).check_output("docker inspect -f '{{.Config.Hostname}}' supabase-kong") for name in APP_HOSTS}


def test_caddy_balances_over_both_kong_nodes(host, kong_ids):
    upstreams = host.check_output("docker exec supabase-caddy wget -qO- http://127.0.0.1:2019/reverse_proxy/upstreams")
    addresses = sorted(u["address"] for u in json.loads(upstreams))
    assert addresses == ["10.213.7.21:8000", "10.213.7.22:8000"]
    seen = {_answering_kong(host) for _ in range(12)}
    assert seen == set(kong_ids.values()), seen


def test_requests_succeed_with_one_kong_stopped(host, kong_ids):
    app1 = _peer("fleet-app1")
    app1.check_output("docker stop supabase-kong")
    try:
        answers = [_answering_kong(host) for _ in range(12)]
        assert None not in answers, answers
        assert set(answers) == {kong_ids["fleet-app2"]}
    finally:
        app1.check_output("docker start supabase-kong")
    # Back in rotation after the active health check sees it again.
    deadline = time.time() + 30
    seen = set()
    while time.time() < deadline and len(seen) < 2:
        seen.add(_answering_kong(host))
    assert kong_ids["fleet-app1"] in seen


@pytest.mark.parametrize("name", APP_HOSTS)
def test_app_services_reach_postgres_on_the_db_host(name):
    app = _peer(name)
    # From inside a service container on the app host, over the private network.
    app.check_output(f"docker exec supabase-auth python3 -c \"import socket; socket.create_connection(('{DB_ADDRESS}', 5432), 5)\"")
    # postgres-meta (REAL) answers from the database on the db host.
    ip = app.check_output("docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' supabase-meta")
    schemas = json.loads(app.check_output(f"curl -sS http://{ip}:8080/schemas"))
    assert "auth" in {s["name"] for s in schemas}


def test_db_published_on_private_address_only():
    published = {"fleet-db1": (("supabase-db", 5432), ("supabase-db", 8008), ("supabase-etcd", 2379), ("supabase-redis", 6379),
                               ("supabase-minio", 9000))}
    for name, address in DB_HOSTS.items():
        db = _peer(name)
        for container, port in published.get(name, (("supabase-db", 5432), ("supabase-db", 8008), ("supabase-etcd", 2379))):
            ports = db.check_output(f"docker port {container}")
            assert f"{address}:{port}" in ports, (name, container, ports)
            assert "0.0.0.0" not in ports and "127.0.0.1" not in ports, (name, container, ports)
    # Redis and MinIO on the first db host only.
    for name in ("fleet-db2", "fleet-db3"):
        assert not _peer(name).check_output("docker ps -q --filter name=^supabase-redis$ --filter name=^supabase-minio$"), name


# Run inside a service container on an app host, with that container's own environment.
REDIS_PING = (
    "import os, socket; s = socket.create_connection((os.environ['REDIS_HOST'], int(os.environ['REDIS_PORT'])), 5); "
    "s.sendall(('AUTH %s\\r\\nPING\\r\\n' % os.environ['REDIS_PASSWORD']).encode()); "
    "import time; time.sleep(0.5); print(s.recv(100).decode().split())")
S3_HEAD = (
    "import os, boto3; s3 = boto3.client('s3', endpoint_url=os.environ['GLOBAL_S3_ENDPOINT'], "
    "region_name=os.environ.get('AWS_DEFAULT_REGION') or 'us-east-1', aws_access_key_id=os.environ['AWS_ACCESS_KEY_ID'], "
    "aws_secret_access_key=os.environ['AWS_SECRET_ACCESS_KEY']); "
    "s3.head_bucket(Bucket=os.environ['GLOBAL_S3_BUCKET']); print(os.environ['GLOBAL_S3_ENDPOINT'])")


@pytest.mark.parametrize("name", APP_HOSTS)
def test_realtime_and_storage_on_app_hosts_reach_redis_and_minio_on_the_db_host(name):
    app = _peer(name)
    # Realtime: Redis on the db host's private address, with the password.
    out = app.check_output(f"docker exec supabase-realtime python3 -c {json.dumps(REDIS_PING)}")
    assert out == "['+OK', '+PONG']", out
    env = dict(e.split("=", 1) for e in json.loads(app.check_output("docker inspect supabase-realtime"))[0]["Config"]["Env"])
    assert env["REDIS_HOST"] == DB_ADDRESS
    # Storage: the bucket on the S3 server on the db host, with Storage's own keys.
    out = app.check_output(f"docker exec supabase-storage python3 -c {json.dumps(S3_HEAD)}")
    assert out == f"http://{DB_ADDRESS}:9000", out
    for container in ("supabase-realtime", "supabase-storage"):
        state = json.loads(app.check_output(f"docker inspect {container}"))[0]["State"]
        assert state.get("Health", {}).get("Status", "healthy") == "healthy", (name, container, state.get("Health"))


def test_realtime_wired_to_the_db_hosts_docker_name_fails_naming_redis():
    """The old wiring (REDIS_HOST=supabase-redis on an app host) must fail the converge."""
    import subprocess
    started = time.monotonic()
    result_file = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "wiring-redis.json")
    if os.path.exists(result_file):
        os.unlink(result_file)
    run = subprocess.run(
        ["ansible-playbook", "-i", os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"]),
         "-e", f"@{os.environ['MOLECULE_PROJECT_DIRECTORY']}/molecule/resources/vars/offline-images.yml",
         *json.loads(os.environ.get("WIRING_EXTRA_ARGS", "[]")),
         "-e", f"wiring_result_file={result_file}",
         os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "broken-redis.yml")],
        capture_output=True, text=True, check=False)
    print(run.stdout[-3000:], "\nseconds: %.1f" % (time.monotonic() - started))
    with open(result_file, encoding="utf-8") as f:
        outcome = json.load(f)
    print(json.dumps(outcome, indent=1))
    assert outcome["failed"], "realtime converged with Redis unreachable"
    said = (outcome["msg"] + "\n" + outcome["log"]).lower()
    assert "realtime" in said and "redis" in said, said


def test_edge_is_the_only_public_entry(host):
    for name in [*DB_HOSTS, *APP_HOSTS]:
        peer = _peer(name)
        for line in peer.check_output("ss -Hltn").splitlines():
            addr = line.split()[3].rsplit(":", 1)[0]
            assert addr.startswith("127.") or addr.startswith("10.213.7.") or addr in ("[::1]",), f"{name}: {line}"
