#!/usr/bin/env bash
# Install Debian's shellcheck when it is missing (ansible-test sanity's shellcheck test needs it;
# ansible-test does not install it). The Makefile calls this only when `shellcheck` is not found.
set -euo pipefail
log() { printf '[ensure-shellcheck] %s\n' "$*" >&2; }

if command -v shellcheck >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  log "shellcheck is missing: install Debian's package (sudo apt-get install shellcheck)"
  exit 1
fi
log "installing Debian's shellcheck"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends shellcheck >/dev/null
shellcheck --version | sed -n 2p >&2
