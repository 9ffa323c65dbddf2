"""Scale out (cluster scenario): one web host in front of three app hosts over TCP.

Run once, from the web host; the app hosts are reached with testinfra's ansible backend and the
containers are stopped and started with docker from the controller. Tests run in file order.
"""

import copy
import json
import os
import re
import subprocess
import time

import pytest
import testinfra

from conftest import http_get, record_figure, record_output, wait_until

WEB = "flaskstack-cluster-web1"
APP_HOSTS = {"app1": "172.30.57.11", "app2": "172.30.57.12", "app3": "172.30.57.13"}
PORT = 8001  # the first app's default port
BODY_RE = re.compile(r"^Hello from hello \(version (\d)\) on (app\d)$")
STOP_FILE = "/tmp/loadgen.stop"


@pytest.fixture(scope="module", autouse=True)
def only_on_the_web_host(host):
    if os.environ.get("MOLECULE_SCENARIO_NAME") != "cluster" or host.backend.get_hostname() != WEB:
        pytest.skip("cluster tests run in the cluster scenario, from the web host")


def app_host(short):
    return testinfra.get_host("ansible://flaskstack-cluster-%s" % short,
                              ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


def live_release(short):
    return app_host(short).file("/srv/flaskstack/hello/current").linked_to.rsplit("/", 1)[1]


def answers(host, count):
    """(version, app host) of `count` requests through the web host."""
    seen = []
    for _ in range(count):
        response = http_get(host, "/", "hello.example.test")
        match = BODY_RE.match(response.body.strip())
        assert response.status == 200 and match, response
        seen.append(match.groups())
    return seen


def start_load(host, concurrency=50):
    host.run_test("rm -f %s /tmp/loadgen.json", STOP_FILE)
    host.run_test(
        "nohup flaskstack-loadgen --host-header hello.example.test --concurrency %s --duration 900"
        " --timeout 30 --pause 0.05 --stop-file %s > /tmp/loadgen.json 2>/tmp/loadgen.err < /dev/null &", str(concurrency), STOP_FILE)
    time.sleep(2)


def stop_load(host):
    host.run_test("touch %s", STOP_FILE)
    assert wait_until(lambda: host.run("cat /tmp/loadgen.json").stdout.strip() != "", 60)
    return json.loads(host.check_output("cat /tmp/loadgen.json"))


def run_under_load(host, run_site, extra_vars, playbook="flaskstack.deploy.site"):
    """Run a playbook on every host while 50 clients ask the web host: (result, seconds, load stats)."""
    start_load(host)
    started = time.monotonic()
    try:
        result = run_site(extra_vars, playbook=playbook, limit=False)
        took = time.monotonic() - started
        time.sleep(2)
    finally:
        stats = stop_load(host)
    return result, took, stats


def test_cluster_every_app_host_answers_through_the_web_host(host):
    served_by = {short for _, short in answers(host, 30)}
    assert served_by == set(APP_HOSTS)
    # The web host runs nginx only; the app hosts run the app and no nginx.
    assert not host.file("/etc/systemd/system/hello.service").exists
    assert app_host("app1").service("hello.service").is_running
    assert not app_host("app1").package("nginx").is_installed


def test_cluster_static_files_come_from_the_web_hosts_own_release(host):
    link = host.file("/srv/flaskstack/hello/current")
    assert link.is_symlink and link.linked_to.rsplit("/", 1)[1] == live_release("app1")
    response = http_get(host, "/static/hello.txt", "hello.example.test")
    assert response.status == 200
    assert response.body == host.file(link.linked_to + "/static/hello.txt").content_string


def test_cluster_app_port_is_reachable_from_the_web_host_only(host):
    url = "http://%s:%d/healthz" % (APP_HOSTS["app1"], PORT)
    assert host.check_output("curl -s -o /dev/null -w '%%{http_code}' --max-time 5 %s", url) == "200"
    # From another host of the network (app2 is not a web host): no connection.
    refused = app_host("app2").run("curl -s -o /dev/null --max-time 3 %s", url)
    assert refused.rc in (7, 28), refused  # 7: could not connect, 28: timed out (dropped)


def test_cluster_rolling_deploy_under_load_has_no_failed_request(host, ansible_vars, run_site):
    apps = copy.deepcopy(ansible_vars["flaskstack_apps"])
    apps[0]["version"] = "v2"
    result, took, stats = run_under_load(host, run_site, {"flaskstack_apps": apps})
    record_output("rolling-deploy", result)
    record_figure("rolling deploy v1 -> v2 over 3 app hosts (serial 1): %.1f s; load: %s" % (took, json.dumps(stats)))
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert stats["failed"] == 0, stats
    assert stats["requests"] >= 500, stats
    versions = {BODY_RE.match(b.strip()).group(1) for b in stats["bodies"]}
    assert versions == {"1", "2"}, stats["bodies"]
    # One host at a time: the play drained, switched and put back app1, then app2, then app3.
    order = [m.group(1) for m in re.finditer(r"Drain from the web hosts flaskstack-cluster-(app\d)\b", result.stdout)]
    assert order == ["app1", "app2", "app3"], order
    assert len({live_release(short) for short in APP_HOSTS}) == 1
    assert {v for v, _ in answers(host, 12)} == {"2"}


def test_cluster_broken_version_stops_after_the_first_host(host, ansible_vars, run_site):
    before = {short: live_release(short) for short in APP_HOSTS}
    apps = copy.deepcopy(ansible_vars["flaskstack_apps"])
    apps[0]["version"] = "v3"
    start_load(host, concurrency=20)
    try:
        result = run_site({"flaskstack_apps": apps}, limit=False)
    finally:
        stats = stop_load(host)
    assert result.returncode != 0
    assert "no_such_module" in (result.stdout + result.stderr), (result.stdout + result.stderr)[-5000:]
    assert "Drain from the web hosts flaskstack-cluster-app1" in result.stdout, result.stdout[-5000:]
    assert "Drain from the web hosts flaskstack-cluster-app2" not in result.stdout, "the roll went on after a failure"
    # app2 and app3 never started the deploy play: no task of it ran on them before the report.
    section = result.stdout.split("PLAY [Deploy the apps]", 1)[1].split("TASK [Report which release", 1)[0]
    assert "[flaskstack-cluster-app2" not in section and "[flaskstack-cluster-app3" not in section
    assert {short: live_release(short) for short in APP_HOSTS} == before
    assert stats["failed"] == 0, stats
    assert {BODY_RE.match(b.strip()).group(1) for b in stats["bodies"]} == {"2"}
    assert {short for _, short in answers(host, 30)} == set(APP_HOSTS)


def test_cluster_rollback_under_load_has_no_failed_request(host, run_site):
    """The rollback playbook as a rolling operation: each app host drained, rolled back, checked
    where it listens (TCP) and put back, one at a time, while 50 clients keep asking; the web host's
    static copy follows. Afterwards every host runs the release that was live before v2."""
    before = {short: live_release(short) for short in APP_HOSTS}
    assert len(set(before.values())) == 1, before
    releases = sorted(app_host("app1").file("/srv/flaskstack/hello/releases").listdir())
    result, took, stats = run_under_load(host, run_site, {}, playbook="flaskstack.deploy.rollback")
    record_output("rollback", result)
    record_figure("rollback v2 -> v1 over 3 app hosts (serial 1): %.1f s; load: %s" % (took, json.dumps(stats)))
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert stats["failed"] == 0, stats
    assert stats["requests"] >= 300, stats
    assert {BODY_RE.match(b.strip()).group(1) for b in stats["bodies"]} == {"1", "2"}, stats["bodies"]
    order = [m.group(1) for m in re.finditer(r"Drain from the web hosts flaskstack-cluster-(app\d)\b", result.stdout)]
    assert order == ["app1", "app2", "app3"], order
    after = {short: live_release(short) for short in APP_HOSTS}
    assert len(set(after.values())) == 1, after
    assert after["app1"] != before["app1"] and after["app1"] in releases, (before, after, releases)
    # The web host's code-only copy (its static files) is on the same release.
    assert host.file("/srv/flaskstack/hello/current").linked_to.rsplit("/", 1)[1] == after["app1"]
    assert {v for v, _ in answers(host, 12)} == {"1"}
    assert {short for _, short in answers(host, 30)} == set(APP_HOSTS)


def test_cluster_a_stopped_app_host_costs_no_failed_request(host):
    subprocess.run(["docker", "stop", "flaskstack-cluster-app3"], check=True, capture_output=True)
    try:
        host.run_test("truncate -s 0 /var/log/nginx/access.log")
        stats = json.loads(host.check_output(
            "flaskstack-loadgen --host-header hello.example.test --concurrency 20 --duration 15 --pause 0.02"))
        log = host.file("/var/log/nginx/access.log").content_string
        # A retried request lists two upstream times (urt=3.001, 0.002).
        retried = len(re.findall(r"urt=[0-9.]+, ", log))
        record_figure("app3 stopped: %s; requests retried on another host by nginx: %d" % (json.dumps(stats), retried))
        assert stats["failed"] == 0, stats
        assert stats["requests"] >= 200, stats
        assert {b.split(" on ")[-1] for b in stats["bodies"]} == {"app1", "app2"}
    finally:
        subprocess.run(["docker", "start", "flaskstack-cluster-app3"], check=True, capture_output=True)
    # Back without a manual step: nginx tries it again after fail_timeout.
    assert wait_until(lambda: "app3" in {short for _, short in answers(host, 6)}, 90, interval=2)
