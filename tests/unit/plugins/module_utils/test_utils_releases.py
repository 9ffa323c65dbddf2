"""plugins/module_utils/releases.py against a release tree in a temporary directory."""

import os
import stat

import pytest

from ansible_collections.flaskstack.deploy.plugins.module_utils import releases


def make_release(releases_dir, name, complete=True):
    path = releases_dir / name
    path.mkdir(parents=True)
    if complete:
        (path / releases.MARKER).write_text("{}\n")
    return path


@pytest.fixture
def tree(tmp_path):
    releases_dir = tmp_path / "releases"
    releases_dir.mkdir()
    return releases_dir


# point_link

def test_point_link_creates_the_link(tmp_path):
    target = tmp_path / "releases" / "a"
    target.mkdir(parents=True)
    link = tmp_path / "current"
    assert releases.point_link(str(link), str(target)) is True
    assert os.path.islink(link) and os.readlink(link) == str(target)
    assert releases.live_release(str(link)) == "a"


def test_point_link_moves_the_link_and_leaves_no_temporary_link(tmp_path):
    for name in ("a", "b"):
        (tmp_path / "releases" / name).mkdir(parents=True)
    link = tmp_path / "current"
    releases.point_link(str(link), str(tmp_path / "releases" / "a"))
    before = os.lstat(link).st_ino
    assert releases.point_link(str(link), str(tmp_path / "releases" / "b")) is True
    assert os.readlink(link) == str(tmp_path / "releases" / "b")
    # a new link renamed over the old one (another inode), not the old one rewritten
    assert os.lstat(link).st_ino != before
    # the old target is untouched, and only the link is left beside it
    assert (tmp_path / "releases" / "a").is_dir()
    assert sorted(os.listdir(tmp_path)) == ["current", "releases"]


def test_point_link_unchanged_returns_false(tmp_path):
    (tmp_path / "a").mkdir()
    link = tmp_path / "current"
    releases.point_link(str(link), str(tmp_path / "a"))
    inode = os.lstat(link).st_ino
    assert releases.point_link(str(link), str(tmp_path / "a")) is False
    assert os.lstat(link).st_ino == inode


def test_point_link_replaces_a_stale_temporary_link(tmp_path):
    (tmp_path / "a").mkdir()
    link = tmp_path / "current"
    os.symlink("/nowhere", "%s.new-%d" % (link, os.getpid()))
    assert releases.point_link(str(link), str(tmp_path / "a")) is True
    assert os.readlink(link) == str(tmp_path / "a")
    assert sorted(os.listdir(tmp_path)) == ["a", "current"]


def test_point_link_replaces_a_dangling_link(tmp_path):
    (tmp_path / "a").mkdir()
    link = tmp_path / "current"
    os.symlink(str(tmp_path / "gone"), link)
    assert releases.point_link(str(link), str(tmp_path / "a")) is True
    assert os.readlink(link) == str(tmp_path / "a")


def test_point_link_refuses_a_real_directory(tmp_path):
    (tmp_path / "a").mkdir()
    current = tmp_path / "current"
    current.mkdir()
    (current / "app.py").write_text("kept\n")
    with pytest.raises(OSError, match="is not a symlink"):
        releases.point_link(str(current), str(tmp_path / "a"))
    assert current.is_dir() and not current.is_symlink()
    assert (current / "app.py").read_text() == "kept\n"
    assert not os.path.lexists("%s.new-%d" % (current, os.getpid()))


def test_live_release(tmp_path):
    assert releases.live_release(str(tmp_path / "current")) == ""
    (tmp_path / "dir").mkdir()
    assert releases.live_release(str(tmp_path / "dir")) == ""  # not a link
    os.symlink("releases/abc-1/", tmp_path / "current")
    assert releases.live_release(str(tmp_path / "current")) == "abc-1"


def test_is_complete(tree):
    make_release(tree, "done")
    make_release(tree, "half", complete=False)
    assert releases.is_complete(str(tree), "done")
    assert not releases.is_complete(str(tree), "half")
    assert not releases.is_complete(str(tree), "missing")
    assert not releases.is_complete(str(tree), "")


# history

def test_history_missing_is_empty(tree):
    assert releases.read_history(str(tree)) == []
    assert releases.read_history(str(tree / "nowhere")) == []


def test_history_round_trip(tree):
    releases.write_history(str(tree), ["a", "b", "c"])
    path = tree / releases.HISTORY
    assert path.read_text() == "a\nb\nc\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert releases.read_history(str(tree)) == ["a", "b", "c"]
    assert [p for p in os.listdir(tree) if p != releases.HISTORY] == []  # no temporary file left


def test_history_read_ignores_blank_lines_and_spaces(tree):
    (tree / releases.HISTORY).write_text("a\n\n  b  \r\n\nc")
    assert releases.read_history(str(tree)) == ["a", "b", "c"]


def test_history_keeps_the_newest_50(tree):
    history = ["r%03d" % i for i in range(70)]
    releases.write_history(str(tree), history)
    kept = releases.read_history(str(tree))
    assert releases.HISTORY_LIMIT == 50
    assert kept == history[-50:]
    assert kept[0] == "r020" and kept[-1] == "r069"


def test_write_file_atomic_mode_and_content(tmp_path):
    path = tmp_path / "f"
    path.write_text("old")
    releases.write_file_atomic(str(path), "new\n", mode=0o600)
    assert path.read_text() == "new\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(tmp_path) == ["f"]


@pytest.mark.parametrize("history,target,expected", [
    (["a", "b", "c"], "b", ["a", "b"]),
    (["a", "b", "c"], "a", ["a"]),
    (["a", "b", "c"], "c", ["a", "b", "c"]),
    (["a", "b", "a", "c"], "a", ["a", "b", "a"]),  # the newest occurrence
    (["a", "b"], "x", ["a", "b", "x"]),  # not in the history: it goes live now
    ([], "x", ["x"]),
])
def test_history_after_rollback(history, target, expected):
    before = list(history)
    assert releases.history_after_rollback(history, target) == expected
    assert history == before  # not changed in place


# rollback_target

def test_rollback_target_is_the_newest_before_the_live_one(tree):
    for name in ("a", "b", "c"):
        make_release(tree, name)
    assert releases.rollback_target(["a", "b", "c"], "c", str(tree)) == "b"


def test_rollback_target_skips_incomplete_and_missing_releases(tree):
    make_release(tree, "a")
    make_release(tree, "b", complete=False)  # interrupted or half removed
    make_release(tree, "d")
    # c was pruned (not on disk)
    assert releases.rollback_target(["a", "b", "c", "d"], "d", str(tree)) == "a"


def test_rollback_target_skips_the_live_one_wherever_it_is(tree):
    for name in ("a", "b"):
        make_release(tree, name)
    # b went live again after a: the live b is skipped, a is the target
    assert releases.rollback_target(["b", "a", "b"], "b", str(tree)) == "a"


def test_rollback_target_when_live_is_not_in_the_history(tree):
    # a switch to d whose health check failed: d never went into the history
    for name in ("a", "b", "d"):
        make_release(tree, name)
    assert releases.rollback_target(["a", "b"], "d", str(tree)) == "b"


def test_rollback_target_none(tree):
    make_release(tree, "a")
    assert releases.rollback_target(["a"], "a", str(tree)) == ""
    assert releases.rollback_target([], "a", str(tree)) == ""
    assert releases.rollback_target(["x"], "a", str(tree)) == ""  # x is not on disk


# releases_to_prune

def test_prune_keeps_live_and_newest_history(tree):
    for name in ("a", "b", "c", "d", "e"):
        make_release(tree, name)
    pruned = releases.releases_to_prune(str(tree), "e", ["a", "b", "c", "d", "e"], 3)
    assert pruned == ["a", "b"]


def test_prune_counts_the_live_one_first(tree):
    for name in ("a", "b", "c", "d"):
        make_release(tree, name)
    # rolled back to b: live b, then c and d newest in the history: keep=2 keeps b and d
    assert releases.releases_to_prune(str(tree), "b", ["a", "b", "c", "d"], 2) == ["a", "c"]


def test_prune_never_the_live_one(tree):
    for name in ("a", "b", "live"):
        make_release(tree, name)
    # the live release not in the history at all, keep 1 (and 0, clamped to 1)
    assert releases.releases_to_prune(str(tree), "live", ["a", "b"], 1) == ["a", "b"]
    assert releases.releases_to_prune(str(tree), "live", ["a", "b"], 0) == ["a", "b"]
    assert releases.releases_to_prune(str(tree), "live", ["a", "b"], -3) == ["a", "b"]


def test_prune_removes_interrupted_builds_and_unknown_releases(tree):
    for name in ("a", "b"):
        make_release(tree, name)
    make_release(tree, "half", complete=False)
    make_release(tree, "never-live")  # built, switched to, rolled back
    assert releases.releases_to_prune(str(tree), "b", ["a", "b"], 5) == ["half", "never-live"]


def test_prune_keeps_an_incomplete_live_release(tree):
    make_release(tree, "odd", complete=False)
    assert releases.releases_to_prune(str(tree), "odd", [], 1) == []


def test_prune_ignores_dot_files_files_and_links(tree):
    make_release(tree, "a")
    make_release(tree, "b")
    (tree / releases.HISTORY).write_text("a\nb\n")
    (tree / ".tmp-build").mkdir()
    (tree / "notes.txt").write_text("x")
    os.symlink(str(tree / "a"), tree / "alias")
    assert releases.releases_to_prune(str(tree), "b", ["a", "b"], 1) == ["a"]


def test_prune_duplicates_in_history_count_once(tree):
    for name in ("a", "b", "c"):
        make_release(tree, name)
    # b, a, b: kept b then a (not b twice)
    assert releases.releases_to_prune(str(tree), "b", ["c", "b", "a", "b"], 2) == ["c"]


def test_prune_missing_dir(tmp_path):
    assert releases.releases_to_prune(str(tmp_path / "nowhere"), "a", ["a"], 2) == []


def test_remove_tree(tree):
    path = make_release(tree, "a")
    (path / "sub").mkdir()
    (path / "sub" / "f").write_text("x")
    releases.remove_tree(str(path))
    assert not path.exists()
