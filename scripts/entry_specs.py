#!/usr/bin/env python3
"""Write (or with --check, verify) the argument specs of the roles' secondary entry points.

Every entry point a playbook includes (`tasks_from`) gets a spec in the role's
meta/argument_specs.yml: its options are the role variables its task files read, with their
definitions copied from the `main` spec (the one place where a variable is described), plus the
facts an earlier step of the role set (EXTRA). A new variable in an entry point's tasks shows up
here on the next run; `--check` (make lint) fails when the file is out of date.
"""

import copy
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENTRY_POINTS = {
    "flask_app": {
        "switch": ("Run the before_switch hooks, check the new release in-process and switch current to it",
                   ["switch.yml"]),
        "verify": ("Check the live server through its socket", ["verify.yml"]),
        "finish": ("Record the release as live, run the after_switch hooks and prune old releases", ["finish.yml"]),
        "rollback": ("Put the previous release back after a failure, restart it, check it and fail the play",
                     ["rollback.yml", "restart.yml", "verify.yml"]),
        "roll_back": ("Roll back to the release before the live one (or flask_app_rollback_to), restart and check it",
                      ["roll_back.yml", "restart.yml", "verify.yml"]),
        "restart": ("Restart flask_app_service and check that it stays up", ["restart.yml"]),
    },
    "nginx": {
        "upstreams": ("Write the upstream block of each site, checked with the complete configuration", ["upstreams.yml", "render.yml"]),
    },
    "systemd_unit": {
        "units": ("Check the input and write the units, after the files handed over in systemd_unit_files_before; nothing started",
                  ["units.yml", "preflight.yml", "configure.yml"]),
        "service": ("Start, restart or reload the service and check that it stays up (after the units entry point)",
                    ["service.yml"]),
        "processes": ("The app's processes and timers as units from the same release, stale ones removed",
                      ["processes.yml"]),
        "remove": ("Stop, disable and remove every unit of the app", ["remove.yml"]),
    },
    "wsgi_server": {
        "preflight": ("Check the input and tell the other roles how the server runs (exec line, signals, requirement)",
                      ["preflight.yml"]),
        "configure": ("Write the server's configuration, checked by the server's own loader", ["configure.yml"]),
    },
}
EXTRA = {
    "flask_app_release": {"type": "str", "description": "Fact set by the main entry point: the release built in this run."},
    "flask_app_live_release": {"type": "str", "description": "Fact set by the main entry point: the release live before this run."},
    "flask_app_release_is_new": {"type": "bool", "description": "Fact set by the main entry point: the release is not the live one."},
    "flask_app_switched": {"type": "bool", "description": "Fact set by the switch entry point: current moved in this run."},
    "flask_app_failure": {"type": "str", "description": "What failed after the switch (the rollback entry point reports it)."},
    "nginx_upstreams_reload_now": {"type": "bool", "default": False,
                                   "description": "Reload nginx at once when an upstream changed (a rolling deploy) instead of through the handlers."},
}


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key, as yamllint wants them."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def referenced(role, files, known):
    names = set()
    for name in files:
        text = (ROOT / "roles" / role / "tasks" / name).read_text()
        names.update(re.findall(r"\b(%s_[a-z0-9_]+)\b" % role, text))
    return sorted(n for n in names if n in known)


def build(role):
    path = ROOT / "roles" / role / "meta" / "argument_specs.yml"
    specs = yaml.safe_load(path.read_text())
    main = specs["argument_specs"]["main"]["options"]
    known = set(main) | set(EXTRA)
    out = {"main": specs["argument_specs"]["main"]}
    for entry, (short, files) in ENTRY_POINTS.get(role, {}).items():
        options = {}
        for name in referenced(role, files, known):
            option = copy.deepcopy(main.get(name) or EXTRA[name])
            option.pop("required", None)  # set by the caller or by an earlier step
            options[name] = option
        out[entry] = {"short_description": short, "options": options}
    return path, out


def main():
    check = "--check" in sys.argv
    stale = []
    for role in ENTRY_POINTS:
        path, specs = build(role)
        text = "---\n" + yaml.dump({"argument_specs": specs}, Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=True)
        if check:
            if yaml.safe_load(path.read_text()) != {"argument_specs": specs}:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(text)
    if stale:
        sys.exit("out of date (run python3 scripts/entry_specs.py): " + ", ".join(stale))
    print("entry point specs up to date" if check else "entry point specs written")


if __name__ == "__main__":
    main()
