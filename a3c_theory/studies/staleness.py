"""The cost of staleness alone (issue 8, item 3): one worker (N = 1, so no parallelism enters) whose every
update is computed from parameters ``τ`` updates old (``run.delay = "constant"``, ``τ_k = min(k, τ)``),
for ``τ ∈ {0, 1, 4, 16, …, 4096}``, on each instance of the spec.

Measured per instance and ``τ``:

* ``G(τ) = (1/K) Σ_{k<K} ‖∇J(θ_k)‖²`` at the horizon ``K`` (the left-hand side of the convergence
  theorem, ``avg_grad_norm_sq`` of ``evaluate``), its mean over seeds, and its excess ``ΔG(τ) = G(τ) − G(0)``;
* ``T(τ)``, the samples to close ``target_fraction`` of the gap, its *median* over seeds, and its excess
  ``ΔT(τ) = T(τ) − T(0)``; the number of runs that never reach the target within ``K``. On a chain with a
  trap a few runs at almost any ``τ`` settle in the trap and never reach the target (their cost is
  ``+inf``): the mean of ``T`` is then infinite, the median is not while fewer than half are stuck.

Intervals: ``G`` as in :mod:`stats` (Student t), ``T`` by percentile bootstrap of the median
(:func:`stats.median_ci`). The excesses compare independent groups of seeds: ``ΔG`` gets a Welch
t-interval, ``ΔT`` a percentile bootstrap of the difference of medians (each group resampled, the fixed
bootstrap seed of :mod:`stats`).

Exponent fit. The model ``m(τ) = m_0 + c τ^p`` (``c ≥ 0``, ``0 ≤ p ≤ 4``) is fitted by weighted least
squares to the seed means (``G``; weights from their standard errors) or medians (``T``; standard error
``1.253 · IQR / (1.349 √n)``, that of a normal sample's median) over a *fit window* of delays that
includes ``τ = 0``, so the baseline's own noise enters the fit once instead of into every difference. For
``T`` the window is every ``τ`` with fewer than a quarter of its runs stuck (so the median and its
quartiles are finite); for ``G`` it is ``τ ≤ τ_peak``, the ``τ``
of the largest mean ``G``: beyond it ``G`` falls again because runs that settle into a near-deterministic
(trap) policy have vanishing softmax gradients, which the theorem's stationarity measure cannot tell from
convergence. A fit is made only where a cost is measured (some excess interval above 0). ``p``'s interval
is a percentile bootstrap over seeds (:data:`FIT_BOOTSTRAP` resamples, every group resampled, the model
refitted; a resample whose fit fails, or whose median is infinite, is dropped and counted). Needs ≥ 4
delays (3 parameters) in the window, else no exponent.

Theory (Theorem 2, i.i.d. sampling): at a fixed K the bound has a term ``∝ K_0 / K^{σ_α}`` (linear in the
largest delay ``K_0 = τ``) and a term ``∝ K_0² / K^{2σ_β}`` (quadratic). Their constants are unknown, so
the figure draws slopes 1 and 2 through the first point of the window, and the scale ``τ = K^{1/5}`` of the
theorem's sufficient condition ``K_0 = O(K^{1/5})`` (constant 1). A bound is an upper bound: a fitted
exponent below 1 is consistent with it (the bound is loose in τ), one above 2 is not.

Verdict rules (per instance):

* "staleness costs samples" when some ``τ`` has a ``ΔT`` interval above 0 or at least half its runs never
  reach the target (while fewer than a quarter of the ``τ = 0`` runs are stuck); "undetermined" when a
  quarter or more of the ``τ = 0`` runs never reach it; "no measurable cost up to τ = τ_max" otherwise;
* growth of ``ΔT``: "slower than linear" if the exponent's interval lies below 1, "faster than
  quadratic" if it lies above 2, "between linear and quadratic" if it lies in [1, 2], else
  "consistent with linear" (interval contains 1); "not estimated" without an exponent.

The instance diagnostics at ``θ_0`` (myopia, ``|λ₂|`` of the critic and actor chains, TV(μ, d), ε_app)
are printed beside every verdict.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..errors import ValidationError
from ..instances.diagnose import summary_line
from . import plotting as pl
from . import stats
from .study import Claim, Fraction, Number, Results, StudySettings, StudySummary

SAMPLE_SPEEDUP_VERDICT = False
"""This study draws no sample-speedup verdict: no discrimination warning."""

TAU = "run.tau"
SIGMA_ALPHA, SIGMA_BETA = 0.6, 0.4


@dataclass(frozen=True)
class Settings(StudySettings):
    """``target_fraction``: the gap fraction of ``T(τ)``; ``targets``: per-instance overrides keyed by
    ``problem.kind`` (instances close different fractions of their gap within the horizon)."""

    target_fraction: Fraction = 0.5
    targets: dict[str, Fraction] = field(default_factory=dict)

    def target(self, kind: str) -> float:
        return float(self.targets.get(kind, self.target_fraction))


@dataclass(frozen=True)
class Fit:
    """``m(τ) = base + scale · τ^exponent`` over ``window`` (delays, τ = 0 included); ``exponent`` carries
    its bootstrap interval; ``dropped`` counts bootstrap resamples whose fit failed."""

    exponent: stats.Estimate
    base: float
    scale: float
    window: tuple
    dropped: int


@dataclass(frozen=True)
class InstanceResult:
    instance: str
    horizon: int
    c_alpha: float
    diagnostics: dict
    taus: tuple
    grad: dict
    """``{τ: Estimate}`` of G(τ)."""
    grad_excess: dict
    samples: dict
    """``{τ: Estimate}`` of the median T(τ) (+inf when half the runs or more never reached the target)."""
    samples_excess: dict
    unreached: dict
    """``{τ: runs that never reached the target}``."""
    target_fraction: float
    grad_fit: Fit | None
    samples_fit: Fit | None
    costs_samples: bool
    growth: str


@dataclass(frozen=True)
class Summary(StudySummary):
    instances: tuple
    table: pd.DataFrame = field(repr=False)
    fits: pd.DataFrame = field(repr=False)


def _runs(results: Results) -> pd.DataFrame:
    runs = stats.need(results.runs, "run_id", "seed", "workers", "samples", "J", "gap", "avg_grad_norm_sq",
                      "kind", TAU)
    if set(runs["workers"]) != {1}:
        raise ValidationError("runs.workers", "the staleness study runs one worker (N = 1) only")
    return runs


def welch_difference(a, b, level: float = stats.CONFIDENCE) -> stats.Estimate:
    """``mean(a) − mean(b)`` with a Welch t-interval (Satterthwaite degrees of freedom)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    diff = float(a.mean() - b.mean())
    if a.size < 2 or b.size < 2:
        return stats.Estimate(diff, float("nan"), float("nan"), a.size + b.size, "Welch t")
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = np.sqrt(va + vb)
    if se == 0:
        return stats.Estimate(diff, diff, diff, a.size + b.size, "Welch t")
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(sps.t.ppf(0.5 + level / 2, df) * se)
    return stats.Estimate(diff, diff - half, diff + half, a.size + b.size, "Welch t")


def median_difference(a, b, level: float = stats.CONFIDENCE,
                      n_boot: int = stats.N_BOOTSTRAP) -> stats.Estimate:
    """``median(a) − median(b)`` of costs to target (``+inf`` = never reached) with a percentile-bootstrap
    interval (each group resampled): +inf once half of ``a`` is; an interval end is +inf when that share of
    the resampled differences is. NaN when ``b``'s median is infinite (no baseline)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    n = a.size + b.size
    nan = float("nan")
    if not np.isfinite(np.median(b)):
        return stats.Estimate(nan, nan, nan, n, stats.BOOTSTRAP_INTERVAL)
    diff = float(np.median(a) - np.median(b))
    if a.size < 2 or b.size < 2:
        return stats.Estimate(diff, nan, nan, n, stats.BOOTSTRAP_INTERVAL)
    rng = np.random.default_rng(stats.BOOTSTRAP_SEED)
    with np.errstate(invalid="ignore"):
        d = (np.median(a[rng.integers(0, a.size, (n_boot, a.size))], 1)
             - np.median(b[rng.integers(0, b.size, (n_boot, b.size))], 1))
    d = np.where(np.isnan(d), np.inf, d)  # inf − inf: both resampled medians stuck; count it as unbounded
    lo = np.quantile(d, 0.5 - level / 2, method="lower")
    hi = np.quantile(d, 0.5 + level / 2, method="higher")
    return stats.Estimate(diff, float(lo), float(hi), n, stats.BOOTSTRAP_INTERVAL)


FIT_BOOTSTRAP = 1000
"""Bootstrap resamples of the exponent fit."""

EXPONENT_GRID = np.round(np.arange(0.0, 4.0 + 1e-9, 0.01), 2)
"""Exponents tried by the profile fit (resolution 0.01)."""


def _fit_power(taus: np.ndarray, means: np.ndarray, errors: np.ndarray):
    """``(m_0, c, p)`` of ``m(τ) = m_0 + c τ^p`` by weighted least squares (weights ``1/errors²``), profiled
    over ``p`` ∈ :data:`EXPONENT_GRID`: for a fixed ``p`` the model is linear in ``(m_0, c)`` and solved in
    closed form (``c < 0`` is replaced by the best constant); None when every error is zero."""
    span = float(means.max() - means.min())
    w = 1.0 / np.maximum(errors, 1e-9 * max(span, 1e-300)) ** 2
    X = taus[None, :] ** EXPONENT_GRID[:, None]  # (grid, delays); 0^0 = 1
    sw, sx, sy = w.sum(), X @ w, w @ means
    sxx, sxy = (X * X) @ w, X @ (w * means)
    det = sw * sxx - sx * sx
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(det > 0, (sw * sxy - sx * sy) / det, 0.0)
    c = np.maximum(c, 0.0)
    m0 = (sy - c * sx) / sw
    resid = ((means[None, :] - m0[:, None] - c[:, None] * X) ** 2) @ w
    i = int(np.argmin(resid))
    return float(m0[i]), float(c[i]), float(EXPONENT_GRID[i])


MEDIAN_SE = 1.2533 / 1.349
"""Standard error of a median per ``IQR / √n`` (a normal sample: ``√(π/2) σ / √n``, ``σ = IQR / 1.349``)."""


def _centres(samples, median: bool) -> tuple[np.ndarray, np.ndarray]:
    """Seed means and their standard errors, or medians and :data:`MEDIAN_SE` ``· IQR / √n``, of every
    ``samples[τ]`` along its last axis: arrays ``[..., τ]``."""
    n = np.array([v.shape[-1] for v in samples], float)
    if median:
        q1, q2, q3 = np.stack([np.quantile(v, (0.25, 0.5, 0.75), axis=-1) for v in samples], axis=-1)
        return q2, MEDIAN_SE * (q3 - q1) / np.sqrt(n)
    means = np.stack([v.mean(axis=-1) for v in samples], axis=-1)
    sds = np.stack([v.std(axis=-1, ddof=1) if v.shape[-1] > 1 else np.zeros(v.shape[:-1]) for v in samples], axis=-1)
    return means, sds / np.sqrt(n)


def fit_exponent(taus, groups: dict, level: float = stats.CONFIDENCE, n_boot: int = FIT_BOOTSTRAP,
                 median: bool = False) -> Fit | None:
    """Fit ``m(τ) = m_0 + c τ^p`` to the seed means (``median``: medians) of ``groups[τ]`` over ``taus``
    (the window, τ = 0 included); ``p``'s interval: percentile bootstrap over seeds (module docstring). None
    with fewer than 4 delays or a failed fit."""
    taus = sorted(taus)
    if len(taus) < 4 or 0 not in taus:
        return None
    values = [np.asarray(groups[t], float) for t in taus]
    x = np.asarray(taus, float)

    def fit(centres, errors):
        if not (np.all(np.isfinite(centres)) and np.all(np.isfinite(errors))):
            return None
        return _fit_power(x, centres, errors)

    with np.errstate(invalid="ignore"):
        point = fit(*_centres(values, median))
        if point is None:
            return None
        rng = np.random.default_rng(stats.BOOTSTRAP_SEED)
        resampled = _centres([v[rng.integers(0, v.size, (n_boot, v.size))] for v in values], median)
    fits = [fit(centres, errors) for centres, errors in zip(*resampled)]
    exponents = [p[2] for p in fits if p is not None]
    lo, hi = (np.quantile(exponents, [0.5 - level / 2, 0.5 + level / 2]) if len(exponents) >= 2
              else (float("nan"), float("nan")))
    n = sum(v.size for v in values)
    return Fit(stats.Estimate(float(point[2]), float(lo), float(hi), n, stats.BOOTSTRAP_INTERVAL), float(point[0]),
               float(point[1]), tuple(taus), n_boot - len(exponents))


def growth_verdict(fit: Fit | None) -> str:
    """The growth rule of the module docstring."""
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


def _per_instance(runs: pd.DataFrame, f: float, diagnostics: dict, c_alpha: float) -> InstanceResult:
    by_tau = {}
    costs = stats.costs_to_target(runs, "samples", f).set_index("run_id")["cost"]  # one target for the instance
    last = runs.sort_values("samples", kind="stable").groupby("run_id", sort=False).last()
    for tau, rows in last.groupby(TAU):
        by_tau[int(tau)] = (rows["avg_grad_norm_sq"].to_numpy(float), costs.loc[rows.index].to_numpy(float))
    taus = tuple(sorted(by_tau))
    if 0 not in by_tau:
        raise ValidationError(f"runs.{TAU}", "needs the τ = 0 runs as the baseline")
    g0, t0 = by_tau[0]
    grad = {t: stats.mean_estimate(by_tau[t][0]) for t in taus}
    grad_excess = {t: welch_difference(by_tau[t][0], g0) for t in taus if t > 0}
    samples = {t: stats.median_ci(by_tau[t][1]) for t in taus}
    unreached = {t: int(np.sum(~np.isfinite(by_tau[t][1]))) for t in taus}
    few_stuck = {t: 4 * unreached[t] < by_tau[t][1].size for t in taus}
    base_ok = few_stuck[0]
    samples_excess = ({t: median_difference(by_tau[t][1], t0) for t in taus if t > 0} if base_ok else {})
    significant = [t for t, e in samples_excess.items() if e.lo > 0]
    costs = base_ok and (bool(significant) or any(not np.isfinite(samples[t].value) for t in taus))
    grad_costs = any(np.isfinite(e.lo) and e.lo > 0 for e in grad_excess.values())
    peak = max(taus, key=lambda t: grad[t].value)
    grad_fit = fit_exponent([t for t in taus if t <= peak], {t: by_tau[t][0] for t in taus}) if grad_costs else None
    samples_fit = (fit_exponent([t for t in taus if few_stuck[t]], {t: by_tau[t][1] for t in taus}, median=True)
                   if costs else None)
    horizon = int(runs["samples"].max())
    return InstanceResult(str(runs["kind"].iloc[0]), horizon, c_alpha, diagnostics, taus, grad, grad_excess,
                          samples, samples_excess, unreached, f, grad_fit, samples_fit, costs, growth_verdict(samples_fit))


def summarise(results: Results) -> Summary:
    runs = _runs(results)
    alphas = {_label(b): float(b["algorithm"]["c_alpha"]) for b in results.configs}
    out, rows, fits = [], [], []
    for (instance,), part in stats.groups(runs, ["kind"]).items():
        res = _per_instance(part, results.settings.target(instance), _diagnostics(results, instance), alphas.get(instance, float("nan")))
        out.append(res)
        for t in res.taus:
            gx = res.grad_excess.get(t)
            sx = res.samples_excess.get(t)
            rows.append({"instance": instance, "tau": t, "avg_grad_norm_sq": res.grad[t].value,
                         "avg_grad_lo": res.grad[t].lo, "avg_grad_hi": res.grad[t].hi,
                         "grad_excess": gx.value if gx else 0.0, "grad_excess_lo": gx.lo if gx else np.nan,
                         "grad_excess_hi": gx.hi if gx else np.nan, "samples_to_target": res.samples[t].value,
                         "samples_lo": res.samples[t].lo, "samples_hi": res.samples[t].hi,
                         "samples_excess": sx.value if sx else (0.0 if t == 0 else np.nan),
                         "samples_excess_lo": sx.lo if sx else np.nan, "samples_excess_hi": sx.hi if sx else np.nan,
                         "unreached": res.unreached[t], "runs": res.grad[t].n})
        for metric, fit in (("grad_excess", res.grad_fit), ("samples_excess", res.samples_fit)):
            fits.append({"instance": instance, "metric": metric,
                         "exponent": fit.exponent.value if fit else np.nan, "lo": fit.exponent.lo if fit else np.nan,
                         "hi": fit.exponent.hi if fit else np.nan, "base": fit.base if fit else np.nan,
                         "scale": fit.scale if fit else np.nan,
                         "window": " ".join(map(str, fit.window)) if fit else "",
                         "failed_resamples": fit.dropped if fit else 0})
    return Summary(tuple(out), pd.DataFrame(rows), pd.DataFrame(fits))


def _reference_lines(ax, fit: Fit, color) -> None:
    """The fitted excess ``c τ^p`` and slopes 1 and 2 through it at the first positive delay of the window."""
    t = np.geomspace(max(fit.window[1], 1), 2 * fit.window[-1], 20)
    ax.plot(t, fit.scale * t**fit.exponent.value, color=color, lw=1)
    y0 = fit.scale * t[0] ** fit.exponent.value
    ax.plot(t, y0 * t / t[0], color=color, ls="--", lw=0.8, alpha=0.7)
    ax.plot(t, y0 * (t / t[0]) ** 2, color=color, ls=":", lw=0.9, alpha=0.7)


def draw(results: Results, summary: Summary, path) -> None:
    fig, axes = pl.new_figure(1, 3, 15, 4.6)
    ax_a, ax_b, ax_c = axes[0]
    for i, res in enumerate(summary.instances):
        color = f"C{i}"
        label = (f"{res.instance} (c_α = {res.c_alpha:g}, myopia {res.diagnostics.get('myopia') or float('nan'):.2f}, "
                 f"target {res.target_fraction:.0%})")
        taus = [t for t in res.taus if t > 0]
        gx = [res.grad_excess[t] for t in taus]
        ax_a.errorbar(taus, [e.value for e in gx], yerr=pl.error_bars(gx), color=color, marker="o", ms=4, capsize=2.5,
                      label=label)
        reached = [t for t in res.taus if np.isfinite(res.samples[t].value)]
        ax_b.errorbar([max(t, 0.5) for t in reached], [res.samples[t].value for t in reached],
                      yerr=pl.error_bars([res.samples[t] for t in reached]), color=color, marker="o", ms=4, capsize=2.5,
                      label=label)
        missed = [t for t in res.taus if res.unreached[t]]
        if missed:
            ax_b.plot([max(t, 0.5) for t in missed], [res.horizon] * len(missed), ls="none", marker="^", mfc="none",
                      ms=7, color=color, label=f"{res.instance}: some runs never reach the target (cost > K)")
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
    for ax in (ax_a, ax_b, ax_c):
        ax.set_xscale("symlog" if ax is ax_b else "log", **({"linthresh": 1} if ax is ax_b else {}))
        ax.axvline(horizon ** 0.2, color="0.5", lw=0.8, ls="-.", label=f"τ = K^(1/5) = {horizon ** 0.2:.3g}")
    ax_a.axhline(0, color="0.3", lw=0.8)
    ax_b.set_yscale("log")
    ax_c.set_yscale("log")
    ax_c.plot([], [], color="0.4", ls="--", lw=0.8, label="slope 1: bound's K_0/K^σα term")
    ax_c.plot([], [], color="0.4", ls=":", lw=0.9, label="slope 2: bound's K_0²/K^2σβ term")
    ax_a.set(xlabel="constant delay τ (N = 1)", ylabel="G(τ) − G(0)",
             title=f"(a) excess of (1/K) Σ‖∇J(θ_k)‖² at K = {horizon:,}")
    ax_b.set(xlabel="constant delay τ (N = 1)", ylabel="samples to target (median)",
             title="(b) samples to close the target fraction of the gap")
    ax_c.set(xlabel="constant delay τ (N = 1)", ylabel="T(τ) − T(0)  (samples, medians)",
             title="(c) excess samples to target, log-log fit")
    for ax in (ax_a, ax_b, ax_c):
        ax.legend(loc="best", fontsize=6.5)
    pl.save(fig, path, results.title, "G: means over seeds, T: medians over seeds (runs stuck in a trap never "
            "reach the target), with 95% intervals (excess: Welch t for G, bootstrap of the median difference for T); "
            "(c) shows only τ with a positive excess; fit T(τ) = T(0) + c·τ^p, references through it")


def numbers(summary: Summary) -> list[Number]:
    out = []
    for res in summary.instances:
        for t in res.taus:
            out.append(Number("(1/K) sum |grad J|^2", f"{res.instance}, tau={t}", res.grad[t]))
            out.append(Number("samples to target (median)", f"{res.instance}, tau={t}", res.samples[t], "samples"))
        for metric, fit in (("exponent of G excess vs tau", res.grad_fit),
                            ("exponent of T excess vs tau", res.samples_fit)):
            if fit is not None:
                out.append(Number(metric, f"{res.instance}, tau in {list(fit.window)}", fit.exponent))
    return out


def claims(summary: Summary) -> list[Claim]:
    out = []
    for res in summary.instances:
        worst = max(res.taus)
        fit = res.samples_fit
        runs = res.grad[0].n
        stuck = ", ".join(f"τ={t}: {res.unreached[t]}" for t in res.taus if res.unreached[t])
        number = (f"median T(0) = {pl.fmt(res.samples[0])}, T({worst}) = {pl.fmt(res.samples[worst])} samples"
                  + (f"; runs never reaching the target (of {runs} per τ): {stuck}" if stuck else "")
                  + (f"; exponent p of T(τ) = T_0 + c τ^p over τ ∈ {list(fit.window)}: {pl.fmt(fit.exponent)}" if fit
                     else "")
                  + (f"; exponent of G(τ) − G(0) over τ ∈ {list(res.grad_fit.window)}: {pl.fmt(res.grad_fit.exponent)}"
                     f" ({growth_verdict(res.grad_fit)})" if res.grad_fit else ""))
        if 4 * res.unreached[0] >= runs:
            verdict = "undetermined: a quarter or more of the τ = 0 runs never reach the target"
        elif res.costs_samples:
            verdict = "staleness costs samples, growth " + res.growth
        else:
            verdict = f"no measurable cost up to τ = {worst}"
        out.append(Claim("Cost of staleness (Theorem 2: K_0/K^σα and K_0²/K^2σβ terms)",
                         "stale gradients cost samples, growing with the delay as the bound's terms",
                         "`staleness.png` (b, c)", number, verdict,
                         f"{res.instance}, N = 1, c_α = {res.c_alpha:g}, K = {res.horizon:,}, target "
                         f"{res.target_fraction:.0%} of the gap; "
                         + summary_line(res.diagnostics)))
    return out
