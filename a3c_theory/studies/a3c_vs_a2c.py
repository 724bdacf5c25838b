"""A3C vs A2C under stragglers (not a paper figure): (a) time to target on the simulated clock vs N,
(b) total samples to target vs N, for ``mode = "sync"`` (A2C) and ``"simulated"`` (A3C) under the same
compute-time model; (c) J vs simulated time at the largest N. Costs: mean over seeds with a 95%
percentile-bootstrap interval (never below zero).

Verdict rule: "A3C faster" when, at the largest N, A3C's mean simulated time to target is below A2C's
(or A2C never reaches the target while A3C does).
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ValidationError
from . import plotting as pl
from . import stats
from .study import Claim, Number, Results, by_workers

MODE_LABELS = {"sync": "A2C (synchronous, waits for all N)", "simulated": "A3C (asynchronous)"}
COSTS = (("time", "simulated time units"), ("samples", "samples"))


@dataclass(frozen=True)
class Settings:
    target_fraction: float = 0.9

    def __post_init__(self):
        stats.fraction(self.target_fraction)


@dataclass(frozen=True)
class Summary:
    target_fraction: float
    modes: tuple
    workers: tuple
    cost_to_target: dict
    """``{(mode, cost): {N: Estimate}}`` with cost "time" or "samples"."""
    cost: pd.DataFrame = field(repr=False)


def _runs(results: Results) -> pd.DataFrame:
    return stats.need(results.runs, "run_id", "workers", "seed", "mode", "samples", "time_s", "J", "gap")


def summarise(results: Results) -> Summary:
    runs = _runs(results)
    f = results.settings.target_fraction
    modes = tuple(m for m in ("sync", "simulated") if m in set(runs["mode"]))
    if not modes:
        raise ValidationError("runs.mode", "needs runs with mode 'sync' or 'simulated'")
    tables, costs = [], {}
    for mode in modes:
        part = runs[runs["mode"] == mode]
        for cost, _ in COSTS:
            sp = stats.speedup_table(part, cost, f)
            tables.append(pl.labelled(sp, mode=mode, cost=cost))
            costs[mode, cost] = stats.estimates(sp, "cost_mean", "cost_lo", "cost_hi")
    return Summary(f, modes, tuple(pl.values(runs, "workers")), costs, pl.stack(tables))


def draw(results: Results, summary: Summary, path) -> None:
    runs = _runs(results)
    f = summary.target_fraction
    fig, axes = pl.new_figure(1, 3, 14, 4.2)
    ax_a, ax_b, ax_c = axes[0]
    drawn = {ax_a: False, ax_b: False}
    for i, mode in enumerate(summary.modes):
        for ax, (cost, _) in zip((ax_a, ax_b), COSTS):
            sp = summary.cost[(summary.cost["mode"] == mode) & (summary.cost["cost"] == cost)]
            drawn[ax] |= pl.draw_cost(ax, sp, f"C{i}", MODE_LABELS.get(mode, mode), "os"[i % 2])
        part = runs[runs["mode"] == mode]
        n_big = max(pl.values(part, "workers"))
        b = stats.band(stats.curves(part[part["workers"] == n_big], "time_s", "J", positive_x=True), log=True)
        pl.draw_band(ax_c, b, f"C{i}", f"{MODE_LABELS.get(mode, mode)}, N = {n_big}")
    pl.target_lines(ax_c, runs, f)
    ax_c.set_xscale("log")
    for ax in (ax_a, ax_b):
        pl.log2_axis(ax, summary.workers)
        if drawn[ax]:
            ax.set_yscale("log")
            bottom, top = ax.get_ylim()
            ax.set_ylim(bottom / 6, top * 1.5)  # room for the legend below the data
            ax.legend(loc="lower left")
    ax_a.set(xlabel="workers N", ylabel="time to target (simulated time units)",
             title=f"(a) time to close {f:.0%} of the gap")
    ax_b.set(xlabel="workers N", ylabel="total samples to target", title="(b) samples to target")
    ax_c.set(xlabel="simulated time (units of one mean compute time)", ylabel="J(θ_k)  (exact)",
             title="(c) objective vs simulated time, largest N")
    ax_c.legend(loc="upper left")
    pl.save(fig, path, results.title, "costs: mean over seeds, 95% percentile-bootstrap interval")


def numbers(summary: Summary) -> list[Number]:
    out = []
    for mode in summary.modes:
        for cost, unit in COSTS:
            out += [Number(f"{cost} to target", f"{mode}, {x.setting}", x.estimate, unit)
                    for x in by_workers("", summary.cost_to_target[mode, cost])]
    return out


def claims(summary: Summary) -> list[Claim]:
    if set(summary.modes) != {"sync", "simulated"}:
        return []
    n_max = max(summary.workers)
    sync = summary.cost_to_target["sync", "time"].get(n_max)
    asyn = summary.cost_to_target["simulated", "time"].get(n_max)
    wins = sync is not None and asyn is not None and np.isfinite(asyn.value) and (
        not np.isfinite(sync.value) or asyn.value < sync.value)
    return [Claim("A3C vs A2C under stragglers (not a paper figure; lecture notes)",
                  "asynchronous updates reach the target sooner than synchronous rounds", "`a3c_vs_a2c.png`",
                  f"simulated time to target at N = {n_max}: A3C {pl.fmt(asyn) if asyn else 'n/a'}, "
                  f"A2C {pl.fmt(sync) if sync else 'n/a'} (95% percentile bootstrap over seeds)",
                  "A3C faster" if wins else "A3C not faster",
                  "A2C averages N samples per update with the same step-size schedule per round")]
