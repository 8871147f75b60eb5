"""Role minio against the STAND-IN image: WIRING ONLY.

MinIO cannot be had on this machine, so the container runs selfhost-supabase/standin:offline, which
is not MinIO. These tests prove only that the role wires the container as MinIO needs it (image,
command, environment, volume, ports, health path). They do not prove that MinIO works, and the bucket
bootstrap (minio_bootstrap_buckets) is switched off because it needs a real MinIO.
"""
import json
import os

import testinfra.utils.ansible_runner

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all")

CONTAINER = "supabase-minio"


def inspect(host):
    return json.loads(host.check_output("docker inspect %s" % CONTAINER))[0]


def standin_report(host, port=9000, path="/minio/health/live"):
    return json.loads(host.check_output("curl -fsS http://127.0.0.1:%d%s" % (port, path)))


def test_wiring_only_this_is_the_stand_in(host):
    print("WIRING ONLY: the container is the stand-in, not MinIO")
    info = inspect(host)
    assert info["Config"]["Labels"].get("selfhost.standin") == "true"
    assert info["Config"]["Image"] == "selfhost-supabase/standin:offline"
    assert standin_report(host)["standin"] is True


def test_wiring_command(host):
    info = inspect(host)
    assert info["Config"]["Cmd"] == ["server", "/data", "--console-address", ":9001"]
    assert standin_report(host)["command"] == ["server", "/data", "--console-address", ":9001"]


def test_wiring_environment(host):
    v = host.ansible.get_variables()
    env = standin_report(host)["env"]
    assert env["MINIO_ROOT_USER"] == v["supabase_minio_root_user"]
    assert env["MINIO_ROOT_PASSWORD"] == v["supabase_minio_root_password"]


def test_wiring_volume_and_network(host):
    info = inspect(host)
    mounts = {m.get("Name"): m["Destination"] for m in info["Mounts"]}
    assert mounts.get("minio_data") == "/data"
    assert "supabase_default" in info["NetworkSettings"]["Networks"]
    assert "minio" in info["NetworkSettings"]["Networks"]["supabase_default"]["Aliases"]


def test_wiring_ports_on_loopback_only(host):
    ports = host.check_output("docker port %s" % CONTAINER)
    assert "9000/tcp -> 127.0.0.1:9000" in ports
    assert "9001/tcp -> 127.0.0.1:9001" in ports
    assert "0.0.0.0" not in ports


def test_wiring_health_path_and_state(host):
    assert inspect(host)["State"]["Health"]["Status"] == "healthy"
    assert standin_report(host)["path"] == "/minio/health/live"


def test_wiring_lifecycle_file_rendered(host):
    """The bootstrap would import this file with mc; here only its content is checked."""
    f = host.file("/opt/supabase/minio/lifecycle.json")
    assert f.mode == 0o640
    rules = json.loads(f.content_string)["Rules"]
    assert rules == [{"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
                      "Expiration": {"Days": 7}}]
