"""Online hitting times: target levels checked during a run, each first crossing located on the fine grid
of its bracket, whose copies of the parameters the run keeps on its way, and the run stopped once every
target is reached.

Targets (config ``[targets]``), relative to the start ``θ_0 = 0``, ``ω_0 = 0``:

- ``gap`` f: level ``J_f = J(θ_0) + f (J* − J(θ_0))``, reached at k when ``J(θ_k) ≥ J_f`` (the level of
  ``studies.stats.target_level``, crossed upwards as in ``studies.stats.first_crossing``);
- ``avg_grad`` e: level ``e ‖∇J(θ_0)‖²``, reached at k when the running average ``G(k) ≤`` it;
- ``critic_gap`` e: level ``e ‖ω_0 − ω*_{θ_0}‖``, reached at k when ``‖ω_k − ω*_{θ_k}‖ ≤`` it.

Grids (``step`` = 1 update in simulated mode, N in sync mode, whose counts move by rounds of N):

- the check grid ``C = {c_0 = 0 < c_1 < … < c_m = K}`` (:func:`check_counts`): 0, the distinct values of
  ``c_1 q^i`` (``q = targets.check_ratio``, ``c_1 = ⌈1/ρ⌉``: below it the fine grid is every step anyway)
  rounded up to multiples of ``step``, and K, with a check added wherever a bracket's fine grid would
  exceed :data:`MAX_FINE` points (only for ``ρ < 1/100``); every quantity a pending target needs is
  evaluated at every check;
- the fine grid of the bracket ``(c_{j−1}, c_j]`` (:func:`fine_counts`): ``c_{j−1} + i h_j`` below
  ``c_j``, then ``c_j``, with ``h_j = max(step, step ⌊ρ c_{j−1} / step⌋)``, ``ρ = targets.resolution``.

First crossing (the definition this module implements). Let ``c_j`` be the first check at which the
target is reached (the hitting time is 0 if that is ``c_0``). Its bracket's fine grid ``p_1 < … < p_n = c_j``
is scanned in two levels with the stride ``m = ⌈√n⌉`` (:func:`scan_grid`): first the stride ends
``p_m, p_2m, …`` and ``c_j``, to the first one ``e`` at which the target is reached; then the fine points of
that stride, after the previous stride end (or ``c_{j−1}``) and before ``e``. The hitting time is the first
of them at which the target is reached, else ``e``. (When the quantity crosses the level once inside the
bracket this is the first fine point past the crossing.) It is known to ``h_j ≤ max(step, ρ k)`` updates:
``hit_resolution = ρ`` (relative), and ``hit_steps`` gives each ``h_j``. A level crossed and left again
between two points of a coarser level is not seen (the coarser level decides the bracket); the scan
evaluates about ``2√n`` points instead of n.

Running average: ``G`` is the trapezoid rule on the check grid (``evaluate.running_average`` on C):
``G(c_j) = A_j / c_j``, ``A_j = Σ_{i<j} (c_{i+1} − c_i)(g_i + g_{i+1}) / 2``, ``g = ‖∇J‖²``, ``G(0) = g_0``;
at a fine point p of ``(c_{j−1}, c_j]``, ``G(p) = (A_{j−1} + (p − c_{j−1})(g_{j−1} + g(p)) / 2) / p`` (the
rule on C's points up to ``c_{j−1}`` and p). It estimates ``(1/k) Σ_{i<k} ‖∇J(θ_i)‖²`` with the error of the
trapezoid rule on C; its hitting time is located to ``h_j`` on that stated sum.

Copies (simulated and sync modes): after each check ``c_{j−1}`` while targets are pending, the stepper is
asked to copy ``θ, ω`` and the clock at the fine points ``p_1 … p_{n−1}`` of the next bracket; the kernels
copy them as they pass (``kernels.record_points``: a copy changes no arithmetic, and the checks end chunks,
which does not change it either, so a run with targets has the snapshots of the run without, byte for byte,
up to where it stops). When a target is first reached at ``c_j``, the scan above runs on those copies; no
part of the run is computed twice. At most :data:`MAX_FINE` copies are kept at a time.

Evaluations: ``J`` by :func:`.small_exact.dense_objective` when ``nS ≤ small_exact.MAX_STATES`` (dense P),
else ``exact.objective``; ``‖∇J‖²`` and the critic gap by ``exact.Evaluator.metrics``. Their cost (in the
first run of a process also the cache load of the compiled ``J``) is measured: ``target_seconds``, and its
share of the run's wall time, ``target_cost_fraction``. Each check also ends a chunk of the run, whose
Python-side cost (~10 µs) falls outside that timing; ``bench.study_cell`` measures the whole overhead from
outside.

Threads mode (the copies cannot be taken at fine points of a bracket chosen after the run has passed it:
the workers do not wait for the checks). The workers copy ``θ, ω`` and stamp
the wall clock at every count of the dense check grid :func:`recorded_check_counts` (``c_0 = 0``,
``c_{i+1} = c_i + max(1, ⌊ρ c_i⌋)``, and K: the fine grid's step rule at every count, a geometric grid of
ratio at most ``1 + ρ`` above ``1/ρ``), and after the run :func:`evaluate_recorded` checks the targets on
those copies in count order with the same :class:`OnlineTargets` (levels, quantities, running average on
that grid): the hitting time is the first check count at which the target is reached, known to
``h_j = c_j − c_{j−1} ≤ max(1, ρ c_{j−1})`` updates (``hit_steps``; ``hit_resolution = ρ``), and
``hit_times`` is that check's wall stamp.
"""

import functools
import time
from dataclasses import dataclass

import numpy as np

KINDS = ("gap", "avg_grad", "critic_gap")
STOP_TARGETS, STOP_HORIZON, STOP_DIVERGED = "all_targets", "horizon", "diverged"


MAX_FINE = 128
"""Most points of a bracket's fine grid (:func:`check_counts` adds checks to split longer brackets): the
copies of ``θ, ω`` a run keeps for the bracket it is in."""


def check_counts(total: int, ratio: float, resolution: float, step: int = 1) -> np.ndarray:
    """The check grid of the module docstring: 0, the distinct ``⌈1/ρ⌉ q^i`` rounded up to multiples of
    ``step``, and ``total`` (a multiple of ``step``); where the fine grid of a bracket would have more than
    :data:`MAX_FINE` points, a check at its ``MAX_FINE``-th point splits it (repeatedly)."""
    first = np.ceil(1.0 / resolution)
    n = max(int(np.ceil(np.log(max(total / first, 1.0)) / np.log(ratio))) + 1, 1)
    points = np.ceil(first * ratio ** np.arange(n) / step).astype(np.int64) * step
    coarse = np.unique(np.concatenate([[0], points[points < total], [total]]))
    checks = [0]
    for c1 in coarse[1:]:
        while True:
            h = _fine_step(checks[-1], resolution, step)
            if c1 - checks[-1] <= MAX_FINE * h:
                break
            checks.append(checks[-1] + MAX_FINE * h)
        checks.append(int(c1))
    return np.array(checks, np.int64)


def recorded_check_counts(total: int, resolution: float) -> np.ndarray:
    """The dense check grid of threads mode (module docstring): ``c_0 = 0``, ``c_{i+1} = c_i + max(1, ⌊ρ c_i⌋)``
    below ``total``, then ``total``."""
    counts = [0]
    while counts[-1] < total:
        counts.append(min(total, counts[-1] + max(1, int(resolution * counts[-1]))))
    return np.array(counts, np.int64)


COPY_BYTES_MAX = 1 << 30
"""Most memory the copies of ``θ, ω`` of one run may take (refused before the run starts)."""


def check_copy_memory(n_copies: int, n_params: int, field: str, what: str, remedy: str) -> None:
    """A ValidationError naming ``field`` if ``n_copies`` copies of ``n_params`` float64 take more than
    :data:`COPY_BYTES_MAX`; ``what`` says which copies, ``remedy`` what to change."""
    need = n_copies * n_params * 8
    if need > COPY_BYTES_MAX:
        from ..errors import ValidationError

        raise ValidationError(field, f"{what} ({need / 2**30:.1f} GiB > {COPY_BYTES_MAX / 2**30:g} GiB): {remedy}")


COPY_END = np.iinfo(np.int64).max
"""The sentinel that ends a list of counts to copy at (``kernels.record_points``)."""


@functools.lru_cache(maxsize=8)
def _check_grid(total: int, ratio: float, resolution: float, step: int) -> tuple[np.ndarray, dict]:
    """:func:`check_counts`, and for each check but the last the counts to copy ``θ, ω`` at until the next
    one: the fine grid of that bracket without its end, then :data:`COPY_END` (the runs of a seed batch
    share them; never written to)."""
    checks = check_counts(total, ratio, resolution, step)
    copies = {int(c0): np.append(fine_counts(int(c0), int(c1), resolution, step)[:-1], COPY_END)
              for c0, c1 in zip(checks[:-1], checks[1:])}
    return checks, copies


def _fine_step(c0: int, resolution: float, step: int) -> int:
    """``h = max(step, step ⌊resolution c0 / step⌋)``, the fine step of a bracket that starts at ``c0``."""
    return max(step, step * int(resolution * c0 // step))


def fine_counts(c0: int, c1: int, resolution: float, step: int = 1) -> np.ndarray:
    """The fine grid of the bracket ``(c0, c1]``: ``c0 + i h`` below ``c1``, then ``c1``, with
    ``h = max(step, step ⌊resolution c0 / step⌋)``."""
    h = _fine_step(c0, resolution, step)
    return np.concatenate([np.arange(c0 + h, c1, h, dtype=np.int64), [c1]])


def scan_grid(c0: int, c1: int, resolution: float, step: int = 1) -> tuple[np.ndarray, int]:
    """The fine grid of ``(c0, c1]`` (:func:`fine_counts`, n points) and the stride ``m = ⌈√n⌉`` of its
    two-level scan: the stride ends are every m-th point, and ``c1``."""
    points = fine_counts(c0, c1, resolution, step)
    return points, max(1, int(np.ceil(np.sqrt(len(points)))))


def target_name(kind: str, fraction: float) -> str:
    """``gap_0.5``: the key of a target in the run's metadata."""
    return f"{kind}_{fraction:g}"


@dataclass
class Target:
    """One target: its kind (:data:`KINDS`), fraction, absolute level (set at ``θ_0``) and, once reached,
    its hitting time (updates), the clock then and the fine step it is known to."""

    kind: str
    fraction: float
    level: float = float("nan")
    hit: int | None = None
    hit_time: float | None = None
    hit_step: int | None = None

    @property
    def name(self) -> str:
        return target_name(self.kind, self.fraction)

    def reached(self, values: dict) -> bool:
        """Whether the checked quantities ``values`` reach the level (``J ≥`` it; the others ``≤`` it)."""
        if self.kind == "gap":
            return values["J"] >= self.level
        return values[self.kind] <= self.level


def objective_function(problem):
    """``θ ↦ J(θ)``: compiled on small dense instances, else ``exact.objective`` (module docstring)."""
    from .. import exact
    from .small_exact import MAX_STATES, dense_objective

    mdp, policy = problem.mdp, problem.policy
    if mdp.n_states > MAX_STATES:
        return lambda theta: exact.objective(mdp, policy.probabilities(theta))
    P3 = np.ascontiguousarray(mdp.dense_P(), np.float64)
    r_sa = np.ascontiguousarray(mdp.expected_reward(), np.float64)
    eta = np.ascontiguousarray(mdp.eta, np.float64)
    gamma = np.float64(mdp.gamma)
    if policy.is_tabular:
        shape = (mdp.n_states, mdp.n_actions)
        return lambda theta: float(dense_objective(theta.reshape(shape), P3, r_sa, eta, gamma))
    return lambda theta: float(dense_objective(policy.logits(theta), P3, r_sa, eta, gamma))


class OnlineTargets:
    """The targets of one run, checked at :attr:`checks` by :meth:`at_check` (module docstring).

    ``evaluator``: an ``exact.Evaluator`` of ``problem`` to reuse (a seed batch shares one, and its ``J*``);
    ``objective``: a :func:`objective_function` of ``problem`` to reuse; ``start_values``: a dict the runs of a
    seed batch share, holding the values at ``θ_0, ω_0`` (the same for every seed) once computed.
    ``recorded``: the checks are the copies of a threads run (:func:`recorded_check_counts`, checked by
    :func:`evaluate_recorded`): a hit is the check count itself, with no fine grid."""

    def __init__(self, settings, problem, total: int, step: int = 1, evaluator=None, objective=None,
                 start_values: dict | None = None, recorded: bool = False):
        from .. import exact

        self.targets = [Target(kind, float(f)) for kind in KINDS for f in getattr(settings, kind)]
        self.resolution = settings.resolution
        self.check_ratio = settings.check_ratio
        self.step = step
        self.recorded = recorded
        if recorded:
            self.checks, self._copies = recorded_check_counts(total, settings.resolution), {}
        else:
            self.checks, self._copies = _check_grid(total, settings.check_ratio, settings.resolution, step)
        self._pending = list(self.targets)
        self._start_values = {} if start_values is None else start_values
        self._evaluator = evaluator if evaluator is not None else exact.Evaluator(problem)
        self._objective = objective if objective is not None else objective_function(problem)
        self._last = None  # (c_{j−1}, g_{j−1}, A_{j−1})
        self.seconds = 0.0
        self.evaluations = 0

    @property
    def pending(self) -> list[Target]:
        """The targets not reached yet."""
        return self._pending

    def _values(self, k: int, theta, w, targets: list[Target], last=None) -> dict:
        """The quantities ``targets`` check at ``θ_k, ω_k`` (``J`` only for gap targets, the exact metrics only
        for the others); ``last`` = (c, g, A) of the previous check, for ``G(k)``."""
        self.evaluations += 1
        values = {"J": self._objective(theta)} if any(t.kind == "gap" for t in targets) else {}
        if any(t.kind != "gap" for t in targets):
            m = self._evaluator.metrics(theta, w)
            values["critic_gap"] = m["critic_gap"]
            values["grad_norm_sq"] = g = m["grad_norm_sq"]
            if last is None:
                values["area"], values["avg_grad"] = 0.0, g
            else:
                c, g_c, area = last
                values["area"] = area + (k - c) * (g_c + g) / 2
                values["avg_grad"] = values["area"] / k
        return values

    def start(self, stepper) -> None:
        """Levels from the values at ``θ_0, ω_0`` (the check ``c_0 = 0``), then that check."""
        tick = time.perf_counter()
        key = (stepper.theta.tobytes(), stepper.w.tobytes(), tuple(t.name for t in self.targets))
        if key not in self._start_values:
            self._start_values[key] = self._values(0, stepper.theta, stepper.w, self.targets)
        self._start = values = self._start_values[key]
        for t in self.targets:
            if t.kind == "gap":
                t.level = values["J"] + t.fraction * (self._evaluator.J_star - values["J"])
            else:
                t.level = t.fraction * values["grad_norm_sq" if t.kind == "avg_grad" else "critic_gap"]
        self.seconds += time.perf_counter() - tick
        self.at_check(stepper)

    def at_check(self, stepper) -> None:
        """Check the pending targets at the stepper's count (a check); locate the newly reached ones on the
        fine grid of the bracket, whose copies the stepper recorded on its way (:meth:`_locate`); then ask
        it to record the fine grid of the next bracket."""
        tick = time.perf_counter()
        k = stepper.k
        values = self._start if k == 0 else self._values(k, stepper.theta, stepper.w, self._pending, self._last)
        newly = [t for t in self._pending if t.reached(values)]
        if newly:
            self._pending = [t for t in self._pending if t not in newly]
        if newly and not self.recorded and self._last is not None and k - self._last[0] > self.step:
            self._locate(stepper, newly, k)
        for t in newly:
            if t.hit is None:  # reached at c_0, or in a bracket of one step
                t.hit, t.hit_step = int(k), 0 if self._last is None else int(k - self._last[0])
            if t.hit_time is None:  # (and a hit found at the check itself)
                t.hit_time = stepper.clock()
        if self.pending:
            self._last = (int(k), values.get("grad_norm_sq"), values.get("area"))
            if k in self._copies:
                stepper.record_at(self._copies[k])
        self.seconds += time.perf_counter() - tick

    def _locate(self, stepper, newly: list[Target], k: int) -> None:
        """Locate ``newly`` (reached at the check ``k``, not at the previous one) by the two-level scan of
        the fine grid of the bracket (module docstring), on the stepper's recorded copies."""
        c0 = self._last[0]
        points, stride = scan_grid(c0, k, self.resolution, self.step)
        counts, thetas, ws, clocks = stepper.recorded
        if not np.array_equal(counts, points[:-1]):
            raise RuntimeError(f"the copies of the bracket ({c0}, {k}] are not its fine grid")
        points = points.tolist()  # point i < n − 1 is copy row i; the last is the check k itself
        n, h = len(points), points[0] - c0
        end_rows = list(range(stride - 1, n, stride)) + ([n - 1] if n % stride else [])
        ends = [points[i] for i in end_rows]

        def scan(rows, targets: list[Target]) -> dict:
            """``{name: (first point reached, its clock)}`` over the points of ``rows`` (ascending, copies), until
            every target of ``targets`` is reached."""
            found = {}
            for i in rows:
                p = points[i]
                values = self._values(p, thetas[i], ws[i], targets, self._last)
                for t in targets:
                    if t.name not in found and t.reached(values):
                        found[t.name] = (p, float(clocks[i]))
                if len(found) == len(targets):
                    break
            return found

        first_end = scan(end_rows[:-1], newly)
        by_end: dict[int, list[Target]] = {}
        for t in newly:
            by_end.setdefault(first_end.get(t.name, (int(k), None))[0], []).append(t)
        for end, group in sorted(by_end.items()):
            e = ends.index(end)
            found = scan(range(end_rows[e - 1] + 1 if e else 0, end_rows[e]), group)
            for t in group:
                # None at the check itself: at_check sets its clock
                t.hit, t.hit_time = found.get(t.name, first_end.get(t.name, (int(end), None)))
                t.hit_step = h

    def meta(self, wall_seconds: float) -> dict:
        """The run's metadata on its targets: the horizon (``run.samples``, whether or not the run stopped
        before), levels, hits (None when not reached), their clock times and fine steps, the stated
        resolution and the cost of the online evaluation."""
        return {
            "hit_horizon": int(self.checks[-1]),
            "hit_resolution": self.resolution,
            "hit_check_ratio": 1 + self.resolution if self.recorded else self.check_ratio,
            "target_levels": {t.name: t.level for t in self.targets},
            "hits": {t.name: t.hit for t in self.targets},
            "hit_times": {t.name: t.hit_time for t in self.targets},
            "hit_steps": {t.name: t.hit_step for t in self.targets},
            "target_evaluations": self.evaluations,
            "target_seconds": self.seconds,
            "target_cost_fraction": self.seconds / wall_seconds if wall_seconds > 0 else float("nan"),
        }


@dataclass
class _Recorded:
    """One check copy of a threads run, as :meth:`OnlineTargets.at_check` reads a stepper."""

    k: int
    theta: np.ndarray
    w: np.ndarray
    time_s: float

    def clock(self) -> float:
        return self.time_s


def evaluate_recorded(targets: OnlineTargets, k, theta, w, time_s) -> None:
    """Check ``targets`` (made with ``recorded=True``) on the copies of a threads run: rows ``k`` (increasing,
    from 0), ``theta``, ``w``, ``time_s`` (wall seconds), in count order until none is pending (module
    docstring); a row that is not finite ends the scan (the run diverged there)."""
    for i, count in enumerate(k):
        if i and not targets.pending:
            break
        if not (np.isfinite(theta[i]).all() and np.isfinite(w[i]).all()):
            break
        row = _Recorded(int(count), theta[i], w[i], float(time_s[i]))
        if i == 0:
            targets.start(row)
        else:
            targets.at_check(row)
