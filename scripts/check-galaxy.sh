#!/usr/bin/env bash
# Build the collection tarball, install it into an empty collections path (offline, as from a
# Galaxy download), render every role's documentation from there, and syntax-check the site
# playbook by its FQCN against the example inventory.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$here"
ansible-galaxy collection build --force --output-path "$work" . >/dev/null
tarball=$(ls "$work"/flaskstack-deploy-*.tar.gz)
echo "built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"
if tar -tzf "$tarball" | grep -E '^(molecule|sample_app|\.ci|\.cache|\.venv|\.ansible|scripts)/' >/dev/null; then
  echo "the tarball carries files build_ignore should leave out" >&2; exit 1
fi
export ANSIBLE_COLLECTIONS_PATH="$work/collections" ANSIBLE_NOCOLOR=1
ansible-galaxy collection install --offline --force -p "$work/collections" "$tarball" >/dev/null
for role in nginx wsgi_server systemd_unit flask_app; do
  ansible-doc -t role "flaskstack.deploy.$role" >"$work/doc-$role.txt"
  grep -Eq "ENTRY POINT: \*?main\*? - " "$work/doc-$role.txt" || { echo "ansible-doc did not render $role" >&2; exit 1; }
done
echo "ansible-doc renders nginx, wsgi_server, systemd_unit and flask_app from the installed collection"
for playbook in site rollback; do
  ansible-playbook --syntax-check -i inventory/example/hosts.yml "flaskstack.deploy.$playbook" >/dev/null
  echo "ansible-playbook flaskstack.deploy.$playbook passes --syntax-check from the installed collection"
done
