"""The health module: main() against a real HTTP server on a unix socket (in a thread)."""

import shutil
import socketserver
import tempfile
import threading

import pytest

from ansible_collections.flaskstack.deploy.plugins.modules import health as health_module


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk:
                break
            data += chunk
        self.server.requests.append(data)
        status = self.server.status
        body = b"fine" if status == 200 else b"broken"
        self.request.sendall(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%s" % (status, len(body), body))


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def server():
    where = tempfile.mkdtemp(prefix="fs-", dir="/tmp")  # short: AF_UNIX paths are limited
    srv = Server(where + "/app.sock", Handler)
    srv.status, srv.requests = 200, []
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()
    shutil.rmtree(where, ignore_errors=True)


@pytest.fixture
def run(run_module):
    return lambda check_mode=False, **args: run_module(health_module.main, args, check_mode=check_mode)


def test_ok(run, server):
    result = run(address=server.server_address, path="/health", host="app.example.com", timeout=1)
    assert result == {**result, "changed": False, "attempts": 1,
                      "status": "GET /health answered 200 through %s" % server.server_address}
    assert "failed" not in result
    assert b"Host: app.example.com\r\n" in server.requests[0]


def test_not_ok_fails_with_the_answer(run, server):
    server.status = 503
    result = run(address=server.server_address, timeout=0.6)
    assert result["failed"] is True and not result.get("changed")
    assert result["msg"].startswith("GET / answered 503, expected 200: broken (gave up after 0.6 s, ")
    assert result["status"] == result["msg"] and result["attempts"] >= 2


def test_expected_status(run, server):
    server.status = 503
    result = run(address=server.server_address, status=503, timeout=1)
    assert "failed" not in result and result["attempts"] == 1


def test_check_mode_asks_nothing_unless_told(run, server):
    result = run(address=server.server_address, check_mode=True)
    assert result["skipped"] is True and result["attempts"] == 0 and server.requests == []
    result = run(address=server.server_address, check_mode=True, skip_in_check_mode=False, timeout=1)
    assert result["attempts"] == 1 and len(server.requests) == 1
