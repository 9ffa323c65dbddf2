#!/usr/bin/env bash
# make test's Molecule part: the scenarios in lanes that run side by side, the scenarios of one lane
# one after the other (two lanes suit two cores: each scenario spends much of its time waiting on
# its hosts). Each line of output is prefixed with its scenario; a failed scenario fails the run
# (the other lane finishes first), and a summary with each scenario's time ends it.
#   scripts/test-scenarios.sh "default uwsgi tls" "releases cluster"
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

lane() {
  local scenario start rc
  for scenario in $1; do
    start=$SECONDS
    echo "=== molecule test -s $scenario ==="
    molecule test -s "$scenario" 2>&1 | sed -u "s/^/[$scenario] /"
    rc=${PIPESTATUS[0]}
    echo "$scenario $rc $((SECONDS - start))" >>"$results/done"
    echo "=== scenario $scenario $([ "$rc" = 0 ] && echo passed || echo FAILED) in $((SECONDS - start)) s ==="
    [ "$rc" = 0 ] || return "$rc"
  done
}

pids=()
for spec in "$@"; do
  lane "$spec" &
  pids+=($!)
  sleep 20  # the lanes' image and container starts do not all land at once
done
status=0
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
echo "=== scenarios: $(sort "$results/done" | awk '{printf "%s %s (%s s)  ", $1, ($2 == 0 ? "passed" : "FAILED"), $3}') ==="
exit "$status"
