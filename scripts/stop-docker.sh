#!/usr/bin/env bash
# Stop the dockerd that scripts/ensure-docker.sh started, if any (by PID, nothing else).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
pidfile="$here/.cache/dockerd.pid"
[ -f "$pidfile" ] || exit 0
pid=$(cat "$pidfile")
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
fi
rm -f "$pidfile"
