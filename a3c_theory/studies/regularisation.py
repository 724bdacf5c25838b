"""KL regularisation (Algorithm 1's λψ(x^p) term): (a) optimality gap ``J* − J(θ_k)``, (b)
``‖∇J_λ(θ_k)‖²`` and (c) the gap to the regularised optimum ``J_λ* − J_λ(θ_k)`` vs samples, log-log, one line
per λ (uniform prior policy, prior states η_p = η). ``J_λ* = max_θ J_λ`` is computed exactly
(``exact.regularised_optimum``: exact-gradient ascent to ‖∇J_λ‖ ≤ 1e-10 from 3 starts; its spread over the
starts is reported); ``J_0* = J*``.

Verdict rules: J_λ*: "closes ≥ 90%" when the mean final J_λ* − J_λ is at most 10% of the mean initial one
at every λ; "as expected" when the mean final gap at the largest λ exceeds the one at the smallest λ
(a larger λ pulls π_θ toward the prior, away from the optimum).
"""

from dataclasses import dataclass, field

import pandas as pd

from .. import config, exact

from . import plotting as pl
from . import stats
from .study import Claim, Number, Results, StudySettings, StudySummary

SAMPLE_SPEEDUP_VERDICT = False
"""This study draws no sample-speedup verdict: no discrimination warning."""

METRICS = ("gap", "grad_lambda_norm_sq", "regularised_gap")

CLOSED_FRACTION = 0.9
"""Verdict rule of the J_λ* claim: the mean final ``J_λ* − J_λ`` is at most 10% of the mean initial one."""


@dataclass(frozen=True)
class Settings(StudySettings):
    """No settings: the spec's λ grid is the study."""
    pass


@dataclass(frozen=True)
class Summary(StudySummary):
    """Final values per (metric, λ), the bands drawn, and J_λ* with its certificate per λ."""
    lams: tuple
    final: dict
    """``{(metric, λ): Estimate}`` of the last snapshot's value (every metric is >= 0)."""
    curves: pd.DataFrame = field(repr=False)
    optimum: dict = field(default_factory=dict)
    """``{λ: (J_λ*, ‖∇J_λ‖ at the maximiser, spread over the starts)}``; λ = 0: ``(J*, 0, 0)``."""


def regularised_optima(base: dict, lams) -> dict:
    """``{λ: (J_λ*, ‖∇J_λ‖, spread)}`` on the instance of the base config ``base``."""
    problem = config.build_problem(config.from_dict(base))
    out = {}
    for lam in lams:
        if lam == 0:
            out[lam] = (exact.optimal_objective(problem.mdp), 0.0, 0.0)
        else:
            best = exact.regularised_optimum(problem, lam)
            out[lam] = (best.value, best.grad_norm, best.spread)
    return out


def summarise(results: Results) -> Summary:
    """Bands and final values of J* − J, ‖∇J_λ‖² and J_λ* − J_λ per λ (J_λ* exact)."""
    runs = stats.need(results.runs, "run_id", "workers", "seed", "lam", "samples", "J_lambda", *METRICS[:2])
    lams = tuple(pl.values(runs, "lam"))
    optimum = regularised_optima(results.configs[0], lams)
    runs = runs.assign(regularised_gap=runs["lam"].map({lam: v[0] for lam, v in optimum.items()}) - runs["J_lambda"])
    bands, final = [], {}
    for lam in lams:
        part = runs[runs["lam"] == lam]
        for metric in METRICS:
            curves = stats.curves(part, "samples", metric, positive_x=True)
            bands.append(pl.labelled(stats.band(curves, log=True), lam=lam, metric=metric))
            final[metric, lam] = stats.positive_mean_ci([y[-1] for _, y in curves])
            if metric == "regularised_gap":
                final["regularised_gap_start", lam] = stats.positive_mean_ci([y[0] for _, y in curves])
    return Summary(lams, final, pl.stack(bands), optimum)


def draw(results: Results, summary: Summary, path) -> None:
    """The three panels of the module docstring."""
    fig, axes = pl.new_figure(1, 3, 15.5, 4.2)
    ax_a, ax_b, ax_c = axes[0]
    curves = summary.curves
    for i, lam in enumerate(summary.lams):
        for ax, metric in zip((ax_a, ax_b, ax_c), METRICS):
            b = curves[(curves["lam"] == lam) & (curves["metric"] == metric)]
            pl.draw_band(ax, b, f"C{i}", f"λ = {lam:g}", log_y=True)
    for ax in (ax_a, ax_b, ax_c):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.legend(loc="lower left")
    ax_a.set(xlabel="total samples k", ylabel="J* − J(θ_k)", title="(a) optimality gap of the unregularised J")
    ax_b.set(xlabel="total samples k", ylabel="‖∇J_λ(θ_k)‖²", title="(b) squared gradient norm of J_λ = J + λR")
    ax_c.set(xlabel="total samples k", ylabel="J_λ* − J_λ(θ_k)", title="(c) gap to the regularised optimum")
    pl.save(fig, path, results.title)


def numbers(summary: Summary) -> list[Number]:
    """The rows of summary.csv: final values per metric and λ."""
    return [Number(f"final {metric}", f"lam={lam:g}", summary.final[metric, lam])
            for lam in summary.lams for metric in METRICS]


def claims(summary: Summary) -> list[Claim]:
    """The J_λ* and the larger-λ rows of paper_repro.md."""
    first, last = summary.final["gap", summary.lams[0]], summary.final["gap", summary.lams[-1]]
    certificate = "; ".join(f"λ = {lam:g}: J_λ* = {v:.6g} (‖∇J_λ‖ {g:.1g}, spread over 3 starts {d:.1g})"
                            for lam, (v, g, d) in summary.optimum.items() if lam > 0)
    closed = [summary.final["regularised_gap", lam] for lam in summary.lams]
    open_at = [lam for lam, c in zip(summary.lams, closed)
               if not c.value <= (1 - CLOSED_FRACTION) * summary.final["regularised_gap_start", lam].value]
    return [Claim("KL regularisation: convergence to the regularised optimum",
                  "A3C converges to a stationary point of J_λ: J_λ* − J_λ(θ_k) → 0 (panel c)", "`regularisation.png`",
                  "final J_λ* − J_λ: " + "; ".join(f"λ = {lam:g} {pl.fmt(c)}" for lam, c in zip(summary.lams, closed)),
                  f"closes ≥ {CLOSED_FRACTION:.0%} of J_λ* − J_λ(θ_0) at every λ" if not open_at else
                  "closes less than {:.0%} at λ = {}".format(CLOSED_FRACTION, ", ".join(f"{lam:g}" for lam in open_at)),
                  "J_λ* exact: " + certificate),
            Claim("KL regularisation (Algorithm 1's λψ(x^p) term)",
                  "larger λ pulls π_θ toward the prior: larger gap J* − J at the end", "`regularisation.png`",
                  "final J* − J: " + "; ".join(f"λ = {lam:g} {pl.fmt(summary.final['gap', lam])}" for lam in summary.lams),
                  "as expected" if last.value > first.value else "not observed", "uniform prior policy on η_p = η")]
