"""Compiled ``J(θ)`` for small dense instances, the quantity the online gap targets check many times per run.

``J = (1−γ) ηᵀ V`` with ``(I − γP_π) V = r_π``, ``P_π[s, s'] = Σ_a π(a|s) P[s, a, s']``,
``r_π(s) = Σ_a π(a|s) r(s, a)`` and ``π = softmax`` of the logits row by row: the arithmetic of
``exact.objective`` on the dense path (one LU solve), in one compiled call of a few µs for a few states
instead of ~30 µs of NumPy calls (``tests/test_engine_targets.py`` checks it against ``exact.objective``).
"""

import math

import numpy as np
from numba import njit

MAX_STATES = 64
"""Largest ``nS`` evaluated here; larger instances use ``exact.objective`` (whose BLAS solve is then faster)."""


@njit(cache=True)
def dense_objective(logits, P3, r_sa, eta, gamma):
    """``J(θ)`` from the logits ``z[s, a] = θ·f(s, a)`` (nS, nA), ``P3[s, a, s']``, ``r_sa[s, a]``, ``η``, ``γ``."""
    n_states, n_actions = logits.shape
    M = np.eye(n_states)
    r_pi = np.zeros(n_states)
    pi = np.empty(n_actions)
    for s in range(n_states):
        top = logits[s, 0]
        for a in range(1, n_actions):
            top = max(top, logits[s, a])
        total = 0.0
        for a in range(n_actions):
            pi[a] = math.exp(logits[s, a] - top)
            total += pi[a]
        for a in range(n_actions):
            p = pi[a] / total
            r_pi[s] += p * r_sa[s, a]
            for t in range(n_states):
                M[s, t] -= gamma * p * P3[s, a, t]
    V = np.linalg.solve(M, r_pi)
    return (1.0 - gamma) * np.dot(eta, V)
