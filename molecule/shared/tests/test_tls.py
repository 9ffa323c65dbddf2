"""TLS (scenario `tls`): an ACME certificate from the local pebble through HTTP-01, a self-signed one."""

import pytest

ROOT = "/tmp/pebble-root.pem"


def _apps(ansible_vars, mode):
    return [a for a in ansible_vars["flaskstack_apps"] if a.get("tls") == mode]


@pytest.fixture(scope="module")
def acme_app(host, ansible_vars):
    apps = _apps(ansible_vars, "acme")
    if not apps:
        pytest.skip("no ACME site in this scenario")
    # pebble makes a new root at every start: fetch the current one from its management API.
    host.run_test("curl -sf --cacert /etc/pebble/ca.pem -o %s https://127.0.0.1:15000/roots/0", ROOT)
    return apps[0]


def curl_https(host, domain, path="/", *options):
    return host.run(
        "curl -s -i --max-time 10 --resolve %s:443:127.0.0.1 " + " ".join(options) + " https://%s%s",
        domain, domain, path,
    )


def test_tls_acme_certificate_from_pebble_serves_the_app_over_http2(host, acme_app):
    domain = acme_app["domains"][0]
    result = curl_https(host, domain, "/", "--cacert", ROOT, "--http2", "-o /dev/null -w '%%{http_version}'")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "2"
    body = host.run("curl -sf --resolve %s:443:127.0.0.1 --cacert %s https://%s/", domain, ROOT, domain)
    assert body.stdout.startswith("Hello from hello "), body.stdout
    issuer = host.check_output("openssl x509 -noout -issuer -in /etc/letsencrypt/live/%s/cert.pem", acme_app["name"])
    assert "Pebble" in issuer
    names = host.check_output("openssl x509 -noout -ext subjectAltName -in /etc/letsencrypt/live/%s/cert.pem",
                              acme_app["name"])
    for name in acme_app["domains"]:
        assert "DNS:%s" % name in names


def test_tls_http_redirects_to_https_except_acme_challenges(host, acme_app):
    domain = acme_app["domains"][0]
    redirect = host.check_output("curl -s -o /dev/null -w '%%{http_code} %%{redirect_url}' -H %s http://127.0.0.1/x?y=1",
                                 "Host: " + domain)
    assert redirect == "301 https://%s/x?y=1" % domain
    host.run_test("mkdir -p /var/lib/flaskstack-acme/.well-known/acme-challenge && "
                  "echo probe > /var/lib/flaskstack-acme/.well-known/acme-challenge/flaskstack-probe")
    try:
        challenge = host.check_output(
            "curl -s -w ' %%{http_code}' -H %s http://127.0.0.1/.well-known/acme-challenge/flaskstack-probe",
            "Host: " + domain)
        assert challenge == "probe\n 200"
    finally:
        host.run("rm -f /var/lib/flaskstack-acme/.well-known/acme-challenge/flaskstack-probe")


def test_tls_hsts_and_security_headers_over_https(host, acme_app):
    result = curl_https(host, acme_app["domains"][0], "/static/hello.txt", "--cacert", ROOT)
    assert result.rc == 0
    headers = result.stdout.lower()
    assert "strict-transport-security: max-age=31536000" in headers
    assert "x-content-type-options: nosniff" in headers


@pytest.mark.parametrize("protocol,offered", [("-tls1_1", False), ("-tls1", False), ("-tls1_2", True), ("-tls1_3", True)])
def test_tls_only_tls12_and_tls13_are_offered(host, acme_app, protocol, offered):
    # SECLEVEL=0 lets this client offer old protocols: a refusal then comes from the server.
    result = host.run(
        "echo | openssl s_client -connect 127.0.0.1:443 -servername %s %s -cipher 'DEFAULT:@SECLEVEL=0'",
        acme_app["domains"][0], protocol,
    )
    assert (result.rc == 0 and "BEGIN CERTIFICATE" in result.stdout) is offered, result.stdout[-500:] + result.stderr[-500:]


def test_tls_unknown_host_name_gets_no_certificate(host, acme_app):
    result = host.run("echo | openssl s_client -connect 127.0.0.1:443 -servername unknown.example.test")
    assert "BEGIN CERTIFICATE" not in result.stdout


def served_serial(host, domain):
    out = host.check_output(
        "echo | openssl s_client -connect 127.0.0.1:443 -servername %s 2>/dev/null | openssl x509 -noout -serial", domain)
    return out.strip()


def test_tls_renewal_is_scheduled_and_a_forced_renewal_goes_live(host, acme_app):
    assert host.service("certbot.timer").is_enabled
    environment = host.check_output("systemctl show certbot.service -p Environment")
    assert "REQUESTS_CA_BUNDLE=/etc/pebble/ca.pem" in environment
    domain = acme_app["domains"][0]
    before = served_serial(host, domain)
    # The renewal uses what certbot stored at the first request: server, webroot, deploy hook.
    renew = host.run("REQUESTS_CA_BUNDLE=/etc/pebble/ca.pem certbot renew --force-renewal --no-random-sleep-on-renew --cert-name %s",
                     acme_app["name"])
    assert renew.rc == 0, renew.stdout + renew.stderr
    after = served_serial(host, domain)
    assert after.startswith("serial=") and after != before, (before, after)


def test_tls_self_signed_site(host, ansible_vars):
    apps = _apps(ansible_vars, "self_signed")
    if not apps:
        pytest.skip("no self-signed site in this scenario")
    domain = apps[0]["domains"][0]
    result = host.run("curl -sk --resolve %s:443:127.0.0.1 https://%s/", domain, domain)
    assert result.stdout.startswith("Hello from selfsigned "), result.stdout + result.stderr
    subject = host.check_output("openssl x509 -noout -subject -in /etc/ssl/flaskstack/%s/fullchain.pem", apps[0]["name"])
    assert domain in subject
