"""Control run for the critic's approximation error: is the gap left at the end an O(ε_app) floor?

Corollary 1 bounds ``(1/K) Σ E‖∇J(θ_k)‖²`` by ``O(K^{−2/5}) + O(ε_app)``; an earlier report read the part of
the gap ``J* − J`` still open at the end of a run as that ε_app floor. The control: the same instance, the
same runs (one worker), once with the random critic features of the paper (d = 10, ε_app > 0) and once with
one-hot features (d = nS, so ``ε_app = 0`` exactly). Per run: the fraction of the gap closed at the end,
``1 − gap_K / gap_0``, and ``ε_app`` at the end; means with Student-t intervals over seeds, and the
difference one-hot − random with the paired t interval when both ran the same seeds (Welch's otherwise;
:func:`intervals.difference`).

Verdict rule (paper_repro.md): the open gap is "an ε_app floor" when one-hot features close more of the gap
and the difference's interval lies above 0 while the one-hot runs close at least :data:`FLOOR_CLOSED` of it;
"not an ε_app floor" when the interval of the difference contains 0 or lies below it (the remaining gap is
then the slow tail of softmax policy gradient under decaying steps).
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..instances.diagnose import format_eps_app
from . import plotting as pl
from . import resample, stats
from .intervals import difference
from .study import Claim, Number, Results, StudySettings, StudySummary

SAMPLE_SPEEDUP_VERDICT = False
"""This study draws no sample-speedup verdict: no discrimination warning."""

FLOOR_CLOSED = 0.99
"""With ε_app = 0 a pure floor would leave (almost) nothing open."""


@dataclass(frozen=True)
class Settings(StudySettings):
    """Spec settings: the artifact the control speaks to."""
    artifact: str = "Fig. 1(a)"


@dataclass(frozen=True)
class Summary(StudySummary):
    """Fraction of the gap closed and ε_app at the end per feature kind, and their difference."""
    artifact: str
    horizon: float
    closed: dict
    """features ("one_hot"/"random") -> Estimate of the fraction of the gap closed at the end."""
    eps_app: dict
    difference: stats.Estimate
    curves: pd.DataFrame = field(repr=False)


def _per_run(runs: pd.DataFrame, features: str, fn) -> np.ndarray:
    sub = runs[runs["problem.critic_features"] == features]
    return np.array([fn(r) for r in stats.split_runs(sub)], dtype=float)


def _seeds(runs: pd.DataFrame, features: str) -> np.ndarray:
    """Seeds in the order of :func:`_per_run`."""
    return _per_run(runs, features, lambda r: r["seed"].iloc[0]).astype(int)


def summarise(results: Results) -> Summary:
    """Per feature kind the closed fraction and ε_app over seeds; one-hot − random (paired t, or Welch)."""
    runs = stats.need(results.runs, "run_id", "seed", "samples", "gap", "eps_app", "problem.critic_features")
    closed, eps, raw = {}, {}, {}
    for features in pl.values(runs, "problem.critic_features"):
        values = _per_run(runs, features, lambda r: 1.0 - r["gap"].iloc[-1] / r["gap"].iloc[0])
        raw[features] = values
        closed[features] = stats.mean_estimate(values)
        eps[features] = stats.mean_estimate(_per_run(runs, features, lambda r: r["eps_app"].iloc[-1]))
    if set(raw) != {"one_hot", "random"}:
        raise ValidationError("runs.problem.critic_features", f"needs 'one_hot' and 'random' runs, got {sorted(raw)}")
    (a, b), paired = resample.by_seed(*[(_seeds(runs, f), raw[f]) for f in ("one_hot", "random")])
    curves = []
    for features in raw:
        sub = runs[runs["problem.critic_features"] == features].copy()
        sub["closed"] = 1.0 - sub["gap"] / sub.groupby("run_id")["gap"].transform("first")
        band = stats.band(stats.curves(sub, "samples", "closed", positive_x=True), log=True)
        band.insert(0, "features", features)
        curves.append(band)
    return Summary(results.settings.artifact, float(runs["samples"].max()), closed, eps,
                   difference(a, b, paired),
                   pd.concat(curves, ignore_index=True))


def draw(results: Results, summary: Summary, path) -> None:
    """Fraction of the gap closed vs updates for both feature kinds."""
    fig, axes = pl.new_figure(1, 1, 8, 4.6)
    ax = axes[0, 0]
    for i, (features, g) in enumerate(summary.curves.groupby("features", sort=True)):
        label = {"one_hot": "one-hot critic features (ε_app = 0)", "random": "random features d = 10 (ε_app > 0)"}
        pl.draw_band(ax, g, f"C{i}", f"{label.get(features, features)}: final ε_app "
                     f"{summary.eps_app[features].value:.2g}")
    ax.set(xscale="log", xlabel="updates k (one worker)", ylabel="fraction of the gap closed, 1 − gap_k/gap_0",
           title="Is the gap left open an ε_app floor? (mean, 95% t-band)")
    ax.legend(loc="upper left")
    pl.save(fig, path, results.title)


def numbers(summary: Summary) -> list[Number]:
    """The rows of summary.csv: closed fractions, ε_app and the difference."""
    out = [Number("fraction of the gap closed at the end", f"critic features {f}", e)
           for f, e in summary.closed.items()]
    out += [Number("eps_app at the end", f"critic features {f}", e) for f, e in summary.eps_app.items()]
    out.append(Number("difference in gap closed (one-hot − random)", f"K = {summary.horizon:g}", summary.difference))
    return out


def verdict(summary: Summary) -> str:
    """The module docstring's rule on the difference and the one-hot closed fraction."""
    d = summary.difference
    if np.isfinite(d.lo) and d.lo > 0 and summary.closed["one_hot"].value >= FLOOR_CLOSED:
        return "an ε_app floor"
    if np.isfinite(d.lo) and d.lo > 0:
        return "partly: one-hot features close more, but still leave a gap"
    return "not an ε_app floor"


def claims(summary: Summary) -> list[Claim]:
    """The control's row of paper_repro.md."""
    c, e = summary.closed, summary.eps_app
    return [Claim(f"{summary.artifact}: the gap left open", "the rest of the gap is the O(ε_app) floor of Corollary 1",
                  "`feature_control.png`",
                  f"gap closed after {summary.horizon:g} updates: one-hot (ε_app {format_eps_app(e['one_hot'].value, 2)}) "
                  f"{pl.fmt(c['one_hot'])}, random d = 10 (ε_app {format_eps_app(e['random'].value, 2)}) {pl.fmt(c['random'])}; "
                  f"difference {pl.fmt(summary.difference)}",
                  verdict(summary),
                  "control run: only the critic features differ; a gap that one-hot features (ε_app = 0) leave open "
                  "as well is the slow tail of softmax policy gradient under decaying steps, not an ε_app floor")]
