#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: units
short_description: An app's worker processes and timers as systemd units, or every unit of an app removed
version_added: 2.0.0
description:
  - In one call, puts the unit files of an app's processes and timers in place (rendered on the
    controller), stops, disables and removes the ones of the app that are no longer described (found
    by their marker line), reloads systemd when a file changed, enables and starts what is described,
    and restarts the processes when asked (a new release passed its health check, or a rollback).
  - With I(state=absent), stops and disables every unit of the app (its processes, its timers and
    I(also), such as its web service and socket) and removes their files.
author: flaskstack maintainers (@flaskstack)
attributes:
  check_mode:
    support: full
    description: Reports what it would write, remove, start and restart.
  diff_mode:
    support: none
    description: The result lists the units written, removed, started and restarted; there is no diff.
options:
  name:
    description: The app; its units are C(NAME-PART.service) and C(NAME-PART.timer) with the line C(# flaskstack-managed-by NAME).
    type: str
    required: true
  state:
    description: C(present) for the described units, C(absent) to remove every unit of the app.
    type: str
    choices: [present, absent]
    default: present
  units:
    description: The unit files of the processes and timers.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: File name (C(shop-worker.service), C(shop-cleanup.timer)).
        type: str
        required: true
      content:
        description: Its content (with the marker line).
        type: str
        required: true
  start:
    description: Units to enable and start (the processes' services and the timers).
    type: list
    elements: str
    default: []
  restart:
    description: Units to restart when they were running (the processes, on new code or a rollback).
    type: list
    elements: str
    default: []
  restart_managed:
    description: Restart every process of the app that is there now (its C(NAME-PART.service) units that no timer runs), without writing any file (a rollback).
    type: bool
    default: false
  also:
    description: With I(state=absent), further units of the app to stop, disable and remove (C(NAME.service), C(NAME.socket)).
    type: list
    elements: str
    default: []
  unit_dir:
    description: Where the unit files are.
    type: path
    default: /etc/systemd/system
"""

EXAMPLES = r"""
- name: Run shop's worker and its nightly cleanup
  flaskstack.deploy.units:
    name: shop
    units:
      - name: shop-worker.service
        content: "{{ lookup('ansible.builtin.template', 'process.service.j2') }}"
    start: [shop-worker.service]
    restart: [shop-worker.service]

- name: Retire oldapp
  flaskstack.deploy.units:
    name: oldapp
    state: absent
    also: [oldapp.service, oldapp.socket]
"""

RETURN = r"""
written:
  description: Unit files written.
  returned: always
  type: list
  elements: str
removed:
  description: Units stopped, disabled and removed.
  returned: always
  type: list
  elements: str
started:
  description: Units started.
  returned: always
  type: list
  elements: str
restarted:
  description: Units restarted.
  returned: always
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskstack.deploy.plugins.module_utils.hostops import managed_units, unit_marker, unit_properties
from ansible_collections.flaskstack.deploy.plugins.module_utils.releases import write_file_atomic


def show(module, unit):
    return unit_properties(module, unit, ("ActiveState", "UnitFileState", "LoadState"))[1]


def systemctl(module, *args):
    if module.check_mode:
        return
    rc, out, err = module.run_command(["systemctl"] + list(args))
    if rc != 0:
        module.fail_json(msg="systemctl %s failed: %s" % (" ".join(args), (err or out).strip()))


def remove(module, unit_dir, units, result):
    for unit in units:
        state = show(module, unit)
        gone = state.get("LoadState") == "not-found" or state.get("ActiveState", "inactive") == "inactive"
        if gone and not os.path.exists(os.path.join(unit_dir, unit)):
            continue  # removed by an earlier run
        systemctl(module, "disable", "--now", unit)
        if not module.check_mode and os.path.exists(os.path.join(unit_dir, unit)):
            os.unlink(os.path.join(unit_dir, unit))
        result["removed"].append(unit)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            units=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True), content=dict(type="str", required=True))),
            start=dict(type="list", elements="str", default=[]),
            restart=dict(type="list", elements="str", default=[]),
            restart_managed=dict(type="bool", default=False),
            also=dict(type="list", elements="str", default=[]),
            unit_dir=dict(type="path", default="/etc/systemd/system"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    result = dict(changed=False, written=[], removed=[], started=[], restarted=[])
    unit_dir = p["unit_dir"]
    for unit in p["units"]:
        if unit_marker(p["name"]) not in unit["content"].splitlines():
            module.fail_json(msg="%s: the unit %s lacks its marker line %r" % (p["name"], unit["name"], unit_marker(p["name"])))
    existing = managed_units(unit_dir, p["name"])

    if p["state"] == "absent":
        # Timers first, so that none starts its service while it is being removed.
        ordered = sorted(existing, key=lambda u: not u.endswith(".timer")) + p["also"]
        remove(module, unit_dir, ordered, result)
        if result["removed"]:
            systemctl(module, "daemon-reload")
            systemctl(module, "reset-failed")
        result["changed"] = bool(result["removed"])
        module.exit_json(**result)

    if p["restart_managed"]:
        timers = {u[:-len(".timer")] for u in existing if u.endswith(".timer")}
        for unit in existing:
            if unit.endswith(".service") and unit[:-len(".service")] not in timers:
                if show(module, unit).get("ActiveState") in ("active", "activating", "reloading", "failed"):
                    systemctl(module, "restart", unit)
                    result["restarted"].append(unit)
        result["changed"] = bool(result["restarted"])
        module.exit_json(**result)

    wanted = {unit["name"]: unit["content"] for unit in p["units"]}
    stale = [unit for unit in existing if unit not in wanted]
    remove(module, unit_dir, sorted(stale, key=lambda u: not u.endswith(".timer")), result)
    for name, content in sorted(wanted.items()):
        path = os.path.join(unit_dir, name)
        try:
            with open(path) as handle:
                same = handle.read() == content
        except (IOError, OSError):
            same = False
        if not same:
            result["written"].append(name)
            if not module.check_mode:
                write_file_atomic(path, content)
    if result["written"] or result["removed"]:
        systemctl(module, "daemon-reload")

    for unit in p["start"]:
        state = show(module, unit) if not module.check_mode or unit not in result["written"] else {}
        if state.get("UnitFileState") != "enabled":
            systemctl(module, "enable", unit)
            result["changed"] = True
        if state.get("ActiveState") not in ("active", "activating", "reloading"):
            systemctl(module, "start", unit)
            result["started"].append(unit)
        elif unit in result["written"] or unit in p["restart"]:
            systemctl(module, "restart", unit)
            result["restarted"].append(unit)
    result["changed"] = result["changed"] or bool(result["written"] or result["removed"] or result["started"]
                                                  or result["restarted"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
