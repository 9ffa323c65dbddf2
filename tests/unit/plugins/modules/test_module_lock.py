"""The lock module against a lock file in a temporary directory."""

import json
import time

import pytest

from ansible_collections.flaskstack.deploy.plugins.modules import lock as lock_module

HOLDER = {"controller": "laptop", "user": "alice", "playbook": "flaskstack.deploy.site",
          "started": "2026-12-01T10:00:00Z", "pid": 4242}


@pytest.fixture
def run(run_module, tmp_path):
    path = str(tmp_path / "sub" / "deploy.lock")

    def _run(check_mode=False, **args):
        return run_module(lock_module.main, dict({"path": path}, **args), check_mode=check_mode)

    _run.path = path
    return _run


def test_take_writes_the_holder_and_reports_no_change(run):
    result = run(run_id="r1", holder=HOLDER)
    assert result["acquired"] is True and result["changed"] is False
    with open(run.path) as handle:
        data = json.load(handle)
    assert data["run_id"] == "r1" and data["user"] == "alice" and data["taken"] <= time.time()


def test_the_same_run_takes_it_again(run):
    run(run_id="r1", holder=HOLDER)
    assert run(run_id="r1", holder=HOLDER)["acquired"] is True


def test_another_run_is_refused_with_the_holder(run):
    run(run_id="r1", holder=HOLDER)
    result = run(run_id="r2", holder=dict(HOLDER, user="bob"))
    assert result["failed"] and not result["acquired"] and not result["stale"]
    assert "alice@laptop, playbook flaskstack.deploy.site, started 2026-12-01T10:00:00Z" in result["msg"]
    assert "Nothing was changed" in result["msg"]
    # A live holder's lock is not broken, even on request.
    assert run(run_id="r2", holder=HOLDER, break_stale=True)["failed"]


def test_an_old_lock_is_stale_and_broken_only_on_request(run):
    run(run_id="r1", holder=HOLDER)
    with open(run.path) as handle:
        data = json.load(handle)
    data["taken"] -= 7200
    with open(run.path, "w") as handle:
        json.dump(data, handle)
    refused = run(run_id="r2", holder=HOLDER, timeout=3600)
    assert refused["failed"] and refused["stale"] and "older than 3600 s" in refused["msg"]
    assert "flaskstack_break_lock=true" in refused["msg"]
    taken = run(run_id="r2", holder=HOLDER, timeout=3600, break_stale=True)
    assert taken["acquired"]
    with open(run.path) as handle:
        assert json.load(handle)["run_id"] == "r2"


def test_a_lock_whose_holder_is_gone_is_stale(run):
    run(run_id="r1", holder=HOLDER)
    refused = run(run_id="r2", holder=HOLDER, holder_gone=True)
    assert refused["failed"] and refused["stale"] and "its holder is gone" in refused["msg"]
    assert run(run_id="r2", holder=HOLDER, holder_gone=True, break_stale=True)["acquired"]


def test_release_only_by_its_run(run):
    run(run_id="r1", holder=HOLDER)
    assert not run(run_id="r2", state="absent").get("released")
    assert run(run_id="r1", state="absent")["released"] is True
    assert run(run_id="r2", holder=HOLDER)["acquired"]


def test_check_mode_takes_nothing(run):
    assert run(check_mode=True, run_id="r1", holder=HOLDER)["acquired"]
    import os
    assert not os.path.exists(run.path)


def test_the_lock_returns_the_hosts_facts_on_request(run, monkeypatch):
    facts = {"distribution": "Debian", "distribution_major_version": "12", "processor_vcpus": 2}
    packages = {"nginx": [{"name": "nginx", "version": "1.22.1-9", "arch": "amd64", "source": "apt"}]}
    asked = []
    monkeypatch.setattr(lock_module, "read_debian_facts", lambda: dict(facts))
    monkeypatch.setattr(lock_module, "read_dpkg_packages", lambda: packages)
    monkeypatch.setattr(lock_module, "unit_states", lambda module, units: asked.extend(units) or {"nginx.service": {}})
    returned = run(run_id="r1", holder=HOLDER, facts=True, units=["nginx.service"])["ansible_facts"]
    assert returned == dict(facts, packages=packages, services={"nginx.service": {}}) and asked == ["nginx.service"]
    assert "ansible_facts" not in run(run_id="r1", holder=HOLDER)
    monkeypatch.setattr(lock_module, "read_debian_facts", lambda: None)
    assert "ansible_facts" not in run(run_id="r1", holder=HOLDER, facts=True)
