"""The flaskstack sample app: the seed documents' hello app, plus what the tests need."""

import os
import socket
import time

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

    @app.get("/visits")
    def visits():
        # Writes to Flask's instance folder: a shared directory that outlives releases.
        with _db(app) as conn:
            conn.execute("INSERT INTO visits (version) VALUES (?)", (VERSION,))
            count = conn.execute("SELECT COUNT(*) FROM visits").fetchone()[0]
        return jsonify(visits=count, version=VERSION)

    @app.cli.command("init-db")
    def init_db():
        """One-time initialisation (a hook guarded by `creates`): creates the database."""
        os.makedirs(app.instance_path, exist_ok=True)
        with _db(app):
            pass
        with open(os.path.join(app.instance_path, "init-runs.log"), "a") as log:
            log.write("init-db by version %s\n" % VERSION)
        open(os.path.join(app.instance_path, "initialized"), "w").close()

    _add_bench_routes(app)
    if os.environ.get("SAMPLE_APP_PROBES") == "1":
        _add_probes(app)
    return app


def _db(app):
    import sqlite3

    conn = sqlite3.connect(os.path.join(app.instance_path, "app.sqlite3"))
    conn.execute("CREATE TABLE IF NOT EXISTS visits (version TEXT)")
    return conn


def _add_bench_routes(app):
    """Routes `make bench` measures (scripts/bench/): the same work on every stack. The fourth path
    is the static file /static/blob-100k.bin (100 KiB of random bytes, so gzip plays no part)."""

    @app.get("/bench/text")
    def bench_text():
        # A tiny answer: measures the cost of the stack itself.
        return "Hello, World!\n", 200, {"Content-Type": "text/plain; charset=utf-8"}

    @app.get("/bench/json")
    def bench_json():
        # A list of 50 small objects built for every request (about 2.5 KB of JSON).
        items = [{"id": i, "name": "item-%d" % i, "value": (i * i) % 97, "even": i % 2 == 0} for i in range(50)]
        return jsonify(count=len(items), total=sum(item["value"] for item in items), items=items)

    @app.get("/bench/sleep")
    def bench_sleep():
        # 50 ms of simulated IO (a database or an API call): throughput follows the request slots.
        time.sleep(0.05)
        return "slept 50 ms\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


def _add_probes(app):
    """Sandbox probes for the tests only (enabled by SAMPLE_APP_PROBES=1): try to write or read a path
    from inside the running service and report what the kernel said."""
    from flask import request

    @app.get("/probe/write")
    def probe_write():
        path = request.args["path"]
        try:
            with open(path, "w") as handle:
                handle.write("written by the app\n")
            return jsonify(ok=True, path=path)
        except OSError as exc:
            return jsonify(ok=False, path=path, errno=exc.errno, error=str(exc))

    @app.get("/probe/gc")
    def probe_gc():
        # How many objects this worker holds in the collector's permanent generation (gc.freeze).
        import gc

        return jsonify(pid=os.getpid(), frozen=gc.get_freeze_count())

    @app.get("/probe/read")
    def probe_read():
        path = request.args["path"]
        try:
            with open(path) as handle:
                handle.read()
            return jsonify(ok=True, path=path)
        except OSError as exc:
            return jsonify(ok=False, path=path, errno=exc.errno, error=str(exc))


app = create_app()


def _jobs_dir():
    """A small queue on disk for the worker process (worker.py): in the app's state directory."""
    return os.path.join(os.environ.get("STATE_DIRECTORY", "/tmp"), "jobs")


def _add_job_routes(app):
    import json
    import uuid

    from flask import request

    @app.post("/jobs")
    def enqueue():
        # A job for the worker: square n. The answer appears under /jobs/<id> once it ran.
        job = uuid.uuid4().hex
        pending = os.path.join(_jobs_dir(), "pending")
        os.makedirs(pending, exist_ok=True)
        with open(os.path.join(pending, job + ".tmp"), "w") as handle:
            json.dump({"n": int(request.args.get("n", "2"))}, handle)
        os.rename(os.path.join(pending, job + ".tmp"), os.path.join(pending, job + ".json"))
        return jsonify(id=job), 202

    @app.get("/jobs/<job>")
    def result(job):
        path = os.path.join(_jobs_dir(), "done", os.path.basename(job) + ".json")
        if not os.path.exists(path):
            return jsonify(id=job, state="pending"), 404
        with open(path) as handle:
            return jsonify(json.load(handle))


_add_job_routes(app)
