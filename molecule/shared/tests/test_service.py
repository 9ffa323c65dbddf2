"""The app's service: sandbox, restarts and reloads under load, recovery."""

import errno
import json
from urllib.parse import quote

import pytest

from conftest import main_pid

REFUSED = (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT)


def probe(get, kind, path):
    """Ask the running app (sandbox probes of the sample app) to write or read a path."""
    response = get("/probe/%s?path=%s" % (kind, quote(path)))
    assert response.status == 200, response
    return json.loads(response.body)


def test_app_can_write_its_state_directory(host, get, app):
    path = "/var/lib/flaskstack/%s/probe.txt" % app["name"]
    result = probe(get, "write", path)
    assert result["ok"], result
    written = host.file(path)
    assert written.user == app["user"]
    assert written.content_string == "written by the app\n"


@pytest.mark.parametrize(
    "path",
    ["SRC/probe.txt", "/srv/flaskstack/probe.txt", "/etc/flaskstack/probe.txt", "/var/lib/probe.txt",
     "/usr/local/probe.txt", "/root/probe.txt", "/home/probe.txt"],
)
def test_app_cannot_write_anywhere_else(host, get, app, path):
    path = path.replace("SRC", app["src_dir"])
    result = probe(get, "write", path)
    assert not result["ok"], result
    assert result["errno"] in REFUSED, result
    assert not host.file(path).exists


def test_app_tmp_is_private(host, get):
    result = probe(get, "write", "/tmp/flaskstack-private-probe.txt")
    assert result["ok"], result
    assert not host.file("/tmp/flaskstack-private-probe.txt").exists


def test_app_cannot_read_another_apps_environment(ansible_vars, get):
    others = [a["name"] for a in ansible_vars["flaskstack_apps"][1:]]
    if not others:
        pytest.skip("this scenario deploys one app")
    result = probe(get, "read", "/etc/flaskstack/%s/env" % others[0])
    assert not result["ok"], result
    assert result["errno"] == errno.EACCES, result


def test_workers_keep_the_masters_objects_frozen(host, get, app):
    """The master imported the app and froze what it held (gc.freeze) before forking: the worker that
    answers, not the master, holds those objects in the collector's permanent generation, which its
    collections never write to (the pages stay shared with the master)."""
    response = get("/probe/gc")
    assert response.status == 200, response
    result = json.loads(response.body)
    assert result["pid"] != main_pid(host, app["unit"]), result
    # Flask and the app alone are tens of thousands of tracked objects; without the freeze this is 0.
    assert result["frozen"] > 10000, result


@pytest.mark.parametrize("action", ["reload", "restart"])
def test_no_request_fails_while_the_service_reloads_or_restarts(host, app, action):
    before = main_pid(host, app["unit"])
    out = host.check_output(
        "flaskstack-loadgen --host-header %s --concurrency 20 --duration 8 --at 2 --during %s",
        app["domains"][0], "systemctl %s %s.service" % (action, app["unit"]),
    )
    result = json.loads(out)
    assert result["command_rc"] == 0, result
    assert result["requests"] >= 200, result
    assert result["failed"] == 0, result
    if action == "restart":
        assert main_pid(host, app["unit"]) != before
