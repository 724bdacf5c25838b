"""Compiled exact quantities of small instances (engine/small_exact.py) and the option-1 refreshes that use
them (engine/run_setup.SamplingLaws, issue 18 item 2).

- ``pairwise_sum`` rounds as NumPy's ``x.sum()`` (bit for bit), which the laws' normalisations rely on.
- On small instances the compiled refresh gives the laws, CDFs and drifts of ``exact.sampling_laws`` bit for
  bit (both solve with SciPy's LAPACK ``dgesv``: ``exact.dense_solve``), so runs keep their snapshots byte for byte; the 100-state paper instance included.
- The compiled path is taken only up to ``small_exact.REFRESH_MAX_STATES`` states; it rounds as the exact
  path does, so no run changes and no distributional comparison is needed.
"""

import numpy as np
import pytest

from a3c_theory import config, engine, exact
from a3c_theory.engine import run_setup
from a3c_theory.engine.run_setup import SamplingLaws, prepare_run
from a3c_theory.engine.samplers import distribution_cdf, guide_table
from a3c_theory.engine.small_exact import pairwise_sum

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
def test_compiled_refresh_gives_the_exact_paths_laws_bit_for_bit(spec):
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
        mu, d = exact.sampling_laws(problem.mdp, problem.policy.probabilities(setup.theta), mu_old, d_old)
        assert np.array_equal(laws.mu, mu) and np.array_equal(laws.d, d)
        assert np.array_equal(setup.arrays.mu_cdf, distribution_cdf(mu))
        assert np.array_equal(setup.arrays.d_cdf, distribution_cdf(d))
        assert np.array_equal(setup.arrays.mu_guide, guide_table(distribution_cdf(mu)))
        assert np.array_equal(setup.arrays.d_guide, guide_table(distribution_cdf(d)))
        if mu_old is not None:
            assert laws.tv_mu[-1] == 0.5 * float(np.abs(mu - mu_old).sum())
            assert laws.tv_d[-1] == 0.5 * float(np.abs(d - d_old).sum())
        mu_old, d_old = mu, d
    assert len(laws.tv_mu) == 39


def test_a_run_with_compiled_refreshes_equals_the_exact_path_run(monkeypatch):
    cfg = config.from_dict({"problem": TRAP, "algorithm": {"c_alpha": 3.0, "refresh": 100},
                            "run": {"workers": 8, "delay": "round_robin", "samples": 20000, "snapshots": 12}})
    compiled = engine.run(cfg, progress=False)
    monkeypatch.setattr(run_setup, "REFRESH_MAX_STATES", 0)  # every instance takes exact.sampling_laws
    plain = engine.run(cfg, progress=False)
    for name in ("k", "theta", "w", "delay_counts"):
        assert np.array_equal(getattr(compiled, name), getattr(plain, name)), name
    assert compiled.meta["sampling_law_bias"] == plain.meta["sampling_law_bias"]
    assert compiled.meta["sampling_law_bias"]["refreshes"] == 200
