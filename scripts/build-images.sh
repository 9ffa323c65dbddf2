#!/usr/bin/env bash
# Build the systemd-capable Debian images the Molecule scenarios and the demo run on, on a
# machine with no container registry: debootstrap (minbase) -> docker import -> a small layer
# that trusts this machine's CA bundle (the network may inspect TLS; pip inside needs it).
# Images are reused when present; --force rebuilds them.
#
# Usage: scripts/build-images.sh [--force] [--test-hosts] [SUITE...]      (default: bookworm trixie)
# Images: flaskstack/debian-base:SUITE (debootstrap) and flaskstack/debian-systemd:SUITE (final: a
# bare host, what the benchmark and the demo start from); with --test-hosts also
# flaskstack/molecule-host:SUITE, the final image plus the tools the Molecule tests use on their
# hosts (molecule/shared/host-tools.env; rebuilt when that file changes).
set -euo pipefail

BASE_REPO=${BASE_REPO:-flaskstack/debian-base}
IMAGE_REPO=${IMAGE_REPO:-flaskstack/debian-systemd}
TEST_REPO=${TEST_REPO:-flaskstack/molecule-host}
HOST_TOOLS=$(cd "$(dirname "$0")/.." && pwd)/molecule/shared/host-tools.env
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://security.debian.org/debian-security}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
WORKDIR=${WORKDIR:-/var/tmp/flaskstack-images}
INCLUDE=${INCLUDE:-systemd,systemd-sysv,python3,python3-apt,sudo,iproute2,procps,ca-certificates}
FORCE=0 TEST_HOSTS=0 SUITES=()
for a in "$@"; do
  case $a in
    --force) FORCE=1 ;;
    --test-hosts) TEST_HOSTS=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "unknown option $a" >&2; exit 2 ;;
    *) SUITES+=("$a") ;;
  esac
done
[ ${#SUITES[@]} -gt 0 ] || SUITES=(bookworm trixie)

log() { printf '[build-images %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }
docker info >/dev/null 2>&1 || { echo "no Docker engine answers (run scripts/ensure-docker.sh)" >&2; exit 1; }
[ -r "$CA_BUNDLE" ] || { echo "CA bundle $CA_BUNDLE not readable" >&2; exit 1; }

# A failed debootstrap can leave /proc or /sys mounted in the tree: unmount before removing it.
clean_root() {
  local root=$1 mnt
  [ -d "$root" ] || return 0
  for mnt in $(awk -v r="$root" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r); do
    umount -l "$mnt" 2>/dev/null || true
  done
  rm -rf --one-file-system "$root"
}

build_base() {
  local suite=$1 root="$WORKDIR/rootfs-$1" t0=$SECONDS
  if [ "$FORCE" = 0 ] && have_image "$BASE_REPO:$suite"; then return 0; fi
  if ! command -v debootstrap >/dev/null; then
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
  fi
  log "$suite: debootstrap --variant=minbase"
  local attempt
  for attempt in 1 2 3; do
    clean_root "$root"; mkdir -p "$root"
    if debootstrap --variant=minbase --include="$INCLUDE" "$suite" "$root" "$MIRROR" \
        >"$WORKDIR/debootstrap-$suite.log" 2>&1; then
      break
    fi
    # A mirror caught mid-sync answers with an index whose packages are missing: try again.
    tail -5 "$WORKDIR/debootstrap-$suite.log" >&2
    if [ "$attempt" = 3 ]; then clean_root "$root"; return 1; fi
    log "$suite: debootstrap failed (attempt $attempt), retrying in 20 s"; sleep 20
  done
  # apt sources like a real host: the suite, -updates and -security.
  printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
    "$MIRROR" "$suite" "$MIRROR" "$suite" "$SECURITY_MIRROR" "$suite" >"$root/etc/apt/sources.list"
  rm -f "$root/etc/apt/sources.list.d/debian.sources"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
  : >"$root/etc/machine-id"   # systemd generates one at boot
  tar -C "$root" -c . | docker import -c 'CMD ["/lib/systemd/systemd"]' - "$BASE_REPO:$suite" >/dev/null
  clean_root "$root"
  log "$suite: base built in $((SECONDS - t0)) s"
}

build_final() {
  local suite=$1 ctx="$WORKDIR/ctx-$1"
  if [ "$FORCE" = 0 ] && have_image "$IMAGE_REPO:$suite"; then
    log "$suite: reusing $IMAGE_REPO:$suite"; return 0
  fi
  rm -rf "$ctx"; mkdir -p "$ctx"
  cp "$CA_BUNDLE" "$ctx/host-ca-bundle.crt"
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $BASE_REPO:$suite
COPY host-ca-bundle.crt /usr/local/share/ca-certificates/host-ca-bundle.crt
# mtime 0 on the emptied apt lists: apt's cache_valid_time must not take them for fresh.
RUN update-ca-certificates >/dev/null 2>&1 && touch -d @0 /var/lib/apt/lists
ENV container=docker
STOPSIGNAL SIGRTMIN+3
CMD ["/lib/systemd/systemd"]
DOCKERFILE
  DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE_REPO:$suite" "$ctx" >/dev/null
  rm -rf "$ctx"
  log "$suite: built $IMAGE_REPO:$suite"
}

# The test hosts' image: the tools of host-tools.env installed, then the apt lists emptied and
# made stale again, so the collection's own apt tasks see the same host as on the final image.
build_test() {
  local suite=$1 ctx="$WORKDIR/ctx-test-$1" sum want
  sum=$(sha256sum "$HOST_TOOLS" | cut -c1-16)
  want="$sum-$(docker image inspect -f '{{.Id}}' "$IMAGE_REPO:$suite")"
  if [ "$FORCE" = 0 ] && have_image "$TEST_REPO:$suite" &&
      [ "$(docker image inspect -f '{{index .Config.Labels "flaskstack.tools"}}' "$TEST_REPO:$suite")" = "$want" ]; then
    log "$suite: reusing $TEST_REPO:$suite"; return 0
  fi
  # shellcheck source=../molecule/shared/host-tools.env
  . "$HOST_TOOLS"
  rm -rf "$ctx"; mkdir -p "$ctx"
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $IMAGE_REPO:$suite
RUN apt-get update -q >/dev/null \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $HOST_TOOLS_APT >/dev/null \\
 && python3 -m venv /opt/gixy \\
 && /opt/gixy/bin/pip install -q --disable-pip-version-check --cert /etc/ssl/certs/ca-certificates.crt "$HOST_TOOLS_GIXY" \\
 && rm -rf /var/cache/apt/archives/*.deb /var/lib/apt/lists/* /root/.cache \\
 && touch -d @0 /var/lib/apt/lists
LABEL flaskstack.tools=$want
DOCKERFILE
  DOCKER_BUILDKIT=0 docker build -q -t "$TEST_REPO:$suite" "$ctx" >/dev/null
  rm -rf "$ctx"
  log "$suite: built $TEST_REPO:$suite"
}

mkdir -p "$WORKDIR"
# Two checkouts (or a benchmark and a test run) building at once would share the work directory.
exec 9>"$WORKDIR/.lock"
flock 9
for s in "${SUITES[@]}"; do
  build_base "$s"
  build_final "$s"
  if [ "$TEST_HOSTS" = 1 ]; then build_test "$s"; fi
done
