"""The cost of staleness alone (issue 8 item 3, issue 15 item 5): one worker (N = 1, so no parallelism
enters) whose every update is computed from parameters ``τ`` updates old (``run.delay = "constant"``,
``τ_k = min(k, τ)``), for ``τ ∈ {0, 1, 4, 16, …, 4096}``, on each instance of the spec.

Measured per instance, ``τ`` and horizon ``K`` (``settings.horizons``, at least 3, all read from the same
runs: one run per (τ, seed) gives every K):

* ``G(τ, K) = (1/K) Σ_{k<K} ‖∇J(θ_k)‖²``, the left-hand side of the convergence theorems with the exact
  gradient, read from each run's snapshots by :func:`running_average_at` (the trapezoid rule of
  :func:`evaluate.running_average` on the grid cut at K), and its paired excess
  ``ΔG(τ, K) = G(τ, K) − G(0, K)`` (per seed, then the mean over seeds; paired t-interval per cell);
* ``T(τ)``, the samples to close ``target_fraction`` of the gap, by the split estimand of
  :mod:`time_to_target` (runs that never reach it are failures of part (a), exact test against τ = 0; the
  mean of ``T`` is over the runs that reach it; ``ΔT(τ) = T(τ) − T(0)``, paired bootstrap over seeds).

Pairing. Every ``τ`` runs the same seeds, and a seed's random streams do not depend on ``τ`` (common random
numbers). The Theorem 2 analysis uses the seeds present at every ``τ`` and resamples them as blocks: one
draw of seeds per bootstrap resample moves every (τ, K) cell of a seed together (:mod:`resample`).

Theorem 2's staleness terms. At horizon K with delays ``τ_k ≤ K_0`` the bound on ``G`` grows with the delay
through ``K_0 / K^{σ_α}`` and ``K_0² / K^{2σ_β}``. With ``K_0 = τ`` the study fits, jointly over the cells
``(τ, K)`` of the *window* (:func:`theorem2_fit`),

    ΔG(τ, K) = b · τ · K^{−σ_α} + c · τ² · K^{−2σ_β},

with the ``σ_α, σ_β`` of the runs' config, by weighted least squares on the cell means (weights
``1/se²`` of each cell's paired mean, recomputed in every resample); ``b`` and ``c`` get percentile intervals of the
paired bootstrap over seeds. The quadratic term is *needed* when ``c``'s interval lies above 0, *not
needed* when it lies below 0 (ΔG bends below the linear term: a bound with c = 0 already covers it), and
*undetermined* when it contains 0.

What would contradict Theorem 2. The theorem bounds G from above with constants that do not depend on τ or
K, so ``ΔG / (τ K^{−σ_α} + τ² K^{−2σ_β})`` must stay bounded. Two ways for data to break that
(:func:`growth_fit`, by :func:`profile_exponent`: weighted least squares on the cell means, one free scale
per group, the exponent on a grid of step 0.01, the same paired bootstrap, each interval at
``1 − (1 − level)/2`` so that the two checks together keep a false alarm rate of at most ``1 − level``,
Bonferroni):

* **in τ** at fixed K (``ΔG = B_K τ^p``, one scale per K), ΔG growing faster than the quadratic term:
  ``p``'s interval wholly above 2;
* **in K** at fixed τ (``ΔG = A_τ K^{−q}``, one scale per τ), ΔG decaying more slowly than the slowest
  staleness term ``K^{−min(σ_α, 2σ_β)}``: ``q``'s interval wholly below ``min(σ_α, 2σ_β)``.

Either is "contradicted". A slower growth in τ (``p < 1``) or a faster decay in K (``q > 2σ_β``) is
consistent: the bound is an upper bound and may be loose. "Undetermined" when ``p`` or ``q`` has no
interval; "consistent: no measurable excess" when no cell of the window has a paired excess interval above
0 (nothing for the bound to exceed). Theorem 2 is written for i.i.d. sampling; the runs of the shipped spec
sample Markovian chains (exact and cheap), whose bound carries extra logarithmic factors: a decay in K
slower than the terms by a log factor would not contradict that version.

The window. At each K, the delays ``0 < τ ≤ τ_peak(K)``, ``τ_peak(K)`` the τ of the largest mean ``G(τ, K)``:
beyond it ``G`` falls again because runs whose first ``τ`` updates all use ``θ_0`` settle into a
near-deterministic (trap) policy, whose vanishing softmax gradient the theorem's stationarity measure cannot
tell from convergence. The window is fixed from the data and kept in every resample.

Samples to target (the view kept beside the Theorem 2 fit): the excess of the means ``Δm(τ)`` over the seeds
that reach the target at both τ and 0 is fitted as ``c τ^p`` (:func:`fit_exponent`, :func:`intervals
.power_law`) over the delays where fewer than a quarter of the runs are stuck, with the paired bootstrap of
:mod:`resample` (:data:`FIT_BOOTSTRAP` resamples; a resample with fewer than 3 positive excesses is
undefined and counted). Verdicts: "staleness costs samples" when some ``τ`` has a ``ΔT`` interval above 0
or raises the risk of never reaching the target (:func:`time_to_target.risk_verdict`), while fewer than a
quarter of the ``τ = 0`` runs are stuck; "undetermined" when a quarter or more of them are; "no measurable
cost up to τ = τ_max" otherwise; growth of ``ΔT`` by :func:`growth_verdict`.

The instance diagnostics at ``θ_0`` (myopia, ``|λ₂|`` of the critic and actor chains, TV(μ, d), ε_app)
are printed beside every verdict.
"""

import warnings
from dataclasses import dataclass, field
from typing import Annotated

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..evaluate import running_average
from ..instances.diagnose import summary_line
from . import plotting as pl
from . import resample, stats
from . import time_to_target as ttt
from .intervals import difference, power_law
from .study import Claim, Fraction, Items, Number, Positive, Results, StudySettings, StudySummary

SAMPLE_SPEEDUP_VERDICT = False
"""This study draws no sample-speedup verdict: no discrimination warning."""

TAU = "run.tau"
DEFAULT_HORIZON_STEPS = (-1.5, -1.0, -0.5, 0.0)
"""Without ``settings.horizons``: ``K = K_max · 10^step``, half-decade steps ending at the runs' horizon."""
NEEDED, NOT_NEEDED, OPEN = "needed", "not needed", "undetermined"
CONTRADICTED, CONSISTENT = "contradicted", "consistent"


@dataclass(frozen=True)
class Settings(StudySettings):
    """``target_fraction``: the gap fraction of ``T(τ)``; ``targets``: per-instance overrides keyed by
    ``problem.kind`` (instances close different fractions of their gap within the horizon); ``horizons``:
    the horizons K of the Theorem 2 fit (≥ 3, each at most the runs' horizon; empty: the runs' horizon
    times 10^-1.5, 10^-1, 10^-0.5, 1)."""

    target_fraction: Fraction = 0.5
    targets: dict[str, Fraction] = field(default_factory=dict)
    horizons: Annotated[tuple[Positive, ...], Items(min_len=0, sort=True)] = ()

    def target(self, kind: str) -> float:
        return float(self.targets.get(kind, self.target_fraction))

    def horizon_grid(self, run_horizon: float) -> tuple:
        """The horizons K for runs of horizon ``run_horizon``: checked, ≥ 3 distinct, none above it."""
        ks = self.horizons or tuple(float(np.rint(run_horizon * 10.0**s)) for s in DEFAULT_HORIZON_STEPS)
        if len(set(ks)) < 3:
            raise ValidationError("settings.horizons", f"needs at least 3 distinct horizons K, got {list(ks)}")
        if max(ks) > run_horizon:
            raise ValidationError("settings.horizons", f"must lie in (0, {run_horizon:g}] (the runs' horizon), "
                                                       f"got {max(ks):g}")
        return tuple(sorted(set(ks)))


def running_average_at(k, f, horizon: float) -> float:
    """``(1/K) Σ_{k<K} f_k`` at ``K = horizon`` from a run's snapshots ``(k, f)`` (``k_0 = 0``): the
    trapezoid rule of :func:`evaluate.running_average` on the grid cut at K, ``f̃(K)`` linearly interpolated
    (so at a snapshot it is the run's ``avg_*`` column). NaN when the run's rows stop before K (divergence)."""
    k, f = np.asarray(k, float), np.asarray(f, float)
    if k.size == 0 or k[-1] < horizon:
        return float("nan")
    inside = k < horizon
    return float(running_average(np.append(k[inside], horizon), np.append(f[inside], np.interp(horizon, k, f)))[-1])


@dataclass(frozen=True)
class BoundFit:
    """Theorem 2's staleness terms ``ΔG(τ, K) = b τ K^{−σ_α} + c τ² K^{−2σ_β}`` fitted over ``cells``
    window cells on ``seeds`` paired seeds; ``quadratic``: needed / not needed / undetermined (module
    docstring)."""

    b: stats.Estimate
    c: stats.Estimate
    sigma_alpha: float
    sigma_beta: float
    quadratic: str
    cells: int
    seeds: int

    def predict(self, tau, horizon):
        """The fitted ``b τ K^{−σ_α} + c τ² K^{−2σ_β}``."""
        tau, horizon = np.asarray(tau, float), np.asarray(horizon, float)
        return self.b.value * tau * horizon**-self.sigma_alpha + self.c.value * tau**2 * horizon**(-2 * self.sigma_beta)


@dataclass(frozen=True)
class GrowthFit:
    """The exponents of ΔG: ``p`` of ``ΔG(τ, K) = B_K τ^p`` (one scale per K) and ``q`` of
    ``ΔG(τ, K) = A_τ K^{−q}`` (one scale per τ), with intervals at ``level`` each (Bonferroni over the two
    checks); ``verdict`` of :func:`bound_verdict`, ``slowest = min(σ_α, 2σ_β)``."""

    p: stats.Estimate
    q: stats.Estimate
    level: float
    slowest: float
    verdict: str


def _cells(taus, horizons, excess, window):
    """The window's cells: ``(τ, K)`` columns and the per-seed excesses ``[cell, seed]``; window defaults to
    every cell. Checked shapes."""
    taus, horizons = np.asarray(taus, float), np.asarray(horizons, float)
    excess = np.asarray(excess, float)
    if excess.ndim != 3 or excess.shape[:2] != (taus.size, horizons.size):
        raise ValidationError("excess", f"needs shape [τ, K, seed] = [{taus.size}, {horizons.size}, n], got "
                                        f"{excess.shape}")
    if np.any(taus <= 0) or np.any(horizons <= 0):
        raise ValidationError("taus", "the fit takes delays τ > 0 and horizons K > 0")
    window = np.ones(excess.shape[:2], bool) if window is None else np.asarray(window, bool)
    window = window & np.all(np.isfinite(excess), axis=-1)
    tau, horizon = np.meshgrid(taus, horizons, indexing="ij")
    return tau[window], horizon[window], excess[window]


def _weights(d: np.ndarray) -> np.ndarray:
    """``1/se²`` of each cell's mean over seeds (last axis), ``se`` floored at 1e-9 of the largest (per
    resample), so an exactly reproduced cell does not take all the weight; equal weights when every cell is
    exact."""
    se = d.std(axis=-1, ddof=1) / np.sqrt(d.shape[-1])
    top = se.max(axis=0, keepdims=True)
    se = np.where(top > 0, np.maximum(se, top * 1e-9), 1.0)  # every cell exact: equal weights
    return 1.0 / se**2


def _weighted_fit(design: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Coefficients ``[2(, resample)]`` of the weighted least squares of the cell means of ``d``
    (``[cell(, resample), seed]``) on ``design`` (``[cell, 2]``), with the weights of :func:`_weights`
    computed from the same (resampled) seeds; NaN where the normal equations are singular."""
    m, w = d.mean(axis=-1), _weights(d)
    flat = m.ndim == 1
    m, w = (m[:, None], w[:, None]) if flat else (m, w)
    gram = np.einsum("cb,ci,cj->bij", w, design, design)
    rhs = np.einsum("cb,ci,cb->bi", w, design, m)
    with np.errstate(all="ignore"):
        det = gram[:, 0, 0] * gram[:, 1, 1] - gram[:, 0, 1] ** 2
        ok = det > 1e-12 * gram[:, 0, 0] * gram[:, 1, 1]
        coef = np.stack([gram[:, 1, 1] * rhs[:, 0] - gram[:, 0, 1] * rhs[:, 1],
                         gram[:, 0, 0] * rhs[:, 1] - gram[:, 0, 1] * rhs[:, 0]]) / det
    coef[:, ~ok] = np.nan
    return coef[:, 0] if flat else coef


def theorem2_fit(taus, horizons, excess, sigma_alpha: float, sigma_beta: float, window=None,
                 level: float = stats.CONFIDENCE, n_boot: int = resample.N_BOOTSTRAP) -> BoundFit | None:
    """``b, c`` of ``ΔG(τ, K) = b τ K^{−σ_α} + c τ² K^{−2σ_β}`` from ``excess[τ, K, seed]`` (the paired
    per-seed ``G(τ, K) − G(0, K)``, seeds aligned across every cell), over the cells of ``window`` (bool
    ``[τ, K]``); weighted least squares on the cell means (weights ``1/se²``, recomputed in every
    resample), intervals from the paired bootstrap over seeds (module docstring). None with fewer than 3
    cells, 2 seeds, or a design of rank < 2."""
    tau, horizon, d = _cells(taus, horizons, excess, window)
    if tau.size < 3 or d.shape[-1] < 2:
        return None
    design = np.stack([tau * horizon**-sigma_alpha, tau**2 * horizon**(-2.0 * sigma_beta)], axis=1)
    scale = np.linalg.norm(design, axis=0)  # columns of unit norm: the normal equations stay conditioned
    point = _weighted_fit(design / scale, d) / scale
    if not np.all(np.isfinite(point)):
        return None

    def coefficient(i):
        return lambda d, axis=-1: _weighted_fit(design / scale, d)[i] / scale[i]

    est = []
    for i in (0, 1):
        iv = resample.bootstrap(coefficient(i), [d], paired=True, level=level, n_resamples=n_boot)
        est.append(stats.Estimate(float(point[i]), iv.lo, iv.hi, d.shape[-1], iv.method))
    b, c = est
    return BoundFit(b, c, float(sigma_alpha), float(sigma_beta), quadratic_verdict(c), int(tau.size), int(d.shape[-1]))


def quadratic_verdict(c: stats.Estimate) -> str:
    """Needed (interval above 0), not needed (below 0), undetermined (contains 0 or not estimable)."""
    if np.isfinite(c.lo) and c.lo > 0:
        return NEEDED
    if np.isfinite(c.hi) and c.hi < 0:
        return NOT_NEEDED
    return OPEN


EXPONENT_GRID = np.round(np.arange(-4.0, 6.0 + 1e-9, 0.01), 2)
"""Exponents tried by :func:`profile_exponent`; a minimum on an end of the grid is undefined."""


def profile_exponent(x, group, means, weights, grid=EXPONENT_GRID) -> np.ndarray:
    """The exponent ``e`` of ``m_i = A_{group(i)} · exp(e · x_i)`` (one free scale per group, profiled out in
    closed form) minimising ``Σ_i w_i (m_i − A_{group(i)} e^{e x_i})²`` over ``grid``; ``means`` and
    ``weights``: ``[cell]`` or ``[cell, resample]``; NaN where the minimum lies on an end of the grid. Only groups with ≥ 2 cells."""
    x, group, w = np.asarray(x, float), np.asarray(group), np.asarray(weights, float)
    m = np.asarray(means, float)
    flat = m.ndim == 1
    m = m[:, None] if flat else m
    w = w[:, None] if w.ndim == 1 else w  # [cell, 1] or one weight per cell and resample
    basis = np.exp(np.outer(grid, x))  # [grid, cell]
    loss = np.zeros((grid.size, m.shape[1]))
    for g in np.unique(group):
        cell = group == g
        if cell.sum() < 2:
            continue
        b = basis[:, cell]
        num = b @ (w[cell] * m[cell])  # [grid, resample]
        loss -= num**2 / ((b**2) @ w[cell])
    best = np.argmin(loss, axis=0)
    out = np.where((best == 0) | (best == grid.size - 1), np.nan, grid[best])
    return out[0] if flat else out


def growth_fit(taus, horizons, excess, sigma_alpha: float, sigma_beta: float, window=None,
               level: float = stats.CONFIDENCE, n_boot: int = resample.N_BOOTSTRAP) -> GrowthFit | None:
    """``p`` (growth in τ at fixed K) and ``q`` (decay in K at fixed τ) of ΔG over the window by
    :func:`profile_exponent` on the cell means (the weights of :func:`theorem2_fit`), each with the paired
    bootstrap interval at ``1 − (1 − level)/2``, and the verdict of :func:`bound_verdict`. None without a
    K holding 2 delays and a delay holding 2 horizons in the window, or with fewer than 2 seeds."""
    tau, horizon, d = _cells(taus, horizons, excess, window)
    if d.shape[-1] < 2 or not (_groups_of_two(horizon) and _groups_of_two(tau)):
        return None
    checks = ((np.log(tau), horizon), (-np.log(horizon), tau))  # p: e^{p log τ} per K; q: e^{−q log K} per τ
    each = 1.0 - (1.0 - resample.confidence(level)) / 2
    est = []
    for x, group in checks:
        def statistic(d, axis=-1, x=x, group=group):
            return profile_exponent(x, group, d.mean(axis=-1), _weights(d))
        iv = resample.bootstrap(statistic, [d], paired=True, level=each, n_resamples=n_boot)
        est.append(stats.Estimate(float(statistic(d)), iv.lo, iv.hi, d.shape[-1], iv.method))
    p, q = est
    slowest = min(float(sigma_alpha), 2.0 * float(sigma_beta))
    return GrowthFit(p, q, each, slowest, bound_verdict(p, q, float(sigma_alpha), float(sigma_beta)))


def _groups_of_two(labels) -> bool:
    """Some label occurs at least twice (a group with two cells)."""
    return bool(np.any(np.unique(labels, return_counts=True)[1] >= 2))


def bound_verdict(p: stats.Estimate, q: stats.Estimate, sigma_alpha: float, sigma_beta: float) -> str:
    """The contradiction rule of the module docstring on the exponents of ``ΔG ≈ A τ^p K^{−q}``."""
    slowest, fastest = min(sigma_alpha, 2 * sigma_beta), max(sigma_alpha, 2 * sigma_beta)
    if np.isfinite(p.lo) and p.lo > 2:
        return f"{CONTRADICTED}: ΔG grows faster than the τ² term at fixed K"
    if np.isfinite(q.hi) and q.hi < slowest:
        return f"{CONTRADICTED}: ΔG decays more slowly in K than the slowest staleness term K^−{slowest:g}"
    if not all(np.isfinite(x) for x in (p.lo, p.hi, q.lo, q.hi)):
        return f"{OPEN}: the exponents of ΔG have no interval"
    loose = [text for cond, text in ((p.hi < 1, "grows more slowly than linearly in τ"),
                                     (q.lo > fastest, f"decays faster than K^−{fastest:g}")) if cond]
    return CONSISTENT + (f" (ΔG {' and '.join(loose)}: the bound is loose there)" if loose else "")


@dataclass(frozen=True)
class Fit:
    """``m(τ) = base + scale · τ^exponent`` over ``window`` (delays, τ = 0 included; ``base`` = m(0));
    ``exponent`` carries its bootstrap interval; ``dropped`` counts bootstrap resamples whose fit failed."""

    exponent: stats.Estimate
    base: float
    scale: float
    window: tuple
    dropped: int


@dataclass(frozen=True)
class InstanceResult:
    """One instance's results: horizons, c_α, σ_α, σ_β, diagnostics; per (τ, K) the mean G and its paired
    excess; the Theorem 2 fits; per τ the costs to target, risks and their fit."""
    instance: str
    horizon: int
    c_alpha: float
    sigma_alpha: float
    sigma_beta: float
    diagnostics: dict
    taus: tuple
    horizons: tuple
    grad: dict
    """``{(τ, K): Estimate}`` of G(τ, K) over the paired seeds."""
    grad_excess: dict
    """``{(τ > 0, K): Estimate}`` of ΔG(τ, K), paired t."""
    window: dict
    """``{K: τ_peak(K)}``: the window of the Theorem 2 fit at each K is ``0 < τ ≤ τ_peak(K)``."""
    bound: BoundFit | None
    growth: GrowthFit | None
    seeds: int
    """Seeds present at every τ (the paired seeds of the Theorem 2 fit)."""
    samples: dict
    """``{τ: Estimate}`` of the mean T(τ) over the runs that reached the target (NaN if none did)."""
    samples_excess: dict
    unreached: dict
    """``{τ: runs that never reached the target}``."""
    risk: dict
    """``{τ > 0: risk verdict}`` of part (a) against τ = 0 (:func:`time_to_target.risk_verdict`)."""
    target_fraction: float
    samples_fit: Fit | None
    costs_samples: bool
    samples_growth: str

    @property
    def bound_verdict(self) -> str:
        """The Theorem 2 verdict (module docstring)."""
        measured = any(np.isfinite(e.lo) and e.lo > 0 for (t, k), e in self.grad_excess.items()
                       if t <= self.window[k])
        if not measured:
            return f"{CONSISTENT}: no measurable excess of G in the window (nothing for the bound to exceed)"
        if self.growth is None:
            return f"{OPEN}: the exponents of ΔG are not estimable"
        return self.growth.verdict


@dataclass(frozen=True)
class Summary(StudySummary):
    """One :class:`InstanceResult` per instance and the tables drawn."""
    instances: tuple
    table: pd.DataFrame = field(repr=False)
    cells: pd.DataFrame = field(repr=False)
    fits: pd.DataFrame = field(repr=False)


def _runs(results: Results) -> pd.DataFrame:
    runs = stats.need(results.runs, "run_id", "seed", "workers", "samples", "J", "gap", "grad_norm_sq",
                      "horizon", "kind", TAU)
    if set(runs["workers"]) != {1}:
        raise ValidationError("runs.workers", "the staleness study runs one worker (N = 1) only")
    return runs


FIT_BOOTSTRAP = 1000
"""Bootstrap resamples of the exponent fits."""


def fit_exponent(taus, groups: dict, seeds: dict | None = None, level: float = stats.CONFIDENCE,
                 n_boot: int = FIT_BOOTSTRAP) -> Fit | None:
    """Fit ``m(τ) − m(0) = c τ^p`` to the seed means of ``groups[τ]`` (``+inf``/NaN entries: runs that never
    reached the target, left out of the means) over the window ``taus`` (τ = 0 included); ``p``'s interval:
    the bootstrap over seeds, paired when ``seeds = {τ: seeds}`` line the groups up (module docstring). None
    without τ = 0 or with fewer than 3 positive excesses."""
    taus = sorted(taus)
    if 0 not in taus:
        return None
    values = [np.where(np.isfinite(np.asarray(groups[t], float)), np.asarray(groups[t], float), np.nan) for t in taus]
    paired = False
    if seeds is not None:
        values, paired = resample.by_seed(*[(seeds[t], v) for t, v in zip(taus, values)])
    x = np.asarray(taus[1:], float)

    def excess(groups) -> np.ndarray:
        """``Δm(τ)`` for τ > 0 (and every resample): means over the successes, jointly with τ = 0 if paired."""
        pairs = [ttt.successes(g, groups[0], paired) for g in groups[1:]]
        return np.stack([np.nanmean(g, axis=-1) - np.nanmean(b, axis=-1) for g, b in pairs])

    def fit(d: np.ndarray):
        pos = np.isfinite(d) & (d > 0)
        return power_law(x[pos], d[pos]) if pos.sum() >= 3 else None

    def statistic(*groups, axis=-1):
        d = excess(groups)  # [τ > 0(, resample)]
        draws = [fit(d)] if d.ndim == 1 else [fit(d[:, b]) for b in range(d.shape[1])]
        return np.array([f[0].value if f is not None else np.nan for f in draws]).squeeze()

    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a τ without a success has no mean
        point = fit(excess(values))
    if point is None:
        return None
    iv = resample.bootstrap(statistic, values, paired=paired, level=level, n_resamples=n_boot)
    n = sum(v.size for v in values)
    return Fit(stats.Estimate(point[0].value, iv.lo, iv.hi, n, iv.method), float(np.nanmean(values[0])), point[1],
               tuple(taus),
               int(round((1.0 - iv.defined) * n_boot)))


def growth_verdict(fit: Fit | None) -> str:
    """Growth of ``ΔT`` in τ: slower than linear (interval below 1), faster than quadratic (above 2), between
    linear and quadratic (within [1, 2]), else consistent with linear; "not estimated" without an exponent."""
    if fit is None or not np.isfinite(fit.exponent.lo):
        return "not estimated"
    e = fit.exponent
    if e.hi < 1:
        return "slower than linear in τ"
    if e.lo > 2:
        return "faster than quadratic in τ"
    if e.lo >= 1:
        return "between linear and quadratic in τ"
    return "consistent with linear in τ"


def _diagnostics(results: Results, instance: str) -> dict:
    """Diagnostics at θ_0 of the instance, from the resolved config of the part that ran it."""
    from .. import config
    from ..instances.diagnose import diagnose

    for base in results.configs:
        if _label(base) == instance:
            return diagnose(config.build_problem(config.from_dict(base))).to_dict()
    return {}


def _label(base: dict) -> str:
    """The instance of a part: its ``problem.kind`` (the runs table's ``kind`` column)."""
    return str(base["problem"]["kind"])


def _algorithm(results: Results, instance: str) -> tuple[float, float, float]:
    """``(c_α, σ_α, σ_β)`` of the instance's part (the config defaults when no part config is given)."""
    from .. import config

    algo = next((b["algorithm"] for b in results.configs if _label(b) == instance),
                config.from_dict({}).to_dict()["algorithm"])
    return float(algo["c_alpha"]), float(algo["sigma_alpha"]), float(algo["sigma_beta"])


def _grad_cube(runs: pd.DataFrame, horizons) -> tuple[tuple, np.ndarray, int]:
    """``G[τ, K, seed]`` over the seeds present at every τ (sorted), by :func:`running_average_at`; the
    delays and the number of seeds."""
    firsts, arrays = stats.run_arrays(runs, ["samples", "grad_norm_sq"])
    taus = tuple(sorted(int(t) for t in firsts[TAU].unique()))
    seeds_at = [set(firsts.loc[firsts[TAU] == t, "seed"]) for t in taus]
    common = np.array(sorted(set.intersection(*seeds_at)))
    cube = np.full((len(taus), len(horizons), common.size), np.nan)
    slot = {t: i for i, t in enumerate(taus)}
    where = {s: j for j, s in enumerate(common)}
    for (_, row), k, f in zip(firsts.iterrows(), arrays["samples"], arrays["grad_norm_sq"]):
        j = where.get(row["seed"])
        if j is not None:
            cube[slot[int(row[TAU])], :, j] = [running_average_at(k, f, K) for K in horizons]
    return taus, cube, int(common.size)


def _theorem2(runs: pd.DataFrame, horizons, sigma_alpha: float, sigma_beta: float) -> dict:
    """Per (τ, K): mean G and paired ΔG; the window; the Theorem 2 and growth fits (module docstring)."""
    taus, cube, _ = _grad_cube(runs, horizons)
    if 0 not in taus:
        raise ValidationError(f"runs.{TAU}", "needs the τ = 0 runs as the baseline")
    cube = cube[:, :, np.all(np.isfinite(cube), axis=(0, 1))]  # a run that diverged leaves its seed out
    excess = cube[1:] - cube[0][None]
    grad = {(t, k): stats.mean_estimate(cube[i, j]) for i, t in enumerate(taus) for j, k in enumerate(horizons)}
    grad_excess = {(t, k): difference(cube[i + 1, j], cube[0, j], paired=True)
                   for i, t in enumerate(taus[1:]) for j, k in enumerate(horizons)}
    peak = {k: max(taus, key=lambda t: grad[t, k].value) for k in horizons}
    window = np.array([[t <= peak[k] for k in horizons] for t in taus[1:]])
    args = (taus[1:], horizons, excess, sigma_alpha, sigma_beta, window)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        bound = theorem2_fit(*args) if window.any() else None
        growth = growth_fit(*args, n_boot=FIT_BOOTSTRAP) if window.any() else None
    return dict(taus=taus, grad=grad, grad_excess=grad_excess, window=peak, bound=bound, growth=growth,
                seeds=int(cube.shape[-1]))


def _per_instance(runs: pd.DataFrame, f: float, diagnostics: dict, algorithm: tuple, horizons) -> InstanceResult:
    c_alpha, sigma_alpha, sigma_beta = algorithm
    g = _theorem2(runs, horizons, sigma_alpha, sigma_beta)
    taus = g["taus"]
    by_tau = {}
    costs = stats.costs_to_target(runs, "samples", f).set_index("run_id")  # one target for the instance
    last = runs.sort_values("samples", kind="stable").groupby("run_id", sort=False).last()
    for tau, rows in last.groupby(TAU):
        c = costs.loc[rows.index]
        by_tau[int(tau)] = (c["cost"].to_numpy(float), c["seed"].to_numpy())
    t0, s0 = by_tau[0]
    seeds = {t: by_tau[t][1] for t in taus}
    samples = {t: ttt.mean_among_successes(by_tau[t][0]) for t in taus}
    unreached = {t: int(np.sum(~np.isfinite(by_tau[t][0]))) for t in taus}
    few_stuck = {t: 4 * unreached[t] < by_tau[t][0].size for t in taus}
    base_ok = few_stuck[0]
    samples_excess = ({t: ttt.difference_among_successes(by_tau[t][0], t0, seeds=(seeds[t], s0)) for t in taus[1:]}
                      if base_ok else {})
    risks = {t: ttt.risk(t0, by_tau[t][0], seeds=(s0, seeds[t])) for t in taus[1:]}
    significant = [t for t, e in samples_excess.items() if e.lo > 0]
    costs = base_ok and (bool(significant) or ttt.RAISED in risks.values())
    samples_fit = (fit_exponent([t for t in taus if few_stuck[t]], {t: by_tau[t][0] for t in taus}, seeds)
                   if costs else None)
    return InstanceResult(str(runs["kind"].iloc[0]), int(runs["samples"].max()), c_alpha, sigma_alpha, sigma_beta,
                          diagnostics, taus, tuple(horizons), g["grad"], g["grad_excess"], g["window"], g["bound"],
                          g["growth"], g["seeds"], samples, samples_excess, unreached, risks, f, samples_fit, costs,
                          growth_verdict(samples_fit))


def summarise(results: Results) -> Summary:
    """Per instance: G(τ, K) and ΔG(τ, K) paired across τ, the Theorem 2 fits, the costs to target and their
    fit (module docstring)."""
    runs = _runs(results)
    horizons = results.settings.horizon_grid(float(runs["horizon"].min()))
    out, rows, cells, fits = [], [], [], []
    for (instance,), part in stats.groups(runs, ["kind"]).items():
        res = _per_instance(part, results.settings.target(instance), _diagnostics(results, instance),
                            _algorithm(results, instance), horizons)
        out.append(res)
        top = res.horizons[-1]
        for t in res.taus:
            sx = res.samples_excess.get(t)
            rows.append({"instance": instance, "tau": t, "samples_to_target": res.samples[t].value,
                         "samples_lo": res.samples[t].lo, "samples_hi": res.samples[t].hi,
                         "samples_excess": sx.value if sx else (0.0 if t == 0 else np.nan),
                         "samples_excess_lo": sx.lo if sx else np.nan, "samples_excess_hi": sx.hi if sx else np.nan,
                         "unreached": res.unreached[t], "risk": res.risk.get(t, ""), "runs": res.grad[t, top].n})
            for k in res.horizons:
                gx = res.grad_excess.get((t, k))
                cells.append({"instance": instance, "tau": t, "K": k, "avg_grad_norm_sq": res.grad[t, k].value,
                              "avg_grad_lo": res.grad[t, k].lo, "avg_grad_hi": res.grad[t, k].hi,
                              "grad_excess": gx.value if gx else 0.0, "grad_excess_lo": gx.lo if gx else np.nan,
                              "grad_excess_hi": gx.hi if gx else np.nan, "in_window": 0 < t <= res.window[k],
                              "theorem2_fit": res.bound.predict(t, k) if res.bound else np.nan,
                              "seeds": res.seeds})
        b, gr = res.bound, res.growth
        for name, est, level in (("b", b and b.b, stats.CONFIDENCE), ("c", b and b.c, stats.CONFIDENCE),
                                 ("p", gr and gr.p, gr and gr.level), ("q", gr and gr.q, gr and gr.level)):
            fits.append({"instance": instance, "metric": "grad_excess", "parameter": name,
                         "value": est.value if est else np.nan, "lo": est.lo if est else np.nan,
                         "hi": est.hi if est else np.nan, "level": level or np.nan,
                         "verdict": (b.quadratic if b and name == "c" else res.bound_verdict if name == "q" else ""),
                         "sigma_alpha": res.sigma_alpha, "sigma_beta": res.sigma_beta})
        fit = res.samples_fit
        fits.append({"instance": instance, "metric": "samples_excess", "parameter": "exponent",
                     "value": fit.exponent.value if fit else np.nan, "lo": fit.exponent.lo if fit else np.nan,
                     "hi": fit.exponent.hi if fit else np.nan, "level": stats.CONFIDENCE, "verdict": res.samples_growth,
                     "sigma_alpha": res.sigma_alpha, "sigma_beta": res.sigma_beta})
    return Summary(tuple(out), pd.DataFrame(rows), pd.DataFrame(cells), pd.DataFrame(fits))


def _reference_lines(ax, fit: Fit, color) -> None:
    """The fitted excess ``c τ^p`` and slopes 1 and 2 through it at the first positive delay of the window."""
    t = np.geomspace(max(fit.window[1], 1), 2 * fit.window[-1], 20)
    ax.plot(t, fit.scale * t**fit.exponent.value, color=color, lw=1)
    y0 = fit.scale * t[0] ** fit.exponent.value
    ax.plot(t, y0 * t / t[0], color=color, ls="--", lw=0.8, alpha=0.7)
    ax.plot(t, y0 * (t / t[0]) ** 2, color=color, ls=":", lw=0.9, alpha=0.7)


def _label_of(res: InstanceResult) -> str:
    return (f"{res.instance} (c_α = {res.c_alpha:g}, myopia {res.diagnostics.get('myopia') or float('nan'):.2f}, "
            f"target {res.target_fraction:.0%})")


def _draw_excess(ax, res: InstanceResult, letter: str) -> None:
    """ΔG(τ, K) vs τ, one colour per K, window points filled, the Theorem 2 fit as lines."""
    taus = [t for t in res.taus if t > 0]
    for j, k in enumerate(res.horizons):
        color = f"C{j}"
        gx = [res.grad_excess[t, k] for t in taus]
        ax.errorbar(taus, [e.value for e in gx], yerr=pl.error_bars(gx), color=color, ls="none", marker="o", ms=3.5,
                    capsize=2, mfc="none", alpha=0.6)
        inside = [t for t in taus if t <= res.window[k]]
        if inside:
            ax.plot(inside, [res.grad_excess[t, k].value for t in inside], color=color, ls="none", marker="o", ms=3.5,
                    label=f"K = {k:,.0f} (window τ ≤ {res.window[k]})")
        if res.bound is not None:
            t = np.geomspace(1, max(taus), 60)
            ax.plot(t, res.bound.predict(t, k), color=color, lw=1)
    ax.set_xscale("log")
    scale = max((abs(e.value) for e in res.grad_excess.values() if np.isfinite(e.value)), default=1.0)
    ax.set_yscale("symlog", linthresh=scale * 1e-3 if scale > 0 else 1.0)
    ax.axhline(0, color="0.3", lw=0.8)
    b = res.bound
    fitted = (f"b = {pl.fmt(b.b)}, c = {pl.fmt(b.c)} (quadratic {b.quadratic})" if b else "no fit")
    ax.set(xlabel="constant delay τ (N = 1)", ylabel="ΔG = G(τ, K) − G(0, K)  (paired by seed)",
           title=f"({letter}) {res.instance}: excess of (1/K)Σ‖∇J‖², {res.seeds} seeds\n{fitted}")
    ax.plot([], [], color="0.3", lw=1, label=f"fit b·τ·K^−{res.sigma_alpha:g} + c·τ²·K^−{2 * res.sigma_beta:g}")
    ax.plot([], [], color="0.3", ls="none", marker="o", mfc="none", label="outside the window (open marks)")
    ax.legend(loc="best", fontsize=6.5)


def draw(results: Results, summary: Summary, path) -> None:
    """Per instance ΔG(τ, K) with the Theorem 2 fit; the cost to target vs τ and its excess."""
    n = len(summary.instances)
    fig, axes = pl.new_figure(1, n + 2, 5 * (n + 2), 4.8)
    letters = "abcdefgh"
    for i, res in enumerate(summary.instances):
        _draw_excess(axes[0][i], res, letters[i])
    ax_b, ax_c = axes[0][n], axes[0][n + 1]
    for i, res in enumerate(summary.instances):
        color = f"C{i + 5}"
        label = _label_of(res)
        reached = [t for t in res.taus if np.isfinite(res.samples[t].value)]
        ax_b.errorbar([max(t, 0.5) for t in reached], [res.samples[t].value for t in reached],
                      yerr=pl.error_bars([res.samples[t] for t in reached]), color=color, marker="o", ms=4, capsize=2.5,
                      label=label)
        missed = [t for t in res.taus if res.unreached[t]]
        if missed:
            ax_b.plot([max(t, 0.5) for t in missed], [res.horizon] * len(missed), ls="none", marker="^", mfc="none",
                      ms=7, color=color, label=f"{res.instance}: some runs never reach the target (cost > K)")
        taus = [t for t in res.taus if t > 0]
        pos = [t for t in taus if t in res.samples_excess and np.isfinite(res.samples_excess[t].value)
               and res.samples_excess[t].value > 0]
        if pos:
            sx = [res.samples_excess[t] for t in pos]
            ax_c.errorbar(pos, [e.value for e in sx], yerr=pl.error_bars(sx), color=color, marker="o", ms=4, capsize=2.5,
                          ls="none", label=label)
        if res.samples_fit is not None:
            _reference_lines(ax_c, res.samples_fit, color)
            ax_c.plot([], [], color=color, lw=1, label=f"fit c·τ^p: p = {pl.fmt(res.samples_fit.exponent)}")
    horizon = summary.instances[0].horizon if summary.instances else 1
    for ax in (ax_b, ax_c):
        ax.set_xscale("symlog" if ax is ax_b else "log", **({"linthresh": 1} if ax is ax_b else {}))
        ax.axvline(horizon ** 0.2, color="0.5", lw=0.8, ls="-.", label=f"τ = K^(1/5) = {horizon ** 0.2:.3g}")
        ax.set_yscale("log")
    ax_c.plot([], [], color="0.4", ls="--", lw=0.8, label="slope 1")
    ax_c.plot([], [], color="0.4", ls=":", lw=0.9, label="slope 2")
    ax_b.set(xlabel="constant delay τ (N = 1)", ylabel="samples to target (mean over runs reaching it)",
             title=f"({letters[n]}) samples to close the target fraction of the gap")
    ax_c.set(xlabel="constant delay τ (N = 1)", ylabel="T(τ) − T(0)  (samples, paired)",
             title=f"({letters[n + 1]}) excess samples to target, log-log fit")
    for ax in (ax_b, ax_c):
        ax.legend(loc="best", fontsize=6.5)
    pl.save(fig, path, results.title, "ΔG: means over seeds of the paired excess, 95% paired-t intervals; lines: "
            "Theorem 2's staleness terms fitted jointly over the K shown (weighted least squares, paired bootstrap "
            "over seeds) on the window τ ≤ τ_peak(K); T: means over the runs that reach the target, 95% intervals "
            "(excess: paired bootstrap); (c) shows only τ with a positive excess")


def numbers(summary: Summary) -> list[Number]:
    """The rows of summary.csv: per instance G at the largest K and T per τ, the Theorem 2 coefficients b, c,
    the exponents p, q of ΔG, and the exponent of ΔT."""
    out = []
    for res in summary.instances:
        top = res.horizons[-1]
        for t in res.taus:
            out.append(Number("(1/K) sum |grad J|^2", f"{res.instance}, tau={t}, K={top:.0f}", res.grad[t, top]))
            out.append(Number("samples to target (mean over runs reaching it)", f"{res.instance}, tau={t}",
                              res.samples[t], "samples"))
        span = f"{res.instance}, K in {[int(k) for k in res.horizons]}"
        if res.bound is not None:
            out.append(Number(f"Theorem 2 b (of b tau K^-{res.sigma_alpha:g})", span, res.bound.b))
            out.append(Number(f"Theorem 2 c (of c tau^2 K^-{2 * res.sigma_beta:g})", span, res.bound.c))
        if res.growth is not None:
            out.append(Number(f"exponent p of tau in G excess ({res.growth.level:.1%} interval)", span, res.growth.p))
            out.append(Number(f"exponent q of 1/K in G excess ({res.growth.level:.1%} interval)", span, res.growth.q))
        if res.samples_fit is not None:
            out.append(Number("exponent of T excess vs tau", f"{res.instance}, tau in {list(res.samples_fit.window)}",
                              res.samples_fit.exponent))
    return out


def _theorem2_number(res: InstanceResult) -> str:
    b, g = res.bound, res.growth
    windows = ", ".join(f"K = {k:,.0f}: τ ≤ {res.window[k]}" for k in res.horizons)
    top = res.horizons[-1]
    worst = max(t for t in res.taus if t <= res.window[top]) if res.window[top] > 0 else None
    return ("; ".join(filter(None, [
        f"ΔG(τ, K) = b·τ·K^−{res.sigma_alpha:g} + c·τ²·K^−{2 * res.sigma_beta:g} over the window ({windows}): "
        + (f"b = {pl.fmt(b.b)}, c = {pl.fmt(b.c)} (95%, {b.cells} cells, {b.seeds} paired seeds); quadratic term "
           f"{b.quadratic}" if b else "no fit"),
        (f"ΔG = B_K·τ^p: p = {pl.fmt(g.p)}, ΔG = A_τ·K^−q: q = {pl.fmt(g.q)} ({g.level:.1%} each); contradiction "
         f"needs p > 2 or q < {g.slowest:g}" if g else ""),
        (f"ΔG({worst}, {top:,.0f}) = {pl.fmt(res.grad_excess[worst, top])} against G(0, {top:,.0f}) = "
         f"{pl.fmt(res.grad[0, top])}" if worst else ""),
    ])))


def _samples_number(res: InstanceResult) -> str:
    worst = max(res.taus)
    fit = res.samples_fit
    runs = res.grad[0, res.horizons[-1]].n
    stuck = ", ".join(f"τ={t}: {res.unreached[t]}" for t in res.taus if res.unreached[t])
    raised = [t for t, r in res.risk.items() if r == ttt.RAISED]
    return (f"mean T over the runs reaching the target: T(0) = {pl.fmt(res.samples[0])}, T({worst}) = "
            f"{pl.fmt(res.samples[worst])} samples"
            + (f"; runs never reaching the target (of {runs} per τ): {stuck}" if stuck else "")
            + (f"; more of them than at τ = 0 (exact test) at τ = {', '.join(map(str, raised))}" if raised else "")
            + (f"; exponent p of T(τ) − T(0) = c τ^p over τ ∈ {list(fit.window)}: {pl.fmt(fit.exponent)}"
               if fit else ""))


def claims(summary: Summary) -> list[Claim]:
    """Per instance: the Theorem 2 row (the claim rests on it) and the samples-to-target row."""
    out = []
    for i, res in enumerate(summary.instances):
        notes = (f"{res.instance}, N = 1, c_α = {res.c_alpha:g}, σ_α = {res.sigma_alpha:g}, σ_β = {res.sigma_beta:g}, "
                 f"K up to {res.horizon:,}; ")
        out.append(Claim(
            "Cost of staleness (Theorem 2: K_0/K^σα and K_0²/K^2σβ terms)",
            "the excess of (1/K)Σ‖∇J(θ_k)‖² a delay τ = K_0 causes is bounded by the bound's two staleness terms",
            f"`staleness.png` ({'abcdefgh'[i]})", _theorem2_number(res), res.bound_verdict,
            notes + "an upper bound: only growth faster than τ² or a decay in K slower than the slowest term "
            "contradicts it; paired by seed across τ and K (one run per (τ, seed) gives every K); Theorem 2 is "
            "stated for i.i.d. sampling, these runs are Markovian; " + summary_line(res.diagnostics)))
        runs = res.grad[0, res.horizons[-1]].n
        if 4 * res.unreached[0] >= runs:
            verdict = "undetermined: a quarter or more of the τ = 0 runs never reach the target"
        elif res.costs_samples:
            verdict = "staleness costs samples, growth " + res.samples_growth
        else:
            verdict = f"no measurable cost up to τ = {max(res.taus)}"
        out.append(Claim("Cost of staleness in samples to target (beside the Theorem 2 fit)",
                         "stale gradients cost samples, growing with the delay",
                         f"`staleness.png` ({'abcdefgh'[len(summary.instances)]}, "
                         f"{'abcdefgh'[len(summary.instances) + 1]})", _samples_number(res), verdict,
                         notes + f"target {res.target_fraction:.0%} of the gap; T(τ) is over the runs that reach "
                         "it, those that never do count apart (exact test against τ = 0); paired by seed across τ; "
                         + summary_line(res.diagnostics)))
    return out
