"""Where linear speedup ends as the horizon K grows: ``N*(K)`` and ``N_max(K)`` against Theorem 1's
``K_0 = O(K^{1/5})``, and Markovian efficiency against the mixing time.

(a, b) On one instance (``settings.instance``; a non-myopic trap chain), round-robin delays (``K_0 = N − 1``),
N on a grid of factor ≤ √2 around ``K^{1/5}``, for every horizon ``K`` of ``settings.horizons`` (≥ 3
decades), for every sampling option the runs have (i.i.d., Markovian):

* **Levels from a pilot.** The target of horizon K is the level one worker reaches at K, averaged over the
  *pilot* runs: one-worker runs whose seeds lie in ``[settings.pilot_first_seed, settings.pilot_last_seed]``
  and that are never judged (:func:`pilot_levels`, :func:`efficiency.level_at`), rounded to
  :data:`efficiency.LEVEL_DIGITS` significant digits. The judged runs record their hitting times of these
  levels online (``[targets]``: ``gap`` on the gap closed ``1 − gap/gap_0``, ``avg_grad`` on
  ``(1/K) Σ ‖∇J(θ_k)‖² / ‖∇J(θ_0)‖²``) and stop at the last, so the levels are fixed before the runs they
  judge and adding seeds never moves one; a judged run that recorded targets but not the pilot's level is
  refused (the error names the targets to set). A run without targets gives its first crossing read from
  its snapshots.
* **Cells.** At each K and N the split-estimand cell of :mod:`time_to_target` against N = 1, seeds paired
  across N (common random numbers; block bootstrap over seeds, McNemar for the success share):
  ``E(N)`` over the runs that reach the level (a run stuck for good is a failure of part (a), not a cost),
  ERT beside it (:func:`efficiency.cells_by_horizon`).
* **N*(K)** (the claim's quantity): where ``E(N)`` crosses 0.75, from the non-increasing fit of the point
  estimates over N, interpolated in ``log N`` (:func:`efficiency.crossing_workers`); the exponent ``a`` of
  ``N* ∝ K^a`` by least squares over the horizons with N* inside the grid, its 95% interval by the block
  bootstrap over seeds (one draw for every N and K, :func:`efficiency.crossing_by_horizon`). This is the
  ``nmax_exponent`` of summary.csv.
* **N_max(K)** beside it: the largest N linear (rule :data:`efficiency.VERDICT_RULE`) at every N' ≤ N
  (:func:`efficiency.n_max_by_horizon`), on E(N) and on ERT; it takes grid values and needs a confident
  verdict at every N' ≤ N, so its power-law fit (:func:`intervals.power_law`, with the exponents the grid
  allows, :func:`efficiency.exponent_bounds`) is coarse.

Storage (:func:`stored_rows`): of the runs on ``settings.instance`` the pilot runs keep the first and last
snapshots and the rows that bracket each horizon K (their levels interpolate there), the judged runs costed
by online hitting times keep the first and the last snapshot, the others every snapshot; a run of the mixing
family keeps the first and last snapshots and the two rows of its first crossing of ``settings.mixing_target``.

Verdict rules (paper_repro.md), with ``c`` = :data:`efficiency.REGIME_CONSTANT` and K the updates one
worker needs to reach the level (K itself, by the choice of levels): Theorem 1's condition is
*sufficient*, so a steeper exponent contradicts nothing. (i) Exponent of N*: *contradicted* when its 95%
interval lies wholly below 1/5 and N* is inside the theorem's regime (``N* − 1 ≤ c·K^{1/5}``) at some K;
:data:`efficiency.OUTSIDE` when the interval lies below 1/5 but ``N* − 1 > c·K^{1/5}`` at every K (the
theorem says nothing there); *consistent* otherwise; *undetermined* without an interval (N* leaves the grid in
more than 5% of the resamples). (ii) Cells inside the regime: at each K, :func:`efficiency.paper_claim_verdict`
on the N with ``N − 1 ≤ c·K^{1/5}``; *contradicted* when some K has a sub-linear N there, *consistent* when
every N > 1 there is linear at every K, else *undetermined*.

(c) Markovian sampling on a family of instances of one kind (``settings.mixing_kind``) with one parameter
varied (``settings.mixing_parameter``, a grid column), which changes the critic chain's ``|λ₂(P_π)|``:
``E(N)`` at a fixed gap target (``settings.mixing_target``). The bound's prediction "slower mixing hurts
more" is *consistent* when "linear up to N" does not increase with the mixing time ``1/(1 − |λ₂|)`` and the
ratio ``E_slowest(N) / E_fastest(N)`` at the largest N has its 95% bootstrap interval below 1,
*contradicted* when "linear up to N" increases and that interval lies above 1, else *undetermined*
(:func:`mixing_verdict`); the members' myopia is printed beside it.
"""

import warnings
from dataclasses import dataclass, field
from typing import Annotated

import numpy as np
import pandas as pd

from ..engine.targets import target_name
from ..errors import ValidationError
from ..instances.diagnose import summary_line
from . import efficiency as ef
from . import hits
from . import plotting as pl
from . import resample
from . import stats
from . import stored
from .intervals import POWER_LAW, power_law
from ..instances.diagnose import diagnostics_table
from . import time_to_target as ttt
from .study import Claim, Fraction, Items, Number, Positive, Range, Results, StudySettings, StudySummary

SAMPLE_SPEEDUP_VERDICT = True
"""reproduce warns when every instance of this study is myopic: its sample-speedup verdicts could not fail."""

THEORY_EXPONENT = 0.2
"""Theorem 1: linear speedup while K_0 = O(K^{1/5})."""
WIDTH_GOAL = 0.3
"""Width of the 95% interval of the N* exponent the study aims at (issue 15's acceptance)."""
METRICS = {"closed": ("gap closed", "gap", False), "grad": ("(1/K) Σ‖∇J‖²", "avg_grad", True)}
"""Column of :func:`efficiency.curves_per_run` -> (label, online target kind, whether the level is reached
from above)."""
SeedNumber = Annotated[int, Range(0.0)]


@dataclass(frozen=True)
class Settings(StudySettings):
    """Spec settings: the instance, the horizons K, the pilot's seeds, and the mixing family."""
    instance: str = "trap_chain"
    horizons: Annotated[tuple[Positive, ...], Items(min_len=3, span=100, sort=True)] = \
        (100.0, 300.0, 1000.0, 3000.0, 10000.0, 30000.0, 100000.0)
    """At least 3 horizons K spanning at least 2 decades (stored sorted; the packaged spec spans 3)."""
    pilot_first_seed: SeedNumber = 1000
    pilot_last_seed: SeedNumber = 1999
    """The one-worker runs with seeds in ``[pilot_first_seed, pilot_last_seed]`` fix the levels and are never judged."""
    mixing_kind: str = "drift_ring"
    mixing_parameter: str = "problem.locality"
    mixing_target: Fraction = 0.3


@dataclass(frozen=True)
class Summary(StudySummary):
    """N*(K) and N_max(K) per sampling option and metric, their exponent fits, the cells, the mixing table,
    diagnostics."""
    instance: str
    mixing_parameter: str
    nmax: pd.DataFrame = field(repr=False)
    """sampling, metric, horizon K, level (and the pilot's unrounded one), N*, N_max (on E and on ERT), first
    sub-linear N, censored ("above"/"below"/""), the regime's largest N, the theorem's verdict at K."""
    fits: pd.DataFrame = field(repr=False)
    """sampling, metric, exponent of N* with its bootstrap interval, seeds, seeds for a width of 0.3, the
    N_max power-law fit and the exponents its grid allows."""
    cells: pd.DataFrame = field(repr=False)
    """sampling, metric, horizon, workers and the split-estimand columns (:data:`efficiency.CELL_COLUMNS`)."""
    mixing: pd.DataFrame = field(repr=False)
    """Markovian E(N) per member of the mixing family (parameter value, |λ₂|, workers, E, interval, verdict)."""
    mixing_contrast: pd.DataFrame = field(repr=False)
    """E_slowest(N) / E_fastest(N) at the largest N with its bootstrap interval (:func:`_mixing_contrast`)."""
    diagnostics: pd.DataFrame = field(repr=False)


def nmax_table(nmax: pd.DataFrame, fits: pd.DataFrame) -> list[str]:
    """Markdown rows: sampling, target metric, K, level, N*, N_max on E (+/−: at an end of the grid) and on
    ERT, first sub-linear N, the regime's largest N and the theorem's verdict there, runs with N > 1 that
    never reached the level; then the fitted exponents."""
    lines = ["| sampling | target on | K | level | N* (E = 0.75) | N_max | N_max on ERT | first sub-linear N | "
             "largest N with N − 1 ≤ K^(1/5) | inside the regime | runs with N > 1 never reaching it |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in nmax.itertuples():
        mark = {"above": "+", "below": " (−)"}.get(r.censored, "")
        first = "—" if pd.isna(r.first_sublinear) else str(int(r.first_sublinear))
        lines.append(f"| {pl.OPTIONS.get(r.sampling, r.sampling)} | {r.metric} | {r.horizon:g} | {r.level:.4g} | "
                     f"{r.n_cross:.3g} | {int(r.n_max)}{mark} | {int(r.n_max_ert)} | {first} | {int(r.regime_n)} | "
                     f"{r.theorem} | {r.never_reached} of {r.runs} |")
    lines += ["", "| sampling | target on | a of N* [95% block bootstrap over seeds] | width | seeds | "
              "seeds for a width of 0.3 | horizons fitted | a of N_max (least squares) [95% t] | "
              "exponents the N grid allows |", "|---|---|---|---|---|---|---|---|---|"]
    for r in fits.itertuples():
        lines.append(f"| {pl.OPTIONS.get(r.sampling, r.sampling)} | {r.metric} | {r.a_cross:.3g} "
                     f"[{r.a_cross_lo:.3g}, {r.a_cross_hi:.3g}] | {r.width:.3g} | {r.seeds} | {r.seeds_needed:.0f} | "
                     f"{r.cross_points} ({r.cross_fitted:.0%} of resamples) | {r.a:.3g} [{r.lo:.3g}, {r.hi:.3g}] | "
                     f"[{r.grid_a_min:.3g}, {r.grid_a_max:.3g}] |")
    return lines


def _curves(table: pd.DataFrame, metric: str) -> dict:
    return {int(n): list(zip(g["k"], g[metric])) for n, g in table.groupby("workers")}


def _seeds(table: pd.DataFrame) -> dict:
    """``{N: seeds}`` in the order of :func:`_curves`: the worker counts are paired by seed."""
    return {int(n): g["seed"].to_numpy() for n, g in table.groupby("workers")}


def _split_pilot(s: Settings, table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pilot runs, judged runs) of :func:`efficiency.curves_per_run`'s table, by the pilot's seed range."""
    if s.pilot_last_seed < s.pilot_first_seed:
        raise ValidationError("pilot_last_seed", f"must be >= pilot_first_seed = {s.pilot_first_seed}, "
                                                 f"got {s.pilot_last_seed}")
    pilot = table["seed"].between(s.pilot_first_seed, s.pilot_last_seed)
    if (table.loc[pilot, "workers"] != 1).any():
        raise ValidationError("pilot_first_seed", f"the pilot's seeds [{s.pilot_first_seed}, {s.pilot_last_seed}] "
                                                  "must hold one-worker runs only (runs with N > 1 have them)")
    return table[pilot], table[~pilot]


def pilot_levels(pilot: pd.DataFrame, metric: str, horizons) -> tuple[list[float], list[float]]:
    """The levels of the module docstring for one sampling option's pilot runs: ``(rounded, unrounded)``,
    the unrounded one ``mean_i y_i(K)`` over the pilot runs (:func:`efficiency.level_at`)."""
    curves = list(zip(pilot["k"], pilot[metric]))
    raw = [ef.level_at(curves, float(K)) for K in horizons]
    return [ef.round_level(v) for v in raw], raw


def _online(group: pd.DataFrame, meta: pd.DataFrame, kind: str, levels: list[float], strict: bool) -> tuple:
    """``(run ids, their metadata rows)`` of the runs of ``group`` that :func:`_costs` costs by their online
    hitting times of ``levels`` (target ``kind``): those whose metadata recorded targets; none when not
    ``strict`` and some level was not recorded."""
    meta = meta.set_index("run_id") if "run_id" in meta.columns else pd.DataFrame()
    online = meta.index.intersection(group["run_id"])
    online = online[meta.loc[online, "hit_horizon"].notna()] if "hit_horizon" in meta.columns else online[:0]
    recorded = meta.loc[online].copy().reset_index()  # copy: one block, not the many of a wide joined table
    if not strict and not all(f"target_levels_{target_name(kind, v)}" in recorded.columns for v in levels):
        online, recorded = online[:0], recorded.iloc[:0]
    return online, recorded


def _costs(group: pd.DataFrame, meta: pd.DataFrame, metric: str, levels: list[float], horizons,
           strict: bool = True) -> tuple:
    """``({N: costs[horizon, seed]}, {N: run horizons}, {N: seeds})`` of one sampling option's judged runs to
    the levels: online hitting times where the run recorded targets (:mod:`hits`), else the first crossing
    of its snapshots. Runs that recorded targets but not these levels are refused (``strict``; ``--quick``,
    whose smaller pilot gives other levels, reads every run's snapshots instead)."""
    label, kind, decreasing = METRICS[metric]
    online, recorded = _online(group, meta, kind, levels, strict)
    table = {}
    for name, lev, K in zip((target_name(kind, v) for v in levels), levels, horizons):
        column = f"target_levels_{name}"
        if len(online) and (column not in recorded.columns or recorded[column].isna().any()):
            raise ValidationError(f"targets.{kind}", f"the judged {group['sampling'].iloc[0]} runs did not all record "
                                  f"the pilot's level {lev:g} (K = {K:g}); give their part targets.{kind} = "
                                  f"{[float(v) for v in levels]} (the pilot's levels)")
        if len(online):
            table[name] = hits.online_costs(recorded, name).set_index("run_id")
    costs, run_horizons, seeds = {}, {}, {}
    for n, g in group.groupby("workers"):
        rows, horizon = [], []
        for rid, k, y in zip(g["run_id"], g["k"], g[metric]):
            if rid in online:
                rows.append([table[target_name(kind, v)].at[rid, "cost"] for v in levels])
                horizon.append(table[target_name(kind, levels[0])].at[rid, "horizon"])
            else:
                rows.append([ef.cost_to_level(k, y, v, decreasing) for v in levels])
                horizon.append(float(k[-1]))
        costs[int(n)] = np.array(rows, dtype=float).T
        run_horizons[int(n)] = np.array(horizon, dtype=float)
        seeds[int(n)] = g["seed"].to_numpy()
    return costs, run_horizons, seeds


def _fit_row(sampling: str, label: str, rows: pd.DataFrame, grid: list, cross, cross_fitted: float,
             seeds: int) -> dict:
    """The exponents of one (sampling, metric): N*'s (bootstrap) and N_max's (least squares, grid bounds)."""
    inside = rows[rows["censored"] == ""]
    fit = power_law(inside["horizon"], inside["n_max"])[0] if len(inside) >= 3 else \
        stats.Estimate(np.nan, np.nan, np.nan, len(inside), POWER_LAW)
    upper = [grid[grid.index(n) + 1] for n in inside["n_max"]]
    a_min, a_max = ef.exponent_bounds(inside["horizon"], inside["n_max"], upper)
    width = cross.hi - cross.lo
    return {"sampling": sampling, "metric": label, "a_cross": cross.value, "a_cross_lo": cross.lo,
            "a_cross_hi": cross.hi, "width": width, "seeds": seeds,
            "seeds_needed": ef.seeds_for_width(width, seeds, WIDTH_GOAL), "cross_points": cross.n,
            "cross_fitted": cross_fitted, "a": fit.value, "lo": fit.lo, "hi": fit.hi, "points": fit.n,
            "censored_points": int((rows["censored"] != "").sum()), "grid_a_min": a_min, "grid_a_max": a_max}


def stored_rows(results: Results) -> pd.DataFrame:
    """The snapshot rows :func:`summarise` reads (module docstring, "Storage"): the runs table to store."""
    s, runs = results.settings, results.runs
    firsts = runs.drop_duplicates("run_id")
    mine = firsts[(firsts["kind"] == s.instance) & (firsts["delay"] == "round_robin")]
    pilot, judged = _split_pilot(s, mine)
    curves = ef.curves_per_run(runs[runs["run_id"].isin(pilot["run_id"])]) if len(pilot) else pilot
    short = set()  # judged runs costed by their online hitting times of every level
    for sampling, group in judged.groupby("sampling"):
        option_pilot = curves[curves["sampling"] == sampling]
        if option_pilot.empty:
            continue  # (summarise refuses these runs)
        online = [set(_online(group, results.meta, kind, pilot_levels(option_pilot, metric, s.horizons)[0],
                              not results.quick)[0]) for metric, (_, kind, _) in METRICS.items()]
        short |= set.intersection(*online)
    members = firsts[(firsts["kind"] == s.mixing_kind) & (firsts["sampling"] == "markov")]
    members = set(members["run_id"][members[s.mixing_parameter].notna()]) if s.mixing_parameter in runs else set()
    whole = set(judged["run_id"]) - short
    pilots = set(pilot["run_id"])

    def choose(first, k, arrays):
        rid = first["run_id"]
        if rid in whole or rid not in pilots | short | members:
            return None
        out = [stored.ends(k)]
        if rid in pilots:
            out.append(stored.around(k, s.horizons))
        if rid in members:
            out.append(stored.crossing(1.0 - arrays["gap"] / arrays["gap"][0], s.mixing_target))
        return np.unique(np.concatenate(out))
    return stored.keep(runs, choose, ["gap"])


def summarise(results: Results) -> Summary:
    """Panels (a)–(c) of the module docstring from the runs (cells paired across N and K)."""
    s = results.settings
    runs = results.runs
    kinds = set(runs["kind"])
    if s.instance not in kinds:
        raise ValidationError("instance", f"no runs of kind {s.instance!r} (have {sorted(kinds)})")
    pilot, judged = _split_pilot(s, ef.curves_per_run(runs[(runs["kind"] == s.instance) &
                                                           (runs["delay"] == "round_robin")]))
    nmax_rows, fit_rows, cell_rows = [], [], []
    for sampling, group in judged.groupby("sampling", sort=True):
        option_pilot = pilot[pilot["sampling"] == sampling]
        if option_pilot.empty:
            raise ValidationError("pilot_first_seed", f"no one-worker pilot runs of {sampling!r} sampling with seeds in "
                                                      f"[{s.pilot_first_seed}, {s.pilot_last_seed}]")
        grid = sorted(group["workers"].unique())
        for metric, (label, _, _) in METRICS.items():
            levels, raw = pilot_levels(option_pilot, metric, s.horizons)
            costs, run_horizons, seeds = _costs(group, results.meta, metric, levels, s.horizons, not results.quick)
            cells = ef.cells_by_horizon(costs, run_horizons, s.horizons, seeds)
            rows = ef.n_max_by_horizon(cells)
            nstar, cross, cross_fitted = ef.crossing_by_horizon(costs, s.horizons, seeds)
            rows.insert(1, "level", levels)
            rows.insert(2, "pilot_level", raw)
            rows.insert(3, "n_cross", nstar)
            for frame in (rows, cells):
                frame.insert(0, "metric", label)
                frame.insert(0, "sampling", sampling)
            nmax_rows.append(rows)
            cell_rows.append(cells)
            fit_rows.append(_fit_row(sampling, label, rows, grid, cross, cross_fitted, int(group["seed"].nunique())))
    fit_rows = pd.DataFrame(fit_rows)
    fit_rows["pilot_seeds"] = [int(pilot.loc[pilot["sampling"] == r.sampling, "seed"].nunique())
                               for r in fit_rows.itertuples()]
    mixing = _mixing_rows(s, runs)
    configs = [c for c in results.configs if c["problem"]["kind"] in (s.instance, s.mixing_kind)]
    diagnostics = diagnostics_table(_expand(configs, s.mixing_parameter, runs))
    contrast = _mixing_contrast(s, runs, _lambda2(diagnostics, s.instance, s.mixing_parameter))
    nmax, fits = pd.concat(nmax_rows, ignore_index=True), fit_rows
    return Summary(s.instance, s.mixing_parameter, nmax, fits, pd.concat(cell_rows, ignore_index=True), mixing,
                   contrast, diagnostics,
                   tables=((f"N*(K) and N_max(K) on the {pl.INSTANCE_NAMES.get(s.instance, s.instance)} "
                            f"(rule: {ef.VERDICT_RULE})", tuple(nmax_table(nmax, fits))),))


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


def _lambda2(diagnostics: pd.DataFrame, instance: str, parameter: str, column: str = "lambda2_critic") -> dict:
    """``{parameter value: diagnostics[column]}`` of the mixing family's members."""
    col = f"problem.{parameter.split('.', 1)[1]}"
    if col not in diagnostics.columns:
        return {}
    d = diagnostics[diagnostics["instance"] != instance]  # the mixing family's members only
    return {v: float(x) for v, x in zip(d[col], d[column]) if pd.notna(v)}


def _mixing_contrast(s: Settings, runs: pd.DataFrame, lam: dict) -> pd.DataFrame:
    """``E_slowest(N) / E_fastest(N)`` at the largest N both members have (fastest and slowest by ``|λ₂|``),
    each E over the runs that reach the target (paired within the member), with its 95% bootstrap interval
    over seeds (one block per seed for the four samples when the members share seeds)."""
    columns = ["fast", "slow", "workers", "ratio", "lo", "hi", "defined"]
    sub = runs[(runs["kind"] == s.mixing_kind) & (runs["sampling"] == "markov")]
    values = sorted((v for v in lam if s.mixing_parameter in sub.columns and (sub[s.mixing_parameter] == v).any()),
                    key=lambda v: lam[v])
    if len(values) < 2:
        return pd.DataFrame(columns=columns)
    members = []
    for v in (values[0], values[-1]):
        table = ef.curves_per_run(sub[sub[s.mixing_parameter] == v])
        members.append((ef.costs_from_curves(_curves(table, "closed"), [s.mixing_target]), _seeds(table)))
    n = max(set(members[0][0]) & set(members[1][0]))
    groups = [(seeds[m], costs[m][0]) for costs, seeds in members for m in (1, n)]
    samples, paired = resample.by_seed(*groups)
    samples = [np.where(np.isfinite(x), x, np.nan) for x in samples]

    def efficiency(base, scaled, axis=-1):
        b, g = ttt.successes(base, scaled, paired)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.nanmean(b, axis=axis) / np.nanmean(g, axis=axis)

    def statistic(fast1, fastn, slow1, slown, axis=-1):
        return efficiency(slow1, slown, axis) / efficiency(fast1, fastn, axis)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        point = float(statistic(*samples))
    iv = resample.bootstrap(statistic, samples, paired=paired)
    return pd.DataFrame([{"fast": values[0], "slow": values[-1], "workers": int(n), "ratio": point, "lo": iv.lo,
                          "hi": iv.hi, "defined": iv.defined}], columns=columns)


# --------------------------------------------------------------------------- figure
def draw(results: Results, summary: Summary, path) -> None:
    """(a) N*(K) and N_max(K) against K^(1/5) and the regime's edge, (b) E(N) against N/K^(1/5) per K, (c)
    Markovian E(N) vs mixing."""
    fig, axes = pl.new_figure(1, 3, 15.5, 4.3)
    ax_a, ax_b, ax_c = axes[0]
    for i, ((sampling, metric), g) in enumerate(summary.nmax.groupby(["sampling", "metric"], sort=True)):
        color, marker = f"C{i}", "os^v"[i % 4]
        fit = summary.fits[(summary.fits["sampling"] == sampling) & (summary.fits["metric"] == metric)].iloc[0]
        cross = np.isfinite(g["n_cross"]) & (g["n_cross"] > 1)
        ax_a.plot(g["horizon"][cross], g["n_cross"][cross], marker=marker, color=color, ls="-", lw=1,
                  label=f"N*, {pl.OPTIONS.get(sampling, sampling)}, {metric}: a = {fit['a_cross']:.2f} "
                        f"[{fit['a_cross_lo']:.2f}, {fit['a_cross_hi']:.2f}]")
        inside = g["censored"] == ""
        ax_a.plot(g["horizon"][inside], g["n_max"][inside], marker=marker, mfc="none", ms=4, color=color, ls=":",
                  lw=0.8)
    K = np.array(sorted(summary.nmax["horizon"].unique()), float)
    ax_a.plot(K, 1 + ef.REGIME_CONSTANT * K ** THEORY_EXPONENT, color="k", ls="--", lw=1,
              label=f"edge of the theorem's regime: N − 1 = {ef.REGIME_CONSTANT:g}·K^(1/5)")
    ax_a.set(xscale="log", yscale="log", xlabel="horizon K (updates one worker needs)", ylabel="workers N",
             title=f"(a) N*(K) (E = 0.75; lines) and N_max(K) (hollow), "
                   f"{pl.INSTANCE_NAMES.get(summary.instance, summary.instance)}")
    pl.plain_log_ticks(ax_a)
    ax_a.legend(fontsize=6, loc="upper left")

    first = summary.cells[summary.cells["metric"] == METRICS["closed"][0]]
    option = sorted(first["sampling"].unique())[0] if not first.empty else None
    shown = first[first["sampling"] == option]
    for i, (K, g) in enumerate(shown.groupby("horizon", sort=True)):
        g = g.sort_values("workers")
        ax_b.plot(g["workers"] / K ** THEORY_EXPONENT, g["efficiency"], marker=".", ms=3, lw=1, color=f"C{i}",
                  label=f"K = {K:g}")
    ax_b.axhline(ef.EFFICIENCY_LINEAR, color="k", ls="--", lw=0.8)
    ax_b.axvline(ef.REGIME_CONSTANT, color="0.4", ls=":", lw=1)
    ax_b.set(xscale="log", xlabel="N / K^(1/5)", ylabel="E(N) over the runs that reach the level",
             title=f"(b) E(N) against N/K^(1/5), {pl.OPTIONS.get(option, option)}, gap target "
                   f"(dotted: regime edge c = {ef.REGIME_CONSTANT:g})")
    ax_b.legend(fontsize=6)

    lam = _lambda2(summary.diagnostics, summary.instance, summary.mixing_parameter)
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
    pl.save(fig, path, results.title, f"Rule: {ef.VERDICT_RULE}.\nN*: where the non-increasing fit of E(N) crosses "
            "0.75 (interpolated in log N); exponent interval by block bootstrap over seeds. Hollow markers in (a): "
            "N_max inside the grid. Levels: what one worker reaches at K, from pilot seeds never judged")


# --------------------------------------------------------------------------- report
def numbers(summary: Summary) -> list[Number]:
    """The rows of summary.csv: ``nmax_exponent`` per sampling option (the exponent of N*(K) on the gap target,
    split estimand, block bootstrap), the N* and N_max exponents per metric, and E(N) per mixing member."""
    out = [Number("nmax_exponent", r.sampling, _cross_estimate(r))
           for r in summary.fits.itertuples() if r.metric == METRICS["closed"][0] and np.isfinite(r.a_cross)]
    out += [Number("exponent a of N* ∝ K^a (E(N*) = 0.75)", f"{pl.OPTIONS.get(r.sampling, r.sampling)}, target on {r.metric}",
                   _cross_estimate(r)) for r in summary.fits.itertuples() if np.isfinite(r.a_cross)]
    out += [Number("exponent a of N_max ∝ K^a", f"{pl.OPTIONS.get(r.sampling, r.sampling)}, target on {r.metric}",
                   stats.Estimate(r.a, r.lo, r.hi, int(r.points), POWER_LAW))
            for r in summary.fits.itertuples() if np.isfinite(r.a)]  # (the claims state the unfitted ones)
    out += [Number("efficiency E(N) (Markovian, mixing family)", f"value={r.value}, N={r.workers}",
                   ef.efficiency_estimate(r))
            for r in summary.mixing.itertuples()]
    return out


def _cross_estimate(r) -> stats.Estimate:
    return stats.Estimate(r.a_cross, r.a_cross_lo, r.a_cross_hi, int(r.cross_points), resample.PAIRED)


def exponent_verdict(lo: float, hi: float, inside_somewhere: bool) -> str:
    """Rule (i) of the module docstring on the interval ``[lo, hi]`` of the N* exponent; ``inside_somewhere``:
    whether ``N* − 1 ≤ c·K^{1/5}`` at some horizon."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "undetermined: N* leaves the N grid in more than 5% of the resamples"
    if hi < THEORY_EXPONENT:
        return ("contradicted: N* grows slower than K^(1/5)" if inside_somewhere else
                f"{ef.OUTSIDE}: N* grows slower than K^(1/5) but N* − 1 > {ef.REGIME_CONSTANT:g}·K^(1/5) at every K")
    if lo > THEORY_EXPONENT:
        return "consistent (steeper than the sufficient 1/5)"
    return "consistent (interval contains 1/5)"


def regime_verdict(theorem: list[str]) -> str:
    """Rule (ii) of the module docstring from the per-horizon verdicts of :func:`efficiency.paper_claim_verdict`."""
    if any(v == "contradicted" for v in theorem):
        return "contradicted"
    if theorem and all(v.startswith("consistent") for v in theorem):
        return "consistent"
    return ef.UNDETERMINED


def mixing_verdict(mixing: pd.DataFrame, lam: dict, contrast: pd.DataFrame) -> str:
    """(c) rule of the module docstring."""
    if mixing.empty or len(lam) < 2 or contrast.empty:
        return "undetermined: no mixing family"
    order = sorted((v for v in lam if (mixing["value"] == v).any()), key=lambda v: lam[v])  # fastest first
    up_to = [ef.linear_up_to(dict(zip(g["workers"], g["verdict"])))
             for g in (mixing[mixing["value"] == v] for v in order)]
    monotone = all(b <= a for a, b in zip(up_to, up_to[1:]))
    lo, hi = float(contrast["lo"].iloc[0]), float(contrast["hi"].iloc[0])
    if monotone and hi < 1.0:
        return "consistent"
    if not monotone and lo > 1.0:
        return "contradicted"
    return "undetermined"


def claims(summary: Summary) -> list[Claim]:
    """The N*, N_max, regime and mixing rows of paper_repro.md with the module docstring's verdicts."""
    out = []
    name = pl.INSTANCE_NAMES.get(summary.instance, summary.instance)
    diag = summary.diagnostics[summary.diagnostics["instance"] == summary.instance]
    dtext = summary_line(diag.iloc[0], name) + ". " if not diag.empty else ""
    theorem = "linear speedup while K_0 = O(K^{1/5}) (Theorem 1, sufficient)"
    for r in summary.fits.itertuples():
        g = summary.nmax[(summary.nmax["sampling"] == r.sampling) & (summary.nmax["metric"] == r.metric)]
        option = f"{pl.OPTIONS.get(r.sampling, r.sampling)}, target on {r.metric}"
        inside = bool(any(np.isfinite(n) and ef.in_regime(n, h) for h, n in zip(g["horizon"], g["n_cross"])))
        crossing = ", ".join(f"K={h:g}: {n:.3g} (regime: N ≤ {rn})" for h, n, rn in
                             zip(g["horizon"], g["n_cross"], g["regime_n"]))
        out.append(Claim(f"N*(K) where E = 0.75, {option}", theorem, "`nmax.png`, panel (a)",
                         f"a = {r.a_cross:.3g} [{r.a_cross_lo:.3g}, {r.a_cross_hi:.3g}] (width {r.width:.2g}; block "
                         f"bootstrap over {r.seeds} seeds; {r.cross_fitted:.0%} of resamples defined) from "
                         f"{r.cross_points} horizons; a width of {WIDTH_GOAL:g} would need ≈ {r.seeds_needed:.0f} seeds "
                         f"(SE ∝ 1/√seeds); N*: {crossing}",
                         exponent_verdict(r.a_cross_lo, r.a_cross_hi, inside),
                         dtext + f"Round-robin delays (K_0 = N − 1); {ttt.RESTS_ON}; seeds paired across N and K "
                         f"(common random numbers; own seed range, shared with no other study); levels from "
                         f"{r.pilot_seeds} pilot seeds never judged. A steeper exponent contradicts nothing (the "
                         f"condition is sufficient); 'contradicted' needs the interval below 1/5 with N* inside "
                         f"the regime N − 1 ≤ {ef.REGIME_CONSTANT:g}·K^(1/5) somewhere"))
        listing = ", ".join(f"K={h:g}: {int(n)}{'+' if c == 'above' else ('-' if c == 'below' else '')} "
                            f"(ERT: {int(m)})" for h, n, c, m in zip(g["horizon"], g["n_max"], g["censored"], g["n_max_ert"]))
        risk = ", ".join(f"K={h:g}: N = {int(n)}" for h, n in zip(g["horizon"], g["risk_from"]) if n)
        risk = f"; more workers raise the risk of never reaching the level from {risk}" if risk else ""
        per_k = [v for v in g["theorem"]]
        out.append(Claim(f"N_max(K) inside the theorem's regime, {option}", theorem,
                         "`nmax.png`, panels (a, b)",
                         f"N_max: {listing}; a of N_max = {r.a:.3g} [{r.lo:.3g}, {r.hi:.3g}] from {r.points} horizons "
                         f"(exponents the N grid allows: [{r.grid_a_min:.3g}, {r.grid_a_max:.3g}]); at each K, the N "
                         f"with N − 1 ≤ {ef.REGIME_CONSTANT:g}·K^(1/5): "
                         + "; ".join(f"K={h:g}: {v}" for h, v in zip(g["horizon"], per_k)) + risk,
                         regime_verdict(per_k),
                         f"{ef.VERDICT_RULE}; only N inside the regime can contradict; N_max on ERT beside it (a run "
                         "stuck for good costs its horizon there, so one stuck seed shared across N caps it)"))
    lam = _lambda2(summary.diagnostics, summary.instance, summary.mixing_parameter)
    myopia = _lambda2(summary.diagnostics, summary.instance, summary.mixing_parameter, "myopia")
    if not summary.mixing.empty:
        parts = []
        for v, g in summary.mixing.groupby("value", sort=True):
            vd = dict(zip(g["workers"], g["verdict"]))
            last = g.sort_values("workers").iloc[-1]
            parts.append(f"{v} (|λ₂| {lam.get(v, float('nan')):.4f}, myopia {myopia.get(v, float('nan')):.2f}): "
                         f"linear up to N = {ef.linear_up_to(vd)}, E({int(last['workers'])}) = "
                         f"{last['efficiency']:.2f} [{last['lo']:.2f}, {last['hi']:.2f}]")
        c = summary.mixing_contrast
        if not c.empty:
            r = c.iloc[0]
            parts.append(f"E_slowest/E_fastest at N = {int(r['workers'])} ({summary.mixing_parameter} {r['slow']} vs "
                         f"{r['fast']}): {r['ratio']:.2f} [{r['lo']:.2f}, {r['hi']:.2f}]")
        out.append(Claim("Markovian efficiency vs mixing time", "slower mixing hurts more (Õ(K_0 K^{-2/5}) bound, "
                         "Markovian)", "`nmax.png`, panel (c)", "; ".join(parts),
                         mixing_verdict(summary.mixing, lam, summary.mixing_contrast),
                         f"{ef.VERDICT_RULE}; the contrast's interval is a paired bootstrap over seeds; the members "
                         "differ in myopia as well as in mixing, so the family does not isolate mixing"))
    return out
