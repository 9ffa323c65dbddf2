# -*- coding: utf-8 -*-
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).
"""One GET request to a live app server through its socket: a unix socket path or host:port,
speaking HTTP (Gunicorn) or the uwsgi protocol (uWSGI)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import socket
import struct
import time


def uwsgi_packet(variables):
    body = b""
    for key, value in variables.items():
        k, v = key.encode("latin-1"), value.encode("latin-1")
        body += struct.pack("<H", len(k)) + k + struct.pack("<H", len(v)) + v
    return struct.pack("<BHB", 0, len(body), 0) + body


def request_bytes(protocol, path, host):
    bare, dummy, query = path.partition("?")
    if protocol == "uwsgi":
        return uwsgi_packet({
            "REQUEST_METHOD": "GET", "REQUEST_URI": path, "PATH_INFO": bare, "QUERY_STRING": query,
            "SERVER_PROTOCOL": "HTTP/1.0", "SERVER_NAME": host, "SERVER_PORT": "80",
            "HTTP_HOST": host, "REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "flaskstack-health",
        })
    return ("GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: flaskstack-health\r\nConnection: close\r\n\r\n"
            % (path, host)).encode("latin-1")


def parse_answer(answer):
    """(status, body) of an HTTP answer; raises ValueError when it is none."""
    head, dummy, body = answer.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    match = re.match(r"^HTTP/\d(\.\d)? (\d{3})", status_line)
    if not match:
        raise ValueError("no HTTP answer (got %r)" % status_line[:80])
    return int(match.group(2)), body


def connect(address, timeout):
    if address.startswith("/"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target = address
    else:
        host, dummy, port = address.rpartition(":")
        host = host.strip("[]")
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        target = (host, int(port))
    sock.settimeout(timeout)
    try:
        sock.connect(target)
    except Exception:
        sock.close()
        raise
    return sock


def ask(address, protocol, path, host, timeout=10.0):
    sock = connect(address, timeout)
    try:
        sock.sendall(request_bytes(protocol, path, host))
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    finally:
        sock.close()
    return parse_answer(b"".join(chunks))


def check(address, protocol, path, status, host, timeout, interval=0.5, clock=time.monotonic, sleep=time.sleep):
    """Ask until ``status`` comes back or ``timeout`` seconds passed. Returns (ok, message, attempts)."""
    deadline = clock() + timeout
    attempts = 0
    while True:
        attempts += 1
        try:
            got, body = ask(address, protocol, path, host, timeout=min(10.0, max(timeout, 1.0)))
            if got == status:
                return True, "GET %s answered %d through %s" % (path, got, address), attempts
            last = "GET %s answered %d, expected %d: %s" % (path, got, status, body[:300].decode("utf-8", "replace"))
        except (OSError, ValueError) as exc:
            last = "GET %s through %s failed: %s" % (path, address, exc)
        if clock() >= deadline:
            return False, "%s (gave up after %g s, %d attempts)" % (last, timeout, attempts), attempts
        sleep(interval)
