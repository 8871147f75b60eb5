"""GoTrue's container is renamed in the inventory (molecule.yml: gotrue_container_name: supabase-auth-renamed).

The shared playbooks know no container names: each container carries its description as labels (written by
the container role: component, tier, probe, db-client), and health.yml / upgrade.yml find and probe it from
there. teardown.yml removes it (tests/test_zz_teardown.py).
"""
import json
import os
import re
import subprocess
import time

import pytest
import yaml

testinfra_hosts = ["stack-host"]

RENAMED = "supabase-auth-renamed"
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.getcwd())
INVENTORY = os.path.dirname(os.environ.get("MOLECULE_INVENTORY_FILE", "/nonexistent/x"))
LABEL = "com.supabase.selfhost."


@pytest.fixture(scope="module")
def secrets():
    with open(os.path.join(INVENTORY, "supabase-secrets.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def _playbook(name, *args):
    started = time.monotonic()
    run = subprocess.run(
        ["ansible-playbook", "-i", INVENTORY, "-e", f"@{PROJECT}/molecule/resources/vars/offline-images.yml",
         *args, os.path.join(PROJECT, "playbooks", name)],
        capture_output=True, text=True, check=False, env=dict(os.environ, ANSIBLE_LOG_PATH=""))
    print(run.stdout[-5000:], run.stderr[-2000:])
    print("%s %s: %.1f s" % (name, " ".join(args), time.monotonic() - started))
    return run


def _labels(host, name):
    return json.loads(host.check_output(f"docker inspect {name}"))[0]["Config"]["Labels"]


def test_the_renamed_container_describes_itself(host):
    labels = _labels(host, RENAMED)
    assert labels[LABEL + "component"] == "gotrue"
    assert labels[LABEL + "tier"] == "services"
    assert (labels[LABEL + "probe.type"], labels[LABEL + "probe.port"], labels[LABEL + "probe.path"]) == ("http", "9999", "/health")
    assert labels[LABEL + "db-client"] == "true"
    assert "supabase-auth" not in host.check_output("docker ps -a --format '{{.Names}}'").split()


def test_no_label_of_any_stack_container_holds_a_secret(host, secrets):
    names = host.check_output("docker ps -a --filter label=com.supabase.selfhost.managed=true --format '{{.Names}}'").split()
    assert len(names) >= 11, names
    values = {k: v for k, v in secrets.items()
              if isinstance(v, str) and len(v) >= 8 and re.search("password|secret|key|token", k)}
    for name in names:
        text = json.dumps(_labels(host, name))
        leaked = [k for k, v in values.items() if v in text]
        assert not leaked, f"labels of {name} hold {leaked}"
    # A probe that needs a secret names the variable (realtime: the anon key as bearer token).
    assert _labels(host, "supabase-realtime")[LABEL + "probe.secret"] == "supabase_anon_key"


def test_health_reports_the_renamed_container():
    run = _playbook("health.yml", "-e", "health_wait=30")
    assert run.returncode == 0
    # The gotrue row of the table: found by its labels, probed on its stack address, healthy.
    assert re.search(r"gotrue\s+stack-host\s+yes\s", run.stdout), "no healthy gotrue row in health.yml's table"


def test_upgrade_without_a_new_image_stays_green():
    """The app hosts' play (the renamed GoTrue is there); the db play's backup is left out for time."""
    run = _playbook("upgrade.yml", "--tags", "upgrade_app")
    assert run.returncode == 0
    # The post-upgrade probe found the renamed container by its labels and named it healthy.
    # The YAML callback wraps a long message over several lines: compare on joined words.
    joined = " ".join(run.stdout.split())
    healthy = re.search(r"stack-host: ([a-z0-9, -]+) healthy", joined)
    assert healthy and RENAMED in [n.strip() for n in healthy.group(1).split(",")], \
        "upgrade.yml did not probe the renamed container"
    assert re.search(r"stack-host\s*:\s*ok=\d+\s+changed=0\s", run.stdout), "the same images changed something"
