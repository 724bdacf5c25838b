"""Numbers behind the figures: samples/time to target, speedup (paper eq. 1), empirical rates, CI bands.

Pure numpy/scipy, no plotting. A *metric table* is the dict of equal-length columns written by
``evaluate.evaluate`` (one row per snapshot: ``samples``, ``time_s``, ``J``, ``gap`` = J* − J, ...).

Conventions stated once here:

* **Target.** ``level = J0 + f · (J* − J0)`` with ``f ∈ (0, 1]`` the fraction of the initial optimality
  gap to close. ``J0`` defaults to the table's first ``J`` (θ_0), ``J*`` to ``J[0] + gap[0]``.
* **Crossing.** The first snapshot interval ``[x_i, x_{i+1}]`` with ``J_i < level ≤ J_{i+1}`` is
  interpolated linearly; a table that starts at or above ``level`` gives ``x_0``; one that **never**
  reaches it gives ``+inf`` (never NaN: NaN is kept for "not estimable", e.g. a CI from one seed).
* **Speedup (DESIGN.md §1, paper eq. 1).** ``Speedup(N) = T(1) / (T(N) / N)`` with ``T`` the total
  samples to target (sample speedup), and ``T_time(1) / T_time(N)`` (runtime speedup). Over seeds the
  point estimate is the ratio of the seed means; its 95% CI is a percentile bootstrap over seeds (each
  group resampled independently, 4000 resamples, fixed seed so the report is reproducible). If any run
  of a group never reached the target the estimate is NaN and, when the horizon is known, the
  returned ``upper_bound = mean T(1) · N / horizon`` bounds it from above (every such run needed more
  than ``horizon`` samples).
* **Means over seeds.** Student-t 95% interval ``mean ± t_{0.975, n−1} · sd / √n`` (sd with ``n − 1``);
  NaN bounds for a single seed.
* **Rates.** Slope of ``log y`` against ``log K`` by least squares over the last ``decades`` decades of
  ``K`` (``K ∈ [K_max / 10^decades, K_max]``, ``K > 0``), one slope per seed, then the t-interval.
  Corollary 1 predicts ``(1/K) Σ_k E‖∇J(θ_k)‖² = O(K^{−2/5}) + O(ε_app)``: reference slope −2/5.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .errors import ValidationError

THEORY_SLOPE = -0.4
"""Corollary 1 (i.i.d.): running averages of ‖∇J‖² and ‖w − w*‖² decay like K^{-2/5}."""

CONFIDENCE = 0.95
N_BOOTSTRAP = 4000
BOOTSTRAP_SEED = 20121551
"""Fixed bootstrap stream (arXiv 2012.15511): the same inputs always give the same interval."""


# --------------------------------------------------------------------------- validation helpers
def _fraction(target_fraction) -> float:
    try:
        f = float(target_fraction)
    except (TypeError, ValueError):
        raise ValidationError("target_fraction", f"must be a number in (0, 1], got {target_fraction!r}") from None
    if not (0.0 < f <= 1.0):
        raise ValidationError("target_fraction", f"must lie in (0, 1], got {target_fraction!r}")
    return f


def _column(table, name: str, field: str = "table") -> np.ndarray:
    if not isinstance(table, dict) and not hasattr(table, "__getitem__"):
        raise ValidationError(field, f"must be a metric table (dict of columns), got {type(table).__name__}")
    try:
        col = np.asarray(table[name], dtype=float)
    except KeyError:
        raise ValidationError(f"{field}.{name}", "column is missing") from None
    if col.ndim != 1 or col.size == 0:
        raise ValidationError(f"{field}.{name}", f"must be a non-empty 1-d column, got shape {col.shape}")
    if np.any(np.isnan(col)):
        raise ValidationError(f"{field}.{name}", "contains NaN")
    return col


def _confidence(level) -> float:
    level = float(level)
    if not (0.0 < level < 1.0):
        raise ValidationError("level", f"must lie in (0, 1), got {level!r}")
    return level


# --------------------------------------------------------------------------- target crossings
def target_level(J0: float, Jstar: float, target_fraction: float = 0.9) -> float:
    """``J0 + f · (J* − J0)``: the objective value at which a fraction ``f`` of the gap is closed."""
    f = _fraction(target_fraction)
    J0, Jstar = float(J0), float(Jstar)
    if not (np.isfinite(J0) and np.isfinite(Jstar)):
        raise ValidationError("J0" if not np.isfinite(J0) else "Jstar", "must be finite")
    if Jstar < J0:
        raise ValidationError("Jstar", f"must be >= J0 (J* is the optimum), got J*={Jstar:.6g} < J0={J0:.6g}")
    return J0 + f * (Jstar - J0)


def first_crossing(x, y, level: float) -> float:
    """First ``x`` at which ``y ≥ level``, linearly interpolated between the bracketing snapshots.

    Returns ``x[0]`` when ``y[0] ≥ level`` and ``+inf`` when ``y`` never reaches ``level``.
    ``x`` must be non-decreasing (sample counts or clock times).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size == 0:
        raise ValidationError("x", f"x and y must be equal-length non-empty 1-d arrays, got {x.shape} and {y.shape}")
    if np.any(np.diff(x) < 0):
        raise ValidationError("x", "must be non-decreasing")
    above = np.flatnonzero(y >= level)
    if above.size == 0:
        return float("inf")
    i = int(above[0])
    if i == 0:
        return float(x[0])
    x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
    return float(x0 + (level - y0) * (x1 - x0) / (y1 - y0))


def _to_target(table, xcol: str, target_fraction, J0, Jstar) -> float:
    f = _fraction(target_fraction)
    J = _column(table, "J")
    x = _column(table, xcol)
    if J0 is None:
        J0 = J[0]
    if Jstar is None:
        Jstar = J[0] + _column(table, "gap")[0]
    return first_crossing(x, J, target_level(J0, Jstar, f))


def samples_to_target(table, target_fraction: float = 0.9, J0: float | None = None,
                      Jstar: float | None = None) -> float:
    """Total samples (global update count ``k``) at which ``J(θ_k)`` first reaches
    ``J0 + f (J* − J0)``; ``+inf`` if never reached within the table (see module docstring)."""
    return _to_target(table, "samples", target_fraction, J0, Jstar)


def time_to_target(table, target_fraction: float = 0.9, J0: float | None = None,
                   Jstar: float | None = None) -> float:
    """Like :func:`samples_to_target` on the ``time_s`` column (wall clock in threads mode, the
    simulated clock in simulated/sync mode)."""
    return _to_target(table, "time_s", target_fraction, J0, Jstar)


# --------------------------------------------------------------------------- means and intervals
def mean_ci(values, level: float = CONFIDENCE, axis: int = 0):
    """Mean and Student-t interval over ``axis`` (the seeds): returns ``(mean, lo, hi)``.

    ``lo, hi = mean ∓ t_{(1+level)/2, n−1} · sd / √n``; NaN bounds when ``n < 2``.
    """
    level = _confidence(level)
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        raise ValidationError("values", "is empty")
    n = v.shape[axis]
    mean = v.mean(axis=axis)
    if n < 2:
        nan = np.full_like(mean, np.nan, dtype=float)
        return mean, nan, nan.copy()
    half = stats.t.ppf(0.5 + level / 2, n - 1) * v.std(axis=axis, ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a confidence interval; ``n`` counts the runs it came from."""

    mean: float
    lo: float
    hi: float
    n: int


@dataclass(frozen=True)
class SpeedupEstimate(Estimate):
    """Speedup with its bootstrap CI. ``unreached`` counts runs (both groups) that never hit the
    target; then ``mean`` is NaN and ``upper_bound`` (if a horizon was given) bounds the speedup."""

    unreached: int = 0
    upper_bound: float = float("nan")


def speedup(base, scaled, workers: int, kind: str = "sample", horizon: float | None = None,
            level: float = CONFIDENCE, n_boot: int = N_BOOTSTRAP) -> SpeedupEstimate:
    """Speedup of ``workers`` workers over one worker (paper eq. 1).

    ``base``: per-seed cost to target with 1 worker; ``scaled``: the same with ``workers`` workers.
    ``kind="sample"``: costs are total samples, ``Speedup = mean T(1) / (mean T(N) / N)``.
    ``kind="runtime"``: costs are times, ``Speedup = mean T(1) / mean T(N)``.
    CI: percentile bootstrap of the ratio of means over seeds (module docstring).
    """
    if kind not in ("sample", "runtime"):
        raise ValidationError("kind", f"must be 'sample' or 'runtime', got {kind!r}")
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValidationError("workers", f"must be an integer >= 1, got {workers!r}")
    level = _confidence(level)
    base = np.asarray(base, dtype=float).ravel()
    scaled = np.asarray(scaled, dtype=float).ravel()
    for name, arr in (("base", base), ("scaled", scaled)):
        if arr.size == 0:
            raise ValidationError(name, "needs at least one run")
        if np.any(np.isnan(arr)) or np.any(arr < 0):
            raise ValidationError(name, "costs to target must be >= 0 (inf for never reached), not NaN")
    factor = workers if kind == "sample" else 1
    n = int(min(base.size, scaled.size))
    unreached = int(np.sum(~np.isfinite(base)) + np.sum(~np.isfinite(scaled)))
    if unreached:
        upper = float("nan")
        if horizon is not None and np.all(np.isfinite(base)) and not np.all(np.isfinite(scaled)):
            upper = float(base.mean() * factor / float(horizon))
        nan = float("nan")
        return SpeedupEstimate(nan, nan, nan, n, unreached, upper)
    if np.any(scaled == 0):
        raise ValidationError("scaled", "a cost to target of 0 means θ_0 already meets the target; lower it")
    point = float(base.mean() * factor / scaled.mean())
    if workers == 1 and np.array_equal(np.sort(base), np.sort(scaled)):
        return SpeedupEstimate(1.0, 1.0, 1.0, n)  # the baseline against itself: 1 by definition
    if base.size < 2 or scaled.size < 2:
        return SpeedupEstimate(point, float("nan"), float("nan"), n)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    b = base[rng.integers(0, base.size, size=(n_boot, base.size))].mean(axis=1)
    s = scaled[rng.integers(0, scaled.size, size=(n_boot, scaled.size))].mean(axis=1)
    ratios = b * factor / s
    lo, hi = np.quantile(ratios, [0.5 - level / 2, 0.5 + level / 2])
    return SpeedupEstimate(point, float(lo), float(hi), n)


# --------------------------------------------------------------------------- rates
def fit_loglog_slope(k, y, decades: float = 2.0) -> tuple[float, float]:
    """Least-squares fit ``log10 y = a + s · log10 k`` over ``k ∈ [k_max / 10^decades, k_max]``, ``k > 0``.

    Returns ``(s, a)``. Needs at least 3 points with ``y > 0`` in the window.
    """
    decades = float(decades)
    if not (decades > 0 and np.isfinite(decades)):
        raise ValidationError("decades", f"must be a positive number, got {decades!r}")
    k = np.asarray(k, dtype=float)
    y = np.asarray(y, dtype=float)
    if k.shape != y.shape or k.ndim != 1:
        raise ValidationError("k", f"k and y must be equal-length 1-d arrays, got {k.shape} and {y.shape}")
    pos = k > 0
    if not np.any(pos):
        raise ValidationError("k", "has no positive entries")
    kmax = k[pos].max()
    window = pos & (k >= kmax / 10**decades) & np.isfinite(y) & (y > 0)
    if window.sum() < 3:
        raise ValidationError("y", f"needs >= 3 positive points in the last {decades:g} decades of k, "
                              f"got {int(window.sum())}")
    slope, intercept = np.polyfit(np.log10(k[window]), np.log10(y[window]), 1)
    return float(slope), float(intercept)


def slope_over_seeds(curves, decades: float = 2.0, level: float = CONFIDENCE) -> tuple[Estimate, np.ndarray]:
    """One :func:`fit_loglog_slope` per seed (``curves``: iterable of ``(k, y)``), then the t-interval.

    Returns ``(Estimate, per_seed_slopes)``.
    """
    slopes = np.array([fit_loglog_slope(k, y, decades)[0] for k, y in curves], dtype=float)
    if slopes.size == 0:
        raise ValidationError("curves", "needs at least one (k, y) curve")
    mean, lo, hi = mean_ci(slopes, level)
    return Estimate(float(mean), float(lo), float(hi), slopes.size), slopes


# --------------------------------------------------------------------------- bands over seeds
def common_grid(curves, n_points: int = 200, log: bool = False) -> np.ndarray:
    """A grid on the x-range every curve covers: ``[max_i min x_i, min_i max x_i]``, so no curve
    is extrapolated. ``log`` spaces it geometrically (the lower end is then the smallest positive x)."""
    if n_points < 2:
        raise ValidationError("n_points", f"must be >= 2, got {n_points}")
    curves = list(curves)
    if not curves:
        raise ValidationError("curves", "needs at least one (x, y) curve")
    xs = [np.asarray(x, dtype=float) for x, _ in curves]
    if log:
        lo = max(x[x > 0].min() for x in xs)
    else:
        lo = max(x.min() for x in xs)
    hi = min(x.max() for x in xs)
    if not hi > lo:
        raise ValidationError("curves", f"x-ranges do not overlap ([{lo:.6g}, {hi:.6g}])")
    return np.geomspace(lo, hi, n_points) if log else np.linspace(lo, hi, n_points)


def band(curves, grid=None, level: float = CONFIDENCE, n_points: int = 200, log: bool = False) -> dict:
    """Mean and t-interval over seeds of curves ``(x, y)`` interpolated linearly onto a common grid.

    ``grid`` defaults to :func:`common_grid`. When every curve has the same x-values they are used as
    they are (no interpolation). Returns columns ``x, mean, lo, hi`` and the seed count ``n``.
    """
    curves = [(np.asarray(x, dtype=float), np.asarray(y, dtype=float)) for x, y in curves]
    if not curves:
        raise ValidationError("curves", "needs at least one (x, y) curve")
    for i, (x, y) in enumerate(curves):
        if x.shape != y.shape or x.ndim != 1 or x.size < 2:
            raise ValidationError(f"curves[{i}]", f"x and y must be equal-length 1-d arrays with >= 2 points")
        if np.any(np.diff(x) < 0):
            raise ValidationError(f"curves[{i}]", "x must be non-decreasing")
    same = grid is None and all(x.shape == curves[0][0].shape and np.array_equal(x, curves[0][0])
                                for x, _ in curves)
    if same:
        grid = curves[0][0]
        values = np.vstack([y for _, y in curves])
    else:
        grid = common_grid(curves, n_points, log) if grid is None else np.asarray(grid, dtype=float)
        values = np.vstack([np.interp(grid, x, y) for x, y in curves])
    mean, lo, hi = mean_ci(values, level)
    return {"x": grid, "mean": mean, "lo": lo, "hi": hi, "n": len(curves)}


# --------------------------------------------------------------------------- tidy tables
# A *tidy table* stacks the metric tables of many runs: equal-length columns, one row per snapshot of
# one run, with run-level columns (``run_id``, ``seed``, ``workers``, ``sampling``, ...) repeated on
# every row of that run. The helpers below select rows and regroup them into per-run metric tables.
def _as_tidy(table) -> dict:
    if not isinstance(table, dict) or not table:
        raise ValidationError("table", "must be a non-empty dict of equal-length columns")
    lengths = {name: len(col) for name, col in table.items()}
    if len(set(lengths.values())) != 1:
        raise ValidationError("table", f"columns must have equal lengths, got {lengths}")
    return {name: np.asarray(col) for name, col in table.items()}


def select(table, **where) -> dict:
    """Rows whose columns equal the given values (a list/tuple value means "any of these")."""
    table = _as_tidy(table)
    mask = np.ones(len(next(iter(table.values()))), dtype=bool)
    for name, value in where.items():
        if name not in table:
            raise ValidationError(f"table.{name}", "column is missing")
        values = list(value) if isinstance(value, (list, tuple, set)) else [value]
        mask &= np.isin(table[name], values)
    return {name: col[mask] for name, col in table.items()}


def unique(table, column: str) -> list:
    """Sorted distinct values of a column (as Python scalars)."""
    table = _as_tidy(table)
    if column not in table:
        raise ValidationError(f"table.{column}", "column is missing")
    return [v.item() if hasattr(v, "item") else v for v in np.unique(table[column])]


def split_runs(table) -> list[dict]:
    """One metric table per ``run_id``, in order of first appearance, rows sorted by ``samples``."""
    table = _as_tidy(table)
    if "run_id" not in table:
        raise ValidationError("table.run_id", "column is missing")
    ids, first = np.unique(table["run_id"], return_index=True)
    runs = []
    for run_id in ids[np.argsort(first)]:
        rows = np.flatnonzero(table["run_id"] == run_id)
        if "samples" in table:
            rows = rows[np.argsort(table["samples"][rows], kind="stable")]
        runs.append({name: col[rows] for name, col in table.items()})
    return runs


def run_value(run: dict, column: str):
    """The run-level value of ``column`` (constant over the run's rows)."""
    if column not in run:
        raise ValidationError(f"table.{column}", "column is missing")
    value = run[column][0]
    return value.item() if hasattr(value, "item") else value


def costs_to_target(table, cost: str = "samples", target_fraction: float = 0.9) -> dict:
    """Per run: cost (``"samples"`` or ``"time"``) to close ``target_fraction`` of the gap.

    One target per table: ``J0`` and ``J*`` are the medians over runs of ``J[0]`` and ``J[0] + gap[0]``
    (every run of one instance starts from the same θ_0, so they agree; the median guards against a
    run evaluated on another instance being mixed in). Call it on one instance at a time.
    Returns columns ``run_id, workers, seed, cost, horizon`` (``horizon``: the run's last value of
    ``samples`` or ``time_s``).
    """
    if cost not in ("samples", "time"):
        raise ValidationError("cost", f"must be 'samples' or 'time', got {cost!r}")
    runs = split_runs(table)
    J0 = float(np.median([_column(r, "J")[0] for r in runs]))
    Jstar = float(np.median([_column(r, "J")[0] + _column(r, "gap")[0] for r in runs]))
    fn = samples_to_target if cost == "samples" else time_to_target
    xcol = "samples" if cost == "samples" else "time_s"
    out = {"run_id": [], "workers": [], "seed": [], "cost": [], "horizon": []}
    for r in runs:
        out["run_id"].append(run_value(r, "run_id"))
        out["workers"].append(int(run_value(r, "workers")))
        out["seed"].append(int(run_value(r, "seed")))
        out["cost"].append(fn(r, target_fraction, J0, Jstar))
        out["horizon"].append(float(_column(r, xcol)[-1]))
    return {k: np.asarray(v) for k, v in out.items()}


def speedup_table(table, cost: str = "samples", target_fraction: float = 0.9,
                  level: float = CONFIDENCE) -> dict:
    """Speedup (paper eq. 1) for every worker count in ``table`` against its ``workers == 1`` runs.

    ``cost="samples"`` gives the sample speedup, ``cost="time"`` the runtime speedup (see
    :func:`speedup`). Returns columns ``workers, speedup, lo, hi, n, unreached, upper_bound,
    cost_mean, cost_lo, cost_hi, horizon`` (``cost_*``: mean and t-interval of the cost itself, inf if any
    run never reached the target; ``horizon``: the smallest last ``samples``/``time_s`` of those runs).
    """
    costs = costs_to_target(table, cost, target_fraction)
    if 1 not in set(costs["workers"].tolist()):
        raise ValidationError("table.workers", "needs runs with workers = 1 as the speedup baseline")
    base = costs["cost"][costs["workers"] == 1]
    rows = {k: [] for k in ("workers", "speedup", "lo", "hi", "n", "unreached", "upper_bound",
                            "cost_mean", "cost_lo", "cost_hi", "horizon")}
    for n_workers in sorted(set(costs["workers"].tolist())):
        mask = costs["workers"] == n_workers
        scaled = costs["cost"][mask]
        est = speedup(base, scaled, n_workers, "sample" if cost == "samples" else "runtime",
                      horizon=float(np.min(costs["horizon"][mask])), level=level)
        if np.all(np.isfinite(scaled)):
            c_mean, c_lo, c_hi = mean_ci(scaled, level)
        else:
            c_mean = c_lo = c_hi = float("inf")
        for key, value in (("workers", n_workers), ("speedup", est.mean), ("lo", est.lo), ("hi", est.hi),
                           ("n", scaled.size), ("unreached", int(np.sum(~np.isfinite(scaled)))),
                           ("upper_bound", est.upper_bound), ("cost_mean", float(c_mean)),
                           ("cost_lo", float(c_lo)), ("cost_hi", float(c_hi)),
                           ("horizon", float(np.min(costs["horizon"][mask])))):
            rows[key].append(value)
    return {k: np.asarray(v) for k, v in rows.items()}
