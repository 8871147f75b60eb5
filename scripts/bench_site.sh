#!/usr/bin/env bash
# make bench-site: playbooks/site.yml against docker-compose, on the stack scenario's docker-in-docker host,
# in one run, and ONE table with the ratios of issue 12. A benchmark, not a test: it is not in the suite.
#   scripts/bench_site.sh            (run it through the queue: /work/tools/molq DIR make bench-site)
#   BENCH_FLEET=1 scripts/bench_site.sh    also the fleet scenario's no-op on its 6 hosts (about 15 min more)
#   BENCH_RUNS=first scripts/bench_site.sh  only the first converge (to try the other steps out; no-op figures empty)
# Steps (the untimed ones say so):
#   1. molecule create + prepare -s stack; docker-compose (Debian's 1.29) installed in stack-host (untimed)
#   2. molecule converge -s stack: site.yml's first converge to all healthy, then a no-op re-run (timed;
#      the changed counts come from the play recaps)
#   3. playbooks/health.yml (timed) against its slowest single probe (health_probe's own latency per probe)
#   4. playbooks/export_compose.yml writes the stack-host's containers as a compose file (export_compose_isolate:
#      fresh volumes and a network of the project's own); the collection's containers are removed (untimed);
#      `docker-compose up -d` timed until every container is healthy, then its no-op `up -d` (timed)
#   5. (BENCH_FLEET=1) molecule create + prepare + converge -s fleet (untimed), its no-op converge (timed); 6 hosts
# The platforms are destroyed at the end, also when a step fails. Logs: .cache/bench/.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/collections"
LOGDIR="${BENCH_LOGDIR:-$ROOT/.cache/bench}"
mkdir -p "$LOGDIR"
OFFLINE="$ROOT/molecule/resources/vars/offline-images.yml"
# Molecule's ephemeral directory of the stack scenario (its inventory, state and ansible.cfg): Molecule's own rule.
EPH="$HOME/.ansible/tmp/molecule.$(python -c 'import sys; from molecule.text import checksum; print(checksum(sys.argv[1], 4))' \
  "$(basename "$ROOT")").stack"
HOST=stack-host
PROJECT=benchcompose
DEST=/opt/supabase/compose-bench/docker-compose.yml
HEALTH_TIMEOUT="${BENCH_COMPOSE_TIMEOUT:-300}"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.1fx", a / b }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'; }
changed_of() { grep -Eo 'changed=[0-9]+' "$1" | awk -F= '{ s += $2 } END { print s + 0 }'; }
say() { echo "[bench $(date +%T)] $*" >&2; }
inner() { docker exec "$HOST" bash -c "$1"; }

# Ansible outside Molecule, against the scenario's own inventory and settings (as the stack's tests do).
playbook() {
  local cfg="$EPH/ansible.cfg"; [ -f "$cfg" ] || cfg="$ROOT/ansible.cfg"
  env -u ANSIBLE_LOG_PATH ANSIBLE_CONFIG="$cfg" \
    ANSIBLE_FILTER_PLUGINS="$ROOT/molecule/resources/filter_plugins" ANSIBLE_ROLES_PATH="$ROOT/roles" \
    ansible-playbook -i "$EPH/inventory" -e "@$OFFLINE" "$@"
}

destroy_all() {
  say "destroy the platforms"
  molecule destroy -s stack >>"$LOGDIR/destroy.log" 2>&1 || true
  [ "${BENCH_FLEET:-0}" = 1 ] && { molecule destroy -s fleet >>"$LOGDIR/destroy.log" 2>&1 || true; }
}
trap destroy_all EXIT

START_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
notes=()
status=0

# --- 1. platform (untimed) -----------------------------------------------------------------------------
say "stack: destroy + create + prepare (not timed)"
molecule destroy -s stack >"$LOGDIR/setup.log" 2>&1 || true
if ! molecule create -s stack >>"$LOGDIR/setup.log" 2>&1 || ! molecule prepare -s stack >>"$LOGDIR/setup.log" 2>&1; then
  say "stack setup FAILED (see $LOGDIR/setup.log)"; exit 1
fi
say "stack-host: install Debian's docker-compose (not timed)"
if ! inner 'command -v docker-compose >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose; }' \
     >"$LOGDIR/compose-install.log" 2>&1; then
  notes+=("docker-compose could not be installed in stack-host (see $LOGDIR/compose-install.log)")
fi
COMPOSE_VERSION="$(inner 'docker-compose version --short' 2>/dev/null || echo none)"

# --- 2. site.yml: first converge, no-op ---------------------------------------------------------------------
declare -A T C RC
for k in first noop health cup cnoop cupcmd fleet; do T[$k]=""; done
for k in first noop fleet; do C[$k]=""; done
for k in first noop health export config cup cnoop fleet; do RC[$k]=""; done
for run in ${BENCH_RUNS:-first noop}; do
  say "stack: molecule converge ($run)"
  start=$(now)
  molecule converge -s stack >"$LOGDIR/converge-$run.log" 2>&1; RC[$run]=$?
  T[$run]=$(elapsed "$start" "$(now)")
  C[$run]=$(changed_of "$LOGDIR/converge-$run.log")
  say "stack: converge $run ${T[$run]} s rc=${RC[$run]} changed=${C[$run]}"
  [ "${RC[$run]}" -eq 0 ] || { status=1; notes+=("converge $run failed (rc ${RC[$run]}, $LOGDIR/converge-$run.log)"); }
done
TASKS_NOOP=$(grep -sE 'stack-host +: ok=' "$LOGDIR/converge-noop.log" | grep -Eo 'ok=[0-9]+' | tail -1 | cut -d= -f2)

# --- 3. health.yml against its slowest probe --------------------------------------------------------------
say "health.yml"
start=$(now)
playbook "$ROOT/playbooks/health.yml" >"$LOGDIR/health.log" 2>&1; RC[health]=$?
T[health]=$(elapsed "$start" "$(now)")
# The health table's rows: component host ok "<latency> ms" (health_probe's own time of each probe).
read -r PROBES SLOW_MS SLOW_NAME < <(awk '{ for (i = 5; i <= NF; i++) if ($i == "ms" && ($(i-2) == "yes" || $(i-2) == "NO") && $(i-1) ~ /^[0-9.]+$/) {
    n++; if ($(i-1) + 0 >= m + 0) { m = $(i-1); c = $(i-4) } } } END { print n + 0, m, c }' "$LOGDIR/health.log")
SLOW_S=$(awk -v m="$SLOW_MS" 'BEGIN { if (m != "") printf "%.3f", m / 1000 }')
[ "${RC[health]}" -eq 0 ] || { status=1; notes+=("health.yml failed (rc ${RC[health]}, $LOGDIR/health.log)"); }
say "health.yml ${T[health]} s rc=${RC[health]}; slowest of $PROBES probes: $SLOW_NAME ${SLOW_MS:-?} ms"

# --- 4. docker-compose on the same host ---------------------------------------------------------------------
compose() { inner "cd $(dirname "$DEST") && docker-compose -p $PROJECT -f $(basename "$DEST") $1"; }
say "export_compose.yml (default export: twice, then --check; then the bench's isolated one)"
{
  playbook "$ROOT/playbooks/export_compose.yml" && playbook "$ROOT/playbooks/export_compose.yml" \
    && playbook "$ROOT/playbooks/export_compose.yml" --check
} >"$LOGDIR/export-default.log" 2>&1; RC[export]=$?
# changed= of the three runs: first, second, --check.
EXPORT_CHANGED=$(grep -E 'stack-host +: ok=' "$LOGDIR/export-default.log" | grep -Eo 'changed=[0-9]+' | cut -d= -f2 | paste -sd/)
inner 'test -s /opt/supabase/compose/docker-compose.yml && cd /opt/supabase/compose && docker-compose config -q' \
  >"$LOGDIR/export-config.log" 2>&1; RC[config]=$?
EXPORT_MODE=$(inner 'stat -c "%a %U" /opt/supabase/compose/docker-compose.yml /opt/supabase/compose' 2>/dev/null | tr '\n' ' ')
playbook "$ROOT/playbooks/export_compose.yml" -e export_compose_isolate=true -e "export_compose_dest=$DEST" \
  -e "export_compose_project=$PROJECT" >"$LOGDIR/export-bench.log" 2>&1 || RC[export]=$?
inner "test -s $DEST" || RC[export]=1
SERVICES=$(compose 'config --services' 2>/dev/null | grep -c .)
say "export rc=${RC[export]} (changed= first/second/--check: ${EXPORT_CHANGED:-?}), docker-compose config rc=${RC[config]}, $SERVICES services, mode $EXPORT_MODE"
[ "${RC[export]}" -eq 0 ] && [ "${RC[config]}" -eq 0 ] || { status=1; notes+=("compose export failed (see $LOGDIR/export-*.log)"); }

if [ "${RC[export]}" -eq 0 ] && [ "$COMPOSE_VERSION" != none ]; then
  say "remove the collection's containers from stack-host (not timed)"
  inner 'docker ps -aq --filter label=com.supabase.selfhost.managed=true | xargs -r docker rm -f' >"$LOGDIR/compose-up.log" 2>&1
  say "docker-compose up -d, until every container is healthy (timed)"
  start=$(now)
  compose 'up -d' >>"$LOGDIR/compose-up.log" 2>&1; RC[cup]=$?
  up_done=$(now)
  [ "${RC[cup]}" -eq 0 ] || { notes+=("docker-compose up -d failed (rc ${RC[cup]}, $LOGDIR/compose-up.log)"); status=1; HEALTH_TIMEOUT=0; }
  deadline=$(awk -v s="$start" -v t="$HEALTH_TIMEOUT" 'BEGIN { printf "%.3f", s + t }')
  while :; do
    states=$(inner "docker ps -a --filter label=com.docker.compose.project=$PROJECT --format '{{.Names}} {{.Status}}'")
    total=$(grep -c . <<<"$states")
    pending=$(grep -Ev '^[^ ]+ Up .*\(healthy\)$|^[^ ]+ Up [^(]*$' <<<"$states" | grep -c .)
    if [ "$total" -gt 0 ] && [ "$pending" -eq 0 ]; then T[cup]=$(elapsed "$start" "$(now)"); break; fi
    if awk -v d="$deadline" -v n="$(now)" 'BEGIN { exit !(n > d) }'; then
      notes+=("compose: not all healthy after $HEALTH_TIMEOUT s: $(grep -Ev '\(healthy\)$' <<<"$states" | tr '\n' ';')")
      status=1; break
    fi
    sleep 0.5
  done
  printf '%s\n' "$states" >>"$LOGDIR/compose-up.log"
  T[cupcmd]=$(elapsed "$start" "$up_done")
  COMPOSE_CONTAINERS=$total
  say "compose up -d returned after ${T[cupcmd]} s (rc ${RC[cup]}); all $total healthy after ${T[cup]:-never} s"
  start=$(now)
  compose 'up -d' >"$LOGDIR/compose-noop.log" 2>&1; RC[cnoop]=$?
  T[cnoop]=$(elapsed "$start" "$(now)")
  UPTODATE=$(grep -c 'is up-to-date' "$LOGDIR/compose-noop.log")
  say "compose no-op up -d ${T[cnoop]} s (rc ${RC[cnoop]}, $UPTODATE up-to-date)"
else
  notes+=("compose runs skipped (export rc ${RC[export]}, docker-compose $COMPOSE_VERSION)")
fi

# --- 5. the fleet (optional) -------------------------------------------------------------------------------
FLEET="not measured"
if [ "${BENCH_FLEET:-0}" = 1 ]; then
  molecule destroy -s stack >>"$LOGDIR/destroy.log" 2>&1 || true
  say "fleet: create + prepare + first converge (not timed)"
  if molecule create -s fleet >"$LOGDIR/fleet-setup.log" 2>&1 && molecule prepare -s fleet >>"$LOGDIR/fleet-setup.log" 2>&1 \
     && molecule converge -s fleet >"$LOGDIR/fleet-first.log" 2>&1; then
    start=$(now)
    molecule converge -s fleet >"$LOGDIR/fleet-noop.log" 2>&1; RC[fleet]=$?
    T[fleet]=$(elapsed "$start" "$(now)")
    C[fleet]=$(changed_of "$LOGDIR/fleet-noop.log")
    FLEET="${T[fleet]} s (changed=${C[fleet]})"
  else
    FLEET="failed (see $LOGDIR/fleet-*.log)"; status=1
  fi
fi

# --- the table ---------------------------------------------------------------------------------------------
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
met() { if [ -z "$1" ] || [ "$1" = "-" ]; then echo "not measured"; elif le "${1%x}" "$2"; then echo "met"; else echo "NOT met"; fi; }
R1=$(ratio "${T[first]}" "${T[cup]}"); R2=$(ratio "${T[noop]}" "${T[cnoop]}"); R3=$(ratio "${T[health]}" "$SLOW_S")
R4=$([ -n "${T[fleet]}" ] && ratio "${T[fleet]}" "${T[noop]}" || echo -)
NOOP_OK=$(le "${T[noop]}" 30 && [ "${C[noop]}" = 0 ] && echo met || echo "NOT met")
{
  echo
  echo "make bench-site  $START_DATE  $(uname -n)  nproc=$(nproc)  $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "load average (1, 5, 15 min): at start $LOAD_START, at end $LOAD_END"
  echo "docker-compose in stack-host: $COMPOSE_VERSION; services exported: $SERVICES; containers up under compose: ${COMPOSE_CONTAINERS:-0}"
  echo "export_compose.yml changed= first/second/--check: ${EXPORT_CHANGED:-?}; docker-compose config of the export: rc ${RC[config]}; modes: ${EXPORT_MODE:-?}"
  echo
  echo "| run | site.yml | docker-compose | ratio | target | result |"
  echo "| --- | --- | --- | --- | --- | --- |"
  echo "| first, to all healthy | ${T[first]} s (changed=${C[first]}, all hosts) | ${T[cup]:-failed} s (fresh volumes; up -d returned after ${T[cupcmd]:-?} s) | $R1 | <= 5x | $(met "$R1" 5) |"
  echo "| no-op re-run | ${T[noop]} s (changed=${C[noop]}, ${TASKS_NOOP:-?} tasks ok on stack-host) | ${T[cnoop]:-failed} s (${UPTODATE:-0} up-to-date) | $R2 | <= 30 s, changed=0 | $NOOP_OK |"
  echo "| health.yml vs slowest probe | ${T[health]} s (rc ${RC[health]}, $PROBES probes) | slowest probe: ${SLOW_NAME:-?} ${SLOW_MS:-?} ms | $R3 | <= 1.2x | $(met "$R3" 1.2) |"
  echo "| fleet no-op, 6 hosts (3 db under Patroni) vs 1 | $FLEET | 1 host (stack no-op): ${T[noop]} s | $R4 | <= 1.5x | $(met "$R4" 1.5) |"
  [ "$FLEET" = "not measured" ] && echo "fleet not measured: BENCH_FLEET=1 adds the fleet scenario (create, prepare and two converges, about 15 min)"
  for n in "${notes[@]}"; do echo "note: $n"; done
  echo "logs: $LOGDIR"
} | tee "$LOGDIR/table.md"
exit $status
