# -*- coding: utf-8 -*-
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).
"""Snapshots of an app's shared directories, taken before a deploy's hooks run (migrations can
destroy data that no code rollback brings back), and restored on a rollback.

    ROOT/snapshots/<release>/<shared path>/...   root's, 0700: the snapshot taken before <release>'s hooks

SQLite databases (found by their header, not their name) are copied with SQLite's online backup, so
a database in use is copied consistently, and restored the same way (the app may keep running);
other files are copied with their metadata.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import sqlite3

SQLITE_HEADER = b"SQLite format 3\x00"
# What SQLite keeps beside a database: a copy or a restore replaces the database as a whole.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def is_sqlite(path):
    try:
        with open(path, "rb") as handle:
            return handle.read(16) == SQLITE_HEADER
    except (IOError, OSError):
        return False


def _files(top):
    for base, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(files):
            yield os.path.join(base, name)


def tree_size(shared_dir, paths):
    total = 0
    for rel in paths:
        for path in _files(os.path.join(shared_dir, rel)):
            if not os.path.islink(path):
                total += os.lstat(path).st_size
    return total


def _sqlite_copy(src, dst):
    source = sqlite3.connect(src)
    try:
        target = sqlite3.connect(dst)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def take(shared_dir, paths, dest):
    """Copy the shared directories ``paths`` (relative) into ``dest``; returns the files copied."""
    tmp = dest + ".tmp"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    os.makedirs(tmp, 0o700)
    copied = 0
    for rel in paths:
        src_top = os.path.join(shared_dir, rel)
        if not os.path.isdir(src_top):
            continue
        for path in _files(src_top):
            if any(path.endswith(side) for side in SQLITE_SIDE_FILES) and is_sqlite(path.rsplit("-", 1)[0]):
                continue  # part of a database copied through the backup API
            target = os.path.join(tmp, os.path.relpath(path, shared_dir))
            if not os.path.isdir(os.path.dirname(target)):
                os.makedirs(os.path.dirname(target), 0o700)
            if os.path.islink(path):
                os.symlink(os.readlink(path), target)
            elif is_sqlite(path):
                _sqlite_copy(path, target)
                shutil.copystat(path, target)
            else:
                shutil.copy2(path, target)
            copied += 1
    if os.path.exists(dest):
        shutil.rmtree(dest)
    os.rename(tmp, dest)
    return copied


def restore(snapshot, shared_dir, paths, uid, gid):
    """Make the shared directories ``paths`` what ``snapshot`` holds: files written since are removed,
    databases restored with the backup API (consistent even while the app has them open)."""
    restored = 0
    for rel in paths:
        live_top = os.path.join(shared_dir, rel)
        snap_top = os.path.join(snapshot, rel)
        wanted = set()
        if os.path.isdir(snap_top):
            for path in _files(snap_top):
                relpath = os.path.relpath(path, snapshot)
                wanted.add(relpath)
                target = os.path.join(shared_dir, relpath)
                parent = os.path.dirname(target)
                if not os.path.isdir(parent):
                    os.makedirs(parent, 0o750)
                    os.chown(parent, uid, gid)
                if is_sqlite(path) and (is_sqlite(target) or not os.path.exists(target)):
                    if not os.path.exists(target):
                        shutil.copy2(path, target)
                    else:
                        _sqlite_copy(path, target)
                elif os.path.islink(path):
                    if os.path.lexists(target):
                        os.unlink(target)
                    os.symlink(os.readlink(path), target)
                else:
                    shutil.copy2(path, target)
                os.lchown(target, uid, gid)
                restored += 1
        if os.path.isdir(live_top):
            for path in list(_files(live_top)):
                relpath = os.path.relpath(path, shared_dir)
                side = any(path.endswith(s) for s in SQLITE_SIDE_FILES) and relpath.rsplit("-", 1)[0] in wanted
                if relpath not in wanted and not side:
                    os.unlink(path)
    return restored


def prune(snapshots_dir, keep, protect=()):
    """Keep the ``keep`` newest snapshots (by time taken) and those in ``protect``; returns the removed."""
    try:
        names = [n for n in os.listdir(snapshots_dir) if not n.endswith(".tmp")]
    except OSError:
        return []
    names.sort(key=lambda n: os.stat(os.path.join(snapshots_dir, n)).st_mtime, reverse=True)
    removed = [n for n in names[keep:] if n not in protect]
    for name in removed:
        shutil.rmtree(os.path.join(snapshots_dir, name))
    return removed
