#!/usr/bin/env bash
# Run `molecule test` for each scenario named, time each (and each of its stages), and print a summary.
set -uo pipefail
cd "$(dirname "$0")/../../.."
[ $# -gt 0 ] || { echo "no scenario named" >&2; exit 2; }
results=()
failed=0
suite_start=$(date +%s)
for s in "$@"; do
  [ -f "molecule/$s/molecule.yml" ] || { echo "unknown scenario: $s" >&2; exit 2; }
  echo "=== molecule test -s $s"
  start=$(date +%s)
  stages=$(mktemp)
  molecule test -s "$s" 2>&1 | python3 molecule/resources/scripts/stage-times.py "$stages"
  if [ "${PIPESTATUS[0]}" -eq 0 ]; then status=passed; else status=failed; failed=$((failed + 1)); fi
  results+=("$(printf '%-12s %-7s %4ss  (%s)' "$s" "$status" "$(( $(date +%s) - start ))" "$(tr -d '\n' < "$stages")")")
  rm -f "$stages"
done
echo "=== molecule summary"
printf '%s\n' "${results[@]}"
passed=$(( $# - failed ))
echo "molecule: ${passed} passed, ${failed} failed, total $(( $(date +%s) - suite_start ))s"
[ "$failed" -eq 0 ]
