"""Rolling upgrade of one service on both app hosts while a client requests through Caddy.

playbooks/upgrade.yml replaces PostgREST (a STAND-IN here: wiring only) on fleet-app1, then fleet-app2, with a
new image, for that one component only (`--tags postgrest --skip-tags upgrade_edge,upgrade_db`, docs/backup.md).
Before each host's containers are replaced, it is drained from the edge's Caddy pool (REAL Caddy), health-checked
after, and put back. A bounded client loop on fleet-edge (loopback only, stops by itself) requests /rest/v1/
through Caddy and Kong the whole time; every answer that is not 200 is a failed request.
Without the drain, Kong on the host being upgraded answers 502/503 while its PostgREST is replaced.
Runs last: it leaves the fleet on the new PostgREST image.
"""
import json
import os
import subprocess
import time

import yaml

EDGE = "fleet-edge"
APP_HOSTS = ["fleet-app1", "fleet-app2"]
NEW_IMAGE = "selfhost-supabase/standin:offline-upgrade"
LOOP_MAX_REQUESTS = 20000
LOOP_MAX_SECONDS = 600
# Under the anon consumer's rate limit (kong_rate_limits: 300 a minute, counted in Redis across both Kong
# nodes): at full speed the loop gets 429s, which are Kong's limit working, not dropped requests.
LOOP_PAUSE = 0.25
LOOP = r"""
set -u
end=$(( $(date +%s) + {max_seconds} ))
n=0
: > /tmp/upgrade-loop.log
while [ ! -e /tmp/upgrade-loop.stop ] && [ $n -lt {max_requests} ] && [ $(date +%s) -lt $end ]; do
  code=$(curl -sk -o /dev/null -m 5 --resolve supabase.test:443:127.0.0.1 -H @/root/upgrade-loop.hdr \
         -w '%{{http_code}}' https://supabase.test/rest/v1/) || true
  echo "$(date +%s.%N) $code" >> /tmp/upgrade-loop.log
  n=$((n + 1))
  sleep {pause}
done
touch /tmp/upgrade-loop.done
""".format(max_seconds=LOOP_MAX_SECONDS, max_requests=LOOP_MAX_REQUESTS, pause=LOOP_PAUSE)


def _docker(*args, stdin=None, check=True):
    return subprocess.run(["docker", *args], input=stdin, capture_output=True, text=True, timeout=300, check=check)


def _anon_key():
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    with open(os.path.join(inventory, "supabase-secrets.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)["supabase_anon_key"]


def _image_of(host, container):
    return _docker("exec", host, "docker", "inspect", "-f", "{{.Config.Image}}", container).stdout.strip()


def _loop_answers():
    out = _docker("exec", EDGE, "cat", "/tmp/upgrade-loop.log").stdout
    return [(float(t), code) for t, code in (line.split() for line in out.splitlines() if len(line.split()) == 2)]


def test_rolling_upgrade_drops_no_request():
    # The "new version": the stand-in with one more layer, so the image id changes and the container is replaced.
    for name in APP_HOSTS:
        _docker("exec", "-i", name, "docker", "build", "-q", "-t", NEW_IMAGE, "-",
                stdin="FROM selfhost-supabase/standin:offline\nLABEL com.supabase.selfhost.test=rolling-upgrade\n")
    before = {name: _image_of(name, "supabase-rest") for name in APP_HOSTS}
    assert set(before.values()) == {"selfhost-supabase/standin:offline"}, before

    # The client: the key goes through stdin into a 0600 file, never onto a command line or into the output.
    _docker("exec", "-i", EDGE, "sh", "-c", "umask 077; cat > /root/upgrade-loop.hdr; rm -f /tmp/upgrade-loop.*",
            stdin="apikey: %s\n" % _anon_key())
    _docker("exec", "-d", EDGE, "bash", "-c", LOOP)
    deadline = time.time() + 60
    while time.time() < deadline and len(_loop_answers()) < 20:
        time.sleep(0.5)
    warm = _loop_answers()
    assert len(warm) >= 20 and all(code == "200" for _, code in warm), warm[-5:]

    started = time.time()
    run = subprocess.run(
        ["ansible-playbook", "-i", os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"]),
         "-e", f"@{os.environ['MOLECULE_PROJECT_DIRECTORY']}/molecule/resources/vars/offline-images.yml",
         "-e", f"postgrest_image={NEW_IMAGE}",
         *json.loads(os.environ.get("UPGRADE_EXTRA_ARGS", "[]")),
         # One component, as an operator upgrades one: only the postgrest role's tasks (with the drain, the
         # probe and the return to the pool, tagged always) on the app hosts; the edge and db plays not at all.
         "--tags", "postgrest", "--skip-tags", "upgrade_edge,upgrade_db",
         os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "upgrade.yml")],
        capture_output=True, text=True, check=False)
    upgrade_seconds = time.time() - started
    # A few more seconds of requests after the last host is back in the pool, then the loop is told to stop.
    time.sleep(5)
    _docker("exec", EDGE, "touch", "/tmp/upgrade-loop.stop")
    deadline = time.time() + 30
    while time.time() < deadline and _docker("exec", EDGE, "test", "-e", "/tmp/upgrade-loop.done", check=False).returncode:
        time.sleep(0.5)
    answers = _loop_answers()
    _docker("exec", EDGE, "rm", "-f", "/root/upgrade-loop.hdr")

    during = [(t, code) for t, code in answers if started <= t <= started + upgrade_seconds]
    failed = [(t, code) for t, code in answers if code != "200"]
    codes = {}
    for _, code in failed:
        codes[code] = codes.get(code, 0) + 1
    print("\nrolling upgrade: %.1f s, rc %s; client requests: %d in all, %d during the upgrade, %d failed %s"
          % (upgrade_seconds, run.returncode, len(answers), len(during), len(failed), codes or ""))
    drains = [line.strip() for line in run.stdout.splitlines() if ": drain;" in line or ": restore;" in line]
    print("\n".join(drains))
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    after = {name: _image_of(name, "supabase-rest") for name in APP_HOSTS}
    assert set(after.values()) == {NEW_IMAGE}, after
    # The loop really ran through the upgrade, at more than a request a second.
    assert len(during) >= upgrade_seconds, (len(during), upgrade_seconds)
    # Each app host was drained from the edge, then put back.
    for address in ("10.213.7.21:8000", "10.213.7.22:8000"):
        assert any(": drain;" in d and "wanted" in d and address not in d.split("wanted", 1)[1] for d in drains), drains
    assert sum(": restore;" in d for d in drains) == 2, drains
    upstreams = json.loads(_docker("exec", EDGE, "docker", "exec", "supabase-caddy", "wget", "-qO-",
                                   "http://127.0.0.1:2019/reverse_proxy/upstreams").stdout)
    assert sorted(u["address"] for u in upstreams) == ["10.213.7.21:8000", "10.213.7.22:8000"], upstreams
    assert failed == [], "%d of %d requests failed during the rolling upgrade: %s" % (len(failed), len(answers), failed[:20])
