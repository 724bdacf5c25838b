"""Figures from tidy tables (see :mod:`a3c_theory.analysis`): mean over seeds with 95% CI bands.

Every figure function has the signature ``fn(table, path, title, **settings) -> FigureResult`` and
writes one PNG at ``path``. ``FigureResult.tables`` holds the numbers drawn (one tidy table per
panel group, for the CSV beside the PNG) and ``FigureResult.summary`` the key numbers for the report.

No global state: figures are built with ``matplotlib.figure.Figure`` (never ``pyplot``), rendered by
the Agg canvas, with style settings scoped by ``matplotlib.rc_context``.
"""

from dataclasses import dataclass, field

import matplotlib
import numpy as np
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import analysis as an
from .errors import ValidationError

STYLE = {"font.size": 9, "axes.titlesize": 9.5, "axes.labelsize": 9, "legend.fontsize": 7.5,
         "axes.grid": True, "grid.alpha": 0.3, "figure.dpi": 110}
EFFICIENCY_LINEAR = 0.75
"""Sample speedup counts as "linear" at N while Speedup(N) ≥ 0.75 · N (stated in the figure)."""


@dataclass
class FigureResult:
    """What a figure function returns: the numbers it drew and the key numbers for the summary."""

    path: str
    tables: dict = field(default_factory=dict)
    summary: list = field(default_factory=list)
    panels: int = 0
    """Number of visible axes (panels) in the saved figure."""


# --------------------------------------------------------------------------- small helpers
def _new_figure(nrows: int, ncols: int, width: float, height: float):
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def _save(fig, path, title: str, note: str = "") -> int:
    """Title (instance, seeds, sampling option) plus an optional smaller second line of notes; saves the
    PNG and returns the number of visible panels."""
    fig.suptitle(title + (f"\n{note}" if note else ""), fontsize=10 if not note else 9.5)
    fig.savefig(path, dpi=110)
    return sum(ax.get_visible() for ax in fig.axes)


def _plain_log_ticks(ax, axis: str = "y") -> None:
    """Plain numbers (1, 2, 4, 16, 0.01) on a log axis instead of powers like 2^4."""
    fmt = ticker.FuncFormatter(lambda v, _: f"{v:g}")
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(fmt)
    target.set_minor_formatter(ticker.NullFormatter())


def _colors(values) -> dict:
    """One colour per series value, from a sequential map (worker counts) ordered as given."""
    values = list(values)
    cmap = matplotlib.colormaps["viridis"]
    if len(values) == 1:
        return {values[0]: cmap(0.35)}
    return {v: cmap(0.9 * i / (len(values) - 1)) for i, v in enumerate(values)}


def _need(table, *columns) -> dict:
    table = an._as_tidy(table)
    for col in columns:
        if col not in table:
            raise ValidationError(f"table.{col}", "column is missing")
    return table


def _draw_band(ax, b: dict, color, label: str, log_y: bool = False) -> None:
    ax.plot(b["x"], b["mean"], color=color, lw=1.4, label=label)
    lo, hi = b["lo"], b["hi"]
    if np.all(np.isnan(lo)):
        return
    if log_y:
        lo = np.where(lo > 0, lo, np.nan)
    ax.fill_between(b["x"], lo, hi, color=color, alpha=0.2, lw=0)


def _band_rows(b: dict, **labels) -> dict:
    n = len(b["x"])
    rows = {k: np.full(n, v) for k, v in labels.items()}
    rows.update({"x": b["x"], "mean": b["mean"], "lo": b["lo"], "hi": b["hi"], "seeds": np.full(n, b["n"])})
    return rows


def _concat(tables: list) -> dict:
    if not tables:
        return {}
    keys = list(tables[0])
    return {k: np.concatenate([np.asarray(t[k]) for t in tables]) for k in keys}


def _curves(table, x: str, y: str, positive_x: bool = False):
    out = []
    for run in an.split_runs(table):
        xs, ys = np.asarray(run[x], float), np.asarray(run[y], float)
        keep = np.isfinite(ys) & (xs > 0 if positive_x else np.ones_like(xs, dtype=bool))
        out.append((xs[keep], ys[keep]))
    return out


def _per_worker_bands(ax, table, x: str, y: str, colors: dict, log_x=False, log_y=False,
                      positive_x=False, **labels) -> list:
    rows = []
    for n in sorted(an.unique(table, "workers")):
        curves = _curves(an.select(table, workers=n), x, y, positive_x)
        b = an.band(curves, log=log_x)
        _draw_band(ax, b, colors[n], f"N = {n}", log_y)
        rows.append(_band_rows(b, workers=n, metric=y, xaxis=x, **labels))
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    return rows


def _no_data(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} runs in this experiment", ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _draw_cost(ax, sp: dict, color, label: str, marker="o") -> bool:
    """Mean cost to target with its t-CI; returns False (and says so on the axes) when no N reached it."""
    mean = np.asarray(sp["cost_mean"], float)
    ok = np.isfinite(mean)
    if not np.any(ok):
        ax.text(0.5, 0.5, f"{label}: target not reached within the horizon", ha="center", va="center",
                transform=ax.transAxes, fontsize=8)
        return False
    err = np.vstack([mean[ok] - np.asarray(sp["cost_lo"], float)[ok], np.asarray(sp["cost_hi"], float)[ok] - mean[ok]])
    err = np.where(np.isfinite(err), np.maximum(err, 0), 0)
    ax.errorbar(np.asarray(sp["workers"])[ok], mean[ok], yerr=err, color=color, marker=marker, ms=4, capsize=2.5,
                label=label)
    if "horizon" in sp and not np.all(ok):
        ax.plot(np.asarray(sp["workers"])[~ok], np.asarray(sp["horizon"], float)[~ok], linestyle="none",
                marker="^", mfc="none", ms=7, color=color, label=f"{label}: not reached (cost > horizon)")
    return True


def _speedup_rows(sp: dict, **labels) -> dict:
    n = len(sp["workers"])
    rows = {k: np.full(n, v) for k, v in labels.items()}
    rows.update(sp)
    return rows


def _draw_speedup(ax, sp: dict, color, label: str, marker="o") -> bool:
    """Speedup with CI error bars; worker counts with a run that never reached the target are drawn
    as open downward triangles at their upper bound (returns True when it drew one)."""
    N = np.asarray(sp["workers"], float)
    mean = np.asarray(sp["speedup"], float)
    ok = np.isfinite(mean)
    yerr = np.vstack([mean - sp["lo"], sp["hi"] - mean])[:, ok]
    yerr = np.where(np.isfinite(yerr), np.maximum(yerr, 0), 0)
    ax.errorbar(N[ok], mean[ok], yerr=yerr, color=color, marker=marker, ms=4, lw=1.3, capsize=2.5, label=label)
    ub = np.asarray(sp["upper_bound"], float)
    miss = ~ok & np.isfinite(ub)
    if np.any(miss):
        ax.plot(N[miss], ub[miss], linestyle="none", marker="v", mfc="none", color=color, ms=6)
    return bool(np.any(miss))


def _unreached_legend_entry(ax) -> None:
    ax.plot([], [], linestyle="none", marker="v", mfc="none", color="0.3", ms=6,
            label="▽ target not reached: upper bound")


def _ideal_line(ax, workers, label="ideal (linear)") -> None:
    N = np.array(sorted(workers), float)
    ax.plot(N, N, color="0.4", ls="--", lw=1, label=label)


def _log2_axis(ax, workers) -> None:
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(workers))
    ax.set_xticklabels([str(n) for n in sorted(workers)])
    ax.minorticks_off()


def _speedup_axis(ax, workers, missed: bool) -> None:
    """Speedup-vs-N axes: ideal line, log2 axes with plain ticks, and a legend entry for unreached runs."""
    if missed:
        _unreached_legend_entry(ax)
    _ideal_line(ax, workers)
    _log2_axis(ax, workers)
    ax.set_yscale("log", base=2)
    _plain_log_ticks(ax)


def _fmt(est_mean, lo, hi, digits=3) -> str:
    if not np.isfinite(est_mean):
        return "n/a"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{est_mean:.{digits}g}"
    return f"{est_mean:.{digits}g} [{lo:.{digits}g}, {hi:.{digits}g}]"


def _summary_row(figure, quantity, setting, mean, lo, hi, n, unit="", note="") -> dict:
    return {"figure": figure, "quantity": quantity, "setting": setting, "mean": float(mean), "lo": float(lo),
            "hi": float(hi), "n": int(n), "unit": unit, "note": note}


def _target_lines(ax, table, fraction: float) -> None:
    """J* and the target level as horizontal lines; the y-range is clipped to [J(θ_0), J*] plus 8%
    margins, so a wide interval from few seeds cannot squash the curves."""
    runs = an.split_runs(table)
    J0 = float(np.median([r["J"][0] for r in runs]))
    Jstar = float(np.median([r["J"][0] + r["gap"][0] for r in runs]))
    ax.axhline(Jstar, color="k", ls="--", lw=0.9, label="J* (optimal)")
    ax.axhline(an.target_level(J0, Jstar, fraction), color="0.45", ls=":", lw=1,
               label=f"target: {fraction:.0%} of gap closed")
    margin = 0.08 * (Jstar - J0) if Jstar > J0 else 0.05
    ax.set_ylim(J0 - margin, Jstar + margin)


# --------------------------------------------------------------------------- Fig. 1 / Fig. 2
def convergence(table, path, title: str, target_fraction: float = 0.9) -> FigureResult:
    """The paper's four panels for one sampling option.

    (a) ``J(θ_k)`` (exact) vs total samples ``k``, per N (simulated-delay rows, ``mode != "threads"``);
    (b) ``J`` vs wall-clock seconds (``mode == "threads"`` rows, real Hogwild threads);
    (c) critic gap ``‖w_k − w*_{θ_k}‖₂`` vs samples; (d) sample speedup (simulated) and runtime
    speedup (threads, wall clock) vs N with the ideal line ``Speedup = N``; target: ``target_fraction``
    of the initial gap ``J* − J(θ_0)`` closed.
    """
    table = _need(table, "run_id", "workers", "seed", "mode", "samples", "time_s", "J", "gap", "critic_gap")
    an._fraction(target_fraction)
    sim = an.select(table, mode=[m for m in an.unique(table, "mode") if m != "threads"])
    thr = an.select(table, mode="threads")
    if len(sim["run_id"]) == 0:
        raise ValidationError("table.mode", "needs simulated (or sync) runs for the sample panels")
    workers = sorted(set(an.unique(table, "workers")))
    colors = _colors(workers)
    fig, axes = _new_figure(2, 2, 10, 7.4)
    (ax_a, ax_b), (ax_c, ax_d) = axes
    bands = []

    bands += _per_worker_bands(ax_a, sim, "samples", "J", colors, log_x=True, positive_x=True, panel="a")
    _target_lines(ax_a, sim, target_fraction)
    ax_a.set(xlabel="total samples k (all workers)", ylabel="J(θ_k)  (exact, normalised return)",
             title="(a) objective vs total samples")
    ax_a.legend(loc="center left", ncol=2)

    if len(thr["run_id"]):
        thr_workers = sorted(an.unique(thr, "workers"))
        bands += _per_worker_bands(ax_b, thr, "time_s", "J", colors, log_x=True, positive_x=True, panel="b")
        _target_lines(ax_b, thr, target_fraction)
        ax_b.set(xlabel="wall-clock time (s), real threads", ylabel="J(θ_k)  (exact)",
                 title=f"(b) objective vs wall-clock time (threads, N = {', '.join(map(str, thr_workers))})")
        ax_b.legend(loc="lower right", ncol=2)
    else:
        _no_data(ax_b, "threads-mode")
        ax_b.set_title("(b) objective vs wall-clock time")

    bands += _per_worker_bands(ax_c, sim, "samples", "critic_gap", colors, log_x=True, log_y=True,
                               positive_x=True, panel="c")
    ax_c.set(xlabel="total samples k (all workers)", ylabel="‖w_k − w*(θ_k)‖₂",
             title="(c) critic gap vs total samples")
    ax_c.legend(loc="upper right", ncol=2)

    speedups = []
    sp = an.speedup_table(sim, "samples", target_fraction)
    missed = _draw_speedup(ax_d, sp, "C0", "sample speedup (simulated delays)")
    speedups.append(_speedup_rows(sp, kind="sample", clock="samples"))
    summary = [_summary_row("convergence", "sample speedup", f"N={n}", s, lo, hi, c)
               for n, s, lo, hi, c in zip(sp["workers"], sp["speedup"], sp["lo"], sp["hi"], sp["n"])]
    if len(thr["run_id"]) and 1 in an.unique(thr, "workers"):
        spt = an.speedup_table(thr, "time", target_fraction)
        missed |= _draw_speedup(ax_d, spt, "C3", "runtime speedup (threads, wall clock)", marker="s")
        speedups.append(_speedup_rows(spt, kind="runtime", clock="wall"))
        summary += [_summary_row("convergence", "runtime speedup (threads)", f"N={n}", s, lo, hi, c)
                    for n, s, lo, hi, c in zip(spt["workers"], spt["speedup"], spt["lo"], spt["hi"], spt["n"])]
    _speedup_axis(ax_d, workers, missed)
    ax_d.set(xlabel="workers N", ylabel="speedup  T(1) / (T(N)/N)  or  time(1)/time(N)",
             title=f"(d) speedup to close {target_fraction:.0%} of the gap (mean, 95% CI)")
    ax_d.legend(loc="upper left")
    per_run = (("final J", lambda r: r["J"][-1]),
               ("fraction of the gap closed at the end", lambda r: 1.0 - r["gap"][-1] / r["gap"][0]),
               ("initial critic gap", lambda r: r["critic_gap"][0]),
               ("final critic gap", lambda r: r["critic_gap"][-1]))
    for label, value in per_run:
        for n in workers:
            runs = an.split_runs(an.select(sim, workers=n))
            if runs:
                m, lo, hi = an.mean_ci([value(r) for r in runs])
                summary.append(_summary_row("convergence", label, f"N={n}", m, lo, hi, len(runs)))
    runs = an.split_runs(sim)
    jstar = float(np.median([r["J"][0] + r["gap"][0] for r in runs]))
    j0 = float(np.median([r["J"][0] for r in runs]))
    summary.append(_summary_row("convergence", "J*", "optimal policy (dynamic programming)", jstar, np.nan, np.nan,
                                len(runs)))
    summary.append(_summary_row("convergence", "J(theta_0)", "uniform policy", j0, np.nan, np.nan, len(runs)))
    panels = _save(fig, path, title)
    return FigureResult(str(path), {"curves": _concat(bands), "speedup": _concat(speedups)}, summary, panels)


# --------------------------------------------------------------------------- rates
RATE_METRICS = (("avg_grad_norm_sq", "(1/K) Σ_k ‖∇J(θ_k)‖²"), ("avg_critic_gap_sq", "(1/K) Σ_k ‖w_k − w*(θ_k)‖²"))


def rates(table, path, title: str, decades: float = 2.0, panel_by: tuple = ("sampling",)) -> FigureResult:
    """Running averages vs K, log-log, with per-seed least-squares slopes over the last ``decades``
    decades of K (mean, 95% t-CI) and the Corollary 1 reference ``K^{-2/5}``. One column of panels
    per distinct value of the ``panel_by`` columns, one line per N."""
    table = _need(table, "run_id", "workers", "seed", "samples", *[m for m, _ in RATE_METRICS], *panel_by)
    groups = sorted({tuple(an.run_value(r, c) for c in panel_by) for r in an.split_runs(table)}, key=str)
    workers = sorted(an.unique(table, "workers"))
    colors = _colors(workers)
    fig, axes = _new_figure(len(RATE_METRICS), len(groups), 5.0 * len(groups), 7.6)
    bands, slopes, summary = [], {k: [] for k in (*panel_by, "metric", "workers", "slope", "lo", "hi", "n",
                                                    "window_decades", "theory_slope")}, []
    for j, group in enumerate(groups):
        sub = an.select(table, **dict(zip(panel_by, group)))
        label_group = ", ".join(f"{c}={v}" for c, v in zip(panel_by, group))
        for i, (metric, ylabel) in enumerate(RATE_METRICS):
            ax = axes[i, j]
            anchor = None
            for n in workers:
                part = an.select(sub, workers=n)
                if len(part["run_id"]) == 0:
                    continue
                curves = _curves(part, "samples", metric, positive_x=True)
                b = an.band(curves, log=True)
                est, _ = an.slope_over_seeds(curves, decades)
                _draw_band(ax, b, colors[n], f"N = {n}: slope {_fmt(est.mean, est.lo, est.hi, 2)}", log_y=True)
                bands.append(_band_rows(b, workers=n, metric=metric, **dict(zip(panel_by, group))))
                kmax = b["x"][-1]
                kfit = np.geomspace(kmax / 10**decades, kmax, 20)
                slope, icept = an.fit_loglog_slope(b["x"], b["mean"], decades)
                ax.plot(kfit, 10**icept * kfit**slope, color=colors[n], ls=":", lw=1)
                if anchor is None:
                    anchor = (kfit[0], 10**icept * kfit[0]**slope, kmax)
                for key, value in zip(panel_by, group):
                    slopes[key].append(value)
                for key, value in (("metric", metric), ("workers", n), ("slope", est.mean), ("lo", est.lo),
                                   ("hi", est.hi), ("n", est.n), ("window_decades", decades),
                                   ("theory_slope", an.THEORY_SLOPE)):
                    slopes[key].append(value)
                summary.append(_summary_row("rates", f"slope of {metric}", f"{label_group}, N={n}",
                                            est.mean, est.lo, est.hi, est.n, note="theory: -0.4"))
            if anchor is not None:
                k0, y0, kmax = anchor
                kref = np.geomspace(k0, kmax, 20)
                ax.plot(kref, y0 * (kref / k0) ** an.THEORY_SLOPE, color="k", ls="--", lw=1.1,
                        label="theory K^(-2/5)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set(xlabel="K (total samples)", ylabel=ylabel, title=f"{label_group}: {ylabel}")
            ax.legend(loc="lower left")
    panels = _save(fig, path, title, f"dotted: least-squares fit over the last {decades:g} decades of K "
          "(legend: slope per seed, mean [95% t-CI]); dashed: theory K^(-2/5)")
    return FigureResult(str(path), {"curves": _concat(bands), "slopes": {k: np.asarray(v) for k, v in slopes.items()}},
                        summary, panels)


# --------------------------------------------------------------------------- where linear speedup ends
LINEAR_UP_TO = f"linear up to N (CI reaches {EFFICIENCY_LINEAR} N for every N' <= N)"


def is_linear(n: int, mean: float, hi: float) -> bool:
    """Speedup at N counts as linear unless the data exclude ``Speedup ≥ EFFICIENCY_LINEAR · N``: the 95% CI
    upper bound (or the point estimate when there is no CI) reaches ``EFFICIENCY_LINEAR · N``. A target
    never reached (NaN) is not linear."""
    bound = hi if np.isfinite(hi) else mean
    return bool(np.isfinite(mean) and bound >= EFFICIENCY_LINEAR * n)


def linear_up_to(sp: dict) -> int:
    """Largest N such that every tried N' ≤ N is linear by :func:`is_linear`; 1 when the first N > 1
    tried is already sub-linear."""
    hi = sp.get("hi", np.full(len(sp["workers"]), np.nan))
    last = 1
    for n, m, h in sorted(zip(np.asarray(sp["workers"], int), np.asarray(sp["speedup"], float),
                              np.asarray(hi, float))):
        if not is_linear(n, m, h):
            break
        last = int(n)
    return last


def speedup_limit(table, path, title: str, target_fraction: float = 0.9,
                  panel_by: tuple = ("instance", "sampling"), line_by: str = "delay",
                  targets: dict | None = None) -> FigureResult:
    """Sample speedup vs N (log-log, base 2) per ``panel_by`` group, one line per ``line_by`` value
    (delay model), with the ideal line and the theory's regime ``N ≤ K^{1/5}`` shaded (``K_0 ≈ N``
    with round-robin delays, and Theorem 1 asks ``K_0 = O(K^{1/5})``).

    ``targets`` maps a value of the first ``panel_by`` column (the instance) to its own target
    fraction (instances close different fractions of their gap within the horizon); other panels use
    ``target_fraction``. Each panel's title states its target."""
    table = _need(table, "run_id", "workers", "seed", "samples", "J", "gap", "horizon", line_by, *panel_by)
    an._fraction(target_fraction)
    targets = dict(targets or {})
    for key, value in targets.items():
        an._fraction(value)
    groups = sorted({tuple(an.run_value(r, c) for c in panel_by) for r in an.split_runs(table)}, key=str)
    ncols = 2 if len(groups) > 1 else 1
    nrows = int(np.ceil(len(groups) / ncols))
    fig, axes = _new_figure(nrows, ncols, 5.2 * ncols, 4.0 * nrows)
    lines = an.unique(table, line_by)
    line_colors = {v: f"C{i}" for i, v in enumerate(lines)}
    rows, summary = [], []
    for idx, group in enumerate(groups):
        ax = axes.flat[idx]
        sub = an.select(table, **dict(zip(panel_by, group)))
        workers = sorted(an.unique(sub, "workers"))
        K = float(np.min(sub["horizon"]))
        fraction = float(targets.get(group[0], target_fraction))
        ax.axvspan(min(workers) / 1.2, K ** 0.2, color="0.85", alpha=0.6, lw=0,
                   label=f"N ≤ K^(1/5) = {K ** 0.2:.1f} (theory regime)")
        missed = False
        for value in lines:
            part = an.select(sub, **{line_by: value})
            if len(part["run_id"]) == 0:
                continue
            sp = an.speedup_table(part, "samples", fraction)
            missed |= _draw_speedup(ax, sp, line_colors[value], f"{line_by} = {value}")
            rows.append(_speedup_rows(sp, **dict(zip(panel_by, group)), **{line_by: value},
                                      target_fraction=fraction))
            label = ", ".join(f"{c}={v}" for c, v in zip(panel_by, group)) + f", {line_by}={value}"
            summary.append(_summary_row("speedup_limit", LINEAR_UP_TO, label, linear_up_to(sp), np.nan, np.nan,
                                        int(sp["n"].min()),
                                        note=f"target {fraction:.0%}; K = {K:.3g}; K^(1/5) = {K ** 0.2:.1f}"))
            summary += [_summary_row("speedup_limit", "sample speedup", f"{label}, N={n}", m, lo, hi, c)
                        for n, m, lo, hi, c in zip(sp["workers"], sp["speedup"], sp["lo"], sp["hi"], sp["n"])]
        _speedup_axis(ax, workers, missed)
        ax.set(xlabel="workers N (mean delay ≈ N − 1)", ylabel="sample speedup  T(1) / (T(N)/N)",
               title=", ".join(f"{c} = {v}" for c, v in zip(panel_by, group)) + f"; target {fraction:.0%}")
        ax.legend(loc="upper left")
    for ax in list(axes.flat)[len(groups):]:
        ax.set_visible(False)
    panels = _save(fig, path, title, "target: the stated fraction of the gap J* − J(θ_0) closed; 95% bootstrap CI "
          f"over seeds; 'linear' at N = CI reaches {EFFICIENCY_LINEAR}·N")
    return FigureResult(str(path), {"speedup": _concat(rows)}, summary, panels)


# --------------------------------------------------------------------------- A3C vs A2C
MODE_LABELS = {"sync": "A2C (synchronous, waits for all N)", "simulated": "A3C (asynchronous)"}


def a3c_vs_a2c(table, path, title: str, target_fraction: float = 0.9) -> FigureResult:
    """(a) time to target on the simulated clock vs N, (b) total samples to target vs N, for
    ``mode = "sync"`` (A2C) and ``"simulated"`` (A3C) under the same compute-time model;
    (c) J vs simulated time at the largest N."""
    table = _need(table, "run_id", "workers", "seed", "mode", "samples", "time_s", "J", "gap")
    modes = [m for m in ("sync", "simulated") if m in an.unique(table, "mode")]
    if not modes:
        raise ValidationError("table.mode", "needs runs with mode 'sync' or 'simulated'")
    workers = sorted(an.unique(table, "workers"))
    fig, axes = _new_figure(1, 3, 14, 4.2)
    ax_a, ax_b, ax_c = axes[0]
    rows, summary = [], []
    drawn = {ax_a: False, ax_b: False}
    for i, mode in enumerate(modes):
        part = an.select(table, mode=mode)
        for ax, cost, unit in ((ax_a, "time", "simulated time units"), (ax_b, "samples", "samples")):
            sp = an.speedup_table(part, cost, target_fraction)
            drawn[ax] |= _draw_cost(ax, sp, f"C{i}", MODE_LABELS.get(mode, mode), "os"[i % 2])
            rows.append(_speedup_rows(sp, mode=mode, cost=cost))
            for n, m, lo, hi, c in zip(sp["workers"], sp["cost_mean"], sp["cost_lo"], sp["cost_hi"], sp["n"]):
                summary.append(_summary_row("a3c_vs_a2c", f"{cost} to target", f"{mode}, N={n}", m, lo, hi, c, unit))
        big = an.select(part, workers=max(an.unique(part, "workers")))
        b = an.band(_curves(big, "time_s", "J", positive_x=True), log=True)
        _draw_band(ax_c, b, f"C{i}", f"{MODE_LABELS.get(mode, mode)}, N = {max(an.unique(part, 'workers'))}")
    _target_lines(ax_c, table, target_fraction)
    ax_c.set_xscale("log")
    for ax in (ax_a, ax_b):
        _log2_axis(ax, workers)
        if drawn[ax]:
            ax.set_yscale("log")
            bottom, top = ax.get_ylim()
            ax.set_ylim(bottom / 6, top * 1.5)  # room for the legend below the data
            ax.legend(loc="lower left")
    ax_a.set(xlabel="workers N", ylabel="time to target (simulated time units)",
             title=f"(a) time to close {target_fraction:.0%} of the gap")
    ax_b.set(xlabel="workers N", ylabel="total samples to target",
             title="(b) samples to target")
    ax_c.set(xlabel="simulated time (units of one mean compute time)", ylabel="J(θ_k)  (exact)",
             title="(c) objective vs simulated time, largest N")
    ax_c.legend(loc="upper left")
    panels = _save(fig, path, title)
    return FigureResult(str(path), {"cost": _concat(rows)}, summary, panels)


# --------------------------------------------------------------------------- regularisation
def regularisation(table, path, title: str) -> FigureResult:
    """(a) optimality gap ``J* − J(θ_k)`` and (b) ``‖∇J_λ(θ_k)‖²`` vs samples, log-log, one line per λ
    (uniform prior policy, prior states η_p = η)."""
    table = _need(table, "run_id", "workers", "seed", "lam", "samples", "gap", "grad_lambda_norm_sq")
    lams = sorted(an.unique(table, "lam"))
    fig, axes = _new_figure(1, 2, 10.5, 4.2)
    ax_a, ax_b = axes[0]
    rows, summary = [], []
    for i, lam in enumerate(lams):
        part = an.select(table, lam=lam)
        for ax, metric in ((ax_a, "gap"), (ax_b, "grad_lambda_norm_sq")):
            curves = _curves(part, "samples", metric, positive_x=True)
            b = an.band(curves, log=True)
            _draw_band(ax, b, f"C{i}", f"λ = {lam:g}", log_y=True)
            rows.append(_band_rows(b, lam=lam, metric=metric))
            m, lo, hi = an.mean_ci([y[-1] for _, y in curves])
            summary.append(_summary_row("regularisation", f"final {metric}", f"lam={lam:g}", m, lo, hi, len(curves)))
    for ax in (ax_a, ax_b):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.legend(loc="lower left")
    ax_a.set(xlabel="total samples k", ylabel="J* − J(θ_k)", title="(a) optimality gap of the unregularised J")
    ax_b.set(xlabel="total samples k", ylabel="‖∇J_λ(θ_k)‖²", title="(b) squared gradient norm of J_λ = J + λR")
    panels = _save(fig, path, title)
    return FigureResult(str(path), {"curves": _concat(rows)}, summary, panels)


# --------------------------------------------------------------------------- runtime on this machine
def threads_runtime(table, path, title: str, target_fraction: float = 0.9, cores: int | None = None) -> FigureResult:
    """Real Hogwild threads on this machine: (a) wall-clock time to target, (b) throughput
    (total samples / wall time of the run), (c) runtime speedup ``time(1)/time(N)`` vs N; the core
    count is drawn as a vertical line and printed on the figure."""
    table = _need(table, "run_id", "workers", "seed", "samples", "time_s", "J", "gap")
    if cores is None:
        raise ValidationError("cores", "state the machine's core count (os.cpu_count())")
    workers = sorted(an.unique(table, "workers"))
    fig, axes = _new_figure(1, 3, 14, 4.2)
    ax_a, ax_b, ax_c = axes[0]
    sp = an.speedup_table(table, "time", target_fraction)
    reached = _draw_cost(ax_a, sp, "C0", "wall time to target")
    thr = {"workers": [], "samples_per_s": [], "lo": [], "hi": [], "n": []}
    summary = []
    for n in workers:
        runs = an.split_runs(an.select(table, workers=n))
        rate = [float(r["samples"][-1]) / float(r["time_s"][-1]) for r in runs]
        m, lo, hi = an.mean_ci(rate)
        for key, value in zip(thr, (n, m, lo, hi, len(runs))):
            thr[key].append(value)
        summary.append(_summary_row("threads_runtime", "throughput", f"N={n}", m, lo, hi, len(runs), "samples/s"))
    thr = {k: np.asarray(v) for k, v in thr.items()}
    ax_b.errorbar(thr["workers"], thr["samples_per_s"] / 1e6,
                  yerr=np.nan_to_num(np.vstack([thr["samples_per_s"] - thr["lo"], thr["hi"] - thr["samples_per_s"]])) / 1e6,
                  marker="o", ms=4, capsize=2.5, color="C2", label="throughput (mean, 95% CI)")
    ax_b.set_ylim(0, 1.25 * np.nanmax(thr["hi"] if np.any(np.isfinite(thr["hi"])) else thr["samples_per_s"]) / 1e6)
    if _draw_speedup(ax_c, sp, "C3", "runtime speedup (wall clock)"):
        _unreached_legend_entry(ax_c)
    ax_c.plot(workers, np.minimum(workers, cores), color="0.4", ls="--", lw=1, label=f"ideal min(N, {cores} cores)")
    summary += [_summary_row("threads_runtime", "runtime speedup", f"N={n}", s, lo, hi, c)
                for n, s, lo, hi, c in zip(sp["workers"], sp["speedup"], sp["lo"], sp["hi"], sp["n"])]
    summary += [_summary_row("threads_runtime", "wall time to target", f"N={n}", m, lo, hi, c, "s")
                for n, m, lo, hi, c in zip(sp["workers"], sp["cost_mean"], sp["cost_lo"], sp["cost_hi"], sp["n"])]
    for ax in (ax_a, ax_b, ax_c):
        _log2_axis(ax, workers)
        ax.axvline(cores, color="C1", lw=1, ls="-.", alpha=0.6, zorder=0, label=f"{cores} cores on this machine")
        ax.legend(loc="lower right" if ax is ax_b else "best")
    if reached:
        ax_a.set_ylim(bottom=0)
    ax_a.set(xlabel="threads N", ylabel="wall-clock time to target (s)",
             title=f"(a) time to close {target_fraction:.0%} of the gap")
    ax_b.set(xlabel="threads N", ylabel="million samples per second (all threads)", title="(b) throughput")
    ax_c.set(xlabel="threads N", ylabel="time(1) / time(N)", title="(c) runtime speedup (mean, 95% CI)")
    panels = _save(fig, path, title, f"measured on this machine: {cores} CPU cores")
    return FigureResult(str(path), {"time_to_target": _speedup_rows(sp), "throughput": thr}, summary, panels)


FIGURES = {"convergence": convergence, "rates": rates, "speedup_limit": speedup_limit,
           "a3c_vs_a2c": a3c_vs_a2c, "regularisation": regularisation, "threads_runtime": threads_runtime}
"""Figure functions by the name an experiment TOML gives in ``[experiment] figure``."""


def draw(name: str, table, path, title: str, **settings) -> FigureResult:
    """Draw figure ``name`` (a key of :data:`FIGURES`) inside a scoped style context."""
    if name not in FIGURES:
        raise ValidationError("experiment.figure", f"must be one of {sorted(FIGURES)}, got {name!r}")
    with matplotlib.rc_context(STYLE):
        return FIGURES[name](table, path, title, **settings)
