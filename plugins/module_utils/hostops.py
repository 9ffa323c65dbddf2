# -*- coding: utf-8 -*-
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).
"""Small host operations the flaskstack modules share: directories with owner and mode, the app's
system user and group, commands run as the app's user, the few facts of a Debian host the roles
read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import pwd
import re
import stat


def lookup_ids(user, group):
    """(uid, gid) of an existing user and group, or None where one does not exist."""
    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        uid = None
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        gid = None
    return uid, gid


def ensure_dir(path, uid, gid, mode, check_mode, changes):
    """A directory with this owner, group and mode; records in ``changes`` what it had to change.

    ``uid``/``gid`` None (a user that check mode did not create) skips the ownership check.
    """
    try:
        st = os.lstat(path)
    except OSError:
        changes.append("create directory %s" % path)
        if not check_mode:
            parent = os.path.dirname(path.rstrip("/"))
            if parent and not os.path.isdir(parent):
                os.makedirs(parent, 0o755)  # root's, traversable (/srv/flaskstack, /etc/flaskstack)
            os.mkdir(path, mode)
            os.chmod(path, mode)
            os.chown(path, -1 if uid is None else uid, -1 if gid is None else gid)
        return True
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise OSError("%s exists and is not a directory" % path)
    changed = False
    if stat.S_IMODE(st.st_mode) != mode:
        changes.append("mode of %s: %04o -> %04o" % (path, stat.S_IMODE(st.st_mode), mode))
        changed = True
        if not check_mode:
            os.chmod(path, mode)
    if (uid is not None and st.st_uid != uid) or (gid is not None and st.st_gid != gid):
        changes.append("owner of %s" % path)
        changed = True
        if not check_mode:
            os.chown(path, -1 if uid is None else uid, -1 if gid is None else gid)
    return changed


def ensure_system_user(module, name, group, home, comment, changes):
    """The app's system group and user (no login shell, no home created). Returns (uid, gid)."""
    uid, gid = lookup_ids(name, group)
    if gid is None:
        changes.append("create group %s" % group)
        if not module.check_mode:
            module.run_command(["groupadd", "--system", group], check_rc=True)
    if uid is None:
        changes.append("create user %s" % name)
        if not module.check_mode:
            module.run_command(["useradd", "--system", "--gid", group, "--home-dir", home, "--no-create-home",
                                "--shell", "/usr/sbin/nologin", "--comment", comment, name], check_rc=True)
    return lookup_ids(name, group)


def run_as_app_argv(run_script, user, group, env_files, chdir, setenv, command):
    """argv of a command run as the app's user with its environment (files/flaskstack-run.py)."""
    argv = ["/usr/bin/python3", run_script, "--user", user, "--group", group, "--chdir", chdir]
    for env_file in env_files:
        argv.append("--env-file=%s" % env_file)
    for name in sorted(setenv):
        argv += ["--setenv", "%s=%s" % (name, setenv[name])]
    return argv + ["--"] + list(command)


def unit_marker(name):
    """The line that marks a unit file as one of the app's processes or timers."""
    return "# flaskstack-managed-by %s" % name


def managed_units(unit_dir, name):
    """The unit files of an app's processes and timers that are on the host (NAME-PART.service|timer
    with the app's marker line)."""
    found = []
    pattern = re.compile(r"^%s-[a-z0-9_-]+\.(service|timer)$" % re.escape(name))
    try:
        entries = sorted(os.listdir(unit_dir))
    except OSError:
        return found
    for entry in entries:
        if not pattern.match(entry):
            continue
        try:
            with open(os.path.join(unit_dir, entry)) as handle:
                if unit_marker(name) in handle.read().splitlines():
                    found.append(entry)
        except (IOError, OSError):
            continue
    return found


def unit_properties(module, unit, names):
    """``systemctl show`` of the properties ``names`` of ``unit``: (rc, {name: value}), {} when it failed."""
    rc, out, err = module.run_command(["systemctl", "show", "--property=" + ",".join(names), unit])
    if rc != 0:
        return rc, {}, err
    return rc, dict(line.split("=", 1) for line in out.splitlines() if "=" in line), err


def _os_release(text):
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            values[key.strip()] = value.strip().strip("'\"")
    return values


def debian_facts(os_release, debian_version, cpuinfo):
    """The facts the roles read (with the names and values of Ansible's setup), from the text of
    /etc/os-release, /etc/debian_version and /proc/cpuinfo; None when the host is not Debian or the
    files do not say enough, so that the caller gathers them with setup instead."""
    release = _os_release(os_release or "")
    major = release.get("VERSION_ID", "")
    if release.get("ID") != "debian" or not major.isdigit():
        return None
    version = (debian_version or "").strip()
    if not re.match(r"^%s(\.[0-9]+)*$" % re.escape(major), version):
        version = release.get("DEBIAN_VERSION_FULL", "") or major
    vcpus = len(re.findall(r"^processor\s*:", cpuinfo or "", re.M)) or os.cpu_count() or 1
    facts = dict(
        distribution="Debian",
        os_family="Debian",
        distribution_major_version=major,
        distribution_version=version,
        distribution_release=release.get("VERSION_CODENAME", ""),
        processor_vcpus=vcpus,
    )
    if "." in version:
        facts["distribution_minor_version"] = version.split(".", 1)[1]
    return facts


def read_debian_facts():
    """debian_facts() of this host."""
    texts = []
    for path in ("/etc/os-release", "/etc/debian_version", "/proc/cpuinfo"):
        try:
            with open(path) as handle:
                texts.append(handle.read())
        except (IOError, OSError):
            texts.append("")
    return debian_facts(*texts)


def dpkg_packages(status_text):
    """The installed packages in the format of ansible.builtin.package_facts ({name: [{name, version,
    arch, source}]}), from the text of dpkg's status file."""
    packages = {}
    for block in status_text.split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if line[:1] in (" ", "\t"):
                continue  # a continuation line (descriptions, conffiles)
            key, sep, value = line.partition(":")
            if sep:
                fields[key] = value.strip()
        if fields.get("Package") and fields.get("Status", "").split()[-1:] == ["installed"]:
            packages.setdefault(fields["Package"], []).append(dict(
                name=fields["Package"], version=fields.get("Version", ""), arch=fields.get("Architecture", ""),
                source="apt"))
    return packages


def read_dpkg_packages(path="/var/lib/dpkg/status"):
    """dpkg_packages() of this host; None when dpkg's status file cannot be read."""
    try:
        with open(path) as handle:
            return dpkg_packages(handle.read())
    except (IOError, OSError):
        return None


def unit_states(module, units):
    """The state of these systemd units in the format of ansible.builtin.service_facts ({unit: {name,
    state, status, source}}): state running or stopped, status the unit file's state (enabled,
    disabled, ..., not-found for a unit systemd does not know)."""
    states = {}
    for unit in units:
        rc, props, dummy = unit_properties(module, unit, ("LoadState", "ActiveState", "UnitFileState"))
        if rc != 0:
            continue
        status = "not-found" if props.get("LoadState") == "not-found" else (props.get("UnitFileState") or "unknown")
        states[unit] = dict(name=unit, source="systemd", status=status,
                            state="running" if props.get("ActiveState") == "active" else "stopped")
    return states
