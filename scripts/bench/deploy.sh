#!/usr/bin/env bash
# Deploy times, the way a user runs the collection: a fresh stand-in VPS (scripts/lib/vps.sh),
# reached over SSH as a sudo user, Ansible's defaults (no ansible.cfg: no pipelining), two cores.
# Runs, each timed, with the number of tasks that ran on the host:
#   first deploy of two apps (one Gunicorn, one uWSGI) on a fresh host, apt's downloads excluded
#   (the packages are downloaded into apt's cache before the clock starts); the same again with
#   nothing changed; one app, nothing changed; a new commit of one app with the same requirements;
#   four more apps, then all six with nothing changed (the cost of each further app); the
#   no-change and new-commit runs again with pipelining on (the collection's default since 2.0.0;
#   the rows "off" pass -e flaskstack_pipelining=false).
# BENCH_DEPLOY_COMPARE=COMMIT (default: the commit before the fast-deploy modules, fe58cff) runs
# the first deploy, no-change and new-commit runs with that commit's collection too, side by side;
# BENCH_DEPLOY_COMPARE= skips it. Before and after the runs, scripts/bench/calibrate.yml times a
# module call on the host and a controller-only task, so that figures from machines of different
# speeds can be compared. Results: results/deploy-bench-DATE/{runs.jsonl,report.md}.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
SUITE=${BENCH_SUITE:-bookworm}
NAME=flaskstack-bench-deploy
COMPARE=${BENCH_DEPLOY_COMPARE-fe58cff}
STATE=.cache/bench-deploy
OUT=results/deploy-bench-$(date -u +%Y%m%dT%H%M)
log() { printf '[deploy-bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
# shellcheck source=scripts/lib/vps.sh
. scripts/lib/vps.sh
if [ "${1:-}" = --destroy ]; then docker rm -f "$NAME" >/dev/null 2>&1 || true; exit 0; fi
mkdir -p "$STATE" "$OUT"
export ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_NOCOLOR=1 ANSIBLE_STDOUT_CALLBACK=ansible.posix.json
unset ANSIBLE_PIPELINING
vps_image "$SUITE"

apps_file() {  # apps_file N: the first N apps of the benchmark, alternately Gunicorn and uWSGI
  local n=$1 i
  {
    echo "---"
    echo "flaskstack_apps:"
    echo "  - {name: hello, repo: /srv/git/sample.git, version: main, entry: 'app:app', domains: [hello.example.test],"
    echo "     static: [{url: /static, path: static}], secret_env: {SECRET_KEY: bench-only-secret}}"
    [ "$n" -ge 2 ] && echo "  - {name: other, repo: /srv/git/sample.git, version: v1, server: uwsgi, entry: 'app:app', domains: [other.example.test]}"
    for i in $(seq 3 "$n"); do
      echo "  - {name: app$i, repo: /srv/git/sample.git, version: v1, server: $([ $((i % 2)) = 1 ] && echo gunicorn || echo uwsgi), entry: 'app:app', domains: [app$i.example.test]}"
    done
  } >"$STATE/inventory/group_vars/all/flaskstack.yml"
}

fresh_host() {
  log "starting a fresh stand-in VPS $NAME ($SUITE)"
  vps_start "$NAME" "$SUITE" vps1
  IP=$(vps_ssh_ready "$NAME" "$STATE")
  vps_inventory "$STATE/inventory/hosts.yml" "$IP" "$STATE"
  # apt's downloads are not part of the timing: the packages either version installs, fetched first.
  docker exec "$NAME" bash -c 'apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --download-only \
    nginx git python3-venv python3-packaging acl ssl-cert build-essential python3-dev >/dev/null'
  ANSIBLE_STDOUT_CALLBACK=default ansible-playbook -i "$STATE/inventory/hosts.yml" molecule/shared/sample_repo.yml >"$STATE/publish.log" 2>&1 \
    || { tail -30 "$STATE/publish.log"; exit 1; }
}

new_commit() {  # a new commit of the sample app on main, same requirements
  docker exec "$NAME" bash -c 'set -e; rm -rf /var/tmp/bench-commit; git clone -q /srv/git/sample.git /var/tmp/bench-commit;
    cd /var/tmp/bench-commit; echo "# bench commit $(date +%s%N)" >> app.py;
    git -c user.name=bench -c user.email=bench@example.invalid commit -qam "bench: a new commit"; git push -q origin HEAD:main'
}

run() {  # run LABEL COLLECTION_LABEL TARGET
  local label=$1 coll=$2 target=$3 start end secs file
  file="$STATE/run-$(echo "$coll-$label" | tr -c 'A-Za-z0-9' '-').json"
  log "$coll: $label"
  start=$(date +%s.%N)
  # Since 2.0.0 the collection turns pipelining on for its plays (flaskstack_pipelining); earlier
  # versions follow ANSIBLE_PIPELINING. Both are set, so that each row says what it measured.
  if ! ansible-playbook -i "$STATE/inventory/hosts.yml" -e "flaskstack_pipelining=$([ -n "${ANSIBLE_PIPELINING:-}" ] && echo true || echo false)" \
      flaskstack.deploy.site >"$file" 2>"$file.err"; then
    tail -c 3000 "$file"; tail -20 "$file.err"; log "the run failed: $label"; exit 1
  fi
  end=$(date +%s.%N)
  secs=$(python3 -c "print(round($end - $start, 1))")
  read -r remote changed failed < <(python3 scripts/bench/deploy_runs.py count "$file")
  log "$coll: $label: $secs s, $remote remote tasks, changed=$changed"
  printf '{"what": "%s", "collection": "%s", "pipelining": %s, "seconds": %s, "remote": %s, "changed": %s, "target": "%s"}\n' \
    "$label" "$coll" "$([ -n "${ANSIBLE_PIPELINING:-}" ] && echo true || echo false)" "$secs" "$remote" "$changed" "$target" >>"$OUT/runs.jsonl"
}

calibrate() {  # calibrate LABEL: what a module call and a controller-only task cost on this machine now
  local file="$STATE/calibrate.json" module local_ms
  ansible-playbook -i "$STATE/inventory/hosts.yml" scripts/bench/calibrate.yml >"$file" 2>"$file.err" \
    || { tail -20 "$file.err"; log "the calibration failed"; exit 1; }
  read -r module local_ms < <(python3 scripts/bench/deploy_runs.py calibrate "$file")
  log "$1: a module call on the host $module ms, a controller-only task $local_ms ms"
  printf '{"calibration": "%s", "module_ms": %s, "local_ms": %s}\n' "$1" "$module" "$local_ms" >>"$OUT/runs.jsonl"
}

series() {  # series LABEL FULL: the runs against the collection found in ANSIBLE_COLLECTIONS_PATH
  local coll=$1 full=$2
  fresh_host
  [ "$full" = 1 ] && calibrate "before the runs"
  apps_file 2; run "first deploy, two apps, fresh host (apt downloads excluded)" "$coll" "<= 90 s"
  run "nothing changed, two apps" "$coll" "<= 15 s"
  new_commit; run "new commit of one app, same requirements" "$coll" "<= 20 s"
  [ "$full" = 1 ] || return 0
  apps_file 1; run "nothing changed, one app" "$coll" ""
  apps_file 6; run "first deploy of four more apps (six in all)" "$coll" ""
  run "nothing changed, six apps" "$coll" "<= 15 s + 4 x 3 s"
  apps_file 2
  export ANSIBLE_PIPELINING=True
  run "nothing changed, two apps" "$coll" "<= 15 s"
  new_commit; run "new commit of one app, same requirements" "$coll" "<= 20 s"
  unset ANSIBLE_PIPELINING
  calibrate "after the runs"
}

series "$(git rev-parse --short HEAD)" 1
if [ -n "$COMPARE" ]; then
  prev="$here/$STATE/prev"
  rm -rf "$prev"; mkdir -p "$prev/collections/ansible_collections/flaskstack"
  git archive --format=tar "$COMPARE" | tar -x -C "$prev" --one-top-level=src
  ln -s "$prev/src" "$prev/collections/ansible_collections/flaskstack/deploy"
  ANSIBLE_COLLECTIONS_PATH="$prev/collections" series "$COMPARE (before)" 0
fi
docker rm -f "$NAME" >/dev/null 2>&1 || true
python3 scripts/bench/deploy_runs.py report "$OUT/runs.jsonl" "$OUT/report.md"
log "report: $OUT/report.md"
