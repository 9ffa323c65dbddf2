"""Last: restart the whole test container; everything must come back by itself."""

import subprocess

from conftest import wait_until


def test_everything_comes_back_after_the_host_restarts(host, get, app):
    subprocess.run(["docker", "restart", "--time", "30", host.backend.get_hostname()], check=True, timeout=120)
    assert wait_until(
        lambda: host.run("systemctl is-system-running").stdout.strip() in ("running", "degraded"), 90, 1
    )
    assert wait_until(lambda: get("/").status == 200, 30), host.run("journalctl -b --no-pager -n 60").stdout
    assert get(app["static"][0]["url"] + "/hello.txt").status == 200
    assert host.service("nginx").is_running
    assert host.service("%s.socket" % app["unit"]).is_running
