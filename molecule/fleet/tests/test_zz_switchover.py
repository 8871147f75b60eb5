"""playbooks/switchover.yml under a bounded write loop through the services' endpoint (docs/ha.md, docs/operations.md).

Runs after the failover and rolling upgrade tests (file order): the cluster has a leader and two streaming
replicas again. The playbook is run with ansible-playbook against this scenario's inventory, first in check mode
(nothing may change), then for real with a named candidate; the loop counts its failed writes, and every
acknowledged write must be in the table.
"""
import os
import subprocess
import time

from test_ha import _peer, cluster, sql
from test_zz_failover import _loop_report, _start_loop

testinfra_hosts = ["fleet-app1"]

ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.getcwd())


def _switchover(*extra):
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ephemeral, "ansible.cfg"),
               ANSIBLE_LOG_PATH=os.path.join(ephemeral, "switchover.log"),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "collections"), ANSIBLE_FORCE_COLOR="false")
    cmd = ["ansible-playbook", "-i", os.path.join(ephemeral, "inventory"),
           "-e", "@" + os.path.join(ROOT, "molecule/resources/vars/offline-images.yml"),
           os.path.join(ROOT, "playbooks", "switchover.yml")] + list(extra)
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=300, check=False)
    return proc.returncode, proc.stdout, time.monotonic() - started


def _roles(host):
    return {m["name"]: m["role"] for m in cluster(host)["members"]}


def test_switchover_check_mode_changes_nothing(host):
    before = _roles(host)
    rc, out, _ = _switchover("--check")
    assert rc == 0, out[-3000:]
    assert _roles(host) == before


def test_switchover_under_writes_loses_nothing(host):
    before = _roles(host)
    leader = next(n for n, r in before.items() if r == "leader")
    candidate = next(n for n, r in before.items() if r == "sync_standby")
    # An asynchronous replica is refused with synchronous mode on (Patroni would refuse it too), naming it.
    stranger = next(n for n, r in before.items() if r == "replica")
    rc, out, _ = _switchover("-e", f"switchover_candidate={stranger}")
    assert rc != 0 and f"switchover_candidate {stranger} is not a" in out, out[-3000:]
    assert _roles(host) == before
    sql(host, "drop table if exists public.ha_counter")
    sql(host, "create table public.ha_counter (id bigserial primary key, n int not null)")
    _start_loop(host, "ha-switchover")
    time.sleep(5)
    rc, out, seconds = _switchover("-e", f"switchover_candidate={candidate}")
    assert rc == 0, out[-3000:]
    report = _loop_report(host, "ha-switchover")
    present = {r[0] for r in sql(host, "select n from public.ha_counter")}
    lost = sorted(set(report["acked"]) - present)
    after = _roles(host)
    print(f"\nSWITCHOVER (REAL Patroni 3.0.2 via switchover.yml): {leader} -> {candidate} in {seconds:.1f} s "
          f"(playbook run); loop: {report['attempts']} attempts, {len(report['acked'])} acknowledged, "
          f"{report['failed']} failed, {len(lost)} acknowledged writes lost")
    assert after[candidate] == "leader", after
    assert after[leader] in ("replica", "sync_standby"), after
    assert not lost, lost
    # The old leader streams from the new one and holds every row.
    count = _peer(leader).check_output(
        "docker exec -u postgres supabase-db psql -tA -d postgres -c 'select count(*) from public.ha_counter'")
    assert int(count) <= len(present)
    sql(host, "drop table public.ha_counter")
