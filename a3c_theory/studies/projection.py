"""The critic projection ``Π_R`` when it binds: what a radius below ``‖ω*_θ‖`` does to convergence, to the
critic gap and to the speedup verdict.

Algorithm 1 projects the critic, ``ω_{k+1} = Π_R(ω_k + β_k g)`` with ``Π_R(ω) = ω · min(1, R/‖ω‖₂)``. The
analysis takes ``R ≥ sup_θ ‖ω*_θ‖`` (the config's ``algorithm.radius = 0``: the theory's
``R_ω = r_max / λ_min(−A_{θ_0})``), so that ``Π_R`` never moves the TD fixed point; with that radius the
projection binds in none of the paper's runs. This study sweeps ``R`` below ``‖ω*_θ‖`` on two instances, with
one and with N workers (round-robin delays, i.i.d. sampling):

- per (instance, R, N): the share of updates whose critic step was projected (``projections / samples``
  from each run's metadata), the open fraction of the gap at the end ``gap_K / gap_0`` and the final
  critic gap ``‖ω_K − ω*_{θ_K}‖`` (means with Student-t intervals over seeds);
- per (instance, R): the split-estimand cell of N workers against one worker to close ``target_fraction``
  of the gap (:func:`efficiency.cell`, paired over seeds): ``E(N) = Speedup(N)/N`` among the runs that reach
  the target with its three-way verdict, the share that reaches it and ERT;
- exact beside them: ``‖ω*_{θ_0}‖`` and ``‖ω*_{π*}‖``, the TD fixed points (eq. of ``w*_θ`` in DESIGN.md) at
  the uniform policy ``θ_0`` and at the optimal policy, which bracket ``‖ω*_θ‖`` along a converging path.

Why the effect depends on the instance: the actor's direction is ``δ ψ_θ(ŝ, â)`` with
``δ = r + γφ(ŝ')ᵀω − φ(ŝ)ᵀω``. The baseline term ``φ(ŝ)ᵀω`` averages out under the score
(``Σ_a π_θ(a|s) ψ_θ(s, a) = 0``), so a critic shrunk by ``Π_R`` biases the actor only through
``γ E[φ(ŝ')ᵀω]``: where reward-greedy actions are optimal (myopia near 1) the biased direction still points to
``π*``; where they are not (the trap chain) it does not.

Verdict rule, per instance: "a binding projection slows convergence" when, at N = 1, the smallest R's
interval of the open gap fraction lies wholly above that of the theory radius; "speeds convergence" when
wholly below; "no effect detected" when the intervals overlap. The theory radius's claim: "never binds" when
no run at that radius projected a step.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import config, exact
from . import efficiency as ef
from . import intervals
from . import plotting as pl
from . import stats
from . import time_to_target as ttt
from .study import Claim, Fraction, Number, Results, StudySettings, StudySummary

SAMPLE_SPEEDUP_VERDICT = False
"""The speedup verdicts here compare radii on purpose on a myopic and a non-myopic instance: no warning."""

THEORY = 0.0
"""``algorithm.radius`` value that selects the theory's radius."""

SLOWS, SPEEDS, NO_EFFECT = "a binding projection slows convergence", "a binding projection speeds convergence", \
    "no effect detected"


@dataclass(frozen=True)
class Settings(StudySettings):
    target_fraction: Fraction = 0.5
    """Fraction of the gap ``J* − J(θ_0)`` that E(N) is measured to."""


@dataclass(frozen=True)
class Summary(StudySummary):
    target_fraction: float
    cells: pd.DataFrame
    """One row per (instance, radius, workers): the radius used, the projected share, the open gap fraction
    and the critic gap at the end, each as value/lo/hi, and the number of runs."""
    efficiency: pd.DataFrame
    """One row per (instance, radius, workers > 1): :data:`efficiency.CELL_COLUMNS` (E(N) among successes with
    its interval and verdict, the success share, ERT)."""
    fixed_points: pd.DataFrame
    """One row per instance: ``‖ω*_{θ_0}‖`` and ``‖ω*_{π*}‖``."""
    curves: pd.DataFrame = field(repr=False)
    """Open gap fraction vs samples at N = 1, one band per (instance, radius)."""


def fixed_point_norms(base: dict) -> tuple[float, float]:
    """``(‖ω*_{θ_0}‖, ‖ω*_{π*}‖)`` on the instance of the base config ``base`` (θ_0 = 0: the uniform policy)."""
    problem = config.build_problem(config.from_dict(base))
    mdp, Phi = problem.mdp, problem.critic_features
    uniform = problem.policy.probabilities(np.zeros(problem.policy.dim))
    return (float(np.linalg.norm(exact.td_fixed_point(mdp, Phi, uniform))),
            float(np.linalg.norm(exact.td_fixed_point(mdp, Phi, exact.optimal_policy(mdp)))))


def _estimate_columns(name: str, estimate: stats.Estimate) -> dict:
    return {name: estimate.value, f"{name}_lo": estimate.lo, f"{name}_hi": estimate.hi}


def _final(runs: pd.DataFrame, column: str) -> np.ndarray:
    return np.array([r[column].iloc[-1] for r in stats.split_runs(runs)], float)


def summarise(results: Results) -> Summary:
    """The cells, E(N) rows, exact fixed-point norms and bands of the module docstring."""
    runs = stats.need(results.runs, "run_id", "kind", "workers", "seed", "samples", "J", "gap", "critic_gap",
                      "algorithm.radius")
    meta = stats.need(results.meta, "run_id", "projections", "radius").set_index("run_id")
    runs = runs.assign(open_gap=runs["gap"] / runs.groupby("run_id")["gap"].transform("first"))
    cells, eff, bands = [], [], []
    for (kind, radius), group in runs.groupby(["kind", "algorithm.radius"], sort=True):
        costs = stats.costs_to_target(group, "samples", results.settings.target_fraction)
        base = costs[costs["workers"] == 1]
        for n, g in group.groupby("workers", sort=True):
            split = stats.split_runs(g)
            ids = [r["run_id"].iloc[0] for r in split]
            samples = np.array([r["samples"].iloc[-1] for r in split], float)
            projected = meta.loc[ids, "projections"].to_numpy(float) / samples
            cells.append({"instance": kind, "radius": float(radius), "radius_used": float(meta.loc[ids, "radius"].max()),
                          "workers": int(n), "n": len(ids),
                          **_estimate_columns("projected", stats.mean_estimate(projected)),
                          **_estimate_columns("open_gap", stats.mean_estimate(_final(g, "open_gap"))),
                          **_estimate_columns("critic_gap", stats.mean_estimate(_final(g, "critic_gap")))})
            if n > 1 and len(base):
                scaled = costs[costs["workers"] == n]
                cell = ef.cell(base["cost"], base["horizon"], scaled["cost"], scaled["horizon"],
                               (base["seed"], scaled["seed"]))
                eff.append({"instance": kind, "radius": float(radius), "workers": int(n),
                            **ef.cell_row(cell, int(n))})
        one = group[group["workers"] == 1]
        bands.append(pl.labelled(stats.band(stats.curves(one, "samples", "open_gap", positive_x=True), log=True),
                                 instance=kind, radius=float(radius)))
    norms = [(c["problem"]["kind"], *fixed_point_norms(c)) for c in results.configs]
    fixed = pd.DataFrame(norms, columns=["instance", "w_star_uniform", "w_star_optimal"]).drop_duplicates("instance")
    return Summary(results.settings.target_fraction, pd.DataFrame(cells), pd.DataFrame(eff), fixed, pl.stack(bands))


def _radius_label(cell: pd.Series, w0: float) -> str:
    name = "theory" if cell["radius"] == THEORY else f"{cell['radius']:g}"
    return f"R = {name} ({cell['radius_used'] / w0:.2g}·‖ω*_θ0‖), projected {cell['projected']:.0%} of steps"


def draw(results: Results, summary: Summary, path) -> None:
    """One panel per instance: open gap fraction vs updates, one band per radius."""
    instances = list(summary.fixed_points["instance"])
    fig, axes = pl.new_figure(1, len(instances), 7.5 * len(instances), 4.6)
    for ax, kind in zip(axes[0], instances):
        w0, w_opt = summary.fixed_points.set_index("instance").loc[kind]
        cells = summary.cells[(summary.cells["instance"] == kind) & (summary.cells["workers"] == 1)]
        palette = pl.colors(list(cells["radius"]))
        for _, cell in cells.iterrows():
            band = summary.curves[(summary.curves["instance"] == kind) & (summary.curves["radius"] == cell["radius"])]
            pl.draw_band(ax, band, palette[cell["radius"]], _radius_label(cell, w0), log_y=True)
        ax.set(xscale="log", yscale="log", xlabel="updates k (one worker)", ylabel="open gap fraction gap_k / gap_0",
               title=f"{kind}: ‖ω*_θ0‖ = {w0:.3g}, ‖ω*_π*‖ = {w_opt:.3g} ({int(cells['n'].min())} seeds, mean, 95% t-band)")
        ax.legend(loc="lower left", fontsize=7)
    pl.save(fig, path, results.title)


def _setting(row, workers: bool = True) -> str:
    radius = "theory" if row["radius"] == THEORY else f"{row['radius']:g}"
    return f"{row['instance']} R={radius}" + (f" N={int(row['workers'])}" if workers else "")


def _estimate(row, name: str) -> stats.Estimate:
    return stats.Estimate(float(row[name]), float(row[f"{name}_lo"]), float(row[f"{name}_hi"]), int(row["n"]))


def numbers(summary: Summary) -> list[Number]:
    """The rows of summary.csv: projected share, open gap, critic gap, E(N) and success share."""
    out = []
    for _, row in summary.cells.iterrows():
        out += [Number("share of critic steps projected", _setting(row), _estimate(row, "projected")),
                Number("open gap fraction at the end", _setting(row), _estimate(row, "open_gap")),
                Number("critic gap at the end", _setting(row), _estimate(row, "critic_gap"))]
    for _, row in summary.efficiency.iterrows():
        out.append(Number(f"efficiency E(N) at {summary.target_fraction:.0%} of the gap (runs that reach it)",
                          _setting(row), ef.efficiency_estimate(row)))
        out.append(Number(f"share of runs reaching {summary.target_fraction:.0%} of the gap", _setting(row),
                          stats.Estimate(row["success"], row["success_lo"], row["success_hi"], int(row["runs"]),
                                         intervals.CLOPPER_PEARSON)))
    return out


def convergence_verdict(smallest: stats.Estimate, theory: stats.Estimate) -> str:
    """The module docstring's rule on the open gap fractions at the smallest radius and the theory radius."""
    if smallest.lo > theory.hi:
        return SLOWS
    if smallest.hi < theory.lo:
        return SPEEDS
    return NO_EFFECT


def claims(summary: Summary) -> list[Claim]:
    """The theory-radius row and one row per instance with the module docstring's verdict."""
    out = []
    one = summary.cells[summary.cells["workers"] == 1]
    theory_cells = summary.cells[summary.cells["radius"] == THEORY]
    if len(theory_cells):
        binds = theory_cells["projected"].max() > 0
        out.append(Claim("Algorithm 1's projection Π_R", "with the theory's radius the projection keeps ω*_θ inside "
                         "the ball", "`projection.png`",
                         "; ".join(f"{r['instance']} N={int(r['workers'])}: R = {r['radius_used']:.3g}, projected "
                                   f"share {r['projected']:.2g}" for _, r in theory_cells.iterrows()),
                         "binds" if binds else "never binds",
                         "‖ω*_π*‖ = " + ", ".join(f"{r.instance} {r.w_star_optimal:.3g}"
                                                   for r in summary.fixed_points.itertuples())))
    for kind, g in one.groupby("instance", sort=True):
        if THEORY not in set(g["radius"]) or len(g) < 2:
            continue
        theory = g[g["radius"] == THEORY].iloc[0]
        smallest = g[g["radius"] != THEORY].sort_values("radius").iloc[0]
        eff = summary.efficiency[summary.efficiency["instance"] == kind]
        w0 = float(summary.fixed_points.set_index("instance").loc[kind, "w_star_uniform"])
        out.append(Claim(f"Π_R below ‖ω*_θ‖ ({kind})",
                         "a radius below ‖ω*_θ‖ biases the critic; what it does to the actor",
                         "`projection.png`, `projection__cells.csv`",
                         f"N = 1, R = {smallest['radius']:g} ({smallest['radius'] / w0:.2g}·‖ω*_θ0‖): projected share "
                         f"{pl.fmt(_estimate(smallest, 'projected'), 2)}, critic gap "
                         f"{pl.fmt(_estimate(smallest, 'critic_gap'))}, open gap {pl.fmt(_estimate(smallest, 'open_gap'))}"
                         f" vs theory radius: critic gap {pl.fmt(_estimate(theory, 'critic_gap'))}, open gap "
                         f"{pl.fmt(_estimate(theory, 'open_gap'))}; E(N) verdicts by radius: "
                         + ", ".join(f"R={'theory' if r.radius == THEORY else f'{r.radius:g}'} N={r.workers} "
                                     f"{r.verdict} (reached by {r.success:.0%})" for r in eff.itertuples())
                         + f" ({ttt.RESTS_ON})",
                         convergence_verdict(_estimate(smallest, "open_gap"), _estimate(theory, "open_gap")),
                         "the shrunk critic biases the actor only through γE[φ(ŝ')ᵀω] (the baseline φ(ŝ)ᵀω averages "
                         "out under the score): harmless where reward-greedy actions are optimal, not elsewhere"))
    return out
