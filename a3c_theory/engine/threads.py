"""Threads mode: Hogwild! A3C-TD(0) with N Python threads on shared ``θ`` and ``ω``, no locks.

Each worker thread runs the compiled, GIL-free loop :func:`hogwild_chunk` on the *shared* parameter arrays.
One update of worker ``i`` (Algorithm 1 of the paper):

1. read: ``r = counter`` (atomic load), then draw ``(g, v, ψ_θ(x^p))`` from the shared ``(θ, ω)`` as they
   are while it reads them (``samplers.draw_update``, into the worker's private pending slot);
2. claim: ``k = fetch_add(counter, 1)``: the update's global index, unique across workers;
3. apply: ``ω ← Π_R(ω + β_k g)``, ``θ ← θ + α_k (v + λ ψ)`` on the shared arrays (``kernels.add_update``,
   ``kernels.project``), and count the delay ``τ = k − r ≥ 0`` in the worker's private histogram.

The global counter is one int64 on its own cache line advanced only by the atomic fetch-add of
:mod:`.cpu_atomics` (LLVM ``atomicrmw add``), so after the run it equals the number of updates performed,
exactly; the step sizes ``α_k, β_k`` use the claimed index ``k``.

Batched writes (``run.batch = B``, the mini-batch form the paper allows): a worker draws B updates, each
from the shared parameters as they are at its own read (with its own counter read ``r_j``), claims them with
one ``fetch_add(counter, B)`` returning ``k``, and applies them as updates ``k, …, k+B−1``: each keeps its
own step sizes ``α_{k+j}, β_{k+j}``; the actor steps are added to ``θ`` in one burst and the critic steps are
summed privately and added to ``ω`` once, followed by one projection:

    ω ← Π_R( ω + Σ_{j<B} β_{k+j} g_j ),   θ ← θ + Σ_{j<B} α_{k+j} (v_j + λ ψ_j).

The counter thus advances by B per batch and still counts updates exactly. ``ω``, read by every sample, is
written once per batch instead of every sample, and the cache lines of ``θ`` move between cores once per
batch. Recorded delays are ``k + j − r_j``; they include the ``≤ B − 1`` staleness inside the batch. A
chunk ends with a shorter batch if needed. ``B = 1`` is the unbatched rule above, operation for operation.

Option 1 (i.i.d.) needs ``μ_θ`` and ``d_θ`` at the parameters read: each worker keeps *private* sampling
CDFs, runs ``algorithm.refresh`` (= M) of its own updates per compiled call and recomputes them between
calls from the shared ``θ`` as it then reads it (``run_setup.SamplingLaws``: on small instances one compiled
call that releases the GIL, else ``exact.py``, the only work done holding the GIL). A worker's laws are
therefore at most M of its own updates, about N·M global updates, old; the total-variation drift between
refreshes is reported in ``meta["sampling_law_bias"]``. The laws at ``θ_0`` are computed once before the
clock starts. Options 2 and the shared variant need no
refresh; workers then run :data:`run_setup.CHUNK` updates per call.

Snapshots at the log-spaced counts of ``run_setup.snapshot_counts``: ``k = 0`` is copied before the threads
start and ``k = K`` after they join; an interior count ``s`` is taken by the worker whose claim contains
``s``, just before it writes that claim's updates: it copies ``θ, ω`` into the snapshot row and stamps the
wall clock (with ``B > 1`` the copy lacks the ``s − k ≤ B − 1`` updates of that batch below ``s``).
``samples_per_worker`` is exact: each worker writes, in its own column, how many of its updates have
indices below ``s`` (it knows its own claims), so every row sums to ``s``. The claim is
``snapshot_claims.claim_snapshots``, which also measures each copy by a second clock stamp after it.

Targets (config ``[targets]``): the workers take extra *check* copies with the same claim, at the counts of
``targets.recorded_check_counts`` (step ``max(1, ⌊ρ k⌋)``, ``ρ = targets.resolution``) that are not snapshot
counts; the check copies are not rows of the trace. After the threads join, off the clock,
``targets.evaluate_recorded`` checks the targets on them (with ``θ_0`` and the final state): ``hits_<name>``
is the first check count at which a target is reached (updates, to ``hit_steps ≤ max(1, ρ k)``;
``hit_resolution = ρ``) and ``hit_times_<name>`` its wall stamp (seconds since the threads started, made
monotone with the snapshots' stamps). A check copy is a Hogwild read like a snapshot (below), so a hit is
that of the state the claiming worker read. What the online evaluation costs is in ``meta``:
``target_checks`` (check copies taken in the run), ``target_check_copy_seconds`` (their cost inside the
run: the sum over them of the clock around each copy, in the worker that took it, so worker-seconds),
``target_check_copy_fraction`` (that over ``N ×`` the wall time), and ``target_seconds`` (the evaluation
after the join, off the clock; ``target_cost_fraction`` is it over the run's wall time). A threads run goes
on to ``run.samples`` (``stop_reason = "horizon"``): its targets are evaluated only after the join, so the
workers cannot know in the run that they are reached, and evaluating them in the run would put the
evaluation on the clock the hitting times are measured with; ``targets.after_last`` must be
``"continue"`` (``config``).

Races that remain (Hogwild! by design, stated in ``trace.meta["races"]``):
- concurrent ``+=`` on the same entry of ``θ`` or ``ω`` can lose one of the additions (non-atomic
  read-modify-write), and the projection ``ω ← ω·R/‖ω‖`` can overwrite an addition that lands between its
  norm and its rescaling;
- a worker's read of ``(θ, ω)`` is not a consistent version: entries may mix updates;
- a snapshot copy is a Hogwild read of the same kind: updates claimed before ``s`` may still be in flight
  and updates after ``s`` may already be partly applied;
- the i.i.d. refresh reads ``θ`` the same way.
The counter, the delay histograms, the sample counts and the snapshot slots are race-free.

Divergence: before each of its compiled calls a worker checks that the shared ``θ`` and ``ω`` are finite
(linear-quadratic: and that the gain stabilises; ``setup.kernels.diverged``),
and otherwise stops every worker after its current chunk; the trace then keeps the snapshots
below the first non-finite one (a snapshot row, or the state where the workers stopped) and ``meta``
records ``outcome = "diverged"`` at that count (:mod:`a3c_theory.divergence`).

Time: ``time_s`` is wall time on ``CLOCK_MONOTONIC`` (the clock of ``time.perf_counter``) from the start of
the threads, stamped in compiled code (:mod:`.clock`, ~20 ns, once per snapshot). Two snapshots taken by
different workers can be stamped out of order when a worker is descheduled between its claim and its
stamp; ``time_s`` is made monotone by a running maximum and the largest correction is reported in
``meta["time_monotone_fix_s"]``.

Memory layout: everything a worker writes in its hot loop (RNG words, chain states, pending slots, scratch,
histogram, statistics, sampling CDFs) lives in its own cache-line-aligned arrays (:func:`private_array`), so
workers share only ``θ``, ``ω`` and the counter. Nothing is allocated inside the loop, and no
``parallel=True`` kernel is ever called from these threads.
"""

import dataclasses
import threading
import time

import numpy as np
from numba import njit

from .. import divergence
from ..exact import single_thread_blas
from ..trace import Trace
from .cpu_atomics import atomic_fetch_add, atomic_load
from .kernels import add_update, project, step_sizes
from .run_setup import CHUNK, prepare_run, progress_bar, run_meta, snapshot_counts
from .samplers import draw_update
from .snapshot_claims import claim_snapshots
from .targets import OnlineTargets, check_copy_memory, evaluate_recorded

CACHE_LINE = 64
"""Bytes per cache line (x86-64 and most ARM cores)."""

DELAY_BINS_TOTAL = 1 << 24
"""Delay-histogram bins shared out among the workers (at least :data:`MIN_DELAY_BINS` each, at most K + 1);
the arrays are zero pages that cost memory only where touched. A delay beyond a worker's histogram is
counted in ``meta["delays_beyond_histogram"]`` (and in ``meta["max_delay"]``) instead."""

MIN_DELAY_BINS = 1 << 16

_NO_SNAPSHOT = np.iinfo(np.int64).max
"""Sentinel that ends the list of snapshot counts passed to the kernel."""

RACES = (
    "Hogwild: concurrent += on the same entry of theta or w may lose an addition; the projection of w may "
    "overwrite an addition landing between its norm and its rescaling; a worker's read of (theta, w) mixes "
    "versions; snapshot and check copies and the iid refresh read theta the same way. Race-free: the update "
    "counter (atomic fetch-add), delay histograms, per-worker sample counts, snapshot slots."
)


def private_array(shape, dtype=np.float64) -> np.ndarray:
    """A zeroed array that starts on a cache-line boundary and is the only object on its cache lines."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    padded = -(-nbytes // CACHE_LINE) * CACHE_LINE
    raw = np.zeros(padded + CACHE_LINE, np.uint8)
    start = -raw.ctypes.data % CACHE_LINE
    return raw[start:start + nbytes].view(dtype).reshape(shape)


@njit(cache=True, nogil=True, _nrt=False)
def hogwild_chunk(pa, hp, theta, w, counter, n_updates, batch, worker, reads, rng_state, crit_chain, act_chain,
                  pend_i, pend_f, buf, w_step, local, stats, delay_hist, snap_k, snap_theta, snap_w, snap_time_ns,
                  snap_samples, clock_id):
    """``n_updates`` Hogwild updates of one worker (module docstring), in batches of ``batch``.

    Shared: ``theta``, ``w``, ``counter[0]``; the snapshot arrays (row ``j`` is written only by the worker
    that claims count ``snap_k[j]``; column ``worker`` of ``snap_samples`` only by this worker;
    ``snap_time_ns[j]`` = the clock before and after the copy: ``snapshot_claims``). ``snap_k`` holds the
    interior snapshot and check counts, increasing, ended by a huge sentinel. Private: ``reads`` (≥ batch),
    ``rng_state`` (1, 4), ``crit_chain``/``act_chain`` (1,), ``pend_i``/``pend_f`` (≥ batch slots),
    ``buf``, ``w_step`` (the batch's summed critic step), ``delay_hist``, and, carried across calls,
    ``local`` = [updates done, next snapshot index, delays beyond the histogram, largest delay, negative
    delays (impossible with a coherent counter; counted to check it)] and ``stats`` = [largest ‖ω‖² after
    a projection step, projections that were active]."""
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
    n_step = hp.n_step
    with_prior = hp.with_prior
    radius = hp.radius
    n_bins = delay_hist.shape[0]
    end = done + n_updates
    while done < end:
        m = min(batch, end - done)
        for j in range(m):
            reads[j] = atomic_load(counter, 0)
            s0, s1, s2, s3 = draw_update(pa, theta, w, sampling, n_step, with_prior, crit_chain, act_chain, 0,
                                         pend_i, pend_f, j, buf, s0, s1, s2, s3)
        k = atomic_fetch_add(counter, 0, m)
        nxt = claim_snapshots(snap_k, nxt, k, m, done, worker, theta, w, snap_theta, snap_w, snap_time_ns,
                              snap_samples, clock_id)  # snapshot and check counts passed since its last claim
        for q in range(w_step.shape[0]):
            w_step[q] = 0.0
        for j in range(m):  # θ += α_{k+j}(v_j + λψ_j) in place; ω's steps summed privately
            alpha, beta = step_sizes(hp, k + j)
            add_update(pa, hp, theta, w_step, pend_i, pend_f, j, alpha, beta)
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


class _Worker:
    """One thread's private state (all cache-line aligned) and its loop of compiled chunks."""

    def __init__(self, index: int, setup, theta: np.ndarray, quota: int, batch: int, n_bins: int, laws0):
        arrays = setup.arrays
        kernels = setup.kernels
        self.index = index
        self.quota = quota
        self.batch = batch
        self.kernel = kernels.hogwild_chunk
        self.diverged = kernels.diverged
        self.arrays = kernels.private_laws(arrays, _private_copy)
        self.laws = None
        if laws0 is not None:  # private option-1 laws, starting from those at θ_0
            self.laws = kernels.laws(dataclasses.replace(setup, arrays=self.arrays, theta=theta))
            self.laws.start_from(laws0)
        self.rng_state = _private_copy(setup.rng_states[index:index + 1])
        self.crit_chain = _private_copy(setup.crit_chain[index:index + 1])
        self.act_chain = _private_copy(setup.act_chain[index:index + 1])
        self.reads = private_array((batch,), np.int64)
        self.pend_i, self.pend_f = kernels.pending(arrays, batch, private_array)
        self.buf = kernels.scratch(arrays, private_array)
        self.w_step = private_array((setup.w.size,))
        self.local = private_array((5,), np.int64)
        self.stats = private_array((2,))
        self.delay_hist = private_array((n_bins,), np.int64)
        self.error = None
        self.finished_ns = 0

    @property
    def done(self) -> int:
        return int(self.local[0])

    def chunk(self, run, n: int) -> None:
        """``n`` updates in one compiled call (``n = 0`` only compiles or loads the kernel)."""
        self.kernel(self.arrays, run.hyper, run.theta, run.w, run.counter, np.int64(n), np.int64(self.batch),
                      np.int64(self.index), self.reads, self.rng_state, self.crit_chain, self.act_chain,
                      self.pend_i, self.pend_f, self.buf, self.w_step, self.local, self.stats, self.delay_hist,
                      run.snap_k, run.snap_theta, run.snap_w, run.snap_time_ns, run.snap_samples,
                      np.int64(time.CLOCK_MONOTONIC))

    def run(self, run, chunk: int, stop: threading.Event) -> None:
        """Thread body: compiled chunks of ``chunk`` updates; an option-1 refresh before every chunk but the
        first. Exceptions are kept for the main thread."""
        try:
            first = True
            while self.done < self.quota and not stop.is_set():
                if self.diverged(0, run.theta, run.w) is not None:
                    stop.set()  # every worker ends after its chunk; the trace stops before the divergence
                    break
                if self.laws is not None and not first:
                    self.laws.refresh()
                first = False
                self.chunk(run, min(chunk, self.quota - self.done))
        except BaseException as err:  # noqa: BLE001 - re-raised by the main thread
            self.error = err
            stop.set()
        self.finished_ns = time.monotonic_ns()


def _private_copy(a: np.ndarray) -> np.ndarray:
    out = private_array(a.shape, a.dtype)
    out[...] = a
    return out


@dataclasses.dataclass
class _SharedRun:
    """What all workers share: parameters, counter, snapshot (and check) slots, constants."""

    hyper: object
    theta: np.ndarray
    w: np.ndarray
    counter: np.ndarray
    snap_k: np.ndarray
    snap_theta: np.ndarray
    snap_w: np.ndarray
    snap_time_ns: np.ndarray
    snap_samples: np.ndarray


def worker_quotas(total: int, n_workers: int) -> np.ndarray:
    """Updates per worker: ``K // N``, the first ``K mod N`` workers one more."""
    quotas = np.full(n_workers, total // n_workers, np.int64)
    quotas[: total % n_workers] += 1
    return quotas


def run_threads(cfg, problem=None, progress=None) -> Trace:
    """Run ``cfg`` (``run.mode = "threads"``) with ``run.workers`` Hogwild threads; see the module docstring.

    Seeding and initial state are those of the simulated runner (``run_setup.prepare_run``): worker ``i``
    uses the ``i``-th xoshiro stream spawned from the run's sampling seed and starts its chains at
    ``s_0, ŝ_0 ~ η``. With one worker and ``batch = 1`` the run performs the same operations in the same
    order as simulated mode with ``delay = "none"``, so the two traces agree bit for bit (tested)."""
    rcfg, alg = cfg.run, cfg.algorithm
    setup = prepare_run(cfg, problem)
    K, N, B = rcfg.samples, rcfg.workers, rcfg.batch
    counts = snapshot_counts(K, rcfg.snapshots)
    targets = None
    if cfg.targets.any:
        targets = OnlineTargets(cfg.targets, setup.problem, K, recorded=True)
        check_copy_memory(len(targets.checks), setup.theta.size + setup.w.size, "targets.resolution",
                          f"threads mode copies theta and w at {len(targets.checks)} checks", "must be coarser")
    checks = targets.checks[1:-1] if targets is not None else np.zeros(0, np.int64)
    claims = np.union1d(counts[1:-1], checks).astype(np.int64)  # every interior count a worker copies at
    is_snapshot = np.isin(claims, counts[1:-1])
    theta = _private_copy(setup.theta)
    w = _private_copy(setup.w)
    run = _SharedRun(
        hyper=setup.hyper, theta=theta, w=w, counter=private_array((1,), np.int64),
        snap_k=np.append(claims, _NO_SNAPSHOT).astype(np.int64),
        snap_theta=np.zeros((len(claims), theta.size)), snap_w=np.zeros((len(claims), w.size)),
        snap_time_ns=np.zeros((len(claims), 2), np.int64), snap_samples=np.zeros((len(claims), N), np.int64),
    )
    theta0, w0 = theta.copy(), w.copy()
    chunk = alg.refresh if alg.sampling == "iid" else CHUNK
    n_bins = int(min(K, max(MIN_DELAY_BINS, DELAY_BINS_TOTAL // N))) + 1
    with single_thread_blas():
        laws0 = None
        if alg.sampling == "iid":  # the laws at θ_0, computed once before the clock starts
            laws0 = setup.kernels.laws(dataclasses.replace(setup, theta=theta))
            laws0.refresh()
        quotas = worker_quotas(K, N)
        workers = [_Worker(i, setup, theta, int(q), B, n_bins, laws0) for i, q in enumerate(quotas)]
        start_ns, end_ns = _run_workers(workers, run, chunk, K, progress)

    done = np.array([wk.done for wk in workers], np.int64)
    for j, wk in enumerate(workers):  # counts this worker never passed: all its updates lie below them
        run.snap_samples[int(wk.local[1]):, j] = wk.done
    raw_time = np.concatenate([[0.0], (run.snap_time_ns[:, 0] - start_ns) * 1e-9, [(end_ns - start_ns) * 1e-9]])
    time_s = np.maximum.accumulate(raw_time)  # at 0, each claim and the end
    hist = np.sum([wk.delay_hist for wk in workers], axis=0)
    max_delay = max(int(wk.local[3]) for wk in workers)
    hist = hist[: min(max_delay, n_bins - 1) + 1]
    wall = (end_ns - start_ns) * 1e-9
    stats = np.array([max(wk.stats[0] for wk in workers), sum(wk.stats[1] for wk in workers)])
    laws = [laws0] + [wk.laws for wk in workers] if laws0 is not None else []
    meta = run_meta(
        cfg, setup, "wall", stats, hist, laws, wall,
        time_source="clock_gettime(CLOCK_MONOTONIC) read in compiled code at each snapshot claim",
        time_monotone_fix_s=float(np.max(time_s - raw_time)),
        counter="int64 on its own cache line, atomic fetch-add (LLVM atomicrmw add seq_cst)",
        counter_final=int(run.counter[0]),
        counter_error=int(run.counter[0]) - int(done.sum()),
        races=RACES,
        batch=B,
        blas_threads=1,
        max_delay=max_delay,
        delays_beyond_histogram=int(sum(wk.local[2] for wk in workers)),
        negative_delays=int(sum(wk.local[4] for wk in workers)),
        ns_per_sample=wall * 1e9 / max(int(done.sum()), 1),
        samples_per_second=float(done.sum() / wall) if wall > 0 else 0.0,
    )
    if laws:
        meta["sampling_law_bias"]["per"] = "worker (own updates)"
    reached = int(done.sum())
    meta["updates_run"] = reached
    if targets is not None:
        meta.update(_evaluate_targets(targets, run, np.isin(claims, checks), ~is_snapshot, reached, theta0, w0,
                                      theta, w, time_s, wall, N))
    taken = 1 + int(np.sum(claims[is_snapshot] < reached))  # snapshot rows filled (all unless stopped early)
    rows = np.flatnonzero(is_snapshot)[: taken - 1]
    k = np.append(counts[:taken], reached) if reached < K else counts
    thetas = np.vstack([theta0, run.snap_theta[rows], theta])
    ws = np.vstack([w0, run.snap_w[rows], w])
    n = len(k)
    found = next(((j, found) for j, (kj, theta_j, w_j) in enumerate(zip(k, thetas, ws))
                  if (found := setup.kernels.diverged(int(kj), theta_j, w_j)) is not None), None)
    if found is not None:
        n = found[0]
    meta.update(divergence.meta_fields(found[1] if found else None))
    return Trace(
        config=cfg.to_dict(), k=k[:n], theta=thetas[:n], w=ws[:n],
        time_s=np.concatenate([[0.0], time_s[1:-1][rows], [time_s[-1]]])[:n],
        samples_per_worker=np.vstack([np.zeros(N, np.int64), run.snap_samples[rows], done])[:n],
        delay_counts=hist, meta=meta,
    )



def _evaluate_targets(targets, run: _SharedRun, is_check, extra, reached, theta0, w0, theta, w, time_s, wall,
                      N) -> dict:
    """The targets on the check copies of a finished run (module docstring): ``θ_0``, the check rows below
    ``reached`` (the updates run) and the final state, with their wall times; and their cost: ``extra`` marks
    the rows copied for the checks only (not snapshot counts)."""
    below = run.snap_k[:-1] < reached
    rows = np.flatnonzero(is_check & below)
    k = np.concatenate([[0], run.snap_k[rows], [reached]])
    evaluate_recorded(targets, k, np.vstack([theta0, run.snap_theta[rows], theta]),
                      np.vstack([w0, run.snap_w[rows], w]), np.concatenate([[0.0], time_s[1:-1][rows], [time_s[-1]]]))
    copies = np.flatnonzero(extra & below)
    copy_s = float(np.sum(np.diff(run.snap_time_ns[copies], axis=1))) * 1e-9
    return {**targets.meta(wall), "target_checks": int(len(copies)), "target_check_copy_seconds": copy_s,
            "target_check_copy_fraction": copy_s / (N * wall) if wall > 0 else float("nan"),
            "target_evaluation": "after the threads join, off the clock, on the check copies (no replay)"}


def _run_workers(workers, run: _SharedRun, chunk: int, total: int, progress) -> tuple[int, int]:
    """Start one thread per worker, show the counter on a progress bar while they run, join them, re-raise
    the first worker error. Ctrl-C stops every worker after its current chunk. Returns the wall-clock
    (``CLOCK_MONOTONIC``, ns) start and the time the last worker finished."""
    stop = threading.Event()
    threads = [threading.Thread(target=wk.run, args=(run, chunk, stop), name=f"a3c-worker-{wk.index}", daemon=True)
               for wk in workers]
    workers[0].chunk(run, 0)  # compile or load the kernel before the clock starts
    start_ns = time.monotonic_ns()
    for t in threads:
        t.start()
    try:
        with progress_bar(total, progress) as bar:
            for t in threads:
                while t.is_alive():
                    t.join(timeout=0.2)
                    bar.update(int(run.counter[0]) - bar.n)
    except KeyboardInterrupt:
        stop.set()
        for t in threads:
            t.join()
        raise
    for wk in workers:
        if wk.error is not None:
            raise wk.error
    return start_ns, max(wk.finished_ns for wk in workers)
