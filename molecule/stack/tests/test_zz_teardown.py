"""playbooks/teardown.yml on the converged stack (runs last: the file name sorts after every other test).

First --check (nothing goes), then a deliberately broken teardown (it does not stop the units the roles
installed) must be caught by the leftover check, then the real teardown twice: the second run changes
nothing; containers, the stack network, /opt/supabase configs, the nftables table, the timers and the
sysctl file are gone; the data volumes and the backup sets stay.
"""
import os
import re
import shutil
import subprocess
import time

import pytest
import testinfra

testinfra_hosts = ["stack-host"]

PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.getcwd())
INVENTORY = os.path.dirname(os.environ.get("MOLECULE_INVENTORY_FILE", "/nonexistent/x"))
TEARDOWN = os.path.join(PROJECT, "playbooks", "teardown.yml")
CONFIG_DIRS = ["postgres", "redis", "minio", "kong", "caddy", "functions", "backup"]
VOLUMES = ["db_data", "redis_data", "minio_data", "caddy_data", "caddy_logs"]


def _playbook(path, *args):
    started = time.monotonic()
    run = subprocess.run(["ansible-playbook", "-i", INVENTORY, *args, path],
                         capture_output=True, text=True, check=False, env={k: v for k, v in os.environ.items() if k != "ANSIBLE_LOG_PATH"})
    print(run.stdout[-6000:], run.stderr[-2000:])
    print("%s %s: %.1f s" % (os.path.basename(path), " ".join(args), time.monotonic() - started))
    return run


def _changed(run):
    counts = re.findall(r"^stack-host\s*:\s*ok=\d+\s+changed=(\d+)", run.stdout, re.M)
    assert counts, "no PLAY RECAP for stack-host"
    return int(counts[-1])


def unit_leftovers(host):
    """The collection's systemd units still known to systemd, and their files and enablement links."""
    left = []
    # Every unit systemd still knows, in any state: a unit stopped, disabled and removed is not listed after
    # the reload; one removed while it ran stays listed (a timer as "not-found failed").
    loaded = host.run("systemctl list-units --all --no-legend --plain 'supabase-*' 'selfhost-*'").stdout
    for line in loaded.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            left.append(f"unit {fields[0]} {fields[1]} {fields[2]}")
    # Unit files, drop-ins and the enablement links in *.wants directories.
    files = host.run("find /etc/systemd/system \\( -name 'supabase-*' -o -name 'selfhost-*' \\) -printf '%P\\n'").stdout.split()
    return left + ["unit file " + f for f in files]


def leftovers(host):
    """What the collection put on the host and is still there (an empty list after a complete teardown)."""
    left = []
    containers = host.check_output("docker ps -aq")
    if containers:
        left.append("containers: " + host.check_output("docker ps -a --format '{{.Names}}'").replace("\n", " "))
    if "supabase_default" in host.check_output("docker network ls --format '{{.Name}}'").split():
        left.append("network supabase_default")
    left += ["config /opt/supabase/" + d for d in CONFIG_DIRS if host.file("/opt/supabase/" + d).exists]
    if "selfhost_filter" in host.run("nft list tables").stdout:
        left.append("nftables table inet selfhost_filter")
    left += unit_leftovers(host)
    for path in ("/etc/sysctl.d/60-selfhost-supabase.conf", "/etc/systemd/system/nftables.service.d/selfhost-supabase.conf",
                 "/var/lib/prometheus/node-exporter/supabase_backup.prom"):
        if host.file(path).exists:
            left.append(path)
    return left


@pytest.fixture(scope="module")
def broken_teardown(tmp_path_factory):
    """teardown.yml without the steps that stop, disable and clean up after the units (timers keep running)."""
    root = tmp_path_factory.mktemp("broken")
    (root / "playbooks").mkdir()
    os.symlink(os.path.join(PROJECT, "roles"), root / "roles")
    text = open(TEARDOWN, encoding="utf-8").read()
    # Every step that stops, disables or cleans up after the units goes; their files are still removed.
    cuts = [("    - name: Stop and disable those units\n", "    - name: Remove the roles' files"),
            ("    # An enablement link (multi-user.target.wants/", "    - name: Remove the roles' config directories")]
    broken = text
    for first, after in cuts:
        broken = broken[:broken.index(first)] + broken[broken.index(after):]
    assert broken != text
    (root / "playbooks" / "teardown.yml").write_text(broken)
    yield str(root / "playbooks" / "teardown.yml")
    shutil.rmtree(root, ignore_errors=True)


def test_before_teardown_the_check_sees_the_stack(host):
    left = leftovers(host)
    print(left)
    assert any(x.startswith("containers:") for x in left) and "nftables table inet selfhost_filter" in left
    assert "unit supabase-backup.timer loaded active" in left


def test_check_mode_removes_nothing(host):
    before = host.check_output("docker ps -q | wc -l")
    run = _playbook(TEARDOWN, "--check")
    assert run.returncode == 0
    assert host.check_output("docker ps -q | wc -l") == before
    assert "selfhost_filter" in host.run("nft list tables").stdout
    assert host.file("/opt/supabase/kong").exists


def test_teardown_refuses_a_vague_delete_data(host):
    run = _playbook(TEARDOWN, "-e", "teardown_delete_data=yes")
    assert run.returncode != 0
    assert "teardown_delete_data must be true or false" in run.stdout + run.stderr
    assert host.check_output("docker ps -q") != ""


def test_a_teardown_that_leaves_the_timers_is_caught(host, broken_teardown):
    run = _playbook(broken_teardown)
    assert run.returncode == 0
    left = leftovers(host)
    print("left by the broken teardown:", left)
    # Removed while it ran: systemd keeps the timer as failed, and its enablement link stays behind.
    assert any(x.startswith("unit supabase-backup.timer ") for x in left), left
    assert "unit file timers.target.wants/supabase-backup.timer" in left, left


def test_teardown_twice_second_changes_nothing_and_data_stays(host):
    first = _playbook(TEARDOWN)
    assert first.returncode == 0
    second = _playbook(TEARDOWN)
    assert second.returncode == 0
    assert _changed(second) == 0, "the second teardown changed something"
    left = leftovers(host)
    assert left == [], f"left after teardown: {left}"
    # The monitor host (Prometheus, Alertmanager, journal-remote and its retention timer).
    monitor_left = unit_leftovers(testinfra.get_host("docker://stack-prom"))
    assert monitor_left == [], f"left on stack-prom after teardown: {monitor_left}"
    volumes = host.check_output("docker volume ls --format '{{.Name}}'").split()
    assert set(VOLUMES) <= set(volumes), f"data volumes lost: {set(VOLUMES) - set(volumes)}"
    assert host.file("/opt/supabase/backups").is_directory, "the backup sets are gone"
