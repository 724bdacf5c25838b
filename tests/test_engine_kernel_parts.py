"""The part loops of engine/kernel_parts.py compute what they say (so the bench's time split is of the
kernel's real operations): each loop's result against the same quantity computed by NumPy."""

import math

import numpy as np
import pytest

from a3c_theory import config
from a3c_theory.engine import kernel_parts as P
from a3c_theory.engine.rng import fill_uniform
from a3c_theory.engine.run_setup import SamplingLaws, prepare_run
from a3c_theory.engine.samplers import problem_arrays


@pytest.fixture(scope="module")
def paper():
    setup = prepare_run(config.from_dict({"problem": {"kind": "paper"}, "algorithm": {"refresh": 1000}}))
    setup.theta[:] = np.random.default_rng(3).normal(size=setup.theta.size)
    laws = SamplingLaws(setup)
    laws.refresh()
    return setup, laws


def test_rng_part_sums_six_uniforms_per_update_of_the_stream(paper):
    setup = paper[0]
    states = setup.rng_states[:1].copy()
    expected = np.empty(6 * 50)
    fill_uniform(states.copy(), 0, expected)
    assert P.rng_part(states, 50) == pytest.approx(expected.sum(), rel=1e-12)


def test_softmax_part_computes_the_policy_at_each_state(paper):
    setup = paper[0]
    states = np.array([0, 7, 99, 42], np.int64)
    buf = setup.kernels.scratch(setup.arrays)
    pi = setup.problem.policy.probabilities(setup.theta)
    total = P.softmax_part(setup.arrays, setup.theta, states, buf, 6)  # 12 policies, the 4 states in a cycle
    assert total == pytest.approx(3 * pi[states, 0].sum(), rel=1e-12)
    assert np.allclose(buf[:5], pi[42], rtol=1e-12)


def test_draws_part_draws_states_actions_and_successors_by_inverse_cdf(paper):
    setup, laws = paper
    rng = np.random.default_rng(0)
    states, actions = rng.integers(0, 100, 8), rng.integers(0, 5, 8)
    uniforms = rng.random(6 * 4)
    pi = setup.problem.policy.probabilities(setup.theta)
    mdp = setup.problem.mdp
    expected = 0
    for i in range(4):
        u = uniforms[6 * i: 6 * i + 6]
        expected += np.searchsorted(setup.arrays.mu_cdf, u[0], side="right")
        expected += np.searchsorted(setup.arrays.d_cdf, u[1], side="right")
        for part in range(2):
            s, a = states[2 * i + part], actions[2 * i + part]
            expected += np.searchsorted(np.cumsum(pi[s]), u[2 + part], side="right")
            row = s * 5 + a
            lo, hi = mdp.indptr[row], mdp.indptr[row + 1]
            expected += mdp.next_state[lo + np.searchsorted(mdp.cdf[lo:hi], u[4 + part], side="right")]
    assert P.draws_part(setup.arrays, states, actions, uniforms, np.ascontiguousarray(pi.ravel()), 4) == expected


def test_apply_part_applies_the_pending_update_with_the_step_sizes_of_each_count(paper):
    setup = paper[0]
    arrays = problem_arrays(setup.problem)
    hp = setup.hyper
    pend_i, pend_f = setup.kernels.pending(arrays, 1)
    pend_i[0] = [3, 4, -1]
    pend_f[0, :6] = [0.5, 0.1, -0.2, 0.3, 0.0, -0.2]
    theta, w = np.zeros(setup.theta.size), np.zeros(setup.w.size)
    P.apply_part(arrays, hp, theta, w, pend_i, pend_f, 3)
    alphas = [hp.c_alpha * math.exp(-hp.sigma_alpha * math.log(1.0 + k)) for k in range(3)]
    betas = [hp.c_beta * math.exp(-hp.sigma_beta * math.log(1.0 + k)) for k in range(3)]
    w_expected = np.zeros_like(w)
    for beta in betas:
        w_expected += beta * 0.5 * setup.problem.critic_features[3]
        w_expected *= min(1.0, hp.radius / np.linalg.norm(w_expected))
    assert np.allclose(w, w_expected, rtol=1e-12)
    assert np.allclose(theta[20:25], sum(alphas) * pend_f[0, 1:6], rtol=1e-12) and not theta[:20].any()


def test_part_seconds_times_every_part_and_the_refresh_of_a_small_instance(paper):
    setup, laws = paper
    seconds = P.part_seconds(setup, laws, 1000)
    assert set(seconds) == {"rng", "softmax", "draws", "apply", "refresh"}
    assert all(math.isfinite(v) and v > 0 for v in seconds.values())
