"""Delay models of the simulated mode: which worker reads the parameters when, and which pending update
is applied at each global step (the paper's asynchronous update with delay τ_k).

A schedule says, for every global step ``k``: the computations that read ``(θ_k, ω_k)`` (worker, pending
slot), and the slot whose update is applied as update ``k``. Its delay is ``τ_k = k − r_k`` with ``r_k``
the read index of that update. Schedules depend only on the delay model and its own random stream, never
on the learning, so they are generated chunk by chunk ahead of the update kernel
(``kernels.simulated_chunk``) and cost a few ns per step. The schedule of ``[k0, k1)`` is the same
however that range is cut into chunks; ``clocks_at(counts, k0, clock0)`` is the clock after each of
``counts`` updates within the last chunk ``[k0, k1]`` (the times of the recorded points of
``engine.targets``), or of any counts where ``COUNT_CLOCK`` says the clock depends on the count alone.

Exogenous delays (:class:`LookaheadSchedule`): ``τ_k`` is drawn for every update and clipped to ``k``;
update ``k`` is drawn by worker ``k mod N`` from ``(θ_{r_k}, ω_{r_k})``, ``r_k = max(0, k − τ_k)``, and
waits in slot ``k mod (K_0 + 1)``.
- ``none``: ``τ_k = 0``;
- ``constant``: ``τ_k = min(k, τ)``;
- ``uniform``: ``τ_k = min(k, U)``, ``U`` uniform on ``{0, …, K_0}`` (``run.max_delay``), i.i.d.;
- ``round_robin``: N workers that each take the same time per update, served in turn:
  ``τ_k = min(k, N − 1)``, i.e. ``constant`` with ``τ = N − 1``.
Clock: N workers of unit compute time working in parallel, ``time = ⌈k / N⌉`` after ``k`` updates.

Random compute times (:class:`EventSchedule`, discrete-event simulation): N workers; each reads the
current parameters, draws its update at once and finishes after a random compute time ``T`` (from its own
stream); the finished update is applied, and that worker reads again. A binary heap of finish times
(ties broken by worker index) orders the applications, so ``τ_k`` is the number of updates applied while
the update was being computed, and the clock is the finish time of the last applied update.
- ``exponential``: ``T ~ Exp(1)``;
- ``lognormal``: ``T = exp(σZ − σ²/2)``, ``Z ~ N(0, 1)`` (mean 1), ``σ = run.lognormal_sigma``;
- ``straggler``: ``T = run.straggler_slowdown`` with probability ``run.straggler_prob``, else ``T = 1``.
The time unit is the (mean, for the first two) compute time of one update.

Synchronous mode (:func:`sync_clock`): round time ``= max_i T_i`` over the N workers, with the same
compute-time models (``none``: ``T = 1``).
"""

import math

import numpy as np
from numba import njit

from .rng import exponential, load_state, seed_states, standard_normal, store_state, uniform

LOOKAHEAD_MODELS = ("none", "constant", "uniform", "round_robin")
COMPUTE_TIME_MODELS = ("exponential", "lognormal", "straggler")
_TIME_CODES = {"none": 0, "exponential": 1, "lognormal": 2, "straggler": 3}


@njit(inline="always")
def compute_time(model, sigma, prob, slowdown, s0, s1, s2, s3):
    """One compute time ``T`` for model code 0 (unit), 1 (exponential), 2 (log-normal, mean 1),
    3 (straggler); returns ``(T, s0, s1, s2, s3)``."""
    if model == 1:
        return exponential(s0, s1, s2, s3)
    if model == 2:
        z, s0, s1, s2, s3 = standard_normal(s0, s1, s2, s3)
        return math.exp(sigma * z - 0.5 * sigma * sigma), s0, s1, s2, s3
    if model == 3:
        u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
        return (slowdown if u < prob else 1.0), s0, s1, s2, s3
    return 1.0, s0, s1, s2, s3


# ----------------------------------------------------------------------------- exogenous delays
@njit(inline="always")
def _register(update, read, n_slots, read_of, head, tail, nxt):
    """Queue ``update`` (a global step) for the read at global step ``read`` (FIFO per read index)."""
    slot = update % n_slots
    read_of[slot] = read
    nxt[slot] = -1
    bucket = read % n_slots
    if tail[bucket] < 0:
        head[bucket] = update
    else:
        nxt[tail[bucket] % n_slots] = update
    tail[bucket] = update


@njit(inline="always")
def _draw_delay(max_delay, constant, s0, s1, s2, s3):
    if constant:
        return max_delay, s0, s1, s2, s3
    u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
    return min(np.int64(u * (max_delay + 1)), max_delay), s0, s1, s2, s3


@njit(cache=True, _nrt=False)
def lookahead_chunk(k0, k1, n_workers, max_delay, constant, delay_rng, read_of, head, tail, nxt, applied,
                    comp_ptr, comp_slot, comp_worker, apply_slot, delays):
    """Schedule of steps ``k0 ≤ k < k1`` for exogenous delays (module docstring); state in ``read_of``,
    ``head``, ``tail``, ``nxt`` (length ``K_0 + 1``) persists between calls. Returns the number of
    computations written."""
    n_slots = max_delay + 1
    s0, s1, s2, s3 = load_state(delay_rng, 0)
    if k0 == 0:
        head[:] = -1
        tail[:] = -1
        for update in range(n_slots):
            tau, s0, s1, s2, s3 = _draw_delay(max_delay, constant, s0, s1, s2, s3)
            _register(update, max(0, update - tau), n_slots, read_of, head, tail, nxt)
    c = 0
    for k in range(k0, k1):
        j = k - k0
        comp_ptr[j] = c
        bucket = k % n_slots
        update = head[bucket]
        while update >= 0:
            comp_slot[c] = update % n_slots
            comp_worker[c] = update % n_workers
            c += 1
            update = nxt[update % n_slots]
        head[bucket] = -1
        tail[bucket] = -1
        slot = k % n_slots
        apply_slot[j] = slot
        delays[j] = k - read_of[slot]
        applied[k % n_workers] += 1
        tau, s0, s1, s2, s3 = _draw_delay(max_delay, constant, s0, s1, s2, s3)
        _register(k + n_slots, k + n_slots - tau, n_slots, read_of, head, tail, nxt)
    comp_ptr[k1 - k0] = c
    store_state(delay_rng, 0, s0, s1, s2, s3)
    return c


# ----------------------------------------------------------------------------- discrete-event simulation
@njit(inline="always")
def _before(t1, w1, t2, w2):
    """Heap order: earlier finish time first, ties by worker index."""
    return t1 < t2 or (t1 == t2 and w1 < w2)


@njit(inline="always")
def _sift_down(heap_time, heap_worker, size, pos):
    t = heap_time[pos]
    w = heap_worker[pos]
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and _before(heap_time[child + 1], heap_worker[child + 1],
                                        heap_time[child], heap_worker[child]):
            child += 1
        if not _before(heap_time[child], heap_worker[child], t, w):
            break
        heap_time[pos] = heap_time[child]
        heap_worker[pos] = heap_worker[child]
        pos = child
    heap_time[pos] = t
    heap_worker[pos] = w


@njit(inline="always")
def _push(heap_time, heap_worker, size, t, w):
    pos = size
    while pos > 0:
        parent = (pos - 1) // 2
        if not _before(t, w, heap_time[parent], heap_worker[parent]):
            break
        heap_time[pos] = heap_time[parent]
        heap_worker[pos] = heap_worker[parent]
        pos = parent
    heap_time[pos] = t
    heap_worker[pos] = w


@njit(cache=True, _nrt=False)
def event_chunk(k0, k1, model, sigma, prob, slowdown, timing_rng, heap_time, heap_worker, read_index, applied,
                state, comp_ptr, comp_slot, comp_worker, apply_slot, delays, times):
    """Schedule of steps ``k0 ≤ k < k1`` by discrete-event simulation of N workers (module docstring).
    ``state`` = float64[2]: (clock, worker freed by the last application); the heap holds the N − 1
    busy workers between steps; ``times[k − k0]`` = the clock after step ``k``. Slot = worker. Returns the
    number of computations written."""
    n_workers = timing_rng.shape[0]
    clock = state[0]
    freed = np.int64(state[1])
    c = 0
    for k in range(k0, k1):
        j = k - k0
        comp_ptr[j] = c
        if k == 0:
            for i in range(n_workers):
                comp_slot[c] = i
                comp_worker[c] = i
                c += 1
                read_index[i] = 0
                s0, s1, s2, s3 = load_state(timing_rng, i)
                t, s0, s1, s2, s3 = compute_time(model, sigma, prob, slowdown, s0, s1, s2, s3)
                store_state(timing_rng, i, s0, s1, s2, s3)
                _push(heap_time, heap_worker, i, clock + t, i)
            t_next = heap_time[0]
            w_next = heap_worker[0]
            heap_time[0] = heap_time[n_workers - 1]
            heap_worker[0] = heap_worker[n_workers - 1]
            _sift_down(heap_time, heap_worker, n_workers - 1, 0)
        else:
            comp_slot[c] = freed
            comp_worker[c] = freed
            c += 1
            read_index[freed] = k
            s0, s1, s2, s3 = load_state(timing_rng, freed)
            t, s0, s1, s2, s3 = compute_time(model, sigma, prob, slowdown, s0, s1, s2, s3)
            store_state(timing_rng, freed, s0, s1, s2, s3)
            t_next = clock + t
            w_next = freed
            if n_workers > 1 and _before(heap_time[0], heap_worker[0], t_next, w_next):
                t_top = heap_time[0]
                w_top = heap_worker[0]
                heap_time[0] = t_next
                heap_worker[0] = w_next
                _sift_down(heap_time, heap_worker, n_workers - 1, 0)
                t_next = t_top
                w_next = w_top
        clock = t_next
        times[j] = clock
        freed = w_next
        apply_slot[j] = freed
        delays[j] = k - read_index[freed]
        applied[freed] += 1
    comp_ptr[k1 - k0] = c
    state[0] = clock
    state[1] = freed
    return c


@njit(cache=True, _nrt=False)
def sync_clock(model, sigma, prob, slowdown, timing_rng, n_rounds, clock, times):
    """Advance the synchronous clock by ``n_rounds`` rounds, each lasting ``max_i T_i`` over the workers'
    compute times (worker ``i`` draws from ``timing_rng`` row ``i``); ``times[r]`` = the clock after round
    ``r``; returns the new clock."""
    n_workers = timing_rng.shape[0]
    for r in range(n_rounds):
        longest = 0.0
        for i in range(n_workers):
            s0, s1, s2, s3 = load_state(timing_rng, i)
            t, s0, s1, s2, s3 = compute_time(model, sigma, prob, slowdown, s0, s1, s2, s3)
            store_state(timing_rng, i, s0, s1, s2, s3)
            longest = max(longest, t)
        clock = clock + longest
        times[r] = clock
    return clock


# ----------------------------------------------------------------------------- Python wrappers
class _ChunkBuffers:
    """Reusable per-chunk schedule arrays for chunks of up to ``capacity`` steps (grown by :meth:`fit`) and
    ``extra`` additional computations (the initial reads)."""

    def __init__(self, capacity: int, extra: int):
        self.extra = extra
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        extra = self.extra
        self.capacity = capacity
        self.comp_ptr = np.zeros(capacity + 1, np.int64)
        self.comp_slot = np.zeros(capacity + extra, np.int64)
        self.comp_worker = np.zeros(capacity + extra, np.int64)
        self.apply_slot = np.zeros(capacity, np.int64)
        self.delays = np.zeros(capacity, np.int64)
        self.times = np.zeros(capacity, np.float64)

    def fit(self, n_steps: int) -> "_ChunkBuffers":
        """These buffers, reallocated (at least doubled) first if a chunk of ``n_steps`` steps does not fit:
        the compiled schedules write without bounds checks."""
        if n_steps > self.capacity:
            self._allocate(max(n_steps, 2 * self.capacity))
        return self


class LookaheadSchedule:
    """Exogenous delays (``none``, ``constant``, ``uniform``, ``round_robin``); see the module docstring.

    ``next_chunk(k0, k1)`` must be called for consecutive chunks starting at 0; it returns the buffers
    (``comp_ptr``, ``comp_slot``, ``comp_worker``, ``apply_slot``, ``delays``; first ``k1 − k0`` steps valid)."""

    def __init__(self, model: str, n_workers: int, tau: int, max_delay: int, seed_sequence, capacity: int):
        if model not in LOOKAHEAD_MODELS:
            raise ValueError(f"not an exogenous delay model: {model!r}")
        bound = {"none": 0, "constant": tau, "uniform": max_delay, "round_robin": n_workers - 1}[model]
        self.n_workers = n_workers
        self.max_delay = int(bound)
        self.constant = model != "uniform"
        self.n_slots = self.max_delay + 1
        self.applied = np.zeros(n_workers, np.int64)
        self._rng = seed_states(seed_sequence, 1)
        self._read_of = np.zeros(self.n_slots, np.int64)
        self._head = np.full(self.n_slots, -1, np.int64)
        self._tail = np.full(self.n_slots, -1, np.int64)
        self._nxt = np.full(self.n_slots, -1, np.int64)
        self._buf = _ChunkBuffers(capacity, self.n_slots)

    def next_chunk(self, k0: int, k1: int) -> _ChunkBuffers:
        b = self._buf.fit(k1 - k0)
        lookahead_chunk(np.int64(k0), np.int64(k1), np.int64(self.n_workers), np.int64(self.max_delay),
                        self.constant, self._rng, self._read_of, self._head, self._tail, self._nxt, self.applied,
                        b.comp_ptr, b.comp_slot, b.comp_worker, b.apply_slot, b.delays)
        return b

    COUNT_CLOCK = True
    """The clock is a function of the count alone (:meth:`clocks_at` of any counts, at any time)."""

    def clock(self, k: int) -> float:
        """Simulated time after ``k`` updates: ``⌈k / N⌉``."""
        return float(-(-k // self.n_workers))

    def clocks_at(self, counts: np.ndarray, k0: int, clock0: float) -> np.ndarray:
        """Simulated times after ``counts`` updates (any counts; module docstring)."""
        return (-(-counts // self.n_workers)).astype(np.float64)


class EventSchedule:
    """Random compute times by discrete-event simulation (``exponential``, ``lognormal``, ``straggler``)."""

    def __init__(self, model: str, n_workers: int, sigma: float, prob: float, slowdown: float, seed_sequence,
                 capacity: int):
        if model not in COMPUTE_TIME_MODELS:
            raise ValueError(f"not a compute-time model: {model!r}")
        self.n_workers = n_workers
        self.n_slots = n_workers
        self._params = (np.int64(_TIME_CODES[model]), np.float64(sigma), np.float64(prob), np.float64(slowdown))
        self.applied = np.zeros(n_workers, np.int64)
        self._rng = seed_states(seed_sequence, n_workers)
        self._heap_time = np.zeros(n_workers, np.float64)
        self._heap_worker = np.zeros(n_workers, np.int64)
        self._read_index = np.zeros(n_workers, np.int64)
        self._state = np.zeros(2, np.float64)
        self._buf = _ChunkBuffers(capacity, n_workers)

    def next_chunk(self, k0: int, k1: int) -> _ChunkBuffers:
        b = self._buf.fit(k1 - k0)
        event_chunk(np.int64(k0), np.int64(k1), *self._params, self._rng, self._heap_time, self._heap_worker,
                    self._read_index, self.applied, self._state, b.comp_ptr, b.comp_slot, b.comp_worker,
                    b.apply_slot, b.delays, b.times)
        return b

    COUNT_CLOCK = False
    """The clock depends on the chunk: :meth:`clocks_at` only for counts of the last chunk."""

    def clock(self, k: int) -> float:
        """Simulated time of the last application (valid for the ``k1`` of the last chunk)."""
        return float(self._state[0])

    def clocks_at(self, counts: np.ndarray, k0: int, clock0: float) -> np.ndarray:
        """Simulated times after ``counts`` updates, each in ``[k0, k1]`` for the last chunk ``[k0, k1)``, which
        started at ``clock0``."""
        return np.where(counts == k0, clock0, self._buf.times[counts - 1 - k0])


class SyncClock:
    """Round clock of the synchronous mode: ``time += max_i T_i`` per round."""

    def __init__(self, model: str, n_workers: int, sigma: float, prob: float, slowdown: float, seed_sequence,
                 capacity: int):
        if model != "none" and model not in COMPUTE_TIME_MODELS:
            raise ValueError(f"not a compute-time model: {model!r}")
        self._params = (np.int64(_TIME_CODES[model]), np.float64(sigma), np.float64(prob), np.float64(slowdown))
        self._rng = seed_states(seed_sequence, n_workers)
        self._times = np.zeros(capacity)  # the clock after each round of the last advance (at most capacity)
        self.time = 0.0

    COUNT_CLOCK = False
    """The clock depends on the rounds' compute times: :meth:`clocks_at` only for counts of the last advance."""

    def advance(self, n_rounds: int) -> float:
        """Advance by ``n_rounds`` rounds (at most the capacity: ``sync_clock`` writes a time per round)."""
        if n_rounds > self._times.size:
            raise ValueError(f"SyncClock.advance: {n_rounds} rounds, more than its capacity {self._times.size}")
        self.time = sync_clock(*self._params, self._rng, np.int64(n_rounds), np.float64(self.time), self._times)
        return self.time

    def clocks_at(self, counts: np.ndarray, k0: int, clock0: float) -> np.ndarray:
        """Clock after ``counts`` updates (multiples of N), each in ``[k0, k1]`` for the last advance, from
        count ``k0`` at clock ``clock0`` to ``k1``."""
        n = self._rng.shape[0]
        return np.where(counts == k0, clock0, self._times[(counts - k0) // n - 1])


def make_schedule(run, delay_seed, timing_seed, capacity: int):
    """The schedule of a simulated-mode run (``run`` = the config's run section): exogenous delays draw from
    ``delay_seed``, compute times from ``timing_seed`` (one stream per worker, as in the sync mode)."""
    if run.delay in LOOKAHEAD_MODELS:
        return LookaheadSchedule(run.delay, run.workers, run.tau, run.max_delay, delay_seed, capacity)
    return EventSchedule(run.delay, run.workers, run.lognormal_sigma, run.straggler_prob, run.straggler_slowdown,
                         timing_seed, capacity)
