#!/usr/bin/env python3
"""A small bounded load generator for the tests: N clients GET a URL for D seconds.

Stops early when --stop-file appears (a test starts it in the background, runs a deploy, then
creates the file). Optionally runs a command (--during, e.g. `systemctl restart hello`) after --at seconds, while the
clients keep going. Prints one JSON object: requests, failures (by reason), statuses, the command's
exit code, and the bodies seen (distinct first lines, capped).
"""

import argparse
import http.client
import json
import os
import subprocess
import threading
import time
from collections import Counter


# A kept-alive connection the server closed just as a request went out (nginx closes idle
# connections when it reloads): like browsers and urllib3, a client sends an idempotent GET again,
# once, on a new connection (RFC 9112, 9.3.1). Counted apart; any other error is a failure.
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def get_once(args, conn):
    if conn is None:
        conn = http.client.HTTPConnection(args.host, args.port, timeout=args.timeout,
                                          source_address=(args.source, 0) if args.source else None)
    conn.request("GET", args.path, headers={"Host": args.host_header})
    response = conn.getresponse()
    body = response.read()
    if response.getheader("Connection", "").lower() == "close":
        conn.close()
        conn = None
    return conn, response.status, body


def client(args, deadline, results, lock):
    conn = None
    while time.monotonic() < deadline and not (args.stop_file and os.path.exists(args.stop_file)):
        reason = None
        stale = False
        try:
            try:
                conn, status, body = get_once(args, conn)
            except STALE:
                if conn is None:
                    raise
                conn.close()
                stale = True
                conn, status, body = get_once(args, None)
            if status != 200:
                reason = "status %d" % status
        except Exception as exc:  # every failure counts, whatever its kind
            status, body, reason = 0, b"", type(exc).__name__
            if conn is not None:
                conn.close()
            conn = None
        with lock:
            results["requests"] += 1
            results["stale_connection_retries"] += stale
            results["statuses"][status] += 1
            if reason:
                results["failures"][reason] += 1
            first = body.split(b"\n", 1)[0].decode("utf-8", "replace")[:120]
            if len(results["bodies"]) < 20 or first in results["bodies"]:
                results["bodies"][first] += 1
        if args.pause:
            time.sleep(args.pause)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--path", default="/")
    parser.add_argument("--host-header", required=True)
    parser.add_argument("--source", default="", help="source address, e.g. 127.0.0.2")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--during", default="")
    parser.add_argument("--at", type=float, default=2.0)
    parser.add_argument("--stop-file", default="", help="stop when this file exists")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds each client waits between requests (bounds the load on a small machine)")
    args = parser.parse_args()

    results = {"requests": 0, "stale_connection_retries": 0, "failures": Counter(), "statuses": Counter(), "bodies": Counter()}
    lock = threading.Lock()
    start = time.monotonic()
    deadline = start + args.duration
    threads = [threading.Thread(target=client, args=(args, deadline, results, lock)) for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    command_rc = None
    if args.during:
        time.sleep(args.at)
        command_rc = subprocess.run(args.during, shell=True, check=False).returncode
    for thread in threads:
        thread.join()
    results["seconds"] = round(time.monotonic() - start, 2)
    results["command_rc"] = command_rc
    results["failed"] = sum(results["failures"].values())
    print(json.dumps(results))


if __name__ == "__main__":
    main()
