"""The theory's setting on CartPole: a Fourier basis, a linear softmax actor on it, and compiled
Monte Carlo evaluation of the actor's return.

**Features.** The state is scaled into the unit box, ``ŝ_i = (clip(s_i, lo_i, hi_i) − lo_i)/(hi_i − lo_i)``,
on the box :data:`SCALE_LOW` … :data:`SCALE_HIGH`: ``x ∈ [−2.4, 2.4]`` and ``θ ∈ [−12°, 12°]`` (the
termination limits, which a non-terminal state never leaves), ``ẋ ∈ [−3, 3]`` and ``θ̇ ∈ [−3.5, 3.5]``
(the velocities are unbounded; states outside are clipped onto the box's face). For order ``n`` the
basis has ``M = (n + 1)^4`` functions, one per ``c ∈ {0, …, n}^4`` in lexicographic order
(:func:`coefficients`), ``φ_c(s) = cos(π c·ŝ) / √M``, so ``‖φ(s)‖₂ ≤ 1`` (each ``|cos| ≤ 1``); ``c = 0``
is the constant ``1/√M``.

**Actor.** ``f(s, a) = φ(s) ⊗ e_a`` (``2M`` entries, ``‖f‖₂ ≤ 1``): ``θ`` is a ``(2, M)`` array ``theta[a, c]``,
which compiled code takes flattened row-major (``θ[a·M + c]``, the engine's layout): logits ``l_a = θ_aᵀ φ(s)``, ``π_θ(a | s) = e^{l_a} / (e^{l_0} + e^{l_1})``. A compiled draw
takes ``a = 0`` when ``u < π_θ(0 | s)`` (``u ~ U[0, 1)`` from the stream) and ``a = 1`` otherwise.

**Evaluation.** :func:`evaluate` runs ``episodes`` episodes of CartPole-v1 under ``π_θ`` from one xoshiro
stream seeded by a ``SeedSequence`` (start states by :func:`a3c_theory.envs.cartpole.initial_scalars`,
then one uniform per action), each ending at termination or truncation after 500 steps, and returns the
per-episode undiscounted returns (steps survived) with their mean and Student-t interval. No exact
``J`` exists here: the return is a Monte Carlo estimate, always reported with its interval.
"""

import itertools
import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..engine import rng
from ..errors import ValidationError
from ..studies.stats import CONFIDENCE, Estimate, mean_estimate
from ..validate import finite_array, positive_int
from . import cartpole

SCALE_LOW = np.array([-cartpole.X_THRESHOLD, -3.0, -cartpole.THETA_THRESHOLD, -3.5])
SCALE_HIGH = -SCALE_LOW
MAX_ORDER = 8
"""Largest Fourier order accepted: ``9^4 = 6561`` features."""


def coefficients(order: int) -> np.ndarray:
    """``float64[(order + 1)^4, 4]``: every ``c ∈ {0, …, order}^4``, lexicographic (``c = 0`` first)."""
    order = positive_int("order", order, minimum=0, maximum=MAX_ORDER)
    return np.array(list(itertools.product(range(order + 1), repeat=cartpole.STATE_DIM)), dtype=np.float64)


@njit(cache=True, nogil=True)
def _scaled(value, i):
    lo = SCALE_LOW[i]
    hi = SCALE_HIGH[i]
    return (min(max(value, lo), hi) - lo) / (hi - lo)


@njit(cache=True, nogil=True, inline="always")
def features_into(x, x_dot, theta, theta_dot, coeffs, out):
    """``out[c] = φ_c(s) = cos(π c·ŝ) / √M`` for the rows ``c`` of ``coeffs`` (``M`` rows)."""
    u0 = _scaled(x, 0)
    u1 = _scaled(x_dot, 1)
    u2 = _scaled(theta, 2)
    u3 = _scaled(theta_dot, 3)
    scale = 1.0 / math.sqrt(coeffs.shape[0])
    for c in range(coeffs.shape[0]):
        out[c] = scale * math.cos(math.pi * (coeffs[c, 0] * u0 + coeffs[c, 1] * u1 + coeffs[c, 2] * u2
                                             + coeffs[c, 3] * u3))


@njit(cache=True, nogil=True, inline="always")
def left_probability(theta, phi):
    """``π_θ(0 | s) = 1 / (1 + exp(l_1 − l_0))`` from ``φ(s)`` and the flat ``θ`` (``l_a = Σ_c θ[a·M + c] φ_c``;
    no NaN for large logits)."""
    m = phi.shape[0]
    diff = 0.0
    for c in range(m):
        diff += (theta[m + c] - theta[c]) * phi[c]
    return 1.0 / (1.0 + math.exp(diff))


@njit(cache=True, nogil=True)
def episode_returns(theta, coeffs, states, out):
    """``out[e]`` = undiscounted return of episode ``e`` under ``π_θ`` (flat ``θ``), from stream 0 of ``states``."""
    phi = np.empty(coeffs.shape[0])
    s0, s1, s2, s3 = rng.load_state(states, 0)
    for e in range(out.shape[0]):
        x, x_dot, th, th_dot, s0, s1, s2, s3 = cartpole.initial_scalars(s0, s1, s2, s3)
        total = 0.0
        for _ in range(cartpole.MAX_EPISODE_STEPS):
            features_into(x, x_dot, th, th_dot, coeffs, phi)
            u, s0, s1, s2, s3 = rng.uniform(s0, s1, s2, s3)
            action = 0 if u < left_probability(theta, phi) else 1
            x, x_dot, th, th_dot, terminated = cartpole.step_scalars(x, x_dot, th, th_dot, action)
            total += cartpole.REWARD
            if terminated:
                break
        out[e] = total
    rng.store_state(states, 0, s0, s1, s2, s3)


def check_theta(theta, order: int) -> np.ndarray:
    """Actor parameters of shape ``(2, (order + 1)^4)``, finite; returned flattened row-major (a copy)."""
    theta = finite_array("theta", theta, ndim=2)
    shape = (cartpole.N_ACTIONS, (order + 1) ** cartpole.STATE_DIM)
    if theta.shape != shape:
        raise ValidationError("theta", f"must have shape {shape} for order {order}, got {theta.shape}")
    return np.ascontiguousarray(theta, dtype=np.float64).ravel().copy()


def features(state, order: int) -> np.ndarray:
    """``φ(s)`` of the given order (the compiled :func:`features_into`)."""
    s = cartpole.check_state(state)
    coeffs = coefficients(order)
    out = np.empty(coeffs.shape[0])
    features_into(s[0], s[1], s[2], s[3], coeffs, out)
    return out


@dataclass(frozen=True)
class PolicyReturn:
    """Per-episode returns of a policy and their mean with a Student-t interval (``estimate``)."""

    returns: np.ndarray
    estimate: Estimate


def evaluate(theta, order: int, episodes: int, seed, level: float = CONFIDENCE) -> PolicyReturn:
    """The actor's undiscounted return over ``episodes`` compiled episodes (truncation at 500), seeded by
    an integer ``seed >= 0`` (``SeedSequence(seed)``) or a ``numpy.random.SeedSequence``."""
    coeffs = coefficients(order)
    theta = check_theta(theta, order)
    episodes = positive_int("episodes", episodes, minimum=2)
    if not isinstance(seed, np.random.SeedSequence):
        seed = np.random.SeedSequence(positive_int("seed", seed, minimum=0))
    states = rng.seed_states(seed, 1)
    returns = np.empty(episodes)
    episode_returns(theta, coeffs, states, returns)
    return PolicyReturn(returns, mean_estimate(returns, level))
