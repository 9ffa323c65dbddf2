#!/usr/bin/env python3
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).
# Installed by the flaskstack.deploy.flask_app role. Standard library only.
"""Health check of a flaskstack app, in one of two ways.

``wsgi``: import the app of a release the way its server will (module:callable or an app factory
call) and send it one GET request in-process. Run with the release's own Python, as the app's
user, with the app's environment: the release answers before it takes any traffic.

``socket``: send one GET request to the live server through its socket (a unix socket path or
host:port), speaking HTTP (Gunicorn) or the uwsgi protocol (uWSGI), retrying until the expected
status comes back or the timeout is reached.

Exit status 0 when the expected status came back; 1 otherwise, with the reason on stderr.
"""

import argparse
import importlib
import io
import os
import re
import socket
import struct
import sys
import time

ENTRY_RE = re.compile(r"^([A-Za-z_][\w.]*):([A-Za-z_]\w*)(\((.*)\))?$", re.S)


def load_app(entry):
    match = ENTRY_RE.match(entry)
    if not match:
        raise SystemExit("flaskstack-health: bad entry %r" % entry)
    module_name, attr, call, args = match.group(1), match.group(2), match.group(3), match.group(4)
    module = importlib.import_module(module_name)
    obj = getattr(module, attr)
    if call:
        # The same expression the server evaluates: module:create_app('x', debug=False)
        obj = eval("__f(%s)" % args, {"__f": obj})  # noqa: S307 - the operator's own entry point
    return obj


def wsgi_check(args):
    sys.path.insert(0, os.getcwd())
    app = load_app(args.entry)
    path, _, query = args.path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": args.host,
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": args.host,
        "HTTP_USER_AGENT": "flaskstack-health",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = status
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return int(seen["status"].split()[0]), body


def _recv_all(sock):
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def _uwsgi_packet(variables):
    body = b""
    for key, value in variables.items():
        k, v = key.encode(), value.encode()
        body += struct.pack("<H", len(k)) + k + struct.pack("<H", len(v)) + v
    return struct.pack("<BHB", 0, len(body), 0) + body


def socket_check(args):
    if args.address.startswith("/"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target = args.address
    else:
        host, _, port = args.address.rpartition(":")
        sock = socket.socket(socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET, socket.SOCK_STREAM)
        target = (host.strip("[]"), int(port))
    sock.settimeout(10)
    try:
        sock.connect(target)
        path, _, query = args.path.partition("?")
        if args.protocol == "uwsgi":
            sock.sendall(_uwsgi_packet({
                "REQUEST_METHOD": "GET", "REQUEST_URI": args.path, "PATH_INFO": path, "QUERY_STRING": query,
                "SERVER_PROTOCOL": "HTTP/1.0", "SERVER_NAME": args.host, "SERVER_PORT": "80",
                "HTTP_HOST": args.host, "REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "flaskstack-health",
            }))
        else:
            sock.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: flaskstack-health\r\n"
                          "Connection: close\r\n\r\n" % (args.path, args.host)).encode())
        answer = _recv_all(sock)
    finally:
        sock.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    match = re.match(r"^HTTP/\d(\.\d)? (\d{3})", status_line)
    if not match:
        raise OSError("no HTTP answer (got %r)" % status_line[:80])
    return int(match.group(2)), body


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["wsgi", "socket"])
    parser.add_argument("--entry", help="wsgi: module:callable or module:factory(...)")
    parser.add_argument("--address", help="socket: unix socket path or host:port")
    parser.add_argument("--protocol", choices=["http", "uwsgi"], default="http")
    parser.add_argument("--path", default="/")
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--host", default="localhost", help="Host header")
    parser.add_argument("--timeout", type=float, default=30.0, help="socket: seconds to keep trying")
    args = parser.parse_args()

    if args.mode == "wsgi":
        try:
            status, body = wsgi_check(args)
        except BaseException as exc:  # the app's own import or start-up error: report it
            import traceback

            traceback.print_exc()
            sys.stderr.write("the app did not load: %s: %s\n" % (type(exc).__name__, exc))
            return 1
        if status != args.status:
            sys.stderr.write("GET %s answered %d, expected %d: %s\n"
                             % (args.path, status, args.status, body[:300].decode("utf-8", "replace")))
            return 1
        print("GET %s answered %d (in-process check)" % (args.path, status))
        return 0

    deadline = time.monotonic() + args.timeout
    last = "no attempt"
    while True:
        try:
            status, body = socket_check(args)
            if status == args.status:
                print("GET %s answered %d through %s" % (args.path, status, args.address))
                return 0
            last = "GET %s answered %d, expected %d: %s" % (
                args.path, status, args.status, body[:300].decode("utf-8", "replace"))
        except OSError as exc:
            last = "GET %s through %s failed: %s" % (args.path, args.address, exc)
        if time.monotonic() >= deadline:
            sys.stderr.write(last + " (gave up after %g s)\n" % args.timeout)
            return 1
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
