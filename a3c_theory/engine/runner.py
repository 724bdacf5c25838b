"""Python driver of the compiled engine: ``run(cfg) -> Trace`` for the simulated and sync modes.

A run (Algorithm 1 of the paper):

1. builds the problem, packs it for compiled code, sets ``θ_0 = 0`` (uniform policy), ``ω_0 = 0`` and the
   radius (``algorithm.radius``, or ``exact.theory_radius`` at ``θ_0`` when it is 0) (:mod:`.run_setup`);
2. seeds the streams (:mod:`.run_setup`): ``SeedSequence(run.seed).spawn(3)`` = (sampling, compute times, delays); the sampling
   stream is spawned once more into one xoshiro stream per worker (``rng.seed_states``), as is the
   compute-time stream; every worker starts its chains at ``s_0, ŝ_0 ~ η``;
3. runs the kernels in chunks of at most :data:`CHUNK` updates whose ends include every snapshot count and,
   with i.i.d. sampling, every multiple of ``algorithm.refresh`` (M), where ``μ_θ`` and ``d_θ`` of the
   current ``θ`` are recomputed by ``exact.py``. A worker that reads at step ``k`` thus samples from the laws
   of ``θ_{M⌊k/M⌋}``; M = 1 is exact. The bias is measured at every refresh as the total-variation distance
   ``½‖p_used − p_exact‖₁`` between the laws used over the last M updates and the exact ones now, and
   reported in ``trace.meta["sampling_law_bias"]`` (mean and max over refreshes, for μ and d);
4. records snapshots at :func:`snapshot_counts` (log-spaced, with 0 and K);
5. checks after every chunk that ``θ`` and ``ω`` are finite, and on a linear-quadratic problem that the gain
   stabilises, ``ρ(A − BK) < 1`` (``setup.kernels.diverged``, :mod:`a3c_theory.divergence`); a run that
   left the floats stops there: its trace keeps the snapshots taken so far and ``meta`` records
   ``outcome = "diverged"``, ``diverged_at`` (the chunk's end count) and ``diverged_quantity``.

Simulated mode: the schedules of :mod:`.delays` drive ``kernels.simulated_chunk``; the run is bit-for-bit
reproducible from ``run.seed`` for any N. Sync mode (A2C): ``kernels.sync_chunk`` rounds of N samples, the
counter advancing by N per round, step sizes by ``algorithm.a2c_step_sizes`` (the averaged update at the
round's first count, or per-sample-equivalent); snapshots at multiples of N.
Threads mode is delegated to ``a3c_theory.engine.threads.run_threads(cfg, problem, progress)``.

``trace.meta`` (built by ``run_setup.run_meta``, as in threads mode) also records ``kernel_seconds`` (real
time inside the compiled kernels, including the compilation or cache load of the first call in a process),
``wall_seconds`` and ``kernel_ns_per_sample``.
"""

import time

import numpy as np

from .. import divergence
from ..exact import single_thread_blas
from ..trace import Trace
from . import delays as delay_models
from .run_setup import CHUNK, RunSetup, prepare_run, progress_bar, run_meta, snapshot_counts
from .threads import run_threads

TIME_UNIT = "compute time of one update (mean, for random compute times)"


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
        self.divergence = None

    def diverged(self, setup: RunSetup, k: int) -> bool:
        """Whether ``θ`` or ``ω`` is no longer finite (lqr: or the gain is no longer stabilising) after ``k``
        updates (kept in :attr:`divergence`)."""
        self.divergence = setup.kernels.diverged(k, setup.theta, setup.w)
        return self.divergence is not None

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


def _next_stop(k: int, stops: list[int], limit: int) -> int:
    """Smallest value in ``stops`` above ``k``, capped at ``limit``."""
    return min([s for s in stops if s > k] + [limit])


def run(cfg, progress=None, problem=None) -> Trace:
    """Run A3C-TD(0) as configured and return its :class:`Trace`. ``progress``: None shows a tqdm bar when
    stderr is a terminal, False never. ``problem`` may be passed to skip rebuilding it from ``cfg``.
    BLAS is pinned to one thread for the exact refreshes (one BLAS thread per process)."""
    with single_thread_blas():
        if cfg.run.mode == "threads":
            return run_threads(cfg, problem, progress=progress)
        setup = prepare_run(cfg, problem)
        if cfg.run.mode == "sync":
            return _run_sync(cfg, setup, progress)
        return _run_simulated(cfg, setup, progress)


def _run_simulated(cfg, setup: RunSetup, progress) -> Trace:
    alg, rcfg = cfg.algorithm, cfg.run
    K = rcfg.samples
    schedule = delay_models.make_schedule(rcfg, setup.delay_seed, setup.timing_seed, min(CHUNK, K))
    simulated_chunk = setup.kernels.simulated_chunk
    pend_i, pend_f = setup.kernels.pending(setup.arrays, schedule.n_slots)
    buf = setup.kernels.scratch(setup.arrays)
    stats = np.zeros(2)
    laws = setup.kernels.laws(setup) if alg.sampling == "iid" else None
    recorder = _Recorder(snapshot_counts(K, rcfg.snapshots), setup, rcfg.workers)
    stops = list(recorder.counts)
    recorder.record(setup, 0.0, schedule.applied)
    started = time.perf_counter()
    kernel_seconds = 0.0
    k = 0
    with progress_bar(K, progress) as bar:
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
            if recorder.diverged(setup, k):
                break
            if recorder.due(k):
                recorder.record(setup, schedule.clock(k), schedule.applied)
    meta = _meta(cfg, setup, stats, recorder, laws, kernel_seconds, time.perf_counter() - started,
                 delay_model=rcfg.delay)
    return _trace(cfg, recorder, meta)


def _run_sync(cfg, setup: RunSetup, progress) -> Trace:
    alg, rcfg = cfg.algorithm, cfg.run
    N = rcfg.workers
    rounds = rcfg.samples // N
    clock = delay_models.SyncClock(rcfg.delay, N, rcfg.lognormal_sigma, rcfg.straggler_prob,
                                   rcfg.straggler_slowdown, setup.timing_seed)
    sync_chunk = setup.kernels.sync_chunk
    pend_i, pend_f = setup.kernels.pending(setup.arrays, N)
    buf = setup.kernels.scratch(setup.arrays)
    stats = np.zeros(2)
    laws = setup.kernels.laws(setup) if alg.sampling == "iid" else None
    recorder = _Recorder(snapshot_counts(rcfg.samples, rcfg.snapshots, step=N), setup, N)
    stops = [int(c) // N for c in recorder.counts]
    applied = np.zeros(N, np.int64)
    recorder.record(setup, 0.0, applied)
    chunk_rounds = max(1, CHUNK // N)
    per_sample = alg.a2c_step_sizes == "per_sample"
    started = time.perf_counter()
    kernel_seconds = 0.0
    r = 0
    with progress_bar(rcfg.samples, progress) as bar:
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
            if recorder.diverged(setup, r * N):
                break
            if recorder.due(r * N):
                recorder.record(setup, clock.time, applied)
    recorder.delay_counts = np.array([int(applied.sum())], np.int64)
    meta = _meta(cfg, setup, stats, recorder, laws, kernel_seconds, time.perf_counter() - started,
                 delay_model=f"synchronous rounds, compute times {rcfg.delay!r}",
                 sync_step_sizes=(("round r applies the sum of its N updates, update i with alpha_k, beta_k at "
                                   "k = rN + i (per-sample-equivalent)") if per_sample else
                                  "round r applies the average of its N updates with alpha_k, beta_k at k = rN"
                                  ) + "; the counter advances by N per round")
    return _trace(cfg, recorder, meta)


def _meta(cfg, setup: RunSetup, stats: np.ndarray, recorder: _Recorder, laws, kernel_seconds: float,
          wall_seconds: float, **extra) -> dict:
    return run_meta(cfg, setup, "simulated", stats, recorder.delay_counts, [laws] if laws else [], wall_seconds,
                    time_unit=TIME_UNIT, kernel_seconds=kernel_seconds,
                    kernel_ns_per_sample=kernel_seconds / cfg.run.samples * 1e9, **extra,
                    **divergence.meta_fields(recorder.divergence))


def _trace(cfg, recorder: _Recorder, meta: dict) -> Trace:
    """The recorded snapshots (all of them, or those before a divergence)."""
    n = recorder.next
    return Trace(config=cfg.to_dict(), k=recorder.counts[:n], theta=recorder.theta[:n], w=recorder.w[:n],
                 time_s=recorder.time_s[:n], samples_per_worker=recorder.samples_per_worker[:n],
                 delay_counts=recorder.delay_counts, meta=meta)
