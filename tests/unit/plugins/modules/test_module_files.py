"""The files module against files in a temporary directory."""

import grp
import os
import pwd
import stat

import pytest
from ansible.module_utils import basic

from ansible_collections.flaskstack.deploy.plugins.modules import files as files_module

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


@pytest.fixture
def run(run_module):
    def _run(items, check_mode=False, diff=False, **options):
        items = [dict({"owner": USER, "group": GROUP}, **item) for item in items]
        return run_module(files_module.main, dict(options, items=items), check_mode=check_mode, diff=diff)

    return _run


def read(path):
    with open(path) as handle:
        return handle.read()


def test_writes_a_file_with_its_mode_once(run, tmp_path):
    target = str(tmp_path / "app.conf")
    result = run([{"path": target, "content": "a = 1\n", "mode": "0640"}])
    assert result["changed"] and result["changed_paths"] == [target]
    assert read(target) == "a = 1\n" and stat.S_IMODE(os.stat(target).st_mode) == 0o640
    again = run([{"path": target, "content": "a = 1\n", "mode": "0640"}])
    assert not again["changed"] and again["changed_paths"] == []


def test_check_mode_reports_and_writes_nothing(run, tmp_path):
    target = str(tmp_path / "app.conf")
    result = run([{"path": target, "content": "x\n"}, {"path": str(tmp_path / "d"), "state": "directory"}],
                 check_mode=True)
    assert result["changed_paths"] == [target, str(tmp_path / "d")]
    assert not os.path.exists(target) and not os.path.exists(str(tmp_path / "d"))


def test_a_failed_check_keeps_the_old_file_and_names_it(run, tmp_path):
    target = str(tmp_path / "app.conf")
    run([{"path": target, "content": "good\n"}])
    result = run([{"path": target, "content": "bad\n", "validate": "grep -q good %s"}])
    assert result["failed"] and target in result["msg"] and "did not pass its check" in result["msg"]
    assert read(target) == "good\n"
    assert [name for name in os.listdir(str(tmp_path)) if name != "app.conf"] == []  # no temporary file left


def test_diffs_show_files_but_never_secret_ones(run, tmp_path):
    plain, secret, hidden = (str(tmp_path / name) for name in ("plain", "secret", "hidden"))
    result = run([{"path": plain, "content": "visible\n"}, {"path": secret, "content": "pw=1\n", "secret": True},
                  {"path": hidden, "secret_content": "pw=2\n", "mode": "0600"}], diff=True)
    assert result["changed_paths"] == [plain, secret, hidden]
    assert "visible" in result["diff"]["prepared"]
    assert "pw=1" not in result["diff"]["prepared"] and "pw=2" not in str(result)
    assert read(hidden) == "pw=2\n" and stat.S_IMODE(os.stat(hidden).st_mode) == 0o600


def test_secret_content_is_masked_even_in_a_failure_message(run, tmp_path):
    target = str(tmp_path / "env")
    # The validator prints the file and fails: its output is in the message, the secret is not.
    result = run([{"path": target, "secret_content": "SECRET_KEY=s3cr3t-value", "validate": "sh -c 'cat %s; exit 1'"}])
    assert result["failed"] and target in result["msg"]
    assert "s3cr3t-value" not in str(result)
    assert not os.path.exists(target)


def test_directories_links_and_absent(run, tmp_path):
    directory, link, gone = str(tmp_path / "d"), str(tmp_path / "l"), str(tmp_path / "gone")
    with open(gone, "w") as handle:
        handle.write("x")
    result = run([{"path": directory, "state": "directory", "mode": "0750"},
                  {"path": link, "state": "link", "src": "d"}, {"path": gone, "state": "absent"}])
    assert result["changed_paths"] == [directory, link, gone]
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o750 and os.readlink(link) == "d" and not os.path.exists(gone)
    assert run([{"path": directory, "state": "directory", "mode": "0750"},
                {"path": link, "state": "link", "src": "d"}, {"path": gone, "state": "absent"}])["changed_paths"] == []


UNITS = {
    "hello.service": dict(LoadState="loaded", ActiveState="active", SubState="running", UnitFileState="enabled",
                          NeedDaemonReload="no"),
    "hello.socket": dict(LoadState="not-found", ActiveState="inactive", SubState="dead", UnitFileState="",
                         NeedDaemonReload="no"),
}


@pytest.fixture
def systemctl(monkeypatch):
    """A fake `systemctl show`: records each call and whether the first item was written by then."""
    calls = []

    def fake(module, argv, **kwargs):
        argv = list(argv)
        assert argv[:2] == ["systemctl", "show"] and argv[2].startswith("--property="), argv
        calls.append(argv)
        if argv[-1] not in UNITS:
            return 1, "", "Unit %s could not be found." % argv[-1]
        props = argv[2].split("=", 1)[1].split(",")
        return 0, "".join("%s=%s\n" % (prop, UNITS[argv[-1]][prop]) for prop in props), ""

    monkeypatch.setattr(basic.AnsibleModule, "run_command", fake)
    return calls


def test_returns_the_state_of_the_units_after_the_write(run, tmp_path, systemctl):
    target = str(tmp_path / "hello.service")
    result = run([{"path": target, "content": "[Service]\n"}], units=["hello.service", "hello.socket"])
    assert result["changed_paths"] == [target]
    assert result["units"] == UNITS
    assert [call[-1] for call in systemctl] == ["hello.service", "hello.socket"]
    assert os.path.exists(target)


def test_units_are_read_in_check_mode_too_and_none_when_none_asked(run, tmp_path, systemctl):
    target = str(tmp_path / "hello.service")
    result = run([{"path": target, "content": "[Service]\n"}], check_mode=True, units=["hello.service"])
    assert result["units"] == {"hello.service": UNITS["hello.service"]} and not os.path.exists(target)
    assert run([{"path": target, "content": "x\n"}])["units"] == {}
    assert len(systemctl) == 1


def test_a_unit_systemctl_cannot_show_fails_and_names_it(run, tmp_path, systemctl):
    target = str(tmp_path / "a.conf")
    result = run([{"path": target, "content": "a\n"}], units=["broken.service"])
    assert result["failed"] and "broken.service" in result["msg"] and result["changed_paths"] == [target]
