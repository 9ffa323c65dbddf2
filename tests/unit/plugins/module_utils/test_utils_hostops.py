"""plugins/module_utils/hostops.py: directories with mode and owner, the app's user, run-as argv."""

import os
import re
import stat
import subprocess
import sys

import pytest

from ansible_collections.flaskstack.deploy.plugins.module_utils import hostops

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="changes owners (runs as root on the host)")


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_ensure_dir_creates_with_mode_despite_umask(tmp_path):
    path = tmp_path / "d"
    changes = []
    old = os.umask(0o077)
    try:
        assert hostops.ensure_dir(str(path), None, None, 0o755, False, changes) is True
    finally:
        os.umask(old)
    assert path.is_dir() and mode_of(path) == 0o755
    assert changes == ["create directory %s" % path]


def test_ensure_dir_unchanged(tmp_path):
    path = tmp_path / "d"
    path.mkdir()
    os.chmod(path, 0o750)
    st = os.stat(path)
    changes = []
    assert hostops.ensure_dir(str(path), st.st_uid, st.st_gid, 0o750, False, changes) is False
    assert changes == []


def test_ensure_dir_fixes_mode(tmp_path):
    path = tmp_path / "d"
    path.mkdir()
    os.chmod(path, 0o777)
    changes = []
    assert hostops.ensure_dir(str(path), None, None, 0o750, False, changes) is True
    assert mode_of(path) == 0o750
    assert changes == ["mode of %s: 0777 -> 0750" % path]


def test_ensure_dir_check_mode_changes_nothing(tmp_path):
    existing = tmp_path / "d"
    existing.mkdir()
    os.chmod(existing, 0o777)
    changes = []
    assert hostops.ensure_dir(str(existing), None, None, 0o700, True, changes) is True
    assert hostops.ensure_dir(str(tmp_path / "new"), None, None, 0o700, True, changes) is True
    assert mode_of(existing) == 0o777
    assert not (tmp_path / "new").exists()
    assert len(changes) == 2


@needs_root
def test_ensure_dir_owner(tmp_path):
    path = tmp_path / "d"
    changes = []
    hostops.ensure_dir(str(path), 23456, 23457, 0o750, False, changes)
    st = os.stat(path)
    assert (st.st_uid, st.st_gid) == (23456, 23457)
    os.chown(path, 0, 0)
    changes = []
    assert hostops.ensure_dir(str(path), 23456, 23457, 0o750, False, changes) is True
    assert changes == ["owner of %s" % path]
    assert (os.stat(path).st_uid, os.stat(path).st_gid) == (23456, 23457)
    # only the group asked for: the owner stays
    assert hostops.ensure_dir(str(path), None, 0, 0o750, False, []) is True
    assert (os.stat(path).st_uid, os.stat(path).st_gid) == (23456, 0)


def test_ensure_dir_refuses_a_file_or_a_link(tmp_path):
    (tmp_path / "f").write_text("x")
    (tmp_path / "real").mkdir()
    os.symlink(str(tmp_path / "real"), tmp_path / "link")
    for name in ("f", "link"):
        with pytest.raises(OSError, match="is not a directory"):
            hostops.ensure_dir(str(tmp_path / name), None, None, 0o755, False, [])
    assert os.path.islink(tmp_path / "link")


class FakeModule:
    def __init__(self, check_mode=False):
        self.check_mode = check_mode
        self.commands = []

    def run_command(self, argv, check_rc=False):
        self.commands.append(argv)
        return 0, "", ""


def test_ensure_system_user_creates_group_then_user(monkeypatch):
    ids = {"calls": 0}

    def lookup(user, group):
        ids["calls"] += 1
        return (None, None) if ids["calls"] == 1 else (1500, 1600)

    monkeypatch.setattr(hostops, "lookup_ids", lookup)
    module, changes = FakeModule(), []
    assert hostops.ensure_system_user(module, "hello", "hellogrp", "/srv/flaskstack/hello", "app hello",
                                      changes) == (1500, 1600)
    assert changes == ["create group hellogrp", "create user hello"]
    assert module.commands[0] == ["groupadd", "--system", "hellogrp"]
    useradd = module.commands[1]
    assert useradd[:2] == ["useradd", "--system"] and useradd[-1] == "hello"
    assert useradd[useradd.index("--gid") + 1] == "hellogrp"
    assert useradd[useradd.index("--home-dir") + 1] == "/srv/flaskstack/hello"
    assert useradd[useradd.index("--shell") + 1] == "/usr/sbin/nologin"
    assert "--no-create-home" in useradd


def test_ensure_system_user_existing_or_check_mode(monkeypatch):
    monkeypatch.setattr(hostops, "lookup_ids", lambda user, group: (1500, 1600))
    module, changes = FakeModule(), []
    assert hostops.ensure_system_user(module, "hello", "hello", "/h", "c", changes) == (1500, 1600)
    assert changes == [] and module.commands == []

    monkeypatch.setattr(hostops, "lookup_ids", lambda user, group: (None, None))
    module, changes = FakeModule(check_mode=True), []
    assert hostops.ensure_system_user(module, "hello", "hello", "/h", "c", changes) == (None, None)
    assert changes == ["create group hello", "create user hello"] and module.commands == []


def test_lookup_ids_of_root_and_of_nobody_known():
    assert hostops.lookup_ids("root", "root") == (0, 0)
    assert hostops.lookup_ids("no-such-user-flaskstack", "no-such-group-flaskstack") == (None, None)


def test_run_as_app_argv():
    argv = hostops.run_as_app_argv("/usr/local/lib/flaskstack/flaskstack-run.py", "hello", "www",
                                   ["-/etc/a.env", "/etc/b.env"], "/srv/r", {"Z": "1", "A": "x=y"},
                                   ["/bin/sh", "-c", "echo hi -- there"])
    assert argv[:2] == ["/usr/bin/python3", "/usr/local/lib/flaskstack/flaskstack-run.py"]
    split = argv.index("--")
    assert argv[split + 1:] == ["/bin/sh", "-c", "echo hi -- there"]
    options = " ".join(argv[2:split])
    assert "--user hello" in options and "--group www" in options and "--chdir /srv/r" in options
    assert re.search(r"--env-file[= ]-/etc/a.env .*--env-file[= ]/etc/b.env", options)  # in order
    assert re.search(r"--setenv[= ]A=x=y .*--setenv[= ]Z=1", options)


@needs_root
def test_run_as_app_argv_is_what_flaskstack_run_accepts(tmp_path):
    """The argv, run by the real files/flaskstack-run.py (as root: the user it becomes here)."""
    env_file = tmp_path / "app.env"
    env_file.write_text('# comment\nFROM_FILE="a b"\nOVERRIDDEN=file\n')
    workdir = tmp_path / "release"
    workdir.mkdir()
    argv = hostops.run_as_app_argv(os.path.join(ROOT, "roles/flask_app/files/flaskstack-run.py"), "root", "root",
                                   ["-" + str(tmp_path / "missing.env"), "-" + str(env_file)], str(workdir),
                                   {"OVERRIDDEN": "setenv", "FLASKSTACK_RELEASE": "abc-1"},
                                   ["/bin/sh", "-c", 'pwd; echo "$FROM_FILE|$OVERRIDDEN|$FLASKSTACK_RELEASE|$HOME"'])
    argv[0] = sys.executable if not os.path.exists(argv[0]) else argv[0]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [str(workdir), "a b|setenv|abc-1|/root"]


BOOKWORM = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
"""
TRIXIE = """PRETTY_NAME="Debian GNU/Linux 13 (trixie)"
VERSION_ID="13"
VERSION_CODENAME=trixie
DEBIAN_VERSION_FULL=13.8
ID=debian
"""
CPUINFO = "processor\t: 0\nvendor_id\t: AuthenticAMD\n\nprocessor\t: 1\nvendor_id\t: AuthenticAMD\n"


def test_debian_facts_have_setups_names_and_values():
    # What ansible.builtin.setup reported on the bookworm test image (12.15, 2 vCPUs).
    assert hostops.debian_facts(BOOKWORM, "12.15\n", CPUINFO) == {
        "distribution": "Debian", "os_family": "Debian", "distribution_major_version": "12",
        "distribution_version": "12.15", "distribution_minor_version": "15",
        "distribution_release": "bookworm", "processor_vcpus": 2}


def test_debian_facts_take_the_full_version_from_os_release_when_debian_version_is_a_codename():
    facts = hostops.debian_facts(TRIXIE, "trixie/sid\n", CPUINFO)
    assert facts["distribution_version"] == "13.8" and facts["distribution_major_version"] == "13"
    assert facts["distribution_release"] == "trixie"


def test_debian_facts_leave_other_systems_to_setup():
    ubuntu = 'NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n'
    assert hostops.debian_facts(ubuntu, "trixie/sid\n", CPUINFO) is None
    assert hostops.debian_facts("ID=debian\n", "", CPUINFO) is None  # testing/sid: no VERSION_ID
    assert hostops.debian_facts("", "", "") is None


DPKG_STATUS = """Package: nginx
Status: install ok installed
Architecture: amd64
Version: 1.22.1-9+deb12u11
Description: small, powerful, scalable web/proxy server
 Nginx ("engine X") is a high-performance web and reverse proxy server
 Package: not-a-package
Conffiles:
 /etc/nginx/nginx.conf 3e3a1b2c

Package: apache2
Status: deinstall ok config-files
Architecture: amd64
Version: 2.4.62-1

Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9

Package: libc6
Status: install ok installed
Architecture: i386
Version: 2.36-9
"""


def test_dpkg_packages_has_package_facts_format_and_only_installed_ones():
    packages = hostops.dpkg_packages(DPKG_STATUS)
    assert sorted(packages) == ["libc6", "nginx"]  # apache2 left only its configuration
    assert packages["nginx"] == [{"name": "nginx", "version": "1.22.1-9+deb12u11", "arch": "amd64", "source": "apt"}]
    assert [p["arch"] for p in packages["libc6"]] == ["amd64", "i386"]


class FakeSystemctl:
    def __init__(self, answers):
        self.answers = answers

    def run_command(self, argv):
        return 0, self.answers[argv[-1]], ""


def test_unit_states_have_service_facts_format():
    module = FakeSystemctl({
        "nginx.service": "LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n",
        "hello.service": "LoadState=loaded\nActiveState=failed\nUnitFileState=disabled\n",
        "nosuch.service": "LoadState=not-found\nActiveState=inactive\nUnitFileState=\n",
    })
    states = hostops.unit_states(module, ["nginx.service", "hello.service", "nosuch.service"])
    assert states["nginx.service"] == {"name": "nginx.service", "source": "systemd", "status": "enabled", "state": "running"}
    assert (states["hello.service"]["state"], states["hello.service"]["status"]) == ("stopped", "disabled")
    assert states["nosuch.service"]["status"] == "not-found"
