"""Per-sample compiled primitives and the one-sample estimators of A3C-TD(0) on a linear-quadratic problem
(issue 17, DESIGN.md §7): the continuous-state counterpart of :mod:`.samplers`, with the same pending-update
scheme, sampling options and random streams, so the loops of :mod:`.continuous_kernels` (those of :mod:`.kernels`
and :mod:`.threads`) run on it.

Problem: ``x' = Ax + Bu + w``, ``w ~ N(0, W)``, ``x_0 ~ η = N(0, Σ_0)``, ``r(x, u) = −(xᵀQx + uᵀRu)``,
``π_K(u|x) = N(−Kx, σ²I_m)``, θ = K flattened row-major (``K[i, j] = θ[i·n + j]``). Critic features
``φ(x) = [svec(xxᵀ); 1]`` (``svec``: upper triangle row-major, off-diagonal entries times √2, as
``a3c_theory.lqr.critic.svec``), so ``V̂_ω(x) = φ(x)ᵀω``.

One update drawn from the parameters ``(K, ω)`` the worker read:

- critic sample ``x``, ``u = −Kx + σε``, ``x' = Ax + Bu + W^{1/2}ξ`` (ε, ξ standard normal), TD error
  ``δ = r(x, u) + γ φ(x')ᵀω − φ(x)ᵀω``, direction ``g = δ φ(x)``;
- actor sample ``x̂``, ``û``, ``x̂'`` the same way with its TD error ``δ̂``, and the Gaussian score
  ``ψ_K(x̂, û) = ∇_K log π_K(û|x̂) = −(û + Kx̂) x̂ᵀ / σ²``, direction ``v = δ̂ ψ_K(x̂, û) = c x̂ᵀ`` with
  ``c = −δ̂ (û + Kx̂)/σ²`` (m entries);
- the KL prior toward ``π_p(u|x) = N(−K_p x, σ²I)`` on ``η_p = η`` in closed form:
  ``R(K) = −tr((K − K_p)Σ_0(K − K_p)ᵀ)/(2σ²)``, whose exact gradient ``∇R(K) = −(K − K_p)Σ_0/σ²`` at the
  read K is the prior part of the actor step (no prior sample: zero variance; its mean is what the finite
  engine's sampled score ``ψ_θ(x^p)`` estimates).

Pending update (``pend_f[slot]``, width ``1 + 2n + m + mn``; ``pend_i`` is a one-column dummy kept for the
loops' common signature)::

    [δ, x (n), c (m), x̂ (n), ∇R(K) row-major (mn; written only with the prior)]

applied later as ``ω ← Π_R(ω + β δ φ(x))``, ``K ← K + α (c x̂ᵀ + λ ∇R)`` (:func:`add_update`).

Sampling options (codes of :mod:`.samplers`):

- ``IID`` (option 1): ``x ~ μ_K = N(0, Σ_K)`` as ``x = Σ_K^{1/2} z`` with the symmetric root in
  ``mu_sqrt``; ``x̂ ~ d_K`` exactly, as the discounted visitation is defined: ``x ~ η``, then while a uniform is
  below γ one transition under the gain ``K_law`` (so the number of transitions is Geometric(1 − γ) on
  {0, 1, …}, ``x̂ ~ N(0, C_t)``). ``mu_sqrt`` and ``K_law`` hold the laws of the gain at the last refresh
  (the runner rewrites them every ``algorithm.refresh`` updates, as it rewrites the finite CDFs).
- ``MARKOV`` (option 2): the critic chain moves to ``x'`` (kernel of π_K, stationary law μ_K); the actor
  chain moves to ``x̂'`` with probability γ, else to a fresh draw from η (kernel ``γP + (1−γ)η``, law d_K).
- ``SHARED``: one chain under ``γP + (1−γ)η``; its transition serves critic and actor.

Random numbers: every normal is ``rng.standard_normal`` (two uniforms), drawn in the order of the code.
Everything is ``inline="always"`` scalar code for callers compiled with ``_nrt=False`` that allocate
nothing; vectors live in the caller's scratch ``buf`` at fixed offsets (:func:`scratch_size`).
"""

import math
from collections import namedtuple

import numpy as np
from numba import njit

from ..lqr.exact import psd_sqrt
from .rng import load_state, standard_normal, store_state, uniform
from .samplers import IID, MARKOV, SHARED

LQRArrays = namedtuple(
    "LQRArrays",
    ["n", "m", "gamma", "sigma", "A", "B", "Q", "R", "W_sqrt", "Sigma0", "Sigma0_sqrt", "K_prior",
     "mu_sqrt", "K_law"],
)
LQRArrays.__doc__ = ("The linear-quadratic problem as arrays for compiled code (module docstring); ``mu_sqrt`` "
                     "(Σ_K^{1/2}) and ``K_law`` (flattened gain) are the option-1 laws, rewritten in place.")


def lqr_arrays(problem) -> LQRArrays:
    """Pack an :class:`a3c_theory.lqr.problem.LQRProblem`; the option-1 laws start at η (``mu_sqrt = Σ_0^{1/2}``)
    and ``K_law = K0`` until the runner's first refresh."""
    def c(x):
        return np.ascontiguousarray(x, np.float64)

    return LQRArrays(
        n=np.int64(problem.state_dim), m=np.int64(problem.action_dim), gamma=np.float64(problem.gamma),
        sigma=np.float64(problem.sigma), A=c(problem.A), B=c(problem.B), Q=c(problem.Q), R=c(problem.R),
        W_sqrt=c(psd_sqrt(problem.W)), Sigma0=c(problem.Sigma0), Sigma0_sqrt=c(psd_sqrt(problem.Sigma0)),
        K_prior=c(problem.K_prior.ravel()), mu_sqrt=c(psd_sqrt(problem.Sigma0)), K_law=c(problem.K0.ravel()),
    )


def pending_width(n: int, m: int) -> int:
    """Floats per pending update: ``1 + 2n + m + mn``."""
    return 1 + 2 * n + m + m * n


def scratch_size(n: int, m: int) -> int:
    """Scratch floats: x, u, x', one noise vector (``3n + m``)."""
    return 3 * n + m


# ----------------------------------------------------------------------------- scalar primitives
@njit(inline="always")
def gaussian_into(root, buf, dst, tmp, n, s0, s1, s2, s3):
    """``buf[dst:dst+n] = root · z``, ``z ~ N(0, I_n)`` drawn into ``buf[tmp:tmp+n]``."""
    for i in range(n):
        buf[tmp + i], s0, s1, s2, s3 = standard_normal(s0, s1, s2, s3)
    for i in range(n):
        acc = 0.0
        for j in range(n):
            acc += root[i, j] * buf[tmp + j]
        buf[dst + i] = acc
    return s0, s1, s2, s3


@njit(inline="always")
def value(w, buf, off, n):
    """``V̂_ω(x) = φ(x)ᵀω = Σ_{i≤j} c_ij x_i x_j ω_(ij) + ω_last`` for ``x = buf[off:off+n]``."""
    acc = 0.0
    q = 0
    for i in range(n):
        xi = buf[off + i]
        acc += w[q] * xi * xi
        q += 1
        for j in range(i + 1, n):
            acc += w[q] * math.sqrt(2.0) * xi * buf[off + j]
            q += 1
    return acc + w[q]


@njit(inline="always")
def transition(pa, gain, buf, s0, s1, s2, s3):
    """From ``x = buf[0:n]``: ``u = −Kx + σε`` into ``buf[n:n+m]`` (K = ``gain`` flattened), ``x' = Ax + Bu +
    W^{1/2}ξ`` into ``buf[n+m:2n+m]`` (ξ drawn into ``buf[2n+m:3n+m]``); returns ``(r(x, u), rng state)``."""
    n = pa.n
    m = pa.m
    U = n
    Y = n + m
    T = 2 * n + m
    for i in range(m):
        e, s0, s1, s2, s3 = standard_normal(s0, s1, s2, s3)
        acc = 0.0
        for j in range(n):
            acc += gain[i * n + j] * buf[j]
        buf[U + i] = -acc + pa.sigma * e
    cost = 0.0
    for i in range(n):
        acc = 0.0
        for j in range(n):
            acc += pa.Q[i, j] * buf[j]
        cost += buf[i] * acc
    for i in range(m):
        acc = 0.0
        for j in range(m):
            acc += pa.R[i, j] * buf[U + j]
        cost += buf[U + i] * acc
    for i in range(n):
        buf[T + i], s0, s1, s2, s3 = standard_normal(s0, s1, s2, s3)
    for i in range(n):
        acc = 0.0
        for j in range(n):
            acc += pa.A[i, j] * buf[j] + pa.W_sqrt[i, j] * buf[T + j]
        for j in range(m):
            acc += pa.B[i, j] * buf[U + j]
        buf[Y + i] = acc
    return -cost, s0, s1, s2, s3


@njit(inline="always")
def visitation_draw(pa, buf, s0, s1, s2, s3):
    """``x ~ d_K`` into ``buf[0:n]`` (K = ``K_law``): ``x ~ η``, then one transition while a uniform is below γ."""
    n = pa.n
    Y = n + pa.m
    s0, s1, s2, s3 = gaussian_into(pa.Sigma0_sqrt, buf, 0, 2 * n + pa.m, n, s0, s1, s2, s3)
    while True:
        u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
        if u >= pa.gamma:
            return s0, s1, s2, s3
        _, s0, s1, s2, s3 = transition(pa, pa.K_law, buf, s0, s1, s2, s3)
        for i in range(n):
            buf[i] = buf[Y + i]


@njit(inline="always")
def restart_or_follow(pa, chain, row, buf, s0, s1, s2, s3):
    """The actor kernel ``γP + (1−γ)η`` after a transition to ``x' = buf[n+m:2n+m]``: ``chain[row] = x'`` with
    probability γ (one uniform), else a draw from η."""
    n = pa.n
    Y = n + pa.m
    u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
    if u < pa.gamma:
        for i in range(n):
            chain[row, i] = buf[Y + i]
        return s0, s1, s2, s3
    s0, s1, s2, s3 = gaussian_into(pa.Sigma0_sqrt, buf, Y, 2 * n + pa.m, n, s0, s1, s2, s3)
    for i in range(n):
        chain[row, i] = buf[Y + i]
    return s0, s1, s2, s3


@njit(inline="always")
def init_chains(pa, rng_states, crit_chain, act_chain, buf):
    """Worker initialisation: ``x_0 ~ η`` and ``x̂_0 ~ η`` for every worker (2n normals from each worker's
    stream, for every sampling option)."""
    n = pa.n
    for i in range(crit_chain.shape[0]):
        s0, s1, s2, s3 = load_state(rng_states, i)
        s0, s1, s2, s3 = gaussian_into(pa.Sigma0_sqrt, buf, 0, n, n, s0, s1, s2, s3)
        for j in range(n):
            crit_chain[i, j] = buf[j]
        s0, s1, s2, s3 = gaussian_into(pa.Sigma0_sqrt, buf, 0, n, n, s0, s1, s2, s3)
        for j in range(n):
            act_chain[i, j] = buf[j]
        store_state(rng_states, i, s0, s1, s2, s3)


# ----------------------------------------------------------------------------- one-sample estimators
@njit(inline="always")
def draw_update(pa, theta, w, sampling, with_prior, crit_chain, act_chain, worker, pend_f, slot, buf,
                s0, s1, s2, s3):
    """Draw one update ``(g, v, ∇R)`` from ``(K = θ, ω)`` into ``pend_f[slot]`` (module docstring); advances the
    worker's chains (MARKOV, SHARED). Draw order: critic state (IID: ``mu_sqrt``), its action and transition;
    its chain step; then (IID, MARKOV) the actor state (IID: the d_K draw), action, transition and chain step.
    Returns the new rng state."""
    n = pa.n
    m = pa.m
    U = n
    Y = n + m
    T = 2 * n + m
    n_parts = 1 if sampling == SHARED else 2
    delta = 0.0
    for part in range(n_parts):  # part 0: critic sample; part 1: actor sample
        if sampling == IID:
            if part == 0:
                s0, s1, s2, s3 = gaussian_into(pa.mu_sqrt, buf, 0, T, n, s0, s1, s2, s3)
            else:
                s0, s1, s2, s3 = visitation_draw(pa, buf, s0, s1, s2, s3)
        elif part == 0:
            for i in range(n):
                buf[i] = crit_chain[worker, i]
        else:
            for i in range(n):
                buf[i] = act_chain[worker, i]
        r, s0, s1, s2, s3 = transition(pa, theta, buf, s0, s1, s2, s3)
        delta = r + pa.gamma * value(w, buf, Y, n) - value(w, buf, 0, n)
        if part == 0:
            pend_f[slot, 0] = delta
            for i in range(n):
                pend_f[slot, 1 + i] = buf[i]
            if sampling == MARKOV:
                for i in range(n):
                    crit_chain[worker, i] = buf[Y + i]
        if sampling == SHARED or (sampling == MARKOV and part == 1):
            s0, s1, s2, s3 = restart_or_follow(pa, act_chain if part == 1 else crit_chain, worker, buf,
                                               s0, s1, s2, s3)
    # the last sample drawn is the actor's: x̂ = buf[0:n], û = buf[n:n+m], δ̂ = delta
    inv_var = 1.0 / (pa.sigma * pa.sigma)
    for i in range(m):
        acc = buf[U + i]
        for j in range(n):
            acc += theta[i * n + j] * buf[j]
        pend_f[slot, 1 + n + i] = -delta * acc * inv_var
    for j in range(n):
        pend_f[slot, 1 + n + m + j] = buf[j]
    if with_prior:  # ∇R(K) = −(K − K_p)Σ_0/σ²
        base = 1 + 2 * n + m
        for i in range(m):
            for j in range(n):
                acc = 0.0
                for q in range(n):
                    acc += (theta[i * n + q] - pa.K_prior[i * n + q]) * pa.Sigma0[q, j]
                pend_f[slot, base + i * n + j] = -acc * inv_var
    return s0, s1, s2, s3


@njit(inline="always")
def add_critic(pa, pend_f, slot, coef, w):
    """``ω += coef · φ(x)`` with ``x = pend_f[slot, 1:1+n]``."""
    n = pa.n
    q = 0
    for i in range(n):
        xi = pend_f[slot, 1 + i]
        w[q] += coef * xi * xi
        q += 1
        for j in range(i + 1, n):
            w[q] += coef * math.sqrt(2.0) * xi * pend_f[slot, 1 + j]
            q += 1
    w[q] += coef


@njit(inline="always")
def add_actor(pa, pend_f, slot, scale, prior_scale, with_prior, theta):
    """``K += scale · c x̂ᵀ + prior_scale · ∇R`` from ``pend_f[slot]`` (the prior part only ``with_prior``)."""
    n = pa.n
    m = pa.m
    base = 1 + 2 * n + m
    for i in range(m):
        ci = scale * pend_f[slot, 1 + n + i]
        for j in range(n):
            theta[i * n + j] += ci * pend_f[slot, 1 + n + m + j]
    if with_prior:
        for q in range(m * n):
            theta[q] += prior_scale * pend_f[slot, base + q]


@njit(inline="always")
def add_update(pa, hp, theta, w, pend_f, slot, alpha, beta):
    """Add the pending update in ``slot`` with ``(α, β)``, without projecting: ``ω += β δ φ(x)``,
    ``K += α c x̂ᵀ + α λ ∇R``."""
    add_critic(pa, pend_f, slot, beta * pend_f[slot, 0], w)
    add_actor(pa, pend_f, slot, alpha, alpha * hp.lam, hp.with_prior, theta)


def update_means(pa, theta, w, sampling, rng_states, n_batches, batch_size, burn_in):
    """Batch means of ``n_batches × batch_size`` consecutive draws of :func:`draw_update` from stream 0 of
    ``rng_states`` (advanced in place), after ``burn_in`` discarded draws; chains start at η and the prior part
    is always computed. Returns ``(G, V, Psi)``, shapes (n_batches, d), (n_batches, mn), (n_batches, mn): batch
    means of ``g = δφ(x)``, ``v = δ̂ ψ_K(x̂, û)`` and ``∇R(K)``, expanded by the helpers the kernels apply with."""
    n, m = int(pa.n), int(pa.m)
    G = np.zeros((n_batches, n * (n + 1) // 2 + 1))
    V = np.zeros((n_batches, m * n))
    Psi = np.zeros((n_batches, m * n))
    _update_means(pa, np.ascontiguousarray(theta, np.float64).ravel(), np.ascontiguousarray(w, np.float64),
                  np.int64(sampling), rng_states, np.int64(batch_size), np.int64(burn_in), G, V, Psi,
                  np.zeros((1, pending_width(n, m))), np.zeros(scratch_size(n, m)), np.zeros((1, n)),
                  np.zeros((1, n)))
    return G, V, Psi


@njit(cache=True, _nrt=False)
def _update_means(pa, theta, w, sampling, rng_states, batch_size, burn_in, G, V, Psi, pend_f, buf, crit_chain,
                  act_chain):
    """Compiled body of :func:`update_means` (accumulates into the zeroed ``G``, ``V``, ``Psi``)."""
    init_chains(pa, rng_states, crit_chain, act_chain, buf)
    s0, s1, s2, s3 = load_state(rng_states, 0)
    for _ in range(burn_in):
        s0, s1, s2, s3 = draw_update(pa, theta, w, sampling, True, crit_chain, act_chain, 0, pend_f, 0, buf,
                                     s0, s1, s2, s3)
    scale = 1.0 / batch_size
    for bi in range(G.shape[0]):
        for _ in range(batch_size):
            s0, s1, s2, s3 = draw_update(pa, theta, w, sampling, True, crit_chain, act_chain, 0, pend_f, 0, buf,
                                         s0, s1, s2, s3)
            add_critic(pa, pend_f, 0, scale * pend_f[0, 0], G[bi])
            add_actor(pa, pend_f, 0, scale, 0.0, False, V[bi])
            add_actor(pa, pend_f, 0, 0.0, scale, True, Psi[bi])
    store_state(rng_states, 0, s0, s1, s2, s3)
