"""The benchmark harness (bench/suite.py, bench/engine_speed.py).

No timing assertions: the harness is run on tiny sizes and only the shape of its output is checked (the
NumPy baseline, a3c_theory.reference, is checked against the compiled kernel in tests/test_reference.py).
"""

import json
import math

import pytest

from a3c_theory.bench.suite import TARGETS, check_targets, print_report, run_benchmarks

TINY = {"kernel": 2_000, "numpy": 200, "threads_paper": 4_000, "threads_garnet": 2_000, "repeats": 1,
        "study_seeds": 3, "study_repeats": 2, "study_horizon": 30_000}
SCALAR_KEYS = ("kernel_samples_per_s", "numpy_reference_samples_per_s", "speedup_vs_numpy", "simulated_overhead",
               "compile_s", "cached_load_s", "scalar_helpers_ratio", "study_throughput_ratio",
               "study_batch_vs_kernel_rate", "study_target_cost_fraction", "study_updates_fraction")
PER_N_KEYS = ("thread_efficiency_paper", "thread_efficiency_garnet10k", "thread_efficiency_paper_batched",
              "thread_efficiency_independent_paper")
MODES = ("kernel", "numpy", "simulated_rr16", "sync16", "threads_paper_N1", "threads_garnet10k_N1",
         "threads_paper_batched_N1")


def _finite_positive(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


@pytest.fixture(scope="module")
def results():
    return run_benchmarks(quick=True, sizes=TINY, include_exact=False)


def test_benchmark_json_has_every_key_with_finite_positive_values(results):
    for key in SCALAR_KEYS:
        assert _finite_positive(results[key]), key
    for key in PER_N_KEYS:
        assert set(results[key]) >= {"1"} and all(_finite_positive(v) for v in results[key].values()), key
        assert results[key]["1"] == pytest.approx(1.0)  # N = 1 is the reference of its own row
    for name, row in results["thread_efficiency_vs_independent"].items():
        assert all(_finite_positive(v) for v in row.values()), name
    for mode in MODES:
        assert _finite_positive(results["ns_per_sample"][mode]), mode
    kernels = results["kernel_ns_per_update"]
    assert set(kernels) == {"paper_iid", "paper_markov", "trap_chain_iid", "frozenlake4x4_iid"}
    assert all(_finite_positive(v) for name, v in kernels.items() if name != "frozenlake4x4_iid")
    assert kernels["paper_iid"] == pytest.approx(results["ns_per_sample"]["kernel"])
    parts = results["kernel_parts_ns_per_update"]
    assert set(parts) == {"rng", "softmax", "draws", "apply", "rest", "refresh_at_M1000"}
    assert all(_finite_positive(parts[name]) for name in ("rng", "softmax", "draws", "apply", "refresh_at_M1000"))
    assert parts["rest"] == pytest.approx(kernels["paper_iid"] - sum(parts[n] for n in ("rng", "softmax", "draws",
                                                                                         "apply")))
    assert json.loads(json.dumps(results)) == results  # JSON-ready as is


def test_targets_are_reported_with_a_verdict(results, capsys):
    rows = results["targets"]
    assert [row["threshold"] for row in rows] == [t[3] for t in TARGETS]
    for row in rows:
        if row["value"] is not None:
            ok = row["value"] >= row["threshold"] if row["comparison"] == ">=" else row["value"] <= row["threshold"]
            assert row["passed"] is ok
    print_report(results)
    out = capsys.readouterr().out
    assert "speedup_vs_numpy" in out and ("PASS" in out or "FAIL" in out)


def test_unmeasured_target_is_not_applicable():
    rows = check_targets({"thread_efficiency_garnet10k": {"1": 1.0}})
    row = next(r for r in rows if r["name"] == "thread_efficiency_garnet10k[N=2]")
    assert row["value"] is None and row["passed"] is None


def test_study_cell_runs_both_ways_and_their_hitting_times_agree(results):
    settings = results["study_settings"]
    assert settings["seeds"] == 3 and settings["blocks"] == 2 and settings["targets"] == [0.5, 0.8, 0.95]
    assert len(results["study_throughput_ratio_blocks"]) == 2
    assert set(results["study_runs_per_cpu_s"]) == {"old", "new"}
    # both ways see the same crossings; the online one lies within the old way's bracketing snapshots
    assert results["study_hits_unmatched"] == 0
    assert 0 <= results["study_hit_disagreement"]["median"] <= results["study_hit_disagreement"]["max"] <= 1
    assert results["study_updates_fraction"] < 1  # the runs stopped at their last target
    assert math.isfinite(results["study_target_overhead"])  # a ratio minus 1: may read < 0 on a noisy machine
