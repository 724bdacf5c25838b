"""Unbiasedness of the compiled linear-quadratic estimators (engine/lqr_samplers.py, the code the kernels run)
against the closed forms of a3c_theory.lqr (issue 17, Part 1 item 5).

Each test draws B × b = 1,000 × 1,000 updates in one compiled call (``lqr_samplers.update_means``) at a
stabilising gain K and compares the B batch means with their exact mean by Hotelling's T² test:
``T² = B (ȳ − μ)ᵀ S⁻¹ (ȳ − μ)`` with ``S`` the sample covariance of the batch means, and
``F = T² (B − p)/(p (B − 1)) ~ F(p, B − p)`` under the null (batch means of 1,000 draws are close to Gaussian;
the Markovian ones are taken after a burn-in and absorb the chains' autocorrelation). A test rejects when its
p-value is below ``ALPHA = 1e-3``: false-alarm probability 1e-3 per test (about 1e-3 × number of calls in
all). Seeds are fixed, so the outcome is deterministic.

- critic ``g = δ(x, ω)φ(x)``, ``x ~ μ_K``: ``E[g] = A_K ω + b_K`` (``lqr.critic.td_matrices``);
- actor ``v = δ(x̂, ω)ψ_K(x̂, û)``, ``x̂ ~ d_K``, with the exact critic ``ω = [−svec P_K; −b_K]``:
  ``E[v] = ∇J(K)`` (``lqr.exact.gradient``);
- prior part: exactly ``∇R(K) = −(K − K_p)Σ_0/σ²`` in every draw.

Power: the same draws are rejected against the mean under the wrong state law (η instead of μ_K) and against
``σ²∇J`` (the score without its 1/σ²).
"""

import numpy as np
import pytest
from scipy import stats

from a3c_theory.engine import lqr_samplers, samplers
from a3c_theory.engine.rng import seed_states
from a3c_theory.lqr import critic, exact
from a3c_theory.lqr.families import random_lqr
from a3c_theory.lqr.problem import LQRProblem

ALPHA = 1e-3
N_BATCHES = 1000
BATCH_SIZE = 1000
BURN_IN = 10_000


def _problem():
    """n = 3, m = 2, γ = 0.9, σ = 0.6, a non-zero prior gain; K halfway to K* plus a perturbation."""
    base = random_lqr(7, 3, 2, spectral_radius=0.85, noise_scale=0.3, sigma=0.6)
    rng = np.random.default_rng(1)
    problem = LQRProblem.make(base.A, base.B, base.Q, base.R, base.W, base.Sigma0, gamma=base.gamma,
                              sigma=base.sigma, K_prior=0.2 * rng.standard_normal((2, 3)))
    K_star, _ = exact.optimal_gain(problem)
    K = 0.5 * K_star + 0.1 * rng.standard_normal(K_star.shape)
    assert exact.spectral_radius(problem.closed_loop(K)) < 1
    return problem, K


def _means(problem, K, w, sampling, seed=0):
    arrays = lqr_samplers.lqr_arrays(problem)
    arrays.mu_sqrt[:] = exact.psd_sqrt(exact.stationary_covariance(problem, K))
    arrays.K_law[:] = K.ravel()
    burn_in = 0 if sampling == samplers.IID else BURN_IN
    return lqr_samplers.update_means(arrays, K, w, sampling, seed_states(np.random.SeedSequence(seed), 1),
                                     N_BATCHES, BATCH_SIZE, burn_in)


def _p_value(batch_means, expected):
    """Hotelling's T² p-value of ``H0: E[batch mean] = expected`` (module docstring)."""
    B, p = batch_means.shape
    diff = batch_means.mean(axis=0) - expected
    S = np.cov(batch_means, rowvar=False)
    t2 = B * diff @ np.linalg.solve(S, diff)
    return float(stats.f.sf(t2 * (B - p) / (p * (B - 1)), p, B - p))


def _critic_mean_under(problem, K, S, w):
    """``E[g]`` with ``x ~ N(0, S)`` (any S; S = Σ_K gives A_K ω + b_K): with ``s = svec(xxᵀ)``,
    ``E[s'|x] = M s + svec N``, ``E[r|x] = −⟨Q + KᵀRK, xxᵀ⟩ − σ² tr R``."""
    n, g = problem.state_dim, problem.gamma
    L = problem.closed_loop(K)
    M = critic.svec_operator(lambda X: L @ X @ L.T, n)
    m2, S4, noise = critic.svec(S), critic.fourth_moment(S), critic.svec(problem.noise)
    cost, noise_cost = critic.svec(problem.Q + K.T @ problem.R @ K), problem.sigma ** 2 * np.trace(problem.R)
    ws, w1 = w[:-1], w[-1]
    # E[φ(x) (r + γ φ(x')ᵀω − φ(x)ᵀω)], block by block
    top = -(S4 @ cost + noise_cost * m2) + g * (S4 @ M.T @ ws + m2 * (noise @ ws) + m2 * w1) - (S4 @ ws + m2 * w1)
    last = -(m2 @ cost + noise_cost) + g * ((M @ m2 + noise) @ ws + w1) - (m2 @ ws + w1)
    return np.append(top, last)


@pytest.mark.parametrize("sampling", [samplers.IID, samplers.MARKOV])
def test_critic_direction_is_unbiased(sampling):
    problem, K = _problem()
    w = np.random.default_rng(2).normal(size=critic.feature_dim(3))
    G, _, _ = _means(problem, K, w, sampling, seed=3)
    A_K, b_K = critic.td_matrices(problem, K)
    expected = A_K @ w + b_K
    np.testing.assert_allclose(_critic_mean_under(problem, K, exact.stationary_covariance(problem, K), w), expected,
                               rtol=1e-10, atol=1e-10)
    assert _p_value(G, expected) > ALPHA


@pytest.mark.parametrize("sampling", [samplers.IID, samplers.MARKOV])
def test_actor_direction_with_the_exact_critic_is_the_policy_gradient(sampling):
    problem, K = _problem()
    G, V, Psi = _means(problem, K, critic.value_weights(problem, K), sampling, seed=4)
    grad = exact.gradient(problem, K).ravel()
    assert _p_value(V, grad) > ALPHA
    np.testing.assert_allclose(Psi, np.broadcast_to(exact.prior_gradient(problem, K).ravel(), Psi.shape),
                               rtol=1e-12, atol=1e-14)
    assert _p_value(G, np.zeros(G.shape[1])) > ALPHA  # A_K w* + b_K = 0 at the TD fixed point


def test_the_tests_detect_a_wrong_law_and_a_missing_one_over_sigma_squared():
    """Power: the critic draws against their mean under η (not μ_K), the actor draws against σ²∇J."""
    problem, K = _problem()
    w = np.random.default_rng(2).normal(size=critic.feature_dim(3))
    G, _, _ = _means(problem, K, w, samplers.IID, seed=3)
    assert _p_value(G, _critic_mean_under(problem, K, problem.Sigma0, w)) < ALPHA
    _, V, _ = _means(problem, K, critic.value_weights(problem, K), samplers.IID, seed=4)
    assert _p_value(V, problem.sigma ** 2 * exact.gradient(problem, K).ravel()) < ALPHA
