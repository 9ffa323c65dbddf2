#!/usr/bin/env bash
# make demo: start a local Debian container that stands in for a VPS (sshd, a sudo user `admin`
# with key login, as cloud images come), deploy the sample app onto it over SSH with
# ansible-playbook and an inventory of the README's quick-start shape, and fetch the page through
# nginx. Running it again reuses the container and changes nothing.
#   scripts/demo.sh            deploy (or re-run)
#   scripts/demo.sh --destroy  remove the demo container
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
SUITE=${DEMO_SUITE:-trixie}
NAME=flaskstack-demo
STATE=.cache/demo
INVENTORY=inventory/demo
log() { printf '[demo] %s\n' "$*" >&2; }

if [ "${1:-}" = --destroy ]; then
  docker rm -f "$NAME" >/dev/null 2>&1 && log "removed $NAME" || true
  exit 0
fi

# shellcheck source=scripts/lib/vps.sh
. scripts/lib/vps.sh
mkdir -p "$STATE"

# 1. An image like a cloud VPS: sshd, a sudo user with passwordless sudo, no acl package.
vps_image "$SUITE"
# 2. The VPS, with systemd as PID 1 (kept between runs: a second run changes nothing).
if [ "$(docker inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" != true ]; then
  log "starting the stand-in VPS $NAME ($SUITE)"
  vps_start "$NAME" "$SUITE" vps1
fi
# 3. Key login for admin, as a cloud provider sets it up.
IP=$(vps_ssh_ready "$NAME" "$STATE")

# 4. An inventory of the quick-start shape (README), pointing at the stand-in VPS.
vps_inventory "$INVENTORY/hosts.yml" "$IP" "$STATE"
cat >"$INVENTORY/group_vars/all/flaskstack.yml" <<'YAML'
---
# The sample app, published on the VPS as a bare git repository by molecule/shared/sample_repo.yml.
flaskstack_apps:
  - name: hello
    repo: /srv/git/sample.git
    version: main
    entry: app:app
    env:
      APP_NAME: the flaskstack demo
    secret_env:
      SECRET_KEY: demo-only-secret
    static:
      - url: /static
        path: static
YAML

# 5. Publish the sample app on the VPS (a git server stand-in), then deploy over SSH.
export ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_NOCOLOR=1
log "publishing the sample app as a git repository on the VPS"
ansible-playbook -i "$INVENTORY/hosts.yml" molecule/shared/sample_repo.yml >"$STATE/publish.log" \
  || { cat "$STATE/publish.log"; exit 1; }
log "ansible-playbook -i $INVENTORY/hosts.yml flaskstack.deploy.site"
start=$SECONDS
ansible-playbook -i "$INVENTORY/hosts.yml" flaskstack.deploy.site | tee "$STATE/deploy.log" | sed -n '/PLAY RECAP/,$p'
[ "${PIPESTATUS[0]}" = 0 ] || { tail -40 "$STATE/deploy.log"; exit 1; }
log "deploy took $((SECONDS - start)) s"

# 6. The page, fetched through nginx on the VPS.
echo
echo "The sample app runs at http://$IP/ (nginx -> gunicorn, as user hello):"
echo "\$ curl http://$IP/"
curl -fsS "http://$IP/"
echo "\$ curl http://$IP/static/hello.txt"
curl -fsS "http://$IP/static/hello.txt"
echo
echo "SSH in:  ssh -i $STATE/id_ed25519 -o UserKnownHostsFile=$STATE/known_hosts admin@$IP"
echo "Remove:  make demo-clean"
