"""plugins/module_utils/health.py against real servers in threads: HTTP and the uwsgi protocol, on a
unix socket and on 127.0.0.1:port."""

import shutil
import socket
import socketserver
import struct
import tempfile
import threading
import time

import pytest

from ansible_collections.flaskstack.deploy.plugins.module_utils import health


def read_http_request(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def read_exact(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError("short uwsgi packet")
        data += chunk
    return data


def parse_uwsgi(sock):
    """(modifier1, modifier2, variables) of one uwsgi request packet."""
    modifier1, size, modifier2 = struct.unpack("<BHB", read_exact(sock, 4))
    body = read_exact(sock, size)
    variables, pos = {}, 0
    while pos < len(body):
        (klen,) = struct.unpack("<H", body[pos:pos + 2])
        key = body[pos + 2:pos + 2 + klen].decode("latin-1")
        pos += 2 + klen
        (vlen,) = struct.unpack("<H", body[pos:pos + 2])
        variables[key] = body[pos + 2:pos + 2 + vlen].decode("latin-1")
        pos += 2 + vlen
    return modifier1, modifier2, variables


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        server = self.server
        if server.protocol == "uwsgi":
            server.requests.append(parse_uwsgi(self.request))
        else:
            server.requests.append(read_http_request(self.request))
        answer = server.answers.pop(0) if len(server.answers) > 1 else server.answers[0]
        if isinstance(answer, int):
            body = b"all good" if answer < 400 else b"database is down"
            answer = b"HTTP/1.1 %d Whatever\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (
                answer, len(body), body)
        self.request.sendall(answer)


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def sockdir():
    # a short path: AF_UNIX paths are limited to 107 bytes, pytest's tmp_path can be longer
    path = tempfile.mkdtemp(prefix="fs-", dir="/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def serve():
    """serve(kind, protocol, answers) -> (address, server); answers: statuses or raw bytes, the last repeated."""
    servers = []

    def start(kind, protocol="http", answers=(200,), where=None, delay=0.0):
        def make():
            if kind == "unix":
                server = UnixServer(where, Handler)
            else:
                server = TCPServer(("127.0.0.1", 0), Handler)
            server.protocol, server.answers, server.requests = protocol, list(answers), []
            servers.append(server)
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
            return server

        if delay:
            threading.Timer(delay, make).start()
            return where, None
        server = make()
        address = where if kind == "unix" else "127.0.0.1:%d" % server.server_address[1]
        return address, server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_http_200_over_unix_socket(serve, sockdir):
    address, server = serve("unix", where=sockdir + "/app.sock")
    ok, message, attempts = health.check(address, "http", "/health?deep=1", 200, "app.example.com", 1)
    assert (ok, attempts) == (True, 1)
    assert message == "GET /health?deep=1 answered 200 through %s" % address
    request = server.requests[0].decode("latin-1")
    assert request.startswith("GET /health?deep=1 HTTP/1.0\r\n")
    assert "\r\nHost: app.example.com\r\n" in request


def test_http_500_is_not_ok_and_retried_until_the_timeout(serve, sockdir):
    address, server = serve("unix", answers=(500,), where=sockdir + "/app.sock")
    start = time.monotonic()
    ok, message, attempts = health.check(address, "http", "/", 200, "localhost", 0.6, interval=0.1)
    elapsed = time.monotonic() - start
    assert ok is False
    assert "GET / answered 500, expected 200: database is down" in message
    assert "gave up after 0.6 s, %d attempts" % attempts in message
    assert 0.6 <= elapsed < 2.5
    assert attempts >= 4 and len(server.requests) == attempts


def test_other_expected_status(serve, sockdir):
    address, dummy = serve("unix", answers=(404,), where=sockdir + "/app.sock")
    ok, message, dummy = health.check(address, "http", "/missing", 404, "localhost", 1)
    assert ok and "answered 404" in message


def test_retries_until_the_status_comes_back(serve, sockdir):
    address, server = serve("unix", answers=(503, 500, 200), where=sockdir + "/app.sock")
    ok, message, attempts = health.check(address, "http", "/", 200, "localhost", 5, interval=0.05)
    assert ok and attempts == 3 and len(server.requests) == 3
    assert "answered 200" in message


def test_retries_until_the_socket_appears(serve, sockdir):
    address, dummy = serve("unix", where=sockdir + "/late.sock", delay=0.3)
    ok, message, attempts = health.check(address, "http", "/", 200, "localhost", 5, interval=0.1)
    assert ok, message
    assert attempts >= 2


def test_nothing_listening(sockdir):
    address = sockdir + "/none.sock"
    ok, message, attempts = health.check(address, "http", "/", 200, "localhost", 0.3, interval=0.1)
    assert not ok and attempts >= 2
    assert message.startswith("GET / through %s failed:" % address)
    assert "No such file or directory" in message


def test_an_answer_that_is_not_http(serve, sockdir):
    address, dummy = serve("unix", answers=(b"SSH-2.0-OpenSSH\r\n",), where=sockdir + "/app.sock")
    ok, message, dummy = health.check(address, "http", "/", 200, "localhost", 0.2, interval=0.1)
    assert not ok and "no HTTP answer" in message and "SSH-2.0" in message


def test_an_empty_answer(serve, sockdir):
    address, dummy = serve("unix", answers=(b"",), where=sockdir + "/app.sock")
    ok, message, dummy = health.check(address, "http", "/", 200, "localhost", 0.2, interval=0.1)
    assert not ok and "no HTTP answer" in message


def test_uwsgi_over_unix_socket(serve, sockdir):
    address, server = serve("unix", protocol="uwsgi", answers=(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nok",),
                            where=sockdir + "/app.sock")
    ok, message, attempts = health.check(address, "uwsgi", "/health?x=1", 200, "app.example.com", 1)
    assert ok and attempts == 1, message
    modifier1, modifier2, variables = server.requests[0]
    assert (modifier1, modifier2) == (0, 0)
    assert variables["PATH_INFO"] == "/health"
    assert variables["QUERY_STRING"] == "x=1"
    assert variables["REQUEST_URI"] == "/health?x=1"
    assert variables["HTTP_HOST"] == "app.example.com"
    assert variables["SERVER_NAME"] == "app.example.com"
    assert variables["REQUEST_METHOD"] == "GET"


def test_uwsgi_500(serve, sockdir):
    address, dummy = serve("unix", protocol="uwsgi", answers=(500,), where=sockdir + "/app.sock")
    ok, message, dummy = health.check(address, "uwsgi", "/", 200, "localhost", 0.3, interval=0.1)
    assert not ok and "answered 500, expected 200" in message


def test_http_over_tcp(serve):
    address, server = serve("tcp")
    assert address.startswith("127.0.0.1:")
    ok, message, attempts = health.check(address, "http", "/", 200, "localhost", 1)
    assert ok and attempts == 1 and message.endswith("through %s" % address)
    assert server.requests[0].startswith(b"GET / HTTP/1.0\r\n")


def test_uwsgi_over_tcp(serve):
    address, server = serve("tcp", protocol="uwsgi", answers=(200,))
    ok, dummy, dummy_attempts = health.check(address, "uwsgi", "/ping", 200, "h", 1)
    assert ok and server.requests[0][2]["PATH_INFO"] == "/ping"


def test_tcp_connection_refused():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    ok, message, dummy = health.check("127.0.0.1:%d" % port, "http", "/", 200, "localhost", 0.2, interval=0.1)
    assert not ok and "refused" in message.lower()


def test_a_server_that_accepts_and_never_answers(sockdir):
    address = sockdir + "/hang.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(8)  # the kernel accepts; nobody ever reads or answers
    try:
        start = time.monotonic()
        ok, message, attempts = health.check(address, "http", "/", 200, "localhost", 1, interval=0.1)
        elapsed = time.monotonic() - start
    finally:
        listener.close()
    assert not ok and attempts == 1 and "timed out" in message
    assert elapsed < 2.5


def test_http_over_ipv6_loopback():
    class V6Server(TCPServer):
        address_family = socket.AF_INET6

    try:
        server = V6Server(("::1", 0), Handler)
    except OSError as exc:
        pytest.skip("no IPv6 loopback: %s" % exc)
    server.protocol, server.answers, server.requests = "http", [200], []
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        ok, message, dummy = health.check("[::1]:%d" % server.server_address[1], "http", "/", 200, "localhost", 1)
    finally:
        server.shutdown()
        server.server_close()
    assert ok, message


def test_attempts_follow_the_clock_without_sleeping(sockdir):
    now = [100.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    ok, message, attempts = health.check(sockdir + "/none.sock", "http", "/", 200, "localhost", 2, interval=0.5,
                                         clock=lambda: now[0], sleep=sleep)
    assert not ok
    assert attempts == 5 and sleeps == [0.5] * 4  # at 0, 0.5, 1, 1.5 and 2 s
    assert "gave up after 2 s, 5 attempts" in message


def test_parse_answer():
    assert health.parse_answer(b"HTTP/1.0 404 Not Found\r\nX: y\r\n\r\nnope") == (404, b"nope")
    assert health.parse_answer(b"HTTP/2 204\r\n\r\n") == (204, b"")
    with pytest.raises(ValueError):
        health.parse_answer(b"<html>")


def test_uwsgi_packet_layout():
    packet = health.uwsgi_packet({"A": "bc"})
    assert packet == b"\x00\x07\x00\x00" + b"\x01\x00A\x02\x00bc"
