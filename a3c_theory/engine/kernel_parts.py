"""Where the plain kernel's time goes: compiled loops that repeat, each on its own, one part of the update
of a finite MDP (issue 18 item 5; ``bench`` reports them beside ``kernel_ns_per_update``).

One i.i.d. update with ``n = 1`` and ``λ = 0`` (``samplers.draw_update``, then ``kernels.add_update``) does

- **rng**: 6 uniforms (``rng.uniform``), a state, an action and a successor for each of its two samples;
- **softmax**: 2 policies ``π_θ(·|s)`` (``samplers.policy_probs``: the nA logits ``θ·f(s, b)``, the
  exponentials and the normalisation);
- **draws**: 6 categorical draws from those uniforms: the two states from ``μ_θ`` and ``d_θ`` and the two
  successors from ``P(·|s, a)`` (guide tables), the two actions from ``π`` (a scan of nA probabilities);
- **apply**: the step sizes (a logarithm and two exponentials), ``ω += βδφ(s)``, ``θ += α Σ_b c_b f(ŝ, b)``
  and the projection ``Π_R`` (``kernels.add_update``, ``kernels.project``), from a pending slot;
- the rest: the four values ``φ(s)ᵀω`` of the two TD errors, writing the pending slot (the FIFO of the
  simulated delays is that slot array), the loop itself.

Each ``*_part`` loop runs its part's operations of ``n`` updates with the kernel's own inline functions, on
states, actions and uniforms drawn beforehand and reused in a cycle of :data:`CYCLE` (so that reading them
costs next to nothing): its time per update is what the part costs in the plain loop, up to what running
beside the other parts changes (caches, instruction overlap). ``refresh_part`` times the option-1 refresh
of a small instance inside compiled code (``small_exact.refresh_dense_laws``, what
``kernels.simulated_refreshing_chunk`` calls every M updates); the plain-loop figure itself has no refresh.
"""

import time

import numpy as np
from numba import njit

from .kernels import add_update, project, step_sizes
from .rng import load_state, store_state, uniform
from .samplers import categorical_probs, draw_state, draw_update, policy_probs, sample_transition
from .small_exact import refresh_dense_laws

CYCLE = 4096
"""States, actions and uniforms drawn beforehand, reused in turn."""

UNIFORMS, SOFTMAXES = 6, 2
"""Per update: uniforms drawn, policies computed (i.i.d. sampling, n = 1, λ = 0)."""


@njit(cache=True, nogil=True)
def rng_part(rng_states, n):
    """``6n`` uniforms from stream 0 (returns their sum)."""
    s0, s1, s2, s3 = load_state(rng_states, 0)
    total = 0.0
    for _ in range(UNIFORMS * n):
        u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
        total += u
    store_state(rng_states, 0, s0, s1, s2, s3)
    return total


@njit(cache=True, nogil=True)
def softmax_part(pa, theta, states, buf, n):
    """``2n`` policies ``π_θ(·|s)`` at ``states`` (in a cycle; returns the sum of their first entries)."""
    total = 0.0
    m = states.shape[0]
    for i in range(SOFTMAXES * n):
        policy_probs(pa, theta, states[i % m], buf, 0)
        total += buf[0]
    return total


@njit(cache=True, nogil=True)
def draws_part(pa, states, actions, uniforms, probs, n):
    """``n`` updates' six categorical draws: per update ``i`` (pairs in a cycle) a state from ``μ`` and one
    from ``d``, an action from ``probs`` (``π`` row by row, flat) at each of two states, and the successors
    of those two state–action pairs (returns the sum of the indices drawn)."""
    n_actions = pa.n_actions
    m = states.shape[0] // 2
    total = 0
    for i in range(n):
        j = i % m
        u = uniforms[6 * j: 6 * j + 6]
        total += draw_state(pa.mu_cdf, pa.mu_guide, u[0]) + draw_state(pa.d_cdf, pa.d_guide, u[1])
        for part in range(2):
            s, a = states[2 * j + part], actions[2 * j + part]
            total += categorical_probs(probs, s * n_actions, n_actions, u[2 + part])
            nxt, _ = sample_transition(pa, s, a, u[4 + part])
            total += nxt
    return total


@njit(cache=True, nogil=True)
def apply_part(pa, hp, theta, w, pend_i, pend_f, n):
    """``n`` applications of the update in pending slot 0 with the step sizes of counts ``0 … n−1``, each
    followed by the projection (returns the last ``‖ω‖²``)."""
    norm_sq = 0.0
    for k in range(n):
        alpha, beta = step_sizes(hp, k)
        add_update(pa, hp, theta, w, pend_i, pend_f, 0, alpha, beta)
        norm_sq, _ = project(w, hp.radius)
    return norm_sq


@njit(cache=True, nogil=True)
def fill_slot(pa, hp, theta, w, rng_states, crit_chain, act_chain, pend_i, pend_f, buf):
    """One update drawn into pending slot 0 (what :func:`apply_part` applies)."""
    s0, s1, s2, s3 = load_state(rng_states, 0)
    s0, s1, s2, s3 = draw_update(pa, theta, w, hp.sampling, hp.n_step, hp.with_prior, crit_chain, act_chain, 0,
                                 pend_i, pend_f, 0, buf, s0, s1, s2, s3)
    store_state(rng_states, 0, s0, s1, s2, s3)


@njit(cache=True, nogil=True)
def refresh_part(pa, theta, laws, n):
    """``n`` option-1 refreshes at ``θ`` (``laws.count`` reset before each, so none overflows its drifts)."""
    for _ in range(n):
        laws.count[0] = 0
        refresh_dense_laws(pa, theta, laws)


def part_seconds(setup, laws, n: int, seed: int = 0) -> dict:
    """Seconds per update of each part (module docstring) over ``n`` updates at the setup's ``θ, ω``, whose
    i.i.d. laws ``laws`` (a ``run_setup.SamplingLaws``) hold those at ``θ``; ``refresh`` (seconds per refresh,
    None unless ``laws.compiled``) is over ``min(n, 200)`` refreshes, which reset the drifts ``laws`` recorded."""
    pa, theta, w = setup.arrays, setup.theta.copy(), setup.w.copy()
    problem = setup.problem
    rng = np.random.default_rng(seed)
    pi = problem.policy.probabilities(theta)
    states = rng.choice(problem.mdp.n_states, size=2 * CYCLE, p=laws.mu).astype(np.int64)
    actions = np.array([rng.choice(pi.shape[1], p=pi[s]) for s in states], np.int64)
    uniforms = rng.random(6 * CYCLE)
    probs = np.ascontiguousarray(pi.ravel())
    buf = setup.kernels.scratch(pa)
    pend_i, pend_f = setup.kernels.pending(pa, 1)
    rng_states = setup.rng_states[:1].copy()
    fill_slot(pa, setup.hyper, theta, w, rng_states, setup.crit_chain[:1].copy(), setup.act_chain[:1].copy(),
              pend_i, pend_f, buf)
    parts = {
        "rng": lambda m: rng_part(rng_states, np.int64(m)),
        "softmax": lambda m: softmax_part(pa, theta, states, buf, np.int64(m)),
        "draws": lambda m: draws_part(pa, states, actions, uniforms, probs, np.int64(m)),
        "apply": lambda m: apply_part(pa, setup.hyper, theta.copy(), w.copy(), pend_i, pend_f, np.int64(m)),
    }
    seconds = {}
    for name, run in parts.items():
        run(1)  # compile or load
        start = time.perf_counter()
        run(n)
        seconds[name] = (time.perf_counter() - start) / n
    seconds["refresh"] = None
    if laws.compiled:
        n_refresh = min(n, 200)
        refresh_part(pa, theta, laws.state, np.int64(1))
        start = time.perf_counter()
        refresh_part(pa, theta, laws.state, np.int64(n_refresh))
        seconds["refresh"] = (time.perf_counter() - start) / n_refresh
    return seconds
