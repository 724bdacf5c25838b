"""The compiled loops of the engine on the environments beyond finite MDPs (linear-quadratic problems,
CartPole): the simulated-delay, synchronous (A2C) and Hogwild loops of :mod:`.kernels` and :mod:`.threads`,
with the same signatures, schedules, step sizes (``kernels.step_sizes``), projection (``kernels.project``),
statistics and stream use, written once and built per environment by :func:`loops` from its sampler module
(:mod:`.lqr_samplers`, :mod:`.cartpole_samplers`), whose ``draw_update``, ``add_update`` and ``init_chains``
they call.

Why a factory: the loops are separate functions, not the finite kernels made generic, so that the finite
kernels keep their compiled code (and speed) unchanged; and numba resolves a called function when it compiles
the caller, so one loop source serves several environments only as closures over the environment's functions.
Those are free variables that numba inlines exactly as it inlines globals (they are ``inline="always"``), so
each environment's loops compile to what a module of their own would (the same bits, the same speed).
numba's own cache would key a closure on its pickled cells, which carry a per-process id, and never hit;
:func:`.cache.cached_closure` keys them on the names of the functions they close over, under the package-wide
source stamp of :mod:`.cache` (an edit to any engine or environment file recompiles them).

``pend_i`` is accepted and unused; the chain arrays are float64 (N, ·) rows of the environment's state. The
runner picks the loops through ``run_setup.EnvKernels`` (:mod:`.continuous_setup`).
"""

import functools
from typing import Callable, NamedTuple


from .cache import cached_closure
from .cpu_atomics import atomic_fetch_add, atomic_load
from .kernels import first_record, project, record_points, step_sizes
from .rng import load_state, store_state
from .snapshot_claims import claim_snapshots


class Loops(NamedTuple):
    """One environment's compiled loops (signatures of ``kernels`` and ``threads``; ``initialise_chains(pa,
    rng_states, crit_chain, act_chain, buf)`` starts every worker's chains)."""

    simulated_chunk: Callable
    sync_chunk: Callable
    hogwild_chunk: Callable
    initialise_chains: Callable


@functools.cache
def loops(samplers) -> Loops:
    """The loops of the module docstring on the environment whose sampler module is ``samplers`` (built and
    compiled, or loaded from the cache, once per process and environment)."""
    draw_update, add_update, init_chains = samplers.draw_update, samplers.add_update, samplers.init_chains
    env = samplers.__name__.rsplit(".", 1)[-1]

    def simulated_chunk(pa, hp, theta, w, rng_states, crit_chain, act_chain, pend_i, pend_f, buf,
                        comp_ptr, comp_slot, comp_worker, apply_slot, k0, k1, stats, rec_k, rec_theta, rec_w):
        """Global steps ``k0 ≤ k < k1`` of simulated-delay A3C (``kernels.simulated_chunk``)."""
        max_norm_sq = stats[0]
        n_projected = stats[1]
        sampling = hp.sampling
        with_prior = hp.with_prior
        radius = hp.radius
        rec = first_record(rec_k, k0)
        for k in range(k0, k1):
            j = k - k0
            rec = record_points(rec_k, rec_theta, rec_w, rec, k, theta, w)
            for c in range(comp_ptr[j], comp_ptr[j + 1]):
                i = comp_worker[c]
                s0, s1, s2, s3 = load_state(rng_states, i)
                s0, s1, s2, s3 = draw_update(pa, theta, w, sampling, with_prior, crit_chain, act_chain, i,
                                             pend_f, comp_slot[c], buf, s0, s1, s2, s3)
                store_state(rng_states, i, s0, s1, s2, s3)
            alpha, beta = step_sizes(hp, k)
            add_update(pa, hp, theta, w, pend_f, apply_slot[j], alpha, beta)
            norm_sq, active = project(w, radius)
            max_norm_sq = max(max_norm_sq, norm_sq)
            n_projected += active
        stats[0] = max_norm_sq
        stats[1] = n_projected

    def sync_chunk(pa, hp, theta, w, rng_states, crit_chain, act_chain, pend_i, pend_f, buf, r0, r1, per_sample,
                   stats, rec_k, rec_theta, rec_w):
        """Rounds ``r0 ≤ r < r1`` of synchronous A2C (``kernels.sync_chunk``)."""
        n_workers = rng_states.shape[0]
        inv = 1.0 / n_workers
        max_norm_sq = stats[0]
        n_projected = stats[1]
        sampling = hp.sampling
        with_prior = hp.with_prior
        rec = first_record(rec_k, r0 * n_workers)
        for r in range(r0, r1):
            rec = record_points(rec_k, rec_theta, rec_w, rec, r * n_workers, theta, w)
            for i in range(n_workers):
                s0, s1, s2, s3 = load_state(rng_states, i)
                s0, s1, s2, s3 = draw_update(pa, theta, w, sampling, with_prior, crit_chain, act_chain, i,
                                             pend_f, i, buf, s0, s1, s2, s3)
                store_state(rng_states, i, s0, s1, s2, s3)
            if per_sample:
                for i in range(n_workers):
                    alpha, beta = step_sizes(hp, r * n_workers + i)
                    add_update(pa, hp, theta, w, pend_f, i, alpha, beta)
            else:
                alpha, beta = step_sizes(hp, r * n_workers)
                alpha *= inv
                beta *= inv
                for i in range(n_workers):
                    add_update(pa, hp, theta, w, pend_f, i, alpha, beta)
            norm_sq, active = project(w, hp.radius)
            max_norm_sq = max(max_norm_sq, norm_sq)
            n_projected += active
        stats[0] = max_norm_sq
        stats[1] = n_projected

    def hogwild_chunk(pa, hp, theta, w, counter, n_updates, batch, worker, reads, rng_state, crit_chain, act_chain,
                      pend_i, pend_f, buf, w_step, local, stats, delay_hist, snap_k, snap_theta, snap_w, snap_time_ns,
                      snap_samples, clock_id):
        """``n_updates`` Hogwild updates of one worker in batches of ``batch`` (``threads.hogwild_chunk``)."""
        done = local[0]
        nxt = local[1]
        overflow = local[2]
        max_delay = local[3]
        negative = local[4]
        max_norm_sq = stats[0]
        n_projected = stats[1]
        s0 = rng_state[0, 0]
        s1 = rng_state[0, 1]
        s2 = rng_state[0, 2]
        s3 = rng_state[0, 3]
        sampling = hp.sampling
        with_prior = hp.with_prior
        radius = hp.radius
        n_bins = delay_hist.shape[0]
        end = done + n_updates
        while done < end:
            m = min(batch, end - done)
            for j in range(m):
                reads[j] = atomic_load(counter, 0)
                s0, s1, s2, s3 = draw_update(pa, theta, w, sampling, with_prior, crit_chain, act_chain, 0,
                                             pend_f, j, buf, s0, s1, s2, s3)
            k = atomic_fetch_add(counter, 0, m)
            nxt = claim_snapshots(snap_k, nxt, k, m, done, worker, theta, w, snap_theta, snap_w, snap_time_ns,
                                  snap_samples, clock_id)
            for q in range(w_step.shape[0]):
                w_step[q] = 0.0
            for j in range(m):
                alpha, beta = step_sizes(hp, k + j)
                add_update(pa, hp, theta, w_step, pend_f, j, alpha, beta)
                delay = k + j - reads[j]
                if delay < 0:
                    negative += 1
                elif delay < n_bins:
                    delay_hist[delay] += 1
                else:
                    overflow += 1
                max_delay = max(max_delay, delay)
            for q in range(w.shape[0]):
                w[q] += w_step[q]
            norm_sq, active = project(w, radius)
            max_norm_sq = max(max_norm_sq, norm_sq)
            n_projected += active
            done += m
        rng_state[0, 0] = s0
        rng_state[0, 1] = s1
        rng_state[0, 2] = s2
        rng_state[0, 3] = s3
        local[0] = done
        local[1] = nxt
        local[2] = overflow
        local[3] = max_delay
        local[4] = negative
        stats[0] = max_norm_sq
        stats[1] = n_projected

    def initialise_chains(pa, rng_states, crit_chain, act_chain, buf):
        """Compiled entry point for the sampler module's ``init_chains`` (both chains from η, per worker)."""
        init_chains(pa, rng_states, crit_chain, act_chain, buf)

    kernels = [simulated_chunk, sync_chunk, hogwild_chunk]
    return Loops(*(cached_closure(f, env, nogil=True, _nrt=False) for f in kernels),
                 cached_closure(initialise_chains, env, _nrt=False))
