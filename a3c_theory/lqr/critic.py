"""Quadratic critic features and the TD(0) quantities of a linear-quadratic problem.

- ``svec(X)``: the upper triangle (row-major, ``np.triu_indices``) of a symmetric ``X``, off-diagonal entries
  scaled by √2, so that ``⟨svec X, svec Y⟩ = tr(XY)``; ``smat`` is its inverse.
- ``φ(x) = [svec(xxᵀ); 1]`` (dimension ``d = n(n + 1)/2 + 1``). ``V_K(x) = −(xᵀP_K x + b_K) = φ(x)ᵀw`` with
  ``w = [−svec P_K; −b_K]``: V_K lies in the span, so ε_app = 0.
- Under ``x ~ μ_K = N(0, Σ)``, ``s = svec(xxᵀ)``: ``E[s] = svec Σ`` and, by Isserlis
  (``E[x_i x_j x_k x_l] = Σ_ij Σ_kl + Σ_ik Σ_jl + Σ_il Σ_jk``),
  ``E[⟨X, xxᵀ⟩⟨Y, xxᵀ⟩] = tr(XΣ)tr(YΣ) + 2 tr(XΣYΣ)``, i.e. ``E[s sᵀ] = svec Σ svec Σᵀ + 2 S`` with ``S`` the
  matrix of ``X ↦ ΣXΣ`` in svec coordinates.
- One step ``x' = Lx + Bσε + w`` gives ``E[svec(x'x'ᵀ) | x] = M s + svec N`` with ``M`` the matrix of
  ``X ↦ LXLᵀ`` and ``N = W + σ²BBᵀ``. Hence the TD(0) matrices
  ``A_K = E_μ[φ(x)(γφ(x') − φ(x))ᵀ] = γ [[E[ssᵀ]Mᵀ + svecΣ svecNᵀ, svecΣ], [svecΣᵀ, 1]] − [[E[ssᵀ], svecΣ], [svecΣᵀ, 1]]``
  (using ``M svecΣ + svec N = svec Σ``, stationarity), and with ``E[r | x] = −⟨Q + KᵀRK, xxᵀ⟩ − σ² tr R``,
  ``b_K = E_μ[φ(x) r(x, u)] = −[E[ssᵀ] svec(Q + KᵀRK) + σ² tr R · svecΣ; ⟨svecΣ, svec(Q + KᵀRK)⟩ + σ² tr R]``.
- The fixed point ``w*_K = −A_K⁻¹ b_K`` (a solve) equals ``[−svec P_K; −b_K]``.
"""

import math

import numpy as np
from scipy import linalg

from . import exact
from .problem import LQRProblem


def svec(X: np.ndarray) -> np.ndarray:
    """``svec`` of a symmetric (…, n, n) array, shape (…, n(n+1)/2)."""
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[-1]
    i, j = np.triu_indices(n)
    return X[..., i, j] * np.where(i == j, 1.0, math.sqrt(2.0))


def smat(v: np.ndarray) -> np.ndarray:
    """The symmetric (n, n) matrix ``X`` with ``svec X = v``."""
    v = np.asarray(v, dtype=np.float64)
    n = int(round((math.sqrt(8 * v.size + 1) - 1) / 2))
    i, j = np.triu_indices(n)
    vals = v / np.where(i == j, 1.0, math.sqrt(2.0))
    X = np.zeros((n, n))
    X[i, j] = vals
    X[j, i] = vals
    return X


def feature_dim(n: int) -> int:
    """``d = n(n + 1)/2 + 1``."""
    return n * (n + 1) // 2 + 1


def features(x: np.ndarray) -> np.ndarray:
    """``φ(x) = [svec(xxᵀ); 1]`` for states (…, n), shape (…, d)."""
    x = np.asarray(x, dtype=np.float64)
    s = svec(x[..., :, None] * x[..., None, :])
    return np.concatenate([s, np.ones(s.shape[:-1] + (1,))], axis=-1)


def value_weights(problem: LQRProblem, K) -> np.ndarray:
    """``w = [−svec P_K; −b_K]``, for which ``φ(x)ᵀw = V_K(x)``."""
    P = exact.value_matrix(problem, K)
    return np.concatenate([-svec(P), [-exact.value_offset(problem, P)]])


def svec_operator(T, n: int) -> np.ndarray:
    """The matrix of a linear map ``T`` on symmetric n × n matrices in svec coordinates."""
    basis = np.eye(n * (n + 1) // 2)
    return np.stack([svec(T(smat(e))) for e in basis], axis=1)


def fourth_moment(Sigma: np.ndarray) -> np.ndarray:
    """``E[s sᵀ]`` for ``s = svec(xxᵀ)``, ``x ~ N(0, Σ)`` (Isserlis, module docstring)."""
    m2 = svec(Sigma)
    return np.outer(m2, m2) + 2 * svec_operator(lambda X: Sigma @ X @ Sigma, Sigma.shape[0])


def feature_second_moment(Sigma: np.ndarray, S4: np.ndarray | None = None) -> np.ndarray:
    """``E[φφᵀ] = [[E[ssᵀ], svecΣ], [svecΣᵀ, 1]]`` for ``x ~ N(0, Σ)`` (``S4 = E[ssᵀ]`` if already known)."""
    m2 = svec(Sigma)
    S4 = fourth_moment(Sigma) if S4 is None else S4
    d = m2.size + 1
    second = np.empty((d, d))
    second[:-1, :-1], second[:-1, -1], second[-1, :-1], second[-1, -1] = S4, m2, m2, 1.0
    return second


def td_matrices(problem: LQRProblem, K) -> tuple[np.ndarray, np.ndarray]:
    """``(A_K, b_K)`` of TD(0) under ``μ_K`` (module docstring), shapes (d, d) and (d,)."""
    K = exact.check_stabilising(problem, K, discounted=False)
    g, n = problem.gamma, problem.state_dim
    Sigma = exact.stationary_covariance(problem, K)
    L = problem.closed_loop(K)
    m2, noise = svec(Sigma), svec(problem.noise)
    S4 = fourth_moment(Sigma)
    M = svec_operator(lambda X: L @ X @ L.T, n)
    second = feature_second_moment(Sigma, S4)
    cross = np.empty_like(second)
    cross[:-1, :-1] = S4 @ M.T + np.outer(m2, noise)
    cross[:-1, -1], cross[-1, :-1], cross[-1, -1] = m2, M @ m2 + noise, 1.0
    A_K = g * cross - second
    cost = svec(problem.Q + K.T @ problem.R @ K)
    noise_cost = problem.sigma ** 2 * np.trace(problem.R)
    b_K = -np.concatenate([S4 @ cost + noise_cost * m2, [m2 @ cost + noise_cost]])
    return A_K, b_K


def td_fixed_point(problem: LQRProblem, K) -> np.ndarray:
    """``w*_K = −A_K⁻¹ b_K`` (a solve)."""
    A_K, b_K = td_matrices(problem, K)
    return -linalg.solve(A_K, b_K)
