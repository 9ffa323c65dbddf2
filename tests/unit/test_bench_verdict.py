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
