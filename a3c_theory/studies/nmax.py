"""Where linear speedup ends as the horizon K grows: ``N_max(K)`` against Theorem 1's ``K_0 = O(K^{1/5})``,
and Markovian efficiency against the mixing time.

(a, b) On one instance (``settings.instance``; a non-myopic trap chain), round-robin delays (``K_0 = N − 1``),
N on a factor-2 grid, for every horizon ``K`` of ``settings.horizons`` (≥ 2 decades): the target is the level
that one worker reaches at K on average, on the gap closed (``1 − gap/gap_0``) and on the theory's quantity
``(1/K) Σ ‖∇J(θ_k)‖²``; ``N_max(K)`` is the largest N that is linear at every N' ≤ N
(:func:`efficiency.n_max_by_horizon`, rule :data:`efficiency.VERDICT_RULE`). Fit ``N_max ∝ K^a``
(:func:`intervals.power_law`) with its interval. ``N_max`` takes grid values and needs a confident
verdict at every ``N' ≤ N``, so it often stays flat; beside it, ``N*(K)``, where the point estimate of
``E(N)`` crosses 0.75 (interpolated in ``log N``), and the exponent of ``N* ∝ K^a`` with a seed-bootstrap
interval (:func:`efficiency.crossing_by_horizon`). Both for every sampling option the runs have (i.i.d. and
Markovian).

(c) Markovian sampling on a family of instances of one kind (``settings.mixing_kind``) with one parameter
varied (``settings.mixing_parameter``, a grid column), which changes the critic chain's ``|λ₂(P_π)|``:
``E(N)`` at a fixed gap target (``settings.mixing_target``).

Verdict rules (paper_repro.md): (a/b) Theorem 1's sufficient condition is *consistent* with the data when
the fitted ``a`` is not below 1/5 (its interval, widened to the exponents the grid-quantised N_max allows,
reaches 1/5 or lies above it; steeper is allowed, the condition being sufficient) and *contradicted* when
that interval lies below 1/5 and the fit has an interval of its own (a constant N_max has none: then
*undetermined*, since a factor-2 N grid resolves the exponent only coarsely). On N*: *contradicted* when
the bootstrap interval of its exponent lies below 1/5, else *consistent*; *undetermined* when N* leaves the
grid in more than 5% of the resamples. (c) the bound's
prediction "slower mixing hurts more" is *consistent* when "linear up to N" does not increase with the
mixing time ``1/(1 − |λ₂|)`` and the efficiency at the largest N is lower for the slowest-mixing member
than for the fastest, *contradicted* when both go the other way, else *undetermined*.
"""

from dataclasses import dataclass, field
from typing import Annotated

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..instances.diagnose import summary_line
from . import efficiency as ef
from . import plotting as pl
from . import stats
from .intervals import POWER_LAW, power_law
from ..instances.diagnose import diagnostics_table
from . import time_to_target as ttt
from .study import Claim, Fraction, Items, Number, Positive, Results, StudySettings, StudySummary

SAMPLE_SPEEDUP_VERDICT = True
"""reproduce warns when every instance of this study is myopic: its sample-speedup verdicts could not fail."""

THEORY_EXPONENT = 0.2
"""Theorem 1: linear speedup while K_0 = O(K^{1/5})."""
METRICS = {"closed": ("gap closed", False), "grad": ("(1/K) Σ‖∇J‖²", True)}


@dataclass(frozen=True)
class Settings(StudySettings):
    """Spec settings: the instance, the horizons K, and the mixing family (kind, parameter, target)."""
    instance: str = "trap_chain"
    horizons: Annotated[tuple[Positive, ...], Items(min_len=3, span=100, sort=True)] = \
        (1000.0, 3000.0, 10000.0, 30000.0, 100000.0)
    """At least 3 horizons K spanning at least 2 decades (stored sorted)."""
    mixing_kind: str = "drift_ring"
    mixing_parameter: str = "problem.locality"
    mixing_target: Fraction = 0.3


@dataclass(frozen=True)
class Summary(StudySummary):
    """N_max(K) and N*(K) per sampling option and metric, their exponent fits, the mixing table, diagnostics."""
    instance: str
    mixing_parameter: str
    nmax: pd.DataFrame = field(repr=False)
    """sampling, metric, horizon K, level, N_max, first sub-linear N, censored ("above"/"below"/"")."""
    fits: pd.DataFrame = field(repr=False)
    """sampling, metric, fitted exponent a with its interval, points used."""
    mixing: pd.DataFrame = field(repr=False)
    """Markovian E(N) per member of the mixing family (parameter value, |λ₂|, workers, E, interval, verdict)."""
    diagnostics: pd.DataFrame = field(repr=False)


def nmax_table(nmax: pd.DataFrame, fits: pd.DataFrame) -> list[str]:
    """Markdown rows: sampling, target metric, K, target level, N_max (+/−: at an end of the grid), first
    sub-linear N, N* (where E crosses 0.75), runs with N > 1 that never reached the level, then the fitted
    exponents."""
    lines = ["| sampling | target on | K | level | N_max | first sub-linear N | N* (E = 0.75) | "
             "runs with N > 1 never reaching it |", "|---|---|---|---|---|---|---|---|"]
    for r in nmax.itertuples():
        mark = {"above": "+", "below": " (−)"}.get(r.censored, "")
        first = "—" if pd.isna(r.first_sublinear) else str(int(r.first_sublinear))
        lines.append(f"| {pl.OPTIONS.get(r.sampling, r.sampling)} | {r.metric} | {r.horizon:g} | {r.level:.3g} | "
                     f"{int(r.n_max)}{mark} | {first} | {r.n_cross:.3g} | {r.never_reached} of {r.runs} |")
    lines += ["", "| sampling | target on | a of N_max (least squares) [95% t] | exponents the N grid allows | "
              "horizons fitted | a of N* [95% seed bootstrap] | horizons fitted (share of resamples) |",
              "|---|---|---|---|---|---|---|"]
    for r in fits.itertuples():
        lines.append(f"| {pl.OPTIONS.get(r.sampling, r.sampling)} | {r.metric} | {r.a:.3g} [{r.lo:.3g}, {r.hi:.3g}] | "
                     f"[{r.grid_a_min:.3g}, {r.grid_a_max:.3g}] | {r.points} | {r.a_cross:.3g} "
                     f"[{r.a_cross_lo:.3g}, {r.a_cross_hi:.3g}] | {r.cross_points} ({r.cross_fitted:.0%}) |")
    return lines


def _curves(table: pd.DataFrame, metric: str) -> dict:
    return {int(n): list(zip(g["k"], g[metric])) for n, g in table.groupby("workers")}


def _seeds(table: pd.DataFrame) -> dict:
    """``{N: seeds}`` in the order of :func:`_curves`: the worker counts are paired by seed."""
    return {int(n): g["seed"].to_numpy() for n, g in table.groupby("workers")}


def summarise(results: Results) -> Summary:
    """Panels (a)–(c) of the module docstring from the runs (cells paired across N and K)."""
    s = results.settings
    runs = results.runs
    kinds = set(runs["kind"])
    if s.instance not in kinds:
        raise ValidationError("instance", f"no runs of kind {s.instance!r} (have {sorted(kinds)})")
    table = ef.curves_per_run(runs[(runs["kind"] == s.instance) & (runs["delay"] == "round_robin")])
    nmax_rows, fit_rows = [], []
    for sampling, group in table.groupby("sampling", sort=True):
        for metric, (label, decreasing) in METRICS.items():
            curves, seeds = _curves(group, metric), _seeds(group)
            rows = ef.n_max_by_horizon(curves, s.horizons, decreasing, seeds=seeds)
            rows["n_cross"], cross, cross_fitted = ef.crossing_by_horizon(curves, s.horizons, decreasing,
                                                                          seeds=seeds)
            rows.insert(0, "metric", label)
            rows.insert(0, "sampling", sampling)
            nmax_rows.append(rows)
            inside = rows[rows["censored"] == ""]
            fit = power_law(inside["horizon"], inside["n_max"])[0] if len(inside) >= 3 else \
                stats.Estimate(np.nan, np.nan, np.nan, len(inside), POWER_LAW)
            grid = sorted(group["workers"].unique())
            upper = [grid[grid.index(n) + 1] for n in inside["n_max"]]
            a_min, a_max = ef.exponent_bounds(inside["horizon"], inside["n_max"], upper)
            fit_rows.append({"sampling": sampling, "metric": label, "a": fit.value, "lo": fit.lo, "hi": fit.hi,
                             "points": fit.n, "censored_points": int((rows["censored"] != "").sum()),
                             "grid_a_min": a_min, "grid_a_max": a_max, "a_cross": cross.value,
                             "a_cross_lo": cross.lo, "a_cross_hi": cross.hi, "cross_points": cross.n,
                             "cross_fitted": cross_fitted})
    mixing = _mixing_rows(s, runs)
    configs = [c for c in results.configs if c["problem"]["kind"] in (s.instance, s.mixing_kind)]
    nmax, fits = pd.concat(nmax_rows, ignore_index=True), pd.DataFrame(fit_rows)
    return Summary(s.instance, s.mixing_parameter, nmax, fits, mixing,
                   diagnostics_table(_expand(configs, s.mixing_parameter, runs)),
                   tables=((f"N_max(K) on the {pl.INSTANCE_NAMES.get(s.instance, s.instance)} (rule: {ef.VERDICT_RULE})",
                            tuple(nmax_table(nmax, fits))),))


def _expand(configs: list, parameter: str, runs: pd.DataFrame) -> list:
    """One config per value of the mixing parameter (a grid column) so each member gets its diagnostics."""
    out = []
    section, key = parameter.split(".", 1)
    for base in configs:
        if parameter in runs.columns:
            for value in sorted(runs.loc[runs["kind"] == base["problem"]["kind"], parameter].dropna().unique()):
                c = {sec: dict(v) for sec, v in base.items()}
                c[section][key] = value.item() if hasattr(value, "item") else value
                out.append(c)
        else:
            out.append(base)
    return out


def _mixing_rows(s: Settings, runs: pd.DataFrame) -> pd.DataFrame:
    sub = runs[(runs["kind"] == s.mixing_kind) & (runs["sampling"] == "markov")]
    if sub.empty or s.mixing_parameter not in sub.columns:
        return pd.DataFrame(columns=["value", "workers", "efficiency", "lo", "hi", "n", "censored", "verdict"])
    rows = []
    for value, g in sub.groupby(s.mixing_parameter, sort=True):
        table = ef.curves_per_run(g)
        eff = ef.efficiency_table(_curves(table, "closed"), {f"gap {s.mixing_target:.0%}": s.mixing_target},
                                  seeds=_seeds(table))
        eff.insert(0, "value", value.item() if hasattr(value, "item") else value)
        rows.append(eff)
    return pd.concat(rows, ignore_index=True)


def _lambda2(summary: Summary, parameter: str) -> dict:
    d = summary.diagnostics
    col = f"problem.{parameter.split('.', 1)[1]}"
    if col not in d.columns:
        return {}
    d = d[d["instance"] != summary.instance]  # the mixing family's members only
    return {v: float(l2) for v, l2 in zip(d[col], d["lambda2_critic"]) if pd.notna(v)}


# --------------------------------------------------------------------------- figure
def draw(results: Results, summary: Summary, path) -> None:
    """N_max(K) and N*(K) against K^(1/5), the targets, and Markovian E(N) vs mixing."""
    fig, axes = pl.new_figure(1, 3, 15.5, 4.3)
    ax_a, ax_b, ax_c = axes[0]
    for i, ((sampling, metric), g) in enumerate(summary.nmax.groupby(["sampling", "metric"], sort=True)):
        color, marker = f"C{i}", "os^v"[i % 4]
        inside = g["censored"] == ""
        ax_a.plot(g["horizon"][inside], g["n_max"][inside], marker=marker, color=color, ls="none",
                  label=f"{pl.OPTIONS.get(sampling, sampling)}, target on {metric}")
        ax_a.plot(g["horizon"][~inside], g["n_max"][~inside], marker=marker, mfc="none", color=color, ls="none")
        fit = summary.fits[(summary.fits["sampling"] == sampling) & (summary.fits["metric"] == metric)].iloc[0]
        if np.isfinite(fit["a"]):
            K = g["horizon"][inside].to_numpy(float)
            c = np.exp(np.mean(np.log(g["n_max"][inside].to_numpy(float)) - fit["a"] * np.log(K)))
            ax_a.plot(K, c * K ** fit["a"], color=color, lw=1,
                      label=f"fit a = {fit['a']:.2f} [{fit['lo']:.2f}, {fit['hi']:.2f}]")
        cross = np.isfinite(g["n_cross"]) & (g["n_cross"] > 1)
        ax_a.plot(g["horizon"][cross], g["n_cross"][cross], marker="x", color=color, ls=":", lw=1,
                  label=f"N* (E = 0.75): a = {fit['a_cross']:.2f} [{fit['a_cross_lo']:.2f}, {fit['a_cross_hi']:.2f}]")
    K = np.array(sorted(summary.nmax["horizon"].unique()), float)
    ax_a.plot(K, K ** THEORY_EXPONENT, color="k", ls="--", lw=1, label="theory: K^(1/5) (sufficient)")
    ax_a.set(xscale="log", yscale="log", xlabel="horizon K (samples one worker needs)", ylabel="N_max(K)",
             title=f"(a) largest N linear at every N' ≤ N, {pl.INSTANCE_NAMES.get(summary.instance, summary.instance)}")
    pl.plain_log_ticks(ax_a)
    ax_a.legend(fontsize=6.5, loc="upper left")

    for i, ((sampling, metric), g) in enumerate(summary.nmax.groupby(["sampling", "metric"], sort=True)):
        ax_b.plot(g["horizon"], g["level"], marker="os^v"[i % 4], color=f"C{i}",
                  label=f"{pl.OPTIONS.get(sampling, sampling)}: {metric}")
    ax_b.set(xscale="log", yscale="log", xlabel="horizon K", ylabel="target level = mean of one worker at K",
             title="(b) the targets behind (a) (gap closed: fraction; ‖∇J‖²: relative to θ_0)")
    ax_b.legend(fontsize=6.5)

    lam = _lambda2(summary, summary.mixing_parameter)
    mix = summary.mixing
    for i, (value, g) in enumerate(mix.groupby("value", sort=True)):
        g = g.sort_values("workers")
        label = f"{summary.mixing_parameter} = {value}" + (f", |λ2| = {lam[value]:.4f}" if value in lam else "")
        ax_c.errorbar(g["workers"], g["efficiency"], yerr=np.nan_to_num(np.vstack(
            [g["efficiency"] - g["lo"], g["hi"] - g["efficiency"]])), marker="o", ms=3, capsize=2,
            color=f"C{i}", label=label)
    ax_c.axhline(ef.EFFICIENCY_LINEAR, color="k", ls="--", lw=0.8)
    if not mix.empty:
        pl.log2_axis(ax_c, sorted(set(mix["workers"])))
    ax_c.set(xlabel="workers N", ylabel="E(N) = Speedup(N)/N",
             title=f"(c) Markovian, {pl.INSTANCE_NAMES.get(results.settings.mixing_kind, results.settings.mixing_kind)} "
                   f"family, target {results.settings.mixing_target:.0%} of the gap")
    ax_c.legend(fontsize=6.5)
    pl.save(fig, path, results.title, f"Rule: {ef.VERDICT_RULE}.\nHollow markers in (a): N_max at an end of "
            "the N grid (a bound, left out of the fit). Crosses: N* where the point estimate of E(N) crosses 0.75 "
            "(interpolated in log N), exponent interval by seed bootstrap")


# --------------------------------------------------------------------------- report
def numbers(summary: Summary) -> list[Number]:
    """The rows of summary.csv: exponents (``nmax_exponent`` per sampling option: N_max's on the gap target)
    and E(N) at the largest N per mixing member."""
    fitted = [(r, stats.Estimate(r.a, r.lo, r.hi, int(r.points), POWER_LAW))
              for r in summary.fits.itertuples() if np.isfinite(r.a)]  # (the claims state the unfitted ones)
    out = [Number("exponent a of N_max ∝ K^a", f"{pl.OPTIONS.get(r.sampling, r.sampling)}, target on {r.metric}", a)
           for r, a in fitted]
    out += [Number("nmax_exponent", r.sampling, a) for r, a in fitted if r.metric == METRICS["closed"][0]]
    out += [Number("exponent a of N* ∝ K^a (E(N*) = 0.75)", f"{pl.OPTIONS.get(r.sampling, r.sampling)}, target on {r.metric}",
                   stats.Estimate(r.a_cross, r.a_cross_lo, r.a_cross_hi, int(r.cross_points), stats.BOOTSTRAP_INTERVAL))
            for r in summary.fits.itertuples() if np.isfinite(r.a_cross)]
    out += [Number("efficiency E(N) (Markovian, mixing family)", f"value={r.value}, N={r.workers}",
                   ef.efficiency_estimate(r))
            for r in summary.mixing.itertuples()]
    return out


def exponent_verdict(lo: float, hi: float, grid_min: float = np.nan, grid_max: float = np.nan) -> str:
    """(a/b) rule of the module docstring on the union of the fit's interval ``[lo, hi]`` and the exponents
    the N grid allows ``[grid_min, grid_max]`` (:func:`efficiency.exponent_bounds`)."""
    fitted = bool(np.isfinite(lo) and np.isfinite(hi))
    lows = [v for v in (lo, grid_min) if np.isfinite(v)]
    highs = [v for v in (hi, grid_max) if np.isfinite(v)]
    if not (lows and highs):
        return "undetermined: too few horizons with N_max inside the grid"
    lo, hi = min(lows), max(highs)
    if hi < THEORY_EXPONENT and not fitted:
        return "undetermined: N_max has no fit interval (constant over the horizons); the N grid alone cannot rule out 1/5"
    if hi < THEORY_EXPONENT:
        return "contradicted: N_max grows slower than K^(1/5)"
    if lo > THEORY_EXPONENT:
        return "consistent (steeper than the sufficient 1/5)"
    return "consistent (interval contains 1/5)"


def crossing_verdict(lo: float, hi: float) -> str:
    """Theorem 1's sufficient ``K^{1/5}`` against the bootstrap interval ``[lo, hi]`` of the exponent of N*:
    contradicted when it lies below 1/5, consistent otherwise, undetermined without an interval."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "undetermined: N* leaves the N grid in more than 5% of the resamples"
    if hi < THEORY_EXPONENT:
        return "contradicted: N* grows slower than K^(1/5)"
    if lo > THEORY_EXPONENT:
        return "consistent (steeper than the sufficient 1/5)"
    return "consistent (interval contains 1/5)"


def mixing_verdict(mixing: pd.DataFrame, lam: dict) -> str:
    """(c) rule of the module docstring."""
    if mixing.empty or len(lam) < 2:
        return "undetermined: no mixing family"
    order = sorted((v for v in lam if (mixing["value"] == v).any()), key=lambda v: lam[v])  # fastest first
    if len(order) < 2:
        return "undetermined: no mixing family"
    up_to, last = [], []
    for v in order:
        g = mixing[mixing["value"] == v]
        up_to.append(ef.linear_up_to(dict(zip(g["workers"], g["verdict"]))))
        last.append(float(g.sort_values("workers")["efficiency"].iloc[-1]))
    monotone = all(b <= a for a, b in zip(up_to, up_to[1:]))
    worse = last[-1] < last[0]
    if monotone and worse:
        return "consistent"
    if not monotone and not worse:
        return "contradicted"
    return "undetermined"


def claims(summary: Summary) -> list[Claim]:
    """The N_max and mixing rows of paper_repro.md with the module docstring's verdicts."""
    out = []
    name = pl.INSTANCE_NAMES.get(summary.instance, summary.instance)
    diag = summary.diagnostics[summary.diagnostics["instance"] == summary.instance]
    dtext = ""
    if not diag.empty:
        r = diag.iloc[0]
        dtext = summary_line(r, name) + ". "
    for r in summary.fits.itertuples():
        g = summary.nmax[(summary.nmax["sampling"] == r.sampling) & (summary.nmax["metric"] == r.metric)]
        listing = ", ".join(f"K={h:g}: {int(n)}{'+' if c == 'above' else ('-' if c == 'below' else '')}"
                            for h, n, c in zip(g["horizon"], g["n_max"], g["censored"]))
        risk = ", ".join(f"K={h:g}: N = {int(n)}" for h, n in zip(g["horizon"], g["risk_from"]) if n)
        risk = f"; more workers raise the risk of never reaching the level from {risk}" if risk else ""
        out.append(Claim(f"N_max(K), {pl.OPTIONS.get(r.sampling, r.sampling)}, target on {r.metric}",
                         "linear speedup while K_0 = O(K^{1/5}) (Theorem 1, sufficient)", "`nmax.png`, panel (a)",
                         f"a = {r.a:.3g} [{r.lo:.3g}, {r.hi:.3g}] from {r.points} horizons (exponents the N grid "
                         f"allows: [{r.grid_a_min:.3g}, {r.grid_a_max:.3g}]); N_max: {listing}{risk}",
                         exponent_verdict(r.lo, r.hi, r.grid_a_min, r.grid_a_max),
                         dtext + f"Round-robin delays; {ttt.RESTS_ON}, paired by seed across N and K; "
                         "'+': every N of the grid linear (a bound), '-': none; "
                         "the horizons share runs and N_max takes grid values, so the interval is optimistic"))
        crossing = ", ".join(f"K={h:g}: {n:.3g} ({stuck} of {runs} runs with N > 1 never got there)"
                             for h, n, stuck, runs in zip(g["horizon"], g["n_cross"], g["never_reached"], g["runs"]))
        out.append(Claim(f"N*(K) where E = 0.75, {pl.OPTIONS.get(r.sampling, r.sampling)}, target on {r.metric}",
                         "linear speedup while K_0 = O(K^{1/5}) (Theorem 1, sufficient)", "`nmax.png`, panel (a)",
                         f"a = {r.a_cross:.3g} [{r.a_cross_lo:.3g}, {r.a_cross_hi:.3g}] (seed bootstrap) from "
                         f"{r.cross_points} horizons; N*: {crossing}", crossing_verdict(r.a_cross_lo, r.a_cross_hi),
                         "N* interpolates the point estimates of E(N) in log N, so it is not held to the three-way "
                         "rule; horizons where N* is above the grid ('inf') are left out of the fit. E(N) is over "
                         "the runs that reach the level, so a run stuck for good (counted in the N_max claim) "
                         "does not move N*(K)"))
    lam = _lambda2(summary, summary.mixing_parameter)
    if not summary.mixing.empty:
        parts = []
        for v, g in summary.mixing.groupby("value", sort=True):
            vd = dict(zip(g["workers"], g["verdict"]))
            last = g.sort_values("workers").iloc[-1]
            parts.append(f"{v} (|λ₂| {lam.get(v, float('nan')):.4f}): linear up to N = {ef.linear_up_to(vd)}, "
                         f"E({int(last['workers'])}) = {last['efficiency']:.2f} [{last['lo']:.2f}, {last['hi']:.2f}]")
        out.append(Claim("Markovian efficiency vs mixing time", "slower mixing hurts more (Õ(K_0 K^{-2/5}) bound, "
                         "Markovian)", "`nmax.png`, panel (c)", "; ".join(parts), mixing_verdict(summary.mixing, lam),
                         ef.VERDICT_RULE))
    return out
