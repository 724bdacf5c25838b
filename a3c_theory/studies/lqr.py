"""Continuous actions: A3C-TD(0) on linear-quadratic problems with Gaussian policies ``N(−Kx, σ²I)``
(issue 17, DESIGN.md §7), where every quantity is exact: ``J(K)``, ``J*``, and the TD(0) fixed point
``w*_K`` of the quadratic features ``φ(x) = [svec(xxᵀ); 1]`` (ε_app = 0).

Runs (spec ``lqr.toml``): the exact delay simulator with round-robin delays (τ = N − 1), i.i.d. (option 1:
``x ~ μ_K``, ``x̂ ~ d_K``) and Markovian (option 2) sampling, on one or more instances told apart by the
``problem.*`` axes of the parts' grids (one value per part).

Panels, per instance: (a, b) the optimality gap ``J* − J(K_k)`` vs total samples for N in
``settings.convergence_workers``, i.i.d. and Markovian; (c, d) the critic gap ``‖ω_k − w*_{K_k}‖₂``. Curves are
means with Student-t 95% bands over the runs that did **not** diverge; the legend counts the runs that did.
Bottom row: ``E(N) = Speedup(N)/N`` to each gap target for N in ``settings.speedup_workers``.

Divergence: a gain that leaves the stabilising set ``ρ(A − BK) < 1`` ends its run with the outcome "diverged
at k" (:mod:`a3c_theory.divergence`); such a run counts as never reaching any target, whatever its snapshots
before the divergence show, and its cost horizon is the count it diverged at (the updates it spent).

Speedup: the split estimand and the verdict machinery of the speedup study (:mod:`efficiency`:
``cell`` / ``cell_row`` / ``verdict``): the cost of a run is the first total sample count at which the gap
fraction closed, ``1 − gap_k / gap_0``, reaches the target, interpolated between snapshots (online hitting
times do not exist for lqr runs); seeds are paired across N (common random numbers). A cell whose interval lies
above 1 is flagged superlinear: with round-robin delays the first N updates are all computed at K0 (the
speedup study measures this start-up burst on finite MDPs).

Verdict rules (paper_repro.md, section "Continuous actions"):
- convergence of J: "reproduced" when, at every N, no run diverged and the mean fraction of the gap closed at
  the horizon is at least ``settings.closed_fraction``; "partly" otherwise, saying which N fall short and
  how many runs diverged;
- critic: "reproduced" when the mean final critic gap is below :data:`CRITIC_RATIO` × the initial one at
  every N (non-diverged runs);
- speedup: :func:`efficiency.paper_claim_verdict` per target (i.i.d.: linear speedup inside Theorem 1's regime
  N − 1 ≤ K^(1/5); Markovian: roughly linear only for small N), at every N :data:`efficiency.VERDICT_RULE`.

What the theory does not cover, and the rows say: the quadratic features and the Gaussian score
``ψ_K(x, u) = −(u + Kx)xᵀ/σ²`` are unbounded, so Assumptions 2–3 (bounded features and score) hold only on
bounded sets of states; the iterates may leave the stabilising set (J = −∞), which the theory cannot see.
"""

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import config
from ..divergence import DIVERGED
from ..errors import ValidationError
from ..lqr.diagnose import LQRDiagnostics, diagnose_lqr, lqr_summary_line
from . import efficiency as ef
from . import plotting as pl
from . import stats
from . import time_to_target as ttt
from .intervals import Estimate, success_rate
from .study import Claim, Fraction, Items, Number, Results, StudySettings, StudySummary, no_interval
from typing import Annotated

SAMPLE_SPEEDUP_VERDICT = True
"""This study draws sample-speedup verdicts (myopia is a finite-MDP notion: no discrimination warning)."""

SECTION = "Continuous actions"
"""The heading of this study's rows in paper_repro.md."""

SUPERLINEAR = 1.0
"""A cell is flagged superlinear when the interval of its E(N) lies above 1."""

CRITIC_RATIO = 0.1
"""The critic claim holds when the mean final critic gap is below this fraction of the initial one."""

METRICS = ("gap", "critic_gap")


@dataclass(frozen=True)
class Settings(StudySettings):
    """Spec settings: the gap targets of the speedup verdicts, the worker counts of each part of the figure,
    and the fraction of the gap the convergence claim asks for."""
    targets: Annotated[tuple[Fraction, ...], Items(sort=True)] = (0.5, 0.8, 0.9)
    """Fractions of the gap ``J* − J(K0)`` closed: the targets of ``E(N)``."""
    convergence_workers: Annotated[tuple[int, ...], Items(sort=True)] = (1, 2, 4, 8, 16)
    """Worker counts drawn in the convergence panels (those the runs have)."""
    speedup_workers: Annotated[tuple[int, ...], Items(sort=True)] = (1, 4, 16, 64)
    """Worker counts of the speedup cells (those the runs have; N = 1 is the baseline)."""
    closed_fraction: Fraction = 0.9
    """The convergence claim: the mean fraction of the gap closed at the horizon, at every N."""


@dataclass(frozen=True)
class Summary(StudySummary):
    """Bands, final values, divergences, E(N) cells and verdicts per instance and sampling option, and each
    instance's diagnostics at K0."""
    instances: tuple
    closed_fraction: float
    """The convergence claim's threshold (``Settings.closed_fraction``)."""
    diagnosed: dict = field(repr=False)
    """``{instance label: LQRDiagnostics}`` at K0."""
    curves: pd.DataFrame = field(repr=False)
    """Bands over the non-diverged runs: instance, sampling, metric, workers, x, mean, lo, hi, seeds."""
    final: pd.DataFrame = field(repr=False)
    """Per instance, sampling, N: runs, diverged, gap closed at the horizon and critic gaps (mean, t-interval)."""
    efficiency: pd.DataFrame = field(repr=False)
    """One row per instance, sampling, target, N: c_α and :data:`efficiency.CELL_COLUMNS`."""
    verdicts: pd.DataFrame = field(repr=False)
    """One row per instance, sampling, target: linear up to N, first sub-linear N, the paper-claim verdict."""
    diagnostics: pd.DataFrame = field(repr=False)
    """The diagnostics at K0 per instance (``LQRDiagnostics``' numbers)."""


# --------------------------------------------------------------------------- instances
def instance_axes(runs: pd.DataFrame) -> list[str]:
    """The ``problem.*`` grid columns of the runs: the keys that tell the instances apart."""
    return sorted(c for c in runs.columns if c.startswith("problem."))


def labels(runs: pd.DataFrame) -> pd.Series:
    """The instance label of every row: ``lqr`` and, in parentheses, the values of :func:`instance_axes`."""
    axes = instance_axes(runs)
    base = runs["instance"].astype(str)
    if not axes:
        return base
    rest = runs[axes].astype(str)
    suffix = rest.apply(lambda r: ", ".join(f"{a.split('.', 1)[1]}={v}" for a, v in zip(axes, r)), axis=1)
    return base + " (" + suffix + ")"


def _instance_configs(results: Results, runs: pd.DataFrame) -> dict[str, dict]:
    """``{label: run config}`` of every instance: the parts' shared base config with the instance's
    ``problem.*`` values. Instances must differ through grid axes only (else the runs cannot tell them
    apart): parts whose base configs differ in ``problem`` or ``algorithm.radius`` are refused."""
    if not results.configs:
        raise ValidationError("configs", "needs the resolved base config of each part to diagnose the instances")
    first = results.configs[0]
    for cfg in results.configs[1:]:
        if cfg["problem"] != first["problem"] or cfg["algorithm"]["radius"] != first["algorithm"]["radius"]:
            raise ValidationError("part.set", "lqr instances must differ through grid axes (problem.* in each "
                                              "part's grid), not through a part's set or the radius")
    axes = instance_axes(runs)
    out = {}
    for label, g in runs.groupby("label", sort=True):
        cfg = {section: dict(keys) for section, keys in first.items()}
        for axis in axes:
            value = g[axis].iloc[0]
            cfg["problem"][axis.split(".", 1)[1]] = value.item() if hasattr(value, "item") else value
        out[label] = cfg
    return out


def _diagnose(configs: dict[str, dict]) -> dict[str, LQRDiagnostics]:
    out = {}
    for label, cfg in configs.items():
        c = config.from_dict(cfg)
        if c.problem.kind != "lqr":
            raise ValidationError("problem.kind", f"the lqr study runs on lqr instances, got {c.problem.kind!r}")
        out[label] = diagnose_lqr(config.build_problem(c), c.algorithm.radius)
    return out


def diagnostics_frame(diagnosed: dict[str, LQRDiagnostics]) -> pd.DataFrame:
    """The diagnostics as a table, one row per instance."""
    return pd.DataFrame([{"instance": label, **{k: v for k, v in dataclasses.asdict(d).items() if k != "seconds"}}
                         for label, d in diagnosed.items()])


# --------------------------------------------------------------------------- per-run arrays
def per_run(runs: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """One row per run: instance label, sampling, workers, seed, c_α, whether it diverged, the horizon it
    spent (``diverged_at`` from its metadata, else its last snapshot) and its curves (samples, gap fraction
    closed, critic gap)."""
    stats.need(runs, "run_id", "label", "sampling", "workers", "seed", "samples", "gap", "critic_gap")
    firsts, arrays = stats.run_arrays(runs, ["samples", "gap", "critic_gap"])
    diverged = (firsts["outcome"] == DIVERGED).to_numpy() if "outcome" in firsts else np.zeros(len(firsts), bool)
    at = dict(zip(meta["run_id"], meta["diverged_at"])) if "diverged_at" in meta.columns else {}
    rows = []
    for i, (values, k, gap, cg) in enumerate(zip(firsts.itertuples(index=False, name=None), arrays["samples"],
                                                 arrays["gap"], arrays["critic_gap"])):
        first = dict(zip(firsts.columns, values))
        stop = at.get(first["run_id"])
        spent = float(stop) if diverged[i] and stop is not None and np.isfinite(stop) else float(k[-1])
        rows.append({"run_id": first["run_id"], "label": first["label"], "sampling": first["sampling"],
                     "workers": int(first["workers"]), "seed": int(first["seed"]),
                     "c_alpha": float(first["algorithm.c_alpha"]) if "algorithm.c_alpha" in firsts else np.nan,
                     "diverged": bool(diverged[i]), "spent": spent, "k": k, "closed": 1.0 - gap / gap[0],
                     "gap": gap, "critic_gap": cg})
    return pd.DataFrame(rows)


def cost(row, target: float) -> float:
    """Total samples until the gap fraction closed reaches ``target`` (interpolated); ``+inf`` when never, or
    when the run diverged (module docstring)."""
    return np.inf if row.diverged else ef.cost_to_level(row.k, row.closed, target)


# --------------------------------------------------------------------------- summary
def _bands(table: pd.DataFrame, workers) -> pd.DataFrame:
    out = []
    for (label, sampling, n), g in table.groupby(["label", "sampling", "workers"], sort=True):
        if n not in workers:
            continue
        alive = g[~g["diverged"]]
        if alive.empty:
            continue
        for metric in METRICS:
            curves = [(k[k > 0], y[k > 0]) for k, y in zip(alive["k"], alive[metric])]
            b = stats.band(curves, log=True)
            out.append(pl.labelled(b, instance=label, sampling=sampling, metric=metric, workers=int(n),
                                   diverged=int(g["diverged"].sum()), runs=len(g)))
    return pl.stack(out)


def _finals(table: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (label, sampling, n), g in table.groupby(["label", "sampling", "workers"], sort=True):
        alive = g[~g["diverged"]]
        row = {"instance": label, "sampling": sampling, "workers": int(n), "runs": len(g),
               "diverged": int(g["diverged"].sum()),
               "diverged_at": ",".join(str(int(s)) for s in sorted(g.loc[g["diverged"], "spent"]))}
        for name, values, mean in (("closed", [c[-1] for c in alive["closed"]], stats.mean_estimate),
                                   ("critic_gap_initial", [c[0] for c in alive["critic_gap"]], stats.positive_mean_ci),
                                   ("critic_gap_final", [c[-1] for c in alive["critic_gap"]], stats.positive_mean_ci)):
            e = mean(values) if values else Estimate(np.nan, np.nan, np.nan, 0)
            row |= {name: e.value, f"{name}_lo": e.lo, f"{name}_hi": e.hi, f"{name}_n": e.n}
        rows.append(row)
    return pd.DataFrame(rows)


def _efficiency(table: pd.DataFrame, targets, workers) -> pd.DataFrame:
    rows = []
    table = table[table["workers"].isin(workers)]
    for (label, sampling), group in table.groupby(["label", "sampling"], sort=True):
        by_n = {int(n): g.sort_values("seed") for n, g in group.groupby("workers")}
        if 1 not in by_n:
            continue
        base = by_n[1]
        for f in targets:
            base_cost = np.array([cost(r, f) for r in base.itertuples()])
            for n, g in sorted(by_n.items()):
                c = ef.cell(base_cost, base["spent"].to_numpy(), np.array([cost(r, f) for r in g.itertuples()]),
                            g["spent"].to_numpy(), (base["seed"].to_numpy(), g["seed"].to_numpy()))
                row = ef.cell_row(c, n)
                rows.append({"instance": label, "sampling": sampling, "target": f"gap {f:.0%}", "level": f,
                             "workers": n, "c_alpha": float(g["c_alpha"].iloc[0]), **row,
                             "superlinear": bool(np.isfinite(row["lo"]) and row["lo"] > SUPERLINEAR)})
    return pd.DataFrame(rows)


def _verdicts(eff: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (label, sampling, target), g in eff.groupby(["instance", "sampling", "target"], sort=False):
        vd = dict(zip(g["workers"], g["verdict"]))
        one = g[g["workers"] == 1]["mean_samples"]
        K = float(one.iloc[0]) if len(one) else float("nan")
        first = ef.first_sublinear(vd)
        rows.append({"instance": label, "sampling": sampling, "target": target, "linear_up_to": ef.linear_up_to(vd),
                     "first_sublinear": first or 0, "one_worker_samples": K,
                     "paper_claim": ef.paper_claim_verdict(vd, sampling, K if sampling == "iid" else None)})
    return pd.DataFrame(rows)


def summarise(results: Results) -> Summary:
    """Bands, finals, E(N) cells and verdicts of the module docstring, with each instance's diagnostics."""
    s = results.settings
    runs = stats.need(results.runs, "instance", "sampling", "workers", "seed", "samples", "gap", "critic_gap")
    runs = runs.assign(label=labels(runs))
    diagnosed = _diagnose(_instance_configs(results, runs))
    table = per_run(runs, results.meta)
    eff = _efficiency(table, s.targets, s.speedup_workers)
    summary = Summary(instances=tuple(sorted(diagnosed)), closed_fraction=s.closed_fraction, diagnosed=diagnosed,
                      curves=_bands(table, s.convergence_workers), final=_finals(table), efficiency=eff,
                      verdicts=_verdicts(eff) if len(eff) else pd.DataFrame(), diagnostics=diagnostics_frame(diagnosed))
    title = (f"Continuous actions (LQR): E(N) [95% CI] and verdict per N ({ef.VERDICT_RULE}; lin/SUB/und; "
             "* = some runs never reached the target or diverged; ↑ = interval above 1)")
    return dataclasses.replace(summary, tables=((title, tuple(verdict_table(summary))),),
                               choices=_choices(results, diagnosed))


def _choices(results: Results, diagnosed: dict) -> tuple:
    base = results.configs[0]
    a, r = base["algorithm"], base["run"]
    return (("LQR instances (continuous actions)", "; ".join(
                f"{label}: n = {d.state_dim}, m = {d.action_dim}, γ = {d.gamma:g}, σ = {d.sigma:g}"
                for label, d in diagnosed.items())),
            ("LQR step sizes", f"α_k = c_α/(1+k)^{a['sigma_alpha']:g} (c_α per instance: "
                               + ", ".join(f"{c:g}" for c in sorted(set(results.runs["algorithm.c_alpha"])))
                               + f" if swept), β_k = {a['c_beta']:g}/(1+k)^{a['sigma_beta']:g}; radius "
                                 f"{a['radius']:g}; {r['samples']:.3g} updates, {r['snapshots']} snapshots"
             if "algorithm.c_alpha" in results.runs.columns else
             f"α_k = {a['c_alpha']:g}/(1+k)^{a['sigma_alpha']:g}, β_k = {a['c_beta']:g}/(1+k)^{a['sigma_beta']:g}"))


# --------------------------------------------------------------------------- figure
def draw(results: Results, summary: Summary, path) -> None:
    """Per instance one row: gap and critic gap, i.i.d. and Markovian; last row: E(N) per instance and option."""
    options = [o for o in pl.OPTIONS if o in set(summary.final["sampling"])]
    kinds = list(summary.instances)
    fig, axes = pl.new_figure(len(kinds) + 1, 2 * len(options), 4.2 * 2 * len(options), 3.5 * (len(kinds) + 1))
    curves, eff = summary.curves, summary.efficiency
    workers = sorted(set(curves["workers"])) if len(curves) else []
    palette = pl.colors(workers) if workers else {}
    for i, label in enumerate(kinds):
        for j, option in enumerate(options):
            for m, metric in enumerate(METRICS):
                ax = axes[i, m * len(options) + j]
                part = curves[(curves["instance"] == label) & (curves["sampling"] == option)
                              & (curves["metric"] == metric)] if len(curves) else curves
                for n, b in part.groupby("workers", sort=True):
                    dv = int(b["diverged"].iloc[0])
                    note = f" ({dv}/{int(b['runs'].iloc[0])} diverged)" if dv else ""
                    pl.draw_band(ax, b, palette[n], f"N = {n}{note}", log_y=True)
                ax.set_xscale("log")
                ax.set_yscale("log")
                what = "J* − J(K_k)" if metric == "gap" else "‖ω_k − w*(K_k)‖₂"
                seeds = int(part["runs"].max()) if len(part) else 0
                ax.set(xlabel="total samples k", ylabel=what,
                       title=f"{label}, {seeds} seeds\n{pl.OPTIONS[option]}: {what}")
                ax.legend(loc="lower left", fontsize=6.5)
    for j, option in enumerate(options):
        for i, label in enumerate(kinds):
            col = i * len(options) + j
            if col >= axes.shape[1]:
                continue
            _draw_efficiency(axes[-1, col], eff[(eff["instance"] == label) & (eff["sampling"] == option)]
                             if len(eff) else eff, f"{label}, {pl.OPTIONS[option]}", summary.diagnosed[label])
    for col in range(len(kinds) * len(options), axes.shape[1]):
        axes[-1, col].set_visible(False)
    pl.save(fig, path, results.title,
            "Curves: mean and 95% t-band over the runs that did not diverge (the legend counts those that did: "
            f"counted as never reaching a target). Bottom: {ef.VERDICT_RULE}; filled = linear, hollow = "
            "undetermined, x = sub-linear")


def _draw_efficiency(ax, eff: pd.DataFrame, title: str, d: LQRDiagnostics) -> None:
    if eff.empty:
        pl.no_data(ax, "speedup")
        return
    for i, (target, g) in enumerate(eff.groupby("target", sort=False)):
        g = g.sort_values("workers")
        color = f"C{i}"
        x, y = g["workers"].to_numpy(float), g["efficiency"].to_numpy(float)
        ax.plot(x, y, color=color, lw=1.1, label=target)
        err = np.vstack([y - g["lo"].to_numpy(float), g["hi"].to_numpy(float) - y])
        ax.errorbar(x, y, yerr=np.where(np.isfinite(err), err, 0), fmt="none", color=color, lw=0.8, capsize=2)
        for xv, yv, v in zip(x, y, g["verdict"]):
            marker, face = {ef.LINEAR: ("o", color), ef.UNDETERMINED: ("o", "none"), ef.SUBLINEAR: ("x", color)}[v]
            ax.plot([xv], [yv], marker=marker, mfc=face, color=color, ms=5, ls="none")
    ax.axhline(ef.EFFICIENCY_LINEAR, color="k", ls="--", lw=0.8)
    pl.log2_axis(ax, sorted(set(eff["workers"])))
    ax.set(xlabel="workers N", ylabel="E(N) = Speedup(N)/N",
           title=f"{title}\nρ(A−BK0) {d.rho_K0:.3g}, ρ(A−BK*) {d.rho_K_star:.3g}, cond Σ_K0 {d.cond_Sigma_K0:.3g}")
    top = np.nanmax(eff["efficiency"].to_numpy(float), initial=1.0)
    ax.set_ylim(0, max(1.6, float(top) * 1.05))
    ax.legend(loc="lower left", fontsize=6.5)


# --------------------------------------------------------------------------- report
def _setting(r) -> str:
    return f"{r.instance}, {pl.OPTIONS.get(r.sampling, r.sampling)}, N={r.workers}"


def numbers(summary: Summary) -> list[Number]:
    """The rows of summary.csv: per instance, option and N the gap fraction closed at the horizon, the final
    critic gap, the share of runs that diverged (Clopper–Pearson); and E(N) of every cell."""
    out = []
    for r in summary.final.itertuples():
        out.append(Number("LQR fraction of the gap closed at the end", _setting(r),
                          Estimate(r.closed, r.closed_lo, r.closed_hi, int(r.closed_n))))
        out.append(Number("LQR final critic gap", _setting(r),
                          Estimate(r.critic_gap_final, r.critic_gap_final_lo, r.critic_gap_final_hi,
                                   int(r.critic_gap_final_n))))
        out.append(Number("LQR share of runs that diverged", _setting(r), success_rate(r.diverged, r.runs)))
    for r in summary.efficiency.itertuples():
        out.append(Number("LQR efficiency E(N) = Speedup(N)/N",
                          f"{r.instance}, {pl.OPTIONS.get(r.sampling, r.sampling)}, c_α {r.c_alpha:g}, {r.target}, "
                          f"N={r.workers}", ef.efficiency_estimate(r)))
    for label, d in summary.diagnosed.items():
        out += [Number("LQR rho(A - B K0)", label, no_interval(d.rho_K0, 1)),
                Number("LQR rho(A - B K*)", label, no_interval(d.rho_K_star, 1)),
                Number("LQR cond(Sigma_K0)", label, no_interval(d.cond_Sigma_K0, 1))]
    return out


def _cell_text(r) -> str:
    if not np.isfinite(r.efficiency):
        return "n/e" + (f" ({r.censored}/{r.runs} never reached)" if r.censored else "")
    short = {ef.LINEAR: "lin", ef.SUBLINEAR: "SUB", ef.UNDETERMINED: "und"}[r.verdict]
    flags = ("*" if r.censored else "", " ↑" if r.superlinear else "")
    return f"{r.efficiency:.2f}{flags[0]} [{r.lo:.2f}, {r.hi:.2f}] {short}{flags[1]}"


def verdict_table(summary: Summary) -> list[str]:
    """Markdown rows: instance × sampling × target, E(N) and its verdict at each N, linear up to N."""
    eff = summary.efficiency
    if eff.empty:
        return ["no speedup cells (no run with one worker)"]
    workers = sorted(set(eff["workers"]))
    lines = ["| instance | sampling | c_α | target | " + " | ".join(f"N={n}" for n in workers) + " | linear up to N |",
             "|" + "---|" * (5 + len(workers))]
    for (label, sampling, target), g in eff.groupby(["instance", "sampling", "target"], sort=False):
        by_n = {r.workers: r for r in g.itertuples()}
        estimable = 1 in by_n and np.isfinite(by_n[1].efficiency)
        up_to = ef.linear_up_to(dict(zip(g["workers"], g["verdict"]))) if estimable else "n/e"
        lines.append(f"| {label} | {pl.OPTIONS.get(sampling, sampling)} | {g['c_alpha'].iloc[0]:g} | {target} | "
                     + " | ".join(_cell_text(by_n[n]) if n in by_n else "" for n in workers) + f" | {up_to} |")
    return lines + ["", "`*`: some runs at that N never reached the target (a run that diverged counts as never "
                    f"reaching it); E(N) is over those that did ({ttt.RESTS_ON}). `n/e`: not estimable."]


def _diverged_text(g: pd.DataFrame) -> str:
    parts = [f"N={r.workers}: {r.diverged}/{r.runs} (at k = {r.diverged_at})" for r in g.itertuples() if r.diverged]
    return "; ".join(parts) or "none"


def claims(summary: Summary) -> list[Claim]:
    """The rows of the "Continuous actions" section, with the module docstring's verdicts."""
    out = []
    final, need = summary.final, summary.closed_fraction
    for label in summary.instances:
        d = summary.diagnosed[label]
        diag = lqr_summary_line(d)
        for option in (o for o in pl.OPTIONS if o in set(final["sampling"])):
            g = final[(final["instance"] == label) & (final["sampling"] == option)].sort_values("workers")
            if g.empty:
                continue
            name = f"{label}, {pl.OPTIONS[option]}"
            closed = "; ".join(f"N={r.workers} {r.closed:.3g}" for r in g.itertuples())
            short = [int(r.workers) for r in g.itertuples() if not r.closed >= need]
            diverged = int(g["diverged"].sum())
            verdict = "reproduced" if not short and not diverged else "partly: " + ", ".join(
                ([f"closes less than {need:.0%} at N = {', '.join(map(str, short))}"] if short else [])
                + ([f"{diverged} of {int(g['runs'].sum())} runs diverged"] if diverged else []))
            out.append(Claim(f"{name}: J vs samples", "J(K_k) rises toward J* for every N (Theorem 1 with ε_app = 0)",
                             "`lqr.png`", f"mean fraction of the gap J* − J(K0) closed at the horizon: {closed}; "
                             f"J(K0) = {d.J0:.4g}, J* = {d.J_star:.4g}; diverged: {_diverged_text(g)}", verdict,
                             f"{diag}; exact J; a diverged run (ρ(A − BK) ≥ 1, J = −∞) is left out of the means and "
                             "counted here", SECTION))
            ratios = (g["critic_gap_final"] / g["critic_gap_initial"]).to_numpy(float)
            out.append(Claim(f"{name}: critic gap", "‖ω_k − w*(K_k)‖₂ decreases to a small value", "`lqr.png`",
                             "final / initial critic gap: " + "; ".join(
                                 f"N={r.workers} {r.critic_gap_final:.3g}/{r.critic_gap_initial:.3g}"
                                 for r in g.itertuples()),
                             "reproduced" if ratios.size and np.all(ratios < CRITIC_RATIO) else "partly",
                             f"rule: final < {CRITIC_RATIO} × initial at every N; quadratic features φ = [svec(xxᵀ); 1], "
                             "ε_app = 0", SECTION))
    out += _speedup_claims(summary)
    out.append(Claim("LQR: outside the theory", "Assumptions 2–3 (bounded features and score) hold",
                     "`lqr.png`", "runs that diverged (gain left ρ(A − BK) < 1): " + "; ".join(
                         f"{label} {pl.OPTIONS.get(o, o)}: {_diverged_text(g)}"
                         for (label, o), g in final.groupby(["instance", "sampling"], sort=True)),
                     "not covered: measured",
                     "φ(x) = [svec(xxᵀ); 1] and the Gaussian score −(u + Kx)xᵀ/σ² are unbounded, so Assumptions 2–3 "
                     "hold only on bounded sets of states; the theory has no stabilising-set condition; no safeguard "
                     "(projection of K, score clipping) is used", SECTION))
    return out


def _speedup_claims(summary: Summary) -> list[Claim]:
    out = []
    eff, vd = summary.efficiency, summary.verdicts
    if eff.empty:
        return out
    for (label, option), g in vd.groupby(["instance", "sampling"], sort=True):
        parts = []
        for r in g.itertuples():
            parts.append(f"{r.target}: linear up to N = {r.linear_up_to}"
                         + (f", sub-linear from N = {r.first_sublinear}" if r.first_sublinear else ", no N sub-linear")
                         + (f" (one worker needs K = {r.one_worker_samples:.3g}; regime N − 1 ≤ K^(1/5) = "
                            f"{r.one_worker_samples ** 0.2:.3g})" if option == "iid" and np.isfinite(r.one_worker_samples)
                            else ""))
        cells = eff[(eff["instance"] == label) & (eff["sampling"] == option)]
        above = cells[cells["superlinear"]]
        if len(above):
            parts.append("superlinear (CI above 1) at " + ", ".join(f"{r.target} N={r.workers}"
                                                                     for r in above.itertuples()))
        claim = "linear speedup (Theorem 1)" if option == "iid" else "roughly linear only for small N (Theorem 2)"
        out.append(Claim(f"{label}, {pl.OPTIONS.get(option, option)}: speedup", claim, "`lqr.png`, bottom row",
                         "; ".join(parts), " / ".join(dict.fromkeys(g["paper_claim"])),
                         f"{lqr_summary_line(summary.diagnosed[label])}; round-robin τ = N − 1, c_α = "
                         f"{cells['c_alpha'].iloc[0]:g}; {ef.VERDICT_RULE}; {ttt.RESTS_ON}; ≥ {int(cells['runs'].min())} "
                         "seeds" + (", paired by seed" if cells["paired"].all() else ""), SECTION))
    return out
