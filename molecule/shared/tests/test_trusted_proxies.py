"""nginx behind a trusted proxy (a CDN, a load balancer): the client is the address the proxy puts
in X-Forwarded-For, and only when the request comes from the proxy.

In the default scenario 127.0.0.5 stands in for the proxy (nginx_trusted_proxies) and 127.0.0.6 for
any other sender; 203.0.113.0/24 addresses stand in for clients behind the proxy.
"""

import json
import time

import pytest

PROXY, STRANGER = "127.0.0.5", "127.0.0.6"


@pytest.fixture(scope="module", autouse=True)
def behind_a_proxy(ansible_vars):
    if PROXY not in ansible_vars.get("nginx_trusted_proxies", []):
        pytest.skip("the scenario has no trusted proxy")


def _curl(host, source, client, host_header, path="/"):
    out = host.check_output(
        "curl -s -o /dev/null -w '%%{http_code}' --max-time 10 --interface %s -H %s -H %s http://127.0.0.1%s",
        source, "X-Forwarded-For: %s" % client, "Host: %s" % host_header, path)
    return int(out)


def _burst(host, source, client, host_header, count=90):
    """count requests at once (20 at a time); returns {status: n}."""
    out = host.check_output(
        "seq %s | xargs -P 20 -I{} curl -s -o /dev/null -w '%%{http_code}\\n' --max-time 10 --interface %s "
        "-H %s -H %s http://127.0.0.1/", str(count), source, "X-Forwarded-For: %s" % client, "Host: %s" % host_header)
    statuses = {}
    for line in out.split():
        statuses[line] = statuses.get(line, 0) + 1
    return statuses


def _other(ansible_vars):
    return [a for a in ansible_vars["flaskstack_apps"] if "203.0.113.9" in a.get("deny", [])][0]


def test_deny_applies_to_the_client_behind_the_proxy_not_to_the_proxy(host, ansible_vars):
    other = _other(ansible_vars)["domains"][0]
    assert _curl(host, PROXY, "203.0.113.9", other) == 403
    assert _curl(host, PROXY, "203.0.113.10", other) == 200
    # The same header from a sender that is not a trusted proxy is ignored: that sender is the client.
    assert _curl(host, STRANGER, "203.0.113.9", other) == 200


def test_rate_limit_counts_each_client_behind_the_proxy_separately(host, app):
    domain = app["domains"][0]
    time.sleep(3)  # an earlier burst's budget refills
    first = _burst(host, PROXY, "203.0.113.7", domain)
    assert first.get("429", 0) > 0, first
    # Another client behind the same proxy is not limited by the first one's burst.
    assert _curl(host, PROXY, "203.0.113.8", domain) == 200


def test_header_from_an_untrusted_sender_changes_nothing(host, app):
    domain = app["domains"][0]
    time.sleep(3)
    burst = _burst(host, STRANGER, "203.0.113.7", domain)
    assert burst.get("429", 0) > 0, burst
    # Still the same client for nginx (the sender), whatever address its header names.
    assert _curl(host, STRANGER, "203.0.113.8", domain) == 429


def test_app_and_logs_see_the_real_client(host, app):
    domain = app["domains"][0]
    time.sleep(3)
    seen = json.loads(host.check_output(
        "curl -s --max-time 10 --interface %s -H %s -H %s http://127.0.0.1/whoami",
        PROXY, "X-Forwarded-For: 198.51.100.23", "Host: %s" % domain))
    assert seen["forwarded_for"] == "198.51.100.23", seen
    assert host.check_output("grep -c '^198.51.100.23 ' /var/log/nginx/access.log") != "0"
    spoofed = json.loads(host.check_output(
        "curl -s --max-time 10 --interface %s -H %s -H %s http://127.0.0.1/whoami",
        STRANGER, "X-Forwarded-For: 198.51.100.24", "Host: %s" % domain))
    assert spoofed["forwarded_for"] == STRANGER, spoofed
