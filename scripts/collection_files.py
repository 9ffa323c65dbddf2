#!/usr/bin/env python3
"""List the files of this checkout that ``ansible-galaxy collection build`` ships, one per line.

The candidates are git's: tracked files and untracked ones that .gitignore does not ignore (so a
stray local file such as inventory/demo/ or results/ is never listed). From them, the patterns of
``build_ignore`` in galaxy.yml and ansible-galaxy's own defaults are left out, matched the way
ansible-galaxy matches them (fnmatch on the path relative to the collection root, for each
directory on the way and for the file itself).

    collection_files.py                     what the tarball carries (MANIFEST.json and FILES.json aside)
    collection_files.py --with tests/unit   and also everything under tests/unit
    collection_files.py --galaxy-yml        and galaxy.yml itself (ansible-test reads it)
    collection_files.py -0                  NUL-separated, for tar --null -T -
"""

import argparse
import fnmatch
import os
import pathlib
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
# ansible-galaxy's defaults (ansible/galaxy/collection/__init__.py, _build_files_manifest_walk).
DEFAULT_PATTERNS = ["MANIFEST.json", "FILES.json", "galaxy.yml", "galaxy.yaml", ".git", "*.pyc", "*.retry",
                    "tests/output", "{namespace}-{name}-*.tar.gz"]
IGNORED_DIR_NAMES = frozenset(("CVS", ".bzr", ".hg", ".git", ".svn", "__pycache__", ".tox"))


def candidates():
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, check=True, stdout=subprocess.PIPE).stdout.decode()
    # A tracked file deleted in the work tree is still in the index: only what exists counts.
    return sorted({path for path in out.split("\0") if path and os.path.lexists(ROOT / path)})


def shipped(path, patterns):
    parts = path.split("/")
    for depth in range(1, len(parts)):
        directory = "/".join(parts[:depth])
        if parts[depth - 1] in IGNORED_DIR_NAMES or any(fnmatch.fnmatch(directory, p) for p in patterns):
            return False
    return not any(fnmatch.fnmatch(path, p) for p in patterns)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--with", dest="extra", action="append", default=[], metavar="DIR",
                        help="also list the files under DIR, whatever build_ignore says")
    parser.add_argument("--galaxy-yml", action="store_true", help="also list galaxy.yml")
    parser.add_argument("-0", dest="nul", action="store_true", help="separate the paths with NUL")
    args = parser.parse_args()

    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    patterns = [p.format(**galaxy) for p in DEFAULT_PATTERNS] + list(galaxy.get("build_ignore") or [])
    extra = [d.rstrip("/") + "/" for d in args.extra]
    files = [path for path in candidates()
             if shipped(path, patterns) or any(path.startswith(d) for d in extra)]
    if args.galaxy_yml:
        files = sorted(set(files) | {"galaxy.yml"})
    sys.stdout.write(("\0" if args.nul else "\n").join(files) + ("\0" if args.nul else "\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
