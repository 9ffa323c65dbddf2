#!/usr/bin/env bash
# Make sure a Docker engine answers. Installs Debian's docker.io when dockerd is missing and
# starts dockerd only when no engine answers; the PID of a daemon we started goes to
# .cache/dockerd.pid so that `scripts/stop-docker.sh` stops only what we started.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache="$here/.cache"
mkdir -p "$cache"
log() { printf '[ensure-docker] %s\n' "$*" >&2; }

if docker info >/dev/null 2>&1; then
  log "a Docker engine already answers; leaving it alone"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends docker.io iptables >/dev/null
fi

log "starting dockerd"
nohup dockerd >"$cache/dockerd.log" 2>&1 &
echo $! >"$cache/dockerd.pid"
for _ in $(seq 60); do
  if docker info >/dev/null 2>&1; then
    log "dockerd is up (pid $(cat "$cache/dockerd.pid"))"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; last log lines:"
tail -20 "$cache/dockerd.log" >&2
exit 1
