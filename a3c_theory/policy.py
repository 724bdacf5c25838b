"""Softmax policies ``π_θ(a|s) ∝ exp(θ·f(s, a))`` and their score ``ψ_θ(s, a) = ∇_θ log π_θ(a|s)``.

Both parametrisations share one identity used everywhere (exact calculus and compiled samplers):

    ψ_θ(s, a) = Σ_b (1[b = a] − π_θ(b|s)) f(s, b),

so a weighted sum of scores ``Σ_{s,a} W[s, a] ψ_θ(s, a)`` only needs the per-state coefficients
``C[s, b] = W[s, b] − π_θ(b|s) Σ_a W[s, a]`` pushed through the features. For the tabular softmax
``f(s, b) = e_{(s, b)}`` and ``θ`` is stored flat with index ``s * nA + b``.
"""

from dataclasses import dataclass

import numpy as np

from .errors import ValidationError
from .validate import finite_array, positive_int


def softmax_rows(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stabilised by subtracting the row maximum."""
    z = logits - logits.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


@dataclass(frozen=True, eq=False)
class SoftmaxPolicy:
    """A softmax policy over ``n_actions`` actions in ``n_states`` states.

    ``actor_features`` is None for the tabular parametrisation (``θ ∈ R^{nS·nA}``), or an array of shape
    (nS, nA, dθ) for the linear one. Use :func:`tabular` or :func:`linear` to build one.
    """

    n_states: int
    n_actions: int
    actor_features: np.ndarray | None = None

    @property
    def is_tabular(self) -> bool:
        return self.actor_features is None

    @property
    def dim(self) -> int:
        """Length of the flat parameter vector θ."""
        return self.n_states * self.n_actions if self.is_tabular else self.actor_features.shape[2]

    def check_theta(self, theta) -> np.ndarray:
        theta = finite_array("theta", theta, ndim=None).ravel()
        if theta.shape != (self.dim,):
            raise ValidationError("theta", f"must have {self.dim} entries, got {theta.size}")
        return theta

    def logits(self, theta) -> np.ndarray:
        """``θ·f(s, a)`` for every state and action, shape (nS, nA)."""
        theta = self.check_theta(theta)
        if self.is_tabular:
            return theta.reshape(self.n_states, self.n_actions).copy()
        return self.actor_features @ theta

    def probabilities(self, theta) -> np.ndarray:
        """``π_θ(a|s)``, shape (nS, nA); rows sum to 1."""
        return softmax_rows(self.logits(theta))

    def score(self, theta, s: int, a: int) -> np.ndarray:
        """``ψ_θ(s, a) = f(s, a) − Σ_b π_θ(b|s) f(s, b)``, a vector of length ``dim``."""
        weights = np.zeros((self.n_states, self.n_actions))
        weights[s, a] = 1.0
        return self.score_sum(theta, weights)

    def score_sum(self, theta, weights, pi: np.ndarray | None = None) -> np.ndarray:
        """``Σ_{s,a} W[s, a] ψ_θ(s, a)`` for a weight table ``W`` of shape (nS, nA).

        With ``W = d_θ(s) π_θ(a|s) Adv(s, a)`` this is the policy gradient; ``pi`` may be passed
        when the caller has ``π_θ`` already.
        """
        pi = self.probabilities(theta) if pi is None else pi
        coef = weights - pi * weights.sum(axis=1, keepdims=True)
        return self.push_coefficients(coef)

    def push_coefficients(self, coef: np.ndarray) -> np.ndarray:
        """``Σ_{s,b} C[s, b] f(s, b)``: map per-(state, action) coefficients to parameter space."""
        if self.is_tabular:
            return coef.ravel().copy()
        return np.einsum("sb,sbd->d", coef, self.actor_features)


def tabular(n_states: int, n_actions: int) -> SoftmaxPolicy:
    """Tabular softmax: one logit per (state, action), as in the paper's synthetic experiments."""
    return SoftmaxPolicy(positive_int("n_states", n_states), positive_int("n_actions", n_actions))


def linear(actor_features) -> SoftmaxPolicy:
    """Linear softmax on actor features ``f(s, a)`` of shape (nS, nA, dθ)."""
    F = finite_array("actor_features", actor_features, ndim=3)
    return SoftmaxPolicy(F.shape[0], F.shape[1], F)


def uniform_policy(n_states: int, n_actions: int) -> np.ndarray:
    """The uniform probability table, the default KL prior."""
    return np.full((n_states, n_actions), 1.0 / n_actions)
