#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: files
short_description: Put several files, directories and links in place in one call, each validated before it replaces the old one
version_added: 2.0.0
description:
  - The roles' configuration files (rendered on the controller with the C(template) lookup), their
    directories and links, in one round trip instead of one task (and one or two module calls) per file.
  - Items are processed in order. A file is written only when its content, owner, group or mode
    differ; new content goes to a temporary file beside the target, is checked with I(validate)
    when given (C(%s) is the temporary file), and is renamed over the target, so a bad file never
    reaches the disk and readers see the old or the new file, never half of one.
  - A failed validation stops the run there and names the file and the validator's output; items
    before it stay written.
author: flaskstack maintainers (@flaskstack)
attributes:
  check_mode:
    support: full
    description: Reports which items would change; writes nothing and validates nothing.
  diff_mode:
    support: full
    description: Unified diffs of the files that change (not of those marked I(secret)).
options:
  items:
    description: What to put in place, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      state:
        description: C(file) (with I(content)), C(directory), C(link) (to I(src)) or C(absent).
        type: str
        choices: [file, directory, link, absent]
        default: file
      content:
        description: Content of the file.
        type: str
      secret_content:
        description:
          - Content of a file that must never be shown, in place of I(content). Like I(secret), no
            diff; and the value is masked wherever the module reports its arguments or its result
            (C(no_log)), so that a secret file can go in the same call as files whose diffs and
            check failures are shown.
        type: str
      src:
        description: Target of the link.
        type: str
      owner:
        description: Owner (name or uid).
        type: str
        default: root
      group:
        description: Group (name or gid).
        type: str
        default: root
      mode:
        description: Octal mode, such as C("0644").
        type: str
      validate:
        description: Command run on the new content before it replaces the file; C(%s) is the temporary file. Run without a shell.
        type: str
      secret:
        description: Never show this file's content in a diff.
        type: bool
        default: false
  units:
    description:
      - systemd units whose state to return in C(units), read after the items are in place, in the
        same call. A caller that writes a service's files can then tell whether the service still
        needs a call of its own (to start, restart or reload it) or already runs as it should.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Write the units of hello
  flaskstack.deploy.files:
    items:
      - path: /etc/systemd/system/hello.socket
        content: "{{ lookup('ansible.builtin.template', 'etc/systemd/system/app.socket.j2') }}"
        mode: "0644"
      - path: /etc/systemd/system/hello.service
        content: "{{ lookup('ansible.builtin.template', 'etc/systemd/system/app.service.j2') }}"
        mode: "0644"
  register: hello_units

- name: A site, checked with the complete configuration first, and its link
  flaskstack.deploy.files:
    items:
      - path: /etc/nginx/sites-available/hello.conf
        content: "{{ lookup('ansible.builtin.template', 'app.conf.j2') }}"
        mode: "0644"
        validate: /usr/local/sbin/flaskstack-nginx-check %s /etc/nginx/sites-available/hello.conf
      - path: /etc/nginx/sites-enabled/hello.conf
        state: link
        src: ../sites-available/hello.conf
"""

RETURN = r"""
changed_paths:
  description: The paths that changed (or would change, in check mode), in order.
  returned: always
  type: list
  elements: str
units:
  description:
    - For each unit of I(units), its C(LoadState), C(ActiveState), C(SubState), C(UnitFileState) and
      C(NeedDaemonReload) as C(systemctl show) gives them (a unit systemd does not know has
      C(LoadState) C(not-found)).
  returned: always
  type: dict
  sample: {"hello.service": {"LoadState": "loaded", "ActiveState": "active", "SubState": "running",
           "UnitFileState": "enabled", "NeedDaemonReload": "no"}}
"""

import difflib
import grp
import os
import pwd
import shlex
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskstack.deploy.plugins.module_utils.hostops import unit_properties

UNIT_PROPS = ("LoadState", "ActiveState", "SubState", "UnitFileState", "NeedDaemonReload")


def _uid(owner):
    return int(owner) if str(owner).isdigit() else pwd.getpwnam(owner).pw_uid


def _gid(group):
    return int(group) if str(group).isdigit() else grp.getgrnam(group).gr_gid


def _mode(item, default):
    return int(str(item["mode"]), 8) if item.get("mode") else default


def _owned_ok(st, uid, gid, mode):
    return st.st_uid == uid and st.st_gid == gid and stat.S_IMODE(st.st_mode) == mode


class ItemError(Exception):
    pass


def put_file(module, item, uid, gid, diffs):
    secret = item["secret"] or item.get("secret_content") is not None
    text = item.get("content") if item.get("content") is not None else item.get("secret_content")
    path, content = item["path"], (text or "").encode("utf-8")
    mode = _mode(item, 0o644)
    try:
        st = os.lstat(path)
    except OSError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise ItemError("%s is a directory" % path)
    old = b""
    if st is not None and stat.S_ISREG(st.st_mode):
        with open(path, "rb") as handle:
            old = handle.read()
        if old == content and _owned_ok(st, uid, gid, mode):
            return False
    if module._diff and not secret:
        diffs.append("".join(difflib.unified_diff(
            old.decode("utf-8", "replace").splitlines(True), content.decode("utf-8", "replace").splitlines(True),
            "before: %s" % path, "after: %s" % path)))
    if module.check_mode:
        return True
    if st is not None and old == content and stat.S_ISREG(st.st_mode):
        os.chown(path, uid, gid)
        os.chmod(path, mode)
        return True
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chown(tmp, uid, gid)
        os.chmod(tmp, mode)
        if item.get("validate"):
            if "%s" not in item["validate"]:
                raise ItemError("validate for %s must contain %%s" % path)
            argv = [tmp if word == "%s" else word.replace("%s", tmp) for word in shlex.split(item["validate"])]
            rc, out, err = module.run_command(argv)
            if rc != 0:
                raise ItemError("%s did not pass its check (%s): %s" % (path, item["validate"], (err or out).strip()[-2000:]))
        os.rename(tmp, path)
        tmp = None
    finally:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
    return True


def put_directory(module, item, uid, gid):
    path, mode = item["path"], _mode(item, 0o755)
    try:
        st = os.lstat(path)
    except OSError:
        if not module.check_mode:
            os.makedirs(path, mode)
            os.chown(path, uid, gid)
            os.chmod(path, mode)
        return True
    if not stat.S_ISDIR(st.st_mode):
        raise ItemError("%s exists and is not a directory" % path)
    if _owned_ok(st, uid, gid, mode):
        return False
    if not module.check_mode:
        os.chown(path, uid, gid)
        os.chmod(path, mode)
    return True


def put_link(module, item, uid, gid):
    path, src = item["path"], item.get("src")
    if not src:
        raise ItemError("%s: a link needs src" % path)
    if os.path.islink(path) and os.readlink(path) == src:
        return False
    if os.path.isdir(path) and not os.path.islink(path):
        raise ItemError("%s is a directory, not a link" % path)
    if not module.check_mode:
        tmp = "%s.new-%d" % (path, os.getpid())
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(src, tmp)
        os.lchown(tmp, uid, gid)
        os.rename(tmp, path)
    return True


def put_absent(module, item):
    path = item["path"]
    if not os.path.lexists(path):
        return False
    if not module.check_mode:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            items=dict(type="list", elements="dict", required=True, options=dict(
                path=dict(type="path", required=True),
                state=dict(type="str", choices=["file", "directory", "link", "absent"], default="file"),
                content=dict(type="str"),
                secret_content=dict(type="str", no_log=True),
                src=dict(type="str"),
                owner=dict(type="str", default="root"),
                group=dict(type="str", default="root"),
                mode=dict(type="str"),
                validate=dict(type="str"),
                secret=dict(type="bool", default=False),
            )),
            units=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    changed_paths, diffs = [], []
    for item in module.params["items"]:
        try:
            uid, gid = _uid(item["owner"]), _gid(item["group"])
        except KeyError as exc:
            if module.check_mode:  # a user or group this run would create
                changed_paths.append(item["path"])
                continue
            module.fail_json(msg="%s: unknown owner or group %s" % (item["path"], exc), changed_paths=changed_paths)
        if item.get("mode") and not __import__("re").match(r"^0?[0-7]{3,4}$", str(item["mode"])):
            module.fail_json(msg="%s: mode must be octal such as '0644', got %r" % (item["path"], item["mode"]))
        try:
            if item["state"] == "file":
                changed = put_file(module, item, uid, gid, diffs)
            elif item["state"] == "directory":
                changed = put_directory(module, item, uid, gid)
            elif item["state"] == "link":
                changed = put_link(module, item, uid, gid)
            else:
                changed = put_absent(module, item)
        except (ItemError, OSError) as exc:
            module.fail_json(msg=str(exc), changed=bool(changed_paths), changed_paths=changed_paths)
        if changed:
            changed_paths.append(item["path"])
    units = {}
    for unit in module.params["units"]:
        rc, props, err = unit_properties(module, unit, UNIT_PROPS)
        if rc != 0:
            module.fail_json(msg="systemctl show %s failed: %s" % (unit, err.strip()), changed=bool(changed_paths),
                             changed_paths=changed_paths)
        units[unit] = props
    result = dict(changed=bool(changed_paths), changed_paths=changed_paths, units=units)
    if module._diff and diffs:
        result["diff"] = {"prepared": "\n".join(diffs)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
