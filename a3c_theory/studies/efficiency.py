"""Parallel efficiency of the sample speedup, its three-way verdict, and where linear speedup ends.

Pure numpy/pandas, no plotting; shared by the speedup studies.

* **Efficiency.** ``E(N) = Speedup(N) / N = mean_i T_i(1) / mean_j T_j(N)`` with ``T`` the total samples to a
  target (paper eq. 1 divided by N). Its 95% interval is a percentile bootstrap of the ratio of means over
  seeds, each group resampled independently (:data:`stats.N_BOOTSTRAP` resamples, fixed stream).
* **Censoring.** A run that never reached the target within its horizon ``H`` needed more than ``H``
  samples. Its cost is replaced by ``H``, which can only *raise* ``E(N)``: such an estimate can still be
  "sub-linear" (even the raised interval lies below the threshold) or "undetermined", never "linear".
  A baseline (N = 1) run that never reached the target, or a target that θ_0 already meets (a cost of 0),
  makes ``E`` not estimable (NaN, "undetermined").
* **Three-way verdict** (threshold ``EFFICIENCY_LINEAR = 0.75``): "linear at N" when the interval lies
  above 0.75 (``lo > 0.75``), "sub-linear at N" when it lies below (``hi < 0.75``), "undetermined"
  otherwise. At N = 1, ``E = 1`` by definition and the verdict is "linear".
* **Linear up to N**: linear at every tried ``N' ≤ N``. :func:`linear_up_to` is the largest such N of the
  grid (1 when the first N > 1 tried is not linear).
* **N_max(K).** For a horizon K the target is the level that the N = 1 runs reach at K on average
  (``level(K) = mean_i y_i(K)``, ``y`` linearly interpolated between snapshots), so ``T(1) ≈ K``;
  ``N_max(K)`` = :func:`linear_up_to` of the verdicts at that target. Theorem 1 asks ``K_0 = O(K^{1/5})``
  (``K_0 ≈ N``) for linear speedup: a *sufficient* condition, so an empirical ``N_max ∝ K^a`` with
  ``a > 1/5`` is consistent with it, and ``a < 1/5`` would contradict it.
* **Power law.** :func:`fit_power_law`: least squares ``log N_max = c + a log K`` over the horizons whose
  ``N_max`` is inside the grid (a value at either end of the grid only bounds ``N_max``), with the
  Student-t interval of the slope. The points share runs, so the interval is optimistic. ``N_max`` only
  takes grid values: the true largest linear N lies in ``[N_max, N_next)`` (``N_next`` the next grid
  value), and :func:`exponent_bounds` gives every exponent ``a`` for which some line
  ``c + a log K`` passes through all these ranges.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as st

from ..errors import ValidationError
from .stats import BOOTSTRAP_INTERVAL, BOOTSTRAP_SEED, CONFIDENCE, N_BOOTSTRAP, Estimate, cost_arrays, first_crossing

EFFICIENCY_LINEAR = 0.75
"""Threshold of the three-way verdict on ``E(N) = Speedup(N)/N``."""

LINEAR, SUBLINEAR, UNDETERMINED = "linear", "sub-linear", "undetermined"

VERDICT_RULE = (f"E(N) = Speedup(N)/N; 95% bootstrap CI over seeds: above {EFFICIENCY_LINEAR} -> linear, "
                f"below -> sub-linear, else undetermined; 'linear up to N' = linear at every N' <= N")


@dataclass(frozen=True)
class EfficiencyEstimate(Estimate):
    """``E(N)`` with its bootstrap interval; ``censored`` counts the N-worker runs that never reached the
    target (their cost replaced by the horizon, see module docstring)."""

    censored: int = 0


def efficiency(base, scaled, horizon: float | None = None, level: float = CONFIDENCE,
               n_boot: int = N_BOOTSTRAP) -> EfficiencyEstimate:
    """``E = mean T(1) / mean T(N)`` from per-seed costs to target (``+inf`` = never reached).

    ``horizon``: the samples the N-worker runs had; needed when some of them never reached the target."""
    base, scaled = cost_arrays(base, scaled)
    n = int(min(base.size, scaled.size))
    nan = float("nan")
    censored = int(np.sum(~np.isfinite(scaled)))
    if not np.all(np.isfinite(base)):
        return EfficiencyEstimate(nan, nan, nan, n, BOOTSTRAP_INTERVAL, censored)
    if censored:
        if horizon is None or not np.isfinite(horizon) or horizon <= 0:
            raise ValidationError("horizon", "must be a positive number when a run never reached the target")
        scaled = np.where(np.isfinite(scaled), scaled, float(horizon))
    if np.any(scaled == 0) or np.any(base == 0):  # θ_0 already meets the target: no speedup to measure
        return EfficiencyEstimate(nan, nan, nan, n, BOOTSTRAP_INTERVAL, censored)
    point = float(base.mean() / scaled.mean())
    if base.size == scaled.size and np.array_equal(np.sort(base), np.sort(scaled)):
        return EfficiencyEstimate(1.0, 1.0, 1.0, n, BOOTSTRAP_INTERVAL, censored)  # the baseline against itself
    if base.size < 2 or scaled.size < 2:
        return EfficiencyEstimate(point, nan, nan, n, BOOTSTRAP_INTERVAL, censored)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    b = base[rng.integers(0, base.size, size=(n_boot, base.size))].mean(axis=1)
    s = scaled[rng.integers(0, scaled.size, size=(n_boot, scaled.size))].mean(axis=1)
    lo, hi = np.quantile(b / s, [0.5 - level / 2, 0.5 + level / 2])
    return EfficiencyEstimate(point, float(lo), float(hi), n, BOOTSTRAP_INTERVAL, censored)


def verdict(estimate: Estimate, workers: int = 2, threshold: float = EFFICIENCY_LINEAR) -> str:
    """The three-way verdict of the module docstring (a censored estimate is never "linear")."""
    if workers == 1:
        return LINEAR
    lo, hi = float(estimate.lo), float(estimate.hi)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return UNDETERMINED
    if hi < threshold:
        return SUBLINEAR
    if lo > threshold and not getattr(estimate, "censored", 0):
        return LINEAR
    return UNDETERMINED


def linear_up_to(verdicts: dict[int, str]) -> int:
    """Largest N of the grid with the verdict "linear" at every ``N' ≤ N`` (1 if the first N > 1 is not)."""
    last = 1
    for n in sorted(verdicts):
        if n > 1 and verdicts[n] != LINEAR:
            break
        last = int(n)
    return last


def first_sublinear(verdicts: dict[int, str]) -> int | None:
    """Smallest N of the grid with the verdict "sub-linear" (None if there is none)."""
    hits = [n for n in sorted(verdicts) if verdicts[n] == SUBLINEAR]
    return int(hits[0]) if hits else None


def paper_claim_verdict(verdicts: dict[int, str], option: str) -> str:
    """Verdict on the paper's speedup claim for one sampling option from ``{N: verdict}``: i.i.d. ("linear
    speedup") is *contradicted* when some N is sub-linear and *consistent* when every N > 1 is linear;
    Markovian ("roughly linear only for small N") is *reproduced* when the smallest N > 1 is linear and a larger
    one sub-linear, *contradicted* when every N > 1 is linear; anything else is *undetermined*."""
    ns = sorted(n for n in verdicts if n > 1)
    if not ns:
        return UNDETERMINED
    sub = [n for n in ns if verdicts[n] == SUBLINEAR]
    every = all(verdicts[n] == LINEAR for n in ns)
    if option == "iid":
        return "contradicted" if sub else ("consistent" if every else UNDETERMINED)
    if every:
        return "contradicted: no N is sub-linear"
    if sub:
        return "reproduced" if verdicts[ns[0]] == LINEAR else f"partly: sub-linear already at N = {sub[0]}"
    return UNDETERMINED


def speedup_verdicts(speedups: dict) -> dict[int, str]:
    """``{N: verdict}`` from sample speedups ``{N: Estimate}`` (``E = Speedup/N``, interval scaled alike)."""
    return {int(n): verdict(Estimate(e.value / n, e.lo / n, e.hi / n, e.n), int(n)) for n, e in speedups.items()}


# --------------------------------------------------------------------------- costs on curves
def cost_to_level(k, y, level: float, decreasing: bool = False) -> float:
    """First ``k`` with ``y ≥ level`` (``y ≤ level`` when ``decreasing``), interpolated; ``+inf`` if never."""
    y = np.asarray(y, dtype=float)
    return first_crossing(k, -y, -level) if decreasing else first_crossing(k, y, level)


def level_at(curves, K: float) -> float:
    """``mean_i y_i(K)``: the curves ``(k, y)`` linearly interpolated at ``K`` (each must reach K)."""
    values = []
    for k, y in curves:
        k = np.asarray(k, dtype=float)
        if not (k[0] <= K <= k[-1]):
            raise ValidationError("horizons", f"K = {K:g} lies outside a run's snapshots [{k[0]:g}, {k[-1]:g}]")
        values.append(np.interp(K, k, np.asarray(y, dtype=float)))
    return float(np.mean(values))


def efficiency_table(curves_by_workers: dict[int, list], levels: dict, decreasing: bool = False,
                     level: float = CONFIDENCE) -> pd.DataFrame:
    """``E(N)`` and its verdict for every worker count and every target level.

    ``curves_by_workers``: ``{N: [(k, y), ...]}`` (one curve per seed; N = 1 must be present);
    ``levels``: ``{label: level}``. Returns columns ``target, level, workers, efficiency, lo, hi, n,
    censored, verdict, cost_mean`` (``cost_mean``: mean samples to target, inf if a run never got there)."""
    if 1 not in curves_by_workers:
        raise ValidationError("workers", "needs runs with one worker as the baseline")
    rows = []
    for label, lev in levels.items():
        costs = {n: np.array([cost_to_level(k, y, lev, decreasing) for k, y in curves])
                 for n, curves in curves_by_workers.items()}
        for n in sorted(costs):
            horizon = min(float(np.asarray(k)[-1]) for k, _ in curves_by_workers[n])
            est = efficiency(costs[1], costs[n], horizon, level)
            rows.append({"target": label, "level": float(lev), "workers": int(n), "efficiency": est.value,
                         "lo": est.lo, "hi": est.hi, "n": est.n, "censored": est.censored,
                         "verdict": verdict(est, int(n)), "cost_mean": float(np.mean(costs[n]))})
    return pd.DataFrame(rows, columns=["target", "level", "workers", "efficiency", "lo", "hi", "n", "censored",
                                       "verdict", "cost_mean"])


def n_max_by_horizon(curves_by_workers: dict[int, list], horizons, decreasing: bool = False) -> pd.DataFrame:
    """``N_max(K)`` for every horizon ``K`` (module docstring): columns ``horizon, level, n_max,
    first_sublinear, censored, never_reached, runs`` where ``censored`` is "above" when every N of the grid
    is linear and "below" when N_max = 1 (then only a bound), else ""; ``never_reached`` counts the runs
    with N > 1 that never reached the level (of ``runs`` such runs): each costs the whole horizon, which
    weighs on the mean cost the more, the lower K is against the horizon.

    The efficiency rows behind it are :func:`efficiency_table` with ``levels = {K: level(K)}``."""
    grid = sorted(curves_by_workers)
    rows = []
    for K in horizons:
        lev = level_at(curves_by_workers[1], float(K))
        table = efficiency_table(curves_by_workers, {float(K): lev}, decreasing)
        verdicts = dict(zip(table["workers"], table["verdict"]))
        nmax = linear_up_to(verdicts)
        censored = "above" if nmax == grid[-1] else ("below" if nmax == grid[0] else "")
        above_1 = table["workers"] > 1
        rows.append({"horizon": float(K), "level": lev, "n_max": nmax, "first_sublinear": first_sublinear(verdicts),
                     "censored": censored, "never_reached": int(table.loc[above_1, "censored"].sum()),
                     "runs": int(table.loc[above_1, "n"].sum())})
    return pd.DataFrame(rows, columns=["horizon", "level", "n_max", "first_sublinear", "censored", "never_reached",
                                       "runs"])


def fit_power_law(x, y, level: float = CONFIDENCE) -> Estimate:
    """Slope ``a`` of ``log y = c + a log x`` by least squares, with its Student-t interval
    (``a ± t_{(1+level)/2, m−2} · se(a)``, m points). Needs ≥ 3 points with distinct ``x``."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValidationError("x", f"x and y must be equal-length 1-d arrays, got {x.shape} and {y.shape}")
    if np.any(x <= 0) or np.any(y <= 0) or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValidationError("y", "a power law needs positive finite x and y")
    m = x.size
    if m < 3 or np.unique(x).size < 2:
        nan = float("nan")
        return Estimate(nan, nan, nan, m, "least squares, Student t")
    lx, ly = np.log(x), np.log(y)
    fit = st.linregress(lx, ly)
    half = st.t.ppf(0.5 + level / 2, m - 2) * fit.stderr
    return Estimate(float(fit.slope), float(fit.slope - half), float(fit.slope + half), m,
                    "least squares, Student t")


def exponent_bounds(x, lower, upper) -> tuple[float, float]:
    """Range of slopes ``a`` such that some ``c`` has ``log lower_i ≤ c + a log x_i ≤ log upper_i`` for every
    i (the exponents a grid-quantised ``N_max`` allows): for ``x_i < x_j``,
    ``a ≥ (log lower_j − log upper_i) / (log x_j − log x_i)`` and ``a ≤ (log upper_j − log lower_i) /
    (log x_j − log x_i)``; ``(nan, nan)`` with fewer than 2 distinct x or when no line fits."""
    x, lo, hi = (np.log(np.asarray(v, dtype=float)) for v in (x, lower, upper))
    a_min, a_max = -np.inf, np.inf
    for i in range(x.size):
        for j in range(x.size):
            if x[j] > x[i]:
                dx = x[j] - x[i]
                a_min = max(a_min, (lo[j] - hi[i]) / dx)
                a_max = min(a_max, (hi[j] - lo[i]) / dx)
    if not (np.isfinite(a_min) and np.isfinite(a_max)) or a_min > a_max + 1e-9:
        return float("nan"), float("nan")
    return float(min(a_min, a_max)), float(max(a_min, a_max))  # (equal up to rounding for an exact power law)


# --------------------------------------------------------------------------- where E(N) crosses the threshold
def crossing_workers(workers, eff, threshold: float = EFFICIENCY_LINEAR) -> float:
    """``N*``: where the efficiency curve first falls below ``threshold``, interpolated linearly in
    ``log N`` between the last grid point at or above it and the first below it. ``+inf`` when no N of the
    grid falls below (``N*`` lies above the grid); NaN when an ``E`` before the crossing is NaN."""
    order = np.argsort(np.asarray(workers, dtype=float))
    n = np.asarray(workers, dtype=float)[order]
    e = np.asarray(eff, dtype=float)[order]
    for i in range(e.size):
        if np.isnan(e[i]):
            return float("nan")
        if e[i] < threshold:
            if i == 0:
                return float(n[0])
            t = (e[i - 1] - threshold) / (e[i - 1] - e[i])
            return float(np.exp(np.log(n[i - 1]) + t * (np.log(n[i]) - np.log(n[i - 1]))))
    return float("inf")


def _costs_by_horizon(curves_by_workers: dict[int, list], horizons, decreasing: bool) -> dict:
    """``{N: costs[seed, K]}`` to the levels ``level(K)`` of :func:`n_max_by_horizon` (a run that never got
    there costs its horizon, as in :func:`efficiency`; the baseline's must all be finite)."""
    levels = np.array([level_at(curves_by_workers[1], float(K)) for K in horizons])
    costs = {}
    for n, curves in curves_by_workers.items():
        c = np.array([[cost_to_level(k, y, lev, decreasing) for lev in levels] for k, y in curves])
        horizon = min(float(np.asarray(k)[-1]) for k, _ in curves)
        costs[int(n)] = c if n == 1 else np.where(np.isfinite(c), c, horizon)
    return costs


def crossing_by_horizon(curves_by_workers: dict[int, list], horizons, decreasing: bool = False,
                        level: float = CONFIDENCE, n_boot: int = 1000) -> tuple[np.ndarray, Estimate, float]:
    """``N*(K)`` (:func:`crossing_workers` of the point estimates ``E(N)`` at the targets of
    :func:`n_max_by_horizon`) for every horizon, and the exponent ``a`` of ``N* ∝ K^a``.

    ``a`` is the least-squares slope of ``log N*`` on ``log K`` over the horizons with ``N*`` inside the grid
    (≥ 3 needed); its interval is the percentile bootstrap over seeds: every N's runs are resampled (the
    same draw for all horizons, since they share runs; the levels stay those of the full sample), ``N*(K)``
    and the slope recomputed. Returns ``(N*, a, fitted)``, ``fitted`` the share of resamples with ≥ 3
    horizons inside the grid; below 0.95 the interval is NaN (the crossing leaves the grid too often)."""
    costs = _costs_by_horizon(curves_by_workers, horizons, decreasing)
    grid = sorted(costs)
    logk = np.log(np.asarray(horizons, dtype=float))

    def crossings(means: np.ndarray) -> np.ndarray:
        """``N*`` per horizon from mean costs ``[horizon, N]``."""
        if not np.all(np.isfinite(costs[1])):
            return np.full(logk.size, np.nan)
        return np.array([crossing_workers(grid, row[0] / row) for row in means])

    def slope(nstar: np.ndarray) -> float:
        inside = np.isfinite(nstar) & (nstar > grid[0])
        if inside.sum() < 3:
            return float("nan")
        return float(np.polyfit(logk[inside], np.log(nstar[inside]), 1)[0])

    point = crossings(np.stack([costs[n].mean(axis=0) for n in grid], axis=-1))
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    resampled = np.stack([costs[n][rng.integers(0, costs[n].shape[0], (n_boot, costs[n].shape[0]))].mean(axis=1)
                          for n in grid], axis=-1)  # [resample, horizon, N]
    draws = np.array([slope(crossings(means)) for means in resampled])
    fitted = float(np.mean(np.isfinite(draws)))
    lo = hi = float("nan")
    if fitted >= 0.95:
        lo, hi = np.quantile(draws[np.isfinite(draws)], [0.5 - level / 2, 0.5 + level / 2])
    a = slope(point)
    return point, Estimate(a, float(lo), float(hi), int(np.sum(np.isfinite(point) & (point > grid[0]))),
                           BOOTSTRAP_INTERVAL), fitted
