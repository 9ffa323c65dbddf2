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


# Issue 13, point 3: the validator answers (never raises), and server_options may not rebind the server.

@pytest.mark.parametrize("csp", [None, 5, True, 1.5, [], ["default-src 'self'"], {"default-src": "'self'"}])
def test_csp_of_another_type_is_named_not_raised(csp):
    errors = apps.app_errors([dict(GOOD, csp=csp)])
    assert errors == ["flaskstack_apps[0] (app 'hello'): 'csp' must be a string"]


def test_csp_braces_and_quotes_still_refused():
    for csp in ("default-src {x}", 'default-src "self"'):
        assert errors_of(csp=csp) == [
            "flaskstack_apps[0] (app 'hello'): 'csp' must not contain braces or double quotes"]
    assert errors_of(csp="default-src 'self'") == []


HUGE = 10 ** 5000  # str() and repr() refuse it (more than 4300 digits)


@pytest.mark.parametrize(
    "changes,fragment",
    [
        ({"server": HUGE}, "'server' <int> is not supported"),
        ({"version": HUGE}, "'version' must be"),
        ({"version": [HUGE]}, "'version' must be"),
        ({"env": {HUGE: "x"}}, "'env' has an invalid variable name <int>"),
        ({"shared_dirs": [{"path": "up", "mode": HUGE}]}, "'shared_dirs[0]'.mode"),
        ({"hooks": {HUGE: [], 1: [], "x": []}}, "'hooks' has unknown stage(s) 'x', 1, <int>"),
        ({"server_options": {HUGE: 1}}, "'server_options' has a setting name that is not a string: <int>"),
    ],
)
def test_huge_ints_are_answered(changes, fragment):
    errors = apps.app_errors([dict(GOOD, **changes)])
    assert len(errors) == 1, errors
    assert errors[0].startswith("flaskstack_apps[0] (app 'hello'): ")
    assert fragment in errors[0]


def test_keys_of_mixed_types_are_answered():
    app = dict(GOOD)
    app.update({1: "x", None: "y", "zz": 1})
    errors = apps.app_errors([app])
    assert errors == ["flaskstack_apps[0] (app 'hello'): unknown key(s) 'zz', 1, None (known keys: %s)"
                      % ", ".join(apps.KNOWN_KEYS)]
    errors = errors_of(hooks={1: [], "before_switch": [], False: []})
    assert len(errors) == 1 and "'hooks' has unknown stage(s) 1, False" in errors[0]
    # env and secret_env sharing names that are not strings (YAML keys may be ints or booleans)
    errors = errors_of(env={False: "a", 1: "b", "A": "c"}, secret_env={False: "x", 1: "y", "A": "z"})
    assert "flaskstack_apps[0] (app 'hello'): A, 1, False set in both 'env' and 'secret_env'" in errors
    assert not any(secret in e for e in errors for secret in ("x", "y", "z"))


def test_other_keys_of_wrong_types_are_answered():
    for key in apps.KNOWN_KEYS:
        for value in (None, True, 0, 1.5, float("nan"), "", [None], [[]], {"x": None}, {1: {}}):
            errors = apps.app_errors([dict(GOOD, **{key: value})])
            assert all(isinstance(e, str) and e.startswith("flaskstack_apps[0]") for e in errors), (key, value)


def test_server_options_may_not_rebind_gunicorn():
    errors = apps.app_errors([dict(GOOD, name="shop", server_options={"bind": "0.0.0.0:80"})])
    assert errors == ["flaskstack_apps[0] (app 'shop'): 'server_options.bind' is set by the collection (the app "
                      "listens on its systemd socket; nginx is its only client): remove it"]
    for name in ("user", "group", "chdir", "daemon", "pidfile", "wsgi_app", "Bind", "BIND", "wsgi-app"):
        errors = errors_of(server_options={name: "x"})
        assert len(errors) == 1, (name, errors)
        assert errors[0].startswith("flaskstack_apps[0] (app 'hello'): 'server_options.%s'" % name)
        assert "is set by the collection" in errors[0]
    assert "(Gunicorn's bind) is set by the collection" in errors_of(server_options={"Bind": "x"})[0]
    errors = errors_of(server_options={" bind": "x"})
    assert errors[0].startswith("flaskstack_apps[0] (app 'hello'): 'server_options' setting ' bind' (Gunicorn's bind)")


def test_server_options_may_not_rebind_uwsgi():
    for name in ("socket", "http", "https", "http-socket", "http_socket", "HTTP-Socket", "uwsgi-socket",
                 "fastcgi-socket", "scgi-socket", "shared-socket", "http11-socket", "zerg", "stats", "uid", "gid",
                 "chdir", "daemonize", "chmod-socket", "chown-socket", "virtualenv", "module"):
        errors = errors_of(server="uwsgi", server_options={name: ":80"})
        assert len(errors) == 1, (name, errors)
        assert errors[0].startswith("flaskstack_apps[0] (app 'hello'): 'server_options.%s'" % name)
        assert "is set by the collection" in errors[0] and errors[0].endswith(": remove it")
    assert "(the unit runs the server as the app's own user and group)" in \
        errors_of(server="uwsgi", server_options={"uid": "root"})[0]
    # Each server's own names: bind is no uWSGI option, socket no Gunicorn setting.
    assert errors_of(server="uwsgi", server_options={"bind": "x"}) == []
    assert errors_of(server_options={"socket": "x"}) == []


def test_server_options_may_not_add_lines():
    # The names and uWSGI values are written as they are, one per line, into the server's config.
    assert "is not a Gunicorn setting name" in errors_of(server_options={"workers = 2\nbind": "x"})[0]
    assert "is not a Gunicorn setting name" in errors_of(server_options={"max-requests": 5})[0]
    assert "is not a Gunicorn setting name" in errors_of(server_options={"class": 5})[0]
    assert "is not a uWSGI option name" in errors_of(server="uwsgi", server_options={"a = b\nsocket": "x"})[0]
    errors = errors_of(server="uwsgi", server_options={"cheaper": "2\nhttp = :80"})
    assert errors == ["flaskstack_apps[0] (app 'hello'): 'server_options.cheaper' must not contain a line break "
                      "(each value is one line of uwsgi.ini)"]
    assert "line break" in errors_of(server="uwsgi", server_options={"route-run": ["log:x", "a\rb"]})[0]
    assert "a list of values" in errors_of(server="uwsgi", server_options={"cheaper": {"http": ":80"}})[0]


def test_server_options_names_are_strings():
    for server in ("gunicorn", "uwsgi", "apache"):
        errors = [e for e in errors_of(server=server, server_options={1: 2, None: 3}) if "'server_options'" in e]
        assert errors == ["flaskstack_apps[0] (app 'hello'): 'server_options' has a setting name that is not a "
                          "string: %s (names are such as workers)" % shown for shown in ("1", "None")]
    assert errors_of(server_options=["workers"]) == [
        "flaskstack_apps[0] (app 'hello'): 'server_options' must be a mapping of server settings"]


def test_server_options_of_tuning_pass():
    assert errors_of(server_options={"workers": 4, "timeout": 60, "max_requests": 1000, "max_requests_jitter": 50,
                                     "worker_tmp_dir": "/dev/shm", "reuse_port": True, "umask": 7,
                                     "worker_connections": 2000}) == []
    assert errors_of(server="uwsgi", server_options={"workers": 4, "max-requests": 1000, "max_requests": 1000,
                                                     "harakiri": 60, "cheaper": 2, "route-run": ["log:x", "last:"],
                                                     "enable-threads": True}) == []


def _django(**shared_mode):
    shared = [{"path": "staticfiles", **shared_mode}] if shared_mode else ["staticfiles"]
    return [{"name": "djsite", "archive": "/tmp/djsite.tar.gz", "entry": "djsite.wsgi:application",
             "shared_dirs": ["var"] + shared, "static": [{"url": "/static/", "path": "staticfiles"}],
             "hooks": {"before_switch": ["python manage.py collectstatic --noinput"]}}]


def test_static_path_in_a_shared_directory_gets_a_mode_nginx_can_read():
    # The natural Django description: static files collected into a shared directory.
    layout = apps.app_layout(_django(), base_dir="/srv/flaskstack", web_user="www-data")
    modes = {item["path"]: item["mode"] for item in layout[0]["shared_dirs"]}
    assert modes == {"var": "0750", "staticfiles": "0755"}


def test_static_path_in_a_shared_directory_with_a_closed_mode_is_refused():
    errors = apps.app_errors(_django(mode="0750"))
    assert len(errors) == 1 and "app 'djsite'" in errors[0] and "'static[0].path'" in errors[0], errors
    assert "'0755'" in errors[0]
    assert apps.app_errors(_django(mode="0755")) == []


def test_processes_and_timers_in_the_layout():
    app = dict(GOOD, processes={"worker": "rq worker", "beat": {"command": "celery beat", "stop_timeout": 60}},
               timers={"cleanup": {"command": "flask cleanup", "on_calendar": "daily"}})
    assert apps.app_errors([app]) == []
    layout = apps.app_layout([app], base_dir="/srv/flaskstack", web_user="www-data")[0]
    assert layout["processes"] == [
        {"name": "beat", "unit": "hello-beat", "command": "celery beat", "stop_timeout": 60},
        {"name": "worker", "unit": "hello-worker", "command": "rq worker", "stop_timeout": 30}]
    assert layout["timers"] == [{"name": "cleanup", "unit": "hello-cleanup", "command": "flask cleanup",
                                 "on_calendar": "daily", "timeout": 1800, "hosts": "all"}]
    assert layout["state"] == "present" and layout["purge"] is False


@pytest.mark.parametrize("changes, expected", [
    ({"processes": {"Worker!": "x"}}, "'processes' has an invalid name"),
    ({"processes": {"worker": {"command": "x", "stop_timeout": 0}}}, "'processes.worker'.stop_timeout"),
    ({"timers": {"t": {"command": "x"}}}, "'timers.t'.on_calendar"),
    ({"timers": {"t": {"command": "x", "on_calendar": "daily", "hosts": "some"}}}, "'timers.t'.hosts"),
    ({"state": "gone"}, "'state' must be present or absent"),
    ({"purge": "yes"}, "'purge' must be true or false"),
])
def test_bad_processes_timers_and_state(changes, expected):
    errors = errors_of(**changes)
    assert any(expected in e and "app 'hello'" in e for e in errors), errors


def test_nginx_site_links_and_retired_sites():
    items = apps.nginx_site_links(["000-default", "hello"], ["old"], "/etc/nginx/sites-available",
                                  "/etc/nginx/sites-enabled", "/etc/nginx/flaskstack-upstreams")
    assert items[1] == {"path": "/etc/nginx/sites-enabled/hello.conf", "src": "../sites-available/hello.conf",
                        "state": "link"}
    assert [i["path"] for i in items if i["state"] == "absent"] == [
        "/etc/nginx/sites-enabled/old.conf", "/etc/nginx/sites-available/old.conf", "/etc/nginx/flaskstack-upstreams/old.conf"]
