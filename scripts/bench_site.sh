#!/usr/bin/env bash
# Time playbooks/site.yml: the first converge and a no-op re-run, for the stack and fleet scenarios.
#   scripts/bench_site.sh [stack|fleet ...]      (default: stack fleet)
# Each scenario is created and prepared first (not timed), then converged twice (timed), then destroyed.
# Prints one line per scenario and run; exits non-zero when a run fails or the re-run changed something.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/collections"
LOGDIR="${BENCH_LOGDIR:-$ROOT/.cache/bench}"
mkdir -p "$LOGDIR"

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(stack fleet)

results=()
status=0
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

for s in "${scenarios[@]}"; do
  log="$LOGDIR/$s.log"
  : > "$log"
  echo "[bench] $s: create + prepare (not timed)" >&2
  molecule destroy -s "$s" >>"$log" 2>&1 || true
  if ! molecule create -s "$s" >>"$log" 2>&1 || ! molecule prepare -s "$s" >>"$log" 2>&1; then
    results+=("$s  setup FAILED (see $log)"); status=1; continue
  fi
  for run in first no-op; do
    echo "[bench] $s: $run converge" >&2
    start=$(now)
    if molecule converge -s "$s" >"$log.$run" 2>&1; then rc=0; else rc=$?; fi
    took=$(elapsed "$start" "$(now)")
    cat "$log.$run" >>"$log"
    changed=$(grep -Eo 'changed=[0-9]+' "$log.$run" | awk -F= '{ s += $2 } END { print s + 0 }')
    line="$(printf '%-6s %-6s %8ss  rc=%s  changed=%s' "$s" "$run" "$took" "$rc" "$changed")"
    results+=("$line")
    echo "[bench] $line" >&2
    if [ "$rc" -ne 0 ] || { [ "$run" = no-op ] && [ "$changed" -ne 0 ]; }; then status=1; fi
  done
  molecule destroy -s "$s" >>"$log" 2>&1 || true
done

echo
echo "scenario run     seconds  result"
printf '%s\n' "${results[@]}"
exit $status
