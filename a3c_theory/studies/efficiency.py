"""Parallel efficiency of the sample speedup, its three-way verdict, and where linear speedup ends.

Pure numpy/pandas, no plotting; shared by the speedup studies.

* **Efficiency.** ``E(N) = Speedup(N) / N = mean T(1) / mean T(N)`` with ``T`` the total samples to a target
  (paper eq. 1 divided by N), over the runs that reach the target: part (b) of the split estimand of
  :mod:`time_to_target`, the one speedup estimator. Its 95% interval is the bootstrap of
  :mod:`resample`, over seeds as blocks where the worker counts share seeds (common random numbers).
  Part (a), the share of runs that reach the target, has its own exact interval and test against N = 1
  and its own verdict (:func:`time_to_target.risk_verdict`); ERT (all runs) is reported beside E(N).
* **Censoring.** The rule of :mod:`time_to_target`: a run that never reached the target is a failure of
  part (a), not a cost. A cell with failures can be "linear" like any other. A baseline with no success,
  or a target that θ_0 already meets (a cost of 0), makes ``E`` not estimable (NaN, "undetermined").
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
* **Power law.** :func:`intervals.power_law`: least squares ``log N_max = c + a log K`` over the horizons
  whose ``N_max`` is inside the grid (a value at either end of the grid only bounds ``N_max``), with the
  Student-t interval of the slope. The points share runs, so the interval is optimistic. ``N_max`` only
  takes grid values: the true largest linear N lies in ``[N_max, N_next)`` (``N_next`` the next grid
  value), and :func:`exponent_bounds` gives every exponent ``a`` for which some line
  ``c + a log K`` passes through all these ranges.
"""

import warnings

import numpy as np
import pandas as pd

from ..errors import ValidationError
from . import resample, stats
from . import time_to_target as ttt
from .intervals import Estimate, power_law
from .resample import CONFIDENCE
from .stats import first_crossing

EFFICIENCY_LINEAR = 0.75
"""Threshold of the three-way verdict on ``E(N) = Speedup(N)/N``."""
LEVEL_DIGITS = 4
"""Significant digits a spec states a pilot level to (:func:`round_level`)."""

LINEAR, SUBLINEAR, UNDETERMINED = "linear", "sub-linear", "undetermined"

VERDICT_RULE = (f"E(N) = Speedup(N)/N over the runs that reach the target; 95% bootstrap CI over seeds (paired "
                f"where the N share seeds): above {EFFICIENCY_LINEAR} -> linear, below -> sub-linear, else "
                f"undetermined; 'linear up to N' = linear at every N' <= N")


CELL_COLUMNS = ("efficiency", "lo", "hi", "n", "runs", "censored", "verdict", "success", "success_lo",
                "success_hi", "success_p", "risk", "ert_efficiency", "ert_lo", "ert_hi", "paired", "mean_samples",
                "ert")
"""The columns of one efficiency cell (:func:`cell_row`): (b) E(N) over successes (``n`` of them) and its
verdict, (a) the success share with its Clopper–Pearson interval, exact test and risk verdict, ERT."""


def cell(base, base_horizon, scaled, scaled_horizon, seeds=None, level: float = CONFIDENCE) -> ttt.Cell:
    """The split-estimand cell of N workers' per-seed sample costs against one worker's
    (:func:`time_to_target.compare` with ``factor = 1``: its ratio is ``E(N)``)."""
    return ttt.compare(base, scaled, base_horizon, scaled_horizon, seeds=seeds, level=level)


def cell_row(c: ttt.Cell, workers: int) -> dict:
    """:data:`CELL_COLUMNS` of a cell at ``workers``."""
    e, a, r = c.ratio, c.success, c.ert_ratio
    return {"efficiency": e.value, "lo": e.lo, "hi": e.hi, "n": e.n, "runs": c.runs, "censored": c.failures,
            "verdict": verdict(e, workers), "success": a.value, "success_lo": a.lo, "success_hi": a.hi,
            "success_p": c.success_p, "risk": ttt.risk_verdict(c) if workers > 1 else ttt.UNDETERMINED,
            "ert_efficiency": r.value, "ert_lo": r.lo, "ert_hi": r.hi, "paired": c.paired,
            "mean_samples": c.mean_cost, "ert": c.ert}


def efficiency_estimate(row) -> Estimate:
    """E(N) with its bootstrap interval from a row of :func:`cell_row` (a table row with those columns, read
    by attribute: a ``DataFrame.itertuples`` tuple or a ``Series``)."""
    return Estimate(float(row.efficiency), float(row.lo), float(row.hi), int(row.n), resample.EXPANDED)


def verdict(estimate: Estimate, workers: int = 2, threshold: float = EFFICIENCY_LINEAR) -> str:
    """The three-way verdict of the module docstring."""
    if workers == 1:
        return LINEAR
    lo, hi = float(estimate.lo), float(estimate.hi)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return UNDETERMINED
    if hi < threshold:
        return SUBLINEAR
    if lo > threshold:
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


REGIME_CONSTANT = 1.0
"""``c`` of the theorem's regime ``N − 1 ≤ c·K^{1/5}`` (Theorem 1's ``K_0 = O(K^{1/5})`` with round-robin
delays ``K_0 = N − 1``; the O(·) hides a constant, set to 1 here)."""
OUTSIDE = "outside the theorem's regime"


def in_regime(workers: int, K: float, c: float = REGIME_CONSTANT) -> bool:
    """Whether N round-robin workers stay inside Theorem 1's regime, ``N − 1 ≤ c·K^{1/5}``, with ``K`` the
    updates one worker needs to reach the target."""
    return bool(np.isfinite(K) and workers - 1 <= c * K ** 0.2)


def paper_claim_verdict(verdicts: dict[int, str], option: str, K: float | None = None) -> str:
    """Verdict on the paper's speedup claim for one sampling option from ``{N: verdict}``.

    i.i.d. ("linear speedup", Theorem 1): with ``K`` (the updates one worker needs to reach the target) only
    the N inside the theorem's regime (:func:`in_regime`) can contradict it: *contradicted* when some N
    there is sub-linear, *consistent* when every N > 1 there is linear (a sub-linear N outside is said so),
    :data:`OUTSIDE` when no N > 1 lies inside, *undetermined* otherwise. Without ``K`` every N counts.
    Markovian ("roughly linear for small N"): *reproduced* when the smallest N > 1 is linear and a larger one
    sub-linear; *consistent* when every N > 1 is linear (the claim does not say where linearity ends);
    "partly" when the smallest N > 1 is already sub-linear; *undetermined* otherwise (naming the first
    sub-linear N, if any)."""
    ns = sorted(n for n in verdicts if n > 1)
    if not ns:
        return UNDETERMINED
    sub = [n for n in ns if verdicts[n] == SUBLINEAR]
    if option == "iid":
        inside = ns if K is None else [n for n in ns if in_regime(n, K)]
        if not inside:
            return OUTSIDE
        sub_inside = [n for n in inside if verdicts[n] == SUBLINEAR]
        if sub_inside:
            return "contradicted"
        if all(verdicts[n] == LINEAR for n in inside):
            outside = [n for n in sub if n not in inside]
            return "consistent" + (f" (sub-linear from N = {outside[0]}: {OUTSIDE}, N − 1 > K^(1/5) = "
                                   f"{K ** 0.2:.3g})" if outside else "")
        return UNDETERMINED
    if all(verdicts[n] == LINEAR for n in ns):
        return "consistent: linear at every N"
    if sub and verdicts[ns[0]] == LINEAR:
        return "reproduced"
    if verdicts[ns[0]] == SUBLINEAR:
        return f"partly: sub-linear already at N = {ns[0]}"
    return UNDETERMINED + (f" (sub-linear from N = {sub[0]})" if sub else "")


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
                     level: float = CONFIDENCE, seeds: dict | None = None) -> pd.DataFrame:
    """``E(N)`` and its verdict for every worker count and every target level, by :func:`cell`.

    ``curves_by_workers``: ``{N: [(k, y), ...]}`` (one curve per seed; N = 1 must be present);
    ``levels``: ``{label: level}``; ``seeds``: ``{N: [seed of each curve]}`` to pair the worker counts (None:
    unpaired). Returns columns ``target, level, workers`` and :data:`CELL_COLUMNS`."""
    if 1 not in curves_by_workers:
        raise ValidationError("workers", "needs runs with one worker as the baseline")
    horizons = {n: [float(np.asarray(k)[-1]) for k, _ in curves] for n, curves in curves_by_workers.items()}
    rows = []
    for label, lev in levels.items():
        costs = {n: np.array([cost_to_level(k, y, lev, decreasing) for k, y in curves])
                 for n, curves in curves_by_workers.items()}
        for n in sorted(costs):
            c = cell(costs[1], horizons[1], costs[n], horizons[n],
                     None if seeds is None else (seeds[1], seeds[n]), level)
            rows.append({"target": label, "level": float(lev), "workers": int(n), **cell_row(c, int(n))})
    return pd.DataFrame(rows, columns=["target", "level", "workers", *CELL_COLUMNS])


def round_level(level: float, digits: int = LEVEL_DIGITS) -> float:
    """``level`` rounded to ``digits`` significant digits: the precision a spec states a pilot level to."""
    if not (np.isfinite(level) and level != 0):
        return float(level)
    return float(round(float(level), digits - 1 - int(np.floor(np.log10(abs(level))))))


def costs_from_curves(curves_by_workers: dict[int, list], levels, decreasing: bool = False) -> dict:
    """``{N: costs[level, seed]}``: each curve's first crossing of each level (:func:`cost_to_level`; ``+inf``
    where it never gets there), in the seed order of the curves."""
    return {int(n): np.array([[cost_to_level(k, y, lev, decreasing) for k, y in curves] for lev in levels])
            for n, curves in curves_by_workers.items()}


def cells_by_horizon(costs: dict, run_horizons: dict, horizons, seeds: dict | None = None,
                     level: float = CONFIDENCE) -> pd.DataFrame:
    """The split-estimand cell (:func:`cell`, :data:`CELL_COLUMNS`) of every N against N = 1 at every horizon's
    target, plus the verdict of the ERT ratio (``ert_verdict``, the same three-way rule on ERT) and whether
    N is inside Theorem 1's regime at K (:func:`in_regime`).

    ``costs``: ``{N: costs[horizon, seed]}`` to the target of each horizon ``K`` (the level one worker
    reaches at K, so ``T(1) ≈ K``), ``+inf`` where a run never got there; ``run_horizons``: ``{N: horizon of
    each run}`` (its ``run.samples``); ``seeds``: ``{N: seeds}`` to pair the worker counts."""
    if 1 not in costs:
        raise ValidationError("workers", "needs runs with one worker as the baseline")
    rows = []
    for i, K in enumerate(horizons):
        for n in sorted(costs):
            c = cell(costs[1][i], run_horizons[1], costs[n][i], run_horizons[n],
                     None if seeds is None else (seeds[1], seeds[n]), level)
            row = cell_row(c, int(n))
            ert = Estimate(row["ert_efficiency"], row["ert_lo"], row["ert_hi"], c.runs)
            rows.append({"horizon": float(K), "workers": int(n), **row, "ert_verdict": verdict(ert, int(n)),
                         "in_regime": in_regime(int(n), float(K))})
    return pd.DataFrame(rows, columns=["horizon", "workers", *CELL_COLUMNS, "ert_verdict", "in_regime"])


def n_max_by_horizon(cells: pd.DataFrame) -> pd.DataFrame:
    """``N_max(K)`` (module docstring) from the cells of :func:`cells_by_horizon`: columns ``horizon, n_max,
    n_max_ert, first_sublinear, censored, never_reached, runs, risk_from, regime_n, theorem``.

    ``n_max`` rests on E(N) over the runs that reach the target (part (b)), ``n_max_ert`` on the ERT ratio
    (beside it: a run stuck for good costs its whole horizon there); ``censored`` is "above" when every N of
    the grid is linear and "below" when N_max = 1 (then only a bound), else ""; ``never_reached`` counts the
    runs with N > 1 that never reached the level (of ``runs`` such runs); ``risk_from`` is the smallest N
    whose share of runs reaching the level is lower than one worker's (exact test; 0 if none); ``regime_n``
    the largest N of the grid inside the theorem's regime at K; ``theorem`` the verdict of
    :func:`paper_claim_verdict` on the N inside that regime."""
    rows = []
    for K, table in cells.groupby("horizon", sort=True):
        grid = sorted(table["workers"])
        verdicts = dict(zip(table["workers"], table["verdict"]))
        nmax = linear_up_to(verdicts)
        censored = "above" if nmax == grid[-1] else ("below" if nmax == grid[0] else "")
        above_1 = table["workers"] > 1
        risk = ttt.risk_raised_from(dict(zip(table["workers"], table["risk"])))
        rows.append({"horizon": float(K), "n_max": nmax,
                     "n_max_ert": linear_up_to(dict(zip(table["workers"], table["ert_verdict"]))),
                     "first_sublinear": first_sublinear(verdicts), "censored": censored,
                     "never_reached": int(table.loc[above_1, "censored"].sum()),
                     "runs": int(table.loc[above_1, "runs"].sum()), "risk_from": int(risk or 0),
                     "regime_n": int(max(n for n in grid if in_regime(n, float(K)))),
                     "theorem": paper_claim_verdict(verdicts, "iid", float(K))})
    return pd.DataFrame(rows, columns=["horizon", "n_max", "n_max_ert", "first_sublinear", "censored",
                                       "never_reached", "runs", "risk_from", "regime_n", "theorem"])


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
def antitonic(values) -> np.ndarray:
    """The least-squares non-increasing fit of a sequence (pool adjacent violators, equal weights)."""
    means, sizes = [], []
    for v in np.asarray(values, dtype=float):
        means.append(float(v))
        sizes.append(1)
        while len(means) > 1 and means[-2] < means[-1]:
            m, w = means.pop(), sizes.pop()
            means[-1] = (means[-1] * sizes[-1] + m * w) / (sizes[-1] + w)
            sizes[-1] += w
    return np.repeat(means, sizes)


def crossing_workers(workers, eff, threshold: float = EFFICIENCY_LINEAR) -> float:
    """``N*``: where the efficiency curve falls below ``threshold``. The curve is the non-increasing
    least-squares fit (:func:`antitonic`) of ``E`` over the N where it is defined (a dip of one noisy N is
    pooled with its neighbours instead of setting N*), interpolated linearly in ``log N`` between the last N
    at or above the threshold and the first below it. ``+inf`` when no N falls below (``N*`` lies above the
    grid); the smallest N when the first already does; NaN when ``E`` is defined at fewer than 2 N."""
    order = np.argsort(np.asarray(workers, dtype=float))
    n = np.asarray(workers, dtype=float)[order]
    e = np.asarray(eff, dtype=float)[order]
    keep = np.isfinite(e)
    if keep.sum() < 2:
        return float("nan")
    n, e = n[keep], antitonic(e[keep])
    below = np.flatnonzero(e < threshold)
    if below.size == 0:
        return float("inf")
    i = int(below[0])
    if i == 0:
        return float(n[0])
    t = (e[i - 1] - threshold) / (e[i - 1] - e[i])
    return float(np.exp(np.log(n[i - 1]) + t * (np.log(n[i]) - np.log(n[i - 1]))))


def crossing_by_horizon(costs: dict, horizons, seeds: dict | None = None, level: float = CONFIDENCE,
                        n_boot: int = 2000) -> tuple[np.ndarray, Estimate, float]:
    """``N*(K)`` (:func:`crossing_workers` of the point estimates ``E(N)`` over the runs that reach the target,
    paired by seed where ``seeds`` pairs the N) for every horizon of ``costs`` (``{N: costs[horizon, seed]}``,
    as in :func:`cells_by_horizon`), and the exponent ``a`` of ``N* ∝ K^a``.

    ``a`` is the :func:`intervals.power_law` exponent of ``N*`` on ``K`` over the horizons whose point ``N*``
    lies inside the grid (≥ 3 needed). Its interval is :func:`resample.bootstrap` over seeds: one draw of
    seeds for all horizons (they share runs) and for all N too when they are paired (common random
    numbers: a seed is a block); in each resample the same horizons are refitted, and a resample in which one
    of them leaves the grid is undefined (more than 5% undefined: no interval). Returns ``(N*, a, share of
    resamples defined)``."""
    grid = sorted(costs)
    K = np.asarray(horizons, dtype=float)
    samples, paired = [np.where(np.isfinite(costs[n]), costs[n], np.nan) for n in grid], False
    if seeds is not None:
        samples, paired = resample.by_seed(*[(seeds[n], samples[i]) for i, n in enumerate(grid)])

    def crossings(groups) -> np.ndarray:
        """``N*`` per horizon (and resample) from the costs of every N, E(N) over successes."""
        pairs = [ttt.successes(groups[0], g, paired) for g in groups]
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # the mean of a cell without a success is NaN
            eff = np.stack([np.nanmean(b, axis=-1) / np.nanmean(g, axis=-1) for b, g in pairs])
        return np.apply_along_axis(lambda e: crossing_workers(grid, e), 0, eff)  # [horizon(, resample)]

    point = crossings(samples)
    fitted = np.isfinite(point) & (point > grid[0])

    def exponent(nstar: np.ndarray) -> float:
        if fitted.sum() < 3 or not (np.all(np.isfinite(nstar[fitted])) and np.all(nstar[fitted] > grid[0])):
            return float("nan")
        return power_law(K[fitted], nstar[fitted])[0].value

    def statistic(*groups, axis=-1):
        nstar = crossings(groups)
        return exponent(nstar) if nstar.ndim == 1 else np.array([exponent(nstar[:, b]) for b in range(nstar.shape[1])])

    iv = resample.bootstrap(statistic, samples, paired=paired, level=level, n_resamples=n_boot)
    return point, Estimate(exponent(point), iv.lo, iv.hi, int(fitted.sum()), iv.method), iv.defined


def seeds_for_width(width: float, seeds: int, target: float) -> float:
    """Seeds for an interval of width ``width`` at ``seeds`` seeds to shrink to ``target``, its standard error
    scaling as ``1/√seeds``: ``seeds · (width / target)²`` (rounded up); NaN without a finite width."""
    if not (np.isfinite(width) and width > 0 and target > 0):
        return float("nan")
    return float(np.ceil(seeds * (width / target) ** 2))


def curves_per_run(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per run of a speedup-type study: its keys (``c_alpha`` NaN without an ``algorithm.c_alpha`` column) and its curves
    (k, gap fraction closed, avg ‖∇J‖² / ‖∇J(θ_0)‖²)."""
    stats.need(runs, "run_id", "kind", "sampling", "delay", "workers", "seed", "samples", "gap", "grad_norm_sq",
               "avg_grad_norm_sq")
    has_c = "algorithm.c_alpha" in runs.columns
    firsts, arrays = stats.run_arrays(runs, ["samples", "gap", "avg_grad_norm_sq"])
    rows = []
    for values, k, gap, grad in zip(firsts.itertuples(index=False), arrays["samples"], arrays["gap"],
                                    arrays["avg_grad_norm_sq"]):
        first = dict(zip(firsts.columns, values))
        rows.append({"run_id": first["run_id"], "kind": first["kind"], "sampling": first["sampling"],
                     "delay": first["delay"],
                     "c_alpha": float(first["algorithm.c_alpha"]) if has_c else np.nan,
                     "workers": int(first["workers"]),
                     "seed": int(first["seed"]), "k": k, "closed": 1.0 - gap / gap[0], "grad": grad / grad[0]})
    return pd.DataFrame(rows)
