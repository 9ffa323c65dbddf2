"""The flaskstack sample app: the seed documents' hello app, plus what the tests need."""

import os
import socket

from flask import Flask, jsonify

VERSION = "1"


def create_app(name=None):
    """App factory: `app:create_app()` (uWSGI scenario) or `app:app` (Gunicorn scenario)."""
    app = Flask(__name__)
    app_name = name or os.environ.get("APP_NAME", "flask")

    @app.get("/")
    def index():
        return "Hello from %s (version %s) on %s\n" % (app_name, VERSION, socket.gethostname())

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", version=VERSION)

    @app.get("/whoami")
    def whoami():
        # What the app sees of the request and of its own process: used by the tests.
        from flask import request

        return jsonify(
            uid=os.getuid(),
            remote_addr=request.remote_addr,
            scheme=request.scheme,
            forwarded_for=request.headers.get("X-Forwarded-For"),
        )

    return app


app = create_app()
