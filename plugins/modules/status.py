#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: status
short_description: Report the live release, the units and the health of each flaskstack app on a host
version_added: 2.0.0
description:
  - For each app, in one call, reads its live release (the C(current) link), what it was built from
    (the release's marker), when it went live, the release before it in the history, the state of
    its units, and asks its health check path through its socket.
  - Changes nothing. An app whose service is not active or whose health check fails is reported as
    unhealthy; the module itself does not fail for it (the status playbook does, after printing all).
author: flaskstack maintainers (@flaskstack)
attributes:
  check_mode:
    support: full
    description: The same report in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
options:
  apps:
    description: The apps to report on.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The app's name.
        type: str
        required: true
      root:
        description: The app's directory (C(current), C(releases/)).
        type: path
        required: true
      units:
        description: Its systemd units.
        type: list
        elements: str
        default: []
      address:
        description: Where its server listens (unix socket path or host:port); empty = no health check.
        type: str
        default: ""
      protocol:
        description: What the server speaks there.
        type: str
        choices: [http, uwsgi]
        default: http
      path:
        description: Health check path.
        type: str
        default: /
      status:
        description: Expected status.
        type: int
        default: 200
      host:
        description: Host header.
        type: str
        default: localhost
  timeout:
    description: Seconds the health check of each app may take.
    type: float
    default: 5
"""

EXAMPLES = r"""
- name: Read the status of hello
  flaskstack.deploy.status:
    apps:
      - name: hello
        root: /srv/flaskstack/hello
        units: [hello.service, hello.socket]
        address: /run/flaskstack/hello.sock
        path: /healthz
  register: hello_status
"""

RETURN = r"""
apps:
  description: One entry per app.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The app.
      type: str
    live_release:
      description: The live release ('' when none).
      type: str
    source:
      description: What the live release was built from (repository, version and commit, or the archive).
      type: str
    commit:
      description: The git commit of the live release.
      type: str
    version:
      description: The version the deploy asked for.
      type: str
    live_since:
      description: When C(current) was last switched (UTC, ISO 8601).
      type: str
    previous:
      description: The release live before it (from the history), '' when none.
      type: str
    units:
      description: ActiveState/SubState of each unit.
      type: dict
    health:
      description: The health check's answer, or why it failed.
      type: str
    healthy:
      description: Every unit active (a service), and the health check answered as expected.
      type: bool
unhealthy:
  description: Names of the apps that are not healthy.
  returned: always
  type: list
  elements: str
"""

import json
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskstack.deploy.plugins.module_utils import health, hostops, releases


def unit_state(module, unit):
    props = hostops.unit_properties(module, unit, ("ActiveState", "SubState", "LoadState"))[1]
    if props.get("LoadState") == "not-found":
        return "not-found"
    return "%s/%s" % (props.get("ActiveState", "unknown"), props.get("SubState", "unknown"))


def app_status(module, app, timeout):
    root = app["root"]
    releases_dir = os.path.join(root, "releases")
    current = os.path.join(root, "current")
    live = releases.live_release(current)
    entry = dict(name=app["name"], live_release=live, source="", commit="", version="", live_since="",
                 previous="", units={}, health="", healthy=False)
    if live:
        try:
            with open(os.path.join(releases_dir, live, releases.MARKER)) as handle:
                marker = json.load(handle)
            entry.update(source=marker.get("source", ""), commit=marker.get("commit", ""),
                         version=marker.get("version", ""))
        except (IOError, OSError, ValueError):
            entry["source"] = "(no marker: not a complete release)"
        entry["live_since"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.lstat(current).st_mtime))
        history = releases.read_history(releases_dir)
        if live in history:
            history = history[:len(history) - 1 - history[::-1].index(live)]
        entry["previous"] = history[-1] if history else ""
    for unit in app["units"]:
        entry["units"][unit] = unit_state(module, unit)
    services_up = all(state.startswith("active/") for unit, state in entry["units"].items()
                      if unit.endswith(".service"))
    if not services_up:
        # Asking the socket would start the service through socket activation: a report changes nothing.
        ok, entry["health"] = False, "not asked: the service is not active"
    elif app["address"]:
        ok, message, dummy = health.check(app["address"], app["protocol"], app["path"], app["status"], app["host"],
                                          timeout)
        entry["health"] = message
    else:
        ok, entry["health"] = True, "no health check"
    entry["healthy"] = bool(live) and services_up and ok
    return entry


def main():
    module = AnsibleModule(
        argument_spec=dict(
            apps=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                root=dict(type="path", required=True),
                units=dict(type="list", elements="str", default=[]),
                address=dict(type="str", default=""),
                protocol=dict(type="str", choices=["http", "uwsgi"], default="http"),
                path=dict(type="str", default="/"),
                status=dict(type="int", default=200),
                host=dict(type="str", default="localhost"),
            )),
            timeout=dict(type="float", default=5.0),
        ),
        supports_check_mode=True,
    )
    apps = [app_status(module, app, module.params["timeout"]) for app in module.params["apps"]]
    module.exit_json(changed=False, apps=apps, unhealthy=[a["name"] for a in apps if not a["healthy"]])


if __name__ == "__main__":
    main()
