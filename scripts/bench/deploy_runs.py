#!/usr/bin/env python3
"""Summarise one ansible-playbook run of the deploy benchmark (scripts/bench/deploy.sh).

    deploy_runs.py count RUN.json          prints: remote-tasks changed failed
    deploy_runs.py calibrate RUN.json      prints: median ms of a module call on the host, of a controller-only task
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


def calibrate(path):
    """Median milliseconds of the ping tasks and of the set_fact tasks of scripts/bench/calibrate.yml."""
    from datetime import datetime
    with open(path) as handle:
        text = handle.read()
    data = json.loads(text[text.index("{"):])
    times = {"ping": [], "set_fact": []}
    for play in data.get("plays", []):
        for task in play.get("tasks", []):
            span = task["task"]["duration"]
            secs = (datetime.strptime(span["end"], "%Y-%m-%dT%H:%M:%S.%fZ")
                    - datetime.strptime(span["start"], "%Y-%m-%dT%H:%M:%S.%fZ")).total_seconds()
            for result in task.get("hosts", {}).values():
                action = short(result.get("action", ""))
                if action in times:
                    times[action].append(secs * 1000)
    return tuple(round(sorted(v)[len(v) // 2]) if v else 0 for v in (times["ping"], times["set_fact"]))


def report(path, out):
    records = [json.loads(line) for line in open(path) if line.strip()]
    runs = [r for r in records if "what" in r]
    calibrations = [r for r in records if "calibration" in r]
    lines = ["| run | collection | pipelining | seconds | remote tasks | changed | target |", "|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append("| %s | %s | %s | %.1f | %d | %d | %s |" % (
            r["what"], r["collection"], "on" if r["pipelining"] else "off", r["seconds"], r["remote"], r["changed"],
            r.get("target", "")))
    for c in calibrations:
        lines.append("")
        lines.append("What a task costs on this machine (%s, scripts/bench/calibrate.yml, medians): a module call on "
                     "the host %d ms, a controller-only task %d ms." % (c["calibration"], c["module_ms"], c["local_ms"]))
    text = "\n".join(lines) + "\n"
    with open(out, "w") as handle:
        handle.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    if sys.argv[1] == "count":
        print("%d %d %d" % count(sys.argv[2]))
    elif sys.argv[1] == "calibrate":
        print("%d %d" % calibrate(sys.argv[2]))
    else:
        report(sys.argv[2], sys.argv[3])
