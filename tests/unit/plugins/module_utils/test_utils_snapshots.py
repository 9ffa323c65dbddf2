"""Snapshots of shared directories: SQLite through the backup API, other files copied, restore
puts back exactly what was there."""

import os
import sqlite3

from ansible_collections.flaskstack.deploy.plugins.module_utils import snapshots


def make_db(path, rows):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE visits (n INTEGER)")
    db.executemany("INSERT INTO visits VALUES (?)", [(n,) for n in range(rows)])
    db.commit()
    return db


def test_sqlite_found_by_header_not_name(tmp_path):
    make_db(str(tmp_path / "data.bin"), 1).close()
    (tmp_path / "fake.sqlite3").write_text("not a database")
    assert snapshots.is_sqlite(str(tmp_path / "data.bin"))
    assert not snapshots.is_sqlite(str(tmp_path / "fake.sqlite3"))


def test_take_and_restore_brings_back_a_dropped_table_and_removes_new_files(tmp_path):
    shared = tmp_path / "shared"
    (shared / "instance").mkdir(parents=True)
    (shared / "uploads" / "a").mkdir(parents=True)
    live = make_db(str(shared / "instance" / "app.db"), 25)  # open, as the running app has it
    (shared / "uploads" / "a" / "photo.jpg").write_bytes(b"\xff\xd8 jpeg")
    dest = str(tmp_path / "snapshots" / "rel-1")
    os.makedirs(os.path.dirname(dest))
    assert snapshots.take(str(shared), ["instance", "uploads"], dest) == 2

    live.execute("DROP TABLE visits")  # the destructive migration
    live.commit()
    (shared / "uploads" / "a" / "photo.jpg").unlink()
    (shared / "uploads" / "new.txt").write_text("written after the snapshot")

    restored = snapshots.restore(dest, str(shared), ["instance", "uploads"], os.getuid(), os.getgid())
    assert restored == 2
    assert live.execute("SELECT count(*) FROM visits").fetchone()[0] == 25  # the open connection sees it
    assert (shared / "uploads" / "a" / "photo.jpg").read_bytes() == b"\xff\xd8 jpeg"
    assert not (shared / "uploads" / "new.txt").exists()


def test_size_and_prune(tmp_path):
    shared = tmp_path / "shared"
    (shared / "var").mkdir(parents=True)
    (shared / "var" / "big").write_bytes(b"x" * 5000)
    assert snapshots.tree_size(str(shared), ["var"]) == 5000
    snaps = tmp_path / "snapshots"
    snaps.mkdir()
    for n in range(5):
        (snaps / ("r%d" % n)).mkdir()
        os.utime(str(snaps / ("r%d" % n)), (1000 + n, 1000 + n))
    removed = snapshots.prune(str(snaps), 3, protect=("r0",))
    assert sorted(removed) == ["r1"]
    assert sorted(os.listdir(str(snaps))) == ["r0", "r2", "r3", "r4"]
