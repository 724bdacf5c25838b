"""Simulated-delay mode: exact delayed updates against a pure-Python reference, delay schedules,
reproducibility, projection, and convergence on the paper instance."""

import numpy as np
import pytest

from a3c_theory import config, exact
from a3c_theory.engine import run
from a3c_theory.engine.rng import seed_states
from a3c_theory.engine.run_setup import prepare_run, snapshot_counts
from a3c_theory.reference import XoshiroPlus, constant_schedule, event_schedule, run_async


def _cfg(run=None, algorithm=None, problem=None):
    base = {"problem": {"n_states": 6, "n_actions": 3, "feature_dim": 3, "seed": 5},
            "algorithm": {"c_alpha": 1.0, "c_beta": 0.5},
            "run": {"samples": 300, "snapshots": 301}}
    for section, extra in (("run", run), ("algorithm", algorithm), ("problem", problem)):
        base[section].update(extra or {})
    return config.from_dict(base)


def _assert_matches_reference(cfg, trace, schedule):
    problem = config.build_problem(cfg)
    setup = prepare_run(cfg, problem)
    thetas, ws = run_async(problem, cfg.algorithm, setup.radius, schedule,
                           [XoshiroPlus(row) for row in setup_states(cfg)])
    np.testing.assert_array_equal(trace.k, np.arange(cfg.run.samples + 1))
    np.testing.assert_allclose(trace.theta, np.array(thetas), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(trace.w, np.array(ws), rtol=1e-9, atol=1e-11)


def setup_states(cfg):
    """The workers' sampling streams after chain initialisation is replayed by the reference: the raw
    seeded states (the reference draws s_0, ŝ_0 itself)."""
    sampling_seed = np.random.SeedSequence(cfg.run.seed).spawn(3)[0]
    return seed_states(sampling_seed, cfg.run.workers)


@pytest.mark.parametrize("run_section, algorithm", [
    ({"delay": "constant", "tau": 3, "workers": 2}, {"sampling": "iid", "refresh": 1, "lam": 0.3}),
    ({"delay": "constant", "tau": 5, "workers": 1}, {"sampling": "markov", "radius": 0.4}),
    ({"delay": "round_robin", "workers": 3}, {"sampling": "markov", "n_step": 3, "lam": 0.1}),
    ({"delay": "none", "workers": 2}, {"sampling": "shared"}),
])
def test_delayed_updates_match_a_reference_that_keeps_every_parameter(run_section, algorithm):
    """The update applied at step k is the one drawn from the parameters of step max(0, k − τ)."""
    cfg = _cfg(run=run_section, algorithm=algorithm)
    tau = {"constant": cfg.run.tau, "round_robin": cfg.run.workers - 1, "none": 0}[cfg.run.delay]
    trace = run(cfg, progress=False)
    _assert_matches_reference(cfg, trace, constant_schedule(cfg.run.samples, cfg.run.workers, tau))


def test_reference_check_detects_a_wrong_delay():
    """Power check: the same run compared with a reference one step less stale does not match."""
    cfg = _cfg(run={"delay": "constant", "tau": 3, "workers": 1}, algorithm={"sampling": "markov"})
    trace = run(cfg, progress=False)
    with pytest.raises(AssertionError):
        _assert_matches_reference(cfg, trace, constant_schedule(cfg.run.samples, 1, 2))


def test_event_driven_delays_match_a_reference_simulation():
    cfg = _cfg(run={"delay": "exponential", "workers": 4}, algorithm={"sampling": "markov", "lam": 0.2})
    trace = run(cfg, progress=False)
    timing_seed = np.random.SeedSequence(cfg.run.seed).spawn(3)[1]
    schedule, delays, clock = event_schedule(cfg.run.samples,
                                             [XoshiroPlus(row) for row in seed_states(timing_seed, cfg.run.workers)])
    _assert_matches_reference(cfg, trace, schedule)
    np.testing.assert_array_equal(trace.delay_counts, np.bincount(delays))
    assert trace.time_s[-1] == pytest.approx(clock, rel=1e-12)
    workers = np.array([w for w, _ in schedule])
    np.testing.assert_array_equal(trace.samples_per_worker[-1], np.bincount(workers, minlength=4))


@pytest.mark.parametrize("delay, extra, expected", [
    ("none", {"workers": 3}, lambda K: np.array([K])),
    ("constant", {"tau": 4}, lambda K: np.array([1, 1, 1, 1, K - 4])),
    ("round_robin", {"workers": 5}, lambda K: np.array([1, 1, 1, 1, K - 4])),
])
def test_deterministic_delay_histograms(delay, extra, expected):
    """τ_k = min(k, τ) (round robin: τ = N − 1)."""
    K = 5000
    trace = run(_cfg(run={"delay": delay, "samples": K, "snapshots": 10, **extra}, algorithm={"sampling": "markov"}),
                progress=False)
    np.testing.assert_array_equal(trace.delay_counts, expected(K))
    N = trace.n_workers
    np.testing.assert_array_equal(trace.samples_per_worker[-1], np.full(N, K // N) + (np.arange(N) < K % N))
    np.testing.assert_array_equal(trace.samples_per_worker.sum(axis=1), trace.k)
    np.testing.assert_allclose(trace.time_s, np.ceil(trace.k / N))


def test_uniform_delays_stay_in_bounds_and_are_uniform():
    """τ_k ~ U{0..K0} clipped to k. Counts of each value: binomial(K − K0, 1/(K0+1)) plus at most one
    clipped early step; z-test per value with Bonferroni over K0 + 1 values at total level 1e-6."""
    K, K0 = 60_000, 7
    trace = run(_cfg(run={"delay": "uniform", "max_delay": K0, "workers": 3, "samples": K, "snapshots": 5},
                     algorithm={"sampling": "markov"}), progress=False)
    counts = trace.delay_counts
    assert counts.size <= K0 + 1 and counts.sum() == K
    p = 1.0 / (K0 + 1)
    z = np.abs(counts - K * p) / np.sqrt(K * p * (1 - p))
    assert z.max() < 5.5  # two-sided normal quantile at 1e-6 / 8 is 5.3; +K0 clipped steps are negligible


@pytest.mark.parametrize("delay", ["exponential", "lognormal", "straggler"])
def test_event_driven_delay_statistics(delay):
    """With N workers always busy, each application ages the N − 1 other updates in flight by one, so
    Σ_k τ_k = (N − 1)K − (ages of the N − 1 updates still in flight at the end): the mean delay is at most
    N − 1, and below it by (N − 1)·(typical age)/K; the check uses the largest applied delay as the age
    bound (seeded, deterministic)."""
    K, N = 20_000, 8
    cfg = _cfg(run={"delay": delay, "workers": N, "samples": K, "snapshots": 20}, algorithm={"sampling": "markov"})
    trace = run(cfg, progress=False)
    counts = trace.delay_counts
    assert counts.sum() == K
    mean = (np.arange(counts.size) * counts).sum() / K
    max_delay = counts.size - 1
    assert N - 1 - (N - 1) * max_delay / K <= mean <= N - 1
    assert trace.meta["max_delay"] == max_delay
    np.testing.assert_array_equal(trace.samples_per_worker.sum(axis=1), trace.k)
    assert np.all(np.diff(trace.time_s) >= 0) and trace.time_s[-1] > 0


@pytest.mark.parametrize("run_section", [
    {"delay": "uniform", "max_delay": 6, "workers": 3},
    {"delay": "exponential", "workers": 1024},
])
@pytest.mark.parametrize("sampling", ["iid", "markov"])
def test_same_seed_same_trace_and_different_seed_different_trace(run_section, sampling):
    cfg = _cfg(run={**run_section, "samples": 4000, "snapshots": 12, "seed": 11}, algorithm={"sampling": sampling})
    a, b = run(cfg, progress=False), run(cfg, progress=False)
    for name in ("k", "theta", "w", "time_s", "samples_per_worker", "delay_counts"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    other = run(config.from_dict({**cfg.to_dict(), "run": {**cfg.to_dict()["run"], "seed": 12}}), progress=False)
    assert not np.array_equal(a.theta[-1], other.theta[-1])
    assert not np.array_equal(a.w[-1], other.w[-1])


def test_projection_keeps_the_critic_in_the_ball():
    radius = 0.3
    cfg = _cfg(run={"samples": 3000, "snapshots": 50}, algorithm={"sampling": "markov", "radius": radius})
    trace = run(cfg, progress=False)
    assert trace.meta["radius"] == radius and trace.meta["radius_source"] == "config"
    assert trace.meta["projections"] > 100  # the constraint is active
    assert trace.meta["max_critic_norm"] <= radius * (1 + 1e-12)  # largest ‖ω‖ after any step
    assert np.all(np.linalg.norm(trace.w, axis=1) <= radius * (1 + 1e-12))


def test_default_radius_is_the_theory_radius_at_the_uniform_policy():
    cfg = _cfg(run={"samples": 10, "snapshots": 2})
    trace = run(cfg, progress=False)
    problem = config.build_problem(cfg)
    assert trace.meta["radius"] == pytest.approx(exact.theory_radius(problem, np.zeros(problem.policy.dim)))
    assert trace.meta["radius_source"] == "theory"


def test_snapshot_counts_are_log_spaced_with_both_ends():
    k = snapshot_counts(200_000, 40)
    assert k[0] == 0 and k[-1] == 200_000 and np.all(np.diff(k) > 0) and len(k) <= 40
    ratios = k[2:] / k[1:-1]
    assert ratios.max() <= 2.0
    np.testing.assert_array_equal(snapshot_counts(5, 10), np.arange(6))
    assert np.all(snapshot_counts(1200, 9, step=4) % 4 == 0)


def test_trace_metadata_and_refresh_bias():
    cfg = _cfg(run={"samples": 2000, "snapshots": 8}, algorithm={"sampling": "iid", "refresh": 100})
    trace = run(cfg, progress=False)
    bias = trace.meta["sampling_law_bias"]
    assert bias["refresh"] == 100 and bias["refreshes"] == 20
    assert 0 < bias["tv_mu_mean"] <= bias["tv_mu_max"] < 1 and 0 < bias["tv_d_mean"] <= bias["tv_d_max"] < 1
    assert trace.meta["clock"] == "simulated" and trace.meta["package_version"]
    assert {"cores", "cpu", "python", "numpy", "numba"} <= set(trace.meta["machine"])
    assert trace.config == cfg.to_dict()


def test_convergence_on_the_paper_instance():
    """paper_problem (100 states, 5 actions, d = 10, r(s, a) ~ U(0, 1)), N = 1, i.i.d. sampling, default step
    sizes, 200k samples, four instance/run seeds: J* − J and the critic gap ‖ω − ω*_θ‖ both fall by at
    least half from their start. Measured ratios at the defaults: J* − J 0.17–0.19, critic gap 0.02–0.06
    (seeds 0–2); a uniform policy that never learns keeps the gap ratio at 1."""
    for problem_seed, run_seed in [(0, 0), (1, 2), (2, 3), (3, 4)]:
        cfg = config.from_dict({"problem": {"seed": problem_seed}, "run": {"samples": 200_000, "seed": run_seed}})
        problem = config.build_problem(cfg)
        trace = run(cfg, progress=False, problem=problem)
        evaluator = exact.Evaluator(problem)
        start = evaluator.metrics(trace.theta[0], trace.w[0])
        end = evaluator.metrics(trace.theta[-1], trace.w[-1])
        assert end["critic_gap"] <= 0.5 * start["critic_gap"], (problem_seed, start, end)
        assert end["gap"] <= 0.5 * start["gap"], (problem_seed, start, end)
