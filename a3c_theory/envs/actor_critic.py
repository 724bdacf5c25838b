"""One-worker linear actor-critic with TD(0) on CartPole, compiled (a standalone loop, not the engine).

Markovian sampling on one chain (``μ_θ`` is unknown here, so i.i.d. sampling from it is not available):
at ``s_k`` with features ``φ_k = φ(s_k)`` (:mod:`.fourier`), draw ``a_k ~ π_θ(·|s_k)``, step CartPole to
``s_{k+1}``, and with ``γ`` the critic's discount

* ``δ_k = r − φ_kᵀω`` at a **terminal** transition (``V = 0`` beyond it), after which the chain restarts
  from the start law; ``δ_k = r + γ φ_{k+1}ᵀω − φ_kᵀω`` otherwise, **truncation included** (the 500th
  step of an episode bootstraps, then the chain restarts);
* critic ``ω ← Π_R(ω + β δ_k φ_k)``, ``Π_R(ω) = ω · min(1, R/‖ω‖₂)``;
* actor ``θ ← θ + α δ_k ψ_θ(s_k, a_k)``, ``ψ_θ(s, a) = Σ_b (1[b = a] − π_θ(b|s)) f(s, b)`` with
  ``f(s, b) = φ(s) ⊗ e_b``: row ``a`` of ``θ`` gets ``(1 − π_θ(a|s)) φ``, the other row ``−π_θ(b|s) φ``.

The actor uses the critic's transition (the usual online one-chain variant), not a second chain on the
``γP + (1 − γ)η`` kernel of the paper's option 2. Step sizes are constant.

Why termination must end the value: under the finite toy-text convention (a terminal transition keeps
its reward and the chain goes on from the start law with the value continuing), every CartPole
transition pays 1, ``V ≡ 1/(1 − γ)`` for every policy, ``δ`` has mean zero and there is nothing to learn.
"""

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..engine import rng
from ..errors import ValidationError
from ..validate import nonnegative_float, open_unit_interval, positive_int
from . import cartpole, fourier


@njit(cache=True, nogil=True)
def td0_chunk(theta, omega, coeffs, states, carry, n_steps, alpha, beta, gamma, radius):
    """``n_steps`` transitions from ``carry = (x, ẋ, θ, θ̇, t)`` (``t`` = steps into the episode),
    updating ``theta`` (2, M), ``omega`` (M,) and ``carry`` in place; stream 0 of ``states``."""
    m = coeffs.shape[0]
    phi = np.empty(m)
    phi_next = np.empty(m)
    s0, s1, s2, s3 = rng.load_state(states, 0)
    x, x_dot, th, th_dot, t = carry[0], carry[1], carry[2], carry[3], carry[4]
    fourier.features_into(x, x_dot, th, th_dot, coeffs, phi)
    for _ in range(n_steps):
        p_left = fourier.left_probability(theta, phi)
        u, s0, s1, s2, s3 = rng.uniform(s0, s1, s2, s3)
        action = 0 if u < p_left else 1
        x, x_dot, th, th_dot, terminated = cartpole.step_scalars(x, x_dot, th, th_dot, action)
        t += 1.0
        v = 0.0
        for c in range(m):
            v += omega[c] * phi[c]
        target = cartpole.REWARD
        if not terminated:
            fourier.features_into(x, x_dot, th, th_dot, coeffs, phi_next)
            v_next = 0.0
            for c in range(m):
                v_next += omega[c] * phi_next[c]
            target += gamma * v_next
        delta = target - v
        g_left = alpha * delta * ((1.0 - p_left) if action == 0 else -p_left)
        norm_sq = 0.0
        for c in range(m):
            theta[0, c] += g_left * phi[c]
            theta[1, c] -= g_left * phi[c]  # ψ's rows sum to zero for two actions
            omega[c] += beta * delta * phi[c]
            norm_sq += omega[c] * omega[c]
        if norm_sq > radius * radius:
            shrink = radius / math.sqrt(norm_sq)
            for c in range(m):
                omega[c] *= shrink
        if terminated or t >= cartpole.MAX_EPISODE_STEPS:
            x, x_dot, th, th_dot, s0, s1, s2, s3 = cartpole.initial_scalars(s0, s1, s2, s3)
            t = 0.0
            fourier.features_into(x, x_dot, th, th_dot, coeffs, phi)
        else:
            phi, phi_next = phi_next, phi
    carry[0], carry[1], carry[2], carry[3], carry[4] = x, x_dot, th, th_dot, t
    rng.store_state(states, 0, s0, s1, s2, s3)


@dataclass(frozen=True)
class Learning:
    """A run's evaluations: ``samples[j]`` transitions done at snapshot ``j`` (0 = the initial policy),
    ``mean, lo, hi`` the return's mean and t-interval there; final ``theta`` and ``omega``."""

    samples: np.ndarray
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    theta: np.ndarray
    omega: np.ndarray

    def running_average(self, m: int) -> float:
        """The paper's running-average test reward: the mean return over the last ``m`` snapshots."""
        m = positive_int("m", m, maximum=len(self.mean))
        return float(self.mean[-m:].mean())


def train(order: int, alpha: float, beta: float, gamma: float, radius: float, horizon: int,
          snapshots: int, eval_episodes: int, seed: int) -> Learning:
    """Run :func:`td0_chunk` for ``horizon`` transitions from ``θ = 0, ω = 0``, evaluating the actor
    (:func:`.fourier.evaluate`, ``eval_episodes`` episodes) at ``snapshots + 1`` evenly spaced points.
    ``SeedSequence(seed)`` spawns the training stream (child 0) and one per evaluation (child ``1 + j``),
    so no two runs or evaluations share a stream."""
    coeffs = fourier.coefficients(order)
    for field, value in (("alpha", alpha), ("beta", beta), ("radius", radius)):
        if nonnegative_float(field, value) == 0.0:
            raise ValidationError(field, f"must be > 0, got {value!r}")
    gamma = open_unit_interval("gamma", gamma)
    horizon = positive_int("horizon", horizon)
    snapshots = positive_int("snapshots", snapshots, maximum=horizon)
    seed = positive_int("seed", seed, minimum=0)
    m = coeffs.shape[0]
    theta, omega = np.zeros((cartpole.N_ACTIONS, m)), np.zeros(m)
    train_seed, *eval_seeds = np.random.SeedSequence(seed).spawn(snapshots + 2)
    states = rng.seed_states(train_seed, 1)
    carry = np.zeros(5)
    cartpole.reset_into(states, 0, carry)
    points = np.linspace(0, horizon, snapshots + 1).round().astype(np.int64)
    rows = []
    for j, k in enumerate(points):
        if j > 0:
            td0_chunk(theta, omega, coeffs, states, carry, int(k - points[j - 1]), float(alpha), float(beta),
                      gamma, float(radius))
        est = fourier.evaluate(theta, order, eval_episodes, eval_seeds[j]).estimate
        rows.append((est.value, est.lo, est.hi))
    mean, lo, hi = np.array(rows).T
    return Learning(points, mean, lo, hi, theta, omega)
