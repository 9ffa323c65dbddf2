"""nginx in front: headers, limits, access rules, maintenance, the generated configuration."""

import json

import pytest

from conftest import wait_until

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "strict-origin-when-cross-origin",
}


@pytest.mark.parametrize("path", ["/", "/static/hello.txt", "/no-such-page", "/.env"])
def test_security_headers_on_every_answer(get, path):
    response = get(path)
    assert response.status in (200, 403, 404), response
    for header, value in HEADERS.items():
        assert response.headers.get(header) == value, (path, response.headers)


def test_server_version_is_not_disclosed(get):
    assert get("/").headers["server"] == "nginx"


def test_static_file_has_its_mime_type(get, app):
    assert get(app["static"][0]["url"] + "/style.css").headers["content-type"] == "text/css"


def test_burst_beyond_the_rate_limit_gets_429(host, app, get):
    # 127.0.0.2 is not exempt (the Molecule inventory exempts 127.0.0.1 for the load tests).
    out = host.check_output(
        "flaskstack-loadgen --source 127.0.0.2 --host-header %s --concurrency 20 --duration 2",
        app["domains"][0],
    )
    result = json.loads(out)
    assert result["statuses"].get("429", 0) > 0, result
    assert result["statuses"].get("200", 0) > 0, result
    assert set(result["statuses"]) <= {"200", "429"}, result
    # Static files are not limited, and the limit is per client address.
    assert get("/static/hello.txt", source="127.0.0.2").status == 200
    assert get("/").status == 200


def test_generated_configuration_has_no_gixy_finding(host):
    result = host.run("/opt/gixy/bin/gixy -f json /etc/nginx/nginx.conf")
    findings = json.loads(result.stdout or "[]")
    assert findings == [], json.dumps(findings, indent=1)


def test_maintenance_file_switches_the_site_to_503_and_back(host, get, app):
    flag = "/etc/nginx/flaskstack-maintenance/%s.on" % app["name"]
    static = "/static/hello.txt"
    # The static location caches the flag's absence (open_file_cache_errors) for 1 s.
    assert get(static).status == 200
    host.run_test("touch %s", flag)
    try:
        response = get("/")
        assert response.status == 503
        assert "Down for maintenance" in response.body
        assert response.headers.get("x-frame-options") == "SAMEORIGIN"
        assert wait_until(lambda: get(static).status == 503, timeout=3)
    finally:
        host.run_test("rm -f %s", flag)
    assert get("/").status == 200
    assert wait_until(lambda: get(static).status == 200, timeout=3)


def test_slow_clients_do_not_stall_other_clients(host, app):
    out = host.check_output(
        "flaskstack-slowclients --host-header %s --connections 300 --duration 6", app["domains"][0]
    )
    result = json.loads(out)
    assert result["slow_connections"] >= 290, result
    assert result["requests"] >= 20, result
    assert result["failures"] == 0, result
    assert result["slowest_seconds"] < 1.0, result


def _other_app(ansible_vars, key):
    apps = ansible_vars["flaskstack_apps"]
    if len(apps) < 2 or key not in apps[1]:
        pytest.skip("no second app with %s in this scenario" % key)
    return apps[1]


def test_denied_address_is_refused(ansible_vars, get):
    other = _other_app(ansible_vars, "deny")
    assert get("/", other["domains"][0], source=other["deny"][0]).status == 403
    assert get("/", other["domains"][0], source="127.0.0.1").status == 200


def test_restricted_location_only_for_allowed_addresses(ansible_vars, get):
    other = _other_app(ansible_vars, "restricted")
    restricted = other["restricted"][0]
    assert get(restricted["url"], other["domains"][0], source="127.0.0.2").status == 403
    # From an allowed address the request reaches the app (the sample app answers /whoami).
    assert get(restricted["url"], other["domains"][0], source=restricted["allow"][0]).status == 200


def test_logs_record_request_and_upstream_times_and_are_rotated(host, get):
    get("/")
    last = host.check_output("tail -n 1 /var/log/nginx/access.log")
    assert " rt=" in last and " urt=" in last, last
    assert host.file("/etc/logrotate.d/nginx").exists
    assert host.run("logrotate --debug /etc/logrotate.d/nginx").rc == 0
