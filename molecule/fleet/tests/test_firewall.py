"""The host firewall governs the ports Docker publishes, proven from outside the fleet.

The outsider is a container this module starts itself on the fleet's network (selfhost-fleet,
10.213.7.99) and removes at the end. It is in no inventory group, so no host trusts it, while the
fleet hosts trust each other. Every port a service publishes on a private address of the db or an
app host is found from `docker inspect` on that host, so a port added later is checked too.
"""
import json
import os
import subprocess
import time

import pytest
import testinfra

testinfra_hosts = ["fleet-db1"]

NETWORK = "selfhost-fleet"
OUTSIDER = "fleet-outsider"
OUTSIDER_IP = "10.213.7.99"
OUTSIDER_IMAGE = "selfhost-supabase/debian12-systemd:latest"
PRIVATE = {"fleet-db1": "10.213.7.11", "fleet-db2": "10.213.7.12", "fleet-db3": "10.213.7.13",
           "fleet-app1": "10.213.7.21", "fleet-app2": "10.213.7.22", "fleet-edge": "10.213.7.30"}
DB_HOSTS = ["fleet-db1", "fleet-db2", "fleet-db3"]
SERVICE_HOSTS = [*DB_HOSTS, "fleet-app1", "fleet-app2"]
# etcd's client and peer ports (postgres_ha): admitted from the db hosts only (host_firewall_group_ports).
ETCD_PORTS = ("2379", "2380")


def _etcd(target):
    return target.rsplit(":", 1)[1] in ETCD_PORTS
EDGE_443 = f"{PRIVATE['fleet-edge']}:443"

# Tries every HOST:PORT of argv at once; prints {target: open | refused | timeout | <error>}.
PROBE = r"""
import concurrent.futures, json, socket, sys
def probe(target):
    host, port = target.rsplit(':', 1)
    try:
        socket.create_connection((host, int(port)), 3).close()
        return target, 'open'
    except socket.timeout:
        return target, 'timeout'
    except ConnectionRefusedError:
        return target, 'refused'
    except OSError as exc:
        return target, str(exc)
with concurrent.futures.ThreadPoolExecutor(32) as pool:
    print(json.dumps(dict(pool.map(probe, sys.argv[1:]))))
"""


def _peer(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


def _docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120, check=check)


class Outsider:
    """A container on the fleet's network that is not in the inventory."""

    def probe(self, targets):
        out = _docker("exec", OUTSIDER, "python3", "-c", PROBE, *targets).stdout
        return json.loads(out)


def _probe_from(name, targets):
    return json.loads(_peer(name).check_output("python3 -c %s %s" % (_quote(PROBE), " ".join(targets))))


def _quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


@pytest.fixture(scope="module")
def outsider():
    _docker("rm", "-f", OUTSIDER, check=False)
    _docker("run", "-d", "--name", OUTSIDER, "--network", NETWORK, "--ip", OUTSIDER_IP,
            "--label", "selfhost.test=fleet-firewall", "--entrypoint", "sleep", OUTSIDER_IMAGE, "infinity")
    try:
        yield Outsider()
    finally:
        _docker("rm", "-f", OUTSIDER, check=False)


def _published(name):
    """TCP ports Docker publishes on this host's private (non-loopback) addresses, as HOST:PORT."""
    peer = _peer(name)
    ids = peer.check_output("docker ps -q").split()
    targets = set()
    for container in json.loads(peer.check_output("docker inspect " + " ".join(ids))) if ids else []:
        for key, bindings in (container["NetworkSettings"]["Ports"] or {}).items():
            if not key.endswith("/tcp"):
                continue
            for b in bindings or []:
                if not b["HostIp"].startswith("127.") and b["HostIp"] not in ("::1",):
                    targets.add(f"{b['HostIp']}:{b['HostPort']}")
    return targets


@pytest.fixture(scope="module")
def published():
    ports = {name: _published(name) for name in SERVICE_HOSTS}
    print("published on private addresses:", ports)
    return ports


def test_every_published_port_is_on_a_private_address(published):
    # A port on 0.0.0.0 would also be governed, but the probes below target the private addresses.
    for db in DB_HOSTS:
        for port in (5432, 8008, *ETCD_PORTS):
            assert f"{PRIVATE[db]}:{port}" in published[db], (db, port)
    for app in ("fleet-app1", "fleet-app2"):
        assert f"{PRIVATE[app]}:8000" in published[app]
    for name, targets in published.items():
        assert all(t.startswith(PRIVATE[name] + ":") for t in targets), (name, targets)


def test_outsider_is_refused_on_every_published_port_but_edge_443(outsider, published):
    targets = sorted(set().union(*published.values()))
    t0 = time.monotonic()
    result = outsider.probe(targets + [EDGE_443])
    print(f"outsider probe of {len(targets) + 1} ports: {time.monotonic() - t0:.1f} s", result)
    # The outsider's own network works: the public entry answers it.
    assert result.pop(EDGE_443) == "open"
    assert result and all(state != "open" for state in result.values()), result


def test_fleet_hosts_reach_the_published_ports(published):
    # From an app host: the db hosts' ports (PostgreSQL and Patroni's REST API for the fleet; Redis and MinIO
    # for app hosts) but etcd, and the other app host's Kong; edge 443 as well.
    db_ports = set().union(*(published[db] for db in DB_HOSTS))
    t0 = time.monotonic()
    from_app1 = _probe_from("fleet-app1", sorted({t for t in db_ports if not _etcd(t)} | published["fleet-app2"]) + [EDGE_443])
    from_app2 = _probe_from("fleet-app2", sorted(published["fleet-app1"]))
    # A db host reaches the other members' etcd (Patroni's store, etcd's peers).
    from_db2 = _probe_from("fleet-db2", sorted(t for t in published["fleet-db1"] | published["fleet-db3"] if _etcd(t)))
    # The edge reaches the app hosts' Kong (Caddy does) and the db host's PostgreSQL.
    from_edge = _probe_from("fleet-edge", sorted(t for t in published["fleet-app1"] | published["fleet-app2"] if t.endswith(":8000"))
                            + [f"{PRIVATE['fleet-db1']}:5432"])
    print(f"fleet probes: {time.monotonic() - t0:.1f} s", from_app1, from_app2, from_db2, from_edge)
    assert len(from_db2) == 4, from_db2
    for result in (from_app1, from_app2, from_db2, from_edge):
        assert result and all(state == "open" for state in result.values()), result


def test_ha_ports_are_kept_to_their_groups(published):
    # etcd only from db hosts: not from an app host. Patroni's REST API from db, app and monitor hosts: not
    # from the edge.
    etcd = sorted(t for db in DB_HOSTS for t in published[db] if _etcd(t))
    from_app1 = _probe_from("fleet-app1", etcd)
    from_edge = _probe_from("fleet-edge", [f"{PRIVATE[db]}:8008" for db in DB_HOSTS])
    print("ha port probes:", from_app1, from_edge)
    assert len(from_app1) == 6 and len(from_edge) == 3, (from_app1, from_edge)
    for result in (from_app1, from_edge):
        assert all(state != "open" for state in result.values()), result


@pytest.fixture
def unlisted_port(host):
    """A throwaway container on the db host publishing 18080 on its private address: in no port table."""
    name = "fw-test-unlisted"
    host.run(f"docker rm -f {name}")
    host.check_output(
        f"docker run -d --name {name} --label selfhost.test=fleet-firewall --entrypoint python3 "
        f"-p {PRIVATE['fleet-db1']}:18080:18080 selfhost-supabase/standin:offline -m http.server 18080")
    target = f"{PRIVATE['fleet-db1']}:18080"
    deadline = time.monotonic() + 20
    while json.loads(host.check_output("python3 -c %s %s" % (_quote(PROBE), target)))[target] != "open":
        assert time.monotonic() < deadline, "the throwaway listener did not come up on the db host"
        time.sleep(0.5)
    yield target
    host.run(f"docker rm -f {name}")


def test_unlisted_published_port_is_dropped_even_for_the_fleet(outsider, unlisted_port):
    # It answers on the db host itself (above), but not from an app host nor from the outsider.
    assert _probe_from("fleet-app1", [unlisted_port])[unlisted_port] != "open"
    assert outsider.probe([unlisted_port])[unlisted_port] != "open"


def _wait_healthy(peer, timeout, needs=None):
    """Until no container on peer is starting or unhealthy, and container `needs` runs (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        pending = peer.run("docker ps -q --filter health=starting --filter health=unhealthy").stdout.split()
        if not pending and (needs is None or peer.run(f"docker ps -q --filter name=^{needs}$").stdout.split()):
            return
        assert time.monotonic() < deadline, peer.run("docker ps -a").stdout
        time.sleep(1)


def test_rules_hold_after_a_docker_restart_on_the_db_host(host, outsider, published):
    before = host.check_output("nft -s list table inet selfhost_filter")
    pid = host.check_output("systemctl show -p MainPID --value docker.service")
    t0 = time.monotonic()
    host.check_output("systemctl restart docker.service")
    # A new engine, which set up its own iptables rules again (with live-restore the containers keep running).
    assert host.check_output("systemctl show -p MainPID --value docker.service") not in (pid, "0")
    _wait_healthy(host, 90, needs="supabase-db")
    print(f"docker restart on fleet-db1 until healthy: {time.monotonic() - t0:.1f} s")
    assert host.check_output("nft -s list table inet selfhost_filter") == before
    targets = sorted(published["fleet-db1"])
    # The fleet is admitted again once the containers are back (etcd: the db hosts only) ...
    deadline = time.monotonic() + 30
    while True:
        from_app = _probe_from("fleet-app1", [t for t in targets if not _etcd(t)])
        if all(state == "open" for state in from_app.values()):
            break
        assert time.monotonic() < deadline, from_app
        time.sleep(1)
    # ... and the outsider is still not.
    result = outsider.probe(targets)
    assert result and all(state != "open" for state in result.values()), result
    # The app hosts' services are healthy again before the other tests of this scenario run.
    for app in ("fleet-app1", "fleet-app2"):
        _wait_healthy(_peer(app), 60)
    print(f"whole restart check: {time.monotonic() - t0:.1f} s")

