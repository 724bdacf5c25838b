"""Synchronous mode (A2C): averaged rounds against the reference, N = 1 equals A3C, reproducibility."""

import numpy as np
import pytest

from a3c_theory import config
from a3c_theory.engine import run
from a3c_theory.engine.rng import seed_states
from a3c_theory.engine.run_setup import prepare_run
from a3c_theory.reference import XoshiroPlus, run_sync

ARRAYS = ("k", "theta", "w", "time_s", "samples_per_worker", "delay_counts")


def _cfg(run=None, algorithm=None):
    d = {"problem": {"n_states": 6, "n_actions": 3, "feature_dim": 3, "seed": 2},
         "algorithm": {"c_alpha": 1.0, "c_beta": 0.5},
         "run": {"mode": "sync", "samples": 240, "snapshots": 241}}
    d["run"].update(run or {})
    d["algorithm"].update(algorithm or {})
    return config.from_dict(d)


@pytest.mark.parametrize("workers, algorithm", [
    (3, {"sampling": "iid", "refresh": 1, "lam": 0.2}),
    (4, {"sampling": "markov", "n_step": 2, "radius": 0.5}),
    (3, {"sampling": "iid", "refresh": 1, "lam": 0.2, "a2c_step_sizes": "per_sample"}),
    (4, {"sampling": "markov", "n_step": 2, "radius": 0.5, "a2c_step_sizes": "per_sample"}),
])
def test_rounds_match_the_reference(workers, algorithm):
    """Round r: every worker draws from θ_{rN}; the mean update is applied with α_{rN}, β_{rN}
    (per_round), or the sum with update i at α_{rN+i}, β_{rN+i} (per_sample)."""
    cfg = _cfg(run={"workers": workers}, algorithm=algorithm)
    trace = run(cfg, progress=False)
    problem = config.build_problem(cfg)
    radius = prepare_run(cfg, problem).radius
    states = seed_states(np.random.SeedSequence(cfg.run.seed).spawn(3)[0], workers)
    rounds = cfg.run.samples // workers
    thetas, ws = run_sync(problem, cfg.algorithm, radius, [XoshiroPlus(row) for row in states], rounds)
    np.testing.assert_array_equal(trace.k, np.arange(rounds + 1) * workers)
    np.testing.assert_allclose(trace.theta, np.array(thetas), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(trace.w, np.array(ws), rtol=1e-9, atol=1e-11)
    np.testing.assert_array_equal(trace.samples_per_worker, np.repeat(trace.k[:, None] // workers, workers, axis=1))
    np.testing.assert_array_equal(trace.delay_counts, [cfg.run.samples])
    np.testing.assert_allclose(trace.time_s, trace.k / workers)  # unit compute times: one per round


@pytest.mark.parametrize("step_sizes", ["per_round", "per_sample"])
@pytest.mark.parametrize("delay", ["none", "exponential", "straggler"])
@pytest.mark.parametrize("sampling", ["iid", "markov", "shared"])
def test_one_worker_a2c_equals_one_worker_a3c(sampling, delay, step_sizes):
    a2c = run(_cfg(run={"workers": 1, "delay": delay, "snapshots": 30},
                   algorithm={"sampling": sampling, "lam": 0.1, "a2c_step_sizes": step_sizes}), progress=False)
    a3c = run(_cfg(run={"workers": 1, "delay": delay, "snapshots": 30, "mode": "simulated"},
                   algorithm={"sampling": sampling, "lam": 0.1}), progress=False)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a2c, name), getattr(a3c, name), err_msg=name)


def test_round_clock_is_the_slowest_worker():
    """Straggler compute times are 1 or 10, so every round lasts 1 or 10 and most last 10 with N = 16."""
    trace = run(_cfg(run={"workers": 16, "delay": "straggler", "samples": 16 * 500, "snapshots": 5,
                          "straggler_prob": 0.1, "straggler_slowdown": 10.0}), progress=False)
    rounds = trace.k[-1] // 16
    slow = (trace.time_s[-1] - rounds) / 9.0  # number of rounds that took 10
    assert slow == pytest.approx(round(slow))
    # P(some worker straggles) = 1 − 0.9^16 ≈ 0.815; 5.3-sigma binomial band over 500 rounds
    p = 1 - 0.9**16
    assert abs(slow - rounds * p) < 5.3 * np.sqrt(rounds * p * (1 - p))


def test_the_round_clock_refuses_more_rounds_than_it_keeps_times_for():
    from a3c_theory.engine.delays import SyncClock

    clock = SyncClock("exponential", 3, 1.0, 0.0, 1.0, np.random.SeedSequence(0), capacity=4)
    clock.advance(4)
    with pytest.raises(ValueError, match="capacity 4"):
        clock.advance(5)


@pytest.mark.parametrize("delay", ["none", "lognormal"])
def test_same_seed_same_trace_and_different_seed_different_trace(delay):
    cfg = _cfg(run={"workers": 8, "delay": delay, "samples": 8000, "snapshots": 15, "seed": 4},
               algorithm={"sampling": "markov"})
    a, b = run(cfg, progress=False), run(cfg, progress=False)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    d = cfg.to_dict()
    d["run"]["seed"] = 5
    other = run(config.from_dict(d), progress=False)
    assert not np.array_equal(a.theta[-1], other.theta[-1]) and not np.array_equal(a.w[-1], other.w[-1])
    if delay == "lognormal":
        assert not np.array_equal(a.time_s, other.time_s)


def test_snapshots_fall_on_round_boundaries():
    trace = run(_cfg(run={"workers": 6, "samples": 6000, "snapshots": 12}), progress=False)
    assert trace.k[0] == 0 and trace.k[-1] == 6000 and np.all(trace.k % 6 == 0)
    assert trace.meta["sync_step_sizes"].startswith("round r applies the average")



def test_meta_names_the_step_size_rule():
    for rule, words in (("per_round", "the average"), ("per_sample", "per-sample-equivalent")):
        trace = run(_cfg(run={"workers": 4, "samples": 40, "snapshots": 3}, algorithm={"a2c_step_sizes": rule}),
                    progress=False)
        assert words in trace.meta["sync_step_sizes"]
