"""The deploy lock (two runs at once never interleave on a host) and the status playbook.

On the first host of the `default` scenario only: each test runs the site or status playbook.
"""

import json
import os
import time

import pytest

from conftest import changed_tasks, http_get, main_pid, recap

pytestmark = pytest.mark.skipif(
    os.environ.get("MOLECULE_SCENARIO_NAME") != "default", reason="tested in the default scenario"
)
LOCK = "/var/lib/flaskstack/deploy.lock"


@pytest.fixture(scope="module", autouse=True)
def first_host_only(host):
    if not host.backend.get_hostname().endswith("-bookworm"):
        pytest.skip("tested on the bookworm host only")


def test_two_runs_at_once_one_deploys_the_other_stops_unchanged(host, ansible_vars, start_site):
    apps = {"flaskstack_apps": ansible_vars["flaskstack_apps"]}
    first = start_site(apps)
    time.sleep(0.5)
    second = start_site(apps)
    results = [first(), second()]
    hostname = host.backend.get_hostname()
    ok = [r for r in results if r.returncode == 0]
    stopped = [r for r in results if r.returncode != 0]
    assert len(ok) == 1 and len(stopped) == 1, [(r.returncode, (r.stdout + r.stderr)[-2000:]) for r in results]
    output = stopped[0].stdout + stopped[0].stderr
    assert "being deployed by another run" in output, output[-3000:]
    # Who holds it: user@controller, the playbook and when it started.
    assert "flaskstack.deploy.site" in output and "started 20" in output, output[-3000:]
    assert recap(output, hostname)["changed"] == 0, output[-3000:]
    assert "PLAY [Put nginx in front of the apps]" not in output
    # The run that deployed released its lock.
    assert not host.file(LOCK).exists


def test_a_stale_lock_stops_the_run_until_it_is_broken(host, ansible_vars, run_site):
    stale = {"run_id": "elsewhere-1-0", "controller": "ci-runner-7", "user": "ci", "playbook": "flaskstack.deploy.site",
             "started": "2026-01-01T00:00:00Z", "pid": 1, "taken": time.time() - 7200}
    host.run_test("mkdir -p /var/lib/flaskstack && printf '%%s' %s > %s", json.dumps(stale), LOCK)
    apps = {"flaskstack_apps": ansible_vars["flaskstack_apps"]}
    result = run_site(apps)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "ci@ci-runner-7" in output and "stale" in output and "flaskstack_break_lock=true" in output, output[-3000:]
    assert host.file(LOCK).exists
    result = run_site(dict(apps, flaskstack_break_lock=True))
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert not host.file(LOCK).exists


def test_status_of_a_healthy_host(host, run_site):
    result = run_site({}, playbook="flaskstack.deploy.status")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    live = host.file("/srv/flaskstack/hello/current").linked_to.rsplit("/", 1)[1]
    assert "hello: healthy, release %s" % live in output, output[-3000:]
    assert "other: healthy" in output


def test_status_json_and_check_mode(host, run_site):
    result = run_site({"flaskstack_status_format": "json"}, "--check", playbook="flaskstack.deploy.status")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    start = result.stdout.index('"msg": "') + len('"msg": "')
    data = json.loads(json.loads('"' + result.stdout[start:result.stdout.index('"\n', start)] + '"'))
    hello = [a for a in data if a["name"] == "hello"][0]
    assert hello["healthy"] and hello["units"]["hello.service"] == "active/running", hello
    assert hello["commit"] and hello["version"] == "main", hello


def test_status_of_a_stopped_app_fails_and_names_it(host, run_site):
    host.run_test("systemctl stop other.socket other.service")
    try:
        result = run_site({}, playbook="flaskstack.deploy.status")
        output = result.stdout + result.stderr
        assert result.returncode != 0
        assert "unhealthy: other: UNHEALTHY" in output, output[-3000:]
        assert "hello: UNHEALTHY" not in output
        # Reading the status did not start it (no request reached its socket).
        assert host.run("systemctl is-active other.service").stdout.strip() != "active"
    finally:
        host.run_test("systemctl start other.socket other.service")


def test_the_site_playbook_starts_a_stopped_app_and_leaves_the_running_one_alone(host, run_site):
    # The units' state is read in the call that writes their files: an app that runs as written
    # gets no service call, a stopped one gets started (and checked through its socket).
    hello_pid = main_pid(host, "hello")
    host.run_test("systemctl stop other.socket other.service")
    try:
        result = run_site({})
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-3000:]
        assert host.run("systemctl is-active other.socket other.service").stdout.split() == ["active", "active"]
        assert http_get(host, "/", "other.example.test").status == 200
        assert main_pid(host, "hello") == hello_pid
        assert [t for t in changed_tasks(output) if "hello" in t] == [], changed_tasks(output)
    finally:
        host.run_test("systemctl start other.socket other.service")
