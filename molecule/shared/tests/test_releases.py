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

from conftest import main_pid, http_get, recap, record_figure

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


def test_releases_one_time_hook_ran_once_across_all_deploys(host):
    # v1, v2, v3 (broken), v1 (failing hook) and v4 (rolled back) all ran the before_switch hooks.
    assert len(shared(host, "before_switch.log").split()) == 5
    assert shared(host, "init-runs.log").splitlines() == ["init-db by version 1"]


def test_releases_rollback_playbook_brings_back_v1(host, run_site):
    history = host.file(ROOT + "/releases/.history").content_string.split()
    result = run_site({"flaskstack_rollback_apps": ["hello"]}, playbook="flaskstack.deploy.rollback")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert version_served(host) == "1"
    assert live_release(host) == history[-2]
    assert host.file(ROOT + "/releases/.history").content_string.split() == history[:-1]


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
