"""KL regularisation (Algorithm 1's λψ(x^p) term): (a) optimality gap ``J* − J(θ_k)`` and (b)
``‖∇J_λ(θ_k)‖²`` vs samples, log-log, one line per λ (uniform prior policy, prior states η_p = η).

Verdict rule: "as expected" when the mean final gap at the largest λ exceeds the one at the smallest λ
(a larger λ pulls π_θ toward the prior, away from the optimum).
"""

from dataclasses import dataclass, field

import pandas as pd

from . import plotting as pl
from . import stats
from .study import Claim, Number, Results

SAMPLE_SPEEDUP_VERDICT = False
"""This study draws no sample-speedup verdict: no discrimination warning."""

METRICS = ("gap", "grad_lambda_norm_sq")


@dataclass(frozen=True)
class Settings:
    pass


@dataclass(frozen=True)
class Summary:
    lams: tuple
    final: dict
    """``{(metric, λ): Estimate}`` of the last snapshot's value (both metrics are >= 0)."""
    curves: pd.DataFrame = field(repr=False)


def summarise(results: Results) -> Summary:
    runs = stats.need(results.runs, "run_id", "workers", "seed", "lam", "samples", *METRICS)
    lams = tuple(pl.values(runs, "lam"))
    bands, final = [], {}
    for lam in lams:
        part = runs[runs["lam"] == lam]
        for metric in METRICS:
            curves = stats.curves(part, "samples", metric, positive_x=True)
            bands.append(pl.labelled(stats.band(curves, log=True), lam=lam, metric=metric))
            final[metric, lam] = stats.positive_mean_ci([y[-1] for _, y in curves])
    return Summary(lams, final, pl.stack(bands))


def draw(results: Results, summary: Summary, path) -> None:
    fig, axes = pl.new_figure(1, 2, 10.5, 4.2)
    ax_a, ax_b = axes[0]
    curves = summary.curves
    for i, lam in enumerate(summary.lams):
        for ax, metric in zip((ax_a, ax_b), METRICS):
            b = curves[(curves["lam"] == lam) & (curves["metric"] == metric)]
            pl.draw_band(ax, b, f"C{i}", f"λ = {lam:g}", log_y=True)
    for ax in (ax_a, ax_b):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.legend(loc="lower left")
    ax_a.set(xlabel="total samples k", ylabel="J* − J(θ_k)", title="(a) optimality gap of the unregularised J")
    ax_b.set(xlabel="total samples k", ylabel="‖∇J_λ(θ_k)‖²", title="(b) squared gradient norm of J_λ = J + λR")
    pl.save(fig, path, results.title)


def numbers(summary: Summary) -> list[Number]:
    return [Number(f"final {metric}", f"lam={lam:g}", summary.final[metric, lam])
            for lam in summary.lams for metric in METRICS]


def claims(summary: Summary) -> list[Claim]:
    first, last = summary.final["gap", summary.lams[0]], summary.final["gap", summary.lams[-1]]
    return [Claim("KL regularisation (Algorithm 1's λψ(x^p) term)",
                  "larger λ pulls π_θ toward the prior: larger gap J* − J at the end", "`regularisation.png`",
                  "final J* − J: " + "; ".join(f"λ = {lam:g} {pl.fmt(summary.final['gap', lam])}" for lam in summary.lams),
                  "as expected" if last.value > first.value else "not observed", "uniform prior policy on η_p = η")]
