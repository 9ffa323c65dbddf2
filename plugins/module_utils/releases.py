# -*- coding: utf-8 -*-
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).
"""The release tree of an app on its host, shared by the release and switch modules.

    ROOT/releases/<source12>-<build6>/   one directory per release, .flaskstack-release written last
    ROOT/releases/.history               ids that went live and passed their health check, oldest first
    ROOT/current -> releases/<id>         the live release, switched with rename(2)
    ROOT/shared/                          what outlives a release (linked into each one)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

MARKER = ".flaskstack-release"
HISTORY = ".history"
HISTORY_LIMIT = 50


def live_release(current):
    """The id of the release ``current`` points at ('' when there is none)."""
    if not os.path.islink(current):
        return ""
    return os.path.basename(os.readlink(current).rstrip("/"))


def is_complete(releases_dir, release):
    """A release directory counts only once its marker is written (an interrupted build does not)."""
    return bool(release) and os.path.isfile(os.path.join(releases_dir, release, MARKER))


def read_history(releases_dir):
    try:
        with open(os.path.join(releases_dir, HISTORY)) as handle:
            return [line.strip() for line in handle.read().splitlines() if line.strip()]
    except (IOError, OSError):
        return []


def write_file_atomic(path, content, mode=0o644):
    """Write ``content`` beside ``path`` and rename it over: readers see the old or the new file."""
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "w") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, mode)
    os.rename(tmp, path)


def write_history(releases_dir, history):
    content = "".join("%s\n" % item for item in history[-HISTORY_LIMIT:])
    write_file_atomic(os.path.join(releases_dir, HISTORY), content)


def point_link(link, target):
    """Point the symlink ``link`` at ``target`` in one step: a new link, renamed over the old one.

    Returns True when the link moved. No request ever sees no link or half a switch.
    """
    if os.path.islink(link) and os.readlink(link) == target:
        return False
    if os.path.exists(link) and not os.path.islink(link):
        raise OSError("%s exists and is not a symlink: refusing to replace it" % link)
    tmp = "%s.new-%d" % (link, os.getpid())
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.rename(tmp, link)
    return True


def history_after_rollback(history, target):
    """The history forgets what came after ``target``, so a second rollback goes further back."""
    if target in history:
        last = len(history) - 1 - history[::-1].index(target)
        return history[:last + 1]
    return history + [target]


def rollback_target(history, live, releases_dir):
    """The newest release of the history that is not the live one and is still complete on disk."""
    for release in reversed(history):
        if release != live and is_complete(releases_dir, release):
            return release
    return ""


def releases_to_prune(releases_dir, live, history, keep):
    """Release directories beyond the ``keep`` newest (the live one first, then the history newest
    first). Interrupted builds (no marker) that are not live are pruned too."""
    kept = []
    for release in [live] + list(reversed(history)):
        if release and release not in kept:
            kept.append(release)
    kept = kept[:max(keep, 1)]
    try:
        names = sorted(os.listdir(releases_dir))
    except OSError:
        return []
    return [name for name in names
            if not name.startswith(".") and name not in kept and os.path.isdir(os.path.join(releases_dir, name))
            and not os.path.islink(os.path.join(releases_dir, name))]


def remove_tree(path):
    shutil.rmtree(path)
