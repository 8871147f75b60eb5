#!/usr/bin/env bash
# Run `molecule test` for each scenario named, time each (and each of its stages), and print a summary.
#   run-scenarios.sh stack+backup fleet
# Names joined by "+" run at the same time (a wave); the waves run one after the other. A scenario of a
# wave of several writes its output to a log (SELFHOST_SCENARIO_LOGS, default .cache/scenario-logs), which
# is printed whole when it ends, so that two scenarios' lines never interleave.
# SELFHOST_SCENARIO_PROGRESS: seconds between the progress lines of a wave (default 120).
# MOLECULE_TEST_ARGS: more arguments for every `molecule test`, e.g. "--destroy never" to keep the hosts.
set -uo pipefail
cd "$(dirname "$0")/../../.."
[ $# -gt 0 ] || { echo "no scenario named" >&2; exit 2; }
logs="${SELFHOST_SCENARIO_LOGS:-.cache/scenario-logs}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for wave in "$@"; do
  for s in ${wave//+/ }; do
    [ -f "molecule/$s/molecule.yml" ] || { echo "unknown scenario: $s" >&2; exit 2; }
  done
done

# One scenario: its status, time and stage times go to $work/<name>.result.
run_one() {
  local s=$1 start status
  start=$(date +%s)
  rm -f "$work/$s.stages" "$work/$s.stages.why"
  molecule test -s "$s" ${MOLECULE_TEST_ARGS:-} 2>&1 | python3 molecule/resources/scripts/stage-times.py "$work/$s.stages"
  if [ "${PIPESTATUS[0]}" -eq 0 ]; then status=passed; else status=failed; fi
  printf '%-12s %-7s %4ss  (%s)\n' "$s" "$status" "$(( $(date +%s) - start ))" \
    "$(tr -d '\n' < "$work/$s.stages" 2>/dev/null)" > "$work/$s.result"
}

suite_start=$(date +%s)
order=()
for wave in "$@"; do
  names=(${wave//+/ })
  order+=("${names[@]}")
  if [ "${#names[@]}" -eq 1 ]; then
    echo "=== molecule test -s ${names[0]}"
    run_one "${names[0]}"
    continue
  fi
  mkdir -p "$logs"
  wave_start=$(date +%s)
  pids=()
  for s in "${names[@]}"; do
    echo "=== molecule test -s $s (at the same time as: ${wave//+/, }; log: $logs/$s.log)"
    run_one "$s" > "$logs/$s.log" 2>&1 &
    pids+=("$!")
  done
  # Every two minutes, the stage each one is in (its log's last molecule action), so that a long wave is seen
  # to move.
  last=$(date +%s)
  while [ "$(jobs -rp | wc -l)" -gt 0 ]; do
    if [ $(( $(date +%s) - last )) -ge "${SELFHOST_SCENARIO_PROGRESS:-120}" ]; then
      last=$(date +%s)
      for s in "${names[@]}"; do
        stage=$(sed 's/\x1b\[[0-9;]*m//g' "$logs/$s.log" | grep -ao '➜ [a-z_]*: [A-Za-z]*' | tail -1)
        echo "... $(( last - wave_start ))s: $s ${stage:-starting}"
      done
    fi
    sleep 5
  done
  for i in "${!names[@]}"; do
    wait "${pids[$i]}"
    echo "=== output of molecule test -s ${names[$i]}"
    cat "$logs/${names[$i]}.log"
  done
  echo "=== wave ${wave}: $(( $(date +%s) - wave_start ))s"
done

echo "=== molecule summary"
failed=0
for s in "${order[@]}"; do
  if [ -f "$work/$s.result" ]; then cat "$work/$s.result"; else printf '%-12s %-7s\n' "$s" "failed"; fi
  grep -q " passed " "$work/$s.result" 2>/dev/null || failed=$((failed + 1))
done
# Why each failed one failed (stage-times.py kept the lines), where the end of the output is all one sees.
for s in "${order[@]}"; do
  grep -q " passed " "$work/$s.result" 2>/dev/null && continue
  echo "=== why $s failed (the last of its failure lines; the whole log is above)"
  cat "$work/$s.stages.why" 2>/dev/null
done
echo "molecule: $(( ${#order[@]} - failed )) passed, ${failed} failed, total $(( $(date +%s) - suite_start ))s"
[ "$failed" -eq 0 ]
