"""The edge (REAL Caddy) and the S3 server of the converged stack: what the former caddy and minio
scenarios proved on their own, now on the stack's own containers.

The S3 server is selfhost-supabase/minio:offline: moto's S3 API (NOT MinIO) behind a front that admits
only MINIO_ROOT_USER / MINIO_ROOT_PASSWORD. These tests prove the S3 side and MinIO's wiring, not MinIO.
"""
import hashlib
import json
import os
import shlex
import subprocess
import time

import pytest
import yaml

testinfra_hosts = ["stack-host"]

SITE = "supabase.test"
BUCKET = "supabase-storage"
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.getcwd())
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INVENTORY = os.path.join(EPHEMERAL, "inventory")

S3 = """
import json, sys, boto3
s3 = boto3.client('s3', endpoint_url='http://' + sys.argv[4] + ':9000', region_name='us-east-1',
                  aws_access_key_id=sys.argv[1], aws_secret_access_key=sys.argv[2])
out = {'buckets': [b['Name'] for b in s3.list_buckets()['Buckets']]}
out['versioning'] = s3.get_bucket_versioning(Bucket=sys.argv[3]).get('Status')
print(json.dumps(out, default=str))
"""


@pytest.fixture(scope="module")
def secrets():
    with open(os.path.join(INVENTORY, "supabase-secrets.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def _inspect(host, name):
    return json.loads(host.check_output(f"docker inspect {name}"))[0]


def _playbook(name):
    """Run one of this scenario's side playbooks against the molecule inventory (directory: the controller
    is in a file of its own), with the stack's secrets and image set; returns (rc, joined output)."""
    started = time.monotonic()
    run = subprocess.run(
        ["ansible-playbook", "-i", INVENTORY, "-e", f"@{INVENTORY}/supabase-secrets.yml",
         "-e", f"@{PROJECT}/molecule/resources/vars/offline-images.yml", os.path.join(SCENARIO, name)],
        capture_output=True, text=True, check=False, env=dict(os.environ, ANSIBLE_LOG_PATH=""))
    out = run.stdout + run.stderr
    print(out[-3000:], "\n%s: %.1f s" % (name, time.monotonic() - started))
    # ansible-core 2.19 writes the error on stderr and may wrap the message: compare on joined words.
    return run.returncode, " ".join(out.split())


# --- Caddy (REAL) ---------------------------------------------------------------------------------

def test_caddy_config_files_private(host):
    d = host.file("/opt/supabase/caddy")
    assert d.is_directory and d.user == "root" and d.mode == 0o750
    f = host.file("/opt/supabase/caddy/Caddyfile")
    assert f.user == "root" and f.mode == 0o640
    assert "tls internal" in f.content_string


def test_caddy_publishes_only_the_edge_ports(host):
    """80 and 443 on every address; anything else (the metrics port, caddy_metrics_address) only on the private
    address."""
    private = host.ansible.get_variables()["supabase_private_address"]
    public, other = set(), []
    for line in host.check_output("docker port supabase-caddy").splitlines():
        port, _, bound = line.partition(" -> ")
        address = bound.rsplit(":", 1)[0].strip("[]")
        if address in ("0.0.0.0", "::"):
            public.add(port)
        else:
            other.append((port, address))
    assert public == {"80/tcp", "443/tcp"}, public
    assert all(address == private for _, address in other), other


def test_caddy_json_access_log_without_api_keys(host):
    host.run(f"curl -sS -k -o /dev/null --resolve {SITE}:443:127.0.0.1 -H 'apikey: SECRET-HEADER-KEY' "
             f"'https://{SITE}/rest/v1/t?apikey=SECRET-QUERY-KEY&select=id'")
    log = host.check_output("docker exec supabase-caddy cat /var/log/caddy/access.log")
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert any(e.get("request", {}).get("uri", "").startswith("/rest/v1/t") for e in lines), "request not logged"
    assert "SECRET-HEADER-KEY" not in log
    assert "SECRET-QUERY-KEY" not in log
    mounts = {m.get("Name"): m["Destination"] for m in _inspect(host, "supabase-caddy")["Mounts"]}
    assert mounts.get("caddy_logs") == "/var/log/caddy"
    assert mounts.get("caddy_data") == "/data"


def test_broken_caddyfile_refused_before_apply(host):
    def snapshot():
        return (hashlib.sha256(host.file("/opt/supabase/caddy/Caddyfile").content).hexdigest(),
                _inspect(host, "supabase-caddy")["Id"])
    before = snapshot()
    rc, out = _playbook("broken-caddy.yml")
    assert rc != 0, "a Caddyfile with an unknown directive was accepted"
    # Refused by `caddy validate` (the template's validate step), not by something else on the way.
    assert "this_is_not_a_caddy_directive" in out or "failed to validate" in out, "not refused by caddy validate"
    assert snapshot() == before, "the live Caddyfile or the container changed"
    assert _inspect(host, "supabase-caddy")["State"]["Running"]


# --- S3 server (moto, NOT MinIO) --------------------------------------------------------------------

def _s3(host, user, password):
    # Where the minio role published the S3 API (loopback on a single host; the private address with app
    # hosts elsewhere): "9000/tcp -> 127.0.0.1:9000".
    address = host.check_output("docker port supabase-minio 9000/tcp").splitlines()[0].rsplit(":", 1)[0]
    return host.run("python3 -c %s %s %s %s %s" % (shlex.quote(S3), shlex.quote(user), shlex.quote(password),
                                                BUCKET, address))


def test_s3_server_is_the_offline_stand_in_not_minio(host):
    print("S3 server: moto behind a credentials front (selfhost-supabase/minio:offline), NOT MinIO")
    info = _inspect(host, "supabase-minio")
    assert info["Config"]["Image"].endswith("selfhost-supabase/minio:offline")
    assert info["State"]["Health"]["Status"] == "healthy"


def test_s3_admits_the_root_credentials_and_refuses_others(host, secrets):
    ok = _s3(host, secrets["supabase_minio_root_user"], secrets["supabase_minio_root_password"])
    assert ok.rc == 0, ok.stderr
    assert BUCKET in json.loads(ok.stdout)["buckets"]
    bad = _s3(host, secrets["supabase_minio_root_user"], "not-the-password-123")
    assert bad.rc != 0
    assert "SignatureDoesNotMatch" in bad.stderr


def test_minio_wiring_command_volume_alias(host, secrets):
    info = _inspect(host, "supabase-minio")
    assert info["Config"]["Cmd"] == ["server", "/data", "--console-address", ":9001"]
    env = dict(e.split("=", 1) for e in info["Config"]["Env"])
    assert env["MINIO_ROOT_USER"] == secrets["supabase_minio_root_user"]
    assert env["MINIO_ROOT_PASSWORD"] == secrets["supabase_minio_root_password"]
    mounts = {m.get("Name"): m["Destination"] for m in info["Mounts"]}
    assert mounts.get("minio_data") == "/data"
    assert "minio" in info["NetworkSettings"]["Networks"]["supabase_default"]["Aliases"]


def test_bucket_bootstrap_with_wrong_credentials_fails_naming_minio_and_the_bucket():
    rc, out = _playbook("bad-s3-credentials.yml")
    assert rc != 0, "the bootstrap passed with a wrong root password"
    assert f"minio: bucket {BUCKET}" in out
    assert "molecule-wrong-minio-password-0" not in out
