"""Python driver of the compiled engine: ``run(cfg) -> Trace`` for the simulated and sync modes.

A run (Algorithm 1 of the paper):

1. builds the problem, packs it for compiled code, sets ``θ_0 = 0`` (uniform policy), ``ω_0 = 0`` and the
   radius (``algorithm.radius``, or ``exact.theory_radius`` at ``θ_0`` when it is 0) (:mod:`.run_setup`);
2. seeds the streams (:mod:`.run_setup`): ``SeedSequence(run.seed).spawn(3)`` = (sampling, compute times, delays); the sampling
   stream is spawned once more into one xoshiro stream per worker (``rng.seed_states``), as is the
   compute-time stream; every worker starts its chains at ``s_0, ŝ_0 ~ η``;
3. runs the kernels in chunks of at most :data:`CHUNK` updates whose ends include every snapshot count; with
   i.i.d. sampling ``μ_θ`` and ``d_θ`` of the current ``θ`` are recomputed at every multiple of
   ``algorithm.refresh`` (M) (``run_setup.SamplingLaws``: on small instances inside the simulated kernel
   call, ``kernels.simulated_refreshing_chunk``, else between chunks that end there). A worker that reads at
   step ``k`` thus samples from the laws of ``θ_{M⌊k/M⌋}``; M = 1 is exact. The bias is measured at every
   refresh as the total-variation distance ``½‖p_used − p_exact‖₁`` between the laws used over the last M updates and the exact ones now, and
   reported in ``trace.meta["sampling_law_bias"]`` (mean and max over refreshes, for μ and d);
4. records snapshots at :func:`snapshot_counts` (log-spaced, with 0 and K);
5. checks after every chunk that ``θ`` and ``ω`` are finite, and on a linear-quadratic problem that the gain
   stabilises, ``ρ(A − BK) < 1`` (``setup.kernels.diverged``, :mod:`a3c_theory.divergence`); a run that
   left the floats stops there: its trace keeps the snapshots taken so far and ``meta`` records
   ``outcome = "diverged"``, ``diverged_at`` (the chunk's end count) and ``diverged_quantity``;
6. with targets (config ``[targets]``), checks them at the points of their check grid and records their
   hitting times online (:mod:`.targets`, on copies of ``θ, ω`` the stepper takes at its fine grid); once
   every target is reached the run stops there (a last snapshot at that count) unless
   ``targets.after_last = "continue"``. ``meta["stop_reason"]`` says why a run ended: ``"all_targets"``,
   ``"horizon"`` or ``"diverged"`` (threads mode: the last two), and ``meta["updates_run"]`` how far it went.

The steppers (:class:`_SimulatedStepper`, :class:`_SyncStepper`) hold a run's state between chunk ends and
advance it to a given count; :func:`_drive` is the one loop over snapshots and checks for both modes.
Where chunks end does not change a run's arithmetic, so a run without targets, or with targets that go on
to the horizon, has the snapshots it had before targets existed, byte for byte.

Simulated mode: the schedules of :mod:`.delays` drive ``kernels.simulated_chunk``; the run is bit-for-bit
reproducible from ``run.seed`` for any N. Sync mode (A2C): ``kernels.sync_chunk`` rounds of N samples, the
counter advancing by N per round, step sizes by ``algorithm.a2c_step_sizes`` (the averaged update at the
round's first count, or per-sample-equivalent); snapshots at multiples of N.
Threads mode is delegated to ``a3c_theory.engine.threads.run_threads(cfg, problem, progress)``.

``trace.meta`` (built by ``run_setup.run_meta``, as in threads mode) also records ``kernel_seconds`` (real
time inside the compiled kernels, including the compilation or cache load of the first call in a process
and the option-1 refreshes made inside them),
``wall_seconds`` and ``kernel_ns_per_sample`` (over the updates run).
"""

import time

import numpy as np

from .. import divergence
from ..exact import single_thread_blas
from ..trace import Trace
from . import delays as delay_models
from .run_setup import CHUNK, RunSetup, Shared, prepare_run, progress_bar, run_meta, snapshot_counts
from .targets import (COPY_END, MAX_FINE, STOP_DIVERGED, STOP_HORIZON, STOP_TARGETS, OnlineTargets,
                      check_copy_memory)
from .threads import run_threads

TIME_UNIT = "compute time of one update (mean, for random compute times)"


class _Recorder:
    """Snapshot storage (the planned ``counts``, plus the count a run stops at) and the delay histogram."""

    def __init__(self, counts: np.ndarray, setup: RunSetup, n_workers: int):
        n = len(counts) + 1
        self.counts = counts
        self.k = np.zeros(n, np.int64)
        self.theta = np.zeros((n, setup.theta.size))
        self.w = np.zeros((n, setup.w.size))
        self.time_s = np.zeros(n)
        self.samples_per_worker = np.zeros((n, n_workers), np.int64)
        self.delay_counts = np.zeros(1, np.int64)
        self.next = 0  # next planned count
        self.n = 0  # rows recorded
        self.divergence = None

    def diverged(self, setup: RunSetup, k: int) -> bool:
        """Whether ``θ`` or ``ω`` is no longer finite after ``k`` updates (kept in :attr:`divergence`)."""
        self.divergence = setup.kernels.diverged(k, setup.theta, setup.w)
        return self.divergence is not None

    def next_count(self, total: int) -> int:
        return int(self.counts[self.next]) if self.next < len(self.counts) else total

    def due(self, k: int) -> bool:
        return self.next < len(self.counts) and self.counts[self.next] == k

    def record(self, stepper) -> None:
        """A snapshot at the stepper's count (a planned one, or the count the run stops at)."""
        if self.n and self.k[self.n - 1] == stepper.k:
            return
        i = self.n
        self.k[i] = stepper.k
        self.theta[i] = stepper.theta
        self.w[i] = stepper.w
        self.time_s[i] = stepper.clock()
        self.samples_per_worker[i] = stepper.applied
        self.n += 1
        if self.due(stepper.k):
            self.next += 1

    def add_delays(self, delays: np.ndarray) -> None:
        hist = np.bincount(delays)
        if hist.size > self.delay_counts.size:
            hist[: self.delay_counts.size] += self.delay_counts
            self.delay_counts = hist
        else:
            self.delay_counts[: hist.size] += hist


class _Stepper:
    """A simulated or sync run between chunk ends: :meth:`advance` runs it to a count, copying ``θ, ω`` and
    the clock at the counts set by :meth:`record_at` on the way (``engine.targets`` evaluates its fine grids
    on those copies)."""

    def __init__(self, cfg, setup: RunSetup, recorder: _Recorder, bar, n_slots: int):
        self.cfg, self.setup, self.recorder, self.bar = cfg, setup, recorder, bar
        self.theta, self.w = setup.theta, setup.w
        self.pend_i, self.pend_f = setup.kernels.pending(setup.arrays, n_slots)
        self.buf = setup.kernels.scratch(setup.arrays)
        self.stats = np.zeros(2)
        self.laws = setup.kernels.laws(setup) if cfg.algorithm.sampling == "iid" else None
        self.k = 0
        self.kernel_seconds = 0.0
        self._rec_theta = np.zeros((0, self.theta.size))
        self._rec_w = np.zeros((0, self.w.size))
        self._rec_clock = np.zeros(0)
        self.record_at(np.array([COPY_END], np.int64))

    def record_at(self, counts: np.ndarray) -> None:
        """Copy ``θ, ω`` and the clock at ``counts`` (ascending, above the current count, ended by
        ``targets.COPY_END``; kept, not copied) as the run passes them; :attr:`recorded` holds the copies."""
        n = len(counts) - 1
        if n > len(self._rec_theta):
            self._rec_theta = np.zeros((n, self.theta.size))
            self._rec_w = np.zeros((n, self.w.size))
            self._rec_clock = np.zeros(n)
        self._rec_k = counts
        self._n_rec = n
        self._next_clock = 0

    @property
    def recorded(self) -> tuple:
        """``(counts, θ rows, ω rows, clocks)`` of the counts set by :meth:`record_at` (valid once passed)."""
        n = self._n_rec
        counts = self._rec_k[:n]
        clocks = self._clock_source.clocks_at(counts, 0, 0.0) if self._clock_source.COUNT_CLOCK else \
            self._rec_clock[:n]
        return counts, self._rec_theta[:n], self._rec_w[:n], clocks

    def _records(self) -> tuple:
        return self._rec_k, self._rec_theta, self._rec_w

    def _clock_records(self, k0: int, k1: int, clock0: float) -> None:
        """Stamp the recorded counts of the chunk ``[k0, k1)``, which started at ``clock0``, with the times of
        the run's clock (a schedule or the sync clock: ``clocks_at``), unless it is a function of the count
        alone (``COUNT_CLOCK``: :attr:`recorded` computes them)."""
        i = self._next_clock
        if i == self._n_rec or self._clock_source.COUNT_CLOCK:
            return
        j = i + int(np.searchsorted(self._rec_k[i:self._n_rec], k1))
        if j > i:
            self._rec_clock[i:j] = self._clock_source.clocks_at(self._rec_k[i:j], k0, clock0)
        self._next_clock = j

    def _after_chunk(self, k0: int, k1: int, tick: float) -> bool:
        """Book-keeping after the chunk ``[k0, k1)``; False if the run diverged in it."""
        self.k = k1
        self.kernel_seconds += time.perf_counter() - tick
        self.bar.update(k1 - k0)
        return not self.recorder.diverged(self.setup, k1)


class _SimulatedStepper(_Stepper):
    """Simulated mode: the schedules of :mod:`.delays` drive ``kernels.simulated_chunk``."""

    def __init__(self, cfg, setup: RunSetup, recorder: _Recorder, bar):
        rcfg, alg = cfg.run, cfg.algorithm
        longest = min(CHUNK, rcfg.samples, alg.refresh if alg.sampling == "iid" else CHUNK)  # (grown if needed)
        self.schedule = self._clock_source = delay_models.make_schedule(rcfg, setup.delay_seed, setup.timing_seed,
                                                                        longest)
        self.applied = self.schedule.applied
        super().__init__(cfg, setup, recorder, bar, self.schedule.n_slots)

    def clock(self) -> float:
        return self.schedule.clock(self.k)

    def advance(self, k_end: int) -> bool:
        """Run to count ``k_end`` in chunks of at most CHUNK; with i.i.d. sampling the laws are refreshed at
        every multiple of M, here when a chunk starts there, else inside the kernel call (compiled laws) or
        at the end of a chunk cut there; False if the run diverged on the way."""
        setup, laws, refresh, schedule = self.setup, self.laws, self.cfg.algorithm.refresh, self.schedule
        inside = laws is not None and laws.compiled
        while self.k < k_end:
            k = self.k
            if laws is not None and k % refresh == 0:
                laws.refresh()
            k1 = min(k_end, k + CHUNK)
            if laws is not None and not inside:
                k1 = min(k1, (k // refresh + 1) * refresh)
            clock0 = schedule.clock(k)
            sched = schedule.next_chunk(k, k1)
            tick = time.perf_counter()
            args = (setup.arrays, setup.hyper, setup.theta, setup.w, setup.rng_states, setup.crit_chain,
                    setup.act_chain, self.pend_i, self.pend_f, self.buf, sched.comp_ptr, sched.comp_slot,
                    sched.comp_worker, sched.apply_slot, np.int64(k), np.int64(k1), self.stats, *self._records())
            if inside:
                laws.reserve((k1 - 1) // refresh - k // refresh)
                k1 = int(setup.kernels.refreshing_chunk(*args, np.int64(refresh), laws.state))
            else:
                setup.kernels.simulated_chunk(*args)
            self.recorder.add_delays(sched.delays[: k1 - k])
            self._clock_records(k, k1, clock0)
            if not self._after_chunk(k, k1, tick):
                return False
        return True


class _SyncStepper(_Stepper):
    """Sync mode (A2C): ``kernels.sync_chunk`` rounds of N samples; counts move by N."""

    def __init__(self, cfg, setup: RunSetup, recorder: _Recorder, bar):
        rcfg = cfg.run
        self.n_workers = rcfg.workers
        self.chunk_rounds = max(1, CHUNK // rcfg.workers)
        self._clock = self._clock_source = delay_models.SyncClock(
            rcfg.delay, rcfg.workers, rcfg.lognormal_sigma, rcfg.straggler_prob, rcfg.straggler_slowdown,
            setup.timing_seed, self.chunk_rounds)
        self.applied = np.zeros(rcfg.workers, np.int64)
        self.per_sample = cfg.algorithm.a2c_step_sizes == "per_sample"
        super().__init__(cfg, setup, recorder, bar, rcfg.workers)

    def clock(self) -> float:
        return self._clock.time

    def advance(self, k_end: int) -> bool:
        """Run to count ``k_end`` (a multiple of N) in chunks of rounds; the laws are refreshed at the first
        round starting at or after each multiple of M (i.i.d.); False if the run diverged on the way."""
        setup, laws, refresh, N = self.setup, self.laws, self.cfg.algorithm.refresh, self.n_workers
        chunk_rounds = self.chunk_rounds
        r, r_end = self.k // N, k_end // N
        while r < r_end:
            k = r * N
            if laws is not None and (r == 0 or k // refresh > (k - N) // refresh):
                laws.refresh()
            r1 = min(r_end, r + chunk_rounds)
            if laws is not None:
                next_multiple = (k // refresh + 1) * refresh
                r1 = min(r1, -(-next_multiple // N))
            clock0 = self._clock.time
            tick = time.perf_counter()
            sync_chunk = setup.kernels.sync_chunk
            sync_chunk(setup.arrays, setup.hyper, setup.theta, setup.w, setup.rng_states, setup.crit_chain,
                       setup.act_chain, self.pend_i, self.pend_f, self.buf, np.int64(r), np.int64(r1),
                       self.per_sample, self.stats, *self._records())
            self._clock.advance(r1 - r)
            self._clock_records(k, r1 * N, clock0)
            self.applied += r1 - r
            if not self._after_chunk(k, r1 * N, tick):
                return False
            r = r1
        return True


def _drive(cfg, stepper: _Stepper, recorder: _Recorder, targets) -> str:
    """Run ``stepper`` to ``run.samples``: a snapshot at each planned count, a check of the targets at each
    point of their check grid while some are pending; returns the stop reason (``engine.targets``)."""
    total = cfg.run.samples
    stop_early = cfg.targets.after_last == "stop"
    recorder.record(stepper)
    if targets is not None:
        targets.start(stepper)
    checks = iter(targets.checks[1:] if targets is not None else ())
    next_check = next(checks, total)
    while stepper.k < total:
        if targets is not None and not targets.pending and stop_early:
            recorder.record(stepper)
            return STOP_TARGETS
        checking = targets is not None and targets.pending
        stop = min(recorder.next_count(total), next_check if checking else total)
        if not stepper.advance(stop):
            return STOP_DIVERGED
        if recorder.due(stop):
            recorder.record(stepper)
        if stop == next_check:
            if checking:
                targets.at_check(stepper)
            next_check = next(checks, total)
    if targets is not None and not targets.pending and stop_early:
        return STOP_TARGETS
    return STOP_HORIZON


def run(cfg, progress=None, problem=None, shared: Shared | None = None) -> Trace:
    """Run A3C-TD(0) as configured and return its :class:`Trace`. ``progress``: None shows a tqdm bar when
    stderr is a terminal, False never. ``problem`` may be passed to skip rebuilding it from ``cfg``;
    ``shared`` (:class:`.run_setup.Shared`) is what the runs of a seed batch share (its problem is used).
    BLAS is pinned to one thread for the exact refreshes (one BLAS thread per process)."""
    if shared is not None:
        problem = shared.problem
    with single_thread_blas():
        if cfg.run.mode == "threads":
            trace = run_threads(cfg, problem, progress=progress)
            trace.meta["stop_reason"] = STOP_DIVERGED if trace.divergence else STOP_HORIZON
            return trace
        setup = prepare_run(cfg, problem, shared)
        rcfg = cfg.run
        sync = rcfg.mode == "sync"
        step = rcfg.workers if sync else 1
        recorder = _Recorder(snapshot_counts(rcfg.samples, rcfg.snapshots, step=step), setup, rcfg.workers)
        targets = None
        if cfg.targets.any:
            check_copy_memory(MAX_FINE, setup.theta.size + setup.w.size, "targets",
                              f"the online targets keep up to {MAX_FINE} copies of theta and w",
                              "this instance has too many parameters for online targets")
            targets = OnlineTargets(cfg.targets, setup.problem, rcfg.samples, step,
                                    *((shared.evaluator, shared.objective, shared.target_start)
                                      if shared is not None else ()))
        started = time.perf_counter()
        with progress_bar(rcfg.samples, progress) as bar:
            stepper = (_SyncStepper if sync else _SimulatedStepper)(cfg, setup, recorder, bar)
            stop_reason = _drive(cfg, stepper, recorder, targets)
        wall = time.perf_counter() - started
        extra = {"stop_reason": stop_reason, "updates_run": int(stepper.k)}
        if targets is not None:
            extra.update(targets.meta(wall))
        if sync:
            recorder.delay_counts = np.array([int(stepper.applied.sum())], np.int64)
            extra.update(delay_model=f"synchronous rounds, compute times {rcfg.delay!r}", sync_step_sizes=(
                ("round r applies the sum of its N updates, update i with alpha_k, beta_k at k = rN + i "
                 "(per-sample-equivalent)") if stepper.per_sample else
                "round r applies the average of its N updates with alpha_k, beta_k at k = rN"
            ) + "; the counter advances by N per round")
        else:
            extra["delay_model"] = rcfg.delay
        meta = _meta(cfg, setup, stepper, recorder, wall,
                     fingerprint=None if shared is None else shared.fingerprint, **extra)
        return _trace(cfg, recorder, meta)


def _meta(cfg, setup: RunSetup, stepper: _Stepper, recorder: _Recorder, wall_seconds: float, **extra) -> dict:
    laws = stepper.laws
    return run_meta(cfg, setup, "simulated", stepper.stats, recorder.delay_counts, [laws] if laws else [],
                    wall_seconds, time_unit=TIME_UNIT, kernel_seconds=stepper.kernel_seconds,
                    kernel_ns_per_sample=stepper.kernel_seconds / max(stepper.k, 1) * 1e9, **extra,
                    **divergence.meta_fields(recorder.divergence))


def _trace(cfg, recorder: _Recorder, meta: dict) -> Trace:
    """The recorded snapshots (planned ones up to a divergence or an early stop, and the stop count)."""
    n = recorder.n
    return Trace(config=cfg.to_dict(), k=recorder.k[:n], theta=recorder.theta[:n], w=recorder.w[:n],
                 time_s=recorder.time_s[:n], samples_per_worker=recorder.samples_per_worker[:n],
                 delay_counts=recorder.delay_counts, meta=meta)
