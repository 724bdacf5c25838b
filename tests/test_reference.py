"""The NumPy reference (a3c_theory.reference): as the bench baseline (fixed option-1 laws, no history kept)
it reaches the compiled kernel's (θ, ω) from the same random numbers, and dropping the history changes
nothing. Its agreement with the engine under delays, n-step returns, Markovian sampling and A2C rounds is
tested in test_engine_simulated.py and test_engine_sync.py (it is the oracle there)."""

import numpy as np
import pytest

from a3c_theory import config, reference
from a3c_theory.engine import run
from a3c_theory.engine.rng import seed_states


def _cfg(K, lam=0.0, actor="tabular", **algorithm):
    return config.from_dict({
        "problem": {"n_states": 20, "n_actions": 3, "feature_dim": 4, "actor": actor, "actor_dim": 6},
        "algorithm": {"sampling": "iid", "refresh": 10 * K, "lam": lam, "radius": 0.3, "c_alpha": 2.0,
                      "c_beta": 1.0, **algorithm},
        "run": {"mode": "threads", "samples": K, "snapshots": 2},
    })


def _streams(cfg):
    return [reference.XoshiroPlus(row)
            for row in seed_states(np.random.SeedSequence(cfg.run.seed).spawn(3)[0], cfg.run.workers)]


@pytest.mark.parametrize("lam,actor", [(0.0, "tabular"), (0.2, "tabular"), (0.2, "linear")])
def test_bench_baseline_computes_the_kernels_updates_from_the_same_draws(lam, actor):
    """One worker, option 1 with the laws of θ_0 held fixed (the bench's setting): the compiled run
    (threads mode, N = 1) and the reference fed the same xoshiro stream end at the same (θ, ω) within
    1e-12. A small radius makes the projection active."""
    K = 400
    cfg = _cfg(K, lam, actor)
    problem = config.build_problem(cfg)
    trace = run(cfg, problem=problem)
    assert trace.meta["projections"] > 0
    laws = reference.sampling_laws(problem, np.zeros(problem.policy.dim))
    theta, w = reference.run_async(problem, cfg.algorithm, 0.3, reference.constant_schedule(K, 1, 0),
                                   _streams(cfg), laws=laws, history=False)
    assert np.abs(theta).max() > 1e-3  # the comparison is not between two zero vectors
    np.testing.assert_allclose(theta, trace.theta[-1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(w, trace.w[-1], rtol=0, atol=1e-12)


def test_without_history_the_delayed_run_ends_at_the_same_parameters():
    cfg = _cfg(200, 0.1, sampling="markov")
    problem = config.build_problem(cfg)
    schedule = reference.constant_schedule(200, 3, 4)
    thetas, ws = reference.run_async(problem, cfg.algorithm, 0.3, schedule, _streams(cfg) * 3)
    theta, w = reference.run_async(problem, cfg.algorithm, 0.3, schedule, _streams(cfg) * 3, history=False)
    assert len(thetas) == 201 and np.abs(thetas[-1] - thetas[-5]).max() > 0
    np.testing.assert_array_equal(theta, thetas[-1])
    np.testing.assert_array_equal(w, ws[-1])


def test_batched_uniforms_follow_the_generator():
    source = reference.BatchedUniforms(np.random.default_rng(3), batch=7)
    drawn = [source.uniform() for _ in range(20)]
    np.testing.assert_array_equal(drawn, np.random.default_rng(3).random(21)[:20])
