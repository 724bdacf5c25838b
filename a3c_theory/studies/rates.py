"""Corollary 1 rates: running averages ``(1/K) Σ_k ‖∇J(θ_k)‖²`` and ``(1/K) Σ_k ‖w_k − w*(θ_k)‖²`` vs K.

Log-log, one column of panels per distinct value of the ``panel_by`` columns, one line per N, with
per-seed least-squares slopes over the last ``decades`` decades of K (mean, 95% t-interval) and the
reference ``K^{-2/5}``. Uses the simulated-delay runs (``mode != "threads"``).

Verdict rule: consistent with Corollary 1 when the largest mean slope of ``avg_grad_norm_sq`` is at most
−2/5 (the corollary is an upper bound, so a steeper decay is consistent with it).
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ValidationError
from . import plotting as pl
from . import stats
from .study import Claim, Number, Positive, Results, StudySettings, StudySummary

SAMPLE_SPEEDUP_VERDICT = False
"""This study draws no sample-speedup verdict: no discrimination warning."""

METRICS = (("avg_grad_norm_sq", "(1/K) Σ_k ‖∇J(θ_k)‖²"), ("avg_critic_gap_sq", "(1/K) Σ_k ‖w_k − w*(θ_k)‖²"))


@dataclass(frozen=True)
class Settings(StudySettings):
    decades: Positive = 2.0
    panel_by: tuple[str, ...] = ("sampling",)
    """Run columns whose values split the figure into panels."""


@dataclass(frozen=True)
class Fit:
    """The slope fit of one metric for one panel group and worker count."""

    group: tuple
    metric: str
    workers: int
    slope: stats.Estimate


@dataclass(frozen=True)
class Summary(StudySummary):
    panel_by: tuple
    decades: float
    groups: tuple
    workers: tuple
    fits: tuple
    curves: pd.DataFrame = field(repr=False)
    slopes: pd.DataFrame = field(repr=False)


def _label(panel_by, group) -> str:
    return ", ".join(f"{c}={v}" for c, v in zip(panel_by, group))


def _rows(results: Results) -> pd.DataFrame:
    runs = stats.need(results.runs, "run_id", "workers", "seed", "samples", "mode", *[m for m, _ in METRICS],
                      *results.settings.panel_by)
    return runs[runs["mode"] != "threads"]


def summarise(results: Results) -> Summary:
    s = results.settings
    runs = _rows(results)
    if runs.empty:
        raise ValidationError("runs.mode", "needs simulated (or sync) runs")
    groups = stats.groups(runs, s.panel_by)
    workers = pl.values(runs, "workers")
    bands, fits = [], []
    for group, sub in groups.items():
        for metric, _ in METRICS:
            for n in workers:
                part = sub[sub["workers"] == n]
                if part.empty:
                    continue
                curves = stats.curves(part, "samples", metric, positive_x=True)
                bands.append(pl.labelled(stats.band(curves, log=True), workers=n, metric=metric,
                                         **dict(zip(s.panel_by, group))))
                fits.append(Fit(group, metric, n, stats.slope_over_seeds(curves, s.decades)))
    slopes = pd.DataFrame([{**dict(zip(s.panel_by, f.group)), "metric": f.metric, "workers": f.workers,
                            "slope": f.slope.value, "lo": f.slope.lo, "hi": f.slope.hi, "n": f.slope.n,
                            "window_decades": s.decades, "theory_slope": stats.THEORY_SLOPE} for f in fits])
    return Summary(tuple(s.panel_by), float(s.decades), tuple(groups), tuple(workers), tuple(fits),
                   pl.stack(bands), slopes)


def draw(results: Results, summary: Summary, path) -> None:
    palette = pl.colors(summary.workers)
    decades = summary.decades
    fig, axes = pl.new_figure(len(METRICS), len(summary.groups), 5.0 * len(summary.groups), 7.6)
    fits = {(f.group, f.metric, f.workers): f.slope for f in summary.fits}
    curves = stats.groups(summary.curves, summary.panel_by)
    for j, group in enumerate(summary.groups):
        label_group = _label(summary.panel_by, group)
        in_group = curves[group]
        for i, (metric, ylabel) in enumerate(METRICS):
            ax = axes[i, j]
            anchor = None
            for n in summary.workers:
                if (group, metric, n) not in fits:
                    continue
                b = in_group[(in_group["metric"] == metric) & (in_group["workers"] == n)]
                pl.draw_band(ax, b, palette[n], f"N = {n}: slope {pl.fmt(fits[group, metric, n], 2)}", log_y=True)
                x, mean = b["x"].to_numpy(), b["mean"].to_numpy()
                kmax = x[-1]
                kfit = np.geomspace(kmax / 10**decades, kmax, 20)
                slope, icept = stats.fit_loglog_slope(x, mean, decades)
                ax.plot(kfit, 10**icept * kfit**slope, color=palette[n], ls=":", lw=1)
                if anchor is None:
                    anchor = (kfit[0], 10**icept * kfit[0]**slope, kmax)
            if anchor is not None:
                k0, y0, kmax = anchor
                kref = np.geomspace(k0, kmax, 20)
                ax.plot(kref, y0 * (kref / k0) ** stats.THEORY_SLOPE, color="k", ls="--", lw=1.1,
                        label="theory K^(-2/5)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set(xlabel="K (total samples)", ylabel=ylabel, title=f"{label_group}: {ylabel}")
            ax.legend(loc="lower left")
    pl.save(fig, path, results.title, f"dotted: least-squares fit over the last {decades:g} decades of K "
            "(legend: slope per seed, mean [95% t-CI]); dashed: theory K^(-2/5)")


def numbers(summary: Summary) -> list[Number]:
    return [Number(f"slope of {f.metric}", f"{_label(summary.panel_by, f.group)}, N={f.workers}", f.slope)
            for f in summary.fits]


def claims(summary: Summary) -> list[Claim]:
    def text(metric):
        return "; ".join(f"{_label(summary.panel_by, f.group)}, N={f.workers} {pl.fmt(f.slope)}"
                         for f in summary.fits if f.metric == metric)

    grad = [f.slope.value for f in summary.fits if f.metric == "avg_grad_norm_sq"]
    worst = max(grad)
    return [Claim("Corollary 1 rate", "(1/K)Σ‖∇J(θ_k)‖² = O(K^{−2/5}) + O(ε_app)", "`rates.png`, `rates__slopes.csv`",
                  f"fitted slope over the last {summary.decades:g} decades of K: {text('avg_grad_norm_sq')}. "
                  f"Critic (1/K)Σ‖w_k − w*_k‖²: {text('avg_critic_gap_sq')}",
                  "consistent: decays at least as fast as K^{−2/5}" if worst <= stats.THEORY_SLOPE else
                  f"slower than K^{{−2/5}} (largest slope {worst:.3g})",
                  "an upper bound: a steeper empirical decay is consistent with it")]
