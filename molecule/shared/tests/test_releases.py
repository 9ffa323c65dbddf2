"""Releases (releases scenario): deploys of new versions under load, a broken version, a version
that fails only once live, a failing hook, one-time hooks, rollback, pruning, and apps built from
a pyproject.toml directory and a Django archive.

The tests run in file order and each leaves the host in the state the next one expects.
"""

import copy
import json
import os
import re
import time

import pytest

from conftest import changed_tasks, main_pid, http_get, recap, record_figure, wait_until

pytestmark = pytest.mark.skipif(
    os.environ.get("MOLECULE_SCENARIO_NAME") != "releases", reason="releases are tested in the releases scenario"
)

ROOT = "/srv/flaskstack/hello"
BODY_RE = re.compile(r"^Hello from hello \(version (\d)\) on ")
STOP_FILE = "/tmp/loadgen.stop"


@pytest.fixture(scope="module")
def apps(ansible_vars):
    return copy.deepcopy(ansible_vars["flaskstack_apps"])


def with_hello(apps, **changes):
    """The description of hello alone, changed: the other apps stay as they are on the host."""
    hello = copy.deepcopy(apps[0])
    hello.update(changes)
    return {"flaskstack_apps": [hello]}


def live_release(host):
    return host.file(ROOT + "/current").linked_to.rsplit("/", 1)[1]


def version_served(host):
    response = http_get(host, "/", "hello.example.test")
    match = BODY_RE.match(response.body)
    assert response.status == 200 and match, response
    return match.group(1)


def shared(host, name):
    return host.file("%s/shared/instance/%s" % (ROOT, name)).content_string


def worker_job(host, n=7, timeout=20):
    """A job enqueued through nginx and the worker's answer to it."""
    out = host.check_output("curl -s -X POST -H 'Host: hello.example.test' %s", "http://127.0.0.1/jobs?n=%d" % n)
    job = json.loads(out)["id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = http_get(host, "/jobs/%s" % job, "hello.example.test")
        if response.status == 200:
            return json.loads(response.body)
        time.sleep(0.3)
    raise AssertionError("the worker did not answer job %s: %s" % (job, host.run("journalctl -u hello-worker -n 20 --no-pager").stdout))


def worker_pid(host):
    return main_pid(host, "hello-worker")


class Load:
    """50 clients GET / through nginx in the background, until stopped."""

    def __init__(self, host):
        self.host = host

    def __enter__(self):
        self.host.run_test("rm -f %s /tmp/loadgen.json", STOP_FILE)
        self.host.run_test(
            "nohup flaskstack-loadgen --host-header hello.example.test --concurrency 50 --duration 600"
            " --timeout 30 --pause 0.05 --stop-file %s > /tmp/loadgen.json 2>/tmp/loadgen.err < /dev/null &", STOP_FILE)
        time.sleep(2)
        return self

    def stop(self):
        self.host.run_test("touch %s", STOP_FILE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            out = self.host.run("cat /tmp/loadgen.json").stdout.strip()
            if out:
                return json.loads(out)
            time.sleep(0.5)
        raise AssertionError("the load generator did not finish: %s" % self.host.run("cat /tmp/loadgen.err").stdout)

    def __exit__(self, *exc):
        self.host.run("touch %s", STOP_FILE)


def test_releases_first_deploy(host):
    assert version_served(host) == "1"
    release = live_release(host)
    assert host.file("%s/releases/%s/.flaskstack-release" % (ROOT, release)).exists
    assert host.file("%s/releases/%s/instance" % (ROOT, release)).linked_to == ROOT + "/shared/instance"
    # The one-time hook ran, as the app user, with the app's environment, in the release.
    assert shared(host, "init-runs.log").splitlines() == ["init-db by version 1"]
    assert host.file(ROOT + "/shared/instance/app.sqlite3").user == "hello"
    assert shared(host, "before_switch.log").split() == [release]
    assert shared(host, "after_switch.log").split() == [release]
    assert host.file(ROOT + "/releases/.history").content_string.split() == [release]


def test_releases_worker_process_runs_the_jobs_the_web_app_enqueues(host):
    answer = worker_job(host, n=7)
    assert answer["result"] == 49 and answer["version"] == "1", answer
    assert answer["uid"] == int(host.check_output("id -u hello")) != 0
    assert answer["release"] == "%s/releases/%s" % (ROOT, live_release(host))
    assert host.service("hello-worker.service").is_running and host.service("hello-worker.service").is_enabled
    # The same sandbox as the web process.
    exposure = float(re.search(r"Overall exposure level for hello-worker.service: ([0-9.]+)",
                               host.check_output("systemd-analyze security hello-worker.service")).group(1))
    assert exposure <= 2.0


def test_releases_app_writes_only_shared_and_a_secret_key_was_generated(host):
    response = http_get(host, "/visits", "hello.example.test")
    assert response.status == 200 and json.loads(response.body)["visits"] >= 1, response
    # Generated once on the host, in its own file that only root and the app's group can read; the
    # running server has it in its environment; the environment file written from the controller does not.
    key_file = host.file("/etc/flaskstack/hello/secret_key.env")
    assert (key_file.user, key_file.group, key_file.mode) == ("root", "hello", 0o640)
    match = re.search(r'^SECRET_KEY="([A-Za-z0-9_-]{40,})"$', key_file.content_string, re.M)
    assert match, "no generated SECRET_KEY line"
    assert "SECRET_KEY" not in host.file("/etc/flaskstack/hello/env").content_string
    environ = host.check_output("cat /proc/%d/environ | tr '\\0' '\\n'" % main_pid(host, "hello"))
    assert "SECRET_KEY=%s" % match.group(1) in environ.splitlines()


def test_releases_deploy_v2_under_load_without_a_failed_request(host, apps, run_site):
    before = live_release(host)
    visits = json.loads(http_get(host, "/visits", "hello.example.test").body)["visits"]
    with Load(host) as load:
        started = time.monotonic()
        try:
            result = run_site(with_hello(apps, version="v2"))
            took = time.monotonic() - started
            time.sleep(2)
        finally:
            stats = load.stop()
    record_figure("code-only redeploy v1 -> v2 (same dependencies): %.1f s; load: %s" % (took, json.dumps(stats)))
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert stats["failed"] == 0, stats
    assert stats["requests"] >= 500, stats
    # Every answer is a whole answer of v1 or of v2, and both were seen.
    versions = {BODY_RE.match(body).group(1) if BODY_RE.match(body) else body for body in stats["bodies"]}
    assert versions == {"1", "2"}, stats["bodies"]
    assert version_served(host) == "2"
    after = live_release(host)
    assert after != before
    # Shared data survived the switch; the one-time hook did not run again.
    assert json.loads(http_get(host, "/visits", "hello.example.test").body)["visits"] == visits + 1
    assert shared(host, "init-runs.log").splitlines() == ["init-db by version 1"]
    assert host.file(ROOT + "/releases/.history").content_string.split() == [before, after]


def test_releases_no_change_rerun_changes_nothing(host, apps, run_site):
    started = time.monotonic()
    result = run_site(with_hello(apps, version="v2"))
    record_figure("no-change re-run: %.1f s" % (time.monotonic() - started))
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert recap((result.stdout + result.stderr), host.backend.get_hostname())["changed"] == 0, (result.stdout + result.stderr)[-6000:]


def test_releases_worker_follows_v2_after_its_health_check(host):
    answer = worker_job(host)
    assert answer["version"] == "2" and answer["release"] == "%s/releases/%s" % (ROOT, live_release(host)), answer
    # The worker was started after the web process answered on v2 (its journal says when).
    started = host.check_output("systemctl show -p ExecMainStartTimestampMonotonic --value hello-worker.service")
    web = host.check_output("systemctl show -p ExecMainStartTimestampMonotonic --value hello.service")
    assert int(started) > int(web)


def test_releases_broken_v3_fails_clearly_and_v2_keeps_answering(host, apps, run_site):
    live = live_release(host)
    with Load(host) as load:
        try:
            result = run_site(with_hello(apps, version="v3"))
        finally:
            stats = load.stop()
    assert result.returncode != 0
    assert "was not switched in" in (result.stdout + result.stderr), (result.stdout + result.stderr)[-4000:]
    assert "no_such_module" in (result.stdout + result.stderr), (result.stdout + result.stderr)[-4000:]
    assert stats["failed"] == 0, stats
    assert set(stats["bodies"]) and all(BODY_RE.match(b).group(1) == "2" for b in stats["bodies"]), stats
    assert live_release(host) == live
    assert version_served(host) == "2"
    assert shared(host, "init-runs.log").splitlines() == ["init-db by version 1"]
    assert host.file(ROOT + "/shared/instance/app.sqlite3").size > 0


def test_releases_failing_hook_leaves_v2_untouched(host, apps, run_site):
    live = live_release(host)
    hooks = copy.deepcopy(apps[0]["hooks"])
    hooks["before_switch"].append("echo migration failed >&2; exit 3")
    result = run_site(with_hello(apps, version="v1", hooks=hooks))
    assert result.returncode != 0
    assert "migration failed" in (result.stdout + result.stderr) and "was not switched in" in (result.stdout + result.stderr), (result.stdout + result.stderr)[-4000:]
    assert live_release(host) == live
    assert version_served(host) == "2"


def test_releases_version_failing_once_live_is_rolled_back(host, apps, run_site):
    live = live_release(host)
    result = run_site(with_hello(apps, version="v4"))
    assert result.returncode != 0
    assert "Rolled back" in (result.stdout + result.stderr), (result.stdout + result.stderr)[-4000:]
    assert live_release(host) == live
    assert version_served(host) == "2"
    assert host.run("systemctl is-active hello.service").stdout.strip() == "active"
    assert host.file(ROOT + "/releases/.history").content_string.split()[-1] == live


def test_releases_failed_versions_left_the_worker_on_v2(host):
    # v3 (not switched in), the failing hook and v4 (rolled back) never moved the worker.
    answer = worker_job(host)
    assert answer["version"] == "2" and answer["release"] == "%s/releases/%s" % (ROOT, live_release(host)), answer


def test_releases_one_time_hook_ran_once_and_failed_deploys_left_no_trace_in_the_data(host):
    # v1, v2, v3 (broken), v1 (failing hook) and v4 (rolled back) all ran the before_switch hooks,
    # but what the failed ones wrote into the shared data was undone from their snapshots: the log
    # lists the releases that went live, and the one-time hook ran once.
    history = host.file(ROOT + "/releases/.history").content_string.split()
    assert shared(host, "before_switch.log").split() == history
    assert len(history) == 2
    assert shared(host, "init-runs.log").splitlines() == ["init-db by version 1"]


def test_releases_rollback_playbook_brings_back_v1_from_a_crash_loop(host, run_site):
    # The live release (v2) starts crashing (its code broken on disk), systemd restarts it until its
    # start limit is hit and gives up: the rollback playbook must clear that failed state (the same
    # restart path as a deploy), not only point the link at v1.
    history = host.file(ROOT + "/releases/.history").content_string.split()
    app_py = "%s/releases/%s/app.py" % (ROOT, history[-1])
    original = host.file(app_py).content_string
    try:
        host.run_test("printf '\\nraise SystemExit(\"crash loop test\")\\n' >> %s", app_py)
        host.run("systemctl restart hello.service")  # fails: the new code does not load
        assert wait_until(lambda: host.run("systemctl is-failed hello.service").stdout.strip() == "failed", 40), \
            host.run("systemctl status --no-pager hello.service hello.socket").stdout
        assert "start-limit-hit" in host.check_output("systemctl show -p Result --value hello.service hello.socket")
        result = run_site({"flaskstack_rollback_apps": ["hello"]}, playbook="flaskstack.deploy.rollback")
        assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
        assert version_served(host) == "1"
        assert host.run("systemctl is-active hello.service hello.socket").stdout.split() == ["active", "active"]
        assert live_release(host) == history[-2]
        assert host.file(ROOT + "/releases/.history").content_string.split() == history[:-1]
    finally:
        # The release directory of v2 as it was: a later deploy of v2 reuses it.
        host.run_test("printf %%s %s > %s", original, app_py)


def test_releases_rollback_playbook_put_the_worker_back_on_v1(host):
    answer = worker_job(host)
    assert answer["version"] == "1" and answer["release"] == "%s/releases/%s" % (ROOT, live_release(host)), answer


def test_releases_status_after_the_rollback_shows_the_previous_release_live(host, run_site):
    result = run_site({}, playbook="flaskstack.deploy.status")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    history = host.file(ROOT + "/releases/.history").content_string.split()
    assert "hello: healthy, release %s" % live_release(host) in output, output[-3000:]
    assert live_release(host) == history[-1]
    assert "previous %s" % (history[-2] if len(history) > 1 else "none") in output, output[-3000:]


def test_releases_old_releases_are_pruned(host):
    releases = host.check_output("ls %s/releases", ROOT).split()
    # keep 3 (flask_app_keep_releases), the live one among them; v4's stays until the next deploy.
    assert live_release(host) in releases
    assert len(releases) <= 4, releases


def test_releases_pyproject_app_with_factory(host):
    response = http_get(host, "/", "pyapp.example.test")
    assert response.status == 200 and response.body == "Hello from the pyproject app\n", response
    site_packages = host.check_output("ls /srv/flaskstack/pyapp/current/venv/lib/python3*/site-packages")
    assert "flaskstack_pyapp" in site_packages


def test_releases_django_migrated_and_static_served_by_nginx(host):
    response = http_get(host, "/health/", "djsite.example.test")
    assert response.status == 200 and json.loads(response.body)["migrations"] > 10, response
    css = http_get(host, "/static/admin/css/base.css", "djsite.example.test")
    assert css.status == 200 and "text/css" in css.headers["content-type"], css
    assert css.body == host.file("/srv/flaskstack/djsite/shared/staticfiles/admin/css/base.css").content_string
    login = http_get(host, "/admin/login/", "djsite.example.test")
    assert login.status == 200 and "csrfmiddlewaretoken" in login.body, login
    # Static files come from nginx, not Django (DEBUG is off and the service may be down).
    host.run_test("systemctl stop djsite.socket djsite.service")
    try:
        assert http_get(host, "/static/admin/css/base.css", "djsite.example.test").status == 200
    finally:
        host.run_test("systemctl start djsite.socket djsite.service")


# Data snapshots (after the release tests above, whose counts they would change).
def visits_rows(host):
    return int(host.check_output(
        "python3 -c \"import sqlite3; print(sqlite3.connect('%s/shared/instance/app.sqlite3').execute("
        "'SELECT COUNT(*) FROM visits').fetchone()[0])\"" % ROOT))


DROP = "python3 -c \"import sqlite3; c = sqlite3.connect('instance/app.sqlite3'); c.execute('DROP TABLE visits'); c.commit()\""
DELETE = "python3 -c \"import sqlite3; c = sqlite3.connect('instance/app.sqlite3'); c.execute('DELETE FROM visits'); c.commit()\""


def with_hook(apps, version, command):
    hooks = copy.deepcopy(apps[0]["hooks"])
    hooks["before_switch"].append(command)
    return with_hello(apps, version=version, hooks=hooks)


def test_releases_failed_release_after_a_destructive_migration_gets_its_data_back(host, apps, run_site):
    live = live_release(host)
    http_get(host, "/visits", "hello.example.test")
    rows = visits_rows(host)
    assert rows > 0
    # v4 passes the check before the switch and fails under Gunicorn: rolled back after its
    # migration dropped the table.
    result = run_site(with_hook(apps, "v4", DROP))
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "Rolled back" in output, output[-4000:]
    assert "restored" in output and "from the snapshot taken before release" in output, output[-4000:]
    assert live_release(host) == live
    assert visits_rows(host) == rows  # every row written before the deploy is back
    assert http_get(host, "/visits", "hello.example.test").status == 200
    assert host.file(ROOT + "/shared/instance/app.sqlite3").user == "hello"


def test_releases_manual_rollback_restores_the_data_only_on_request(host, apps, run_site):
    rows = visits_rows(host)
    # A "successful" release whose migration deleted every row, rolled back with the data.
    result = run_site(with_hook(apps, "v2", DELETE))
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert visits_rows(host) == 0
    result = run_site({"flaskstack_rollback_apps": ["hello"], "flaskstack_rollback_restore_data": True},
                      playbook="flaskstack.deploy.rollback")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert visits_rows(host) == rows and version_served(host) == "1"
    # The same, without the flag: the code goes back, the data is left as it is.
    result = run_site(with_hook(apps, "v2", DELETE))
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    result = run_site({"flaskstack_rollback_apps": ["hello"]}, playbook="flaskstack.deploy.rollback")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert version_served(host) == "1" and visits_rows(host) == 0
    # Snapshots are kept for the last flask_app_keep_snapshots (3) deploys that ran hooks.
    assert len(host.check_output("ls %s/snapshots", ROOT).split()) <= 3


# The rest of an app's life. These run last: they change the description (timers, no worker,
# pyapp retired) and nothing after them expects the earlier state.
def test_releases_bad_timer_calendar_is_refused_before_anything_changes(host, apps, run_site):
    timers = {"mark": {"command": "true", "on_calendar": "every full moon"}}
    result = run_site(with_hello(apps, timers=timers))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "app 'hello'" in output and "'timers.mark'.on_calendar" in output and "every full moon" in output, output[-3000:]
    assert "Failed to parse" in output or "Invalid argument" in output, output[-3000:]  # systemd's own words
    assert "PLAY [Put nginx in front of the apps]" not in output


def test_releases_timer_runs_and_a_removed_process_is_stopped(host, apps, run_site):
    mark = "/var/lib/flaskstack/hello/timer-mark"
    host.run("rm -f %s", mark)
    when = host.check_output("date -d '+25 seconds' '+%Y-%m-%d %H:%M:%S'")
    hello = dict(apps[0], timers={"mark": {"command": 'date +%s >> "$STATE_DIRECTORY/timer-mark"', "on_calendar": when}})
    hello.pop("processes")
    result = run_site({"flaskstack_apps": [hello]})
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "hello-mark.timer" in host.check_output("systemctl list-timers --all --no-pager")
    # The worker is no longer described: stopped and its unit gone.
    assert not host.file("/etc/systemd/system/hello-worker.service").exists
    assert host.run("systemctl is-active hello-worker.service").stdout.strip() != "active"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not host.file(mark).exists:
        time.sleep(1)
    assert host.file(mark).exists, host.run("journalctl -u hello-mark -n 20 --no-pager").stdout
    assert host.file(mark).user == "hello"
    assert host.run("systemctl show -p Result --value hello-mark.service").stdout.strip() == "success"


def test_releases_retiring_an_app_keeps_the_others_answering(host, apps, run_site):
    retired = [a for a in apps if a["name"] == "pyapp"][0]
    assert http_get(host, "/", "pyapp.example.test").status == 200
    with Load(host) as load:
        try:
            result = run_site({"flaskstack_apps": [apps[0], dict(retired, state="absent")]})
        finally:
            stats = load.stop()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert stats["failed"] == 0 and stats["requests"] > 0, stats
    # Its site answers nothing any more; its units are gone; its data and user are kept.
    assert http_get(host, "/", "pyapp.example.test").status != 200
    assert not host.file("/etc/nginx/sites-enabled/pyapp.conf").exists
    assert host.run("systemctl list-unit-files 'pyapp*' --no-legend").stdout.strip() == ""
    assert not host.file("/etc/flaskstack/pyapp").exists
    assert host.file("/srv/flaskstack/pyapp/current").exists and host.user("pyapp").exists
    again = run_site({"flaskstack_apps": [apps[0], dict(retired, state="absent")]})
    assert again.returncode == 0
    assert recap(again.stdout + again.stderr, host.backend.get_hostname())["changed"] == 0, changed_tasks(again.stdout)


def test_releases_purging_a_retired_app_removes_its_files_and_user(host, apps, run_site):
    retired = dict([a for a in apps if a["name"] == "pyapp"][0], state="absent", purge=True)
    result = run_site({"flaskstack_apps": [apps[0], retired]})
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert not host.file("/srv/flaskstack/pyapp").exists
    assert not host.file("/var/lib/flaskstack/pyapp").exists
    assert not host.user("pyapp").exists and not host.group("pyapp").exists
    again = run_site({"flaskstack_apps": [apps[0], retired]})
    assert again.returncode == 0
    assert recap(again.stdout + again.stderr, host.backend.get_hostname())["changed"] == 0, changed_tasks(again.stdout)
    assert version_served(host) in ("1", "2")
