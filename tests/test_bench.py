"""The benchmark harness (bench/report.py, bench/engine.py) and the NumPy reference (bench/numpy_reference.py).

No timing assertions: the harness is run on tiny sizes and only the shape of its output is checked; the
NumPy reference is checked against the compiled kernel on the same random numbers.
"""

import json
import math

import numpy as np
import pytest

from a3c_theory import config, exact
from a3c_theory.bench.numpy_reference import NumpyReference
from a3c_theory.bench.report import TARGETS, check_targets, print_report, run_benchmarks
from a3c_theory.engine import run
from a3c_theory.engine.run_setup import prepare_run

TINY = {"kernel": 2_000, "numpy": 200, "threads_paper": 4_000, "threads_garnet": 2_000, "repeats": 1}
SCALAR_KEYS = ("kernel_samples_per_s", "numpy_reference_samples_per_s", "speedup_vs_numpy", "simulated_overhead",
               "compile_s", "cached_load_s")
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


def _xoshiro256plus_uniforms(state):
    """Independent pure-Python xoshiro256+ (Blackman & Vigna) from a 4-word state; returns ``next(m)``
    giving ``m`` uniforms ``(x >> 11) · 2^-53``, the engine's conversion."""
    mask = (1 << 64) - 1
    s = [int(x) for x in state]

    def draw(m):
        out = np.empty(m)
        for i in range(m):
            result = (s[0] + s[3]) & mask
            t = (s[1] << 17) & mask
            s[2] ^= s[0]
            s[3] ^= s[1]
            s[1] ^= s[2]
            s[0] ^= s[3]
            s[2] ^= t
            s[3] = ((s[3] << 45) | (s[3] >> 19)) & mask
            out[i] = (result >> 11) * 2.0**-53
        return out

    return draw


@pytest.mark.parametrize("lam,actor", [(0.0, "tabular"), (0.2, "tabular"), (0.2, "linear")])
def test_numpy_reference_computes_the_kernels_update_from_the_same_draws(lam, actor):
    """One worker, option 1 with the laws of θ_0: the compiled run (threads mode, N = 1) and the NumPy
    reference fed the same xoshiro stream (the worker's, after its two chain-initialisation draws) end at
    the same (θ, ω) within 1e-12. A small radius makes the projection active."""
    K = 400
    cfg = config.from_dict({
        "problem": {"n_states": 20, "n_actions": 3, "feature_dim": 4, "actor": actor, "actor_dim": 6},
        "algorithm": {"sampling": "iid", "refresh": 10 * K, "lam": lam, "radius": 0.3, "c_alpha": 2.0,
                      "c_beta": 1.0},
        "run": {"mode": "threads", "samples": K, "snapshots": 2},
    })
    problem = config.build_problem(cfg)
    trace = run(cfg, problem=problem)
    assert trace.meta["projections"] > 0
    state = prepare_run(cfg, problem).rng_states[0]
    alg = cfg.algorithm
    theta = np.zeros(problem.policy.dim)
    w = np.zeros(problem.critic_dim)
    pi = problem.policy.probabilities(theta)
    reference = NumpyReference(problem, exact.stationary_distribution(problem.mdp, pi),
                               exact.discounted_visitation(problem.mdp, pi), lam=lam, radius=0.3,
                               c_alpha=alg.c_alpha, sigma_alpha=alg.sigma_alpha, c_beta=alg.c_beta,
                               sigma_beta=alg.sigma_beta)
    reference.run(theta, w, 0, K, _xoshiro256plus_uniforms(state), batch=64)
    assert np.abs(theta).max() > 1e-3  # the comparison is not between two zero vectors
    np.testing.assert_allclose(theta, trace.theta[-1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(w, trace.w[-1], rtol=0, atol=1e-12)
