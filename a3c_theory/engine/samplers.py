"""Per-sample compiled primitives and the one-sample estimators of A3C-TD(0) (Shen, Zhang, Hong, Chen, arXiv 2012.15511).

Everything here is scalar-level numba code marked ``inline="always"``; the update kernels
(:mod:`.kernels`), the thread runner and the estimator check :func:`update_means` all call these same
functions, so the tests of unbiasedness test the code the engine runs.

Callers must be compiled with ``@njit(_nrt=False)`` and allocate nothing: every array is owned by the
Python caller, so no reference counting is needed. With the runtime on, numba 0.68 keeps an
``NRT_incref``/``NRT_decref`` pair (atomic) for most array arguments of the inlined helpers inside the
loop (its reference-count pruner gives up on their branches and inner loops): 1,190 instead of
420 ns per sample on the paper instance. ``inspect_asm`` of the kernels shows no ``NRT_incref``.

Data passed to compiled code
----------------------------
:class:`ProblemArrays` (build it with :func:`problem_arrays`) holds the problem as flat contiguous arrays:
the MDP rows of ``mdp.FiniteMDP`` (row ``s * nA + a``: successors, within-row CDF, rewards), the critic
features ``Φ`` (nS, d), the actor features ``f(s, b)`` as (nS·nA, dθ) (a 1-D dummy for the tabular
actor, whose ``f(s, b) = e_{s·nA+b}``; compiled code specialises on that dimension), the CDFs of ``η``,
of the prior states ``η_p`` and of the prior policy rows ``π_p(·|s)``, and the option-1 sampling CDFs
``mu_cdf`` (of ``μ_θ``) and ``d_cdf`` (of ``d_θ``), which the runner overwrites in place when it
refreshes them; and beside every CDF its guide table (``*_guide``; the transition rows' tables start at
``trans_guide_ptr[row]``), which :func:`categorical_cdf` starts its search from.

Categorical draws: guide tables
-------------------------------
Every draw from a CDF segment ``cdf[lo:hi]`` is the inverse-CDF draw: the smallest ``i`` in ``[lo, hi)``
with ``cdf[i] > u`` (``hi − 1`` when none). A guide table (Chen & Asau 1974; Devroye 1986, §III.2.4) of
``m`` buckets, ``m`` the least power of two ≥ ``hi − lo``, holds ``g[j]`` = that draw for ``u = j/m``.
Since ``u·m`` is exact for a power of two, ``j = ⌊u m⌋`` satisfies ``j/m ≤ u``, so the draw is at least
``g[j]`` and a linear scan up from ``g[j]`` finds it: the same index as a search of the whole segment,
bit for bit, in one table read and about one comparison (at most ``(hi − lo)/m ≤ 1`` extra steps on
average, over ``u``), instead of ``⌈log2(hi − lo)⌉`` dependent probes (7 for the paper instance's
100 successors). Whoever writes a CDF refreshes its table (:func:`fill_guide`).

Compact form of one update (the *pending update*)
-------------------------------------------------
With ``ψ_θ(s, a) = Σ_b (1[b = a] − π_θ(b|s)) f(s, b)`` one draw of the three estimators
``g = δ(x, ω) φ(s)``, ``v = δ(x̂, ω) ψ_θ(ŝ, â)`` and ``ψ_θ(x^p)`` is stored as

    pend_i[slot] = (s, ŝ, s^p)                       (s^p = −1 when no prior sample was drawn)
    pend_f[slot] = (δ(x, ω),                          critic: g = pend_f[0] · φ(s)
                    δ(x̂, ω)(1[b = â] − π_θ(b|ŝ)),     b < nA: v = Σ_b c_b f(ŝ, b)
                    1[b = a^p] − π_θ(b|s^p))          b < nA: ψ_θ(x^p) = Σ_b c_b f(s^p, b)

computed entirely from the parameters ``(θ, ω)`` passed in (the ones the worker read). The kernels
apply it later, possibly to newer parameters: ``ω ← Π_R(ω + β g)``, ``θ ← θ + α (v + λ ψ_θ(x^p))``.

Sampling options (``sampling`` argument)
----------------------------------------
- ``IID`` (option 1): ``s ~ μ_θ``, ``a ~ π_θ(·|s)``, ``s' ~ P(·|s, a)``; ``ŝ ~ d_θ``, ``â ~ π_θ(·|ŝ)``,
  ``ŝ' ~ P(·|ŝ, â)``, drawn from ``mu_cdf`` and ``d_cdf``.
- ``MARKOV`` (option 2): the worker's critic chain is at ``s``; after the update it moves to the sampled
  ``s'`` (kernel ``P_π``, stationary law ``μ_θ``). The actor chain is at ``ŝ``; after the update it moves
  to the sampled ``ŝ'`` with probability γ, else to a fresh draw from ``η`` (kernel ``γP_π + (1−γ)1ηᵀ``,
  stationary law ``d_θ``).
- ``SHARED`` (the ICLR 2021 variant): one chain under ``γP_π + (1−γ)1ηᵀ``; its transition
  ``(s, a, s')``, with ``s'`` drawn from ``P(·|s, a)`` (the restart to ``η`` only moves the chain), serves
  both the critic and the actor: ``ŝ = s``, ``â = a``, ``δ(x̂, ω) = δ(x, ω)``. The critic's states then
  follow ``d_θ``, not ``μ_θ``.

n-step returns (``n_step`` = n ≥ 1; MARKOV only, the config enforces it)
----------------------------------------------------------------------
From the chain state ``s_0`` with ``a_0 ~ π_θ(·|s_0)``, a rollout of n transitions under ``P`` and
``π_θ`` gives ``s_1, …, s_n`` and rewards ``r_1, …, r_n``; the TD error is

    δ^n = Σ_{i<n} γ^i r_{i+1} + γ^n φ(s_n)ᵀω − φ(s_0)ᵀω,

which for n = 1 is TD(0)'s ``δ = r + γφ(s')ᵀω − φ(s)ᵀω`` (same floating-point operations). The chain
still advances by one transition per update (critic to ``s_1``; actor to ``s_1`` w.p. γ, else ``η``),
so the states at which updates are taken keep the laws ``μ_θ`` and ``d_θ``; the later n − 1 transitions
are a look-ahead that the chain does not follow. One update thus samples 2n transitions (n for the
critic, n for the actor) plus the prior sample. Its means are, for the critic,
``Φᵀ D_μ (Σ_{i<n} (γP_π)^i r_π + ((γP_π)^n − I) Φ ω)``, and for the actor
``Σ_{s,a} d_θ(s) π(a|s) (Q^n_ω(s, a) − φ(s)ᵀω) ψ_θ(s, a)`` with
``Q^n_ω(s, a) = r(s, a) + γ Σ_s' P(s'|s, a) (Σ_{i<n−1} (γP_π)^i r_π + (γP_π)^{n−1} Φω)(s')``.

Random numbers: every draw is one ``rng.uniform`` from the worker's stream, in the order of the code
below (a reference implementation that consumes the same stream in the same order reproduces it).
"""

import math
from collections import namedtuple

import numpy as np
from numba import njit
from numba.extending import overload

from .rng import load_state, store_state, uniform

IID = 0
MARKOV = 1
SHARED = 2
SAMPLING_CODES = {"iid": IID, "markov": MARKOV, "shared": SHARED}
"""Config name of each sampling option -> integer code passed to compiled code."""

ProblemArrays = namedtuple(
    "ProblemArrays",
    [
        "n_states", "n_actions", "gamma",
        "indptr", "next_state", "trans_cdf", "reward",
        "eta_cdf", "phi", "actor_feat",
        "prior_state_cdf", "prior_action_cdf",
        "mu_cdf", "d_cdf",
        "trans_guide_ptr", "trans_guide", "eta_guide", "prior_state_guide", "prior_action_guide",
        "mu_guide", "d_guide",
    ],
)
ProblemArrays.__doc__ = "The problem as flat arrays for compiled code; see the module docstring."


def distribution_cdf(p: np.ndarray) -> np.ndarray:
    """CDF of a probability vector for :func:`categorical_cdf`: tiny negative round-off is clipped,
    the vector renormalised, and the last entry set to exactly 1."""
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, None)
    cdf = np.cumsum(p / p.sum())
    cdf[-1] = 1.0
    return cdf


def problem_arrays(problem, mu=None, d=None) -> ProblemArrays:
    """Pack a :class:`a3c_theory.problem.Problem` for compiled code (fixed dtypes, C order).

    ``mu`` / ``d`` are the option-1 sampling laws; they default to ``η`` (overwrite ``mu_cdf``/``d_cdf``
    in place with :func:`distribution_cdf` before sampling with option 1)."""
    mdp = problem.mdp
    n_states, n_actions = mdp.n_states, mdp.n_actions
    policy = problem.policy
    if policy.is_tabular:
        actor_feat = np.zeros(1)
    else:
        actor_feat = np.ascontiguousarray(policy.actor_features.reshape(n_states * n_actions, -1), np.float64)
    prior_action_cdf = np.concatenate([distribution_cdf(row) for row in problem.prior_policy])
    trans_cdf = np.ascontiguousarray(mdp.cdf, np.float64)
    indptr = np.ascontiguousarray(mdp.indptr, np.int64)
    index = np.int32 if trans_cdf.size < 2**31 else np.int64
    trans_guide_ptr = np.concatenate([[0], np.cumsum([guide_size(n) for n in np.diff(indptr)])]).astype(np.int64)
    trans_guide = np.zeros(trans_guide_ptr[-1], index)
    fill_row_guides(trans_cdf, indptr, trans_guide_ptr, trans_guide)
    action_guide = guide_size(n_actions)
    prior_action_guide = np.zeros(n_states * action_guide, index)
    fill_row_guides(prior_action_cdf, np.arange(n_states + 1, dtype=np.int64) * n_actions,
                    np.arange(n_states + 1, dtype=np.int64) * action_guide, prior_action_guide)
    mu_cdf = distribution_cdf(mdp.eta if mu is None else mu)
    d_cdf = distribution_cdf(mdp.eta if d is None else d)
    eta_cdf = distribution_cdf(mdp.eta)
    prior_state_cdf = distribution_cdf(problem.prior_states)
    return ProblemArrays(
        n_states=np.int64(n_states),
        n_actions=np.int64(n_actions),
        gamma=np.float64(mdp.gamma),
        indptr=indptr,
        next_state=np.ascontiguousarray(mdp.next_state, np.int32),
        trans_cdf=trans_cdf,
        reward=np.ascontiguousarray(mdp.reward, np.float64),
        eta_cdf=eta_cdf,
        phi=np.ascontiguousarray(problem.critic_features, np.float64),
        actor_feat=actor_feat,
        prior_state_cdf=prior_state_cdf,
        prior_action_cdf=prior_action_cdf,
        mu_cdf=mu_cdf,
        d_cdf=d_cdf,
        trans_guide_ptr=trans_guide_ptr,
        trans_guide=trans_guide,
        eta_guide=guide_table(eta_cdf, index),
        prior_state_guide=guide_table(prior_state_cdf, index),
        prior_action_guide=prior_action_guide,
        mu_guide=guide_table(mu_cdf, index),
        d_guide=guide_table(d_cdf, index),
    )


def guide_size(n: int) -> int:
    """Buckets of the guide table of a CDF segment of ``n ≥ 1`` entries: the least power of two ≥ n."""
    return 1 << (int(n) - 1).bit_length()


def guide_table(cdf: np.ndarray, dtype=np.int32) -> np.ndarray:
    """The guide table of the whole of ``cdf`` (module docstring)."""
    guide = np.zeros(guide_size(cdf.size), dtype)
    fill_guide(cdf, guide)
    return guide


def pending_arrays(n_slots: int, n_actions: int, zeros=np.zeros) -> tuple[np.ndarray, np.ndarray]:
    """Preallocated storage for ``n_slots`` pending updates: ``(pend_i int64[n, 3], pend_f f8[n, 1+2nA])``
    (``zeros(shape, dtype)`` allocates them)."""
    return zeros((n_slots, 3), np.int64), zeros((n_slots, 1 + 2 * n_actions), np.float64)


def scratch_buffer(n_actions: int, zeros=np.zeros) -> np.ndarray:
    """Scratch space for two probability vectors of length nA (``buf[0:nA]``, ``buf[nA:2nA]``)."""
    return zeros((2 * n_actions,), np.float64)


# ----------------------------------------------------------------------------- scalar primitives
@njit(inline="always")
def categorical_cdf(cdf, lo, hi, guide, g_lo, m, u):
    """Inverse-CDF draw on ``cdf[lo:hi]`` (a within-range CDF ending in 1) from ``u ~ U[0, 1)``: the
    smallest ``i`` in ``[lo, hi)`` with ``cdf[i] > u`` (``hi − 1`` when none, a guard against round-off),
    found by a scan up from ``guide[g_lo + ⌊u m⌋]``, the segment's guide table of ``m`` buckets (module
    docstring); zero-probability entries are never returned."""
    i = np.int64(guide[g_lo + np.int64(u * m)])
    while i < hi - 1 and cdf[i] <= u:
        i += 1
    return i


@njit(inline="always")
def fill_guide_segment(cdf, lo, hi, guide, g_lo, m):
    """``guide[g_lo + j]``, ``j < m`` (a power of two): the draw of :func:`categorical_cdf` on ``cdf[lo:hi]``
    for ``u = j/m`` (exact), by one merge-like pass over the segment."""
    i = lo
    width = 1.0 / m
    for j in range(m):
        t = j * width
        while i < hi - 1 and cdf[i] <= t:
            i += 1
        guide[g_lo + j] = i


@njit(cache=True, nogil=True, _nrt=False)
def fill_guide(cdf, guide):
    """The guide table of the whole of ``cdf`` into ``guide`` (of :func:`guide_size` entries): after every
    write of a sampling CDF."""
    fill_guide_segment(cdf, 0, cdf.shape[0], guide, 0, guide.shape[0])


@njit(cache=True, _nrt=False)
def fill_row_guides(cdf, indptr, guide_ptr, guide):
    """The guide tables of the rows ``cdf[indptr[r] : indptr[r+1]]``, row r's at
    ``guide[guide_ptr[r] : guide_ptr[r+1]]``."""
    for r in range(indptr.shape[0] - 1):
        fill_guide_segment(cdf, indptr[r], indptr[r + 1], guide, guide_ptr[r], guide_ptr[r + 1] - guide_ptr[r])


@njit(inline="always")
def draw_state(cdf, guide, u):
    """A state from a CDF over all states and its guide table (:func:`categorical_cdf`)."""
    return categorical_cdf(cdf, 0, cdf.shape[0], guide, 0, guide.shape[0], u)


@njit(inline="always")
def categorical_probs(probs, offset, n, u):
    """Draw ``b`` with probability ``probs[offset + b]``, ``b < n``, by a linear scan of the partial sums."""
    acc = 0.0
    for b in range(n - 1):
        acc += probs[offset + b]
        if u < acc:
            return b
    return n - 1


def actor_logits(actor_feat, theta, s, n_actions, buf, offset):
    """Write the logits ``θ·f(s, b)``, ``b < nA``, into ``buf[offset : offset + nA]``.

    Compiled code only: the implementation is chosen at compile time from the type of ``actor_feat``
    (1-D dummy: tabular, ``f(s, b) = e_{s·nA+b}``; 2-D (nS·nA, dθ): linear), so the kernels carry no
    run-time branch on the parametrisation."""
    raise NotImplementedError("actor_logits is only callable from compiled code")


@overload(actor_logits, inline="always")
def _actor_logits_impl(actor_feat, theta, s, n_actions, buf, offset):
    if actor_feat.ndim == 1:
        def tabular_logits(actor_feat, theta, s, n_actions, buf, offset):
            base = s * n_actions
            for b in range(n_actions):
                buf[offset + b] = theta[base + b]
        return tabular_logits

    def linear_logits(actor_feat, theta, s, n_actions, buf, offset):
        for b in range(n_actions):
            buf[offset + b] = np.dot(actor_feat[s * n_actions + b], theta)
    return linear_logits


def add_score_combination(actor_feat, theta, s, n_actions, pend_f, slot, offset, scale):
    """``θ += scale · Σ_b c_b f(s, b)`` with ``c_b = pend_f[slot, offset + b]`` (tabular:
    ``θ[s·nA + b] += scale · c_b``). Compiled code only; specialised on ``actor_feat`` like
    :func:`actor_logits`."""
    raise NotImplementedError("add_score_combination is only callable from compiled code")


@overload(add_score_combination, inline="always")
def _add_score_combination_impl(actor_feat, theta, s, n_actions, pend_f, slot, offset, scale):
    if actor_feat.ndim == 1:
        def tabular_add(actor_feat, theta, s, n_actions, pend_f, slot, offset, scale):
            base = s * n_actions
            for b in range(n_actions):
                theta[base + b] += scale * pend_f[slot, offset + b]
        return tabular_add

    def linear_add(actor_feat, theta, s, n_actions, pend_f, slot, offset, scale):
        for b in range(n_actions):
            cb = scale * pend_f[slot, offset + b]
            row = s * n_actions + b
            for j in range(theta.shape[0]):
                theta[j] += cb * actor_feat[row, j]
    return linear_add


@njit(inline="always")
def policy_probs(pa, theta, s, buf, offset):
    """Write ``π_θ(·|s)`` (softmax of ``θ·f(s, b)``, stabilised by the row maximum) into
    ``buf[offset : offset + nA]``."""
    n_actions = pa.n_actions
    actor_logits(pa.actor_feat, theta, s, n_actions, buf, offset)
    top = buf[offset]
    for b in range(1, n_actions):
        top = max(top, buf[offset + b])
    total = 0.0
    for b in range(n_actions):
        e = math.exp(buf[offset + b] - top)
        buf[offset + b] = e
        total += e
    inv = 1.0 / total
    for b in range(n_actions):
        buf[offset + b] *= inv


@njit(inline="always")
def state_value(phi, w, s):
    """``V̂_ω(s) = φ(s)ᵀω``."""
    acc = 0.0
    for j in range(phi.shape[1]):
        acc += phi[s, j] * w[j]
    return acc


@njit(inline="always")
def sample_transition(pa, s, a, u):
    """``s' ~ P(·|s, a)`` from ``u ~ U[0, 1)``; returns ``(s', r(s, a, s'))``."""
    row = s * pa.n_actions + a
    g_lo = pa.trans_guide_ptr[row]
    k = categorical_cdf(pa.trans_cdf, pa.indptr[row], pa.indptr[row + 1], pa.trans_guide, g_lo,
                        pa.trans_guide_ptr[row + 1] - g_lo, u)
    return np.int64(pa.next_state[k]), pa.reward[k]


@njit(inline="always")
def nstep_target(pa, theta, w, s, a, n_step, buf, s0, s1, s2, s3):
    """Roll out ``n_step`` transitions from ``(s, a)`` under ``P`` and ``π_θ`` (probabilities in
    ``buf[nA:2nA]``) and return ``(Σ_{i<n} γ^i r_{i+1} + γ^n φ(s_n)ᵀω, s_1, rng state)``.
    For n = 1 this is ``r + γ φ(s')ᵀω``."""
    n_actions = pa.n_actions
    gamma = pa.gamma
    u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
    nxt, r = sample_transition(pa, s, a, u)
    first = nxt
    target = r
    discount = gamma
    for _ in range(1, n_step):
        policy_probs(pa, theta, nxt, buf, n_actions)
        u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
        act = categorical_probs(buf, n_actions, n_actions, u)
        u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
        nxt, r = sample_transition(pa, nxt, act, u)
        target += discount * r
        discount *= gamma
    target += discount * state_value(pa.phi, w, nxt)
    return target, first, s0, s1, s2, s3


@njit(inline="always")
def restart_or_follow(pa, nxt, s0, s1, s2, s3):
    """One step of the actor kernel ``γP + (1−γ)η`` after a transition to ``nxt``: returns ``nxt``
    with probability γ (one uniform), else a draw from ``η`` (a second uniform)."""
    u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
    if u < pa.gamma:
        return nxt, s0, s1, s2, s3
    u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
    return draw_state(pa.eta_cdf, pa.eta_guide, u), s0, s1, s2, s3


@njit(inline="always")
def init_chains(pa, rng_states, crit_chain, act_chain):
    """Algorithm 1, worker initialisation: ``s_0 ~ η`` and ``ŝ_0 ~ η`` for every worker (two uniforms from
    each worker's stream, drawn for every sampling option so the streams stay aligned)."""
    for i in range(crit_chain.shape[0]):
        s0, s1, s2, s3 = load_state(rng_states, i)
        u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
        crit_chain[i] = draw_state(pa.eta_cdf, pa.eta_guide, u)
        u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
        act_chain[i] = draw_state(pa.eta_cdf, pa.eta_guide, u)
        store_state(rng_states, i, s0, s1, s2, s3)


# ----------------------------------------------------------------------------- one-sample estimators
@njit(inline="always")
def draw_update(pa, theta, w, sampling, n_step, with_prior, crit_chain, act_chain, worker,
                pend_i, pend_f, slot, buf, s0, s1, s2, s3):
    """Draw one update ``(g, v, ψ_θ(x^p))`` from ``(θ, ω)`` and store it compactly in ``pend_*[slot]``
    (module docstring); advances the worker's chains (MARKOV, SHARED). ``with_prior = False`` skips
    the prior sample (for λ = 0; its slot then holds ``s^p = −1``). Returns the new rng state.

    Draw order: the critic sample (IID: state from ``mu_cdf``; action; rollout), then MARKOV and IID the
    actor sample the same way (IID: state from ``d_cdf``), each followed by its chain step where it has
    one (SHARED: one sample, then the chain step); last, if ``with_prior``, ``s^p ~ η_p`` and
    ``a^p ~ π_p(·|s^p)``."""
    n_actions = pa.n_actions
    n_parts = 1 if sampling == SHARED else 2
    s = np.int64(0)
    a = np.int64(0)
    delta = 0.0
    for part in range(n_parts):  # part 0: critic sample x = (s, a, s'); part 1: actor sample x̂
        if sampling == IID:
            u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
            if part == 0:
                s = draw_state(pa.mu_cdf, pa.mu_guide, u)
            else:
                s = draw_state(pa.d_cdf, pa.d_guide, u)
        elif part == 0:
            s = crit_chain[worker]
        else:
            s = act_chain[worker]
        policy_probs(pa, theta, s, buf, 0)
        u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
        a = categorical_probs(buf, 0, n_actions, u)
        target, nxt, s0, s1, s2, s3 = nstep_target(pa, theta, w, s, a, n_step, buf, s0, s1, s2, s3)
        delta = target - state_value(pa.phi, w, s)
        if part == 0:
            pend_i[slot, 0] = s
            pend_f[slot, 0] = delta
            if sampling == MARKOV:
                crit_chain[worker] = nxt
            elif sampling == SHARED:
                crit_chain[worker], s0, s1, s2, s3 = restart_or_follow(pa, nxt, s0, s1, s2, s3)
        elif sampling == MARKOV:
            act_chain[worker], s0, s1, s2, s3 = restart_or_follow(pa, nxt, s0, s1, s2, s3)
    # the last sample drawn is the actor's (ŝ, â, δ(x̂, ω)); buf[0:nA] holds π_θ(·|ŝ)
    pend_i[slot, 1] = s
    for b in range(n_actions):
        pend_f[slot, 1 + b] = -delta * buf[b]
    pend_f[slot, 1 + a] += delta
    # prior sample x^p = (s^p ~ η_p, a^p ~ π_p(·|s^p))
    if with_prior:
        u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
        sp = draw_state(pa.prior_state_cdf, pa.prior_state_guide, u)
        u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
        m = pa.prior_action_guide.shape[0] // pa.n_states
        ap = categorical_cdf(pa.prior_action_cdf, sp * n_actions, sp * n_actions + n_actions,
                             pa.prior_action_guide, sp * m, m, u) - sp * n_actions
        policy_probs(pa, theta, sp, buf, 0)
        for b in range(n_actions):
            pend_f[slot, 1 + n_actions + b] = -buf[b]
        pend_f[slot, 1 + n_actions + ap] += 1.0
        pend_i[slot, 2] = sp
    else:
        pend_i[slot, 2] = -1
    return s0, s1, s2, s3


@njit(inline="always")
def add_feature(phi, s, coef, w):
    """``ω += coef · φ(s)``."""
    for j in range(phi.shape[1]):
        w[j] += coef * phi[s, j]


def update_means(pa, theta, w, sampling, n_step, rng_states, n_batches, batch_size, burn_in):
    """Batch means of ``n_batches × batch_size`` consecutive draws of :func:`draw_update` from one stream
    (``rng_states`` row 0, advanced in place), after ``burn_in`` discarded draws; the chains start at
    ``η`` (:func:`init_chains`) and the prior sample is always drawn. Returns ``(G, V, Psi)``: arrays
    (n_batches, d), (n_batches, dθ), (n_batches, dθ) of the batch means of ``g = δ(x, ω)φ(s)``,
    ``v = δ(x̂, ω)ψ_θ(ŝ, â)`` and ``ψ_θ(x^p)``, expanded from the compact form by the same helpers the
    kernels apply updates with."""
    n_actions = int(pa.n_actions)
    G = np.zeros((n_batches, pa.phi.shape[1]))
    V = np.zeros((n_batches, theta.shape[0]))
    Psi = np.zeros((n_batches, theta.shape[0]))
    pend_i, pend_f = pending_arrays(1, n_actions)
    chains = np.zeros((2, 1), np.int64)
    _update_means(pa, np.ascontiguousarray(theta, np.float64), np.ascontiguousarray(w, np.float64),
                  np.int64(sampling), np.int64(n_step), rng_states, np.int64(batch_size), np.int64(burn_in),
                  G, V, Psi, pend_i, pend_f, scratch_buffer(n_actions), chains[0], chains[1])
    return G, V, Psi


@njit(cache=True, _nrt=False)
def _update_means(pa, theta, w, sampling, n_step, rng_states, batch_size, burn_in, G, V, Psi,
                  pend_i, pend_f, buf, crit_chain, act_chain):
    """Compiled body of :func:`update_means` (accumulates into the zeroed ``G``, ``V``, ``Psi``)."""
    n_actions = pa.n_actions
    init_chains(pa, rng_states, crit_chain, act_chain)
    s0, s1, s2, s3 = load_state(rng_states, 0)
    for _ in range(burn_in):
        s0, s1, s2, s3 = draw_update(pa, theta, w, sampling, n_step, True, crit_chain, act_chain, 0,
                                     pend_i, pend_f, 0, buf, s0, s1, s2, s3)
    scale = 1.0 / batch_size
    for bi in range(G.shape[0]):
        for _ in range(batch_size):
            s0, s1, s2, s3 = draw_update(pa, theta, w, sampling, n_step, True, crit_chain, act_chain, 0,
                                         pend_i, pend_f, 0, buf, s0, s1, s2, s3)
            add_feature(pa.phi, pend_i[0, 0], scale * pend_f[0, 0], G[bi])
            add_score_combination(pa.actor_feat, V[bi], pend_i[0, 1], n_actions, pend_f, 0, 1, scale)
            add_score_combination(pa.actor_feat, Psi[bi], pend_i[0, 2], n_actions, pend_f, 0, 1 + n_actions,
                                  scale)
    store_state(rng_states, 0, s0, s1, s2, s3)
