#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: lock
short_description: Take or release the deploy lock of a host
version_added: 2.0.0
description:
  - A run of the site playbook takes this lock on every host it changes, before it changes anything,
    and releases it at the end, so that two runs (two operators, or a CI job and a person) never
    interleave their switches and restarts on one host.
  - The lock is a file created with O_EXCL that names its holder (controller host, user, start time,
    playbook, the controller's process). Taking a lock someone else holds fails with who holds it.
  - A lock older than I(timeout) seconds, or whose holder the caller found gone (I(holder_gone)), is
    reported as stale; it is broken only when I(break_stale) is set.
  - >-
    Taking and releasing report no change: the same run releases what it took, and the host's state
    is what it was (a no-change run stays C(changed=0)).
author: flaskstack maintainers (@flaskstack)
attributes:
  check_mode:
    support: full
    description: Reports whether the lock could be taken; takes and releases nothing.
  diff_mode:
    support: none
    description: Taking and releasing report no change, so there is no diff.
options:
  path:
    description: The lock file.
    type: path
    default: /var/lib/flaskstack/deploy.lock
  state:
    description: C(present) takes the lock (again, for the same I(run_id)), C(absent) releases it when this run holds it.
    type: str
    choices: [present, absent]
    default: present
  run_id:
    description: Identifies the run that takes the lock.
    type: str
    required: true
  holder:
    description: Who takes the lock, written into it (controller, user, started, playbook, pid).
    type: dict
    default: {}
  timeout:
    description: Seconds after which a lock counts as stale.
    type: int
    default: 3600
  holder_gone:
    description: The caller found the lock's holder gone (its process on the same controller ended).
    type: bool
    default: false
  break_stale:
    description: Break a stale lock and take it.
    type: bool
    default: false
  facts:
    description:
      - Also return, as I(ansible_facts), the facts of a Debian host that the collection's roles read
        (C(distribution), C(distribution_major_version), C(distribution_version),
        C(distribution_release), C(os_family), C(processor_vcpus)), with the names and values of
        M(ansible.builtin.setup), read from C(/etc/os-release), C(/etc/debian_version) and
        C(/proc/cpuinfo); the installed packages as C(packages), in the format of
        M(ansible.builtin.package_facts), read from dpkg's status file; and the state of the
        I(units) as C(services), in the format of M(ansible.builtin.service_facts). The run then
        needs no separate fact gathering, and the roles ask neither dpkg nor systemd again. On a
        host that is not Debian nothing is returned (the roles gather their facts and refuse it).
    type: bool
    default: false
  units:
    description: With I(facts), the systemd units whose state to return in C(services).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Take the deploy lock
  flaskstack.deploy.lock:
    run_id: "{{ run_id }}"
    holder: {controller: "{{ lookup('ansible.builtin.pipe', 'hostname') }}", playbook: site.yml}

- name: Release it
  flaskstack.deploy.lock:
    run_id: "{{ run_id }}"
    state: absent
"""

RETURN = r"""
acquired:
  description: Whether this run holds the lock now.
  returned: always
  type: bool
holder:
  description: Who holds the lock (the other run's holder when it could not be taken).
  returned: always
  type: dict
released:
  description: Whether this run released the lock (I(state=absent)).
  returned: when released
  type: bool
stale:
  description: Whether the lock found was stale (too old or its holder gone).
  returned: always
  type: bool
age:
  description: Seconds since the lock found was taken.
  returned: always
  type: int
ansible_facts:
  description: The host's facts (with I(facts), on Debian).
  returned: when I(facts) is set and the host runs Debian
  type: dict
  sample:
    distribution: Debian
    distribution_major_version: "12"
    distribution_version: "12.8"
    processor_vcpus: 2
    packages: {nginx: [{name: nginx, version: 1.22.1-9+deb12u11, arch: amd64, source: apt}]}
    services: {nginx.service: {name: nginx.service, state: running, status: enabled, source: systemd}}
"""

import json
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskstack.deploy.plugins.module_utils.hostops import read_debian_facts, read_dpkg_packages, unit_states


def read_lock(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (IOError, OSError, ValueError):
        return None


def write_lock(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
        handle.write("\n")


def describe(holder, age):
    return "%s@%s, playbook %s, started %s (%d s ago, run %s)" % (
        holder.get("user", "?"), holder.get("controller", "?"), holder.get("playbook", "?"),
        holder.get("started", "?"), age, holder.get("run_id", "?"))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/var/lib/flaskstack/deploy.lock"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            run_id=dict(type="str", required=True),
            holder=dict(type="dict", default={}),
            timeout=dict(type="int", default=3600),
            holder_gone=dict(type="bool", default=False),
            break_stale=dict(type="bool", default=False),
            facts=dict(type="bool", default=False),
            units=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    path = p["path"]
    current = read_lock(path)
    now = time.time()
    age = int(now - current.get("taken", now)) if current else 0
    result = dict(changed=False, acquired=False, holder=current or {}, stale=False, age=age)
    if p["facts"]:
        facts = read_debian_facts()
        packages = read_dpkg_packages() if facts else None
        if facts and packages is not None:
            facts.update(packages=packages, services=unit_states(module, p["units"]))
            result["ansible_facts"] = facts

    if p["state"] == "absent":
        if current and current.get("run_id") == p["run_id"]:
            result["released"] = True
            if not module.check_mode:
                os.unlink(path)
        module.exit_json(**result)

    if current and current.get("run_id") == p["run_id"]:
        result["acquired"] = True
        module.exit_json(**result)
    if current:
        stale = age > p["timeout"] or p["holder_gone"]
        result["stale"] = stale
        if not (stale and p["break_stale"]):
            why = ("older than %d s" % p["timeout"]) if age > p["timeout"] else "its holder is gone"
            module.fail_json(
                msg="this host is being deployed by another run: %s. %s" % (
                    describe(current, age),
                    ("The lock is stale (%s): break it with -e flaskstack_break_lock=true." % why) if stale else
                    "Nothing was changed; run again when it has finished."),
                **result)
    if module.check_mode:
        result["acquired"] = True
        module.exit_json(**result)
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        os.makedirs(parent, 0o755)
    data = dict(p["holder"], run_id=p["run_id"], taken=now)
    try:
        if current:
            os.unlink(path)  # a stale lock, broken on request
        write_lock(path, data)
    except OSError as exc:
        other = read_lock(path) or {}
        module.fail_json(msg="this host is being deployed by another run: %s (%s)" % (describe(other, 0), exc),
                         acquired=False, holder=other, stale=False, age=0)
    result.update(acquired=True, holder=data)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
