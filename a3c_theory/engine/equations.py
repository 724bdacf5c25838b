"""The update equations of A3C-TD(0) as scalar compiled helpers, named after the paper's symbols
(Shen, Zhang, Hong, Chen, arXiv 2012.15511, Algorithm 1 and the asynchronous update).

They take scalars only (no arrays: an array argument of an inlined helper costs a reference-count
increment and decrement per call in a hot loop unless numba prunes them). They state each equation once,
as code; the compiled kernels write the same arithmetic out, in the same floating-point order
(``samplers.nstep_target`` and ``samplers.draw_update`` for the TD error and the actor coefficients,
``kernels.add_update``, ``samplers.add_feature`` and ``samplers.add_score_combination`` for the steps and
the delayed apply), because calling these helpers there was measured slower: ``a3c-theory bench``
reports the cost (``scalar_helpers_*``: a loop of the same per-sample arithmetic with and without them).

- TD error ``δ(x, ω) = r(s, a, s') + γ φ(s')ᵀω − φ(s)ᵀω``, and with n-step returns
  ``δ^n = Σ_{i<n} γ^i r_{i+1} + γ^n φ(s_n)ᵀω − φ(s)ᵀω``: :func:`td_error`;
- critic step ``ω ← Π_R(ω + β_k g)``, ``g = δ(x, ω) φ(s)``: the coefficient ``β_k δ`` of ``φ(s)``,
  :func:`critic_step`;
- actor coefficients: ``v = δ(x̂, ω) ψ_θ(ŝ, â) = Σ_b c_b f(ŝ, b)`` with ``c_b = δ (1[b = â] − π_θ(b|ŝ))``
  (and ``ψ_θ(x^p)`` with δ = 1): :func:`actor_coefficient`;
- delayed apply: an update computed from the parameters read at step ``k − τ_k`` is added to the current
  ones, ``x_{k+1} = x_k + step · d(x_{k−τ_k})``, one coordinate at a time: :func:`delayed_apply`.
"""

from numba import njit


@njit(inline="always")
def td_error(reward_sum, discount, value_next, value_s):
    """``δ = R + γ^n V̂(s_n) − V̂(s)`` with ``R = Σ_{i<n} γ^i r_{i+1}`` the sampled rewards, ``discount = γ^n``,
    ``value_next = φ(s_n)ᵀω``, ``value_s = φ(s)ᵀω``; for n = 1, ``δ(x, ω) = r + γ φ(s')ᵀω − φ(s)ᵀω``."""
    return reward_sum + discount * value_next - value_s


@njit(inline="always")
def critic_step(beta, delta):
    """The critic step ``ω ← ω + β_k δ(x, ω) φ(s)`` moves ``ω`` along ``φ(s)`` by ``β_k δ``."""
    return beta * delta


@njit(inline="always")
def actor_coefficient(delta, pi_b, chosen):
    """``c_b = δ (1[b = â] − π_θ(b|ŝ))``, the weight of ``f(ŝ, b)`` in ``v = δ ψ_θ(ŝ, â) = Σ_b c_b f(ŝ, b)``
    (``chosen`` is ``b == â``); with ``δ = 1`` the weight in the prior score ``ψ_θ(s^p, a^p)``."""
    c = -delta * pi_b
    if chosen:
        c += delta
    return c


@njit(inline="always")
def delayed_apply(current, step, stale_direction):
    """One coordinate of ``x_{k+1} = x_k + step · d``: the direction ``d`` was computed from the parameters
    read at step ``k − τ_k`` and is added to the current ``x_k``."""
    return current + step * stale_direction
