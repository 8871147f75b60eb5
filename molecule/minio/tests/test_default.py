"""Role minio against selfhost-supabase/minio:offline: moto's S3 server (NOT MinIO) behind a front that
admits only MINIO_ROOT_USER / MINIO_ROOT_PASSWORD.

The role's bucket bootstrap (amazon.aws.s3_bucket, community.aws.s3_lifecycle) ran against it; these
tests read the bucket back through the S3 API with boto3 and the root credentials, and check the
container wiring MinIO needs (command, environment, volume, ports). They prove the S3 side, not MinIO.
"""
import json
import os
import shlex
import subprocess
import time

import testinfra.utils.ansible_runner

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all")

CONTAINER = "supabase-minio"
BUCKET = "supabase-storage"
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

S3 = """
import json, sys, boto3
s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:9000', region_name='us-east-1',
                  aws_access_key_id=sys.argv[1], aws_secret_access_key=sys.argv[2])
out = {'buckets': [b['Name'] for b in s3.list_buckets()['Buckets']]}
out['versioning'] = s3.get_bucket_versioning(Bucket=sys.argv[3]).get('Status')
out['rules'] = s3.get_bucket_lifecycle_configuration(Bucket=sys.argv[3])['Rules']
print(json.dumps(out, default=str))
"""


def inspect(host):
    return json.loads(host.check_output("docker inspect %s" % CONTAINER))[0]


def s3_state(host, user, password):
    return host.run("python3 -c %s %s %s %s" % (shlex.quote(S3), user, password, BUCKET))


def test_this_is_the_offline_s3_server_not_minio(host):
    print("S3 server: moto behind a credentials front (selfhost-supabase/minio:offline), not MinIO")
    assert inspect(host)["Config"]["Image"] == "selfhost-supabase/minio:offline"
    assert inspect(host)["State"]["Health"]["Status"] == "healthy"


def test_bucket_versioning_and_lifecycle_as_configured(host):
    v = host.ansible.get_variables()
    run = s3_state(host, v["supabase_minio_root_user"], v["supabase_minio_root_password"])
    assert run.rc == 0, run.stderr
    state = json.loads(run.stdout)
    assert BUCKET in state["buckets"]
    assert state["versioning"] == "Enabled"
    (rule,) = state["rules"]
    assert rule["ID"] == "expire-tmp"
    assert rule["Status"] == "Enabled"
    assert rule["Expiration"]["Days"] == 7
    assert (rule.get("Filter") or {}).get("Prefix", rule.get("Prefix")) == "tmp/"


def test_s3_refuses_other_credentials(host):
    v = host.ansible.get_variables()
    run = s3_state(host, v["supabase_minio_root_user"], "not-the-password-123")
    assert run.rc != 0
    assert "SignatureDoesNotMatch" in run.stderr


def test_bootstrap_with_wrong_credentials_fails_naming_minio_and_the_bucket():
    started = time.monotonic()
    run = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], os.path.join(SCENARIO, "bad-credentials.yml")],
        capture_output=True, text=True, check=False, env=dict(os.environ, ANSIBLE_LOG_PATH=""))
    print(run.stdout[-3000:], "seconds: %.1f" % (time.monotonic() - started))
    assert run.returncode != 0
    # ansible-core 2.19 writes the error on stderr and may wrap the message: compare on joined words.
    out = " ".join((run.stdout + run.stderr).split())
    assert "minio: bucket %s" % BUCKET in out
    assert "molecule-wrong-minio-password-0" not in run.stdout + run.stderr


def test_wiring_command_environment_volume(host):
    v = host.ansible.get_variables()
    info = inspect(host)
    assert info["Config"]["Cmd"] == ["server", "/data", "--console-address", ":9001"]
    env = dict(e.split("=", 1) for e in info["Config"]["Env"])
    assert env["MINIO_ROOT_USER"] == v["supabase_minio_root_user"]
    assert env["MINIO_ROOT_PASSWORD"] == v["supabase_minio_root_password"]
    mounts = {m.get("Name"): m["Destination"] for m in info["Mounts"]}
    assert mounts.get("minio_data") == "/data"
    assert "minio" in info["NetworkSettings"]["Networks"]["supabase_default"]["Aliases"]


def test_ports_on_loopback_only(host):
    ports = host.check_output("docker port %s" % CONTAINER)
    assert "9000/tcp -> 127.0.0.1:9000" in ports
    assert "9001/tcp -> 127.0.0.1:9001" in ports
    assert "0.0.0.0" not in ports


def test_lifecycle_file_rendered(host):
    f = host.file("/opt/supabase/minio/lifecycle.json")
    assert f.mode == 0o640
    rules = json.loads(f.content_string)["Rules"]
    assert rules == [{"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
                      "Expiration": {"Days": 7}}]
