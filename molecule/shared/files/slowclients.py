#!/usr/bin/env python3
"""Slow clients: N connections that send request headers slowly and never finish them, for D
seconds, while one normal client keeps requesting the same site. Prints JSON: how many slow
connections were open, and the normal client's requests, failures and slowest answer."""

import argparse
import http.client
import json
import socket
import threading
import time


def slow(args, deadline, opened, lock):
    try:
        sock = socket.create_connection((args.host, args.port), timeout=5, source_address=(args.source, 0))
        sock.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n" % args.host_header.encode())
        with lock:
            opened[0] += 1
        n = 0
        while time.monotonic() < deadline:
            time.sleep(1)
            sock.sendall(b"X-Slow-%d: %d\r\n" % (n, n))
            n += 1
        sock.close()
    except OSError:
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--host-header", required=True)
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--source", default="127.0.0.4")
    args = parser.parse_args()

    deadline = time.monotonic() + args.duration
    opened, lock = [0], threading.Lock()
    threads = [threading.Thread(target=slow, args=(args, deadline, opened, lock)) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    requests, failures, slowest = 0, 0, 0.0
    while time.monotonic() < deadline - 0.5:
        start = time.monotonic()
        try:
            conn = http.client.HTTPConnection(args.host, args.port, timeout=5)
            conn.request("GET", "/", headers={"Host": args.host_header})
            if conn.getresponse().status != 200:
                failures += 1
            conn.close()
        except OSError:
            failures += 1
        requests += 1
        slowest = max(slowest, time.monotonic() - start)
        time.sleep(0.05)
    open_during = opened[0]
    for thread in threads:
        thread.join()
    print(json.dumps({"slow_connections": open_during, "requests": requests, "failures": failures,
                      "slowest_seconds": round(slowest, 3)}))


if __name__ == "__main__":
    main()
