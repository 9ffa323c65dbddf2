#!/usr/bin/env bash
# make sanity: `ansible-test sanity` on the collection as Galaxy users get it, plus its unit tests.
#
# ansible-test runs only from a directory .../ansible_collections/flaskstack/deploy that is not a
# symlink (it resolves the working directory, and the symlink under .cache/collections resolves to
# this checkout), so the files are copied to .cache/sanity/ansible_collections/flaskstack/deploy:
# what the tarball ships (scripts/collection_files.py: git's files less build_ignore), galaxy.yml
# and tests/unit. Development-only files (scripts/, molecule/, sample_app/, tests/apps/) are
# not shipped and are therefore not sanity-tested either; tests/sanity/ignore-2.19.txt holds only
# findings that are wrong for a shipped file.
#
# Each sanity test that has requirements runs in a virtual environment of ansible-test's own,
# ~/.ansible/test/venv/sanity.<test>/, with the versions ansible-test pins
# (ansible_test/_data/requirements/sanity.*.txt), installed from PyPI by pip; that happens with or
# without --requirements. Only the bootstrap of pip into those environments is downloaded from a
# host this machine cannot reach: scripts/sanity/get-pip.py stands in for it (see there). The first
# run creates the ten environments (2 to 4 minutes here); later runs reuse them (25 to 50 s).
#
# Tests run: all of them, locally, with no container, on Python 3.11 only (the controller's, and
# Debian 12's for the modules): the tests that run per Python version (compile, import) would
# otherwise run on every Python ansible-test finds. Skipped: pslint (PowerShell is not in Debian,
# and the collection has no PowerShell file).
#
#   scripts/sanity.sh                    every test
#   scripts/sanity.sh --test pylint      extra arguments go to ansible-test sanity
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$here/.venv/bin" ] && export PATH="$here/.venv/bin:$PATH"
# ansible-test finds the collection from its own tree; the checkout linked under
# .cache/collections must not be found as a second flaskstack.deploy.
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS
start=$SECONDS
# One run at a time: each run replaces the copy under .cache/sanity.
mkdir -p "$here/.cache"
exec 9>"$here/.cache/sanity.lock"
flock 9

command -v shellcheck >/dev/null 2>&1 || { echo "shellcheck is missing: run scripts/ensure-shellcheck.sh" >&2; exit 1; }

# The pip bootstrap stand-in, where ansible-test looks for its cached download. A real get-pip.py
# already there is left alone; an older copy of the stand-in is replaced.
pip_version=$(python3 -c '
import types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="3.11"))["pip"])')
bootstrap="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [ ! -e "$bootstrap" ] || { grep -q '^# flaskstack get-pip stand-in' "$bootstrap" && ! cmp -s "$here/scripts/sanity/get-pip.py" "$bootstrap"; }; then
  mkdir -p "$(dirname "$bootstrap")"
  cp "$here/scripts/sanity/get-pip.py" "$bootstrap"
fi

tree="$here/.cache/sanity/ansible_collections/flaskstack/deploy"
rm -rf "$tree"
mkdir -p "$tree"
(cd "$here" && python3 scripts/collection_files.py -0 --galaxy-yml --with tests/unit | tar --null -T - -cf -) | tar -C "$tree" -xf -
echo "sanity: $(find "$tree" -type f | wc -l) files copied to ${tree#"$here"/}"
# ansible-test lists the files with git when it finds a .git on the way up: without one of its own,
# the copy would be seen as part of this checkout, where .cache/ is ignored (no file to test).
git -C "$tree" init -q

cd "$tree"
status=0
ansible-test sanity --python 3.11 --skip-test pslint "$@" || status=$?
echo "sanity: $([ "$status" -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - start)) s"
exit "$status"
