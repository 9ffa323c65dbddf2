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


def _burst(host, source, host_header, clients, count=100, every=10):
    """count requests at once (20 at a time) from ``source``: every ``every``-th one carries the second
    client address of ``clients`` in X-Forwarded-For, the others the first. Returns {client: {status: n}}."""
    first, second = clients
    lines = "\n".join(second if n % every == every - 1 else first for n in range(count))
    out = host.check_output(
        "printf %s | xargs -P 20 -I{} curl -s -o /dev/null -w '{} %%{http_code}\\n' --max-time 10 --interface %s "
        "-H 'X-Forwarded-For: {}' -H %s http://127.0.0.1/", lines + "\n", source, "Host: %s" % host_header)
    seen = {first: {}, second: {}}
    for line in out.splitlines():
        client, status = line.split()
        seen[client][status] = seen[client].get(status, 0) + 1
    return seen


def _other(ansible_vars):
    return [a for a in ansible_vars["flaskstack_apps"] if "203.0.113.9" in a.get("deny", [])][0]


def test_deny_applies_to_the_client_behind_the_proxy_not_to_the_proxy(host, ansible_vars):
    other = _other(ansible_vars)["domains"][0]
    assert _curl(host, PROXY, "203.0.113.9", other) == 403
    assert _curl(host, PROXY, "203.0.113.10", other) == 200
    # The same header from a sender that is not a trusted proxy is ignored: that sender is the client.
    assert _curl(host, STRANGER, "203.0.113.9", other) == 200


def test_rate_limit_counts_each_client_behind_the_proxy_separately(host, app):
    time.sleep(3)  # an earlier burst's budget refills
    seen = _burst(host, PROXY, app["domains"][0], ("203.0.113.7", "203.0.113.8"))
    # The first client, 90 requests at once, is limited; the second one's 10 interleaved requests
    # are counted for it alone (its burst allowance is 40): none is refused.
    assert seen["203.0.113.7"].get("429", 0) > 0, seen
    assert seen["203.0.113.8"] == {"200": 10}, seen


def test_header_from_an_untrusted_sender_changes_nothing(host, app):
    time.sleep(3)
    seen = _burst(host, STRANGER, app["domains"][0], ("203.0.113.7", "203.0.113.8"))
    # The same burst from a sender that is not a trusted proxy: all of it counts for the sender,
    # whatever address its header names, so the second "client" is refused too.
    assert seen["203.0.113.7"].get("429", 0) > 0, seen
    assert seen["203.0.113.8"].get("429", 0) > 0, seen


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
