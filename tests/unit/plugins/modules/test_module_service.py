"""The service module against a fake systemd: AnsibleModule.run_command answers systemctl and
journalctl from a small state machine, and records every command."""

import pytest
from ansible.module_utils import basic

from ansible_collections.flaskstack.deploy.plugins.modules import service as service_module

MUTATING = {"daemon-reload", "reset-failed", "start", "restart", "reload", "enable", "stop"}


class FakeSystemd:
    """Units: ActiveState, SubState, NRestarts, UnitFileState, LoadState.

    ``crash`` (a unit name): after this run's start/restart/reload, systemd restarts that unit on
    its own at every ``systemctl show`` (NRestarts + 1). ``stuck``: it stays activating.
    """

    def __init__(self, **units):
        self.units = {}
        for name, state in units.items():
            unit = dict(ActiveState="active", SubState="running", NRestarts=0, UnitFileState="enabled",
                        LoadState="loaded", NeedDaemonReload="no")
            unit.update(state)
            self.units[name.replace("_", ".")] = unit
        self.calls = []
        self.crash = None
        self.crash_after = 1  # the how-manieth show after this run acted sees the first crash
        self.shows_after = 0
        self.stuck = None
        self.acted = False

    @property
    def mutations(self):
        return [" ".join(call[1:]) for call in self.calls if call[0] == "systemctl" and call[1] in MUTATING]

    def _up(self, unit, flush):
        if self.stuck == unit:
            self.units[unit].update(ActiveState="activating", SubState="start")
        else:
            self.units[unit].update(ActiveState="active", SubState="running")
        if flush:
            self.units[unit]["NRestarts"] = 0

    def __call__(self, module, argv, **kwargs):
        argv = list(argv)
        self.calls.append(argv)
        if argv[0] == "journalctl":
            return 0, "Traceback (most recent call last):\nImportError: cannot import name 'db'\n", ""
        assert argv[0] == "systemctl", argv
        verb, names = argv[1], argv[2:]
        if verb == "show":
            unit = self.units[names[-1]]
            if self.acted and self.crash == names[-1]:
                self.shows_after += 1
                if self.shows_after >= self.crash_after:
                    unit["NRestarts"] += 1
            props = argv[2].split("=", 1)[1].split(",")
            return 0, "".join("%s=%s\n" % (prop, unit[prop]) for prop in props), ""
        if verb == "daemon-reload":
            for unit in self.units.values():
                unit["NeedDaemonReload"] = "no"
            return 0, "", ""
        if verb == "reset-failed":
            for name in names:
                unit = self.units[name]
                unit["NRestarts"] = 0
                if unit["ActiveState"] == "failed":
                    unit.update(ActiveState="inactive", SubState="dead")
            return 0, "", ""
        if verb == "enable":
            self.units[names[0]]["UnitFileState"] = "enabled"
            return 0, "", ""
        unit_name = names[0]
        unit = self.units[unit_name]
        if verb == "start":
            if unit["ActiveState"] == "failed" and unit.get("start_limit_hit"):
                return 1, "", "Job for %s failed because the start limit was hit" % unit_name
            self._up(unit_name, flush=True)
        elif verb == "restart":
            self._up(unit_name, flush=True)
            if unit_name.endswith(".socket"):
                # the service requires its socket: it stopped with it
                for other, state in self.units.items():
                    if other.endswith(".service"):
                        state.update(ActiveState="inactive", SubState="dead")
        elif verb == "reload":
            if unit["ActiveState"] != "active":
                return 1, "", "%s is not active, cannot reload." % unit_name
        else:
            raise AssertionError("unexpected systemctl %s" % verb)
        if unit_name.endswith(".service"):
            self.acted = True
        return 0, "", ""


@pytest.fixture
def systemd(monkeypatch):
    holder = {}

    def install(**units):
        fake = FakeSystemd(**units)

        def run_command(module, argv, **kw):  # a function, so that it is bound as the module's method
            return fake(module, argv, **kw)

        monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
        holder["fake"] = fake
        return fake

    return install


@pytest.fixture
def run(run_module):
    def run(check_mode=False, diff=False, **args):
        args = dict(dict(name="hello", settle=0, wait=0.5), **args)
        return run_module(service_module.main, args, check_mode=check_mode, diff=diff)
    return run


def test_active_and_nothing_asked_does_nothing(run, systemd):
    fake = systemd(hello_service={})
    result = run()
    assert (result["changed"], result["action"], result["actions"], result["state"]) == (False, "none", [], "active/running")
    assert fake.mutations == []
    assert fake.calls[0] == ["systemctl", "show",
                             "--property=ActiveState,SubState,NRestarts,UnitFileState,LoadState,NeedDaemonReload",
                             "hello.service"]


def test_a_unit_name_with_a_suffix_is_kept(run, systemd):
    fake = systemd(hello_timer={"ActiveState": "inactive", "SubState": "dead"})
    result = run(name="hello.timer")
    assert result["actions"] == ["start hello.timer"] and fake.mutations == ["start hello.timer"]


def test_inactive_is_started(run, systemd):
    fake = systemd(hello_service={"ActiveState": "inactive", "SubState": "dead"})
    result = run(restart=True)  # a start, not a restart, when it is not running
    assert result["action"] == "started" and result["changed"] is True
    assert fake.mutations == ["start hello.service"]
    assert result["state"] == "active/running" and result["restarts"] == 0


def test_daemon_reload_first_when_asked(run, systemd):
    fake = systemd(hello_service={})
    result = run(daemon_reload=True, restart=True)
    assert fake.mutations == ["daemon-reload", "restart hello.service"]
    assert result["actions"] == fake.mutations and result["action"] == "restarted"
    assert fake.calls[0] == ["systemctl", "daemon-reload"]  # before it reads the state


def test_units_changed_on_disk_by_an_earlier_run_are_reloaded_and_restarted(run, systemd):
    # An earlier run wrote the units and failed before it restarted the service: nothing changes
    # in this run, but systemd says that its units are stale.
    fake = systemd(hello_service={"NeedDaemonReload": "yes"}, hello_socket={"SubState": "listening"})
    result = run(socket="hello.socket")
    assert fake.mutations == ["daemon-reload", "restart hello.service"] and result["action"] == "restarted"
    fake = systemd(hello_service={}, hello_socket={"SubState": "listening", "NeedDaemonReload": "yes"})
    result = run(socket="hello.socket")
    assert fake.mutations == ["daemon-reload", "restart hello.socket", "start hello.service"]
    assert result["action"] == "started"
    fake = systemd(hello_service={"NeedDaemonReload": "yes"})
    assert run(check_mode=True)["actions"] == ["daemon-reload", "restart hello.service"] and fake.mutations == []


def test_failed_is_reset_then_started(run, systemd):
    fake = systemd(hello_service={"ActiveState": "failed", "SubState": "failed", "NRestarts": 5},
                   hello_socket={"ActiveState": "failed", "SubState": "failed"})
    result = run(socket="hello.socket", restart=True)
    assert fake.mutations == ["reset-failed hello.service hello.socket", "start hello.socket", "start hello.service"]
    assert result["action"] == "started" and result["state"] == "active/running"


def test_restart_when_asked(run, systemd):
    fake = systemd(hello_service={})
    result = run(restart=True, reload=True)  # a restart makes the reload moot
    assert fake.mutations == ["restart hello.service"] and result["action"] == "restarted"
    assert result["restarts"] == 0


def test_an_earlier_crash_loops_counter_is_reset_before_a_start(run, systemd):
    # Stopped after a crash loop (a rollback stops it to restore data): systemd's counter still says 2.
    fake = systemd(hello_service={"ActiveState": "inactive", "SubState": "dead", "NRestarts": 2})
    result = run(restart=True)
    assert fake.mutations == ["reset-failed hello.service", "start hello.service"]
    assert result["action"] == "started" and "failed" not in result


def test_reload_when_it_can(run, systemd):
    fake = systemd(hello_service={})
    result = run(reload=True)
    assert fake.mutations == ["reload hello.service"] and result["action"] == "reloaded"


def test_reload_is_a_restart_without_a_reload_signal(run, systemd):
    fake = systemd(hello_service={})
    result = run(reload=True, can_reload=False)
    assert fake.mutations == ["restart hello.service"] and result["action"] == "restarted"


def test_units_are_enabled(run, systemd):
    fake = systemd(hello_service={"UnitFileState": "disabled"}, hello_socket={"UnitFileState": "disabled"})
    run(socket="hello.socket")
    assert fake.mutations == ["enable hello.socket", "enable hello.service"]
    fake = systemd(hello_service={"UnitFileState": "disabled"})
    assert run(enabled=False)["actions"] == [] and fake.mutations == []


def test_an_inactive_socket_is_started(run, systemd):
    fake = systemd(hello_service={"ActiveState": "inactive", "SubState": "dead"},
                   hello_socket={"ActiveState": "inactive", "SubState": "dead"})
    result = run(socket="hello.socket")
    assert fake.mutations == ["start hello.socket", "start hello.service"] and result["action"] == "started"


def test_a_changed_socket_is_restarted_and_the_service_started_again(run, systemd):
    fake = systemd(hello_service={}, hello_socket={"SubState": "listening"})
    result = run(socket="hello.socket", socket_changed=True, daemon_reload=True)
    assert fake.mutations == ["daemon-reload", "restart hello.socket", "start hello.service"]
    assert result["action"] == "started" and result["state"] == "active/running"


def test_a_service_that_systemd_restarts_during_settle_fails(run, systemd):
    fake = systemd(hello_service={})
    fake.crash = "hello.service"
    fake.crash_after = 3  # up at first, restarted by systemd a moment later
    result = run(restart=True, settle=0.5)
    assert result["failed"] is True
    assert result["restarts"] >= 1
    assert result["msg"].startswith("hello.service did not stay up after this run's change (restarted): "
                                    "systemd restarted it %d time(s)" % result["restarts"])
    assert "ImportError: cannot import name 'db'" in result["msg"]  # the journal's last lines
    assert ["journalctl", "--no-pager", "-n", "15", "-o", "cat", "-u", "hello.service"] in fake.calls
    assert len([call for call in fake.calls if call[1:2] == ["show"]]) >= 4  # found while settling


def test_a_crash_after_settle_is_not_seen_but_a_short_settle_still_passes(run, systemd):
    fake = systemd(hello_service={})
    fake.crash = "hello.service"
    fake.crash_after = 1000
    result = run(restart=True, settle=0.3)
    assert not result.get("failed") and result["restarts"] == 0


def test_settle_watches_for_the_whole_time_when_all_is_well(run, systemd):
    fake = systemd(hello_service={})
    result = run(restart=True, settle=0.3)
    shows = [call for call in fake.calls if call[1] == "show"]
    assert not result.get("failed") and len(shows) >= 3  # before, then polled while settling


def test_a_reload_allows_the_restarts_from_before(run, systemd):
    # a reload does not reset systemd's counter: 3 old restarts are not this run's fault
    fake = systemd(hello_service={"NRestarts": 3})
    result = run(reload=True, settle=0.3)
    assert not result.get("failed") and result["restarts"] == 0
    fake = systemd(hello_service={"NRestarts": 3})
    fake.crash = "hello.service"
    result = run(reload=True, settle=0.3)
    assert result["failed"] is True and "(reloaded)" in result["msg"]


def test_a_service_that_never_gets_active_fails_after_wait(run, systemd):
    fake = systemd(hello_service={"ActiveState": "inactive", "SubState": "dead"})
    fake.stuck = "hello.service"
    result = run(wait=0.3)
    assert result["failed"] is True and "(now activating/start)" in result["msg"]
    assert result["state"] == "activating/start" and result["restarts"] == 0


def test_a_failing_systemctl_fails_with_its_message(run, systemd, monkeypatch):
    fake = systemd(hello_service={"ActiveState": "failed", "SubState": "failed"})
    fake.units["hello.service"]["start_limit_hit"] = True

    def no_reset(module, argv, **kw):  # a reset-failed that did not help
        if argv[1] == "reset-failed":
            fake.calls.append(list(argv))
            return 0, "", ""
        return fake(module, argv, **kw)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", no_reset)
    result = run()
    assert result["failed"] is True
    assert result["msg"].startswith("hello.service ")
    assert "systemctl start" in result["msg"] and "failed because the start limit was hit" in result["msg"]
    assert result["actions"] == ["reset-failed hello.service", "start hello.service"]


def test_a_failing_systemctl_that_is_not_a_start(run, systemd, monkeypatch):
    fake = systemd(hello_service={})

    def broken_reload(module, argv, **kw):
        if argv[1] == "daemon-reload":
            fake.calls.append(list(argv))
            return 1, "", "Access denied"
        return fake(module, argv, **kw)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", broken_reload)
    result = run(daemon_reload=True, restart=True)
    assert result["failed"] is True and "daemon-reload" in result["msg"] and "Access denied" in result["msg"]
    assert fake.mutations == ["daemon-reload"]  # and nothing after it


def test_check_mode_runs_no_mutating_systemctl(run, systemd):
    fake = systemd(hello_service={"ActiveState": "failed", "SubState": "failed", "UnitFileState": "disabled"},
                   hello_socket={"ActiveState": "active", "UnitFileState": "disabled"})
    result = run(socket="hello.socket", socket_changed=True, daemon_reload=True, restart=True, settle=5,
                 check_mode=True)
    assert fake.mutations == []
    assert {call[1] for call in fake.calls} == {"show"}
    assert result["changed"] is True
    assert result["actions"] == ["daemon-reload", "reset-failed hello.service hello.socket", "enable hello.socket",
                                 "restart hello.socket", "enable hello.service", "start hello.service"]
    assert result["action"] == "started" and result["state"] == "failed/failed"


def test_check_mode_with_nothing_to_do(run, systemd):
    fake = systemd(hello_service={})
    result = run(check_mode=True)
    assert result["changed"] is False and result["actions"] == [] and fake.mutations == []


def test_diff(run, systemd):
    systemd(hello_service={"ActiveState": "inactive", "SubState": "dead"})
    result = run(diff=True)
    assert result["diff"] == {"before": "inactive/dead\n", "after": "active/running\n"}


def test_systemctl_show_failing(run, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, "run_command",
                        lambda module, argv, **kw: (1, "", "Failed to connect to bus: No such file or directory"))
    result = run()
    assert result["failed"] and result["msg"] == "systemctl show hello.service failed: Failed to connect to bus: No such file or directory"
