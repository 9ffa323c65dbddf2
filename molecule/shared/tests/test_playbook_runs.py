"""Runs of the site playbook from the tests: bad input stops before any change, secrets stay secret.

They run on the first host of the `default` scenario only (each run takes a few seconds).
"""

import copy
import os
import uuid

import pytest

from conftest import main_pid, recap, wait_until

pytestmark = pytest.mark.skipif(
    os.environ.get("MOLECULE_SCENARIO_NAME") != "default", reason="playbook runs are tested in the default scenario"
)


@pytest.fixture(scope="module", autouse=True)
def first_host_only(host):
    if not host.backend.get_hostname().endswith("-bookworm"):
        pytest.skip("playbook runs are tested on the bookworm host only")


def _with(app, **changes):
    bad = copy.deepcopy(app)
    for key, value in changes.items():
        if value is None:
            bad.pop(key, None)
        else:
            bad[key] = value
    return bad


BAD_INPUTS = {
    "unknown server": (lambda a: [_with(a, server="apache")], ["app 'hello'", "'server'", "apache"]),
    "entry without colon": (lambda a: [_with(a, entry="app.app")], ["app 'hello'", "'entry'"]),
    "missing repo": (lambda a: [_with(a, repo=None)], ["app 'hello'", "exactly one source: 'repo'"]),
    "bad name": (lambda a: [_with(a, name="Hello-App")], ["flaskstack_apps[0]", "'name' must match"]),
    "duplicate names": (lambda a: [a, _with(a, domains=["other.example.test"])],
                        ["flaskstack_apps[1] (app 'hello')", "already used"]),
    "unknown key": (lambda a: [_with(a, envs={"X": "1"})], ["app 'hello'", "unknown key(s) 'envs'"]),
    "static path escaping the checkout": (lambda a: [_with(a, static=[{"url": "/s", "path": "../etc"}])],
                                          ["app 'hello'", "'static[0]'.path"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_stops_before_anything_changes(host, ansible_vars, run_site, case):
    make, expected = BAD_INPUTS[case]
    apps = make(ansible_vars["flaskstack_apps"][0])
    result = run_site({"flaskstack_apps": apps})
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Invalid flaskstack_apps, nothing was changed" in output
    for text in expected:
        assert text in output, output
    # The first play failed; no play that changes a host started.
    assert "PLAY [Put nginx in front of the apps]" not in output
    assert "PLAY [Deploy the apps]" not in output
    assert recap(output, host.backend.get_hostname())["changed"] == 0


def test_secret_env_appears_in_no_output_even_verbose_with_diff(host, ansible_vars, app, run_site, get):
    old_secret = app["secret_env"]["SECRET_KEY"]
    new_secret = "rotated-" + uuid.uuid4().hex
    apps = copy.deepcopy(ansible_vars["flaskstack_apps"])
    apps[0]["secret_env"]["SECRET_KEY"] = new_secret
    pid_before = main_pid(host, app["unit"])

    result = run_site({"flaskstack_apps": apps}, "-v", "--diff")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert recap(output, host.backend.get_hostname())["changed"] > 0
    assert new_secret not in output
    assert old_secret not in output

    # The new secret did reach the file and the restarted app.
    assert 'SECRET_KEY="%s"' % new_secret in host.file(app["env_file"]).content_string
    pid_after = main_pid(host, app["unit"])
    assert pid_after != pid_before
    environ = host.check_output("tr '\\0' '\\n' < /proc/%s/environ" % pid_after)
    assert "SECRET_KEY=%s" % new_secret in environ.splitlines()
    assert wait_until(lambda: get("/").status == 200, 10)


def test_bad_nginx_snippet_fails_with_nginx_error_and_nginx_keeps_serving(host, ansible_vars, app, run_site, get):
    site = "/etc/nginx/sites-available/%s.conf" % app["name"]
    before = host.file(site).sha256sum
    apps = copy.deepcopy(ansible_vars["flaskstack_apps"])
    apps[0]["nginx_snippet"] = "this_is_not_a_directive on;"
    result = run_site({"flaskstack_apps": apps})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    # nginx's own message, about the candidate file.
    assert "unknown directive" in output and "this_is_not_a_directive" in output, output[-3000:]
    assert host.file(site).sha256sum == before
    assert host.run("nginx -t -q").rc == 0
    assert get("/").status == 200


def test_maintenance_variable_switches_the_site_and_a_good_run_recovers(host, ansible_vars, app, run_site, get):
    apps = copy.deepcopy(ansible_vars["flaskstack_apps"])
    apps[0]["maintenance"] = True
    result = run_site({"flaskstack_apps": apps})
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    response = get("/")
    assert response.status == 503
    assert "Down for maintenance" in response.body
    assert get(app["static"][0]["url"] + "/hello.txt").status == 503

    result = run_site({"flaskstack_apps": ansible_vars["flaskstack_apps"]})
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert get("/").status == 200


def test_a_deploy_that_leaves_the_app_crashing_fails_and_a_good_run_recovers(host, ansible_vars, app, run_site, get):
    apps = copy.deepcopy(ansible_vars["flaskstack_apps"])
    apps[0]["entry"] = "app:no_such_app"
    result = run_site({"flaskstack_apps": apps})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    # Gunicorn preloads the app (the default): the restart itself fails; without preload the new
    # workers die after a reload and systemd's restarts are noticed.
    assert ("%s.service did not stay up" % app["unit"] in output
            or "Unable to restart service %s.service" % app["unit"] in output), output[-3000:]

    result = run_site({"flaskstack_apps": ansible_vars["flaskstack_apps"]})
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert get("/").status == 200
