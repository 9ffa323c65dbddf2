#!/usr/bin/env python3
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).
"""Offline stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test runs each sanity test that has requirements (pylint, pep8, yamllint, validate-modules,
...) in a virtual environment of its own, created without pip, and bootstraps pip into it by
running a get-pip.py it downloads from ci-files.testing.ansible.com, a host this machine cannot
reach. It keeps that script in ~/.ansible/test/cache/get_pip_<version>.py and downloads it only
when that file is missing; scripts/sanity.sh puts this one there.

It is called as ``python get_pip.py [pip options] pip==X.Y [--no-setuptools] [--no-wheel]``, like
the real one, and does the same with the ordinary clients: the pip wheel bundled with Python
(ensurepip, no network), then ``pip install`` of the requested packages from the package index.
"""
# flaskstack get-pip stand-in, version 1

import subprocess
import sys


def main(argv):
    args = [arg for arg in argv if arg not in ("--no-setuptools", "--no-wheel")]
    # Python 3.11's ensurepip also brings setuptools; the real script leaves it out on request.
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], stdout=subprocess.DEVNULL)
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + args)
    if "--no-setuptools" in argv:
        subprocess.check_call([sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", "setuptools"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
