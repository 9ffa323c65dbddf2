"""The switch module against a release tree in a temporary directory.

The hooks run through a stand-in flaskstack-run.py written here (it logs its arguments, applies
--chdir and --setenv and runs the command, without becoming the app's user); the in-process check
runs the role's real flaskstack-health.py on a plain WSGI app (no Flask) with the host's Python.
"""

import json
import os
import shutil
import textwrap

import pytest

from ansible_collections.flaskstack.deploy.plugins.module_utils import releases
from ansible_collections.flaskstack.deploy.plugins.modules import switch as switch_module

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
HOST_PYTHON = "/usr/bin/python3"  # what hostops.run_as_app_argv runs flaskstack-run.py with

pytestmark = pytest.mark.skipif(not os.access(HOST_PYTHON, os.X_OK), reason="needs %s" % HOST_PYTHON)

FAKE_RUN = textwrap.dedent('''\
    #!/usr/bin/env python3
    """Stand-in for flaskstack-run.py: logs its options, applies --chdir/--setenv, runs the command as is."""
    import json, os, sys
    argv = sys.argv[1:]
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    parsed, i = {"env-file": [], "setenv": []}, 0
    while i < len(options):
        name, eq, value = options[i][2:].partition("=")
        if not eq:
            i += 1
            value = options[i]
        if name in ("env-file", "setenv"):
            parsed[name].append(value)
        else:
            parsed[name] = value
        i += 1
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "calls.jsonl"), "a") as log:
        log.write(json.dumps({"options": parsed, "command": command}) + "\\n")
    env = dict(os.environ)
    env.update(item.split("=", 1) for item in parsed["setenv"])
    os.chdir(parsed["chdir"])
    sys.stdout.flush()
    os.execvpe(command[0], command, env)
''')

APP_OK = textwrap.dedent('''\
    def app(environ, start_response):
        ok = environ["PATH_INFO"] == "/health" and environ["HTTP_HOST"] == "app.example.com"
        start_response("200 OK" if ok else "404 Not Found", [("Content-Type", "text/plain")])
        return [b"ok" if ok else b"not here"]
''')
APP_500 = textwrap.dedent('''\
    def app(environ, start_response):
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"no database"]
''')
APP_BROKEN = "import no_such_module_flaskstack\n"


class Tree:
    def __init__(self, base):
        self.root = base / "srv" / "hello"
        self.releases = self.root / "releases"
        self.shared = self.root / "shared"
        self.current = self.root / "current"
        self.scripts = base / "scripts"
        for path in (self.releases, self.shared, self.scripts):
            path.mkdir(parents=True)
        (self.scripts / "flaskstack-run.py").write_text(FAKE_RUN)
        shutil.copy(os.path.join(ROOT, "roles/flask_app/files/flaskstack-health.py"), str(self.scripts))

    def release(self, name, complete=True, app=APP_OK):
        path = self.releases / name
        (path / "venv" / "bin").mkdir(parents=True)
        os.symlink(HOST_PYTHON, path / "venv" / "bin" / "python")
        (path / "app.py").write_text(app)
        if complete:
            (path / releases.MARKER).write_text("{}\n")
        return path

    def point(self, name):
        releases.point_link(str(self.current), str(self.releases / name))

    def live(self):
        return releases.live_release(str(self.current))

    def history(self, *items):
        if items:
            releases.write_history(str(self.releases), list(items))
        return releases.read_history(str(self.releases))

    def calls(self):
        try:
            with open(self.scripts / "calls.jsonl") as handle:
                return [json.loads(line) for line in handle]
        except FileNotFoundError:
            return []


@pytest.fixture
def tree(tmp_path):
    return Tree(tmp_path)


@pytest.fixture
def run(run_module, tree):
    def run(check_mode=False, diff=False, **args):
        args = dict(dict(name="hello", root=str(tree.root), scripts_dir=str(tree.scripts)), **args)
        return run_module(switch_module.main, args, check_mode=check_mode, diff=diff)
    return run


# state=switched

def test_switched_moves_current_and_reports_previous(run, tree):
    tree.release("a")
    tree.release("b")
    first = run(release="a")
    assert (first["changed"], first["switched"], first["previous"], first["live_release"]) == (True, True, "", "a")
    assert os.readlink(tree.current) == str(tree.releases / "a")
    second = run(release="b")
    assert (second["changed"], second["switched"], second["previous"], second["live_release"]) == (True, True, "a", "b")
    assert os.readlink(tree.current) == str(tree.releases / "b")
    assert second["hooks_run"] == [] and second["pruned"] == []
    assert tree.history() == []  # recorded only once it is live (state=live)
    third = run(release="b")
    assert (third["changed"], third["switched"], third["previous"], third["live_release"]) == (False, False, "b", "b")


def test_switched_diff(run, tree):
    tree.release("a")
    tree.release("b")
    tree.point("a")
    result = run(release="b", diff=True)
    assert result["diff"] == {"before": "current -> a\n", "after": "current -> b\n"}


def test_switched_to_an_incomplete_release_fails(run, tree):
    tree.release("a")
    tree.release("half", complete=False)
    tree.point("a")
    result = run(release="half")
    assert result["failed"] is True
    assert result["msg"].startswith("hello: ")
    assert "release half is not a complete release in %s" % tree.releases in result["msg"]
    assert "current still points to a" in result["msg"]
    assert (result["switched"], result["live_release"]) == (False, "a")
    assert tree.live() == "a"


def test_switched_over_a_real_directory_fails(run, tree):
    tree.release("a")
    tree.current.mkdir()
    result = run(release="a")
    assert result["failed"] is True and "is not a symlink" in result["msg"]
    assert tree.current.is_dir() and not tree.current.is_symlink()


def test_hooks_run_as_the_app_in_the_release_before_the_switch(run, tree):
    tree.release("a")
    tree.release("b")
    tree.point("a")
    hooks = [
        {"cmd": 'pwd > "$FLASKSTACK_SHARED_DIR/log"; readlink "$FLASKSTACK_SHARED_DIR/../current" >> "$FLASKSTACK_SHARED_DIR/log"'},
        {"cmd": 'echo "$FLASKSTACK_RELEASE $VIRTUAL_ENV ${PATH%%:*}" >> "$FLASKSTACK_SHARED_DIR/log"'},
    ]
    result = run(release="b", hooks=hooks, user="hello", group="www", env_files=["-/etc/flaskstack/hello/secret_key.env",
                                                                                 "/etc/flaskstack/hello/env"])
    assert result["changed"] and result["switched"]
    assert result["hooks_run"] == [hook["cmd"] for hook in hooks]
    release_dir = str(tree.releases / "b")
    assert (tree.shared / "log").read_text().splitlines() == [
        release_dir,  # in the release
        str(tree.releases / "a"),  # current still at the old release while the hooks run
        "b %s/venv %s/venv/bin" % (release_dir, release_dir),
    ]
    assert tree.live() == "b"
    calls = tree.calls()
    assert len(calls) == 2
    options = calls[0]["options"]
    assert (options["user"], options["group"], options["chdir"]) == ("hello", "www", release_dir)
    assert options["env-file"] == ["-/etc/flaskstack/hello/secret_key.env", "/etc/flaskstack/hello/env"]
    assert "FLASKSTACK_SHARED_DIR=%s" % tree.shared in options["setenv"]
    assert calls[0]["command"] == ["/bin/sh", "-c", hooks[0]["cmd"]]


def test_a_failing_hook_leaves_current_and_says_why(run, tree):
    tree.release("a")
    tree.release("b")
    tree.point("a")
    hooks = [{"cmd": "echo migrating; echo 'relation users already exists' >&2; exit 3"},
             {"cmd": 'touch "$FLASKSTACK_SHARED_DIR/second-ran"'}]
    result = run(release="b", hooks=hooks)
    assert result["failed"] is True
    assert result["msg"].startswith("hello: ")
    assert "the hook %r failed (rc=3): relation users already exists" % hooks[0]["cmd"] in result["msg"]
    assert "migrating" not in result["msg"].split("(rc=3): ", 1)[1]  # stderr, not stdout, when there is one
    assert "current still points to a" in result["msg"]
    assert result["hooks_run"] == [hooks[0]["cmd"]]
    assert not (tree.shared / "second-ran").exists()
    assert tree.live() == "a"
    # what it returns says so too: current did not move
    assert (result["switched"], result["live_release"], result["previous"]) == (False, "a", "a")


def test_a_failing_hook_without_stderr_reports_its_stdout(run, tree):
    tree.release("b")
    result = run(release="b", hooks=[{"cmd": "echo only on stdout; false"}])
    assert result["failed"] and "(rc=1): only on stdout" in result["msg"]
    assert not os.path.lexists(tree.current)
    assert (result["switched"], result["live_release"]) == (False, "")


def test_creates_skips_a_hook(run, tree):
    tree.release("b")
    (tree.shared / "seeded").mkdir()
    hooks = [{"cmd": 'touch "$FLASKSTACK_SHARED_DIR/seed-ran"', "creates": "seeded"},
             {"cmd": 'touch "$FLASKSTACK_SHARED_DIR/migrate-ran"', "creates": "not-there-yet"}]
    result = run(release="b", hooks=hooks)
    assert result["hooks_run"] == [hooks[1]["cmd"]]
    assert not (tree.shared / "seed-ran").exists() and (tree.shared / "migrate-ran").exists()
    assert len(tree.calls()) == 1


def test_check_mode_changes_nothing(run, tree):
    tree.release("a")
    tree.release("b")
    tree.point("a")
    result = run(release="b", hooks=[{"cmd": 'touch "$FLASKSTACK_SHARED_DIR/ran"'}],
                 check={"entry": "app:app", "path": "/health", "host": "app.example.com"}, check_mode=True)
    assert (result["changed"], result["switched"], result["previous"], result["live_release"]) == (True, True, "a", "b")
    assert result["hooks_run"] == [] and "check" not in result
    assert tree.live() == "a"
    assert not (tree.shared / "ran").exists() and tree.calls() == []


def test_check_mode_accepts_a_release_a_check_run_did_not_build(run, tree):
    # the release module builds nothing in check mode, and the role installs no scripts
    shutil.rmtree(tree.scripts)
    tree.release("a")
    tree.point("a")
    result = run(release="not-built-yet", hooks=[{"cmd": "true"}], check_mode=True)
    assert result["switched"] is True and tree.live() == "a"


def test_missing_run_script_fails_before_anything(run, tree):
    os.unlink(tree.scripts / "flaskstack-run.py")
    tree.release("b")
    result = run(release="b", hooks=[{"cmd": "true"}])
    assert result["failed"] and result["msg"] == "hello: %s/flaskstack-run.py is missing (installed by the flask_app role)" % tree.scripts
    assert not os.path.lexists(tree.current)


# the in-process check, with the real flaskstack-health.py

def test_check_passes_then_switches(run, tree):
    tree.release("a")
    tree.release("b", app=APP_OK)
    tree.point("a")
    result = run(release="b", check={"entry": "app:app", "path": "/health", "host": "app.example.com"})
    assert not result.get("failed"), result.get("msg")
    assert result["check"] == "GET /health answered 200 (in-process check)"
    assert tree.live() == "b"
    command = tree.calls()[0]["command"]
    assert command[:2] == [str(tree.releases / "b" / "venv" / "bin" / "python"), str(tree.scripts / "flaskstack-health.py")]


@pytest.mark.parametrize("app,fragment", [
    (APP_500, "GET /health answered 500, expected 200: no database"),
    (APP_BROKEN, "the app did not load: ModuleNotFoundError"),
    (APP_OK, "GET /elsewhere answered 404, expected 200: not here"),
])
def test_a_failing_check_leaves_current(run, tree, app, fragment):
    tree.release("a")
    tree.release("b", app=app)
    tree.point("a")
    path = "/elsewhere" if "elsewhere" in fragment else "/health"
    result = run(release="b", check={"entry": "app:app", "path": path, "host": "app.example.com"})
    assert result["failed"] is True
    assert result["msg"].startswith("hello: ")
    assert "the check before the switch failed: " in result["msg"]
    assert fragment in result["msg"]
    assert tree.live() == "a"
    assert (result["switched"], result["live_release"]) == (False, "a")


def test_hooks_run_before_the_check(run, tree):
    tree.release("b", app=APP_500)
    hook = 'cat > app.py <<EOF\n' + APP_OK + 'EOF'  # (a hook that fixes the app, to show the order)
    result = run(release="b", hooks=[{"cmd": hook}], check={"entry": "app:app", "path": "/health",
                                                            "host": "app.example.com"})
    assert not result.get("failed"), result.get("msg")
    assert tree.live() == "b"


# state=live

def test_live_appends_to_the_history_once(run, tree):
    tree.release("a")
    tree.release("b")
    tree.history("a")
    tree.point("b")
    first = run(state="live")
    assert first["changed"] is True and first["history"] == ["a", "b"]
    assert (tree.releases / releases.HISTORY).read_text() == "a\nb\n"
    assert first["live_release"] == "b" and first["switched"] is False
    inode = os.stat(tree.releases / releases.HISTORY).st_ino
    second = run(state="live", release="b")
    assert second["changed"] is False and second["history"] == ["a", "b"] and second["pruned"] == []
    assert os.stat(tree.releases / releases.HISTORY).st_ino == inode  # not even rewritten


def test_live_without_a_live_release_fails(run, tree):
    result = run(state="live")
    assert result["failed"] and result["msg"] == "hello: no live release to record"


def test_live_prunes_but_keeps_the_live_one_and_the_newest(run, tree):
    for name in ("r1", "r2", "r3", "r4", "r5", "r6"):
        tree.release(name)
    tree.release("half", complete=False)
    tree.history("r1", "r2", "r3", "r4", "r5")
    tree.point("r6")
    result = run(state="live", keep=3)
    assert result["changed"] is True
    assert result["history"] == ["r1", "r2", "r3", "r4", "r5", "r6"]
    assert result["pruned"] == ["half", "r1", "r2", "r3"]
    assert sorted(os.listdir(tree.releases)) == [releases.HISTORY, "r4", "r5", "r6"]
    again = run(state="live", keep=3)
    assert again["changed"] is False and again["pruned"] == []


def test_live_keep_one_keeps_only_the_live_one(run, tree):
    for name in ("a", "b", "c"):
        tree.release(name)
    tree.history("a", "c")
    tree.point("b")  # rolled back to b, then b recorded: c is newer in the history but not live
    result = run(state="live", keep=1)
    assert result["pruned"] == ["a", "c"]
    assert sorted(os.listdir(tree.releases)) == [releases.HISTORY, "b"]


def test_live_check_mode_prunes_nothing(run, tree):
    for name in ("r1", "r2", "r3"):
        tree.release(name)
    tree.history("r1", "r2")
    tree.point("r3")
    result = run(state="live", keep=1, hooks=[{"cmd": 'touch "$FLASKSTACK_SHARED_DIR/ran"'}], check_mode=True)
    assert result["changed"] is True
    assert result["history"] == ["r1", "r2", "r3"] and result["pruned"] == ["r1", "r2"]
    assert tree.history() == ["r1", "r2"]
    assert sorted(os.listdir(tree.releases)) == [releases.HISTORY, "r1", "r2", "r3"]
    assert not (tree.shared / "ran").exists()


def test_live_runs_the_after_switch_hooks_in_the_live_release(run, tree):
    tree.release("a")
    tree.point("a")
    result = run(state="live", hooks=[{"cmd": 'pwd > "$FLASKSTACK_SHARED_DIR/where"'}])
    assert result["hooks_run"] == ['pwd > "$FLASKSTACK_SHARED_DIR/where"']
    assert (tree.shared / "where").read_text().strip() == str(tree.releases / "a")


def test_live_failing_hook_prunes_nothing(run, tree):
    for name in ("a", "b"):
        tree.release(name)
    tree.history("a")
    tree.point("b")
    result = run(state="live", keep=1, hooks=[{"cmd": "echo cache warm-up failed >&2; exit 1"}])
    assert result["failed"] and "(rc=1): cache warm-up failed" in result["msg"]
    assert sorted(os.listdir(tree.releases)) == [releases.HISTORY, "a", "b"]
    assert tree.history() == ["a", "b"]  # it went live and passed its health check: recorded


def test_live_with_every_hook_skipped_is_not_a_change(run, tree):
    tree.release("a")
    tree.history("a")
    tree.point("a")
    (tree.shared / "done").mkdir()
    result = run(state="live", hooks=[{"cmd": "touch $FLASKSTACK_SHARED_DIR/ran", "creates": "done"}])
    assert result["hooks_run"] == [] and tree.calls() == []
    assert result["changed"] is False


def test_live_history_is_limited(run, tree):
    tree.release("new")
    tree.history(*["old%02d" % i for i in range(50)])
    tree.point("new")
    result = run(state="live", keep=50)
    assert len(result["history"]) == 50 and result["history"][-1] == "new" and result["history"][0] == "old01"
    assert tree.history() == result["history"]


# state=rolled_back

def test_rolled_back_goes_to_the_previous_entry_and_truncates(run, tree):
    for name in ("a", "b", "c"):
        tree.release(name)
    tree.history("a", "b", "c")
    tree.point("c")
    first = run(state="rolled_back")
    assert (first["changed"], first["switched"], first["previous"], first["live_release"]) == (True, True, "c", "b")
    assert first["history"] == ["a", "b"] and tree.history() == ["a", "b"]
    assert os.readlink(tree.current) == str(tree.releases / "b")
    assert (tree.releases / "c").is_dir()  # kept: a rollback removes nothing
    second = run(state="rolled_back")
    assert (second["previous"], second["live_release"], second["history"]) == ("b", "a", ["a"])
    assert tree.live() == "a"
    third = run(state="rolled_back")
    assert third["failed"] is True
    assert third["msg"] == ("hello: cannot roll back from a: no earlier release in the history "
                            "(history, oldest first: a)")
    assert tree.live() == "a" and tree.history() == ["a"]


def test_rolled_back_with_nothing_at_all(run, tree):
    result = run(state="rolled_back")
    assert result["failed"] and result["msg"] == ("hello: cannot roll back from nothing: no earlier release in the "
                                                  "history (history, oldest first: empty)")


def test_rolled_back_skips_incomplete_releases(run, tree):
    tree.release("a")
    tree.release("b", complete=False)
    tree.release("c")
    tree.history("a", "b", "c")
    tree.point("c")
    result = run(state="rolled_back")
    assert result["live_release"] == "a" and tree.live() == "a" and tree.history() == ["a"]


def test_rolled_back_after_a_switch_that_never_went_live(run, tree):
    # c was switched to and failed its health check: the history does not know it
    for name in ("a", "b", "c"):
        tree.release(name)
    tree.history("a", "b")
    tree.point("c")
    inode = os.stat(tree.releases / releases.HISTORY).st_ino
    result = run(state="rolled_back")
    assert (result["previous"], result["live_release"], result["history"]) == ("c", "b", ["a", "b"])
    assert os.stat(tree.releases / releases.HISTORY).st_ino == inode  # unchanged, not rewritten


def test_rolled_back_to_an_explicit_release(run, tree):
    for name in ("a", "b", "c"):
        tree.release(name)
    tree.history("a", "b", "c")
    tree.point("c")
    result = run(state="rolled_back", to="a")
    assert result["live_release"] == "a" and tree.history() == ["a"]
    # back to one the history does not know (the release that was live, after a failed rollback)
    back = run(state="rolled_back", to="c")
    assert back["live_release"] == "c" and tree.history() == ["a", "c"]


def test_rolled_back_to_an_incomplete_release_fails(run, tree):
    tree.release("a")
    tree.release("half", complete=False)
    tree.point("a")
    result = run(state="rolled_back", to="half")
    assert result["failed"]
    assert result["msg"] == "hello: cannot roll back from a: release half is not a complete release in %s" % tree.releases
    assert tree.live() == "a"


def test_rolled_back_check_mode_changes_nothing(run, tree):
    for name in ("a", "b", "c"):
        tree.release(name)
    tree.history("a", "b", "c")
    tree.point("c")
    result = run(state="rolled_back", check_mode=True, diff=True)
    assert (result["changed"], result["live_release"], result["history"]) == (True, "b", ["a", "b"])
    assert result["diff"] == {"before": "current -> c\n", "after": "current -> b\n"}
    assert tree.live() == "c" and tree.history() == ["a", "b", "c"]


def test_rolled_back_needs_no_run_script(run, tree):
    shutil.rmtree(tree.scripts)
    for name in ("a", "b"):
        tree.release(name)
    tree.history("a", "b")
    tree.point("b")
    result = run(state="rolled_back", hooks=[{"cmd": "true"}])
    assert not result.get("failed") and tree.live() == "a"


def test_deploy_live_rollback_cycle(run, tree):
    """switched -> live, three times, then a rollback and a new deploy: the history stays the truth."""
    for name in ("a", "b", "c"):
        tree.release(name)
        run(release=name)
        run(state="live", keep=2)
    assert tree.history() == ["a", "b", "c"] and sorted(os.listdir(tree.releases)) == [releases.HISTORY, "b", "c"]
    assert run(state="rolled_back")["live_release"] == "b"
    tree.release("d")
    run(release="d")
    live = run(state="live", keep=2)
    assert live["history"] == ["a", "b", "d"] and live["pruned"] == ["c"]
    # a was pruned long ago: the rollback from d goes to b, and from b finds nothing
    assert run(state="rolled_back")["live_release"] == "b"
    assert run(state="rolled_back")["failed"] is True


@pytest.mark.skipif(os.geteuid() != 0, reason="flaskstack-run.py changes user (root becomes root here)")
def test_with_the_real_flaskstack_run(run, tree, tmp_path):
    """The role's own flaskstack-run.py (user root here): the argv the module builds is one it accepts."""
    shutil.copy(os.path.join(ROOT, "roles/flask_app/files/flaskstack-run.py"), str(tree.scripts))
    env_file = tmp_path / "env"
    env_file.write_text('GREETING="hello there"\n')
    tree.release("a")
    tree.release("b")
    tree.point("a")
    hook = 'echo "$GREETING|$FLASKSTACK_RELEASE|$(pwd)|$HOME" > "$FLASKSTACK_SHARED_DIR/out"'
    result = run(release="b", user="root", group="root", env_files=["-%s" % (tmp_path / "missing"), "-%s" % env_file],
                 hooks=[{"cmd": hook}], check={"entry": "app:app", "path": "/health", "host": "app.example.com"})
    assert not result.get("failed"), result.get("msg")
    assert (tree.shared / "out").read_text() == "hello there|b|%s|/root\n" % (tree.releases / "b")
    assert result["check"] == "GET /health answered 200 (in-process check)"
    assert tree.live() == "b"
