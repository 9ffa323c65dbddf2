"""A pyproject.toml app with an app factory: `pyapp:create_app('pyproject')`."""

from flask import Flask


def create_app(kind):
    app = Flask(__name__)

    @app.get("/")
    def index():
        return "Hello from the %s app\n" % kind

    return app
