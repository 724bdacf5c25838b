"""The cost of staleness alone (issue 8, item 3): one worker (N = 1, so no parallelism enters) whose every
update is computed from parameters ``τ`` updates old (``run.delay = "constant"``, ``τ_k = min(k, τ)``),
for ``τ ∈ {0, 1, 4, 16, …, 4096}``, on each instance of the spec.

Measured per instance and ``τ``:

* ``G(τ) = (1/K) Σ_{k<K} ‖∇J(θ_k)‖²`` at the horizon ``K`` (the left-hand side of the convergence
  theorem, ``avg_grad_norm_sq`` of ``evaluate``), its mean over seeds, and its excess ``ΔG(τ) = G(τ) − G(0)``;
* ``T(τ)``, the samples to close ``target_fraction`` of the gap, by the split estimand of
  :mod:`time_to_target`: the runs that never reach it within ``K`` (on a chain with a trap a few runs at
  almost any ``τ`` settle in the trap) are failures of part (a), with an exact test against ``τ = 0``; the
  mean of ``T`` is over the runs that reach it, and its excess ``ΔT(τ) = T(τ) − T(0)``.

Pairing. Every ``τ`` runs the same seeds, and a seed's random streams do not depend on ``τ`` (common
random numbers): the analysis is paired across ``τ``. ``ΔG`` gets the paired t-interval
(:func:`intervals.difference`), ``ΔT`` the paired bootstrap over seeds (:func:`time_to_target
.difference_among_successes`), and the success test is McNemar's. Groups whose seeds differ fall back to
Welch and the unpaired bootstrap. ``G`` and ``T`` themselves: Student t and the percentile bootstrap.

Exponent fit. The excess of the means ``Δm(τ) = m(τ) − m(0)`` (on paired seeds over the seeds that
reach the target at both τ and 0, :func:`time_to_target.successes`) is fitted as ``c τ^p`` by
:func:`intervals.power_law` over the delays ``τ > 0`` of a *fit window* where ``Δm > 0``. For ``T`` the
window is every ``τ`` with fewer than a quarter of its runs stuck. For ``G`` it is ``τ ≤ τ_peak``, the
``τ`` of the largest mean ``G``: beyond it ``G`` falls again because runs that settle into a
near-deterministic (trap) policy have vanishing softmax gradients, which the theorem's stationarity
measure cannot tell from convergence. A fit is made only where a cost is measured (some excess interval
above 0). ``p``'s interval is the bootstrap over seeds of :mod:`resample` (:data:`FIT_BOOTSTRAP`
resamples, one draw of seeds for every ``τ`` when they are paired, the excesses and the fit recomputed;
a resample with fewer than 3 positive excesses is undefined and counted). Needs ≥ 3 delays ``τ > 0``
with a positive excess in the window, and ``τ = 0``, else no exponent.

Theory (Theorem 2, i.i.d. sampling): at a fixed K the bound has a term ``∝ K_0 / K^{σ_α}`` (linear in the
largest delay ``K_0 = τ``) and a term ``∝ K_0² / K^{2σ_β}`` (quadratic). Their constants are unknown, so
the figure draws slopes 1 and 2 through the first point of the window, and the scale ``τ = K^{1/5}`` of the
theorem's sufficient condition ``K_0 = O(K^{1/5})`` (constant 1). A bound is an upper bound: a fitted
exponent below 1 is consistent with it (the bound is loose in τ), one above 2 is not.

Verdict rules (per instance):

* "staleness costs samples" when some ``τ`` has a ``ΔT`` interval above 0 or raises the risk of never
  reaching the target (the exact test of :func:`time_to_target.risk_verdict`), while fewer than a quarter
  of the ``τ = 0`` runs are stuck; "undetermined" when a quarter or more of the ``τ = 0`` runs never reach
  it; "no measurable cost up to τ = τ_max" otherwise;
* growth of ``ΔT``: "slower than linear" if the exponent's interval lies below 1, "faster than
  quadratic" if it lies above 2, "between linear and quadratic" if it lies in [1, 2], else
  "consistent with linear" (interval contains 1); "not estimated" without an exponent.

The instance diagnostics at ``θ_0`` (myopia, ``|λ₂|`` of the critic and actor chains, TV(μ, d), ε_app)
are printed beside every verdict.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..instances.diagnose import summary_line
from . import plotting as pl
from . import resample, stats
from . import time_to_target as ttt
from .intervals import difference, power_law
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
    """``m(τ) = base + scale · τ^exponent`` over ``window`` (delays, τ = 0 included; ``base`` = m(0));
    ``exponent`` carries its bootstrap interval; ``dropped`` counts bootstrap resamples whose fit failed."""

    exponent: stats.Estimate
    base: float
    scale: float
    window: tuple
    dropped: int


@dataclass(frozen=True)
class InstanceResult:
    """One instance's results: horizon, c_α, diagnostics, and per τ the excesses, costs, risks and fits."""
    instance: str
    horizon: int
    c_alpha: float
    diagnostics: dict
    taus: tuple
    grad: dict
    """``{τ: Estimate}`` of G(τ)."""
    grad_excess: dict
    samples: dict
    """``{τ: Estimate}`` of the mean T(τ) over the runs that reached the target (NaN if none did)."""
    samples_excess: dict
    unreached: dict
    """``{τ: runs that never reached the target}``."""
    risk: dict
    """``{τ > 0: risk verdict}`` of part (a) against τ = 0 (:func:`time_to_target.risk_verdict`)."""
    target_fraction: float
    grad_fit: Fit | None
    samples_fit: Fit | None
    costs_samples: bool
    growth: str


@dataclass(frozen=True)
class Summary(StudySummary):
    """One :class:`InstanceResult` per instance and the bands drawn."""
    instances: tuple
    table: pd.DataFrame = field(repr=False)
    fits: pd.DataFrame = field(repr=False)


def _runs(results: Results) -> pd.DataFrame:
    runs = stats.need(results.runs, "run_id", "seed", "workers", "samples", "J", "gap", "avg_grad_norm_sq",
                      "kind", TAU)
    if set(runs["workers"]) != {1}:
        raise ValidationError("runs.workers", "the staleness study runs one worker (N = 1) only")
    return runs


FIT_BOOTSTRAP = 1000
"""Bootstrap resamples of the exponent fit."""


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
    costs = stats.costs_to_target(runs, "samples", f).set_index("run_id")  # one target for the instance
    last = runs.sort_values("samples", kind="stable").groupby("run_id", sort=False).last()
    for tau, rows in last.groupby(TAU):
        c = costs.loc[rows.index]
        by_tau[int(tau)] = (rows["avg_grad_norm_sq"].to_numpy(float), c["cost"].to_numpy(float),
                            c["seed"].to_numpy())
    taus = tuple(sorted(by_tau))
    if 0 not in by_tau:
        raise ValidationError(f"runs.{TAU}", "needs the τ = 0 runs as the baseline")
    g0, t0, s0 = by_tau[0]
    seeds = {t: by_tau[t][2] for t in taus}
    grad = {t: stats.mean_estimate(by_tau[t][0]) for t in taus}
    grad_excess = {}
    for t in taus[1:]:
        (g, base), paired = resample.by_seed((seeds[t], by_tau[t][0]), (s0, g0))
        grad_excess[t] = difference(g, base, paired)
    samples = {t: ttt.mean_among_successes(by_tau[t][1]) for t in taus}
    unreached = {t: int(np.sum(~np.isfinite(by_tau[t][1]))) for t in taus}
    few_stuck = {t: 4 * unreached[t] < by_tau[t][1].size for t in taus}
    base_ok = few_stuck[0]
    samples_excess = ({t: ttt.difference_among_successes(by_tau[t][1], t0, seeds=(seeds[t], s0)) for t in taus[1:]}
                      if base_ok else {})
    risks = {t: ttt.risk(t0, by_tau[t][1], seeds=(s0, seeds[t])) for t in taus[1:]}
    significant = [t for t, e in samples_excess.items() if e.lo > 0]
    costs = base_ok and (bool(significant) or ttt.RAISED in risks.values())
    grad_costs = any(np.isfinite(e.lo) and e.lo > 0 for e in grad_excess.values())
    peak = max(taus, key=lambda t: grad[t].value)
    grad_fit = (fit_exponent([t for t in taus if t <= peak], {t: by_tau[t][0] for t in taus}, seeds)
                if grad_costs else None)
    samples_fit = (fit_exponent([t for t in taus if few_stuck[t]], {t: by_tau[t][1] for t in taus}, seeds)
                   if costs else None)
    horizon = int(runs["samples"].max())
    return InstanceResult(str(runs["kind"].iloc[0]), horizon, c_alpha, diagnostics, taus, grad, grad_excess,
                          samples, samples_excess, unreached, risks, f, grad_fit, samples_fit, costs,
                          growth_verdict(samples_fit))


def summarise(results: Results) -> Summary:
    """ΔG(τ), the costs to target and their fits per instance, paired across τ (module docstring)."""
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
                         "unreached": res.unreached[t], "risk": res.risk.get(t, ""), "runs": res.grad[t].n})
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
    """ΔG(τ) and the cost to target vs τ per instance, with the fits."""
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
    ax_b.set(xlabel="constant delay τ (N = 1)", ylabel="samples to target (mean over runs reaching it)",
             title="(b) samples to close the target fraction of the gap")
    ax_c.set(xlabel="constant delay τ (N = 1)", ylabel="T(τ) − T(0)  (samples, paired)",
             title="(c) excess samples to target, log-log fit")
    for ax in (ax_a, ax_b, ax_c):
        ax.legend(loc="best", fontsize=6.5)
    pl.save(fig, path, results.title, "G: means over seeds, T: means over the runs that reach the target (runs "
            "stuck in a trap never do), with 95% intervals (excess, paired across τ by seed: paired t for G, paired bootstrap "
            "for T); "
            "(c) shows only τ with a positive excess; fit T(τ) = T(0) + c·τ^p, references through it")


def numbers(summary: Summary) -> list[Number]:
    """The rows of summary.csv: ΔG, costs and exponents per instance and τ."""
    out = []
    for res in summary.instances:
        for t in res.taus:
            out.append(Number("(1/K) sum |grad J|^2", f"{res.instance}, tau={t}", res.grad[t]))
            out.append(Number("samples to target (mean over runs reaching it)", f"{res.instance}, tau={t}",
                              res.samples[t], "samples"))
        for metric, fit in (("exponent of G excess vs tau", res.grad_fit),
                            ("exponent of T excess vs tau", res.samples_fit)):
            if fit is not None:
                out.append(Number(metric, f"{res.instance}, tau in {list(fit.window)}", fit.exponent))
    return out


def claims(summary: Summary) -> list[Claim]:
    """One staleness row per instance with the module docstring's verdicts."""
    out = []
    for res in summary.instances:
        worst = max(res.taus)
        fit = res.samples_fit
        runs = res.grad[0].n
        stuck = ", ".join(f"τ={t}: {res.unreached[t]}" for t in res.taus if res.unreached[t])
        raised = [t for t, r in res.risk.items() if r == ttt.RAISED]
        number = (f"mean T over the runs reaching the target: T(0) = {pl.fmt(res.samples[0])}, T({worst}) = "
                  f"{pl.fmt(res.samples[worst])} samples"
                  + (f"; runs never reaching the target (of {runs} per τ): {stuck}" if stuck else "")
                  + (f"; more of them than at τ = 0 (exact test) at τ = {', '.join(map(str, raised))}"
                     if raised else "")
                  + (f"; exponent p of T(τ) − T(0) = c τ^p over τ ∈ {list(fit.window)}: {pl.fmt(fit.exponent)}"
                     if fit else "")
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
                         f"{res.target_fraction:.0%} of the gap; T(τ) is over the runs that reach it, those that "
                         "never do count apart (exact test against τ = 0); "
                         "paired by seed across τ; " + summary_line(res.diagnostics)))
    return out
