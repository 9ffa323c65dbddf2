"""The status module against a release tree in a temporary directory, fake systemctl answers and a
real HTTP server on a unix socket."""

import json
import os
import shutil
import socketserver
import tempfile
import threading

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.flaskstack.deploy.plugins.modules import status as status_module


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.recv(4096)
        self.server.asked += 1
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def server():
    where = tempfile.mkdtemp(prefix="fs-", dir="/tmp")
    srv = Server(where + "/app.sock", Handler)
    srv.asked = 0
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()
    shutil.rmtree(where, ignore_errors=True)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "hello"
    for release in ("aaa-1", "bbb-1"):
        (root / "releases" / release).mkdir(parents=True)
        (root / "releases" / release / ".flaskstack-release").write_text(json.dumps(
            {"release": release, "source": "/srv/git/sample.git main (%s)" % release, "commit": release * 3,
             "version": "main"}))
    (root / "releases" / ".history").write_text("aaa-1\nbbb-1\n")
    os.symlink(str(root / "releases" / "bbb-1"), str(root / "current"))
    return root


@pytest.fixture
def units(monkeypatch):
    states = {"hello.service": "active/running", "hello.socket": "active/listening"}

    def run_command(self, args, **kwargs):
        assert args[:2] == ["systemctl", "show"]
        active, sub = states[args[-1]].split("/")
        return 0, "ActiveState=%s\nSubState=%s\nLoadState=loaded\n" % (active, sub), ""

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    return states


def run(run_module, tree, address):
    app = {"name": "hello", "root": str(tree), "units": ["hello.service", "hello.socket"], "address": address}
    return run_module(status_module.main, {"apps": [app], "timeout": 1})


def test_healthy_app(run_module, tree, units, server):
    result = run(run_module, tree, server.server_address)
    entry = result["apps"][0]
    assert result["changed"] is False and result["unhealthy"] == []
    assert entry["live_release"] == "bbb-1" and entry["previous"] == "aaa-1"
    assert entry["commit"] == "bbb-1" * 3 and entry["version"] == "main"
    assert entry["units"] == {"hello.service": "active/running", "hello.socket": "active/listening"}
    assert entry["health"].startswith("GET / answered 200") and entry["healthy"] is True
    assert entry["live_since"].endswith("Z")


def test_stopped_service_is_unhealthy_and_its_socket_is_not_asked(run_module, tree, units, server):
    units["hello.service"] = "inactive/dead"
    result = run(run_module, tree, server.server_address)
    assert result["unhealthy"] == ["hello"] and server.asked == 0
    assert "not asked" in result["apps"][0]["health"]


def test_failing_health_check_is_unhealthy(run_module, tree, units):
    result = run(run_module, tree, "/nonexistent/socket.sock")
    assert result["unhealthy"] == ["hello"] and "failed" in result["apps"][0]["health"]


def test_after_a_rollback_the_previous_release_is_live(run_module, tree, units, server):
    os.unlink(str(tree / "current"))
    os.symlink(str(tree / "releases" / "aaa-1"), str(tree / "current"))
    (tree / "releases" / ".history").write_text("aaa-1\n")
    entry = run(run_module, tree, server.server_address)["apps"][0]
    assert entry["live_release"] == "aaa-1" and entry["previous"] == ""
