"""The units module against a unit directory in a temporary directory and a fake systemctl."""

import os

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.flaskstack.deploy.plugins.modules import units as units_module

MARK = "# flaskstack-managed-by shop"


def unit(name, body="[Service]\nExecStart=/bin/true\n"):
    return {"name": name, "content": "%s\n%s" % (MARK, body)}


@pytest.fixture
def systemd(monkeypatch):
    """A fake systemd: units' states, and every systemctl call made."""
    state = {"calls": [], "active": set(), "enabled": set()}

    def run_command(self, args, **kwargs):
        assert args[0] == "systemctl", args
        state["calls"].append(" ".join(args[1:]))
        verb, name = args[1], args[-1]
        if verb == "show":
            return 0, "ActiveState=%s\nUnitFileState=%s\nLoadState=loaded\n" % (
                "active" if name in state["active"] else "inactive",
                "enabled" if name in state["enabled"] else "disabled"), ""
        if verb in ("start", "restart"):
            state["active"].add(name)
        elif verb == "enable":
            state["enabled"].add(name)
        elif verb == "disable":
            state["enabled"].discard(name)
            state["active"].discard(name)
        return 0, "", ""

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    return state


@pytest.fixture
def run(run_module, tmp_path):
    def _run(check_mode=False, **args):
        return run_module(units_module.main, dict({"name": "shop", "unit_dir": str(tmp_path)}, **args),
                          check_mode=check_mode)
    return _run


def test_units_written_enabled_and_started_then_nothing_changes(run, systemd, tmp_path):
    result = run(units=[unit("shop-worker.service")], start=["shop-worker.service"])
    assert result["changed"] and result["written"] == ["shop-worker.service"] and result["started"] == ["shop-worker.service"]
    assert (tmp_path / "shop-worker.service").read_text().startswith(MARK)
    assert "daemon-reload" in systemd["calls"] and "enable shop-worker.service" in systemd["calls"]
    again = run(units=[unit("shop-worker.service")], start=["shop-worker.service"])
    assert not again["changed"] and again["written"] == [] and again["restarted"] == []


def test_restart_only_when_asked_or_changed(run, systemd):
    run(units=[unit("shop-worker.service")], start=["shop-worker.service"])
    systemd["calls"].clear()
    result = run(units=[unit("shop-worker.service")], start=["shop-worker.service"], restart=["shop-worker.service"])
    assert result["restarted"] == ["shop-worker.service"] and "restart shop-worker.service" in systemd["calls"]
    result = run(units=[unit("shop-worker.service", "[Service]\nExecStart=/bin/false\n")], start=["shop-worker.service"])
    assert result["written"] == ["shop-worker.service"] and result["restarted"] == ["shop-worker.service"]


def test_a_unit_no_longer_described_is_stopped_and_removed(run, systemd, tmp_path):
    run(units=[unit("shop-worker.service"), unit("shop-beat.service")], start=["shop-worker.service", "shop-beat.service"])
    (tmp_path / "shop-other.service").write_text("[Service]\n")  # not ours: no marker
    result = run(units=[unit("shop-worker.service")], start=["shop-worker.service"])
    assert result["removed"] == ["shop-beat.service"]
    assert not (tmp_path / "shop-beat.service").exists() and (tmp_path / "shop-other.service").exists()
    assert "disable --now shop-beat.service" in systemd["calls"]


def test_a_unit_without_its_marker_is_refused(run, systemd):
    result = run(units=[{"name": "shop-worker.service", "content": "[Service]\n"}])
    assert result["failed"] and "marker" in result["msg"]


def test_restart_managed_restarts_processes_not_timer_services(run, systemd, tmp_path):
    run(units=[unit("shop-worker.service"), unit("shop-cleanup.service"), unit("shop-cleanup.timer")],
        start=["shop-worker.service", "shop-cleanup.timer"])
    systemd["calls"].clear()
    result = run(restart_managed=True)
    assert result["restarted"] == ["shop-worker.service"]
    assert os.path.exists(str(tmp_path / "shop-worker.service"))


def test_absent_removes_every_unit_of_the_app_timers_first(run, systemd, tmp_path):
    run(units=[unit("shop-worker.service"), unit("shop-cleanup.service"), unit("shop-cleanup.timer")],
        start=["shop-worker.service", "shop-cleanup.timer"])
    (tmp_path / "shop.service").write_text("[Service]\n")
    (tmp_path / "shop.socket").write_text("[Socket]\n")
    result = run(state="absent", also=["shop.service", "shop.socket"])
    assert result["removed"][0] == "shop-cleanup.timer"
    assert set(result["removed"]) == {"shop-cleanup.timer", "shop-cleanup.service", "shop-worker.service",
                                      "shop.service", "shop.socket"}
    assert os.listdir(str(tmp_path)) == []
    assert not run(state="absent", also=["shop.service", "shop.socket"])["changed"]


def test_check_mode_writes_nothing(run, systemd, tmp_path):
    result = run(check_mode=True, units=[unit("shop-worker.service")], start=["shop-worker.service"])
    assert result["changed"] and os.listdir(str(tmp_path)) == []
    assert all(call.startswith("show") for call in systemd["calls"])
