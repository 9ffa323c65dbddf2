# shellcheck shell=bash
# A local Debian container that stands in for a cloud VPS: systemd as PID 1, sshd, a sudo user
# `admin` with key login and passwordless sudo, no acl package (as minimal cloud images come).
# Sourced by scripts/demo.sh and scripts/bench/deploy.sh.
#   vps_image SUITE            build flaskstack/demo-vps:SUITE once
#   vps_start NAME SUITE HOST  start it afresh (systemd booted)
#   vps_ssh_ready NAME KEYDIR  key login for admin; prints the container's address
#   vps_inventory FILE IP KEYDIR  an inventory of the README's quick-start shape for it (host vps1)

vps_image() {
  local suite=$1 image=flaskstack/demo-vps:$1 ctx
  docker image inspect "$image" >/dev/null 2>&1 && return 0
  ctx=$(mktemp -d)
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM flaskstack/debian-systemd:$suite
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openssh-server \
 && rm -rf /var/lib/apt/lists/* && touch -d @0 /var/lib/apt/lists \
 && useradd --create-home --shell /bin/bash admin \
 && printf 'admin ALL=(ALL) NOPASSWD:ALL\n' >/etc/sudoers.d/90-admin && chmod 0440 /etc/sudoers.d/90-admin \
 && systemctl enable ssh
DOCKERFILE
  DOCKER_BUILDKIT=0 docker build -q -t "$image" "$ctx" >/dev/null
  rm -rf "$ctx"
}

vps_start() {
  local name=$1 suite=$2 hostname=$3 state
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --name "$name" --hostname "$hostname" \
    --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    --tmpfs /run --tmpfs /run/lock --tmpfs /tmp:exec "flaskstack/demo-vps:$suite" >/dev/null
  for _ in $(seq 60); do
    state=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
    case $state in running|degraded) return 0 ;; esac
    sleep 1
  done
  echo "vps: $name did not boot" >&2
  return 1
}

vps_ssh_ready() {
  local name=$1 keydir=$2 ip
  command -v ssh >/dev/null || { apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssh-client >/dev/null; }
  mkdir -p "$keydir"
  [ -f "$keydir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C flaskstack-vps -f "$keydir/id_ed25519"
  docker exec -i "$name" bash -c 'install -d -m 0700 -o admin -g admin ~admin/.ssh &&
    cat >~admin/.ssh/authorized_keys && chown admin:admin ~admin/.ssh/authorized_keys && chmod 0600 ~admin/.ssh/authorized_keys' \
    <"$keydir/id_ed25519.pub"
  ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$name")
  rm -f "$keydir/known_hosts"
  for _ in $(seq 30); do
    ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="$keydir/known_hosts" \
      -i "$keydir/id_ed25519" "admin@$ip" true 2>/dev/null && break
    sleep 1
  done
  echo "$ip"
}

vps_inventory() {
  local file=$1 ip=$2 keydir=$3 here
  here=$(pwd)
  mkdir -p "$(dirname "$file")/group_vars/all"
  cat >"$file" <<YAML
---
# Written by scripts/lib/vps.sh: the README's quick-start inventory, pointing at a stand-in VPS.
all:
  vars:
    ansible_user: admin
    ansible_become: true
    ansible_python_interpreter: /usr/bin/python3
    ansible_ssh_private_key_file: $here/$keydir/id_ed25519
    ansible_ssh_common_args: -o UserKnownHostsFile=$here/$keydir/known_hosts
  children:
    web:
      hosts:
        vps1:
          ansible_host: $ip
    app:
      hosts:
        vps1:
YAML
}
