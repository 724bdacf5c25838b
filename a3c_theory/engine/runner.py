"""Python driver of the compiled engine: ``run(cfg) -> Trace`` for the simulated and sync modes.

A run (DESIGN.md §1):

1. builds the problem, packs it for compiled code, sets ``θ_0 = 0`` (uniform policy), ``ω_0 = 0`` and the
   radius (``algorithm.radius``, or ``exact.theory_radius`` at ``θ_0`` when it is 0);
2. seeds the streams: ``SeedSequence(run.seed).spawn(3)`` = (sampling, compute times, delays); the sampling
   stream is spawned once more into one xoshiro stream per worker (``rng.seed_states``), as is the
   compute-time stream; every worker starts its chains at ``s_0, ŝ_0 ~ η``;
3. runs the kernels in chunks of at most :data:`CHUNK` updates whose ends include every snapshot count and,
   with i.i.d. sampling, every multiple of ``algorithm.refresh`` (M), where ``μ_θ`` and ``d_θ`` of the
   current ``θ`` are recomputed by ``exact.py``. A worker that reads at step ``k`` thus samples from the laws
   of ``θ_{M⌊k/M⌋}``; M = 1 is exact. The bias is measured at every refresh as the total-variation distance
   ``½‖p_used − p_exact‖₁`` between the laws used over the last M updates and the exact ones now, and
   reported in ``trace.meta["sampling_law_bias"]`` (mean and max over refreshes, for μ and d);
4. records snapshots at :func:`snapshot_counts` (log-spaced, with 0 and K).

Simulated mode: the schedules of :mod:`.delays` drive ``kernels.simulated_chunk``; the run is bit-for-bit
reproducible from ``run.seed`` for any N. Sync mode (A2C): ``kernels.sync_chunk`` rounds of N samples, the
counter advancing by N per round, step sizes by ``algorithm.a2c_step_sizes`` (the averaged update at the
round's first count, or per-sample-equivalent); snapshots at multiples of N.
Threads mode is delegated to ``a3c_theory.engine.threads.run_threads(cfg, problem, progress)``.

``trace.meta`` also records ``kernel_seconds`` (real time inside the compiled kernels, including the
compilation or cache load of the first call in a process), ``wall_seconds`` and ``kernel_ns_per_sample``.
"""

import sys
import time
from dataclasses import dataclass

import numpy as np

from .. import __version__
from ..exact import single_thread_blas
from ..trace import Trace, machine_description
from . import delays as delay_models
from .kernels import initialise_chains, make_hyper, simulated_chunk, sync_chunk
from .rng import seed_states
from .samplers import SAMPLING_CODES, distribution_cdf, pending_arrays, problem_arrays, scratch_buffer

CHUNK = 1 << 16
"""Most updates per compiled call (bounds schedule buffers; lets the progress bar move)."""

TIME_UNIT = "compute time of one update (mean, for random compute times)"


def snapshot_counts(total: int, count: int, step: int = 1) -> np.ndarray:
    """Up to ``count`` distinct global counts from 0 to ``total``, log-spaced (rounded), multiples of
    ``step``, always including 0 and ``total`` (which must be a multiple of ``step``)."""
    units = total // step
    if count >= units + 1:
        grid = np.arange(units + 1, dtype=np.int64)
    else:
        inner = np.rint(np.geomspace(1, units, count - 1)).astype(np.int64)
        grid = np.unique(np.concatenate([[0], inner, [units]]))
    return grid * step


@dataclass
class RunSetup:
    """Everything a mode needs before its first update (reused by the threads runner)."""

    problem: object
    arrays: object          # samplers.ProblemArrays
    hyper: object           # kernels.Hyper
    theta: np.ndarray       # θ, updated in place
    w: np.ndarray           # ω, updated in place
    radius: float
    radius_source: str      # "config" or "theory"
    seed: np.random.SeedSequence
    sampling_seed: np.random.SeedSequence
    timing_seed: np.random.SeedSequence
    delay_seed: np.random.SeedSequence
    rng_states: np.ndarray  # uint64[N, 4], one sampling stream per worker
    crit_chain: np.ndarray  # int64[N]
    act_chain: np.ndarray   # int64[N]


def prepare_run(cfg, problem=None) -> RunSetup:
    """Steps 1–2 of the module docstring."""
    from .. import exact
    from ..config import build_problem

    problem = build_problem(cfg) if problem is None else problem
    alg = cfg.algorithm
    arrays = problem_arrays(problem)
    theta = np.zeros(problem.policy.dim)
    w = np.zeros(problem.critic_dim)
    if alg.radius > 0:
        radius, source = alg.radius, "config"
    else:
        radius, source = exact.theory_radius(problem, theta), "theory"
    hyper = make_hyper(SAMPLING_CODES[alg.sampling], alg.n_step, alg.lam, radius, alg.c_alpha, alg.sigma_alpha,
                       alg.c_beta, alg.sigma_beta)
    seed = np.random.SeedSequence(cfg.run.seed)
    sampling_seed, timing_seed, delay_seed = seed.spawn(3)
    n_workers = cfg.run.workers
    rng_states = seed_states(sampling_seed, n_workers)
    crit_chain = np.zeros(n_workers, np.int64)
    act_chain = np.zeros(n_workers, np.int64)
    initialise_chains(arrays, rng_states, crit_chain, act_chain)
    return RunSetup(problem, arrays, hyper, theta, w, float(radius), source, seed, sampling_seed, timing_seed,
                    delay_seed, rng_states, crit_chain, act_chain)


class SamplingLaws:
    """Option-1 sampling laws ``μ_θ``, ``d_θ`` written into the kernels' CDF arrays, with the
    total-variation bias of reusing them for ``refresh`` updates (module docstring, step 3)."""

    def __init__(self, setup: RunSetup):
        self.setup = setup
        self.mu = None
        self.d = None
        self.tv_mu: list[float] = []
        self.tv_d: list[float] = []

    def refresh(self) -> None:
        from .. import exact

        problem = self.setup.problem
        pi = problem.policy.probabilities(self.setup.theta)
        mu = exact.stationary_distribution(problem.mdp, pi, x0=self.mu)
        d = exact.discounted_visitation(problem.mdp, pi, x0=self.d)
        if self.mu is not None:
            self.tv_mu.append(0.5 * float(np.abs(mu - self.mu).sum()))
            self.tv_d.append(0.5 * float(np.abs(d - self.d).sum()))
        self.mu, self.d = mu, d
        self.setup.arrays.mu_cdf[:] = distribution_cdf(mu)
        self.setup.arrays.d_cdf[:] = distribution_cdf(d)

    def bias(self, refresh: int) -> dict:
        def stats(values):
            return (float(np.mean(values)), float(np.max(values))) if values else (0.0, 0.0)

        mu_mean, mu_max = stats(self.tv_mu)
        d_mean, d_max = stats(self.tv_d)
        return {"refresh": refresh, "refreshes": len(self.tv_mu) + 1, "tv_mu_mean": mu_mean, "tv_mu_max": mu_max,
                "tv_d_mean": d_mean, "tv_d_max": d_max}


class _Recorder:
    """Snapshot storage and the delay histogram."""

    def __init__(self, counts: np.ndarray, setup: RunSetup, n_workers: int):
        n = len(counts)
        self.counts = counts
        self.theta = np.zeros((n, setup.theta.size))
        self.w = np.zeros((n, setup.w.size))
        self.time_s = np.zeros(n)
        self.samples_per_worker = np.zeros((n, n_workers), np.int64)
        self.delay_counts = np.zeros(1, np.int64)
        self.next = 0

    def due(self, k: int) -> bool:
        return self.next < len(self.counts) and self.counts[self.next] == k

    def record(self, setup: RunSetup, clock: float, applied: np.ndarray) -> None:
        i = self.next
        self.theta[i] = setup.theta
        self.w[i] = setup.w
        self.time_s[i] = clock
        self.samples_per_worker[i] = applied
        self.next += 1

    def add_delays(self, delays: np.ndarray) -> None:
        hist = np.bincount(delays)
        if hist.size > self.delay_counts.size:
            hist[: self.delay_counts.size] += self.delay_counts
            self.delay_counts = hist
        else:
            self.delay_counts[: hist.size] += hist


def _progress_bar(total: int, progress):
    from tqdm import tqdm

    show = (progress is None or progress) and sys.stderr.isatty()
    return tqdm(total=total, disable=not show, unit="sample", unit_scale=True, leave=False, file=sys.stderr)


def _next_stop(k: int, stops: list[int], limit: int) -> int:
    """Smallest value in ``stops`` above ``k``, capped at ``limit``."""
    return min([s for s in stops if s > k] + [limit])


def run(cfg, progress=None, problem=None) -> Trace:
    """Run A3C-TD(0) as configured and return its :class:`Trace`. ``progress``: None shows a tqdm bar when
    stderr is a terminal, False never. ``problem`` may be passed to skip rebuilding it from ``cfg``.
    BLAS is pinned to one thread for the exact refreshes (DESIGN.md §3)."""
    with single_thread_blas():
        if cfg.run.mode == "threads":
            from ..config import build_problem
            from .threads import run_threads

            return run_threads(cfg, build_problem(cfg) if problem is None else problem, progress=progress)
        setup = prepare_run(cfg, problem)
        if cfg.run.mode == "sync":
            return _run_sync(cfg, setup, progress)
        return _run_simulated(cfg, setup, progress)


def _run_simulated(cfg, setup: RunSetup, progress) -> Trace:
    alg, rcfg = cfg.algorithm, cfg.run
    K = rcfg.samples
    schedule = delay_models.make_schedule(rcfg, setup.delay_seed, setup.timing_seed, min(CHUNK, K))
    pend_i, pend_f = pending_arrays(schedule.n_slots, int(setup.arrays.n_actions))
    buf = scratch_buffer(int(setup.arrays.n_actions))
    stats = np.zeros(2)
    laws = SamplingLaws(setup) if alg.sampling == "iid" else None
    recorder = _Recorder(snapshot_counts(K, rcfg.snapshots), setup, rcfg.workers)
    stops = list(recorder.counts)
    recorder.record(setup, 0.0, schedule.applied)
    started = time.perf_counter()
    kernel_seconds = 0.0
    k = 0
    with _progress_bar(K, progress) as bar:
        while k < K:
            if laws is not None and k % alg.refresh == 0:
                laws.refresh()
            k1 = _next_stop(k, stops, min(K, k + CHUNK))
            if laws is not None:
                k1 = min(k1, (k // alg.refresh + 1) * alg.refresh)
            sched = schedule.next_chunk(k, k1)
            tick = time.perf_counter()
            simulated_chunk(setup.arrays, setup.hyper, setup.theta, setup.w, setup.rng_states, setup.crit_chain,
                            setup.act_chain, pend_i, pend_f, buf, sched.comp_ptr, sched.comp_slot,
                            sched.comp_worker, sched.apply_slot, np.int64(k), np.int64(k1), stats)
            kernel_seconds += time.perf_counter() - tick
            recorder.add_delays(sched.delays[: k1 - k])
            bar.update(k1 - k)
            k = k1
            if recorder.due(k):
                recorder.record(setup, schedule.clock(k), schedule.applied)
    meta = _meta(cfg, setup, stats, laws, kernel_seconds, time.perf_counter() - started)
    meta["delay_model"] = rcfg.delay
    return _trace(cfg, recorder, meta)


def _run_sync(cfg, setup: RunSetup, progress) -> Trace:
    alg, rcfg = cfg.algorithm, cfg.run
    N = rcfg.workers
    rounds = rcfg.samples // N
    clock = delay_models.SyncClock(rcfg.delay, N, rcfg.lognormal_sigma, rcfg.straggler_prob,
                                   rcfg.straggler_slowdown, setup.timing_seed)
    pend_i, pend_f = pending_arrays(N, int(setup.arrays.n_actions))
    buf = scratch_buffer(int(setup.arrays.n_actions))
    stats = np.zeros(2)
    laws = SamplingLaws(setup) if alg.sampling == "iid" else None
    recorder = _Recorder(snapshot_counts(rcfg.samples, rcfg.snapshots, step=N), setup, N)
    stops = [int(c) // N for c in recorder.counts]
    applied = np.zeros(N, np.int64)
    recorder.record(setup, 0.0, applied)
    chunk_rounds = max(1, CHUNK // N)
    per_sample = alg.a2c_step_sizes == "per_sample"
    started = time.perf_counter()
    kernel_seconds = 0.0
    r = 0
    with _progress_bar(rcfg.samples, progress) as bar:
        while r < rounds:
            k = r * N
            if laws is not None and (r == 0 or k // alg.refresh > (k - N) // alg.refresh):
                laws.refresh()
            r1 = _next_stop(r, stops, min(rounds, r + chunk_rounds))
            if laws is not None:
                next_multiple = (k // alg.refresh + 1) * alg.refresh
                r1 = min(r1, -(-next_multiple // N))
            tick = time.perf_counter()
            sync_chunk(setup.arrays, setup.hyper, setup.theta, setup.w, setup.rng_states, setup.crit_chain,
                       setup.act_chain, pend_i, pend_f, buf, np.int64(r), np.int64(r1), per_sample, stats)
            kernel_seconds += time.perf_counter() - tick
            clock.advance(r1 - r)
            applied += r1 - r
            bar.update((r1 - r) * N)
            r = r1
            if recorder.due(r * N):
                recorder.record(setup, clock.time, applied)
    recorder.delay_counts = np.array([rcfg.samples], np.int64)
    meta = _meta(cfg, setup, stats, laws, kernel_seconds, time.perf_counter() - started)
    meta["delay_model"] = f"synchronous rounds, compute times {rcfg.delay!r}"
    meta["sync_step_sizes"] = (("round r applies the sum of its N updates, update i with alpha_k, beta_k at "
                                "k = rN + i (per-sample-equivalent)") if per_sample else
                               "round r applies the average of its N updates with alpha_k, beta_k at k = rN"
                               ) + "; the counter advances by N per round"
    return _trace(cfg, recorder, meta)


def _meta(cfg, setup: RunSetup, stats: np.ndarray, laws, kernel_seconds: float, wall_seconds: float) -> dict:
    alg = cfg.algorithm
    meta = {
        "package_version": __version__,
        "seed": cfg.run.seed,
        "seed_entropy": str(setup.seed.entropy),
        "machine": machine_description(),
        "clock": "simulated",
        "time_unit": TIME_UNIT,
        "radius": setup.radius,
        "radius_source": setup.radius_source,
        "max_critic_norm": float(np.sqrt(stats[0])),
        "projections": int(stats[1]),
        "transitions_per_update": 1 if alg.sampling == "shared" else 2 * alg.n_step,
        "kernel_seconds": kernel_seconds,
        "wall_seconds": wall_seconds,
        "kernel_ns_per_sample": kernel_seconds / cfg.run.samples * 1e9,
    }
    if laws is not None:
        meta["sampling_law_bias"] = laws.bias(alg.refresh)
    return meta


def _trace(cfg, recorder: _Recorder, meta: dict) -> Trace:
    meta["max_delay"] = int(recorder.delay_counts.size - 1)
    return Trace(config=cfg.to_dict(), k=recorder.counts, theta=recorder.theta, w=recorder.w,
                 time_s=recorder.time_s, samples_per_worker=recorder.samples_per_worker,
                 delay_counts=recorder.delay_counts, meta=meta)
