"""Fixtures shared by every scenario. The app under test is the first of flaskstack_apps."""

import json
import os
import re
import subprocess
import tempfile
import time

import pytest


@pytest.fixture(scope="module")
def ansible_vars(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def app(ansible_vars):
    """The first app of the scenario's flaskstack_apps, with the defaults the site playbook applies."""
    described = dict(ansible_vars["flaskstack_apps"][0])
    described.setdefault("server", "gunicorn")
    name = described["name"]
    described.update(
        unit=name,
        user=name,
        socket="/run/flaskstack/%s.sock" % name,
        config_dir="/etc/flaskstack/%s" % name,
        env_file="/etc/flaskstack/%s/env" % name,
        src_dir="/srv/flaskstack/%s/current" % name,
        # The live release itself (the trailing /. makes stat follow the `current` link).
        release_dir="/srv/flaskstack/%s/current/." % name,
        shared_dir="/srv/flaskstack/%s/shared" % name,
        server_config="/etc/flaskstack/%s/%s"
        % (name, "gunicorn.conf.py" if described["server"] == "gunicorn" else "uwsgi.ini"),
    )
    return described


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def __repr__(self):
        return "<Response %s %r>" % (self.status, self.body[:200])


def http_get(host, path, host_header, port=80, source="127.0.0.1"):
    """GET through nginx on the test host with curl, from a source address of the host's
    127.0.0.0/8; status 0 means no HTTP answer at all."""
    cmd = host.run(
        "curl -s -i --max-time 10 --interface %s -H %s %s",
        source, "Host: %s" % host_header, "http://127.0.0.1:%d%s" % (port, path),
    )
    if cmd.rc != 0 or not cmd.stdout:
        return Response(0, {}, "curl rc=%d %s" % (cmd.rc, cmd.stderr))
    head, _, body = cmd.stdout.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return Response(status, headers, body)


@pytest.fixture
def get(host, app):
    """get(path, host_header=first domain) -> Response through nginx."""

    def _get(path, host_header=None, source="127.0.0.1"):
        return http_get(host, path, host_header or app["domains"][0], source=source)

    return _get


def main_pid(host, unit):
    return int(host.check_output("systemctl show -p MainPID --value %s.service", unit))


def wait_until(predicate, timeout, interval=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def journal(host, unit):
    return host.run("journalctl -u %s --no-pager -n 40", unit).stdout


@pytest.fixture
def app_stopped(host, app):
    """The app's service and its socket stopped (else the socket would start it again)."""
    host.run_test("systemctl stop %s.socket %s.service", app["unit"], app["unit"])
    try:
        yield
    finally:
        host.run_test("systemctl start %s.socket %s.service", app["unit"], app["unit"])


# Running the site playbook again from a test (bad input, secrets): against the Molecule
# inventory, on one host. start_site starts it without waiting (two runs at once).
@pytest.fixture(scope="module")
def start_site(host):
    eph = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    project = os.environ["MOLECULE_PROJECT_DIRECTORY"]
    hostname = host.backend.get_hostname()

    def _start(extra_vars, *args, playbook="flaskstack.deploy.site", limit=True):
        env = dict(os.environ)
        env.update(
            ANSIBLE_CONFIG=os.path.join(eph, "ansible.cfg"),
            ANSIBLE_COLLECTIONS_PATH=os.path.join(project, ".cache", "collections"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
        )
        handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        with handle:
            json.dump(extra_vars, handle)
        process = subprocess.Popen(
            ["ansible-playbook", "-i", os.path.join(eph, "inventory"), *(["--limit", hostname] if limit else []),
             "-e", "@" + handle.name, *args, playbook],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )

        def wait(timeout=900):
            try:
                out, err = process.communicate(timeout=timeout)
            finally:
                os.unlink(handle.name)
            return subprocess.CompletedProcess(process.args, process.returncode, out, err)

        return wait

    return _start


@pytest.fixture(scope="module")
def run_site(start_site):
    def _run(extra_vars, *args, playbook="flaskstack.deploy.site", limit=True):
        return start_site(extra_vars, *args, playbook=playbook, limit=limit)()

    return _run


def recap(output, hostname):
    """The PLAY RECAP counters of one host, as a dict."""
    match = re.search(r"^%s\s*:\s*(.*)$" % re.escape(hostname), output, re.M)
    assert match, "no PLAY RECAP line for %s in:\n%s" % (hostname, output[-3000:])
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}


def record_figure(text):
    """Print a measured figure and append it to results/test-figures.txt (git-ignored), so that a
    passing run keeps its timings."""
    print(text)
    folder = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "results")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "test-figures.txt"), "a") as handle:
        handle.write("%s %s: %s\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), os.environ.get("MOLECULE_SCENARIO_NAME", "?"), text))


def record_output(name, result):
    """Keep a playbook run's output (with the task timings of profile_tasks) in
    results/SCENARIO-NAME.log (git-ignored): where a long test spends its time."""
    folder = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "results")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "%s-%s.log" % (os.environ.get("MOLECULE_SCENARIO_NAME", "run"), name))
    with open(path, "w") as handle:
        handle.write(result.stdout + result.stderr)


def changed_tasks(output):
    """The names of the tasks that reported a change in an ansible-playbook output (for messages)."""
    names, task = [], None
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line[len("TASK ["):].split("]", 1)[0]
        elif line.startswith("changed:") and task and task not in names:
            names.append(task)
    return names
