"""Critic features ``Φ`` (rows ``φ(s)``, ``‖φ(s)‖₂ ≤ 1``, full column rank) and actor features ``f(s, a)``."""

import numpy as np

from .errors import ValidationError
from .validate import finite_array, positive_int

NORM_TOL = 1e-12
"""Slack allowed on ``‖φ(s)‖₂ ≤ 1`` for rounding."""


def check_critic_features(Phi, n_states: int | None = None) -> np.ndarray:
    """Validate a critic feature matrix of shape (nS, d): finite, every ``‖φ(s)‖₂ ≤ 1``, rank ``d``."""
    Phi = finite_array("critic_features", Phi, ndim=2)
    if n_states is not None and Phi.shape[0] != n_states:
        raise ValidationError("critic_features", f"must have {n_states} rows (one per state), got {Phi.shape[0]}")
    norms = np.linalg.norm(Phi, axis=1)
    if norms.max() > 1.0 + NORM_TOL:
        s = int(norms.argmax())
        raise ValidationError("critic_features", f"‖φ({s})‖₂ = {norms[s]:.6g} exceeds 1; scale the features")
    rank = np.linalg.matrix_rank(Phi)
    if rank < Phi.shape[1]:
        raise ValidationError("critic_features", f"must have full column rank {Phi.shape[1]}, got rank {rank}")
    return Phi


def random_features(seed, n_states: int, dim: int) -> np.ndarray:
    """The paper's critic features: U(0, 1) entries, all rows divided by the largest row norm,
    so ``max_s ‖φ(s)‖₂ = 1``. Full column rank is checked (it holds with probability 1 when d ≤ nS)."""
    n_states = positive_int("n_states", n_states)
    dim = positive_int("feature_dim", dim, maximum=n_states)
    Phi = np.random.default_rng(seed).uniform(0.0, 1.0, size=(n_states, dim))
    Phi /= np.linalg.norm(Phi, axis=1).max()
    return check_critic_features(Phi, n_states)


def one_hot(n_states: int) -> np.ndarray:
    """Tabular critic features ``φ(s) = e_s``: the critic can represent every value function exactly."""
    return np.eye(positive_int("n_states", n_states))


def random_actor_features(seed, n_states: int, n_actions: int, dim: int) -> np.ndarray:
    """Actor features ``f(s, a)`` of shape (nS, nA, dθ) with N(0, 1/dθ) entries, for a linear softmax."""
    n_states = positive_int("n_states", n_states)
    n_actions = positive_int("n_actions", n_actions)
    dim = positive_int("actor_dim", dim)
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 1.0 / np.sqrt(dim), size=(n_states, n_actions, dim))
