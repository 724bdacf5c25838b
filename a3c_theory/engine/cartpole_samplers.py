"""Per-sample compiled primitives and the one-sample estimators of A3C-TD(0) on CartPole-v1 (issue 17 Part 2,
DESIGN.md §7): the counterpart of :mod:`.samplers` and :mod:`.lqr_samplers`, with the same pending-update
scheme and random streams, so the loops of :mod:`.continuous_kernels` (those of :mod:`.kernels` and
:mod:`.threads`) run on it.

Problem (:mod:`a3c_theory.envs`): gymnasium CartPole-v1's dynamics (``envs.cartpole.step_scalars``), reward 1
per step, start law η = U(−0.05, 0.05)^4; Fourier features ``φ(s) ∈ R^M`` (``envs.fourier.features_into``,
``‖φ‖ ≤ 1``); linear critic ``V̂_ω(s) = φ(s)ᵀω``; softmax actor on ``f(s, a) = φ(s) ⊗ e_a`` with the flat
``θ ∈ R^{2M}`` (``envs.fourier.left_probability``). A chain row is ``(x, ẋ, θ, θ̇, t)``, ``t`` the steps taken
in the current episode.

One transition ``(s, a, s')`` from the parameters ``(θ, ω)`` the worker read, ``a ~ π_θ(·|s)`` (``a = 0`` when a
uniform is below ``π_θ(0|s)``), ``s'`` by one Euler step, ``t ← t + 1``:

- **terminal** (``|x'| > 2.4`` or ``|θ'| > 12°``): ``δ = r − φ(s)ᵀω`` (V = 0 beyond a terminal state);
- otherwise, **truncation at t = 500 included**: ``δ = r + γ φ(s')ᵀω − φ(s)ᵀω`` (a time limit is not terminal).

Why termination must end the value: under the finite toy-text convention (a terminal transition keeps its
reward and the value goes on from the start law), every CartPole transition pays 1, ``V ≡ 1/(1 − γ)`` for
every policy, ``δ`` has mean zero under every policy and there is nothing to learn.

Directions: critic ``g = δ φ(s)``; actor ``v = δ̂ ψ_θ(ŝ, â)``, ``ψ_θ(s, a) = Σ_b (1[b = a] − π_θ(b|s)) f(s, b)``:
with two actions ``v`` is ``c φ(ŝ)`` on row 0 and ``−c φ(ŝ)`` on row 1, ``c = δ̂ (1[â = 0] − π_θ(0|ŝ))``.

Pending update (``pend_f[slot]``, width ``2 + 2M``; ``pend_i`` is a one-column dummy kept for the loops'
common signature)::

    [δ, c, φ(s) (M), φ(ŝ) (M)]

applied later as ``ω ← Π_R(ω + β δ φ(s))``, ``θ_0 ← θ_0 + α c φ(ŝ)``, ``θ_1 ← θ_1 − α c φ(ŝ)`` (:func:`add_update`).

Sampling (codes of :mod:`.samplers`; i.i.d. option 1 does not exist here: μ_θ and d_θ are unknown):

- ``MARKOV`` (option 2): the critic chain follows its transitions (kernel of π_θ); after a terminal or a
  truncated transition it restarts from η. The actor chain draws its own transition; then, if it was neither
  terminal nor truncated, it moves to ``ŝ'`` when a uniform is below γ and restarts from η otherwise (kernel
  ``γP + (1 − γ)η``, whose stationary law is the discounted visitation d_θ); after a terminal or truncated
  transition it restarts from η (no uniform drawn).
- ``SHARED``: one chain, moved like the actor chain above; its transition serves critic and actor
  (``δ̂ = δ``, ``ŝ = s``).

Random numbers, in the order of the code: per transition one uniform for the action, then (actor chain,
shared chain, not after a terminal or truncated transition) one uniform for follow-or-restart, then four
uniforms for a restart's start state (``envs.cartpole.initial_scalars``). Workers start both chains from η
(eight uniforms, both options). Scalar ``inline="always"`` code for callers compiled with ``_nrt=False`` that
allocate nothing: ``buf`` holds ``φ(s')`` (:func:`scratch_size`).
"""

from collections import namedtuple

import numpy as np
from numba import njit

from ..envs import cartpole, fourier
from .rng import load_state, store_state, uniform
from .samplers import SHARED

CartPoleArrays = namedtuple("CartPoleArrays", ["coeffs", "gamma", "m"])
CartPoleArrays.__doc__ = ("CartPole for compiled code: the Fourier coefficients ``coeffs`` (M × 4), the critic's "
                          "discount ``gamma``, the number of features ``m`` = M.")

CHAIN_WIDTH = 5
"""A chain row: ``(x, ẋ, θ, θ̇, t)``."""


def cartpole_arrays(problem) -> CartPoleArrays:
    """Pack an :class:`a3c_theory.envs.problem.CartPoleProblem`."""
    return CartPoleArrays(np.ascontiguousarray(problem.coeffs, np.float64), np.float64(problem.gamma),
                          np.int64(problem.n_features))


def pending_width(m: int) -> int:
    """Floats per pending update: ``2 + 2M``."""
    return 2 + 2 * m


def scratch_size(m: int) -> int:
    """Scratch floats: ``φ(s')`` (M)."""
    return m


@njit(inline="always")
def restart(chain, row, s0, s1, s2, s3):
    """``chain[row] = (s_0, 0)`` with ``s_0 ~ η`` (four uniforms)."""
    x, x_dot, th, th_dot, s0, s1, s2, s3 = cartpole.initial_scalars(s0, s1, s2, s3)
    chain[row, 0] = x
    chain[row, 1] = x_dot
    chain[row, 2] = th
    chain[row, 3] = th_dot
    chain[row, 4] = 0.0
    return s0, s1, s2, s3


@njit(inline="always")
def transition(pa, theta, w, chain, row, pend_f, slot, off, buf, s0, s1, s2, s3):
    """One transition from ``chain[row]`` under ``π_θ`` (module docstring), ``φ(s)`` written to
    ``pend_f[slot, off:off+M]``: returns ``(δ, 1[a = 0] − π_θ(0|s), x', ẋ', θ', θ̇', t + 1, terminated, rng)``.
    The chain row itself is not moved."""
    m = pa.m
    x = chain[row, 0]
    x_dot = chain[row, 1]
    th = chain[row, 2]
    th_dot = chain[row, 3]
    phi = pend_f[slot, off:off + m]
    fourier.features_into(x, x_dot, th, th_dot, pa.coeffs, phi)
    p_left = fourier.left_probability(theta, phi)
    u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
    action = 0 if u < p_left else 1
    x, x_dot, th, th_dot, terminated = cartpole.step_scalars(x, x_dot, th, th_dot, action)
    v = 0.0
    for c in range(m):
        v += w[c] * phi[c]
    target = cartpole.REWARD
    if not terminated:
        fourier.features_into(x, x_dot, th, th_dot, pa.coeffs, buf)
        v_next = 0.0
        for c in range(m):
            v_next += w[c] * buf[c]
        target += pa.gamma * v_next
    score = (1.0 - p_left) if action == 0 else -p_left
    return (target - v, score, x, x_dot, th, th_dot, chain[row, 4] + 1.0, terminated, s0, s1, s2, s3)


@njit(inline="always")
def move(chain, row, x, x_dot, th, th_dot, t):
    chain[row, 0] = x
    chain[row, 1] = x_dot
    chain[row, 2] = th
    chain[row, 3] = th_dot
    chain[row, 4] = t


@njit(inline="always")
def discounted_move(pa, chain, row, x, x_dot, th, th_dot, t, ended, s0, s1, s2, s3):
    """The kernel ``γP + (1 − γ)η`` after a transition to ``(x', …, t)``: a restart after a terminal or
    truncated one (``ended``), else ``s'`` when a uniform is below γ and a restart otherwise."""
    if not ended:
        u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
        if u < pa.gamma:
            move(chain, row, x, x_dot, th, th_dot, t)
            return s0, s1, s2, s3
    return restart(chain, row, s0, s1, s2, s3)


@njit(inline="always")
def init_chains(pa, rng_states, crit_chain, act_chain, buf):
    """Worker initialisation: critic and actor chains from η for every worker (eight uniforms each); ``buf`` is
    accepted for the loops' common signature (unused)."""
    for i in range(crit_chain.shape[0]):
        s0, s1, s2, s3 = load_state(rng_states, i)
        s0, s1, s2, s3 = restart(crit_chain, i, s0, s1, s2, s3)
        s0, s1, s2, s3 = restart(act_chain, i, s0, s1, s2, s3)
        store_state(rng_states, i, s0, s1, s2, s3)


@njit(inline="always")
def draw_update(pa, theta, w, sampling, with_prior, crit_chain, act_chain, worker, pend_f, slot, buf,
                s0, s1, s2, s3):
    """Draw one update ``(δ, c, φ(s), φ(ŝ))`` from ``(θ, ω)`` into ``pend_f[slot]`` and move the worker's chains
    (module docstring); ``with_prior`` is accepted for the loops' common signature (always False here).
    Returns the new rng state."""
    m = pa.m
    if sampling == SHARED:
        delta, score, x, x_dot, th, th_dot, t, terminated, s0, s1, s2, s3 = transition(
            pa, theta, w, crit_chain, worker, pend_f, slot, 2, buf, s0, s1, s2, s3)
        for c in range(m):
            pend_f[slot, 2 + m + c] = pend_f[slot, 2 + c]
        pend_f[slot, 0] = delta
        pend_f[slot, 1] = delta * score
        ended = terminated or t >= cartpole.MAX_EPISODE_STEPS
        return discounted_move(pa, crit_chain, worker, x, x_dot, th, th_dot, t, ended, s0, s1, s2, s3)
    delta, score, x, x_dot, th, th_dot, t, terminated, s0, s1, s2, s3 = transition(
        pa, theta, w, crit_chain, worker, pend_f, slot, 2, buf, s0, s1, s2, s3)
    pend_f[slot, 0] = delta
    if terminated or t >= cartpole.MAX_EPISODE_STEPS:
        s0, s1, s2, s3 = restart(crit_chain, worker, s0, s1, s2, s3)
    else:
        move(crit_chain, worker, x, x_dot, th, th_dot, t)
    delta, score, x, x_dot, th, th_dot, t, terminated, s0, s1, s2, s3 = transition(
        pa, theta, w, act_chain, worker, pend_f, slot, 2 + m, buf, s0, s1, s2, s3)
    pend_f[slot, 1] = delta * score
    ended = terminated or t >= cartpole.MAX_EPISODE_STEPS
    return discounted_move(pa, act_chain, worker, x, x_dot, th, th_dot, t, ended, s0, s1, s2, s3)


@njit(inline="always")
def add_update(pa, hp, theta, w, pend_f, slot, alpha, beta):
    """Add the pending update in ``slot`` with ``(α, β)``, without projecting: ``ω += β δ φ(s)``,
    ``θ_0 += α c φ(ŝ)``, ``θ_1 −= α c φ(ŝ)``."""
    m = pa.m
    b = beta * pend_f[slot, 0]
    a = alpha * pend_f[slot, 1]
    for c in range(m):
        w[c] += b * pend_f[slot, 2 + c]
        step = a * pend_f[slot, 2 + m + c]
        theta[c] += step
        theta[m + c] -= step
