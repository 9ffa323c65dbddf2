#!/usr/bin/env python3
"""make bench, the measuring part: wrk against the collection's stacks and the hand-made ones,
interleaved, with repetitions; a slow-client test; a markdown report and a PNG chart.

  bench.py run --out DIR [--deploy-times FILE]   measure (the test hosts must be up: bench.sh)
  bench.py render DIR                            write DIR/report.md and DIR/ratios.png again
  bench.py readme DIR [DIR...]                   copy the targets of one or more runs into README.md

The load goes only to the test hosts: every target is a container named flaskstack-bench-*
whose address comes from `docker inspect`, and every wrk call, slow-client run and the whole
session have time limits. Ratios are medians of paired ratios (stack A's run i over stack B's
run i, taken seconds apart), which is what survives a shared, noisy machine.
Needs: wrk (Debian), docker, Python 3.9+; matplotlib only for the chart.
"""
import argparse
import asyncio
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROBE = os.path.join(HERE, "probe.py")
COLL, HAND = "flaskstack-bench-coll", "flaskstack-bench-hand"
PATHS = ["/bench/text", "/bench/json", "/bench/sleep", "/static/blob-100k.bin"]
PATH_LABEL = {"/bench/text": "text", "/bench/json": "json", "/bench/sleep": "sleep 50 ms",
              "/static/blob-100k.bin": "static 100 KiB"}
# Stacks: (name, container, port, Host header, app server unit, server units measured together)
STACKS = [
    ("coll-gunicorn", COLL, 80, "gunicorn.bench.test", "bench_gunicorn.service",
     ["nginx.service", "bench_gunicorn.service"]),
    ("coll-uwsgi", COLL, 80, "uwsgi.bench.test", "bench_uwsgi.service",
     ["nginx.service", "bench_uwsgi.service"]),
    ("hand-gunicorn", HAND, 8083, None, "hand-gunicorn.service", ["hand-gunicorn.service"]),
    ("hand-nginx-gunicorn", HAND, 8086, None, "hand-gunicorn.service",
     ["nginx.service", "hand-gunicorn.service"]),
    ("hand-nginx-uwsgi", HAND, 8087, None, "hand-uwsgi.service",
     ["nginx.service", "hand-uwsgi.service"]),
]
DESCRIPTION = {
    "coll-gunicorn": "the collection, Gunicorn flavour, defaults (nginx → Gunicorn, unix socket)",
    "coll-uwsgi": "the collection, uWSGI flavour, defaults (nginx → uWSGI, unix socket)",
    "hand-gunicorn": "by hand: Gunicorn alone, `gunicorn -w 2·cores+1 app:app`",
    "hand-nginx-gunicorn": "by hand: nginx → that Gunicorn over TCP (`proxy_pass`, keepalive 32)",
    "hand-nginx-uwsgi": "by hand: nginx → uWSGI (`uwsgi_pass`, the documents' uwsgi.ini)",
}
STACK_BY_NAME = {s[0]: s for s in STACKS}
SLOW_STACKS = ["coll-gunicorn", "coll-uwsgi", "hand-gunicorn"]
JOURNALD = "systemd-journald.service"
# Hard caps, whatever the options say.
MAX_DURATION, MAX_CONNECTIONS, MAX_SLOW, MAX_REPS, MAX_TOTAL = 60, 1000, 1000, 10, 40 * 60

WRK_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def sh(cmd, timeout=60, stdin=None):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=stdin)


# ------------------------------------------------------------------------------- test hosts
def container_ip(name):
    if not name.startswith("flaskstack-bench-"):
        raise SystemExit("refusing %s: the benchmark only loads its own test hosts" % name)
    out = sh(["docker", "inspect", "-f", "{{.State.Running}} {{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
              name]).stdout.split()
    if not out or out[0] != "true" or len(out) < 2:
        raise SystemExit("test host %s is not running (make bench starts it)" % name)
    return out[1]


def restart_servers(stacks):
    """Restart every measured server unit on each test host, so that both start from the same state.

    A deploy reloads nginx; its master keeps the memory of each configuration it parsed (about
    1.5 MiB more PSS after the collection's first deploy), which the hand-made host, set up with
    one start, never pays: memory would compare the hosts' histories, not the stacks."""
    units = {}
    for stack in stacks:
        units.setdefault(stack[1], [])
        units[stack[1]] += [u for u in stack[5] if u not in units[stack[1]]]
    for container, names in units.items():
        res = sh(["docker", "exec", container, "systemctl", "restart", *names], timeout=120)
        if res.returncode:
            raise RuntimeError("restarting %s in %s failed: %s" % (" ".join(names), container, res.stderr.strip()[-300:]))
    time.sleep(2)
    return units


def probe(container, units, slots=False):
    """Run probe.py in the test host; returns its JSON."""
    with open(PROBE) as handle:
        code = handle.read()
    args = (["--slots"] if slots else []) + list(units)
    res = sh(["docker", "exec", "-i", container, "python3", "-", *args], timeout=30, stdin=code)
    if res.returncode:
        raise RuntimeError("probe in %s failed: %s" % (container, res.stderr.strip()[-300:]))
    return json.loads(res.stdout)


def host_stat():
    with open("/proc/stat") as handle:
        v = [int(x) for x in handle.readline().split()[1:9]]
    hz = os.sysconf("SC_CLK_TCK")
    user, nice, system, idle, iowait, irq, softirq, steal = v
    return {"busy": (user + nice + system + irq + softirq) / hz, "steal": steal / hz, "total": sum(v) / hz}


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def loadavg():
    with open("/proc/loadavg") as handle:
        return handle.read().split()[:3]


# ------------------------------------------------------------------------------- wrk
class Wrk:
    def __init__(self, args, tmpdir):
        self.args = args
        self.script = os.path.join(tmpdir, "summary.lua")
        with open(self.script, "w") as handle:
            handle.write(WRK_LUA)

    def run(self, url, host_header, duration, connections=None):
        c = min(connections or self.args.connections, MAX_CONNECTIONS)
        duration = min(duration, MAX_DURATION)
        cmd = ["wrk", "-t", str(min(self.args.threads, c)), "-c", str(c), "-d", "%ds" % duration,
               "--timeout", "%ds" % self.args.timeout, "-s", self.script]
        if host_header:
            cmd += ["-H", "Host: %s" % host_header]
        cmd.append(url)
        try:
            out = sh(cmd, timeout=duration + 30).stdout
        except subprocess.TimeoutExpired:
            out = ""
        for line in out.splitlines():
            if line.startswith("WRKJSON "):
                res = json.loads(line[8:])
                secs = max(res["duration_us"], 1) / 1e6
                res.update(ok=True, rps=res["requests"] / secs,
                           sock_errors=res["connect"] + res["read"] + res["write"] + res["timeout"])
                return res
        return {"ok": False, "rps": 0.0, "requests": 0, "error": out.strip()[-300:]}


# ------------------------------------------------------------------------------- slow clients
async def _slow_main(host, port, header, n, duration, interval):
    deadline = time.monotonic() + duration
    st = {"clients": n, "opened": 0, "connect_fail": 0, "closed_by_server": 0, "open": 0, "peak_open": 0}
    sem = asyncio.Semaphore(100)

    async def one(i):
        while time.monotonic() < deadline - 0.2:
            try:
                async with sem:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 3)
            except (OSError, asyncio.TimeoutError):
                st["connect_fail"] += 1
                await asyncio.sleep(0.5)
                continue
            st["opened"] += 1
            st["open"] += 1
            st["peak_open"] = max(st["peak_open"], st["open"])
            read = None
            try:
                writer.write(("GET /bench/text?slow=%d HTTP/1.1\r\nHost: %s\r\nUser-Agent: bench-slowclient\r\n"
                              % (i, header)).encode())
                await writer.drain()
                read = asyncio.ensure_future(reader.read(4096))
                k = 0
                while time.monotonic() < deadline:
                    done, _ = await asyncio.wait({read}, timeout=min(interval, max(0.01, deadline - time.monotonic())))
                    if done:
                        st["closed_by_server"] += 1
                        break
                    writer.write(("X-Slow-%d: %d\r\n" % (k, random.randint(1, 99999))).encode())
                    await writer.drain()
                    k += 1
            except (OSError, ConnectionError):
                st["closed_by_server"] += 1
            finally:
                st["open"] -= 1
                if read is not None and not read.done():
                    read.cancel()
                writer.close()
            await asyncio.sleep(0.05)

    await asyncio.gather(*(one(i) for i in range(n)))
    del st["open"]
    return st


def slow_worker(argv):
    host, port, header, n, duration, interval = argv[0], int(argv[1]), argv[2], int(argv[3]), float(argv[4]), float(argv[5])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1024), hard))
    res = asyncio.run(_slow_main(host, port, header, min(n, MAX_SLOW), min(duration, 120), interval))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    res["cpu_s"] = usage.ru_utime + usage.ru_stime  # the generator shares the machine's cores
    res["duration_s"] = duration
    print("SLOWJSON " + json.dumps(res), flush=True)


# ------------------------------------------------------------------------------- measuring
class Session:
    def __init__(self, args):
        self.args = args
        self.t0 = time.monotonic()
        self.ips = {COLL: container_ip(COLL), HAND: container_ip(HAND)}
        self.tmp = tempfile.mkdtemp(prefix="flaskstack-bench-")
        self.wrk = Wrk(args, self.tmp)
        self.stacks = [s for s in STACKS if not args.stacks or s[0] in args.stacks]
        self.paths = [p for p in PATHS if not args.paths or p in args.paths]
        self.disturbed = []

    def check_time(self):
        if time.monotonic() - self.t0 > MAX_TOTAL:
            raise SystemExit("the session passed its time limit of %d s" % MAX_TOTAL)

    def url(self, stack, path):
        return "http://%s:%d%s" % (self.ips[stack[1]], stack[2], path)

    def measure(self, stack, path, duration=None, connections=None, sample_memory=True):
        """One wrk run, with the server units' CPU time and a memory sample taken mid-run."""
        self.check_time()
        duration = duration or self.args.duration
        units = stack[5] + [JOURNALD]
        before = probe(stack[1], units)
        hs0, wc0 = host_stat(), children_cpu()
        mem = {}

        def sample():
            time.sleep(duration / 2)
            try:
                mem.update(probe(stack[1], stack[5])["units"])
            except Exception as exc:  # a failed sample must not end the run
                mem["error"] = str(exc)

        sampler = threading.Thread(target=sample, daemon=True)
        if sample_memory:
            sampler.start()
        res = self.wrk.run(self.url(stack, path), stack[3], duration, connections)
        wc1, hs1 = children_cpu(), host_stat()
        if sample_memory:
            sampler.join(30)
        after = probe(stack[1], units)
        unit_us = {u: after["units"][u]["cpu_us"] - before["units"][u]["cpu_us"] for u in stack[5]}
        server_us = sum(unit_us.values())
        journald_us = after["units"][JOURNALD]["cpu_us"] - before["units"][JOURNALD]["cpu_us"]
        total = max(hs1["total"] - hs0["total"], 1e-6)
        res.update(
            stack=stack[0], path=path, time=time.time(), loadavg=loadavg(),
            server_cpu_s=server_us / 1e6, journald_cpu_s=journald_us / 1e6,
            cpu_us_per_req=server_us / res["requests"] if res["requests"] else None,
            # Which unit pays (nginx or the app server): read when a stack's CPU per request moves.
            cpu_us_per_req_by_unit={u: us / res["requests"] for u, us in unit_us.items()} if res["requests"] else None,
            journald_us_per_req=journald_us / res["requests"] if res["requests"] else None,
            steal_pct=100 * (hs1["steal"] - hs0["steal"]) / total,
            busy_pct=100 * (hs1["busy"] - hs0["busy"]) / total,
            wrk_pct=100 * (wc1 - wc0) / total,
            cpu_sources=sorted({after["units"][u]["cpu_source"] for u in stack[5]}))
        res["other_pct"] = res["busy_pct"] - res["wrk_pct"] - 100 * (server_us + journald_us) / 1e6 / total
        if mem and "error" not in mem:
            res["pss_kib"] = sum(mem[u]["pss_kib"] for u in stack[5])
            res["rss_kib"] = sum(mem[u]["rss_kib"] for u in stack[5])
            res["nproc"] = sum(len(mem[u]["pids"]) for u in stack[5])
            res["pss_by_unit"] = {u: mem[u]["pss_kib"] for u in stack[5]}
        return res

    def measured_quietly(self, stack, path, duration=None):
        """measure(), again (up to --retries times) while other processes took more than
        --disturbed-pct of the machine's CPU during the run; every disturbed run is kept in
        self.disturbed for the report, and the last run is the one used."""
        tries = []
        while True:
            res = self.measure(stack, path, duration)
            if res["other_pct"] <= self.args.disturbed_pct and res["steal_pct"] <= self.args.disturbed_pct:
                break
            keys = ("stack", "path", "time", "rps", "cpu_us_per_req", "other_pct", "steal_pct", "loadavg")
            tries.append({k: res.get(k) for k in keys})
            if len(tries) > self.args.retries:
                res["disturbed"] = True
                break
            log("disturbed: other processes %.0f %%, steal %.0f %% of the CPU during %s %s: again" % (
                res["other_pct"], res["steal_pct"], stack[0], path))
            time.sleep(self.args.pause * 3)
        self.disturbed.extend(tries)
        return res

    def throughput(self, results):
        order = list(self.stacks)
        log("warm-up: %d s per stack and path" % self.args.warmup)
        for path in self.paths:
            for stack in order:
                self.wrk.run(self.url(stack, path), stack[3], self.args.warmup)
        for rep in range(self.args.reps):
            k = rep % len(order)
            rotated = order[k:] + order[:k]
            for path in self.paths:
                for stack in rotated:
                    res = self.measured_quietly(stack, path)
                    res["rep"] = rep
                    results.setdefault(stack[0], {}).setdefault(path, []).append(res)
                    log("rep %d %-20s %-22s %8.0f req/s p99 %6.1f ms errors %d/%d cpu %s us/req" % (
                        rep + 1, stack[0], path, res["rps"], res.get("p99_us", 0) / 1e3,
                        res.get("status", 0), res.get("sock_errors", 0),
                        "%.0f" % res["cpu_us_per_req"] if res.get("cpu_us_per_req") else "-"))
                    time.sleep(self.args.pause)

    def slow_clients(self, results):
        """Per repetition and stack, one run without and one with the slow clients; the order
        alternates (even repetitions unloaded first), so a machine that drifts slower or faster
        during a pair favours neither side."""
        stacks = [s for s in self.stacks if s[0] in SLOW_STACKS]
        a = self.args
        for rep in range(a.reps):
            k = rep % len(stacks)
            for stack in stacks[k:] + stacks[:k]:
                if rep % 2 == 0:
                    unloaded = self.measured_quietly(stack, "/bench/text", a.slow_duration)
                    time.sleep(a.pause)
                    loaded, slow = self.with_slow_clients(stack)
                else:
                    loaded, slow = self.with_slow_clients(stack)
                    time.sleep(a.pause)
                    unloaded = self.measured_quietly(stack, "/bench/text", a.slow_duration)
                results.setdefault(stack[0], []).append(
                    {"rep": rep, "unloaded": unloaded, "loaded": loaded, "slow": slow})
                log("slow clients rep %d %-20s %7.0f -> %7.0f req/s (%s slow sockets opened)" % (
                    rep + 1, stack[0], unloaded["rps"], loaded["rps"], slow.get("peak_open", "?")))
                time.sleep(a.pause)

    def with_slow_clients(self, stack):
        """One wrk run on /bench/text while the slow-client generator holds its sockets open
        (opened during --slow-ramp before the run); returns (wrk result, generator's figures)."""
        a = self.args
        length = a.slow_ramp + a.slow_duration + 2
        proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "_slow", self.ips[stack[1]], str(stack[2]),
             stack[3] or self.ips[stack[1]], str(a.slow_clients), str(length), "2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(a.slow_ramp)
        loaded = self.measure(stack, "/bench/text", a.slow_duration)
        try:
            out, err = proc.communicate(timeout=length + 20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        slow = {"error": (err or out).strip()[-300:]}
        for line in out.splitlines():
            if line.startswith("SLOWJSON "):
                slow = json.loads(line[9:])
        return loaded, slow


def machine_info():
    info = {"cores": os.cpu_count(), "kernel": platform.release()}
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as handle:
            info["mem_gib"] = round(int(handle.readline().split()[1]) / 1024 / 1024, 1)
        with open("/etc/os-release") as handle:
            for line in handle:
                if line.startswith("PRETTY_NAME="):
                    info["os"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    info["docker"] = sh(["docker", "version", "-f", "{{.Server.Version}}"]).stdout.strip()
    info["wrk"] = sh(["dpkg-query", "-W", "-f=${Version}", "wrk"]).stdout.strip()
    for container in (COLL, HAND):
        res = sh(["docker", "exec", container, "sh", "-c",
                  ". /etc/os-release; echo $PRETTY_NAME; nginx -v 2>&1 | cut -d/ -f2"])
        info[container] = res.stdout.strip().replace("\n", ", nginx ")
    return info


def cmd_run(args):
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing (make bench installs Debian's wrk)")
    args.reps = min(args.reps, MAX_REPS)
    os.makedirs(args.out, exist_ok=True)
    s = Session(args)
    data = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "loadavg_start": loadavg(), "machine": machine_info(),
            "options": {k: v for k, v in vars(args).items() if k != "func"},
            "ips": s.ips, "throughput": {}, "slow": {}, "idle": {}, "slots": {}}
    data["restarted"] = restart_servers(s.stacks)
    for stack in s.stacks:
        data["slots"][stack[0]] = probe(stack[1], [stack[4]], slots=True)[stack[4]]
        idle = probe(stack[1], stack[5])["units"]
        data["idle"][stack[0]] = {"pss_kib": sum(idle[u]["pss_kib"] for u in stack[5]),
                                  "rss_kib": sum(idle[u]["rss_kib"] for u in stack[5]),
                                  "nproc": sum(len(idle[u]["pids"]) for u in stack[5]),
                                  "pss_by_unit": {u: idle[u]["pss_kib"] for u in stack[5]}}
    if args.deploy_times and os.path.exists(args.deploy_times):
        with open(args.deploy_times) as handle:
            data["deploy"] = json.load(handle)
    t = time.monotonic()
    if not args.skip_throughput:
        s.throughput(data["throughput"])
    data["throughput_s"] = time.monotonic() - t
    t = time.monotonic()
    if not args.skip_slow:
        s.slow_clients(data["slow"])
    data["slow_s"] = time.monotonic() - t
    data["disturbed"] = s.disturbed
    data["loadavg_end"] = loadavg()
    data["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with open(os.path.join(args.out, "results.json"), "w") as handle:
        json.dump(data, handle, indent=1)
    render(args.out)


# ------------------------------------------------------------------------------- report
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def pairs(a_runs, b_runs, key="rps"):
    """a[i][key] / b[i][key] for every repetition i that both have."""
    by_rep = {r["rep"]: r for r in b_runs}
    return [r.get(key) / by_rep[r["rep"]][key] for r in a_runs
            if r["rep"] in by_rep and r.get(key) is not None and by_rep[r["rep"]].get(key)]


def paired(a_runs, b_runs, key="rps"):
    """Median over repetitions of a[i][key] / b[i][key]."""
    return med(pairs(a_runs, b_runs, key))


def spread(ratios):
    """The noise of a paired median, as measured: half the range of the paired ratios,
    relative to their median (0.1 = the repetitions lie within ±10 % of the median)."""
    ratios = [x for x in ratios if x]
    if len(ratios) < 2:
        return None
    return (max(ratios) - min(ratios)) / 2 / statistics.median(ratios)


def fmt(x, nd=0):
    return "–" if x is None else "{:,.{}f}".format(x, nd)


NOISE_FLOOR = 0.05  # never call a miss smaller than this "noise", whatever the repetitions say


def verdict(value, threshold, upper=False, noise=None, cpu=None, ceiling=None, slots=None):
    """pass / pass on CPU / tie / noise / out of reach here / MISS.

    A ratio that meets its threshold passes. One that misses it by less than the noise measured
    in its own repetitions (`noise`, see spread(); at least NOISE_FLOOR) is decided by the server
    CPU per request, the steadier figure on a CPU-bound machine: it passes when the collection's
    stack spends at most 1 / threshold of the other stack's CPU per request (the throughput the
    ratio asks for, if the cores were the limit), and is "noise" otherwise. A larger miss is a MISS.

    `ceiling` is what the hand-made stack doing the same job reaches against the same baseline in the
    same runs (nginx by hand serving the static file, over Gunicorn alone serving it). When that is
    below the threshold too, the machine cannot show the target (the load generator shares its cores);
    a ratio at 0.9x that ceiling or above is then "out of reach here", never "pass".

    `slots` is the number of request slots (workers x threads) both stacks have, when they have the
    same on a path that only waits (50 ms): its throughput is slots / 0.05 s on both, so a ratio
    within the noise is a "tie", never "pass"."""
    if value is None:
        return "n/a"
    if (value <= threshold) if upper else (value >= threshold):
        return "pass"
    if ceiling is not None and not upper and ceiling < threshold and value >= 0.9 * ceiling:
        return "out of reach here (nginx by hand: %.2f×)" % ceiling
    off = (value / threshold - 1) if upper else (1 - value / threshold)
    band = max(noise or 0.0, NOISE_FLOOR)
    if off >= band:
        return "**MISS** (%.0f%% off, noise %.0f%%)" % (100 * off, 100 * band)
    if slots:
        return "tie (both %d slots; %.0f%% off, noise %.0f%%)" % (slots, 100 * off, 100 * band)
    if cpu is not None and not upper and cpu <= 1 / threshold:
        return "pass on CPU (%.0f%% off, within the noise %.0f%%)" % (100 * off, 100 * band)
    return "noise (%.0f%% off, noise %.0f%%)" % (100 * off, 100 * band)


def unit_cpu(run, unit):
    """One unit's server CPU per request in a run (µs); None when the run did not record it."""
    return (run.get("cpu_us_per_req_by_unit") or {}).get(unit)


def slow_cpu_ratios(runs, app_unit):
    """Per repetition of the slow-client test: the stack's server CPU per request with the slow
    clients over without, divided by the same ratio of its app server alone.

    The slow clients never finish their headers, so nginx never passes them on: the app server
    answers the same requests in both runs, and its CPU per request moves only with the machine
    (two cores shared with the load generator; their speed drifts by up to a fifth between two runs
    a few seconds apart, for every unit of both hosts alike). What the slow sockets cost nginx is what
    remains: 1.0 when they cost nothing, 1.11 when the stack spends a ninth more per request,
    the CPU the 0.9x target allows. None for a repetition without the per-unit figures."""
    out = []
    for r in runs:
        lo, un = r["loaded"], r["unloaded"]
        app_l, app_u = unit_cpu(lo, app_unit), unit_cpu(un, app_unit)
        if app_l and app_u and lo.get("cpu_us_per_req") and un.get("cpu_us_per_req"):
            out.append((lo["cpu_us_per_req"] / un["cpu_us_per_req"]) / (app_l / app_u))
        else:
            out.append(None)
    return out


def slow_cpu_ratio(runs, app_unit):
    """Median of slow_cpu_ratios(); None unless every repetition has it."""
    ratios = slow_cpu_ratios(runs, app_unit)
    return med(ratios) if ratios and None not in ratios else None


def slot_count(slots):
    """Request slots of a stack (workers x threads, as probed on its host); None when not probed."""
    return slots["workers"] * slots["threads"] if slots else None


def targets(data):
    """[(target, measured, threshold, verdict)] for every target of the issue."""
    tp, slow, out = data["throughput"], data["slow"], []

    cpu = {}  # target name -> server CPU per request, A / B (lower: A does the same work with less CPU)
    cpu_rule = {}  # the same, for the targets whose verdict it may decide (the CPU-bound paths)
    noise = {}  # target name -> spread of its paired ratios
    ceiling = {}  # target name -> the hand-made stack's ratio for the same job (see verdict())
    tie = {}  # target name -> request slots, when both stacks have the same number on the 50 ms path

    def both(name, a, b, path, threshold):
        if not (a in tp and b in tp and path in tp[a] and path in tp[b]):
            out.append((name, None, threshold))
            return
        ratios = pairs(tp[a][path], tp[b][path])
        cpu[name] = paired(tp[a][path], tp[b][path], "cpu_us_per_req")
        noise[name] = spread(ratios)
        # The 50 ms path is bounded by request slots, not by the cores: its CPU per request decides nothing.
        if path != "/bench/sleep":
            cpu_rule[name] = cpu[name]
        else:
            sa, sb = slot_count(data["slots"].get(a)), slot_count(data["slots"].get(b))
            if sa and sa == sb:
                tie[name] = sa
        out.append((name, med(ratios), threshold))

    for path in PATHS[:3]:
        both("Gunicorn flavour %s ≥ 1.0× nginx→Gunicorn by hand" % PATH_LABEL[path],
             "coll-gunicorn", "hand-nginx-gunicorn", path, 1.0)
        both("Gunicorn flavour %s ≥ 0.9× Gunicorn alone" % PATH_LABEL[path], "coll-gunicorn", "hand-gunicorn", path, 0.9)
    for path in PATHS:
        both("uWSGI flavour %s ≥ 1.0× nginx→uWSGI by hand" % PATH_LABEL[path], "coll-uwsgi", "hand-nginx-uwsgi", path, 1.0)
    static = PATHS[3]
    for flavour, hand in (("coll-gunicorn", "hand-nginx-gunicorn"), ("coll-uwsgi", "hand-nginx-uwsgi")):
        name = flavour.split("-")[1]
        target = "%s flavour static ≥ 10× the file served by the app (Gunicorn alone)" % name
        both(target, flavour, "hand-gunicorn", static, 10.0)
        if static in tp.get(hand, {}) and static in tp.get("hand-gunicorn", {}):
            ceiling[target] = paired(tp[hand][static], tp["hand-gunicorn"][static])
        both("%s flavour static within 10%% of nginx by hand (≥ 0.9×)" % name, flavour, hand, static, 0.9)
    for flavour in ("coll-gunicorn", "coll-uwsgi"):
        runs = slow.get(flavour, [])
        slow_name = "%s flavour with %s slow clients ≥ 0.9× unloaded" % (
            flavour.split("-")[1], data["options"]["slow_clients"])
        ratios = pairs([r["loaded"] | {"rep": r["rep"]} for r in runs],
                       [r["unloaded"] | {"rep": r["rep"]} for r in runs])
        if runs:
            noise[slow_name] = spread(ratios)
            cpu[slow_name] = cpu_rule[slow_name] = slow_cpu_ratio(runs, STACK_BY_NAME[flavour][4])
        out.append((slow_name, med(ratios) if runs else None, 0.9))
    for flavour, hand in (("coll-gunicorn", "hand-nginx-gunicorn"), ("coll-uwsgi", "hand-nginx-uwsgi")):
        a, b = memory(data, flavour), memory(data, hand)
        if a and b:
            out.append(("%s flavour peak PSS ≤ nginx→%s by hand, same number of workers" % (
                flavour.split("-")[1], flavour.split("-")[1]),
                a["peak_pss"] / b["peak_pss_scaled"] if b["peak_pss_scaled"] else None, 1.0, True))
    for flavour in ("coll-gunicorn", "coll-uwsgi"):
        runs = tp.get(flavour, {}).get("/bench/sleep")
        sl = data["slots"].get(flavour)
        if runs and sl:
            ideal = slot_count(sl) / 0.05
            out.append(("%s flavour 50 ms path: req/s close to slots / 0.05 s (%d slots → %d req/s; ≥ 0.8×)" % (
                flavour.split("-")[1], slot_count(sl), ideal),
                med([r["rps"] for r in runs]) / ideal, 0.8))
    return [(t[0], t[1], t[2], verdict(t[1], t[2], upper=len(t) > 3, noise=noise.get(t[0]), cpu=cpu_rule.get(t[0]),
                                       ceiling=ceiling.get(t[0]), slots=tie.get(t[0])),
             cpu.get(t[0]), noise.get(t[0])) for t in out]


def memory(data, stack):
    """Idle and peak PSS of a stack (MiB), and the peak scaled to the collection's worker count."""
    runs = [r for p in data["throughput"].get(stack, {}).values() for r in p if r.get("pss_kib")]
    idle = data["idle"].get(stack)
    if not idle:
        return None
    peak = max(runs, key=lambda r: r["pss_kib"]) if runs else None
    slots = data["slots"].get(stack, {})
    ref = data["slots"].get("coll-gunicorn" if "gunicorn" in stack else "coll-uwsgi", slots)
    res = {"idle_pss": idle["pss_kib"] / 1024, "idle_rss": idle["rss_kib"] / 1024, "nproc": idle["nproc"],
           "peak_pss": (peak["pss_kib"] if peak else idle["pss_kib"]) / 1024,
           "peak_rss": (peak["rss_kib"] if peak else idle["rss_kib"]) / 1024,
           "workers": slots.get("workers"), "threads": slots.get("threads")}
    # Scale the app server's part (not nginx's) to the collection's number of worker processes.
    by_unit = (peak or idle)["pss_by_unit"]
    nginx = by_unit.get("nginx.service", 0) / 1024
    factor = (ref.get("workers") or 1) / (slots.get("workers") or 1)
    res["peak_pss_scaled"] = nginx + (res["peak_pss"] - nginx) * factor
    return res


def render(out_dir):
    with open(os.path.join(out_dir, "results.json")) as handle:
        data = json.load(handle)
    tp, slow, m = data["throughput"], data["slow"], data["machine"]
    stacks = [s[0] for s in STACKS if s[0] in data["idle"]]
    o = data["options"]
    L = ["# flaskstack.deploy benchmark (`make bench`), %s" % data["finished"][:16].replace("T", " "), ""]
    L.append("Machine: %s, %s cores, %s GiB, %s, kernel %s; Docker %s; wrk %s. Test hosts (containers "
             "of the same image): collection `%s`, hand-made `%s`." % (
                 m.get("cpu", "?"), m.get("cores"), m.get("mem_gib"), m.get("os", "?"), m.get("kernel"),
                 m.get("docker"), m.get("wrk"), m.get(COLL, "?"), m.get(HAND, "?")))
    L.append("")
    L.append("Load: `wrk -t%d -c%d -d%ds --timeout %ds` from the machine (outside the test hosts), %d s warm-up, "
             "then %d repetitions; in each, every path runs on every stack one after the other, the first stack "
             "rotating. Medians; **ratios are medians of paired ratios** (stack A's run i / stack B's run i). "
             "Load average before %s, after %s. Throughput part %.0f s, slow-client part %.0f s. "
             "Runs disturbed by other work on the machine are measured again (see \"Disturbed runs\"); "
             "the noise of each target is measured from its repetitions." % (
                 o["threads"], o["connections"], o["duration"], o["timeout"], o["warmup"], o["reps"],
                 " ".join(data["loadavg_start"]), " ".join(data["loadavg_end"]), data.get("throughput_s", 0),
                 data.get("slow_s", 0)))
    L.append("")
    L.append("| stack | what | worker processes × threads (request slots) |")
    L.append("|---|---|---|")
    for s in stacks:
        sl = data["slots"].get(s, {})
        L.append("| %s | %s | %s × %s (%s) |" % (s, DESCRIPTION[s], sl.get("workers"), sl.get("threads"),
                                              (sl.get("workers") or 0) * (sl.get("threads") or 0)))
    tg = targets(data)
    if tg:
        L += ["", "## Targets", "",
              "Ratios of paired runs (medians); CPU/req A÷B is the server CPU per request of the two stacks "
              "compared (below 1: the collection's stack does the same work with less CPU), which a busy "
              "machine disturbs far less than req/s.", "",
              "Noise is measured, per target: half the range of its paired ratios over the repetitions, "
              "relative to their median (at least %.0f%%). A ratio that misses its target by less than that "
              "noise is decided by the CPU per request (see verdict() in bench.py)." % (100 * NOISE_FLOOR), "",
              "| target | measured | noise ± | verdict | CPU/req A÷B |", "|---|---:|---:|---|---:|"]
        for name, value, threshold, v, c, n in tg:
            L.append("| %s | %s | %s | %s | %s |" % (
                name, fmt(value, 2) + "×" if value is not None else "–",
                "%.0f%%" % (100 * n) if n is not None else "–", v, fmt(c, 2)))
    disturbed = data.get("disturbed") or []
    L += ["", "## Disturbed runs", "",
          "A run during which other processes (or the hypervisor's steal) took more than %s%% of the machine's CPU "
          "was measured again (up to %s times); these are the runs set aside (the last try is kept even when "
          "disturbed, and marked so in results.json)." % (o.get("disturbed_pct", "?"), o.get("retries", "?")), ""]
    if disturbed:
        L += ["| stack | path | req/s | CPU µs/req | other processes % | steal % | load average |",
              "|---|---|---:|---:|---:|---:|---|"]
        for r in disturbed:
            L.append("| %s | %s | %s | %s | %.0f | %.0f | %s |" % (
                r["stack"], r["path"], fmt(r.get("rps")), fmt(r.get("cpu_us_per_req")), r.get("other_pct") or 0,
                r.get("steal_pct") or 0, " ".join(r.get("loadavg") or [])))
    else:
        L.append("None: no run was disturbed.")
    kept = [r for st in tp.values() for runs in st.values() for r in runs if r.get("disturbed")]
    if kept:
        L.append("")
        L.append("Kept although still disturbed after the retries: %s." % ", ".join(
            "%s %s rep %d" % (r["stack"], r["path"], r["rep"] + 1) for r in kept))
    dep = data.get("deploy")
    if dep:
        L += ["", "## Deploy times (`ansible-playbook flaskstack.deploy.site`, both apps on one host)", "",
              "| run | seconds | changed tasks |", "|---|---:|---:|"]
        for d in dep:
            L.append("| %s | %.0f | %s |" % (d["what"], d["seconds"], d.get("changed", "?")))
    for path in PATHS:
        if not any(path in tp.get(s, {}) for s in stacks):
            continue
        base = "hand-nginx-gunicorn"
        L += ["", "## `%s` (%s)" % (path, PATH_LABEL[path]), "",
              "| stack | req/s | min–max | p50 ms | p99 ms | non-2xx / socket errors | server CPU µs/req | "
              "journald µs/req | req/s × %s | p99 × %s |" % (base, base),
              "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|"]
        for s in stacks:
            runs = tp.get(s, {}).get(path, [])
            if not runs:
                continue
            rps = [r["rps"] for r in runs]
            ok = [r for r in runs if r.get("ok")]
            L.append("| %s | %s | %s–%s | %s | %s | %d / %d | %s | %s | %s | %s |" % (
                s, fmt(med(rps)), fmt(min(rps)), fmt(max(rps)),
                fmt(med([r["p50_us"] / 1e3 for r in ok]), 1), fmt(med([r["p99_us"] / 1e3 for r in ok]), 1),
                sum(r.get("status", 0) for r in ok), sum(r.get("sock_errors", 0) for r in ok),
                fmt(med([r.get("cpu_us_per_req") for r in ok])), fmt(med([r.get("journald_us_per_req") for r in ok])),
                fmt(paired(runs, tp.get(base, {}).get(path, [])), 2),
                fmt(paired(runs, tp.get(base, {}).get(path, []), "p99_us"), 2)))
        allr = [r for s in stacks for r in tp.get(s, {}).get(path, [])]
        L.append("")
        L.append("Noise (median over these runs, %% of the machine's CPU): steal %s%%, wrk %s%%, other processes %s%%." % (
            fmt(med([r.get("steal_pct") for r in allr]), 1), fmt(med([r.get("wrk_pct") for r in allr]), 1),
            fmt(med([r.get("other_pct") for r in allr]), 1)))
    pairs = [("coll-gunicorn", "hand-nginx-gunicorn"), ("coll-gunicorn", "hand-gunicorn"),
             ("coll-uwsgi", "hand-nginx-uwsgi"), ("coll-uwsgi", "coll-gunicorn"),
             ("hand-nginx-gunicorn", "hand-gunicorn"), ("hand-nginx-uwsgi", "hand-nginx-gunicorn")]
    if tp:
        L += ["", "## Paired ratios (A / B)", "",
              "| A / B | " + " | ".join("%s req/s" % PATH_LABEL[p] for p in PATHS) + " | "
              + " | ".join("%s p99" % PATH_LABEL[p] for p in PATHS) + " |", "|---|" + "---:|" * 2 * len(PATHS)]
        for a, b in pairs:
            if a in tp and b in tp:
                cells = [fmt(paired(tp[a].get(p, []), tp[b].get(p, [])), 2) for p in PATHS]
                cells += [fmt(paired(tp[a].get(p, []), tp[b].get(p, []), "p99_us"), 2) for p in PATHS]
                L.append("| %s / %s | %s |" % (a, b, " | ".join(cells)))
    L += ["", "## Memory (MiB, summed over the server units' processes: app server + nginx)", "",
          "PSS from /proc/PID/smaps_rollup counts shared pages once; the RSS sum counts them once per process. "
          "Peak = the largest sample taken in the middle of each run. \"Scaled\" puts the app server's part at "
          "the collection's number of worker processes, for the comparison with the same number of workers.", "",
          "| stack | processes | workers × threads | idle RSS | idle PSS | peak RSS | peak PSS | peak PSS scaled |",
          "|---|---:|---|---:|---:|---:|---:|---:|"]
    for s in stacks:
        mm = memory(data, s)
        if mm:
            L.append("| %s | %d | %s × %s | %s | %s | %s | %s | %s |" % (
                s, mm["nproc"], mm["workers"], mm["threads"], fmt(mm["idle_rss"], 1), fmt(mm["idle_pss"], 1),
                fmt(mm["peak_rss"], 1), fmt(mm["peak_pss"], 1), fmt(mm["peak_pss_scaled"], 1)))
    if slow:
        L += ["", "## Slow clients: %d connections sending a header line every 2 s and never finishing, "
              "while wrk (`-c%d`) measures a normal client on `/bench/text`" % (o["slow_clients"], o["connections"]), "",
              "| stack | unloaded req/s | with slow clients req/s | ratio (paired median) | p99 ms unloaded → loaded | "
              "errors under load (non-2xx / socket) | slow sockets open (peak) | closed by the server | "
              "slow-client generator CPU % | server CPU/req µs unloaded → loaded (app server alone) | "
              "CPU/req loaded ÷ unloaded, over the app server's (per repetition) |",
              "|---|---:|---:|---:|---|---|---:|---:|---:|---|---|"]
        for s in stacks:
            runs = slow.get(s)
            if not runs:
                continue
            un = [dict(r["unloaded"], rep=r["rep"]) for r in runs]
            lo = [dict(r["loaded"], rep=r["rep"]) for r in runs]
            lo_med = med([r["rps"] for r in lo])
            app = STACK_BY_NAME[s][4]
            per_rep = slow_cpu_ratios(runs, app)
            L.append("| %s | %s | %s%s | %s | %s → %s | %d / %d | %s | %s | %s | %s → %s (%s → %s) | %s |" % (
                s, fmt(med([r["rps"] for r in un])), fmt(lo_med), " (stalled)" if not lo_med else "",
                fmt(paired(lo, un), 2), fmt(med([r["p99_us"] / 1e3 for r in un if r.get("ok")]), 1),
                fmt(med([r["p99_us"] / 1e3 for r in lo if r.get("ok") and r["requests"]]), 1),
                sum(r.get("status", 0) for r in lo), sum(r.get("sock_errors", 0) for r in lo),
                fmt(med([r["slow"].get("peak_open") for r in runs])),
                fmt(med([r["slow"].get("closed_by_server") for r in runs])),
                fmt(med([100 * r["slow"]["cpu_s"] / r["slow"]["duration_s"] / (m.get("cores") or 1)
                         for r in runs if "cpu_s" in r["slow"]]), 1),
                fmt(med([r.get("cpu_us_per_req") for r in un])), fmt(med([r.get("cpu_us_per_req") for r in lo])),
                fmt(med([unit_cpu(r, app) for r in un])), fmt(med([unit_cpu(r, app) for r in lo])),
                " ".join(fmt(x, 2) for x in per_rep) if s.startswith("coll-") else "–"))
        L.append("")
        L.append("A stalled server answers nothing: wrk then shows 0 requests and no errors. The slow-client "
                 "generator runs on the same machine as the stacks (% of all its CPU, over its whole run): a "
                 "CPU-bound stack loses that share in the loaded run whatever it does with the slow sockets. "
                 "Without and with the slow clients alternate in order (even repetitions unloaded first). "
                 "The last column is what the slow sockets cost the stack: its CPU per request with them over "
                 "without, divided by the same ratio of its app server, which never sees them (nginx holds "
                 "headers that never end) and so moves only with the machine; 1.00 is no cost, and within "
                 "the noise of the throughput pairs it decides the verdict (≤ 1.11, the ninth more CPU per "
                 "request that 0.9× allows).")
    L += ["", "## Notes", "",
          "- Server CPU is the CPU time of the stack's systemd units (cgroup counters: %s) over the requests "
          "answered; journald's is shown apart (request logs go there)." % ", ".join(sorted(
              {src for s in stacks for p in tp.get(s, {}).values() for r in p for src in r.get("cpu_sources", [])})),
          "- The load generator, both test hosts and anything else on the machine share its cores: absolute "
          "req/s are not portable; the ratios are the result.",
          "- Before measuring, every server unit on both test hosts was restarted (%s): a deploy's nginx reloads "
          "leave the nginx master holding the configurations it parsed, about 1.5 MiB of PSS the hand-made host, "
          "started once, never pays." % ("; ".join("%s: %s" % (c, " ".join(u)) for c, u in data.get("restarted", {}).items())
                                         or "not recorded in this run"),
          "- The collection's site has `nginx_rate_limit_exempt` set to the load generator's address (the Docker "
          "bridge gateway), as for a monitoring host: otherwise the default 20 r/s per client would answer 429.",
          ""]
    with open(os.path.join(out_dir, "report.md"), "w") as handle:
        handle.write("\n".join(L))
    chart(data, tg, os.path.join(out_dir, "ratios.png"))
    log("wrote %s and ratios.png" % os.path.join(out_dir, "report.md"))


def chart(data, tg, path):
    """Horizontal bars: every target's measured ratio (log scale), with its threshold marked."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib is missing: no chart")
        return
    rows = [t for t in tg if t[1]]
    if not rows:
        return
    rows = rows[::-1]
    fig, ax = plt.subplots(figsize=(12, 0.4 * len(rows) + 1.6))
    colors = {"pass": "#2e7d32", "noise": "#f9a825", "tie": "#f9a825", "out": "#757575"}
    ax.barh(range(len(rows)), [t[1] for t in rows],
            color=[colors.get(t[3].split(" ")[0], "#c62828") for t in rows])
    ax.scatter([t[2] for t in rows], range(len(rows)), marker="|", s=300, color="black", zorder=3,
               label="target (memory: at most; others: at least)")
    ax.set_xscale("log")
    ax.set_xlim(0.1, max(max(t[1] for t in rows), max(t[2] for t in rows)) * 1.6)
    ticks = [x for x in (0.1, 0.2, 0.5, 0.8, 1, 1.25, 2, 5, 10, 20, 50) if x <= ax.get_xlim()[1]]
    ax.set_xticks(ticks)
    ax.set_xticklabels(["%g×" % x for x in ticks], fontsize=7)
    ax.axvline(1.0, color="grey", linewidth=0.6)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([t[0] for t in rows], fontsize=7)
    for i, t in enumerate(rows):
        ax.text(t[1], i, " %.2f×" % t[1], va="center", fontsize=7)
    ax.set_xlabel("ratio of paired runs (median), log scale; green: met, yellow: within the noise or a tie, grey: out of reach on this machine, red: missed",
                  fontsize=8)
    ax.set_title("flaskstack.deploy make bench, %s UTC, %s cores: the collection's defaults against the hand-made stacks"
                 % (data["finished"][:16].replace("T", " "), data["machine"].get("cores")), fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def cmd_readme(args):
    """Replace the figures between the bench markers in README.md with the targets of one or more
    runs: each run's ratio, CPU per request and verdict side by side, and the range over the runs."""
    runs = []
    for folder in args.dirs:
        with open(os.path.join(folder, "results.json")) as handle:
            runs.append(json.load(handle))
    lines = ["<!-- bench:start (scripts/bench/bench.py readme writes this part) -->"]
    for i, data in enumerate(runs, 1):
        m = data["machine"]
        lines.append("Run %d: %s UTC on %s, %s cores, %s GiB (%s), %d repetitions of %d s, load average %s before, "
                     "%s after; %d disturbed runs measured again.  " % (
                         i, data["finished"][:16].replace("T", " "), m.get("cpu"), m.get("cores"), m.get("mem_gib"),
                         m.get("os"), data["options"]["reps"], data["options"]["duration"],
                         data["loadavg_start"][0], data["loadavg_end"][0], len(data.get("disturbed") or [])))
    head = "| target | " + " | ".join("run %d: ratio (CPU/req) verdict" % i for i in range(1, len(runs) + 1))
    head += " | range over the runs |" if len(runs) > 1 else " |"
    lines += ["", head, "|---|" + "---|" * len(runs) + ("---:|" if len(runs) > 1 else "")]
    tables = [targets(data) for data in runs]
    for row in range(len(tables[0])):
        name = tables[0][row][0]
        cells, values = [], []
        for tg in tables:
            match = [t for t in tg if t[0] == name]
            if not match:
                cells.append("–")
                continue
            _, value, _, v, c, _ = match[0]
            values.append(value)
            cells.append("%s%s %s" % (fmt(value, 2) + "×" if value is not None else "–",
                                      " (%s)" % fmt(c, 2) if c is not None else "", v))
        line = "| %s | %s |" % (name, " | ".join(cells))
        if len(runs) > 1:
            vals = [x for x in values if x is not None]
            line += " %s |" % ("%.2f–%.2f×" % (min(vals), max(vals)) if vals else "–")
        lines.append(line)
    if runs[-1].get("deploy"):
        lines += ["", "Deploy times (last run, both apps on one host, docker connection): " + ", ".join(
            "%s %.0f s" % (d["what"], d["seconds"]) for d in runs[-1]["deploy"]) + "."]
    lines.append("<!-- bench:end -->")
    readme = os.path.join(ROOT, "README.md")
    with open(readme) as handle:
        text = handle.read()
    start, end = text.find("<!-- bench:start"), text.find("<!-- bench:end -->")
    if start < 0 or end < 0:
        raise SystemExit("README.md has no bench markers")
    text = text[:start] + "\n".join(lines) + text[end + len("<!-- bench:end -->"):]
    with open(readme, "w") as handle:
        handle.write(text)
    log("README.md updated from %s" % ", ".join(args.dirs))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_slow":
        slow_worker(sys.argv[2:])
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--out", required=True)
    r.add_argument("--deploy-times")
    r.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", 5)))
    r.add_argument("--warmup", type=int, default=2)
    r.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", 5)))
    r.add_argument("--connections", type=int, default=50)
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--timeout", type=int, default=5)
    r.add_argument("--pause", type=float, default=0.5)
    r.add_argument("--slow-clients", type=int, default=300)
    r.add_argument("--slow-duration", type=int, default=int(os.environ.get("BENCH_SLOW_DURATION", 6)))
    r.add_argument("--slow-ramp", type=int, default=3)
    r.add_argument("--stacks", nargs="*", help="only these stacks (default: all)")
    r.add_argument("--paths", nargs="*", help="only these paths (default: all)")
    r.add_argument("--disturbed-pct", type=float, default=float(os.environ.get("BENCH_DISTURBED_PCT", 10)),
                   help="a run during which other processes (or steal) took more than this %% of the machine's "
                        "CPU is disturbed: measured again (default 10)")
    r.add_argument("--retries", type=int, default=2, help="how many times a disturbed run is measured again")
    r.add_argument("--skip-throughput", action="store_true")
    r.add_argument("--skip-slow", action="store_true")
    r.set_defaults(func=cmd_run)
    d = sub.add_parser("render")
    d.add_argument("dir")
    d.set_defaults(func=lambda a: render(a.dir))
    m = sub.add_parser("readme")
    m.add_argument("dirs", nargs="+", metavar="DIR")
    m.set_defaults(func=cmd_readme)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
