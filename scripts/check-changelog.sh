#!/usr/bin/env bash
# The changelog: changelogs/changelog.yaml (the released versions) and changelogs/fragments/ (what
# the next release brings) are valid for antsibull-changelog, and CHANGELOG.rst is what
# `antsibull-changelog generate` makes of them.
#
# To add a change: a fragment in changelogs/fragments/ (sections in changelogs/config.yaml).
# To release: set the version in galaxy.yml, then `antsibull-changelog release` (moves the fragments
# into changelog.yaml and regenerates CHANGELOG.rst).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

antsibull-changelog lint
antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
antsibull-changelog generate --output "$work/CHANGELOG.rst"
if ! cmp -s "$work/CHANGELOG.rst" CHANGELOG.rst; then
  diff -u CHANGELOG.rst "$work/CHANGELOG.rst" >&2 || true
  echo "CHANGELOG.rst is not what changelogs/changelog.yaml gives: run antsibull-changelog generate" >&2
  exit 1
fi
echo "changelog: $(find changelogs/fragments -name "*.y*ml" | wc -l) fragments and changelogs/changelog.yaml lint clean; CHANGELOG.rst up to date"
