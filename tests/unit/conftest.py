"""Makes this checkout importable as the collection ``ansible_collections.flaskstack.deploy``.

The modules import ``ansible_collections.flaskstack.deploy.plugins.module_utils...``. ``make collection``
links ``.cache/collections/ansible_collections/flaskstack/deploy`` to the checkout; when that link is
missing (or points at another checkout) the same structure is made in a temporary directory.
"""

import atexit
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _collections_path():
    cached = os.path.join(ROOT, ".cache", "collections")
    link = os.path.join(cached, "ansible_collections", "flaskstack", "deploy")
    if os.path.isdir(link) and os.path.realpath(link) == os.path.realpath(ROOT):
        return cached
    tmp = tempfile.mkdtemp(prefix="flaskstack-collections-")
    os.makedirs(os.path.join(tmp, "ansible_collections", "flaskstack"))
    os.symlink(ROOT, os.path.join(tmp, "ansible_collections", "flaskstack", "deploy"))
    atexit.register(shutil.rmtree, tmp, True)  # removes the link, never what it points at
    return tmp


COLLECTIONS_PATH = _collections_path()
if COLLECTIONS_PATH not in sys.path:
    sys.path.insert(0, COLLECTIONS_PATH)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes seconds (a real virtualenv); deselect with -m 'not slow'")
