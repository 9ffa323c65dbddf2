#!/usr/bin/env bash
# make bench: two fresh test hosts (containers of the same image), the sample app deployed with the
# collection (Gunicorn and uWSGI flavours, defaults) on one, the seed documents' hand-made stacks on
# the other; deploy times; then scripts/bench/bench.py measures both from this machine with wrk.
#   scripts/bench/bench.sh            everything (the test hosts are created afresh)
#   scripts/bench/bench.sh --reuse    measure again on running test hosts (no deploy times)
#   scripts/bench/bench.sh --destroy  remove the test hosts
# Environment: BENCH_SUITE (bookworm), BENCH_KEEP=1 keeps the test hosts after the run,
# BENCH_QUICK=1 times the first deploy only (for iterating),
# BENCH_DURATION / BENCH_REPS / BENCH_SLOW_DURATION (seconds per wrk run, repetitions).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
SUITE=${BENCH_SUITE:-bookworm}
IMAGE=flaskstack/debian-systemd:$SUITE
COLL=flaskstack-bench-coll
HAND=flaskstack-bench-hand
STATE=.cache/bench
log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

destroy() { docker rm -f "$COLL" "$HAND" >/dev/null 2>&1 || true; }
if [ "${1:-}" = --destroy ]; then destroy; log "removed $COLL and $HAND"; exit 0; fi
REUSE=0
[ "${1:-}" = --reuse ] && REUSE=1
total_start=$SECONDS

# The load generator: Debian's wrk, on this machine (outside the test hosts).
if ! command -v wrk >/dev/null; then
  log "apt-get install wrk"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk >/dev/null
fi
python -c 'import matplotlib' 2>/dev/null || pip install -q --disable-pip-version-check -r scripts/bench/requirements.txt

mkdir -p "$STATE/inventory/group_vars/all" results
start_host() {  # start_host NAME: a fresh systemd container
  docker rm -f "$1" >/dev/null 2>&1 || true
  docker run -d --name "$1" --hostname "${1#flaskstack-}" \
    --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    --tmpfs /run --tmpfs /run/lock --tmpfs /tmp:exec "$IMAGE" >/dev/null
}
wait_host() {
  local state
  for _ in $(seq 60); do
    state=$(docker exec "$1" systemctl is-system-running 2>/dev/null || true)
    case $state in running|degraded) return 0 ;; esac
    sleep 1
  done
  log "$1 did not boot"; return 1
}
running() { [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }

if [ $REUSE = 1 ]; then
  running "$COLL" && running "$HAND" || { log "--reuse: the test hosts are not running"; exit 1; }
else
  log "starting fresh test hosts $COLL and $HAND ($IMAGE)"
  start_host "$COLL"; start_host "$HAND"
  wait_host "$COLL"; wait_host "$HAND"
fi
GATEWAY=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}' "$COLL")

# Inventory: the collection's test host, reached with the docker connection.
cat >"$STATE/inventory/hosts.yml" <<YAML
---
# Written by scripts/bench/bench.sh: the collection's benchmark host.
all:
  vars:
    ansible_connection: community.docker.docker
    ansible_python_interpreter: /usr/bin/python3
  children:
    web:
      hosts:
        $COLL:
    app:
      hosts:
        $COLL:
YAML
cat >"$STATE/inventory/group_vars/all/flaskstack.yml" <<YAML
---
# The sample app twice, with the collection's defaults: once with Gunicorn, once with uWSGI.
# The load generator (this machine, seen from the host as the Docker bridge gateway) is exempt
# from the per-client rate and connection limits, as a monitoring host would be.
nginx_rate_limit_exempt: ["$GATEWAY"]
flaskstack_apps:
$(for server in gunicorn uwsgi; do cat <<APP
  - name: bench_$server
    repo: /srv/git/sample.git
    version: main
    entry: app:app
    server: $server
    domains: [$server.bench.test]
    env:
      APP_NAME: bench $server
    static:
      - url: /static
        path: static
APP
done)
YAML

export ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=False
INV=$STATE/inventory/hosts.yml
deploys=()
deploy() {  # deploy LABEL: run the site playbook, time it, keep the changed count
  local label=$1 t0 t1 changed secs
  log "deploy: $label"
  t0=$EPOCHREALTIME
  if ! ansible-playbook -i "$INV" flaskstack.deploy.site >"$STATE/deploy-${label// /-}.log" 2>&1; then
    tail -40 "$STATE/deploy-${label// /-}.log"; exit 1
  fi
  t1=$EPOCHREALTIME
  changed=$(sed -n 's/.*changed=\([0-9]*\).*/\1/p' "$STATE/deploy-${label// /-}.log" | head -1)
  secs=$(python -c "print(round($t1 - $t0, 1))")
  log "deploy: $label took $secs s, changed=$changed"
  deploys+=("{\"what\": \"$label\", \"seconds\": $secs, \"changed\": ${changed:-null}}")
}

if [ $REUSE = 0 ]; then
  # The hand-made stacks, first, so that they do not compete with the timed deploys.
  log "hand-made stacks on $HAND (nginx, Gunicorn alone, uWSGI: the seed documents' settings)"
  docker exec "$HAND" mkdir -p /opt/hand/src
  docker cp scripts/bench/hand/. "$HAND:/opt/hand/src/"
  docker cp sample_app "$HAND:/opt/hand/src/app"
  docker exec "$HAND" bash /opt/hand/src/setup.sh

  log "publishing the sample app as a git repository on $COLL"
  ansible-playbook -i "$INV" molecule/shared/sample_repo.yml >"$STATE/publish.log" 2>&1 \
    || { tail -30 "$STATE/publish.log"; exit 1; }
  deploy "first deploy on a fresh host"
  if [ "${BENCH_QUICK:-0}" = 1 ]; then
    printf '[%s]\n' "${deploys[0]}" >"$STATE/deploy-times.json"
  else
  deploy "no-change re-run"
  log "pushing a code-only commit of the sample app (same requirements)"
  docker exec "$COLL" bash -ec 'rm -rf /var/tmp/bench-commit; git clone -q /srv/git/sample.git /var/tmp/bench-commit; cd /var/tmp/bench-commit
    sed -i "s/^VERSION = .*/VERSION = \"2\"/" app.py
    git -c user.name=bench -c user.email=bench@example.invalid commit -q -am "version 2 (code only)"
    git push -q /srv/git/sample.git HEAD:main'
  deploy "code-only redeploy"
  printf '[%s]\n' "$(IFS=,; echo "${deploys[*]}")" >"$STATE/deploy-times.json"
  fi
fi

# Every stack answers before anything is measured.
IP_C=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$COLL")
IP_H=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$HAND")
for check in "gunicorn.bench.test $IP_C:80" "uwsgi.bench.test $IP_C:80" "- $IP_H:8083" "- $IP_H:8086" "- $IP_H:8087"; do
  set -- $check
  for p in /bench/text /static/blob-100k.bin; do
    if [ "$1" = - ]; then curl -fsS -o /dev/null "http://$2$p"; else curl -fsS -o /dev/null -H "Host: $1" "http://$2$p"; fi \
      || { log "no answer from $2$p ($1)"; exit 1; }
  done
done

out=results/bench-$(date +%Y%m%d-%H%M%S)
log "measuring (results in $out)"
python scripts/bench/bench.py run --out "$out" \
  $([ $REUSE = 0 ] && echo --deploy-times "$STATE/deploy-times.json")
ln -sfn "$(basename "$out")" results/latest
[ "${BENCH_KEEP:-0}" = 1 ] || [ $REUSE = 1 ] || destroy
log "done in $((SECONDS - total_start)) s: $out/report.md, $out/ratios.png"
