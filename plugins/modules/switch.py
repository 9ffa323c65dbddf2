#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 flaskstack maintainers. MIT License (see LICENSE).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: switch
short_description: Switch a flaskstack app to a release, record it as live, or roll it back
version_added: 2.0.0
description:
  - Moves the C(current) link of an app (the live release) in one step, with rename(2), so that no
    request ever sees no link or half a switch; the service is restarted by
    M(flaskstack.deploy.service), the release checked by M(flaskstack.deploy.health).
  - >-
    I(state=switched) runs the I(hooks) (before_switch: migrations, collectstatic) in the new
    release as the app's user, checks the release in-process with its own Python (I(check)), then
    points C(current) at it. A failure leaves C(current) where it was.
  - I(state=live) records the live release in the history (C(releases/.history), the releases that
    went live and passed their health check), runs the I(hooks) (after_switch) and prunes old
    releases, keeping I(keep) (the live one always).
  - I(state=rolled_back) points C(current) at I(to), or at the newest release of the history that is
    not the live one, and makes the history forget what came after it.
author: flaskstack maintainers (@flaskstack)
attributes:
  check_mode:
    support: full
    description: Reports what it would switch, run and prune; runs no hook.
  diff_mode:
    support: full
    description: The live release before and after.
options:
  name:
    description: The app's name (messages).
    type: str
    required: true
  root:
    description: The app's directory.
    type: path
    required: true
  releases_dir:
    description: Directory of the releases. Default I(root)/releases.
    type: path
  current:
    description: The link to the live release. Default I(root)/current.
    type: path
  shared_dir:
    description: The shared directory (a hook's C(creates) is relative to it). Default I(root)/shared.
    type: path
  state:
    description: What to do.
    type: str
    choices: [switched, live, rolled_back]
    default: switched
  release:
    description: The release to switch to (I(state=switched)) or to record (I(state=live), default the live one).
    type: str
    default: ""
  to:
    description: With I(state=rolled_back), the release to go back to; empty = the newest of the history that is not live.
    type: str
    default: ""
  hooks:
    description: Commands run as the app's user, in the release, with its environment and its virtualenv first on PATH.
    type: list
    elements: dict
    default: []
    suboptions:
      cmd:
        description: Shell command.
        type: str
        required: true
      creates:
        description: Path relative to I(shared_dir); the command runs only while it does not exist.
        type: str
        default: ""
  check:
    description: In-process check of the new release before the switch (I(state=switched)); empty = none.
    type: dict
    suboptions:
      entry:
        description: WSGI entry point, module:callable or module:factory(...).
        type: str
        required: true
      path:
        description: Path requested.
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
  user:
    description: The app's user (hooks and the check run as it).
    type: str
  group:
    description: The app's group.
    type: str
  env_files:
    description: Environment files read for the hooks and the check, in order (a name starting with C(-) may be missing), as the unit reads them.
    type: list
    elements: str
    default: []
  keep:
    description: Releases kept by I(state=live), the live one included.
    type: int
    default: 5
  snapshot:
    description: >-
      With I(state=switched), before the first hook runs, copy these shared directories (SQLite databases with
      SQLite's online backup, other files as they are) to I(root)/snapshots/I(release); restored when a hook or the
      check fails. Empty = no snapshot.
    type: dict
    suboptions:
      paths:
        description: The shared directories (relative to I(shared_dir)).
        type: list
        elements: str
        required: true
      keep:
        description: Snapshots kept.
        type: int
        default: 3
      max_size:
        description: Bytes above which the snapshot is skipped (the result says so).
        type: int
        default: 1073741824
  restore:
    description: With I(state=rolled_back), restore the shared data from the snapshot taken before the release rolled back from.
    type: bool
    default: false
  scripts_dir:
    description: Where the role installed C(flaskstack-run.py) and C(flaskstack-health.py).
    type: path
    default: /usr/local/lib/flaskstack
"""

EXAMPLES = r"""
- name: Run the migrations, check and switch to the new release
  flaskstack.deploy.switch:
    name: hello
    root: /srv/flaskstack/hello
    release: "{{ hello_release.release }}"
    user: hello
    group: hello
    env_files: [-/etc/flaskstack/hello/secret_key.env, /etc/flaskstack/hello/env]
    hooks: [{cmd: flask --app app db upgrade}]
    check: {entry: "app:app", path: /health}

- name: Record it once it answers its health check
  flaskstack.deploy.switch:
    name: hello
    root: /srv/flaskstack/hello
    state: live
    keep: 5

- name: Go back to the release before
  flaskstack.deploy.switch:
    name: hello
    root: /srv/flaskstack/hello
    state: rolled_back
"""

RETURN = r"""
live_release:
  description: The live release after this run.
  returned: always
  type: str
previous:
  description: The live release before this run ('' on a first deploy).
  returned: always
  type: str
switched:
  description: Whether C(current) moved.
  returned: always
  type: bool
hooks_run:
  description: The hooks that ran (their commands), in order.
  returned: always
  type: list
  elements: str
pruned:
  description: The releases removed (I(state=live)).
  returned: always
  type: list
  elements: str
snapshot:
  description: Whether a snapshot of the shared data was taken before the hooks (and where), or why not.
  returned: when hooks ran with I(snapshot)
  type: str
restored:
  description: What was restored from the snapshot (I(restore)).
  returned: when I(restore)
  type: str
history:
  description: The history after this run, oldest first.
  returned: always
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskstack.deploy.plugins.module_utils import hostops, releases, snapshots


class StepError(Exception):
    pass


def _tail(text, limit=1500):
    text = (text or "").strip()
    return text if len(text) <= limit else "..." + text[-limit:]


def run_hooks(module, p, release_dir, release, hooks_run):
    for hook in p["hooks"]:
        if hook.get("creates") and os.path.exists(os.path.join(p["shared_dir"], hook["creates"])):
            continue
        argv = hostops.run_as_app_argv(
            os.path.join(p["scripts_dir"], "flaskstack-run.py"), p["user"], p["group"], p["env_files"], release_dir,
            {"PATH": "%s/venv/bin:/usr/local/bin:/usr/bin:/bin" % release_dir, "VIRTUAL_ENV": "%s/venv" % release_dir,
             "FLASKSTACK_RELEASE": release, "FLASKSTACK_SHARED_DIR": p["shared_dir"]},
            ["/bin/sh", "-c", hook["cmd"]])
        rc, out, err = module.run_command(argv)
        hooks_run.append(hook["cmd"])
        if rc != 0:
            raise StepError("the hook %r failed (rc=%d): %s" % (hook["cmd"], rc, _tail(err or out)))


def hooks_to_run(p):
    return [h for h in p["hooks"] if not (h.get("creates") and os.path.exists(os.path.join(p["shared_dir"], h["creates"])))]


def snapshot_dir(p, release):
    return os.path.join(p["root"], "snapshots", release)


def take_snapshot(p, release):
    """The shared directories copied before the hooks of ``release`` run; a message for the result."""
    snap = p["snapshot"]
    size = snapshots.tree_size(p["shared_dir"], snap["paths"])
    if size > snap["max_size"]:
        return "skipped: the shared directories hold %d bytes, more than flask_app_snapshot_max_size (%d)" % (
            size, snap["max_size"])
    top = os.path.join(p["root"], "snapshots")
    if not os.path.isdir(top):
        os.mkdir(top, 0o700)
    copied = snapshots.take(p["shared_dir"], snap["paths"], snapshot_dir(p, release))
    snapshots.prune(top, snap["keep"], protect=(release,))
    return "taken: %d files (%d bytes) in %s" % (copied, size, snapshot_dir(p, release))


def restore_snapshot(p, release):
    where = snapshot_dir(p, release)
    if not os.path.isdir(where):
        return "no snapshot was taken before release %s: the shared data is as it is" % release
    uid, gid = hostops.lookup_ids(p["user"], p["group"])
    count = snapshots.restore(where, p["shared_dir"], p["snapshot"]["paths"] if p["snapshot"] else
                              sorted(os.listdir(where)), uid if uid is not None else 0, gid if gid is not None else 0)
    return "restored %d files of the shared data from the snapshot taken before release %s" % (count, release)


def precheck(module, p, release_dir):
    check = p["check"]
    argv = hostops.run_as_app_argv(
        os.path.join(p["scripts_dir"], "flaskstack-run.py"), p["user"], p["group"], p["env_files"], release_dir, {},
        [os.path.join(release_dir, "venv", "bin", "python"), os.path.join(p["scripts_dir"], "flaskstack-health.py"),
         "--entry", check["entry"], "--path", check["path"], "--status", str(check["status"]), "--host", check["host"]])
    rc, out, err = module.run_command(argv)
    if rc != 0:
        raise StepError("the check before the switch failed: %s" % _tail(err or out))
    return out.strip()


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            root=dict(type="path", required=True),
            releases_dir=dict(type="path"),
            current=dict(type="path"),
            shared_dir=dict(type="path"),
            state=dict(type="str", choices=["switched", "live", "rolled_back"], default="switched"),
            release=dict(type="str", default=""),
            to=dict(type="str", default=""),
            hooks=dict(type="list", elements="dict", default=[], options=dict(
                cmd=dict(type="str", required=True), creates=dict(type="str", default=""))),
            check=dict(type="dict", options=dict(
                entry=dict(type="str", required=True), path=dict(type="str", default="/"),
                status=dict(type="int", default=200), host=dict(type="str", default="localhost"))),
            user=dict(type="str"),
            group=dict(type="str"),
            env_files=dict(type="list", elements="str", default=[]),
            keep=dict(type="int", default=5),
            snapshot=dict(type="dict", options=dict(
                paths=dict(type="list", elements="str", required=True),
                keep=dict(type="int", default=3),
                max_size=dict(type="int", default=1073741824))),
            restore=dict(type="bool", default=False),
            scripts_dir=dict(type="path", default="/usr/local/lib/flaskstack"),
        ),
        required_if=[("state", "switched", ("release",))],
        supports_check_mode=True,
    )
    p = module.params
    p["releases_dir"] = p["releases_dir"] or os.path.join(p["root"], "releases")
    p["current"] = p["current"] or os.path.join(p["root"], "current")
    p["shared_dir"] = p["shared_dir"] or os.path.join(p["root"], "shared")
    p["user"] = p["user"] or p["name"]
    p["group"] = p["group"] or p["user"]
    if (p["hooks"] or p["check"]) and p["state"] != "rolled_back":
        if not os.path.isfile(os.path.join(p["scripts_dir"], "flaskstack-run.py")) and not module.check_mode:
            module.fail_json(msg="%s: %s/flaskstack-run.py is missing (installed by the flask_app role)"
                             % (p["name"], p["scripts_dir"]))

    live = releases.live_release(p["current"])
    history = releases.read_history(p["releases_dir"])
    result = dict(changed=False, previous=live, live_release=live, switched=False, hooks_run=[], pruned=[],
                  history=history)
    try:
        if p["state"] == "switched":
            release = p["release"]
            release_dir = os.path.join(p["releases_dir"], release)
            if release != live:
                if not releases.is_complete(p["releases_dir"], release) and not module.check_mode:
                    raise StepError("release %s is not a complete release in %s" % (release, p["releases_dir"]))
                result["changed"] = True
                if not module.check_mode:
                    if p["snapshot"] and p["snapshot"]["paths"] and hooks_to_run(p):
                        result["snapshot"] = take_snapshot(p, release)
                    try:
                        run_hooks(module, p, release_dir, release, result["hooks_run"])
                        if p["check"]:
                            result["check"] = precheck(module, p, release_dir)
                    except StepError as exc:
                        # What the hooks did to the data goes too: the release stays out.
                        if result["hooks_run"] and result.get("snapshot", "").startswith("taken"):
                            raise StepError("%s; %s" % (exc, restore_snapshot(p, release)))
                        raise
                    releases.point_link(p["current"], release_dir)
                # only once current moved: a failed hook or check returns switched false, the old live release
                result.update(switched=True, live_release=release)
        elif p["state"] == "live":
            release = p["release"] or live
            if not release:
                raise StepError("no live release to record")
            if not history or history[-1] != release:
                history = history + [release]
                result["changed"] = True
                if not module.check_mode:
                    releases.write_history(p["releases_dir"], history)
            if p["hooks"] and not module.check_mode:
                run_hooks(module, p, os.path.join(p["releases_dir"], release), release, result["hooks_run"])
                result["changed"] = result["changed"] or bool(result["hooks_run"])  # not when creates skipped them all
            pruned = releases.releases_to_prune(p["releases_dir"], live or release, history, p["keep"])
            if pruned:
                result["changed"] = True
                if not module.check_mode:
                    for name in pruned:
                        releases.remove_tree(os.path.join(p["releases_dir"], name))
            result.update(pruned=pruned, history=history[-releases.HISTORY_LIMIT:])
        else:
            target = p["to"] or releases.rollback_target(history, live, p["releases_dir"])
            if p["to"] and p["to"] == live:
                # Already there (a second run): nothing to do.
                result.update(live_release=live)
                if module._diff:
                    result["diff"] = {"before": "current -> %s\n" % live, "after": "current -> %s\n" % live}
                module.exit_json(**result)
            if not target or target == live:
                raise StepError("cannot roll back from %s: no earlier release in the history (history, oldest first: %s)"
                                % (live or "nothing", ", ".join(history) or "empty"))
            if not releases.is_complete(p["releases_dir"], target):
                raise StepError("cannot roll back from %s: release %s is not a complete release in %s"
                                % (live or "nothing", target, p["releases_dir"]))
            new_history = releases.history_after_rollback(history, target)
            result.update(changed=True, switched=True, live_release=target, history=new_history)
            if not module.check_mode:
                releases.point_link(p["current"], os.path.join(p["releases_dir"], target))
                if new_history != history:
                    releases.write_history(p["releases_dir"], new_history)
                if p["restore"]:
                    result["restored"] = restore_snapshot(p, live)
    except (StepError, OSError) as exc:
        if p["state"] == "switched":
            module.fail_json(msg="%s: release %s was not switched in: %s. current still points to %s; nothing was "
                             "reloaded." % (p["name"], p["release"], exc, live or "nothing (first deploy)"), **result)
        module.fail_json(msg="%s: %s" % (p["name"], exc), **result)
    if module._diff:
        result["diff"] = {"before": "current -> %s\n" % (result["previous"] or "(none)"),
                          "after": "current -> %s\n" % (result["live_release"] or "(none)")}
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
