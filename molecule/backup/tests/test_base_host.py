"""Role selfhost.supabase.host: state a user cares about, on the converged platform (the docker role ran after it)."""

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The backup scenario's plain systemd host (group plain), which converge.yml gives the host and docker roles.
testinfra_hosts = ["ansible://backup-plain"]

PROJECT = Path(__file__).resolve().parents[3]
SYSCTL = {
    "net.ipv4.ip_forward": "1",
    "vm.overcommit_memory": "1",
    "vm.max_map_count": "262144",
    "fs.inotify.max_user_watches": "524288",
    "fs.inotify.max_user_instances": "512",
    "net.core.somaxconn": "4096",
}


def _rules(host):
    """Input chain of our table from `nft -j list ruleset`, as (rule text, rule json) pairs."""
    data = json.loads(host.check_output("nft -j list ruleset"))["nftables"]
    rules = [i["rule"] for i in data if "rule" in i and i["rule"]["table"] == "selfhost_filter"]
    return [r for r in rules if r["chain"] == "input"]


def _accepted_ports(host):
    """Ports with an accept rule in our input chain: {(proto, port): [saddr match or None]}."""
    ports = {}
    for rule in _rules(host):
        expr = rule["expr"]
        if not any("accept" in e for e in expr):
            continue
        saddr = None
        for e in expr:
            m = e.get("match")
            if not m:
                continue
            left = m["left"]
            if "payload" in left and left["payload"]["field"] == "dport":
                ports.setdefault((left["payload"]["protocol"], m["right"]), []).append(saddr)
            if "payload" in left and left["payload"]["field"] == "saddr":
                saddr = m["right"]
    return ports


def _container_ip(host):
    return host.ansible("setup", "gather_subset=network")["ansible_facts"]["ansible_default_ipv4"]["address"]


def test_base_dir(host):
    d = host.file("/opt/supabase")
    assert d.is_directory
    assert d.user == "root" and d.group == "root"
    assert d.mode == 0o750


def test_sysctl_persisted(host):
    content = host.file("/etc/sysctl.d/60-selfhost-supabase.conf").content_string
    for key, value in SYSCTL.items():
        assert f"{key}={value}" in content


def test_sysctl_live_where_writeable(host):
    # In a container /proc/sys is read-only, so the role only persists; where a key is writeable
    # the live value must match.
    for key, value in SYSCTL.items():
        path = "/proc/sys/" + key.replace(".", "/")
        if host.run(f"test -w {path}").rc == 0:
            assert host.file(path).content_string.strip() == value, key


def test_timesyncd(host):
    assert host.package("systemd-timesyncd").is_installed
    svc = host.service("systemd-timesyncd")
    assert svc.is_enabled
    virt = host.run("systemd-detect-virt --container").stdout.strip()
    if virt and virt != "none":
        # ConditionVirtualization=!container: systemd skips it, the clock belongs to the container host.
        assert "ConditionVirtualization=!container" in host.check_output("systemctl cat systemd-timesyncd.service")
        assert host.check_output("systemctl show -p ConditionResult --value systemd-timesyncd.service") == "no"
    else:
        assert svc.is_running


def test_nftables_service(host):
    svc = host.service("nftables")
    assert svc.is_enabled
    assert svc.is_running
    assert "delete table inet selfhost_filter" in host.file(
        "/etc/systemd/system/nftables.service.d/selfhost-supabase.conf"
    ).content_string


def test_ruleset_policy_and_basics(host):
    data = json.loads(host.check_output("nft -j list ruleset"))["nftables"]
    chains = [i["chain"] for i in data if "chain" in i and i["chain"]["table"] == "selfhost_filter"]
    inp = [c for c in chains if c["name"] == "input"]
    assert len(inp) == 1
    assert inp[0]["family"] == "inet"
    assert inp[0]["hook"] == "input"
    assert inp[0]["policy"] == "drop"
    text = host.check_output("nft list table inet selfhost_filter")
    assert "ct state established,related accept" in text
    assert 'iifname "lo" accept' in text


def test_ruleset_ports(host):
    ports = _accepted_ports(host)
    # ssh always, from anywhere
    assert ports[("tcp", 22)] == [None]
    # edge group: web ports from anywhere
    assert ports[("tcp", 80)] == [None]
    assert ports[("tcp", 443)] == [None]
    assert ports[("udp", 443)] == [None]
    # extra ports: "9100/tcp" from the trusted sources, 8080 from 10/8 and fd00::/8 only
    assert all(s is not None for s in ports[("tcp", 9100)])
    assert '"addr": "127.0.0.0", "len": 8' in json.dumps(ports[("tcp", 9100)])
    # the fleet's addresses (here the platform itself, in group edge) are trusted
    assert json.dumps(_container_ip(host)) in json.dumps(ports[("tcp", 9100)])
    assert {"prefix": {"addr": "10.0.0.0", "len": 8}} in ports[("tcp", 8080)]
    assert {"prefix": {"addr": "fd00::", "len": 8}} in ports[("tcp", 8080)]
    # the host is not in db/app: their ports are closed, as is anything unlisted
    for closed in [("tcp", 5432), ("tcp", 8000), ("tcp", 8443), ("tcp", 3000), ("udp", 53)]:
        assert closed not in ports


def test_forward_chain_governs_published_ports(host):
    # Ports Docker publishes pass the forward hook: our chain runs before Docker's (priority filter = 0)
    # and sends new DNAT'd connections to `published`, which ends in a drop.
    data = json.loads(host.check_output("nft -j list table inet selfhost_filter"))["nftables"]
    chains = {i["chain"]["name"]: i["chain"] for i in data if "chain" in i}
    assert chains["forward"]["hook"] == "forward"
    assert chains["forward"]["prio"] < 0
    assert chains["forward"]["policy"] == "accept"
    assert "published" in chains and "hook" not in chains["published"]
    text = host.check_output("nft list chain inet selfhost_filter forward")
    assert "ct state new ct status dnat jump published" in text
    published = host.check_output("nft list chain inet selfhost_filter published").splitlines()
    rules = [line.strip() for line in published if line.strip() and not line.strip().startswith(("table", "chain", "}"))]
    assert rules[-1].endswith('drop comment "published port not admitted"'), rules
    # edge: web ports from anywhere, matched on the published (pre-DNAT) port; 9100 from trusted sources.
    # nft prints the protocol as a number (6) after `meta l4proto`.
    assert any(re.match(r"meta l4proto (tcp|6) ct original proto-dst 443 accept", r) for r in rules), rules
    assert any("ct original proto-dst 9100 accept" in r and "127.0.0.0/8" in r for r in rules), rules
    assert not any("proto-dst 5432" in r for r in rules), rules


@pytest.fixture(scope="module")
def listeners(host):
    """Two throwaway web servers in the platform: 80 (admitted) and 3000 (not admitted)."""
    for port in (80, 3000):
        host.run(f"systemctl stop probe{port}.service")
        host.check_output(f"systemd-run --unit probe{port} python3 -m http.server {port} --bind 0.0.0.0")
    for _ in range(50):
        if host.socket("tcp://0.0.0.0:80").is_listening and host.socket("tcp://0.0.0.0:3000").is_listening:
            break
        time.sleep(0.2)
    yield
    for port in (80, 3000):
        host.run(f"systemctl stop probe{port}.service")


def _connects(addr, port):
    try:
        with socket.create_connection((addr, port), timeout=3):
            return True
    except OSError:
        return False


def test_firewall_in_effect(host, listeners):
    assert host.socket("tcp://0.0.0.0:80").is_listening
    assert host.socket("tcp://0.0.0.0:3000").is_listening
    ip = _container_ip(host)
    assert _connects(ip, 80), "port 80 is admitted on an edge host"
    assert not _connects(ip, 3000), "port 3000 is listed nowhere and must be dropped"


def test_reload_keeps_foreign_tables(host):
    # Docker's tables live beside ours: a reload or a restart of nftables.service must not flush them.
    host.check_output("nft add table ip selfhost_test_foreign")
    try:
        host.check_output("nft -f /etc/nftables.conf")
        host.check_output("systemctl restart nftables.service")
        tables = host.check_output("nft list tables")
        assert "table ip selfhost_test_foreign" in tables
        assert "table inet selfhost_filter" in tables
    finally:
        host.run("nft delete table ip selfhost_test_foreign")


@pytest.mark.parametrize(
    "bad,needle",
    [
        ('[{"port": 70000}]', "port must be an integer 1-65535"),
        ('["8080/sctp"]', "proto must be tcp or udp"),
        ('[{"port": 8080, "sources": ["10.0.0.300/8"]}]', "10.0.0.300/8"),
    ],
)
def test_bad_extra_ports_fail_before_change(host, bad, needle):
    before = host.file("/etc/nftables.conf").sha256sum
    env = dict(os.environ)
    env.update(
        PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
        ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(PROJECT / "collections"),
        ANSIBLE_FORCE_COLOR="false",
    )
    proc = subprocess.run(
        [
            "ansible-playbook",
            "-i", os.environ["MOLECULE_INVENTORY_FILE"],
            "-l", host.backend.get_hostname(),
            "-e", json.dumps({"host_firewall_extra_ports": json.loads(bad)}),
            str(PROJECT / "molecule/backup/bad-input-host.yml"),
        ],
        env=env, capture_output=True, text=True, timeout=180, check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "host_firewall_extra_ports[0]" in out, out
    assert needle in out, out
    assert "changed=0" in out, out
    assert host.file("/etc/nftables.conf").sha256sum == before
