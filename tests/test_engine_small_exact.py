"""Compiled exact quantities of small instances (engine/small_exact.py) and the option-1 refreshes that use
them (engine/run_setup.SamplingLaws, issue 18 item 2).

- ``pairwise_sum`` rounds as NumPy's ``x.sum()`` (bit for bit), which the laws' normalisations rely on.
- On small instances the compiled refresh (softmax and ``P_π`` in compiled code, the solves through SciPy's
  LAPACK as ``exact.dense_solve``) gives the laws of ``exact.sampling_laws`` to within 1e-14 (the largest
  difference measured on these instances was 2.8e-16; the softmax and ``P_π`` round differently from NumPy's
  calls), writes the CDFs and guide tables of its own laws bit for bit, and records its drifts.
- Because of that rounding a run with compiled refreshes is compared with the exact path's in distribution:
  hitting times of 200 + 200 independent seeds, a two-sample Kolmogorov–Smirnov test per target at
  α = 0.001 (three targets: family-wise false-alarm rate ≤ 0.003; seeded, so the outcome is fixed). A
  1-ulp change of a CDF flips a draw only when the uniform falls in that ulp, so runs of the same seed are
  expected to stay identical too: at least 45 of 50 seeds must give the same hitting times on both paths.
"""

import numpy as np
import pytest

from scipy import stats

from a3c_theory import config, engine, exact, pipeline
from a3c_theory.engine import run_setup
from a3c_theory.engine.run_setup import SamplingLaws, prepare_run
from a3c_theory.engine.samplers import distribution_cdf, guide_table
from a3c_theory.engine.small_exact import pairwise_sum, refresh_dense_laws

TRAP = {"kind": "trap_chain", "n_states": 6, "critic_features": "one_hot"}
SMALL = [TRAP, {"n_states": 12, "n_actions": 3, "feature_dim": 4},
         {"n_states": 30, "n_actions": 5, "feature_dim": 4}, {"n_states": 64, "n_actions": 5, "feature_dim": 6},
         {"n_states": 12, "n_actions": 3, "feature_dim": 4, "actor": "linear", "actor_dim": 5}, {"kind": "paper"}]


def test_pairwise_sum_rounds_as_numpy_sum():
    rng = np.random.default_rng(0)
    for n in [*range(1, 300), 511, 1000, 1025, 4097]:
        x = rng.random(n + 3) ** 3
        assert pairwise_sum(x, 0, n) == x[:n].sum()
        assert pairwise_sum(x, 3, n) == x[3:].sum()


@pytest.mark.parametrize("spec", SMALL)
def test_compiled_refresh_gives_the_exact_paths_laws_to_rounding(spec):
    cfg = config.from_dict({"problem": spec})
    setup = prepare_run(cfg)
    laws = SamplingLaws(setup)
    assert laws.compiled
    problem = setup.problem
    rng = np.random.default_rng(1)
    mu_old = d_old = None
    for step in range(40):
        setup.theta[:] = rng.normal(size=setup.theta.size) * (step % 5)
        laws.refresh()
        mu, d = exact.sampling_laws(problem.mdp, problem.policy.probabilities(setup.theta))
        assert np.abs(laws.mu - mu).max() <= 1e-14 and np.abs(laws.d - d).max() <= 1e-14
        assert np.array_equal(setup.arrays.mu_cdf, distribution_cdf(laws.mu))
        assert np.array_equal(setup.arrays.d_cdf, distribution_cdf(laws.d))
        assert np.array_equal(setup.arrays.mu_guide, guide_table(distribution_cdf(laws.mu)))
        assert np.array_equal(setup.arrays.d_guide, guide_table(distribution_cdf(laws.d)))
        if mu_old is not None:
            assert laws.tv_mu[-1] == 0.5 * float(np.abs(laws.mu - mu_old).sum())
            assert laws.tv_d[-1] == 0.5 * float(np.abs(laws.d - d_old).sum())
        mu_old, d_old = laws.mu, laws.d
    assert len(laws.tv_mu) == 39


def _hits(cfg: dict, seeds) -> np.ndarray:
    """Hitting times (rows: seeds, columns: targets; horizon + 1 when not reached) of a seed batch."""
    runs = pipeline.run_batch([config.from_dict({**cfg, "run": {**cfg["run"], "seed": int(s)}}) for s in seeds])
    names = [f"hits_gap_{f:g}" for f in cfg["targets"]["gap"]]
    return np.array([[r.meta[n] if r.meta[n] is not None else cfg["run"]["samples"] + 1 for n in names]
                     for r in runs], float)


def test_runs_with_compiled_refreshes_hit_as_the_exact_path_runs_do(monkeypatch):
    cfg = {"problem": TRAP, "algorithm": {"c_alpha": 3.0, "refresh": 100},
           "run": {"workers": 8, "delay": "round_robin", "samples": 20000, "snapshots": 2},
           "targets": {"gap": [0.5, 0.8, 0.95]}}
    compiled = _hits(cfg, range(200))
    monkeypatch.setattr(run_setup, "REFRESH_MAX_STATES", 0)  # every instance takes exact.sampling_laws
    plain, plain_paired = _hits(cfg, range(200, 400)), _hits(cfg, range(50))
    for j in range(compiled.shape[1]):
        assert stats.ks_2samp(compiled[:, j], plain[:, j]).pvalue > 0.001, j
    assert (compiled[:50] == plain_paired).all(axis=1).sum() >= 45
    assert np.mean(compiled <= 20000) > 0.5  # the targets are reached: the hitting times carry information


def test_the_kernel_refreshes_as_the_runner_would_between_chunks(monkeypatch):
    """A run whose refreshes happen inside the kernel call equals, bit for bit, the run whose chunks all end
    at the multiples of M (refreshed from Python, by the same compiled function)."""
    cfg = config.from_dict({"problem": TRAP, "algorithm": {"c_alpha": 3.0, "refresh": 100},
                            "run": {"workers": 8, "delay": "round_robin", "samples": 20000, "snapshots": 12}})
    inside = engine.run(cfg, progress=False)
    monkeypatch.setattr(SamplingLaws, "compiled", property(lambda self: False))
    monkeypatch.setattr(SamplingLaws, "refresh", _python_refresh)
    between = engine.run(cfg, progress=False)
    for name in ("k", "theta", "w", "delay_counts"):
        assert np.array_equal(getattr(inside, name), getattr(between, name)), name
    assert inside.meta["sampling_law_bias"] == between.meta["sampling_law_bias"]
    assert inside.meta["sampling_law_bias"]["refreshes"] == 200


def _python_refresh(self):
    """The compiled refresh, called from Python at a chunk end (what ``SamplingLaws.refresh`` does)."""
    self.reserve(1)
    refresh_dense_laws(self.setup.arrays, self.setup.theta, self.state)


def _refreshing_chunk(theta_nan: bool):
    """One ``kernels.simulated_refreshing_chunk`` call over ``[0, 1000)`` with M = 100 (trap chain, 4 workers,
    round-robin), after a first refresh; ``theta_nan`` puts a NaN into θ first. Returns (count reached,
    drifts recorded)."""
    from a3c_theory.engine import delays, kernels
    from a3c_theory.engine.targets import COPY_END

    cfg = config.from_dict({"problem": TRAP, "algorithm": {"refresh": 100},
                            "run": {"workers": 4, "delay": "round_robin", "samples": 1000}})
    setup = prepare_run(cfg)
    laws = SamplingLaws(setup)
    laws.refresh()
    laws.reserve(10)
    schedule = delays.make_schedule(cfg.run, setup.delay_seed, setup.timing_seed, 1000)
    sched = schedule.next_chunk(0, 1000)
    pend_i, pend_f = setup.kernels.pending(setup.arrays, schedule.n_slots)
    if theta_nan:
        setup.theta[0] = np.nan
    reached = kernels.simulated_refreshing_chunk(
        setup.arrays, setup.hyper, setup.theta, setup.w, setup.rng_states, setup.crit_chain, setup.act_chain,
        pend_i, pend_f, setup.kernels.scratch(setup.arrays), sched.comp_ptr, sched.comp_slot, sched.comp_worker,
        sched.apply_slot, np.int64(0), np.int64(1000), np.zeros(2), np.array([COPY_END], np.int64),
        np.zeros((0, setup.theta.size)), np.zeros((0, setup.w.size)), np.int64(100), laws.state)
    return int(reached), int(laws.state.count[0])


def test_the_refreshing_kernel_refreshes_at_each_multiple_of_m_and_stops_where_theta_left_the_floats():
    assert _refreshing_chunk(theta_nan=False) == (1000, 9)  # refreshes at 100, …, 900
    assert _refreshing_chunk(theta_nan=True) == (100, 0)  # no refresh from a non-finite θ
