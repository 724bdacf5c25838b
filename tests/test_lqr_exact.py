"""Closed-form LQR quantities against independent computations: central differences, brute-force sums,
seeded Monte Carlo (tolerances and false-alarm rates stated per test)."""

import math

import numpy as np
import pytest

from a3c_theory.errors import ValidationError
from a3c_theory.lqr import exact
from a3c_theory.lqr.families import random_lqr
from a3c_theory.lqr.problem import spectral_radius


@pytest.fixture(scope="module")
def problem():
    return random_lqr(7, 3, 2, spectral_radius=0.9, noise_scale=0.3, gamma=0.9, sigma=0.5)


def _gain(problem, seed, scale=0.1):
    K = scale * np.random.default_rng(seed).standard_normal((problem.action_dim, problem.state_dim))
    assert spectral_radius(problem.closed_loop(K)) < 1
    return K


def test_value_matrix_against_truncated_sum(problem):
    K = _gain(problem, 0)
    L, g = problem.closed_loop(K), problem.gamma
    term = problem.Q + K.T @ problem.R @ K
    P = np.zeros_like(term)
    for _ in range(800):  # γ^800 ρ^1600 < 1e-36
        P += term
        term = g * L.T @ term @ L
    assert np.allclose(exact.value_matrix(problem, K), P, rtol=1e-10, atol=0)


def _central_difference(f, K: np.ndarray, h: float) -> np.ndarray:
    """``(f(K + hE_ij) − f(K − hE_ij)) / 2h`` for every entry ``ij`` of ``K``."""
    fd = np.zeros_like(K)
    for idx in np.ndindex(K.shape):
        E = np.zeros_like(K)
        E[idx] = h
        fd[idx] = (f(K + E) - f(K - E)) / (2 * h)
    return fd


def test_gradient_against_central_differences(problem):
    K = _gain(problem, 1)
    grad = exact.gradient(problem, K)
    fd = _central_difference(lambda G: exact.objective(problem, G), K, 1e-5)
    assert np.linalg.norm(grad - fd) <= 1e-6 * np.linalg.norm(grad)


def test_objective_against_monte_carlo(problem):
    """(1 − γ) Σ_t γ^t r_t over 20 000 seeded rollouts of 400 steps (truncation bias γ^400 ~ 5e-19 relative);
    |mean − J| <= 4 standard errors: two-sided false-alarm rate 6.3e-5 under the CLT."""
    K = _gain(problem, 2)
    rng = np.random.default_rng(11)
    n_ep, n, m, g = 20_000, problem.state_dim, problem.action_dim, problem.gamma
    x = rng.standard_normal((n_ep, n)) @ exact.psd_sqrt(problem.Sigma0)
    sqrtW = exact.psd_sqrt(problem.W)
    ret = np.zeros(n_ep)
    for t in range(400):
        u = -x @ K.T + problem.sigma * rng.standard_normal((n_ep, m))
        r = -(np.einsum("ei,ij,ej->e", x, problem.Q, x) + np.einsum("ei,ij,ej->e", u, problem.R, u))
        ret += g ** t * r
        x = x @ problem.A.T + u @ problem.B.T + rng.standard_normal((n_ep, n)) @ sqrtW
    G = (1 - g) * ret
    se = G.std(ddof=1) / math.sqrt(n_ep)
    assert abs(G.mean() - exact.objective(problem, K)) <= 4 * se


def test_optimal_gain_dominates_and_is_stationary(problem):
    K_star, J_star = exact.optimal_gain(problem)
    assert J_star == exact.objective(problem, K_star)
    assert np.linalg.norm(exact.gradient(problem, K_star)) <= 1e-10 * max(1.0, abs(J_star))
    rng = np.random.default_rng(3)
    for _ in range(20):
        K = K_star + 0.2 * rng.standard_normal(K_star.shape)
        if math.sqrt(problem.gamma) * spectral_radius(problem.closed_loop(K)) < 1:
            assert exact.objective(problem, K) <= J_star + 1e-12 * abs(J_star)
    K = _gain(problem, 4)
    assert exact.objective(problem, K) < J_star


def test_discounted_covariance_against_truncated_sum(problem):
    K = _gain(problem, 5)
    C = exact.visitation_covariances(problem, K, 800)
    weights = problem.gamma ** np.arange(801)
    assert np.allclose(exact.discounted_state_covariance(problem, K), np.tensordot(weights, C, 1), rtol=1e-10)


def test_stationary_covariance_is_the_limit(problem):
    K = _gain(problem, 6)
    S = exact.stationary_covariance(problem, K)
    L = problem.closed_loop(K)
    assert np.allclose(S, L @ S @ L.T + problem.W + problem.sigma ** 2 * problem.B @ problem.B.T, rtol=1e-12)
    assert np.allclose(exact.visitation_covariances(problem, K, 2000)[-1], S, rtol=1e-10)


def test_visitation_sampler_second_moment(problem):
    """E_{d_K}[xxᵀ] = (1 − γ)Σ^γ_K: 200 000 seeded draws, each of the 6 distinct entries within 5 standard
    errors (union bound on the false-alarm rate: 6 × 5.7e-7 = 3.4e-6)."""
    K = _gain(problem, 7)
    x = exact.sample_visitation(problem, K, np.random.default_rng(12), 200_000)
    outer = x[:, :, None] * x[:, None, :]
    mean = outer.mean(0)
    se = outer.std(0, ddof=1) / math.sqrt(x.shape[0])
    target = (1 - problem.gamma) * exact.discounted_state_covariance(problem, K)
    iu = np.triu_indices(problem.state_dim)
    assert np.all(np.abs(mean - target)[iu] <= 5 * se[iu])


def test_prior_and_its_gradient(problem):
    K = _gain(problem, 8)
    D = K - problem.K_prior
    # R(K) = −E_η ‖(K − K_p)x‖²/(2σ²), evaluated through E[xxᵀ] = Σ_0 entry by entry
    expected = -sum(D[a] @ problem.Sigma0 @ D[a] for a in range(problem.action_dim)) / (2 * problem.sigma ** 2)
    assert exact.prior(problem, K) == pytest.approx(expected, rel=1e-12)
    fd = _central_difference(lambda G: exact.prior(problem, G), K, 1e-6)
    assert np.allclose(exact.prior_gradient(problem, K), fd, rtol=1e-7, atol=1e-9)


def test_unstable_gain_refused_with_radius(problem):
    K = 100 * np.ones((problem.action_dim, problem.state_dim))
    rho = spectral_radius(problem.closed_loop(K))
    with pytest.raises(ValidationError, match=f"{rho:.6g}"):
        exact.objective(problem, K)
    with pytest.raises(ValidationError, match="μ_K exists"):
        exact.stationary_covariance(problem, K)


def test_policy_gradient_theorem_with_the_exact_critic():
    """E[v] = ∇J for v = δ̂ ψ_K(x̂, û), x̂ ~ d_K (exact sampler), û ~ π_K(·|x̂), δ̂ = r + γV_K(x̂') − V_K(x̂)
    and the Gaussian score ψ_K = ∇_K log N(û; −Kx̂, σ²I) = −(û + Kx̂)x̂ᵀ/σ². 400 000 seeded draws; each of
    the m·n = 2 entries within 5 standard errors (false alarm ≤ 2 × 5.7e-7 = 1.2e-6)."""
    p = random_lqr(8, 2, 1, spectral_radius=0.8, noise_scale=0.5, gamma=0.9, sigma=0.7)
    K = _gain(p, 9)
    rng = np.random.default_rng(14)
    n_s = 400_000
    x = exact.sample_visitation(p, K, rng, n_s)
    u = -x @ K.T + p.sigma * rng.standard_normal((n_s, p.action_dim))
    x_next = x @ p.A.T + u @ p.B.T + rng.standard_normal((n_s, p.state_dim)) @ exact.psd_sqrt(p.W)
    P = exact.value_matrix(p, K)
    b = exact.value_offset(p, P)

    def V(y):
        return -(np.einsum("ei,ij,ej->e", y, P, y) + b)

    r = -(np.einsum("ei,ij,ej->e", x, p.Q, x) + np.einsum("ei,ij,ej->e", u, p.R, u))
    delta = r + p.gamma * V(x_next) - V(x)
    score = -((u + x @ K.T)[:, :, None] * x[:, None, :]) / p.sigma ** 2
    v = (delta[:, None, None] * score).reshape(n_s, -1)
    se = v.std(0, ddof=1) / math.sqrt(n_s)
    assert np.all(np.abs(v.mean(0) - exact.gradient(p, K).ravel()) <= 5 * se)
