#!/usr/bin/env bash
# make galaxy: build the collection tarball into .cache/build/ as a Galaxy release would be built,
# check that it carries exactly the files it should, run galaxy-importer on it (Galaxy's own import
# checks: metadata, ansible-doc on every plugin, ansible-lint, changelog; offline and without a
# container, configured by .config/galaxy-importer.cfg), then install it into an empty collections
# path (offline, as from a Galaxy download), render the documentation of every role and filter
# from there, and syntax-check the playbooks by their FQCN against the example inventory.
# Fails on any ERROR line of galaxy-importer; its WARNING lines are printed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$here/.venv/bin" ] && export PATH="$here/.venv/bin:$PATH"
build="$here/.cache/build"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$here"
start=$SECONDS

mkdir -p "$build"
rm -f "$build"/flaskstack-deploy-*.tar.gz
ansible-galaxy collection build --force --output-path "$build" . >/dev/null
tarball=$(ls "$build"/flaskstack-deploy-*.tar.gz)
echo "built ${tarball#"$here"/} ($(du -k "$tarball" | cut -f1) KiB)"

# Exactly git's files less build_ignore: a local file that git ignores (a tool's cache, results/,
# inventory/demo/) must not reach a release.
tar -tzf "$tarball" | grep -v '/$' | grep -Evx 'MANIFEST.json|FILES.json' | sort >"$work/tarball.txt"
python3 scripts/collection_files.py | sort >"$work/expected.txt"
if ! cmp -s "$work/tarball.txt" "$work/expected.txt"; then
  echo "the tarball does not carry exactly git's files less build_ignore (< tarball only, > missing):" >&2
  diff "$work/tarball.txt" "$work/expected.txt" | grep '^[<>]' >&2 || true
  echo "add what must not ship to build_ignore in galaxy.yml (or remove the stray files)" >&2
  exit 1
fi
if grep -E '^(molecule|sample_app|scripts|tests/(apps|unit)|inventory/demo|\.[^/]+)/' "$work/tarball.txt" >&2; then
  echo "the tarball carries development files (above)" >&2; exit 1
fi
echo "the tarball carries the $(wc -l <"$work/tarball.txt") files of git less build_ignore, no development file"

# galaxy-importer keeps its temporary files under .cache/galaxy-importer.
mkdir -p "$here/.cache/galaxy-importer/tmp"
importer_start=$SECONDS
status=0
# It writes importer_result.json into its working directory: the temporary one, not the checkout.
(cd "$work" && GALAXY_IMPORTER_CONFIG="$here/.config/galaxy-importer.cfg" \
  GALAXY_IMPORTER_TMP_ROOT_DIR="$here/.cache/galaxy-importer" \
  GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP="$here/.cache/galaxy-importer/tmp" \
  python3 -m galaxy_importer.main "$tarball") >"$work/importer.log" 2>&1 || status=$?
grep -E '^(WARNING|ERROR|CRITICAL)' "$work/importer.log" || true
errors=$(grep -cE '^(ERROR|CRITICAL)' "$work/importer.log" || true)
warnings=$(grep -cE '^WARNING' "$work/importer.log" || true)
if [ "$status" -ne 0 ] || [ "$errors" -ne 0 ] || ! grep -q '^Importer processing completed successfully' "$work/importer.log"; then
  [ "$errors" -ne 0 ] || tail -20 "$work/importer.log" >&2
  echo "galaxy-importer: $errors error(s), exit status $status" >&2
  exit 1
fi
echo "galaxy-importer $(python3 -c 'import importlib.metadata as m; print(m.version("galaxy-importer"))'):" \
  "no error, $warnings warning(s), in $((SECONDS - importer_start)) s"

export ANSIBLE_COLLECTIONS_PATH="$work/collections" ANSIBLE_NOCOLOR=1
ansible-galaxy collection install --offline --force -p "$work/collections" "$tarball" >/dev/null
for role in nginx wsgi_server systemd_unit flask_app; do
  ansible-doc -t role "flaskstack.deploy.$role" >"$work/doc-$role.txt"
  grep -Eq "ENTRY POINT: \*?main\*? - " "$work/doc-$role.txt" || { echo "ansible-doc did not render $role" >&2; exit 1; }
done
echo "ansible-doc renders nginx, wsgi_server, systemd_unit and flask_app from the installed collection"
filters=$(ansible-doc -t filter --list --json flaskstack.deploy | python3 -c 'import json, sys; print(" ".join(sorted(json.load(sys.stdin))))')
[ -n "$filters" ] || { echo "ansible-doc lists no filter of flaskstack.deploy" >&2; exit 1; }
for filter in $filters; do
  ansible-doc -t filter "$filter" >"$work/doc-$filter.txt"
  grep -q "^> FILTER $filter " "$work/doc-$filter.txt" || { echo "ansible-doc did not render $filter" >&2; exit 1; }
done
echo "ansible-doc renders the filters ${filters//flaskstack.deploy./} from the installed collection"
for playbook in site rollback; do
  ansible-playbook --syntax-check -i inventory/example/hosts.yml "flaskstack.deploy.$playbook" >/dev/null
  echo "ansible-playbook flaskstack.deploy.$playbook passes --syntax-check from the installed collection"
done
echo "galaxy checks passed in $((SECONDS - start)) s"
