"""Quadratic critic features and the TD(0) quantities: closed forms against identities and seeded Monte Carlo."""

import math

import numpy as np
import pytest

from a3c_theory.lqr import critic, exact
from a3c_theory.lqr.families import random_lqr


@pytest.fixture(scope="module")
def problem():
    return random_lqr(5, 2, 1, spectral_radius=0.8, noise_scale=0.5, gamma=0.9, sigma=0.7)


def _gain(problem, seed):
    return 0.1 * np.random.default_rng(seed).standard_normal((problem.action_dim, problem.state_dim))


def test_svec_is_an_isometry():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((2, 4, 4))
    X, Y = X + X.T, Y + Y.T
    assert critic.svec(X) @ critic.svec(Y) == pytest.approx(np.trace(X @ Y), rel=1e-13)
    assert np.allclose(critic.smat(critic.svec(X)), X, rtol=1e-15, atol=0)
    assert critic.features(np.zeros(4)).shape == (critic.feature_dim(4),) == (11,)


def test_value_is_in_the_span(problem):
    K = _gain(problem, 1)
    w = critic.value_weights(problem, K)
    x = np.random.default_rng(2).standard_normal((50, problem.state_dim))
    P = exact.value_matrix(problem, K)
    V = -(np.einsum("ei,ij,ej->e", x, P, x) + exact.value_offset(problem, P))
    assert np.allclose(critic.features(x) @ w, V, rtol=1e-12)


def test_fixed_point_reproduces_the_value(problem):
    K = _gain(problem, 3)
    A_K, b_K = critic.td_matrices(problem, K)
    w_star = critic.td_fixed_point(problem, K)
    v = critic.value_weights(problem, K)
    assert np.max(np.abs(w_star - v)) <= 1e-10 * max(1.0, np.max(np.abs(v)))
    assert np.max(np.abs(A_K @ w_star + b_K)) <= 1e-10 * np.max(np.abs(b_K))
    assert np.max(np.abs(A_K @ v + b_K)) <= 1e-10 * np.max(np.abs(b_K))


def test_fourth_moment_against_isserlis_entries():
    rng = np.random.default_rng(4)
    G = rng.standard_normal((3, 3))
    S = G @ G.T + np.eye(3)
    four = np.einsum("ij,kl->ijkl", S, S) + np.einsum("ik,jl->ijkl", S, S) + np.einsum("il,jk->ijkl", S, S)
    i, j = np.triu_indices(3)
    scale = np.where(i == j, 1.0, math.sqrt(2.0))
    expected = four[i[:, None], j[:, None], i[None, :], j[None, :]] * np.outer(scale, scale)
    assert np.allclose(critic.fourth_moment(S), expected, rtol=1e-13)


def test_td_matrices_against_monte_carlo(problem):
    """x ~ μ_K, u ~ π_K(·|x), x' = Ax + Bu + w: 400 000 seeded transitions; each of the d² + d = 20 entries of
    A_K and b_K within 5 standard errors (union bound on the false-alarm rate: 20 × 5.7e-7 = 1.1e-5)."""
    K = _gain(problem, 5)
    rng = np.random.default_rng(13)
    n_s, n, m, g = 400_000, problem.state_dim, problem.action_dim, problem.gamma
    x = rng.standard_normal((n_s, n)) @ exact.psd_sqrt(exact.stationary_covariance(problem, K))
    u = -x @ K.T + problem.sigma * rng.standard_normal((n_s, m))
    x_next = x @ problem.A.T + u @ problem.B.T + rng.standard_normal((n_s, n)) @ exact.psd_sqrt(problem.W)
    r = -(np.einsum("ei,ij,ej->e", x, problem.Q, x) + np.einsum("ei,ij,ej->e", u, problem.R, u))
    phi, phi_next = critic.features(x), critic.features(x_next)
    samples_A = (phi[:, :, None] * (g * phi_next - phi)[:, None, :]).reshape(n_s, -1)
    samples_b = phi * r[:, None]
    A_K, b_K = critic.td_matrices(problem, K)
    for samples, target in ((samples_A, A_K.ravel()), (samples_b, b_K)):
        se = samples.std(0, ddof=1) / math.sqrt(n_s)
        # the constant-feature entry of A_K is γ − 1 in every sample (se = 0): allow its rounding
        assert np.all(np.abs(samples.mean(0) - target) <= 5 * se + 1e-12)


def test_critic_direction_mean(problem):
    """E[g] = A_K w + b_K for g = (r + γφ(x')ᵀw − φ(x)ᵀw) φ(x), x ~ μ_K, at an arbitrary w: 400 000 seeded
    transitions, each of the d = 4 entries within 5 standard errors (false alarm ≤ 4 × 5.7e-7 = 2.3e-6)."""
    K = _gain(problem, 6)
    rng = np.random.default_rng(15)
    n_s, n, m = 400_000, problem.state_dim, problem.action_dim
    w = rng.standard_normal(critic.feature_dim(n))
    x = rng.standard_normal((n_s, n)) @ exact.psd_sqrt(exact.stationary_covariance(problem, K))
    u = -x @ K.T + problem.sigma * rng.standard_normal((n_s, m))
    x_next = x @ problem.A.T + u @ problem.B.T + rng.standard_normal((n_s, n)) @ exact.psd_sqrt(problem.W)
    r = -(np.einsum("ei,ij,ej->e", x, problem.Q, x) + np.einsum("ei,ij,ej->e", u, problem.R, u))
    phi = critic.features(x)
    g = (r + problem.gamma * critic.features(x_next) @ w - phi @ w)[:, None] * phi
    A_K, b_K = critic.td_matrices(problem, K)
    se = g.std(0, ddof=1) / math.sqrt(n_s)
    assert np.all(np.abs(g.mean(0) - (A_K @ w + b_K)) <= 5 * se)
