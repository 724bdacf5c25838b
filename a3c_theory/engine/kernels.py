"""Compiled update kernels: apply a pending update, and the simulated-delay and synchronous loops.

The update rule (Algorithm 1 of the paper (Shen, Zhang, Hong, Chen, arXiv 2012.15511)), with global counter ``k``:

    ω_{k+1} = Π_R( ω_k + β_k g(x_(k), ω_{k−τ_k}) ),          Π_R(ω) = ω · min(1, R / ‖ω‖₂)
    θ_{k+1} = θ_k + α_k ( v(x̂_(k), θ_{k−τ_k}, ω_{k−τ_k}) + λ ψ_{θ_{k−τ_k}}(x^p_(k)) )
    α_k = c_α / (1 + k)^{σ_α},  β_k = c_β / (1 + k)^{σ_β}     (k = count of updates applied before)

An update is drawn (``samplers.draw_update``) from the parameters the worker reads and kept in compact
form in a slot of ``pend_i``/``pend_f`` until it is applied to the then-current parameters, so a
schedule of reads and applications simulates any delay exactly without copying parameters.

Simulated mode (:func:`simulated_chunk`): global step ``k`` first lets every computation scheduled at read
index ``k`` draw its update from the current ``(θ_k, ω_k)`` (``comp_*`` arrays, CSR by step), then
applies the update in slot ``apply_slot[k]``. The schedules come from :mod:`.delays`. On small instances
with i.i.d. sampling, :func:`simulated_refreshing_chunk` also refreshes the option-1 laws at the multiples of M
inside the chunk, so that a chunk need not end at each of them.

Synchronous mode, A2C (:func:`sync_chunk`): in round ``r`` the N workers all read ``(θ, ω)`` and draw one
update each; the learner applies their average once,

    ω ← Π_R( ω + Σ_i (β_k / N) g_i ),   θ ← θ + Σ_i (α_k / N) (v_i + λ ψ_i),   k = rN,

so the counter advances by N per round (one per sample, as in A3C) and the step sizes are those of the
round's first count ``k = rN`` (``algorithm.a2c_step_sizes = "per_round"``). The averaged round moves the
parameters about N times less per sample than A3C does. The per-sample-equivalent rule
(``"per_sample"``) gives each of the round's N samples the step size A3C gives the sample with that count,

    ω ← Π_R( ω + Σ_i β_{rN+i} g_i ),   θ ← θ + Σ_i α_{rN+i} (v_i + λ ψ_i),

i.e. the averaged update with α, β scaled by N (up to the decay of the step sizes within the round), so
that A2C and A3C differ only in when the updates are read and applied. With N = 1 both rules are A3C with
N = 1, operation for operation.

Kernels are compiled with ``_nrt=False`` (no reference counting; they allocate nothing, the caller owns every
array; see ``samplers``) and ``nogil=True``.

Recorded points (:func:`record_points`): ``rec_k`` lists counts ascending, ended by a sentinel above every
count; at each listed count ``k0 ≤ c < k1`` the loop copies ``θ_c, ω_c`` (the parameters after ``c`` updates)
into row ``i`` of ``rec_theta``/``rec_w`` (``c = rec_k[i]``). ``engine.targets`` evaluates its fine grids on
these copies; copying changes no arithmetic of the run.

``stats`` (float64[2]) accumulates across calls: ``stats[0]`` the largest ``‖ω‖₂²`` seen after any
projection step, ``stats[1]`` the number of steps where the projection was active.
"""

import math
from collections import namedtuple

import numpy as np
from numba import njit

from .rng import load_state, store_state
from .samplers import add_feature, add_score_combination, draw_update, init_chains
from .small_exact import refresh_dense_laws

Hyper = namedtuple(
    "Hyper",
    ["sampling", "n_step", "with_prior", "lam", "radius", "c_alpha", "sigma_alpha", "c_beta", "sigma_beta"],
)
Hyper.__doc__ = ("Algorithm constants for compiled code: sampling code (samplers.IID/MARKOV/SHARED), n-step "
                 "length, whether a prior sample is drawn (λ > 0), λ, radius R, step-size constants.")


def make_hyper(sampling: int, n_step: int, lam: float, radius: float, c_alpha: float, sigma_alpha: float,
               c_beta: float, sigma_beta: float) -> Hyper:
    """A :class:`Hyper` with fixed scalar dtypes (one compiled signature for every run)."""
    return Hyper(np.int64(sampling), np.int64(n_step), bool(lam != 0.0), np.float64(lam), np.float64(radius),
                 np.float64(c_alpha), np.float64(sigma_alpha), np.float64(c_beta), np.float64(sigma_beta))


@njit(inline="always")
def step_sizes(hp, k):
    """``(α_k, β_k) = (c_α (1+k)^{−σ_α}, c_β (1+k)^{−σ_β})``, computed as ``c · exp(−σ · log(1+k))``
    (one logarithm for both)."""
    log_k = math.log(1.0 + k)
    return hp.c_alpha * math.exp(-hp.sigma_alpha * log_k), hp.c_beta * math.exp(-hp.sigma_beta * log_k)


@njit(inline="always")
def add_update(pa, hp, theta, w, pend_i, pend_f, slot, alpha, beta):
    """Add the pending update in ``slot`` with step sizes ``(α, β)``, without projecting:
    ``ω += β δ φ(s)``, ``θ += α Σ_b c_b f(ŝ, b) + α λ Σ_b c^p_b f(s^p, b)``."""
    add_feature(pa.phi, pend_i[slot, 0], beta * pend_f[slot, 0], w)
    add_score_combination(pa.actor_feat, theta, pend_i[slot, 1], pa.n_actions, pend_f, slot, 1, alpha)
    prior_state = pend_i[slot, 2]
    if prior_state >= 0:
        add_score_combination(pa.actor_feat, theta, prior_state, pa.n_actions, pend_f, slot, 1 + pa.n_actions,
                              alpha * hp.lam)


@njit(inline="always")
def project(w, radius):
    """``ω ← Π_R(ω)`` in place; returns ``(‖ω‖₂² after projecting, 1 if the projection was active
    else 0)``."""
    norm_sq = 0.0
    for j in range(w.shape[0]):
        norm_sq += w[j] * w[j]
    if norm_sq <= radius * radius:
        return norm_sq, 0
    factor = radius / math.sqrt(norm_sq)
    norm_sq = 0.0
    for j in range(w.shape[0]):
        w[j] *= factor
        norm_sq += w[j] * w[j]
    return norm_sq, 1


@njit(inline="always")
def first_record(rec_k, k0):
    """Index of the first recorded count ``≥ k0`` (module docstring)."""
    i = 0
    while rec_k[i] < k0:
        i += 1
    return i


@njit(inline="always")
def record_points(rec_k, rec_theta, rec_w, i, k, theta, w):
    """Copy ``θ, ω`` into row ``i`` if ``k = rec_k[i]``; returns the index of the next count to record."""
    if rec_k[i] != k:
        return i
    for j in range(theta.shape[0]):
        rec_theta[i, j] = theta[j]
    for j in range(w.shape[0]):
        rec_w[i, j] = w[j]
    return i + 1


@njit(inline="always")
def simulated_steps(pa, hp, theta, w, rng_states, crit_chain, act_chain, pend_i, pend_f, buf,
                    comp_ptr, comp_slot, comp_worker, apply_slot, k0, k1, j0, stats, rec_k, rec_theta, rec_w):
    """Global steps ``k0 ≤ k < k1`` of simulated-delay A3C (module docstring), step ``k`` at index
    ``j = k − k0 + j0`` of the schedule arrays. Step ``k`` records ``θ_k, ω_k`` if ``k`` is in ``rec_k``, runs
    the computations ``comp_ptr[j] ≤ c < comp_ptr[j+1]`` (worker ``comp_worker[c]`` draws into slot
    ``comp_slot[c]`` from its own stream and chains), then applies slot ``apply_slot[j]`` with ``(α_k, β_k)``
    and projects ``ω``."""
    max_norm_sq = stats[0]
    n_projected = stats[1]
    sampling = hp.sampling
    n_step = hp.n_step
    with_prior = hp.with_prior
    radius = hp.radius
    rec = first_record(rec_k, k0)
    for k in range(k0, k1):
        j = k - k0 + j0
        rec = record_points(rec_k, rec_theta, rec_w, rec, k, theta, w)
        for c in range(comp_ptr[j], comp_ptr[j + 1]):
            i = comp_worker[c]
            s0, s1, s2, s3 = load_state(rng_states, i)
            s0, s1, s2, s3 = draw_update(pa, theta, w, sampling, n_step, with_prior, crit_chain, act_chain, i,
                                         pend_i, pend_f, comp_slot[c], buf, s0, s1, s2, s3)
            store_state(rng_states, i, s0, s1, s2, s3)
        alpha, beta = step_sizes(hp, k)
        add_update(pa, hp, theta, w, pend_i, pend_f, apply_slot[j], alpha, beta)
        norm_sq, active = project(w, radius)
        max_norm_sq = max(max_norm_sq, norm_sq)
        n_projected += active
    stats[0] = max_norm_sq
    stats[1] = n_projected


@njit(cache=True, nogil=True, _nrt=False)
def simulated_chunk(pa, hp, theta, w, rng_states, crit_chain, act_chain, pend_i, pend_f, buf,
                    comp_ptr, comp_slot, comp_worker, apply_slot, k0, k1, stats, rec_k, rec_theta, rec_w):
    """Global steps ``k0 ≤ k < k1`` of simulated-delay A3C (:func:`simulated_steps`, the schedule arrays
    holding step ``k0`` at index 0)."""
    simulated_steps(pa, hp, theta, w, rng_states, crit_chain, act_chain, pend_i, pend_f, buf, comp_ptr,
                    comp_slot, comp_worker, apply_slot, k0, k1, 0, stats, rec_k, rec_theta, rec_w)


@njit(cache=True, nogil=True, _nrt=False)
def simulated_chunk_at(pa, hp, theta, w, rng_states, crit_chain, act_chain, pend_i, pend_f, buf,
                       comp_ptr, comp_slot, comp_worker, apply_slot, k0, k1, j0, stats, rec_k, rec_theta, rec_w):
    """:func:`simulated_steps` with step ``k0`` at index ``j0`` of the schedule arrays, in a function of its own
    without reference counting (a loop inlined into :func:`simulated_refreshing_chunk`, which allocates, would
    count references to the arrays it reads, several times slower)."""
    simulated_steps(pa, hp, theta, w, rng_states, crit_chain, act_chain, pend_i, pend_f, buf, comp_ptr,
                    comp_slot, comp_worker, apply_slot, k0, k1, j0, stats, rec_k, rec_theta, rec_w)


@njit(cache=True, nogil=True)
def simulated_refreshing_chunk(pa, hp, theta, w, rng_states, crit_chain, act_chain, pend_i, pend_f, buf,
                               comp_ptr, comp_slot, comp_worker, apply_slot, k0, k1, stats, rec_k, rec_theta, rec_w,
                               refresh, laws):
    """:func:`simulated_chunk` over ``k0 ≤ k < k1`` with the option-1 laws of a small instance refreshed at
    every multiple of M = ``refresh`` strictly inside ``(k0, k1)`` (``small_exact.refresh_dense_laws`` at
    ``θ_k``, before step ``k``), as the runner would between chunks ending there; the steps in between are
    :func:`simulated_chunk_at`, as in :func:`simulated_chunk`, so the arithmetic is theirs. A piece after which
    ``θ`` or ``ω`` is no longer finite ends the call at its end (the runner's divergence check then finds it).
    Returns the count reached."""
    k = k0
    while k < k1:
        k_next = min(k1, (k // refresh + 1) * refresh)
        simulated_chunk_at(pa, hp, theta, w, rng_states, crit_chain, act_chain, pend_i, pend_f, buf, comp_ptr,
                           comp_slot, comp_worker, apply_slot, k, k_next, k - k0, stats, rec_k, rec_theta, rec_w)
        k = k_next
        if k < k1:
            if not all_finite(theta, w):
                return k
            refresh_dense_laws(pa, theta, laws)
    return k


@njit(cache=True, nogil=True, _nrt=False)
def sync_chunk(pa, hp, theta, w, rng_states, crit_chain, act_chain, pend_i, pend_f, buf, r0, r1, per_sample,
               stats, rec_k, rec_theta, rec_w):
    """Rounds ``r0 ≤ r < r1`` of synchronous A2C with ``N = rng_states.shape[0]`` workers (module
    docstring): round ``r`` records ``θ, ω`` if ``k = rN`` is in ``rec_k``; worker ``i`` draws into slot
    ``i``; the average is applied with the step sizes of ``k = rN`` (or, if ``per_sample``, update ``i``
    with those of ``k = rN + i``) and ``ω`` projected once per round."""
    n_workers = rng_states.shape[0]
    inv = 1.0 / n_workers
    max_norm_sq = stats[0]
    n_projected = stats[1]
    sampling = hp.sampling
    n_step = hp.n_step
    with_prior = hp.with_prior
    rec = first_record(rec_k, r0 * n_workers)
    for r in range(r0, r1):
        rec = record_points(rec_k, rec_theta, rec_w, rec, r * n_workers, theta, w)
        for i in range(n_workers):
            s0, s1, s2, s3 = load_state(rng_states, i)
            s0, s1, s2, s3 = draw_update(pa, theta, w, sampling, n_step, with_prior, crit_chain, act_chain, i,
                                         pend_i, pend_f, i, buf, s0, s1, s2, s3)
            store_state(rng_states, i, s0, s1, s2, s3)
        if per_sample:
            for i in range(n_workers):
                alpha, beta = step_sizes(hp, r * n_workers + i)
                add_update(pa, hp, theta, w, pend_i, pend_f, i, alpha, beta)
        else:
            alpha, beta = step_sizes(hp, r * n_workers)
            alpha *= inv
            beta *= inv
            for i in range(n_workers):
                add_update(pa, hp, theta, w, pend_i, pend_f, i, alpha, beta)
        norm_sq, active = project(w, hp.radius)
        max_norm_sq = max(max_norm_sq, norm_sq)
        n_projected += active
    stats[0] = max_norm_sq
    stats[1] = n_projected


@njit(cache=True, _nrt=False)
def initialise_chains(pa, rng_states, crit_chain, act_chain):
    """Compiled entry point for ``samplers.init_chains`` (``s_0, ŝ_0 ~ η`` per worker)."""
    init_chains(pa, rng_states, crit_chain, act_chain)


@njit(cache=True, _nrt=False)
def all_finite(theta, w):
    """Whether ``θ`` and ``ω`` hold no NaN and no ±inf (the divergence check after every chunk, without the
    NumPy calls of ``divergence.first_non_finite``, which names the quantity once this is False)."""
    for j in range(theta.shape[0]):
        if not math.isfinite(theta[j]):
            return False
    for j in range(w.shape[0]):
        if not math.isfinite(w[j]):
            return False
    return True
