"""Exact quantities of a linear-quadratic problem, in closed form (Lyapunov and Riccati solves).

With the closed loop ``L = A − BK`` and the one-step noise covariance ``N = W + σ²BBᵀ`` (``u = −Kx + σε``,
so ``x' = Lx + Bσε + w``):

- ``P_K = Q + KᵀRK + γ LᵀP_K L`` (Lyapunov solve with ``√γ Lᵀ``), needs ``√γ ρ(L) < 1``;
- ``b_K = (γ tr(P_K N) + σ² tr R)/(1 − γ)``, ``V_K(x) = −(xᵀP_K x + b_K)``;
- ``J(K) = (1 − γ) E_η V_K(x_0) = −(1 − γ)(tr(P_K Σ_0) + b_K)``;
- ``Σ^γ_K = Σ_t γ^t E[x_t x_tᵀ]``. The second moments ``C_t = E[x_t x_tᵀ]`` obey ``C_0 = Σ_0``,
  ``C_{t+1} = L C_t Lᵀ + N``; summing ``γ^{t+1}`` times the recursion gives
  ``Σ^γ_K = γ L Σ^γ_K Lᵀ + Σ_0 + γ N/(1 − γ)`` (Lyapunov solve with ``√γ L``);
- ``∇J(K) = −2(1 − γ)[(R + γBᵀP_K B)K − γBᵀP_K A] Σ^γ_K``;
- the optimal gain for the fixed σ: the discounted Riccati solution ``P*`` = DARE(√γA, √γB, Q, R),
  ``K* = γ(R + γBᵀP*B)⁻¹BᵀP*A`` (a solve), ``J* = J(K*)``. σ does not change K*: ``P_{K*} = P*`` is the
  least ``P_K`` in the positive semidefinite order, so K* minimises both ``tr(P_K Σ_0)`` and ``tr(P_K N)``,
  and ``σ² tr R`` does not depend on K;
- the critic chain's stationary law ``μ_K = N(0, Σ_K)``, ``Σ_K = LΣ_K Lᵀ + N``, needs ``ρ(L) < 1``;
- the discounted visitation ``d_K``: ``t ~ Geometric(1 − γ)`` on {0, 1, …} (``P(t) = (1 − γ)γ^t``), then
  ``x ~ N(0, C_t)``; its second moment is ``(1 − γ) Σ^γ_K``;
- the KL prior ``R(K) = −E_η KL(π_p(·|x) ‖ π_K(·|x)) = −tr((K − K_p)Σ_0(K − K_p)ᵀ)/(2σ²)``,
  ``∇R(K) = −(K − K_p)Σ_0/σ²``.

A gain outside the required stabilising set raises :class:`ValidationError` naming ``K`` with the radius.
"""

import math

import numpy as np
from scipy import linalg

from ..errors import ValidationError
from ..validate import finite_array
from .problem import LQRProblem, spectral_radius


def check_stabilising(problem: LQRProblem, K, discounted: bool) -> np.ndarray:
    """``K`` as an (m, n) array with ``√γ ρ(A − BK) < 1`` (``discounted``) or ``ρ(A − BK) < 1``."""
    K = finite_array("K", K)
    if K.size != problem.action_dim * problem.state_dim:
        raise ValidationError("K", f"must have {problem.action_dim} x {problem.state_dim} entries, got shape {K.shape}")
    K = K.reshape(problem.action_dim, problem.state_dim)
    rho = spectral_radius(problem.closed_loop(K))
    factor = math.sqrt(problem.gamma) if discounted else 1.0
    if not factor * rho < 1:
        need = "√γ ρ(A − BK) < 1 (J is −∞ beyond)" if discounted else "ρ(A − BK) < 1 (μ_K exists)"
        raise ValidationError("K", f"spectral radius of A − BK is {rho:.6g}; needs {need}")
    return K


def value_matrix(problem: LQRProblem, K) -> np.ndarray:
    """``P_K``, the solution of ``P = Q + KᵀRK + γ(A − BK)ᵀP(A − BK)``."""
    K = check_stabilising(problem, K, discounted=True)
    L = problem.closed_loop(K)
    P = linalg.solve_discrete_lyapunov(math.sqrt(problem.gamma) * L.T, problem.Q + K.T @ problem.R @ K)
    return 0.5 * (P + P.T)


def value_offset(problem: LQRProblem, P: np.ndarray) -> float:
    """``b_K = (γ tr(P_K (W + σ²BBᵀ)) + σ² tr R)/(1 − γ)`` from ``P = P_K``."""
    g = problem.gamma
    return float((g * np.trace(P @ problem.noise) + problem.sigma ** 2 * np.trace(problem.R)) / (1 - g))


def objective_from(problem: LQRProblem, P: np.ndarray) -> float:
    """``J = −(1 − γ)(tr(P Σ_0) + b)`` from ``P = P_K``."""
    return float(-(1 - problem.gamma) * (np.trace(P @ problem.Sigma0) + value_offset(problem, P)))


def objective(problem: LQRProblem, K) -> float:
    """``J(K) = (1 − γ) E_η V_K(x_0)``."""
    return objective_from(problem, value_matrix(problem, K))


def discounted_state_covariance(problem: LQRProblem, K) -> np.ndarray:
    """``Σ^γ_K = Σ_t γ^t E[x_t x_tᵀ]``, the solution of ``X = γLXLᵀ + Σ_0 + γN/(1 − γ)``."""
    K = check_stabilising(problem, K, discounted=True)
    g = problem.gamma
    L = problem.closed_loop(K)
    X = linalg.solve_discrete_lyapunov(math.sqrt(g) * L, problem.Sigma0 + g / (1 - g) * problem.noise)
    return 0.5 * (X + X.T)


def gradient(problem: LQRProblem, K) -> np.ndarray:
    """``∇J(K) = −2(1 − γ)[(R + γBᵀP_K B)K − γBᵀP_K A] Σ^γ_K``, an (m, n) array."""
    K = check_stabilising(problem, K, discounted=True)
    P = value_matrix(problem, K)
    return _gradient_from(problem, K, P, discounted_state_covariance(problem, K))


def _gradient_from(problem, K, P, Sg) -> np.ndarray:
    g, A, B, R = problem.gamma, problem.A, problem.B, problem.R
    E = (R + g * B.T @ P @ B) @ K - g * B.T @ P @ A
    return -2 * (1 - g) * E @ Sg


def optimal_gain(problem: LQRProblem) -> tuple[np.ndarray, float]:
    """``(K*, J*)`` for the fixed σ from the discounted Riccati equation (module docstring)."""
    g, A, B = problem.gamma, problem.A, problem.B
    P = linalg.solve_discrete_are(math.sqrt(g) * A, math.sqrt(g) * B, problem.Q, problem.R)
    K = linalg.solve(problem.R + g * B.T @ P @ B, g * B.T @ P @ A, assume_a="pos")
    return K, objective(problem, K)


def stationary_covariance(problem: LQRProblem, K) -> np.ndarray:
    """``Σ_K`` of the critic chain's stationary law ``μ_K = N(0, Σ_K)``: ``Σ_K = LΣ_K Lᵀ + W + σ²BBᵀ``."""
    K = check_stabilising(problem, K, discounted=False)
    S = linalg.solve_discrete_lyapunov(problem.closed_loop(K), problem.noise)
    return 0.5 * (S + S.T)


def visitation_covariances(problem: LQRProblem, K, t_max: int) -> np.ndarray:
    """``C_t = E[x_t x_tᵀ]`` for ``t = 0..t_max`` under π_K from η, shape (t_max + 1, n, n)."""
    K = check_stabilising(problem, K, discounted=True)
    L, N = problem.closed_loop(K), problem.noise
    C = np.empty((t_max + 1, problem.state_dim, problem.state_dim))
    C[0] = problem.Sigma0
    for t in range(t_max):
        C[t + 1] = L @ C[t] @ L.T + N
    return C


def sample_visitation(problem: LQRProblem, K, rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` exact draws from ``d_K``: ``t ~ Geometric(1 − γ)`` on {0, 1, …}, ``x ~ N(0, C_t)``;
    shape (size, n)."""
    t = rng.geometric(1 - problem.gamma, size=size) - 1
    C = visitation_covariances(problem, K, int(t.max()) if size else 0)
    z = rng.standard_normal((size, problem.state_dim))
    x = np.empty_like(z)
    for tt in np.unique(t):
        at = t == tt
        x[at] = z[at] @ psd_sqrt(C[tt]).T
    return x


def psd_sqrt(C: np.ndarray) -> np.ndarray:
    """The symmetric square root of a positive semidefinite ``C`` (clipping rounding below 0)."""
    lam, U = np.linalg.eigh(0.5 * (C + C.T))
    return (U * np.sqrt(np.clip(lam, 0.0, None))) @ U.T


def prior(problem: LQRProblem, K) -> float:
    """``R(K) = −tr((K − K_p)Σ_0(K − K_p)ᵀ)/(2σ²)``."""
    D = np.asarray(K, dtype=np.float64).reshape(problem.K0.shape) - problem.K_prior
    return float(-np.trace(D @ problem.Sigma0 @ D.T) / (2 * problem.sigma ** 2))


def prior_gradient(problem: LQRProblem, K) -> np.ndarray:
    """``∇R(K) = −(K − K_p)Σ_0/σ²``."""
    D = np.asarray(K, dtype=np.float64).reshape(problem.K0.shape) - problem.K_prior
    return -D @ problem.Sigma0 / problem.sigma ** 2
