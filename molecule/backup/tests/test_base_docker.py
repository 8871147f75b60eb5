"""Role selfhost.supabase.docker: the engine it installed runs a container with the configured settings."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# The backup scenario's plain systemd host (group plain), which converge.yml gives the host and docker roles.
testinfra_hosts = ["ansible://backup-plain"]

PROJECT = Path(__file__).resolve().parents[3]
IMAGE = "selfhost-supabase/debian12-systemd:latest"
PROBE = "selfhost-docker-probe"


def test_engine_installed_and_running(host):
    assert host.package("docker.io").is_installed
    assert host.package("python3-docker").is_installed
    svc = host.service("docker")
    assert svc.is_enabled
    assert svc.is_running
    assert host.socket("unix:///run/docker.sock").is_listening


def test_daemon_json(host):
    cfg = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert cfg["log-driver"] == "json-file"
    assert cfg["log-opts"] == {"max-size": "10m", "max-file": "3"}
    assert cfg["live-restore"] is True
    assert cfg["iptables"] is True


def test_daemon_settings_in_effect(host):
    info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert info["LiveRestoreEnabled"] is True
    assert info["LoggingDriver"] == "json-file"


def test_stack_network(host):
    net = json.loads(host.check_output("docker network inspect supabase_default"))
    assert net[0]["Driver"] == "bridge"


@pytest.fixture(scope="module")
def probe(host):
    """Load the platform image into the inner engine (no registry here) and run a container from it."""
    name = host.backend.get_hostname()
    subprocess.run(
        [str(PROJECT / "molecule/resources/scripts/load-images.sh"), name, IMAGE],
        check=True, capture_output=True, text=True, timeout=300,
    )
    host.run(f"docker rm -f {PROBE}")
    host.check_output(f"docker run -d --name {PROBE} --network supabase_default --entrypoint sleep {IMAGE} 600")
    yield PROBE
    host.run(f"docker rm -f {PROBE}")


def test_container_runs_with_log_rotation(host, probe):
    state = json.loads(host.check_output(f"docker inspect {probe}"))[0]
    assert state["State"]["Running"] is True
    assert state["HostConfig"]["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}}
    assert "supabase_default" in state["NetworkSettings"]["Networks"]


@pytest.mark.parametrize(
    "extra,needles",
    [
        ({"docker_install_source": "snap"}, ["docker_install_source must be one of: distro, upstream", "got: snap"]),
        # An engine that does not answer: the message names the socket.
        ({"docker_socket": "/run/selfhost-missing.sock"}, ["does not answer on unix:///run/selfhost-missing.sock"]),
    ],
)
def test_bad_input_fails_clearly(host, extra, needles):
    before = host.file("/etc/docker/daemon.json").sha256sum
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(PROJECT / "collections"),
        ANSIBLE_FORCE_COLOR="false",
    )
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i", os.environ["MOLECULE_INVENTORY_FILE"],
            "-l", host.backend.get_hostname(),
            "-e", json.dumps(extra),
            str(PROJECT / "molecule/backup/bad-input-docker.yml"),
        ],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    out = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0, out
    for needle in needles:
        assert needle in out, out
    assert "changed=0" in out, out
    assert host.file("/etc/docker/daemon.json").sha256sum == before
