"""The one speedup estimator of the studies: a time-to-target cell split into its two parts, with one
censoring rule.

A *cell* holds per-seed costs to one target (samples or seconds) of a group (N workers, a delay τ, an A2C
variant) and of its baseline (N = 1, τ = 0, A3C), each with the horizon its run had. A cost of ``+inf``
means the run never reached the target within its horizon. That is the censoring rule, the same in every
study: such a run is a *failure* of part (a). It is not a long run of part (b), and no horizon stands in
for its cost.

* **(a) Success.** The share of runs that reach the target within the horizon, with its Clopper–Pearson
  interval, and the exact test of a change against the baseline (:func:`intervals.success_change_p`:
  McNemar on paired seeds, Fisher otherwise). :func:`risk_verdict`: "risk raised" when the test rejects at
  ``1 − level`` and the group succeeds less often, "risk lowered" when it rejects the other way,
  "undetermined" otherwise.
* **(b) Time among successes.** ``ratio = factor · mean_{successes} T_base / mean_{successes} T`` (for
  sample costs and ``factor = 1`` this is ``E(N) = Speedup(N)/N``; ``factor = N`` gives the speedup). On
  paired seeds the successes are the seeds whose runs reach the target in both groups (a seed is kept or
  left out as a block, so both means are over the same seeds); unpaired, each group's own. Its interval
  is :func:`resample.bootstrap`'s expanded percentile interval of the same statistic (:data:`METHOD`: the plain
  percentile interval covers too little at 10–20 seeds). A resample with no success in a group is
  undefined (:data:`resample.MAX_UNDEFINED`). A censored cell can be linear like any other: the
  conditional ratio does not depend on how many runs failed, only on how fast the others were.
* **ERT** (optimisation benchmarking's aRT; ``cocopp.toolsstats.sp`` of COCO): total cost spent over all runs (a success
  spends its cost, a failure its horizon) divided by the number of successes (``+inf`` without one). It
  combines (a) and (b). ``ert_ratio = factor · ERT_base / ERT`` is reported beside ``ratio`` with its own
  bootstrap interval. Since (b) conditions on an event whose probability may depend on N, a claim says
  which of the two it rests on (:data:`RESTS_ON`).
* **Pairing.** Groups with the same seeds (common random numbers: a seed's per-worker streams do not
  depend on N or τ) are paired. Their bootstrap resamples seeds as blocks, and the success test is McNemar's.
  Otherwise each group is resampled on its own (:func:`resample.by_seed`).
"""

from dataclasses import dataclass

import numpy as np

from ..errors import ValidationError
from . import intervals
from . import resample
from .intervals import Estimate

RAISED, LOWERED, UNDETERMINED = "risk raised", "risk lowered", "undetermined"
METHOD = "expanded"
"""The bootstrap interval of every ratio, difference and mean here (``resample.bootstrap``'s ``method``)."""
RESTS_ON = "E(N) rests on the time to target among the runs that reach it; ERT (all runs) beside it"


def costs(values, field: str = "costs") -> np.ndarray:
    """Per-run costs to target as a float array, checked: non-empty, each ``>= 0`` (``inf``: never reached)."""
    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0:
        raise ValidationError(field, "needs at least one run")
    if np.any(np.isnan(v)) or np.any(v < 0):
        raise ValidationError(field, "costs to target must be >= 0 (inf for never reached), not NaN")
    return v


def _horizons(horizon, cost: np.ndarray, field: str) -> np.ndarray:
    """Per-run horizons (a scalar is every run's), checked: positive and finite."""
    h = np.broadcast_to(np.asarray(horizon, dtype=float), cost.shape).astype(float)
    if not np.all(np.isfinite(h) & (h > 0)):
        raise ValidationError(field, "horizons must be positive and finite")
    return h


def _successes(x: np.ndarray) -> np.ndarray:
    """Costs with failures as NaN: the sample of part (b)."""
    return np.where(np.isfinite(x), x, np.nan)


def successes(a: np.ndarray, b: np.ndarray, paired: bool) -> tuple[np.ndarray, np.ndarray]:
    """The samples of part (b) for two groups (failures NaN): on paired seeds a seed that fails in either
    group is NaN in both (module docstring). Works on arrays with leading axes (seeds last)."""
    if paired:
        both = np.isfinite(a) & np.isfinite(b)
        return np.where(both, a, np.nan), np.where(both, b, np.nan)
    return _successes(a), _successes(b)


def _signed_spent(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Cost spent per run, negative for a failure (so one array carries both what ERT needs)."""
    return np.where(np.isfinite(x), x, -h)


def _ert(spent: np.ndarray, axis: int = -1) -> np.ndarray:
    """ERT from :func:`_signed_spent` along ``axis``."""
    return np.abs(spent).sum(axis=axis) / (spent >= 0).sum(axis=axis)


def ert(cost, horizon) -> float:
    """Expected running time: total cost spent over all runs / successes (module docstring)."""
    c = costs(cost)
    with np.errstate(divide="ignore"):
        return float(_ert(_signed_spent(c, _horizons(horizon, c, "horizon"))))


def _mean_ratio(a: np.ndarray, b: np.ndarray, factor: float, axis: int = -1) -> np.ndarray:
    """``factor · nanmean(a) / nanmean(b)``; NaN where a group has no success or a mean is 0."""
    ma, mb = np.nanmean(a, axis=axis), np.nanmean(b, axis=axis)
    return np.where((ma > 0) & (mb > 0), factor * ma / mb, np.nan)


def ratio_among_successes(numerator, denominator, *, seeds=None, factor: float = 1.0,
                          level: float = resample.CONFIDENCE, n_resamples: int = resample.N_BOOTSTRAP) -> Estimate:
    """``factor · mean T_num / mean T_den`` over the successes of each group, with its bootstrap interval
    (paired when ``seeds = (seeds_num, seeds_den)`` line the groups up, :func:`resample.by_seed`). NaN
    when a group has no success or θ_0 already meets the target (a mean cost of 0)."""
    a, b = costs(numerator, "numerator"), costs(denominator, "denominator")
    (a, b), paired = _align(a, b, seeds)
    return _ratio(a, b, paired, factor, level, n_resamples)


def _ratio(a: np.ndarray, b: np.ndarray, paired: bool, factor: float, level: float, n_resamples: int) -> Estimate:
    sa, sb = successes(a, b, paired)
    with np.errstate(invalid="ignore"):
        point = float(_mean_ratio(sa, sb, factor)) if np.isfinite(sa).any() and np.isfinite(sb).any() else np.nan
    n = int(min(np.isfinite(sa).sum(), np.isfinite(sb).sum()))
    if not np.isfinite(point):
        return Estimate(np.nan, np.nan, np.nan, n, resample.PAIRED if paired else resample.PERCENTILE)
    iv = resample.bootstrap(lambda x, y, axis=-1: _mean_ratio(x, y, factor, axis), [sa, sb], paired=paired,
                            method=METHOD, level=level, n_resamples=n_resamples)
    return Estimate(point, iv.lo, iv.hi, n, iv.method)


def difference_among_successes(a, b, *, seeds=None, level: float = resample.CONFIDENCE,
                               n_resamples: int = resample.N_BOOTSTRAP) -> Estimate:
    """``mean T_a − mean T_b`` over the successes of each group with its bootstrap interval (paired as in
    :func:`ratio_among_successes`); NaN when a group has no success."""
    a, b = costs(a, "a"), costs(b, "b")
    (a, b), paired = _align(a, b, seeds)
    sa, sb = successes(a, b, paired)
    n = int(min(np.isfinite(sa).sum(), np.isfinite(sb).sum()))
    method = resample.PAIRED if paired else resample.PERCENTILE
    if n == 0:
        return Estimate(np.nan, np.nan, np.nan, n, method)
    iv = resample.bootstrap(lambda x, y, axis=-1: np.nanmean(x, axis=axis) - np.nanmean(y, axis=axis), [sa, sb],
                            paired=paired, method=METHOD, level=level, n_resamples=n_resamples)
    return Estimate(float(np.nanmean(sa) - np.nanmean(sb)), iv.lo, iv.hi, n, iv.method)


def mean_among_successes(cost, level: float = resample.CONFIDENCE,
                         n_resamples: int = resample.N_BOOTSTRAP) -> Estimate:
    """Mean cost over the runs that reached the target, with its expanded percentile-bootstrap interval over seeds
    (inside ``[min, max]`` of the successes, so never below 0); NaN without a success."""
    s = _successes(costs(cost))
    n = int(np.isfinite(s).sum())
    if n == 0:
        return Estimate(np.nan, np.nan, np.nan, 0, resample.PERCENTILE)
    iv = resample.bootstrap(lambda x, axis=-1: np.nanmean(x, axis=axis), [s], method=METHOD, level=level,
                            n_resamples=n_resamples)
    return Estimate(float(np.nanmean(s)), iv.lo, iv.hi, n, iv.method)


def _align(a: np.ndarray, b: np.ndarray, seeds) -> tuple[list[np.ndarray], bool]:
    if seeds is None:
        return [a, b], False
    return resample.by_seed((seeds[0], a), (seeds[1], b))


@dataclass(frozen=True)
class Cell:
    """Both parts of a cell against its baseline (module docstring)."""

    success: Estimate
    """(a) share of the group's runs reaching the target (Clopper–Pearson)."""
    base_success: Estimate
    success_p: float
    """Exact test of a change of (a) against the baseline."""
    ratio: Estimate
    """(b) ``factor · mean T_base / mean T`` over successes (``E(N)`` for ``factor = 1``)."""
    ert: float
    base_ert: float
    ert_ratio: Estimate
    """``factor · ERT_base / ERT`` with its bootstrap interval."""
    mean_cost: float
    """Mean cost of the group over its successes (NaN without one)."""
    paired: bool
    runs: int
    failures: int
    """Runs of the group that never reached the target."""


def compare(base, scaled, base_horizon, scaled_horizon, *, seeds=None, factor: float = 1.0,
            level: float = resample.CONFIDENCE, n_resamples: int = resample.N_BOOTSTRAP) -> Cell:
    """The cell of ``scaled`` against ``base`` (module docstring). ``*_horizon``: each run's horizon (or one
    for all); ``seeds``: ``(seeds_base, seeds_scaled)`` to pair them."""
    b, s = costs(base, "base"), costs(scaled, "scaled")
    hb, hs = _horizons(base_horizon, b, "base_horizon"), _horizons(scaled_horizon, s, "scaled_horizon")
    (b, hb, s, hs), paired = ((b, hb, s, hs), False) if seeds is None else \
        _pairs(resample.by_seed((seeds[0], np.vstack([b, hb])), (seeds[1], np.vstack([s, hs]))))
    level = resample.confidence(level)
    ok_b, ok_s = np.isfinite(b), np.isfinite(s)
    p = intervals.success_change_p(ok_b, ok_s, paired)
    ratio = _ratio(b, s, paired, factor, level, n_resamples)
    eb, es = _signed_spent(b, hb), _signed_spent(s, hs)
    with np.errstate(divide="ignore", invalid="ignore"):
        ert_b, ert_s = float(_ert(eb)), float(_ert(es))
        ert_point = factor * ert_b / ert_s if np.isfinite(ert_b) and ert_s > 0 else np.nan
    if np.isfinite(ert_b) and ok_s.any():
        iv = resample.bootstrap(lambda x, y, axis=-1: factor * _ert(x, axis) / _ert(y, axis), [eb, es],
                                paired=paired, method=METHOD, level=level, n_resamples=n_resamples)
        ert_ratio = Estimate(float(ert_point), iv.lo, iv.hi, s.size, iv.method)
    else:
        ert_ratio = Estimate(float(0.0 if np.isfinite(ert_b) else np.nan), np.nan, np.nan, s.size, resample.PERCENTILE)
    return Cell(intervals.success_rate(int(ok_s.sum()), s.size, level),
                intervals.success_rate(int(ok_b.sum()), b.size, level), p, ratio, ert_s, ert_b, ert_ratio,
                float(s[ok_s].mean()) if ok_s.any() else np.nan, paired, int(s.size), int((~ok_s).sum()))


def _pairs(aligned) -> tuple[tuple, bool]:
    """``(cost, horizon)`` rows of :func:`resample.by_seed`'s two stacked groups, unstacked."""
    (gb, gs), paired = aligned
    return (gb[0], gb[1], gs[0], gs[1]), paired


def risk_verdict(cell: Cell, level: float = resample.CONFIDENCE) -> str:
    """Part (a)'s verdict of the module docstring."""
    return _risk(cell.success_p, cell.success.value, cell.base_success.value, level)


def risk(base, scaled, *, seeds=None, level: float = resample.CONFIDENCE) -> str:
    """:func:`risk_verdict` from the costs alone (paired when ``seeds`` line the groups up)."""
    (b, s), paired = _align(costs(base, "base"), costs(scaled, "scaled"), seeds)
    ok_b, ok_s = np.isfinite(b), np.isfinite(s)
    return _risk(intervals.success_change_p(ok_b, ok_s, paired), ok_s.mean(), ok_b.mean(), level)


def _risk(p: float, rate: float, base_rate: float, level: float) -> str:
    if p < 1.0 - level:
        return RAISED if rate < base_rate else LOWERED
    return UNDETERMINED


def risk_raised_from(risks: dict):
    """Smallest key (N) whose :func:`risk_verdict` is "risk raised" (None if there is none)."""
    hits = [n for n in sorted(risks) if risks[n] == RAISED]
    return hits[0] if hits else None
