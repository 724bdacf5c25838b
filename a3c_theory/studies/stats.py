"""Numbers behind every study: targets and crossings, speedup (paper eq. 1), intervals, slopes, bands.

Pure numpy/scipy/pandas, no plotting. A *runs table* is a :class:`pandas.DataFrame` with one row per
snapshot of one run: the metric columns written by ``evaluate`` (``samples``, ``time_s``, ``J``,
``gap`` = J* − J, ...) plus run-level columns (``run_id``, ``seed``, ``workers``, ``mode``, ...) that are
constant over a run's rows.

Conventions stated once here:

* **Target.** ``level = J0 + f · (J* − J0)`` with ``f ∈ (0, 1]`` the fraction of the initial optimality
  gap to close. ``J0`` and ``J*`` are the medians over the runs of ``J[0]`` and ``J[0] + gap[0]``.
* **Crossing.** The first snapshot interval ``[x_i, x_{i+1}]`` with ``J_i < level ≤ J_{i+1}`` is
  interpolated linearly; a run that starts at or above ``level`` gives ``x_0``; one that **never**
  reaches it gives ``+inf`` (never NaN: NaN is kept for "not estimable", e.g. an interval from one seed).
  A run that diverged (its ``outcome`` column, when the table has one, is ``"diverged"``;
  :mod:`a3c_theory.divergence`) counts as never reaching it, whatever its rows before the divergence show.
* **Speedup (paper eq. 1).** ``Speedup(N) = T(1) / (T(N) / N)`` with ``T`` the total samples to target
  (sample speedup), and ``T_time(1) / T_time(N)`` (runtime speedup), estimated by the split estimand of
  :mod:`time_to_target` (the one speedup estimator, with its one censoring rule): the share of runs that
  reach the target, the ratio of the mean costs over the runs that reach it (a bootstrap interval over
  seeds, paired when the groups share seeds), and ERT beside it.
* **Means over seeds.** Quantities of either sign: Student-t interval (:mod:`intervals`). Quantities that
  cannot be negative (costs, times, throughputs, gaps): a percentile bootstrap of the mean
  (:func:`positive_mean_ci`, :mod:`resample`), which stays inside ``[min, max]`` of the seeds and so never
  goes below zero. NaN bounds for a single seed.
* **Rates.** Slope of ``log y`` against ``log K`` (:func:`intervals.power_law`) over the last ``decades``
  decades of ``K`` (``K ∈ [K_max / 10^decades, K_max]``, ``K > 0``), one slope per seed, then the t-interval.
  Corollary 1 predicts ``(1/K) Σ_k E‖∇J(θ_k)‖² = O(K^{−2/5}) + O(ε_app)``: reference slope −2/5.
* **Linear speedup**: :mod:`a3c_theory.studies.efficiency` (``E(N) = Speedup(N)/N``, three-way verdict).

The crossing of a run (:func:`first_crossing`, from its snapshots) is the one source of costs to target;
:func:`costs_to_target` applies it to a runs table.
"""

import numpy as np
import pandas as pd

from ..divergence import DIVERGED
from ..engine.targets import target_name
from ..errors import ValidationError
from . import hits, time_to_target
from .intervals import T_INTERVAL, Estimate, mean_ci, mean_estimate, power_law  # noqa: F401 (the studies' names)
from .resample import CONFIDENCE, N_BOOTSTRAP, PERCENTILE, bootstrap

THEORY_SLOPE = -0.4
"""Corollary 1 (i.i.d.): running averages of ‖∇J‖² and ‖w − w*‖² decay like K^{-2/5}."""

BOOTSTRAP_INTERVAL = PERCENTILE


def fraction(target_fraction, field: str = "target_fraction") -> float:
    """``target_fraction`` as a float in (0, 1]; a ValidationError naming ``field`` otherwise."""
    try:
        f = float(target_fraction)
    except (TypeError, ValueError):
        raise ValidationError(field, f"must be a number in (0, 1], got {target_fraction!r}") from None
    if not (0.0 < f <= 1.0):
        raise ValidationError(field, f"must lie in (0, 1], got {target_fraction!r}")
    return f


# --------------------------------------------------------------------------- estimates
def _non_negative(values) -> np.ndarray:
    """``values`` as a flat float array, checked: non-empty, every entry ``>= 0`` (``inf`` = a target never
    reached), none NaN."""
    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0:
        raise ValidationError("values", "is empty")
    if np.any(np.isnan(v)) or np.any(v < 0):
        raise ValidationError("values", "must be >= 0 (inf for never reached), not NaN")
    return v


def positive_mean_ci(values, level: float = CONFIDENCE, n_boot: int = N_BOOTSTRAP) -> Estimate:
    """Mean of a non-negative quantity with a percentile-bootstrap interval over seeds (:mod:`resample`).

    Every resampled mean lies in ``[min x_i, max x_i]``, so the interval never leaves the quantity's sign
    (a Student-t interval from 2 seeds can go far below zero). ``+inf`` entries (a target never reached)
    give ``value = lo = hi = +inf``; one seed gives NaN bounds."""
    v = _non_negative(values)
    if not np.all(np.isfinite(v)):
        return Estimate(float("inf"), float("inf"), float("inf"), v.size, BOOTSTRAP_INTERVAL)
    iv = bootstrap(lambda x, axis=-1: x.mean(axis=axis), [v], level=level, n_resamples=n_boot)
    return Estimate(float(v.mean()), iv.lo, iv.hi, v.size, BOOTSTRAP_INTERVAL)


# --------------------------------------------------------------------------- target crossings
def target_level(J0: float, Jstar: float, target_fraction: float = 0.9) -> float:
    """``J0 + f · (J* − J0)``: the objective value at which a fraction ``f`` of the gap is closed."""
    f = fraction(target_fraction)
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


# --------------------------------------------------------------------------- runs of a runs table
def need(runs: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``runs`` itself, after checking it is a non-empty DataFrame with every column in ``columns``."""
    if not isinstance(runs, pd.DataFrame) or runs.empty:
        raise ValidationError("runs", "must be a non-empty DataFrame (one row per snapshot of one run)")
    for col in columns:
        if col not in runs.columns:
            raise ValidationError(f"runs.{col}", "column is missing")
    return runs


def split_runs(runs: pd.DataFrame) -> list[pd.DataFrame]:
    """One DataFrame per ``run_id``, in order of first appearance, rows sorted by ``samples``."""
    need(runs, "run_id", "samples")
    return [group.sort_values("samples", kind="stable") for _, group in runs.groupby("run_id", sort=False)]


def run_arrays(runs: pd.DataFrame, columns) -> tuple[pd.DataFrame, dict[str, list[np.ndarray]]]:
    """What :func:`split_runs` gives, without a DataFrame per run: the first row of every run (in order of
    first appearance) and, per column, one float array per run in the same order, sorted by ``samples``."""
    need(runs, "run_id", "samples", *columns)
    order = pd.factorize(runs["run_id"])[0]
    rows = np.lexsort((runs["samples"].to_numpy(float), order))  # stable: ties keep their order
    ordered = runs.iloc[rows]
    bounds = np.flatnonzero(np.diff(order[rows])) + 1
    firsts = ordered.iloc[np.r_[0, bounds]] if len(ordered) else ordered
    return firsts, {c: np.split(ordered[c].to_numpy(float), bounds) for c in columns}


def groups(runs: pd.DataFrame, columns) -> dict[tuple, pd.DataFrame]:
    """The rows of every distinct combination of ``columns`` (keys: tuples of Python scalars), ordered by
    the text of the key."""
    found = {tuple(v.item() if hasattr(v, "item") else v for v in key): rows
             for key, rows in need(runs, *columns).groupby(list(columns), sort=False)}
    return {key: found[key] for key in sorted(found, key=str)}


def column(run: pd.DataFrame, name: str) -> np.ndarray:
    """A run's column as a float array (a ValidationError names a missing column)."""
    need(run, name)
    return run[name].to_numpy(dtype=float)


def curves(runs: pd.DataFrame, x: str, y: str, positive_x: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(x, y)`` of every run, keeping finite ``y`` (and ``x > 0`` when ``positive_x``)."""
    out = []
    for run in split_runs(runs):
        xs, ys = column(run, x), column(run, y)
        keep = np.isfinite(ys) & (xs > 0 if positive_x else np.ones_like(xs, dtype=bool))
        out.append((xs[keep], ys[keep]))
    return out


def reference_levels(runs: pd.DataFrame) -> tuple[float, float]:
    """``(J0, J*)``: medians over runs of ``J[0]`` and ``J[0] + gap[0]`` (every run of one instance starts
    from the same θ_0, so they agree; the median guards against a run of another instance mixed in)."""
    split = split_runs(need(runs, "J", "gap"))
    J0 = float(np.median([column(r, "J")[0] for r in split]))
    Jstar = float(np.median([column(r, "J")[0] + column(r, "gap")[0] for r in split]))
    return J0, Jstar


def costs_to_target(runs: pd.DataFrame, cost: str = "samples", target_fraction: float = 0.9) -> pd.DataFrame:
    """Per run: cost (``"samples"`` or ``"time"``) to close ``target_fraction`` of the gap (one target for
    the table: :func:`reference_levels`; call it on one instance at a time).

    Returns columns ``run_id, workers, seed, cost, horizon`` (``horizon``: the run's last value of
    ``samples`` or ``time_s``); a diverged run's cost is ``+inf`` (module docstring)."""
    if cost not in ("samples", "time"):
        raise ValidationError("cost", f"must be 'samples' or 'time', got {cost!r}")
    f = fraction(target_fraction)
    J0, Jstar = reference_levels(runs)
    level = target_level(J0, Jstar, f)
    xcol = "samples" if cost == "samples" else "time_s"
    firsts, arrays = run_arrays(need(runs, "workers", "seed"), [xcol, "J"])
    diverged = (firsts["outcome"] == DIVERGED).to_numpy() if "outcome" in firsts else np.zeros(len(firsts), bool)
    return pd.DataFrame({"run_id": firsts["run_id"].to_numpy(), "workers": firsts["workers"].to_numpy(int),
                         "seed": firsts["seed"].to_numpy(int),
                         "cost": [np.inf if bad else first_crossing(x, J, level)
                                  for x, J, bad in zip(arrays[xcol], arrays["J"], diverged)],
                         "horizon": [float(x[-1]) for x in arrays[xcol]]},
                        columns=["run_id", "workers", "seed", "cost", "horizon"])


SPEEDUP_COLUMNS = ("workers", "speedup", "lo", "hi", "n", "unreached", "success", "success_lo", "success_hi",
                   "success_p", "ert_speedup", "ert_lo", "ert_hi", "paired", "cost_mean", "cost_lo", "cost_hi",
                   "horizon")


def speedup_table(runs: pd.DataFrame, cost: str = "samples", target_fraction: float = 0.9,
                  level: float = CONFIDENCE, meta: pd.DataFrame | None = None) -> pd.DataFrame:
    """Speedup (paper eq. 1) for every worker count in ``runs`` against its ``workers == 1`` runs, by the
    split estimand (:func:`time_to_target.compare`, paired by seed where the worker counts share seeds).

    ``cost="samples"``: sample speedup ``N · mean T(1) / mean T(N)``; ``cost="time"``: runtime speedup
    ``mean T(1) / mean T(N)``, both over the runs that reach the target. Returns one row per worker count with
    columns :data:`SPEEDUP_COLUMNS`: ``n`` the successes behind the speedup, ``unreached`` the runs that never
    reached the target, ``success*`` part (a) with its exact test against N = 1, ``ert_*`` the same ratio of
    ERTs, ``cost_*`` the mean cost over the successes with its :func:`positive_mean_ci` interval, ``horizon``
    the smallest last ``samples``/``time_s`` of those runs. ``meta``: the runs' metadata; a run that recorded
    the gap target ``target_fraction`` online contributes that hitting time (``hits.with_online``)."""
    costs = hits.with_online(costs_to_target(runs, cost, target_fraction), meta, target_name("gap", target_fraction),
                             cost)
    if not (costs["workers"] == 1).any():
        raise ValidationError("runs.workers", "needs runs with workers = 1 as the speedup baseline")
    base = costs[costs["workers"] == 1]
    rows = []
    for n_workers, group in costs.groupby("workers", sort=True):
        factor = int(n_workers) if cost == "samples" else 1
        cell = time_to_target.compare(base["cost"], group["cost"], base["horizon"], group["horizon"],
                                      seeds=(base["seed"], group["seed"]), factor=factor, level=level)
        reached = group["cost"].to_numpy(float)
        reached = reached[np.isfinite(reached)]
        c = positive_mean_ci(reached, level) if reached.size else Estimate(np.nan, np.nan, np.nan, 0)
        r, e, a = cell.ratio, cell.ert_ratio, cell.success
        rows.append((int(n_workers), r.value, r.lo, r.hi, r.n, cell.failures, a.value, a.lo, a.hi, cell.success_p,
                     e.value, e.lo, e.hi, cell.paired, c.value, c.lo, c.hi, float(group["horizon"].min())))
    return pd.DataFrame(rows, columns=list(SPEEDUP_COLUMNS))


def estimates(table: pd.DataFrame, value: str = "speedup", lo: str = "lo", hi: str = "hi",
              interval: str = BOOTSTRAP_INTERVAL) -> dict[int, Estimate]:
    """``{workers: Estimate}`` from the rows of a :func:`speedup_table` (``value``/``lo``/``hi`` name the
    columns: the speedup, or ``cost_mean``/``cost_lo``/``cost_hi``)."""
    return {int(r.workers): Estimate(float(getattr(r, value)), float(getattr(r, lo)), float(getattr(r, hi)),
                                     int(r.n), interval) for r in table.itertuples()}


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
    slope, scale = power_law(k[window], y[window])
    return float(slope.value), float(np.log10(scale))


def slope_over_seeds(curves, decades: float = 2.0, level: float = CONFIDENCE) -> Estimate:
    """One :func:`fit_loglog_slope` per seed (``curves``: iterable of ``(k, y)``), then the t-interval."""
    slopes = np.array([fit_loglog_slope(k, y, decades)[0] for k, y in curves], dtype=float)
    if slopes.size == 0:
        raise ValidationError("curves", "needs at least one (k, y) curve")
    return mean_estimate(slopes, level)


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
    lo = max(x[x > 0].min() for x in xs) if log else max(x.min() for x in xs)
    hi = min(x.max() for x in xs)
    if not hi > lo:
        raise ValidationError("curves", f"x-ranges do not overlap ([{lo:.6g}, {hi:.6g}])")
    return np.geomspace(lo, hi, n_points) if log else np.linspace(lo, hi, n_points)


def band(curves, grid=None, level: float = CONFIDENCE, n_points: int = 200, log: bool = False) -> pd.DataFrame:
    """Mean and t-interval over seeds of curves ``(x, y)`` interpolated linearly onto a common grid.

    ``grid`` defaults to :func:`common_grid`. When every curve has the same x-values they are used as
    they are (no interpolation). Returns columns ``x, mean, lo, hi, seeds``.
    """
    curves = [(np.asarray(x, dtype=float), np.asarray(y, dtype=float)) for x, y in curves]
    if not curves:
        raise ValidationError("curves", "needs at least one (x, y) curve")
    for i, (x, y) in enumerate(curves):
        if x.shape != y.shape or x.ndim != 1 or x.size < 2:
            raise ValidationError(f"curves[{i}]", "x and y must be equal-length 1-d arrays with >= 2 points")
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
    return pd.DataFrame({"x": grid, "mean": mean, "lo": lo, "hi": hi, "seeds": len(curves)})
