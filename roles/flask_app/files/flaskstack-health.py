#!/usr/bin/env python3
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).
# Installed by the flaskstack.deploy.flask_app role. Standard library only.
"""In-process check of a flaskstack release before it takes traffic.

Imports the app of a release the way its server will (module:callable or an app factory call)
and sends it one GET request in-process. Run by the flaskstack.deploy.switch module with the
release's own Python, as the app's user, with the app's environment. (The check of the live
server through its socket is the flaskstack.deploy.health module.)

Exit status 0 when the expected status came back; 1 otherwise, with the reason on stderr.
"""

import argparse
import importlib
import io
import os
import re
import sys

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
    path, dummy, query = args.path.partition("?")
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--entry", required=True, help="module:callable or module:factory(...)")
    parser.add_argument("--path", default="/")
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--host", default="localhost", help="Host header")
    args = parser.parse_args()
    try:
        status, body = wsgi_check(args)
    except BaseException as exc:  # pylint: disable=broad-except  # the app's own import or start-up error: report it
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


if __name__ == "__main__":
    sys.exit(main())
