#!/usr/bin/env python3
"""Runs INSIDE a test host (python3 - UNIT... < probe.py, as root): for each systemd unit, the
processes of its cgroup, the CPU time they used, and their memory. Prints one JSON object:
{"units": {UNIT: {"pids", "cpu_us", "cpu_source", "pss_kib", "rss_kib"}}, "loadavg", "time"}.

Processes are found by their cgroup (the systemd hierarchy: /proc/PID/cgroup), never by path or
name, so this does not depend on where an app is installed. CPU: the unit's cgroup counter
(cpuacct.usage on cgroup v1, cpu.stat usage_usec on v2) when systemd gave the unit its own
CPU cgroup, else the sum of utime+stime+cutime+cstime of its processes (cutime holds workers
that already exited). Memory: Pss from /proc/PID/smaps_rollup summed over the tree (shared
pages counted once), and the RSS sum for comparison."""
import json
import os
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return ""


def cgroups(pid):
    """{controller: path} of a process; "" is the unified (v2) hierarchy, "name=systemd" v1's."""
    out = {}
    for line in read("/proc/%s/cgroup" % pid).splitlines():
        _, ctrls, path = line.split(":", 2)
        for ctrl in ctrls.split(","):
            out[ctrl] = path
    return out


def unit_of(cg):
    path = cg.get("name=systemd", cg.get("", ""))
    part = path.rstrip("/").rsplit("/", 1)[-1]
    return part if part.endswith((".service", ".scope")) else None


def cgroup_cpu_us(pids, unit):
    """The unit's own CPU counter, or None when the unit has no CPU cgroup of its own."""
    for pid in pids:
        cg = cgroups(pid)
        path = cg.get("")
        if path and path.rstrip("/").endswith("/" + unit):
            # cgroup v2 (or the unified hierarchy of a hybrid v1 host): cpu.stat is always there.
            root = "/sys/fs/cgroup/unified" if os.path.isdir("/sys/fs/cgroup/unified") else "/sys/fs/cgroup"
            for line in read(root + path + "/cpu.stat").splitlines():
                if line.startswith("usage_usec "):
                    return float(line.split()[1])
        path = cg.get("cpuacct")
        if path and path.rstrip("/").endswith("/" + unit):
            for root in ("/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuacct"):
                text = read(root + path + "/cpuacct.usage")
                if text.strip():
                    return int(text) / 1000.0
    return None


def slots(unit):
    """Worker processes and threads per worker of a Gunicorn or uWSGI unit, read from its
    ExecStart and the config file that names (gunicorn -w/--threads/-c FILE, uwsgi --ini FILE)."""
    import shlex
    import subprocess

    text = subprocess.run(["systemctl", "show", "-p", "ExecStart", "--value", unit],
                          capture_output=True, text=True).stdout
    argv = text.split("argv[]=", 1)[1].split(" ;", 1)[0] if "argv[]=" in text else ""
    args = shlex.split(argv)
    conf, workers, threads = {}, None, None
    for i, arg in enumerate(args):
        nxt = args[i + 1] if i + 1 < len(args) else ""
        if arg in ("-w", "--workers"):
            workers = int(nxt)
        elif arg == "--threads":
            threads = int(nxt)
        elif arg in ("-c", "--config", "--ini") or arg.endswith((".ini", ".conf.py")):
            path = nxt if arg.startswith("-") else arg
            for line in read(path).splitlines():
                key, sep, value = line.partition("=")
                if sep:
                    conf[key.strip()] = value.strip().strip('"')
    if workers is None:
        workers = int(conf.get("workers", conf.get("processes", 1)))
    if threads is None:
        threads = int(conf.get("threads", 1))
    kind = "uwsgi" if "uwsgi" in argv else "gunicorn" if "gunicorn" in argv else "other"
    if kind == "gunicorn" and conf.get("worker_class", "gthread" if threads > 1 else "sync") == "sync":
        threads = 1  # gunicorn's sync worker ignores threads
    return {"kind": kind, "workers": workers, "threads": threads}


def main(units):
    if units and units[0] == "--slots":
        print(json.dumps({unit: slots(unit) for unit in units[1:]}))
        return
    members = {unit: [] for unit in units}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            unit = unit_of(cgroups(entry))
            if unit in members:
                members[unit].append(int(entry))
    result = {}
    for unit, pids in members.items():
        pss = rss = ticks = 0
        for pid in pids:
            for line in read("/proc/%d/smaps_rollup" % pid).splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1])
            stat = read("/proc/%d/stat" % pid)
            fields = stat[stat.rfind(")") + 2:].split()
            if len(fields) > 14:
                ticks += sum(int(x) for x in fields[11:15])
        cpu = cgroup_cpu_us(pids, unit)
        result[unit] = {"pids": sorted(pids), "pss_kib": pss, "rss_kib": rss,
                        "cpu_us": cpu if cpu is not None else ticks * 1e6 / HZ,
                        "cpu_source": "cgroup" if cpu is not None else "proc"}
    print(json.dumps({"units": result, "loadavg": read("/proc/loadavg").split()[:3], "time": time.time()}))


if __name__ == "__main__":
    main(sys.argv[1:])
