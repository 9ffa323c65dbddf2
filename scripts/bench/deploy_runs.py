#!/usr/bin/env python3
"""Summarise one ansible-playbook run of the deploy benchmark (scripts/bench/deploy.sh).

    deploy_runs.py count RUN.json          prints: remote-tasks changed failed
    deploy_runs.py report RUNS.jsonl OUT.md

RUN.json is the output of the ansible.posix.json callback. A task counts as remote when it ran
(not skipped) on a host with an action that executes there: everything but the controller-side
actions below.
"""

import json
import sys

LOCAL = {
    "set_fact", "debug", "assert", "fail", "include_tasks", "include_role", "import_tasks", "import_role",
    "meta", "include_vars", "validate_argument_spec", "add_host", "group_by", "pause",
}


def short(action):
    return action.rsplit(".", 1)[-1]


def count(path):
    with open(path) as handle:
        text = handle.read()
    data = json.loads(text[text.index("{"):])
    remote = changed = failed = 0
    for play in data.get("plays", []):
        for task in play.get("tasks", []):
            for result in task.get("hosts", {}).values():
                if result.get("skipped"):
                    continue
                items = result.get("results") if isinstance(result.get("results"), list) else None
                runs = [r for r in items if not r.get("skipped")] if items is not None else [result]
                delegated = task.get("task", {}).get("name", "")
                action = short(result.get("action", ""))
                if action in LOCAL or not delegated and action == "":
                    continue
                remote += len(runs)
                changed += sum(1 for r in runs if r.get("changed"))
                failed += sum(1 for r in runs if r.get("failed"))
    return remote, changed, failed


def report(path, out):
    runs = [json.loads(line) for line in open(path) if line.strip()]
    lines = ["| run | collection | pipelining | seconds | remote tasks | changed | target |", "|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append("| %s | %s | %s | %.1f | %d | %d | %s |" % (
            r["what"], r["collection"], "on" if r["pipelining"] else "off", r["seconds"], r["remote"], r["changed"],
            r.get("target", "")))
    text = "\n".join(lines) + "\n"
    with open(out, "w") as handle:
        handle.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    if sys.argv[1] == "count":
        print("%d %d %d" % count(sys.argv[2]))
    else:
        report(sys.argv[2], sys.argv[3])
