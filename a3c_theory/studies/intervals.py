"""Closed-form intervals and exact tests of the studies, all from :mod:`scipy.stats`.

* **Mean** (quantities of either sign): Student-t ``mean ± t_{(1+level)/2, n−1} · sd/√n``.
* **Difference of means** ``mean(a) − mean(b)``: paired t (``scipy.stats.ttest_rel``) when the two samples
  are the same seeds (common random numbers), Welch t (``ttest_ind(equal_var=False)``) otherwise.
* **Success probability**: ``k`` successes of ``n`` runs, the exact Clopper–Pearson interval
  (``binomtest(...).proportion_ci("exact")``), which covers at least ``level`` for every ``p``.
* **Did N change the success probability** (against the baseline): on paired seeds the exact McNemar test,
  a two-sided binomial test of the discordant pairs (seeds that succeed in one group only) against 1/2;
  on unpaired groups Fisher's exact test of the 2×2 table.
* **Power law** ``y = C x^a``: least squares of ``log y`` on ``log x``; ``a`` with its Student-t interval
  ``a ± t_{(1+level)/2, m−2} · se(a)`` over ``m`` points (``scipy.stats.linregress``).
"""

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..errors import ValidationError
from .resample import CONFIDENCE, confidence

T_INTERVAL = "Student t"
WELCH = "Welch t"
PAIRED_T = "paired t"
CLOPPER_PEARSON = "Clopper-Pearson"
POWER_LAW = "least squares, Student t"


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its interval: ``value``, the bounds ``lo, hi`` (NaN when not estimable), the
    number of runs ``n`` and the interval's method."""

    value: float
    lo: float
    hi: float
    n: int
    interval: str = T_INTERVAL


def _sample(values, field: str = "values") -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        raise ValidationError(field, "is empty")
    return v


def mean_ci(values, level: float = CONFIDENCE, axis: int = 0):
    """Mean and Student-t interval over ``axis`` (the seeds): ``(mean, lo, hi)``; NaN bounds when ``n < 2``."""
    level = confidence(level)
    v = _sample(values)
    n = v.shape[axis]
    mean = v.mean(axis=axis)
    if n < 2:
        nan = np.full_like(mean, np.nan, dtype=float)
        return mean, nan, nan.copy()
    half = stats.t.ppf(0.5 + level / 2, n - 1) * v.std(axis=axis, ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def mean_estimate(values, level: float = CONFIDENCE) -> Estimate:
    """:func:`mean_ci` of a 1-d sample as an :class:`Estimate`."""
    m, lo, hi = mean_ci(np.ravel(values), level)
    return Estimate(float(m), float(lo), float(hi), int(np.size(values)), T_INTERVAL)


def difference(a, b, paired: bool = False, level: float = CONFIDENCE) -> Estimate:
    """``mean(a) − mean(b)`` with the paired t (``paired``: ``a[i]``, ``b[i]`` the same seed) or Welch t
    interval; NaN bounds with fewer than 2 runs in a group; a zero spread gives a zero-width interval."""
    level = confidence(level)
    a, b = _sample(a, "a").ravel(), _sample(b, "b").ravel()
    if paired and a.size != b.size:
        raise ValidationError("b", f"paired samples need equal sizes, got {a.size} and {b.size}")
    diff = float(a.mean() - b.mean())
    method = PAIRED_T if paired else WELCH
    n = a.size if paired else a.size + b.size
    if min(a.size, b.size) < 2:
        return Estimate(diff, float("nan"), float("nan"), n, method)
    spread = np.std(a - b) if paired else np.std(a) + np.std(b)
    if spread == 0:
        return Estimate(diff, diff, diff, n, method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's note on nearly identical samples
        res = stats.ttest_rel(a, b) if paired else stats.ttest_ind(a, b, equal_var=False)
        ci = res.confidence_interval(level)
    return Estimate(diff, float(ci.low), float(ci.high), n, method)


def success_rate(successes: int, runs: int, level: float = CONFIDENCE) -> Estimate:
    """``successes / runs`` with its Clopper–Pearson interval."""
    level = confidence(level)
    k, n = int(successes), int(runs)
    if n < 1 or not 0 <= k <= n:
        raise ValidationError("runs", f"need 0 <= successes <= runs and runs >= 1, got {k} of {n}")
    ci = stats.binomtest(k, n).proportion_ci(level, method="exact")
    return Estimate(k / n, float(ci.low), float(ci.high), n, CLOPPER_PEARSON)


def success_change_p(base, scaled, paired: bool) -> float:
    """Two-sided p-value of "the success probability differs from the baseline's" from success indicators
    (module docstring: exact McNemar on paired seeds, Fisher's exact test otherwise); 1 when nothing differs."""
    base, scaled = np.asarray(base, bool).ravel(), np.asarray(scaled, bool).ravel()
    if paired:
        if base.size != scaled.size:
            raise ValidationError("scaled", f"paired success indicators need equal sizes, got {base.size} and "
                                  f"{scaled.size}")
        lost, gained = int(np.sum(base & ~scaled)), int(np.sum(~base & scaled))
        return 1.0 if lost + gained == 0 else float(stats.binomtest(lost, lost + gained, 0.5).pvalue)
    table = [[int(base.sum()), int((~base).sum())], [int(scaled.sum()), int((~scaled).sum())]]
    return float(stats.fisher_exact(table).pvalue)


def power_law(x, y, level: float = CONFIDENCE) -> tuple[Estimate, float]:
    """Exponent ``a`` of ``y = C x^a`` with its t-interval, and ``C``. Needs ≥ 3 points and 2 distinct ``x``
    (else NaN); positive finite ``x`` and ``y``."""
    level = confidence(level)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValidationError("x", f"x and y must be equal-length 1-d arrays, got {x.shape} and {y.shape}")
    if np.any(x <= 0) or np.any(y <= 0) or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValidationError("y", "a power law needs positive finite x and y")
    nan = float("nan")
    if x.size < 3 or np.unique(x).size < 2:
        return Estimate(nan, nan, nan, x.size, POWER_LAW), nan
    fit = stats.linregress(np.log(x), np.log(y))
    half = stats.t.ppf(0.5 + level / 2, x.size - 2) * fit.stderr
    return (Estimate(float(fit.slope), float(fit.slope - half), float(fit.slope + half), x.size, POWER_LAW),
            float(np.exp(fit.intercept)))

