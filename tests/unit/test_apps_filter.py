"""Unit tests of the app description filters (plugins/filter/apps.py); no host needed."""

import importlib.util
import pathlib

import pytest

spec = importlib.util.spec_from_file_location(
    "apps", pathlib.Path(__file__).resolve().parents[2] / "plugins" / "filter" / "apps.py"
)
apps = importlib.util.module_from_spec(spec)
spec.loader.exec_module(apps)

GOOD = {"name": "hello", "repo": "/srv/git/hello.git", "entry": "app:app"}


def errors_of(**changes):
    app = dict(GOOD, **changes)
    return apps.app_errors([{k: v for k, v in app.items() if v is not None}])


def test_minimal_app_is_valid():
    assert apps.app_errors([GOOD]) == []


@pytest.mark.parametrize("entry", ["app:app", "pkg.mod:application", "app:create_app()", "app:create_app('prod', debug=False)"])
def test_entry_points_accepted(entry):
    assert errors_of(entry=entry) == []


@pytest.mark.parametrize(
    "changes,fragment",
    [
        ({"entry": "app.app"}, "'entry'"),
        ({"entry": "app:"}, "'entry'"),
        ({"server": "apache"}, "'server' 'apache'"),
        ({"repo": None}, "exactly one source: 'repo'"),
        ({"name": "Hello"}, "'name' must match"),
        ({"name": "root"}, "reserved"),
        ({"domains": "example.com"}, "'domains'"),
        ({"env": {"1BAD": "x"}}, "invalid variable name"),
        ({"static": [{"url": "/s", "path": "../x"}]}, "'static[0]'.path"),
        ({"static": [{"url": "/", "path": "static"}]}, "'static[0]'.url"),
        ({"envs": {}}, "unknown key(s) 'envs'"),
    ],
)
def test_bad_input_is_named(changes, fragment):
    errors = errors_of(**changes)
    assert len(errors) == 1, errors
    assert fragment in errors[0]
    assert "flaskstack_apps[0]" in errors[0]


def test_duplicate_names_and_two_catch_all_apps():
    errors = apps.app_errors([GOOD, dict(GOOD)])
    assert any("already used by flaskstack_apps[0]" in e for e in errors)
    assert any("only one app per host may answer" in e for e in errors)


def test_secret_values_never_appear_in_errors():
    errors = errors_of(secret_env={"TOKEN": {"nested": "hunter2"}}, env={"TOKEN": "x"})
    assert errors
    assert not any("hunter2" in e for e in errors)


def test_layout_derives_paths_and_drops_secrets():
    layout = apps.app_layout([dict(GOOD, secret_env={"K": "v"}, static=[{"url": "/static", "path": "static/"}])],
                             base_dir="/srv/flaskstack", web_user="www-data")
    app = layout[0]
    assert app["src_dir"] == "/srv/flaskstack/hello/current"
    assert app["venv"] == "/srv/flaskstack/hello/current/venv"
    assert app["source"] == {"type": "git", "location": GOOD["repo"]}
    assert app["socket"] == "/run/flaskstack/hello.sock"
    assert app["static"] == [{"url": "/static/", "path": "/srv/flaskstack/hello/current/static/"}]
    assert "secret_env" not in app
    assert apps.nginx_sites(layout)[0]["upstream_servers"] == ["unix:/run/flaskstack/hello.sock"]


def test_layout_refuses_invalid_input():
    with pytest.raises(Exception, match="'entry'"):
        apps.app_layout([dict(GOOD, entry="nope")], base_dir="/srv", web_user="www-data")


def test_exactly_one_source():
    assert any("exactly one source" in e for e in errors_of(archive="app.tar.gz"))
    no_repo = dict(GOOD)
    del no_repo["repo"]
    assert any("exactly one source" in e for e in apps.app_errors([no_repo]))
    assert not apps.app_errors([dict(no_repo, directory="../myapp")])
    layout = apps.app_layout([dict(no_repo, archive="dist/app.tar.gz")], base_dir="/srv", web_user="www-data")
    assert layout[0]["source"] == {"type": "archive", "location": "dist/app.tar.gz"}


def test_release_keys_are_checked():
    assert any("'shared_dirs[0]'" in e for e in errors_of(shared_dirs=["../up"]))
    assert any("listed twice" in e for e in errors_of(shared_dirs=["instance", "instance/"]))
    assert any("mode" in e for e in errors_of(shared_dirs=[{"path": "static", "mode": "rwx"}]))
    assert any("unknown stage" in e for e in errors_of(hooks={"before_deploy": ["true"]}))
    assert any("'hooks.before_switch[0]'" in e for e in errors_of(hooks={"before_switch": [{"run": "x"}]}))
    assert any(".creates" in e for e in errors_of(hooks={"after_switch": [{"cmd": "x", "creates": "/abs"}]}))
    assert any("'health.status'" in e for e in errors_of(health={"status": "ok"}))
    assert any("'health.path'" in e for e in errors_of(health={"path": "healthz"}))
    assert any("'health' must be" in e for e in errors_of(health={"url": "/"}))


def test_layout_normalises_release_keys():
    app = apps.app_layout([dict(GOOD, shared_dirs=["instance/", {"path": "staticfiles", "mode": "0755"}],
                                hooks={"before_switch": ["flask db upgrade", {"cmd": "init", "creates": "done"}]},
                                health={"path": "/healthz"})],
                          base_dir="/srv/flaskstack", web_user="www-data")[0]
    assert app["shared_dirs"] == [{"path": "instance", "mode": "0750"}, {"path": "staticfiles", "mode": "0755"}]
    assert app["hooks"] == {"before_switch": [{"cmd": "flask db upgrade", "creates": ""},
                                              {"cmd": "init", "creates": "done"}], "after_switch": []}
    assert app["health"] == {"path": "/healthz", "status": 200, "timeout": 30}
    assert app["releases_dir"] == "/srv/flaskstack/hello/releases"
    assert app["shared_dir"] == "/srv/flaskstack/hello/shared"


def test_ports_default_per_app_and_must_be_unique():
    layout = apps.app_layout([GOOD, dict(GOOD, name="other", domains=["o.test"])], base_dir="/srv", web_user="www-data")
    assert [a["port"] for a in layout] == [8001, 8002]
    errors = apps.app_errors([dict(GOOD, port=9000), dict(GOOD, name="other", domains=["o.test"], port=9000)])
    assert any("'port' 9000 is already used" in e for e in errors)
    assert any("'port' must be" in e for e in errors_of(port=80))


def test_nginx_sites_over_tcp_with_a_drained_host():
    layout = apps.app_layout([GOOD], base_dir="/srv", web_user="www-data")
    sites = apps.nginx_sites(layout, backends=["10.0.0.1", "10.0.0.2"], down=["10.0.0.2"])
    assert sites[0]["upstream_servers"] == ["10.0.0.1:8001", "10.0.0.2:8001 down"]
