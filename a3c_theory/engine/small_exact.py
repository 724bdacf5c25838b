"""Compiled ``J(θ)`` for small dense instances, the quantity the online gap targets check many times per run.

``J = (1−γ) ηᵀ V`` with ``(I − γP_π) V = r_π``, ``P_π[s, s'] = Σ_a π(a|s) P[s, a, s']``,
``r_π(s) = Σ_a π(a|s) r(s, a)`` and ``π = softmax`` of the logits row by row: the arithmetic of
``exact.objective`` on the dense path (one LU solve), in one compiled call of a few µs for a few states
instead of ~30 µs of NumPy calls (``tests/test_engine_targets.py`` checks it against ``exact.objective``).
"""

import math
from collections import namedtuple

import numpy as np
from numba import njit

from .samplers import fill_guide_segment, policy_probs

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


REFRESH_MAX_STATES = 100
"""Largest ``nS`` whose option-1 laws are refreshed in compiled code (:func:`refresh_dense_laws`: two dense LU
solves of ``nS × nS``). Per refresh, called from Python, against ``exact.sampling_laws`` (median of 5 × 100
refreshes at random θ, one BLAS thread, a 2-core Intel Xeon): 114 against 177 µs on a 64-state garnet, 262
against 312 µs on a 100-state garnet, 261 against 323 µs on the 100-state paper instance, but 521 against
504 µs on a 128-state garnet, hence this bound. Inside a simulated kernel call, with no dispatch, a refresh
of the 6-state trap chain costs 4.1 µs (13.5 µs called from Python). numba's ``np.linalg.solve`` calls
SciPy's LAPACK ``dgesv``, as ``exact.dense_solve`` does, so the solves round alike on every machine; the
softmax and ``P_π`` are compiled code's, which rounds otherwise than NumPy's calls
(:class:`run_setup.SamplingLaws`)."""


@njit(cache=True, nogil=True)
def _block_sum(x, lo, n):
    """NumPy's pairwise sum of ``x[lo : lo + n]`` for ``n ≤ 128``: a plain loop below 8 terms, else 8
    accumulators combined as ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))``, then the tail."""
    if n < 8:
        total = 0.0
        for i in range(lo, lo + n):
            total += x[i]
        return total
    r = np.empty(8)
    for j in range(8):
        r[j] = x[lo + j]
    i = 8
    while i < n - n % 8:
        for j in range(8):
            r[j] += x[lo + i + j]
        i += 8
    total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        total += x[lo + i]
        i += 1
    return total


@njit(cache=True, nogil=True)
def pairwise_sum(x, lo, n):
    """``Σ x[lo : lo + n]`` in NumPy's order (``np.add.reduce``: :func:`_block_sum` up to 128 terms, above
    that the sum of the two halves, the first of ``⌊n/2⌋`` rounded down to a multiple of 8), so that a sum
    here rounds as ``x.sum()`` does. The halving recursion runs on an explicit stack."""
    if n <= 128:
        return _block_sum(x, lo, n)
    # post-order walk of the halving tree: each frame is (lo, n, stage); values holds finished halves
    frames_lo = np.empty(64, np.int64)
    frames_n = np.empty(64, np.int64)
    stage = np.zeros(64, np.int64)
    values = np.empty(64)
    depth = 0
    frames_lo[0], frames_n[0], stage[0] = lo, n, 0
    n_values = 0
    while depth >= 0:
        f_lo, f_n = frames_lo[depth], frames_n[depth]
        if f_n <= 128:
            values[n_values] = _block_sum(x, f_lo, f_n)
            n_values += 1
            depth -= 1
            continue
        half = f_n // 2
        half -= half % 8
        if stage[depth] == 0:
            stage[depth] = 1
            frames_lo[depth + 1], frames_n[depth + 1], stage[depth + 1] = f_lo, half, 0
            depth += 1
        elif stage[depth] == 1:
            stage[depth] = 2
            frames_lo[depth + 1], frames_n[depth + 1], stage[depth + 1] = f_lo + half, f_n - half, 0
            depth += 1
        else:
            values[n_values - 2] = values[n_values - 2] + values[n_values - 1]
            n_values -= 1
            depth -= 1
    return values[0]


@njit(cache=True, nogil=True)
def _distribution(x):
    """``exact._as_distribution``: ``max(x, 0) / Σ max(x, 0)``, in place."""
    for i in range(x.shape[0]):
        x[i] = max(x[i], 0.0)
    total = pairwise_sum(x, 0, x.shape[0])
    for i in range(x.shape[0]):
        x[i] = x[i] / total


@njit(cache=True, nogil=True)
def _write_cdf(p, cdf):
    """``samplers.distribution_cdf(p)`` into ``cdf``: the cumulative sums of ``p / Σp`` (p ≥ 0 here), the
    last entry set to exactly 1."""
    total = pairwise_sum(p, 0, p.shape[0])
    acc = 0.0
    for i in range(p.shape[0]):
        acc += p[i] / total
        cdf[i] = acc
    cdf[p.shape[0] - 1] = 1.0


@njit(cache=True, nogil=True)
def _half_l1(p, q):
    diff = np.abs(p - q)
    return 0.5 * pairwise_sum(diff, 0, diff.shape[0])


@njit(cache=True, nogil=True)
def dense_sampling_laws(P_pi, eta, gamma, mu_old, d_old, record, mu_cdf, d_cdf, mu_guide, d_guide):
    """The linear algebra of one option-1 refresh on a small dense instance, from ``P_π`` (nS, nS)
    (DESIGN.md, option-1 laws; ``exact.sampling_laws``'s dense path: the same systems, assembled and
    solved in the same order, so from the same ``P_π`` the laws and CDFs are those of the exact path bit for
    bit)

        μ_θ:  (I − P_πᵀ + u1ᵀ) μ = u,  u = 1/nS      (stationary law of P_π, Brauer shift)
        d_θ:  (I − γP_πᵀ) d = (1−γ) η               (discounted visitation)

    each clipped at 0 and normalised; writes their CDFs (``samplers.distribution_cdf``) into ``mu_cdf`` and
    ``d_cdf``, and the CDFs' guide tables (``samplers.fill_guide``) into ``mu_guide`` and ``d_guide``, and returns ``(μ, d, tv_μ, tv_d)``, new arrays, with ``tv = ½‖p_new − p_old‖₁`` when ``record``
    (else 0)."""
    n_states = P_pi.shape[0]
    u = np.full(n_states, 1.0 / n_states)
    M = np.empty((n_states, n_states))
    for i in range(n_states):
        for j in range(n_states):
            M[i, j] = u[i] - P_pi[j, i]
        M[i, i] += 1.0
    mu = np.linalg.solve(M, u)
    _distribution(mu)
    for i in range(n_states):
        for j in range(n_states):
            M[i, j] = -gamma * P_pi[j, i]
        M[i, i] += 1.0
    d = np.linalg.solve(M, (1.0 - gamma) * eta)
    _distribution(d)
    _write_cdf(mu, mu_cdf)
    _write_cdf(d, d_cdf)
    fill_guide_segment(mu_cdf, 0, n_states, mu_guide, 0, mu_guide.shape[0])
    fill_guide_segment(d_cdf, 0, n_states, d_guide, 0, d_guide.shape[0])
    if record:
        return mu, d, _half_l1(mu, mu_old), _half_l1(d, d_old)
    return mu, d, 0.0, 0.0


DenseLaws = namedtuple("DenseLaws", ["P3", "eta", "gamma", "mu", "d", "tv", "count"])
DenseLaws.__doc__ = ("The option-1 laws of a small instance for :func:`refresh_dense_laws`: ``P3[s, a, s']`` dense, "
                     "η, γ; the laws in use ``mu``, ``d`` (float64[nS], rewritten in place); the drifts recorded "
                     "so far ``tv[0, i]`` (μ), ``tv[1, i]`` (d); ``count`` = int64[2]: drifts recorded, and 1 "
                     "once ``mu``, ``d`` hold laws (0 before the first refresh).")


@njit(cache=True, nogil=True)
def refresh_dense_laws(pa, theta, laws):
    """One option-1 refresh at ``θ`` on a small dense instance, all in compiled code (the runner calls it
    between chunks, ``kernels.simulated_refreshing_chunk`` inside them; the same arithmetic either way):

        π_θ(·|s) by the kernels' softmax (``samplers.policy_probs``),
        P_π[s, s'] = Σ_a π_θ(a|s) P[s, a, s']          (summed over a in order),

    then :func:`dense_sampling_laws`, which writes the CDFs and guide tables of ``μ_θ``, ``d_θ`` into ``pa``.
    ``laws`` (:class:`DenseLaws`) gets the new laws; when it held laws, the drifts ``½‖p_new − p_old‖₁`` are
    recorded at ``tv[:, count[0]]`` (the caller leaves room for them)."""
    n_states, n_actions = laws.P3.shape[0], laws.P3.shape[1]
    pi = np.empty(n_actions)
    P_pi = np.zeros((n_states, n_states))
    for s in range(n_states):
        policy_probs(pa, theta, s, pi, 0)
        for a in range(n_actions):
            p = pi[a]
            for t in range(n_states):
                P_pi[s, t] += p * laws.P3[s, a, t]
    held = laws.count[1] == 1
    mu, d, tv_mu, tv_d = dense_sampling_laws(P_pi, laws.eta, laws.gamma, laws.mu, laws.d, held, pa.mu_cdf,
                                             pa.d_cdf, pa.mu_guide, pa.d_guide)
    if held:
        laws.tv[0, laws.count[0]] = tv_mu
        laws.tv[1, laws.count[0]] = tv_d
        laws.count[0] += 1
    laws.mu[:] = mu
    laws.d[:] = d
    laws.count[1] = 1
