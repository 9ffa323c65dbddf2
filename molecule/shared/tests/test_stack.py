"""The deployed stack, as a user sees it: nginx in front, the app behind it, files and users."""

import json
import re

import pytest

from conftest import journal, main_pid, wait_until


def test_nginx_is_running_and_enabled(host):
    nginx = host.service("nginx")
    assert nginx.is_running
    assert nginx.is_enabled


@pytest.mark.parametrize("suffix", ["service", "socket"])
def test_app_units_are_active_and_enabled(host, app, suffix):
    unit = host.service("%s.%s" % (app["unit"], suffix))
    assert unit.is_running, journal(host, app["unit"])
    assert unit.is_enabled


def test_app_answers_through_nginx(get, app):
    response = get("/")
    assert response.status == 200, response
    # APP_NAME comes from the app's env: the environment file reached the app.
    assert response.body.startswith("Hello from %s " % app["env"]["APP_NAME"]), response


@pytest.mark.parametrize("index", [0, -1])
def test_each_domain_reaches_the_app(get, app, index):
    assert get("/", app["domains"][index]).status == 200


def test_every_app_answers_on_its_own_domain(ansible_vars, get):
    for described in ansible_vars["flaskstack_apps"]:
        name = (described.get("env") or {}).get("APP_NAME", described["name"])
        response = get("/", described["domains"][0])
        assert response.status == 200, response
        assert response.body.startswith("Hello from %s " % name), response


def test_unknown_host_name_is_refused(get):
    # The default server closes the connection without an answer (444).
    response = get("/", "unknown.example.test")
    assert response.status == 0, response


def test_debian_default_site_is_gone(host):
    assert not host.file("/etc/nginx/sites-enabled/default").exists


def test_static_file_is_served_with_cache_headers(host, get, app):
    static = app["static"][0]
    response = get(static["url"] + "/hello.txt")
    assert response.status == 200
    expected = host.file("%s/%s/hello.txt" % (app["src_dir"], static["path"])).content_string
    assert response.body == expected
    assert re.match(r"max-age=\d{6,}", response.headers.get("cache-control", "")), response.headers


def test_static_file_is_served_while_the_app_is_stopped(get, app, app_stopped):
    assert get("/").status == 502
    response = get(app["static"][0]["url"] + "/hello.txt")
    assert response.status == 200
    assert "served by nginx itself" in response.body


@pytest.mark.parametrize("path", ["/.git/config", "/.env", "/static/.hidden"])
def test_hidden_files_are_not_served(get, path):
    response = get(path)
    assert response.status == 403
    assert "<center>nginx</center>" in response.body, "the refusal must come from nginx: %r" % response


def test_app_sees_the_client_address_through_nginx(host, get, app):
    response = get("/whoami")
    assert response.status == 200
    seen = json.loads(response.body)
    assert seen["uid"] == host.user(app["user"]).uid
    assert seen["uid"] != 0
    if app["server"] == "uwsgi":
        # uwsgi_params hand nginx's $remote_addr to the app as REMOTE_ADDR.
        assert seen["remote_addr"] == "127.0.0.1"
    else:
        # proxy_pass over a unix socket: the client address arrives in X-Forwarded-For.
        assert seen["forwarded_for"] == "127.0.0.1"
        assert seen["scheme"] == "http"


def test_app_processes_run_as_the_app_user_never_root(host, app):
    pid = main_pid(host, app["unit"])
    assert pid > 0
    pids = [pid] + [int(p) for p in host.check_output("pgrep -P %s || true" % pid).split()]
    users = {host.check_output("ps -o user= -p %s" % p).strip() for p in pids}
    assert len(pids) >= 2, "expected a master and workers, got %s" % pids
    assert users == {app["user"]}


def test_app_user_is_a_system_user_without_login(host, app):
    user = host.user(app["user"])
    assert user.exists
    assert user.uid < 1000
    assert user.shell in ("/usr/sbin/nologin", "/sbin/nologin")
    assert user.group == app["user"]


@pytest.mark.parametrize(
    "key,owner,group,mode",
    [
        ("config_dir", "root", "APP", 0o750),
        ("env_file", "root", "APP", 0o640),
        ("server_config", "root", "APP", 0o640),
        ("release_dir", "root", "root", 0o755),
        ("shared_dir", "root", "root", 0o755),
    ],
)
def test_files_have_owner_and_mode(host, app, key, owner, group, mode):
    path = host.file(app[key])
    assert path.exists
    assert path.user == owner
    assert path.group == (app["user"] if group == "APP" else group)
    assert path.mode == mode


def test_live_release_is_a_link_to_a_release_of_root_owned_read_only_code(host, app):
    link = host.file(app["src_dir"])
    assert link.is_symlink
    assert re.match(r"^/srv/flaskstack/%s/releases/[0-9a-f]{12}-[0-9a-f]{6}$" % app["name"], link.linked_to)
    # Nothing in the release (its venv included) belongs to another user or is writable by one.
    strays = host.check_output('find %s/ \\( ! -user root -o \\( ! -type l -perm /022 \\) \\) -print | head -5' % link.linked_to)
    assert strays == ""
    assert host.file(link.linked_to + "/venv/bin/python").exists


def test_env_file_is_not_world_readable_and_holds_the_secret(host, app):
    env_file = host.file(app["env_file"])
    assert env_file.mode & 0o007 == 0
    for name in app.get("secret_env", {}):
        assert re.search(r"^%s=" % name, env_file.content_string, re.M)


def test_socket_belongs_to_nginx_group_only(host, app):
    sock = host.file(app["socket"])
    assert sock.is_socket
    assert (sock.user, sock.group, sock.mode) == ("root", "www-data", 0o660)


@pytest.mark.parametrize("user,allowed", [("www-data", True), ("nobody", False), ("APP", False)])
def test_only_nginx_can_connect_to_the_socket(host, app, user, allowed):
    user = app["user"] if user == "APP" else user
    probe = host.run(
        "runuser -u %s -- python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); s.connect('%s')\"",
        user, app["socket"],
    )
    if allowed:
        assert probe.rc == 0, probe.stderr
    else:
        assert probe.rc != 0 and "PermissionError" in probe.stderr, probe.stderr


def test_server_logs_reach_the_journal(host, app):
    marker = "uWSGI" if app["server"] == "uwsgi" else "Booting worker"
    assert marker in host.check_output("journalctl -u %s.service --no-pager -b", app["unit"])


def test_service_comes_back_after_kill_9(host, get, app):
    before = main_pid(host, app["unit"])
    host.run_test("kill -9 %s", str(before))
    assert wait_until(lambda: main_pid(host, app["unit"]) not in (0, before), 10), journal(host, app["unit"])
    assert wait_until(lambda: get("/").status == 200, 10), journal(host, app["unit"])


def test_unit_sandbox_exposure_is_at_most_2(host, app):
    out = host.check_output("systemd-analyze security --no-pager %s.service", app["unit"])
    exposure = float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", out).group(1))
    assert exposure <= 2.0, out


def test_no_compiler_on_the_app_host(host):
    # uWSGI comes as a binary wheel (pyuwsgi) and nothing else is built from source: no compiler
    # or build toolchain is installed on a production host.
    for tool in ("gcc", "cc", "c++", "make"):
        assert not host.exists(tool), "%s is installed on %s" % (tool, host.backend.get_hostname())
    assert not host.package("build-essential").is_installed
