"""Where linear speedup ends: sample speedup vs N (log-log, base 2) per ``panel_by`` group (instance and
sampling option), one line per ``line_by`` value (delay model), with the ideal line and the theory's regime
``N ≤ K^{1/5}`` shaded (``K_0 ≈ N`` with round-robin delays, and Theorem 1 asks ``K_0 = O(K^{1/5})``).

``targets`` maps an instance (the first ``panel_by`` value) to its own target fraction (instances close
different fractions of their gap within the horizon); other panels use ``target_fraction``.

Verdict rules (paper_repro.md), with "linear at N" by :func:`stats.is_linear`:
i.i.d. (theory: linear while K_0 = O(K^{1/5})): consistent unless a line becomes sub-linear at some
N ≤ K^{1/5}; Markovian (paper: roughly linear only for small N): reproduced when some line stops being
linear before the largest N tried.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ValidationError
from . import plotting as pl
from . import stats
from .study import Claim, Number, Results, column_names

OPTIONS = (("iid", "i.i.d.: linear speedup while K_0 = O(K^{1/5})"),
           ("markov", "Markovian: roughly linear only for small N"))


@dataclass(frozen=True)
class Settings:
    target_fraction: float = 0.9
    targets: dict = field(default_factory=dict)
    panel_by: tuple = ("instance", "sampling")
    line_by: str = "delay"

    def __post_init__(self):
        stats.fraction(self.target_fraction)
        if not isinstance(self.targets, dict):
            raise ValidationError("targets", f"must be a table instance -> fraction, got {self.targets!r}")
        for key, value in self.targets.items():
            stats.fraction(value, f"targets.{key}")
        object.__setattr__(self, "panel_by", column_names(self.panel_by, "panel_by"))
        if not isinstance(self.line_by, str):
            raise ValidationError("line_by", f"must be a run column name, got {self.line_by!r}")


@dataclass(frozen=True)
class Line:
    """One speedup curve: its panel group, line value, target, horizon K and where linear speedup ends."""

    group: tuple
    line: object
    target_fraction: float
    horizon: float
    speedups: dict
    linear_up_to: int

    @property
    def regime(self) -> float:
        """``K^{1/5}``: the largest N of the theory's linear-speedup regime."""
        return self.horizon ** 0.2

    def first_sublinear(self):
        """The first tried N above :attr:`linear_up_to` (None when linear throughout)."""
        return next((n for n in sorted(self.speedups) if n > self.linear_up_to), None)


@dataclass(frozen=True)
class Summary:
    panel_by: tuple
    line_by: str
    groups: tuple
    lines: tuple
    speedup: pd.DataFrame = field(repr=False)


def _label(summary, line: Line) -> str:
    return (", ".join(f"{c}={v}" for c, v in zip(summary.panel_by, line.group)) + f", {summary.line_by}={line.line}")


def summarise(results: Results) -> Summary:
    s = results.settings
    runs = stats.need(results.runs, "run_id", "workers", "seed", "samples", "J", "gap", "horizon", s.line_by,
                      *s.panel_by)
    groups = stats.groups(runs, s.panel_by)
    lines, tables = [], []
    for group, sub in groups.items():
        K = float(np.min(sub["horizon"].to_numpy(dtype=float)))
        f = float(s.targets.get(group[0], s.target_fraction))
        for value in pl.values(runs, s.line_by):
            part = sub[sub[s.line_by] == value]
            if part.empty:
                continue
            sp = stats.speedup_table(part, "samples", f)
            speedups = stats.estimates(sp)
            lines.append(Line(group, value, f, K, speedups, stats.linear_up_to(speedups)))
            tables.append(pl.labelled(sp, **dict(zip(s.panel_by, group)), **{s.line_by: value}, target_fraction=f))
    return Summary(tuple(s.panel_by), s.line_by, tuple(groups), tuple(lines), pl.stack(tables))


def draw(results: Results, summary: Summary, path) -> None:
    runs = results.runs
    groups = summary.groups
    by_group = stats.groups(runs, summary.panel_by)
    drawn = stats.groups(summary.speedup, (*summary.panel_by, summary.line_by))
    ncols = 2 if len(groups) > 1 else 1
    nrows = int(np.ceil(len(groups) / ncols))
    fig, axes = pl.new_figure(nrows, ncols, 5.2 * ncols, 4.0 * nrows)
    line_colors = {v: f"C{i}" for i, v in enumerate(pl.values(runs, summary.line_by))}
    for idx, group in enumerate(groups):
        ax = axes.flat[idx]
        workers = pl.values(by_group[group], "workers")
        mine = [line for line in summary.lines if line.group == group]
        K, fraction = mine[0].horizon, mine[0].target_fraction
        ax.axvspan(min(workers) / 1.2, K ** 0.2, color="0.85", alpha=0.6, lw=0,
                   label=f"N ≤ K^(1/5) = {K ** 0.2:.1f} (theory regime)")
        missed = False
        for line in mine:
            sp = drawn[(*group, line.line)]
            missed |= pl.draw_speedup(ax, sp, line_colors[line.line], f"{summary.line_by} = {line.line}")
        pl.speedup_axis(ax, workers, missed)
        ax.set(xlabel="workers N (mean delay ≈ N − 1)", ylabel="sample speedup  T(1) / (T(N)/N)",
               title=", ".join(f"{c} = {v}" for c, v in zip(summary.panel_by, group)) + f"; target {fraction:.0%}")
        ax.legend(loc="upper left")
    for ax in list(axes.flat)[len(groups):]:
        ax.set_visible(False)
    pl.save(fig, path, results.title, "target: the stated fraction of the gap J* − J(θ_0) closed; 95% bootstrap CI "
            f"over seeds; 'linear' at N = CI reaches {stats.EFFICIENCY_LINEAR}·N")


def numbers(summary: Summary) -> list[Number]:
    return [Number("sample speedup", f"{_label(summary, line)}, N={n}", est)
            for line in summary.lines for n, est in sorted(line.speedups.items())]


def claims(summary: Summary) -> list[Claim]:
    rows = []
    sampling = summary.panel_by.index("sampling") if "sampling" in summary.panel_by else None
    for option, claim in OPTIONS:
        picked = [line for line in summary.lines if sampling is not None and line.group[sampling] == option]
        if not picked:
            continue
        n_max = max(max(line.speedups) for line in picked)
        text = "; ".join(f"{', '.join(str(v) for i, v in enumerate(line.group) if i != sampling)}, "
                         f"{summary.line_by} {line.line}: up to N = {line.linear_up_to} (at N = {max(line.speedups)}: "
                         f"{pl.fmt(line.speedups[max(line.speedups)])})" for line in picked)
        if option == "markov":
            finite = [line for line in picked if line.linear_up_to < max(line.speedups)]
            verdict = ("not reproduced: linear up to the largest N tried" if not finite else
                       "reproduced: linear speedup ends at a finite N on " + ", ".join(_label(summary, x) for x in finite))
        else:
            inside = [line for line in picked
                      if line.first_sublinear() is not None and line.first_sublinear() <= line.regime]
            verdict = ("consistent: linear throughout N ≤ K^{1/5}" if not inside else
                       "not consistent: sub-linear inside N ≤ K^{1/5} for " + ", ".join(_label(summary, x) for x in inside))
        notes = "; ".join(sorted({f"{line.group[0]}: target {line.target_fraction:.0%}; K = {line.horizon:.3g}; "
                                  f"K^(1/5) = {line.regime:.1f}" for line in picked}))
        rows.append(Claim(f"speedup limit, {option}", claim, "`speedup_limit.png`",
                          f"linear (CI reaches {stats.EFFICIENCY_LINEAR}·N at every N' ≤ N, largest N {n_max}) up to: "
                          f"{text}", verdict, notes))
    return rows
