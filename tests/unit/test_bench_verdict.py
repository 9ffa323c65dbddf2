"""scripts/bench/bench.py's verdict: what make bench calls a pass, a tie, out of reach or a miss."""
import importlib.util
import pathlib

_PATH = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "bench" / "bench.py"
_SPEC = importlib.util.spec_from_file_location("bench", _PATH)
bench = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench)
verdict = bench.verdict


def test_met_threshold_passes():
    assert verdict(1.02, 1.0) == "pass"
    assert verdict(0.95, 1.0, upper=True) == "pass"


def test_small_miss_is_decided_by_cpu_per_request():
    assert verdict(0.97, 1.0, noise=0.08, cpu=0.9).startswith("pass on CPU")
    assert verdict(0.97, 1.0, noise=0.08, cpu=1.1).startswith("noise")


def test_large_miss_is_a_miss_whatever_the_cpu():
    assert verdict(0.80, 1.0, noise=0.08, cpu=0.5).startswith("**MISS**")
    assert verdict(1.07, 1.0, upper=True).startswith("**MISS**")


def test_equal_slots_within_the_noise_is_a_tie_never_a_pass():
    assert verdict(0.997, 1.0, noise=0.01, slots=8).startswith("tie (both 8 slots")
    assert verdict(0.80, 1.0, noise=0.01, slots=8).startswith("**MISS**")


def test_static_target_below_the_machines_ceiling_is_out_of_reach_never_a_pass():
    assert verdict(6.42, 10.0, noise=0.8, cpu=0.13, ceiling=5.94) == "out of reach here (nginx by hand: 5.94×)"
    # Far below what nginx by hand reached in the same runs: the collection's own miss.
    assert verdict(4.0, 10.0, noise=0.1, cpu=0.13, ceiling=5.94).startswith("**MISS**")
    # When the machine can show 10x, the ceiling excuses nothing.
    assert verdict(8.0, 10.0, noise=0.05, cpu=0.13, ceiling=11.0).startswith("**MISS**")


def _slow_rep(rep, rps, nginx_us, app_us):
    """One repetition of the slow-client test: (unloaded, loaded) req/s and per-unit CPU per request."""
    def run(i):
        by_unit = {"nginx.service": nginx_us[i], "bench_uwsgi.service": app_us[i]}
        return {"rps": rps[i], "cpu_us_per_req": sum(by_unit.values()), "cpu_us_per_req_by_unit": by_unit}
    return {"rep": rep, "unloaded": run(0), "loaded": run(1), "slow": {}}


def _slow_verdict(reps):
    data = {"throughput": {}, "slow": {"coll-uwsgi": reps}, "slots": {}, "idle": {}, "options": {"slow_clients": 300}}
    return {t[0]: t for t in bench.targets(data)}["uwsgi flavour with 300 slow clients ≥ 0.9× unloaded"]


def test_slow_clients_cost_is_cpu_per_request_over_the_app_servers():
    # The whole machine 25 % slower in the loaded run: nginx and the app server alike, no cost.
    same = _slow_rep(0, (10000, 8000), (60, 75), (100, 125))
    assert abs(bench.slow_cpu_ratios([same], "bench_uwsgi.service")[0] - 1.0) < 1e-9
    # nginx alone pays 32 µs more per request with the slow sockets open: 1.2x the stack's CPU.
    paying = _slow_rep(0, (10000, 8300), (60, 92), (100, 100))
    assert abs(bench.slow_cpu_ratios([paying], "bench_uwsgi.service")[0] - 1.2) < 1e-9
    # Without per-unit figures there is no ratio, and no CPU verdict.
    bare = {"rep": 0, "unloaded": {"rps": 1, "cpu_us_per_req": 1}, "loaded": {"rps": 1, "cpu_us_per_req": 1}}
    assert bench.slow_cpu_ratios([bare], "bench_uwsgi.service") == [None]
    assert bench.slow_cpu_ratio([bare, same], "bench_uwsgi.service") is None


def test_slow_clients_miss_within_the_noise_is_decided_by_that_cost():
    # Throughput pairs 0.80, 1.30, 0.85 (the machine's drift): the median misses 0.9 within the noise.
    machine = [_slow_rep(0, (10000, 8000), (60, 75), (100, 125)),
               _slow_rep(1, (8000, 10400), (75, 58), (125, 96)),
               _slow_rep(2, (10000, 8500), (60, 71), (100, 118))]
    target = _slow_verdict(machine)
    value, result, cpu = target[1], target[3], target[4]
    assert abs(value - 0.85) < 1e-9 and abs(cpu - 1.0) < 0.01
    assert result.startswith("pass on CPU")
    # The same throughput, but nginx's CPU per request rose while the app server's did not.
    nginx_pays = [_slow_rep(0, (10000, 8000), (60, 100), (100, 100)),
                  _slow_rep(1, (8000, 10400), (75, 110), (125, 125)),
                  _slow_rep(2, (10000, 8500), (60, 95), (100, 100))]
    assert _slow_verdict(nginx_pays)[3].startswith("noise")
    # A large loss with no machine drift (pairs agree) is a miss whatever the CPU says.
    stalled = [_slow_rep(i, (10000, 5000), (60, 60), (100, 100)) for i in range(3)]
    assert _slow_verdict(stalled)[3].startswith("**MISS**")
