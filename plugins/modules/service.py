#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: service
short_description: Start, restart or reload a flaskstack app's systemd service and prove it stayed up
version_added: 2.0.0
description:
  - >-
    The one path by which a flaskstack service is (re)started, in one call: deploys, automatic
    rollbacks and the rollback playbook all go through it.
  - Reloads systemd when the units changed (I(daemon_reload)) or when systemd says that a unit file
    changed on disk since it was loaded (C(NeedDaemonReload), for example units an earlier run wrote
    before it failed), and then restarts what changed; clears the failed state an earlier
    crash loop left (systemd would refuse to start it again), enables and starts the socket unit
    (restarted when it changed), then starts the service, or restarts it (I(restart)), or reloads it
    gracefully (I(reload); a restart when the server has no reload signal).
  - >-
    Then watches it for I(settle) seconds and fails when systemd had to restart it meanwhile (a
    server that reports ready and dies: an import error, a bad setting) or when it is not active.
author: flaskstack maintainers (@flaskstack)
attributes:
  check_mode:
    support: full
    description: Reports what it would do.
  diff_mode:
    support: full
    description: The service's state before and after.
options:
  name:
    description: The service unit (C(hello) or C(hello.service)).
    type: str
    required: true
  socket:
    description: Its socket unit (C(hello.socket)); empty = none.
    type: str
    default: ""
  daemon_reload:
    description: Reload systemd first (a unit file changed).
    type: bool
    default: false
  socket_changed:
    description: >-
      The socket unit changed: restart it.
    type: bool
    default: false
  restart:
    description: Restart the service (new code, new environment, new unit).
    type: bool
    default: false
  reload:
    description: Reload the service gracefully (new server settings), unless it is restarted anyway.
    type: bool
    default: false
  can_reload:
    description: The unit has an C(ExecReload=); false = a reload is a restart.
    type: bool
    default: true
  settle:
    description: Seconds to watch the service after this run started, restarted or reloaded it.
    type: float
    default: 3
  wait:
    description: Seconds to wait, after I(settle), for it to be active.
    type: float
    default: 10
  enabled:
    description: Enable the units at boot.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Restart hello on its new release and prove it stayed up
  flaskstack.deploy.service:
    name: hello
    socket: hello.socket
    restart: true
"""

RETURN = r"""
action:
  description: What was done to the service (none, started, restarted, reloaded).
  returned: always
  type: str
actions:
  description: Every systemctl action taken, in order.
  returned: always
  type: list
  elements: str
state:
  description: ActiveState/SubState afterwards.
  returned: always
  type: str
  sample: active/running
restarts:
  description: How often systemd restarted the service on its own since this run acted.
  returned: always
  type: int
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskstack.deploy.plugins.module_utils.hostops import unit_properties

PROPS = ("ActiveState", "SubState", "NRestarts", "UnitFileState", "LoadState", "NeedDaemonReload")


def show(module, unit):
    rc, props, err = unit_properties(module, unit, PROPS)
    if rc != 0:
        module.fail_json(msg="systemctl show %s failed: %s" % (unit, err.strip()))
    try:
        props["NRestarts"] = int(props.get("NRestarts") or 0)
    except ValueError:
        props["NRestarts"] = 0
    return props


def systemctl(module, actions, *args):
    actions.append(" ".join(args))
    if module.check_mode:
        return
    rc, out, err = module.run_command(["systemctl"] + list(args))
    if rc != 0:
        unit = args[-1]
        if args[0] in ("start", "restart", "reload") and unit.endswith(".service"):
            module.fail_json(
                msg="%s did not stay up after this run's change: systemctl %s failed: %s See journalctl -u %s. "
                    "Last lines:\n%s" % (unit, args[0], (err or out).strip(), unit, journal(module, unit)),
                actions=actions)
        module.fail_json(msg="systemctl %s failed: %s" % (" ".join(args), (err or out).strip()), actions=actions)


def journal(module, unit):
    rc, out, err = module.run_command(["journalctl", "--no-pager", "-n", "15", "-o", "cat", "-u", unit])
    return out.strip() if rc == 0 else ""


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            socket=dict(type="str", default=""),
            daemon_reload=dict(type="bool", default=False),
            socket_changed=dict(type="bool", default=False),
            restart=dict(type="bool", default=False),
            reload=dict(type="bool", default=False),
            can_reload=dict(type="bool", default=True),
            settle=dict(type="float", default=3.0),
            wait=dict(type="float", default=10.0),
            enabled=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    service = p["name"] if "." in p["name"] else p["name"] + ".service"
    sock = p["socket"]
    actions = []
    restart, socket_changed = p["restart"], p["socket_changed"]
    if p["daemon_reload"]:
        systemctl(module, actions, "daemon-reload")
    before = show(module, service)
    # Read once: neither a daemon-reload nor a reset-failed below changes what is decided from it
    # (enabled or not, active or not).
    sock_state = show(module, sock) if sock else {}
    if not p["daemon_reload"]:
        # Unit files that changed on disk since systemd loaded them, though this run did not
        # write them: a run that wrote them failed before it restarted the service.
        stale_socket = sock_state.get("NeedDaemonReload") == "yes"
        if before.get("NeedDaemonReload") == "yes" or stale_socket:
            systemctl(module, actions, "daemon-reload")
            before = before if module.check_mode else show(module, service)
            restart, socket_changed = True, socket_changed or stale_socket
    state_before = "%s/%s" % (before.get("ActiveState"), before.get("SubState"))
    if before.get("ActiveState") == "failed":
        systemctl(module, actions, "reset-failed", service, *([sock] if sock else []))
        before.update(ActiveState="inactive", NRestarts=0)

    if sock:
        if p["enabled"] and sock_state.get("UnitFileState") != "enabled":
            systemctl(module, actions, "enable", sock)
        if socket_changed and sock_state.get("ActiveState") == "active":
            systemctl(module, actions, "restart", sock)
            # The service requires its socket: it stopped with it.
            before = before if module.check_mode else show(module, service)
        elif sock_state.get("ActiveState") != "active":
            systemctl(module, actions, "start", sock)

    if p["enabled"] and before.get("UnitFileState") != "enabled":
        systemctl(module, actions, "enable", service)
    starting = before.get("ActiveState") not in ("active", "reloading", "activating") or restart or (
        p["reload"] and not p["can_reload"])
    if starting and before.get("NRestarts", 0) > 0 and not module.check_mode:
        # systemd's restart counter still counts an earlier crash loop (a stop does not reset it):
        # start this run's watch from zero.
        systemctl(module, actions, "reset-failed", service)
    if before.get("ActiveState") not in ("active", "reloading", "activating"):
        action = "started"
        systemctl(module, actions, "start", service)
    elif restart:
        action = "restarted"
        systemctl(module, actions, "restart", service)
    elif p["reload"]:
        action = "reloaded" if p["can_reload"] else "restarted"
        systemctl(module, actions, "reload" if p["can_reload"] else "restart", service)
    else:
        action = "none"

    result = dict(changed=bool(actions), action=action, actions=actions, state=state_before, restarts=0)
    if module.check_mode:
        module.exit_json(**result)

    # An explicit start or restart sets systemd's counter back to 0; a reload does not.
    allowed = 0 if action in ("started", "restarted") else before.get("NRestarts", 0)
    now = show(module, service)
    if action != "none" and p["settle"] > 0:
        deadline = time.monotonic() + p["settle"]
        while time.monotonic() < deadline and now["NRestarts"] <= allowed:
            time.sleep(0.25)
            now = show(module, service)
    deadline = time.monotonic() + p["wait"]
    while now.get("ActiveState") != "active" and now["NRestarts"] <= allowed and time.monotonic() < deadline:
        time.sleep(0.5)
        now = show(module, service)
    result.update(state="%s/%s" % (now.get("ActiveState"), now.get("SubState")),
                  restarts=max(0, now["NRestarts"] - allowed))
    if module._diff:
        result["diff"] = {"before": state_before + "\n", "after": result["state"] + "\n"}
    if now["NRestarts"] > allowed or now.get("ActiveState") != "active":
        module.fail_json(
            msg="%s did not stay up after this run's change (%s): systemd restarted it %d time(s) (now %s). "
                "See journalctl -u %s. Last lines:\n%s"
                % (service, action, result["restarts"], result["state"], service, journal(module, service)),
            **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
