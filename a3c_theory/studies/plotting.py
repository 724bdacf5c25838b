"""Drawing helpers shared by the studies: figures, bands, speedup and cost axes, target lines.

No global state: figures are built with ``matplotlib.figure.Figure`` (never ``pyplot``), rendered by the
Agg canvas, with style settings scoped by :func:`styled` (``matplotlib.rc_context``).
"""

from contextlib import contextmanager

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import stats

INSTANCE_NAMES = {"paper": "paper instance", "trap_chain": "trap chain", "gymnasium": "FrozenLake 4x4",
                  "garnet": "garnet", "sparse_garnet": "sparse garnet", "drift_ring": "drift ring"}
"""Readers' names of the instance kinds (labels and titles)."""
OPTIONS = {"iid": "i.i.d.", "markov": "Markovian", "shared": "shared chain"}
"""Readers' names of the sampling options."""

STYLE = {"font.size": 9, "axes.titlesize": 9.5, "axes.labelsize": 9, "legend.fontsize": 7.5,
         "axes.grid": True, "grid.alpha": 0.3, "figure.dpi": 110}


@contextmanager
def styled():
    """The studies' matplotlib style, scoped to the ``with`` block."""
    with matplotlib.rc_context(STYLE):
        yield


def new_figure(nrows: int, ncols: int, width: float, height: float):
    """A constrained-layout figure on the Agg canvas and its 2-d array of axes."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


CAPTION_WIDTH = 0.96
"""Fraction of the figure width a caption line may fill."""


def wrap_caption(fig, caption) -> int:
    """Break each line of the text object ``caption`` (a figure's suptitle) at spaces so that every line,
    as rendered in its own font, fits in :data:`CAPTION_WIDTH` of the figure width (a single word wider
    than that stays on its own line); returns the number of lines added."""
    renderer = fig.canvas.get_renderer()
    font = caption.get_fontproperties()
    room = CAPTION_WIDTH * fig.get_figwidth() * fig.dpi

    def fits(text: str) -> bool:
        return renderer.get_text_width_height_descent(text, font, ismath=False)[0] <= room

    given = caption.get_text().split("\n")
    lines = []
    for line in given:
        words = line.split(" ")
        lines.append(words[0])
        for word in words[1:]:
            if fits(f"{lines[-1]} {word}"):
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
    caption.set_text("\n".join(lines))
    return len(lines) - len(given)


def save(fig, path, title: str, note: str = "") -> int:
    """Title (instance, seeds, sampling option) plus optional smaller lines of notes, as the figure's caption
    above the panels, wrapped to the figure width (:func:`wrap_caption`) with the figure made taller by the
    lines the wrapping added, so the panels keep their size; saves the PNG and returns the number of
    visible panels."""
    caption = fig.suptitle(title + (f"\n{note}" if note else ""), fontsize=10 if not note else 9.5)
    renderer = fig.canvas.get_renderer()
    height = caption.get_window_extent(renderer).height
    if wrap_caption(fig, caption):
        grown = caption.get_window_extent(renderer).height - height
        fig.set_figheight(fig.get_figheight() + grown / fig.dpi)
    fig.savefig(path, dpi=110)
    return sum(ax.get_visible() for ax in fig.axes)


def plain_log_ticks(ax, axis: str = "y") -> None:
    """Plain numbers (1, 2, 4, 16, 0.01) on a log axis instead of powers like 2^4."""
    fmt = ticker.FuncFormatter(lambda v, _: f"{v:g}")
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(fmt)
    target.set_minor_formatter(ticker.NullFormatter())


def colors(values) -> dict:
    """One colour per series value, from a sequential map (worker counts) ordered as given."""
    values = list(values)
    cmap = matplotlib.colormaps["viridis"]
    if len(values) == 1:
        return {values[0]: cmap(0.35)}
    return {v: cmap(0.9 * i / (len(values) - 1)) for i, v in enumerate(values)}


def values(runs: pd.DataFrame, column: str) -> list:
    """Sorted distinct values of a column, as Python scalars."""
    return sorted(v.item() if hasattr(v, "item") else v for v in stats.need(runs, column)[column].unique())


def draw_band(ax, b: pd.DataFrame, color, label: str, log_y: bool = False) -> None:
    """A mean curve with its shaded interval (non-positive lower bounds dropped on a log axis)."""
    ax.plot(b["x"].to_numpy(), b["mean"].to_numpy(), color=color, lw=1.4, label=label)
    lo, hi = b["lo"].to_numpy(), b["hi"].to_numpy()
    if np.all(np.isnan(lo)):
        return
    if log_y:
        lo = np.where(lo > 0, lo, np.nan)
    ax.fill_between(b["x"].to_numpy(), lo, hi, color=color, alpha=0.2, lw=0)


def labelled(table: pd.DataFrame, **labels) -> pd.DataFrame:
    """``table`` with constant label columns put in front (for the CSV of the numbers drawn)."""
    out = table.copy()
    for i, (key, value) in enumerate(labels.items()):
        out.insert(i, key, value)
    return out


def stack(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Row-wise concatenation (an empty DataFrame for no tables)."""
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def worker_bands(runs: pd.DataFrame, x: str, y: str, log_x=False, positive_x=False, **labels) -> pd.DataFrame:
    """Mean band over seeds of ``y`` against ``x`` for every worker count (:func:`stats.band`), stacked and
    labelled with ``workers``, ``metric`` (= y), ``xaxis`` (= x) and ``labels``."""
    return stack([labelled(stats.band(stats.curves(runs[runs["workers"] == n], x, y, positive_x), log=log_x),
                           workers=n, metric=y, xaxis=x, **labels)
                  for n in values(runs, "workers")])


def draw_worker_bands(ax, bands: pd.DataFrame, palette: dict, log_x=False, log_y=False) -> None:
    """Draw the bands of :func:`worker_bands`, one colour per worker count."""
    for n, b in bands.groupby("workers", sort=True):
        draw_band(ax, b, palette[n], f"N = {n}", log_y)
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")


def no_data(ax, what: str) -> None:
    """Write ``what`` in the middle of an empty panel."""
    ax.text(0.5, 0.5, f"no {what} runs in this experiment", ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def draw_cost(ax, sp: pd.DataFrame, color, label: str, marker="o") -> bool:
    """Mean cost to target with its interval; returns False (and says so on the axes) when no N reached it."""
    mean = sp["cost_mean"].to_numpy(dtype=float)
    ok = np.isfinite(mean)
    if not np.any(ok):
        ax.text(0.5, 0.5, f"{label}: target not reached within the horizon", ha="center", va="center",
                transform=ax.transAxes, fontsize=8)
        return False
    err = np.vstack([mean[ok] - sp["cost_lo"].to_numpy(dtype=float)[ok],
                     sp["cost_hi"].to_numpy(dtype=float)[ok] - mean[ok]])
    err = np.where(np.isfinite(err), np.maximum(err, 0), 0)
    workers = sp["workers"].to_numpy()
    ax.errorbar(workers[ok], mean[ok], yerr=err, color=color, marker=marker, ms=4, capsize=2.5, label=label)
    if not np.all(ok):
        ax.plot(workers[~ok], sp["horizon"].to_numpy(dtype=float)[~ok], linestyle="none", marker="^", mfc="none",
                ms=7, color=color, label=f"{label}: not reached (cost > horizon)")
    return True


def draw_speedup(ax, sp: pd.DataFrame, color, label: str, marker="o") -> bool:
    """Speedup with interval error bars (over the runs that reached the target); worker counts where some run
    never reached it are drawn hollow (returns True when it drew one)."""
    N = sp["workers"].to_numpy(dtype=float)
    mean = sp["speedup"].to_numpy(dtype=float)
    ok = np.isfinite(mean)
    yerr = np.vstack([mean - sp["lo"].to_numpy(dtype=float), sp["hi"].to_numpy(dtype=float) - mean])[:, ok]
    yerr = np.where(np.isfinite(yerr), np.maximum(yerr, 0), 0)
    ax.errorbar(N[ok], mean[ok], yerr=yerr, color=color, marker=marker, ms=4, lw=1.3, capsize=2.5, label=label)
    miss = ok & (sp["unreached"].to_numpy() > 0)
    if np.any(miss):
        ax.plot(N[miss], mean[miss], linestyle="none", marker=marker, mfc="white", color=color, ms=6)
    return bool(np.any(miss))


def unreached_legend_entry(ax) -> None:
    """A legend entry for the hollow marker of cells where some runs never reached the target."""
    ax.plot([], [], linestyle="none", marker="o", mfc="white", color="0.3", ms=6,
            label="○ some runs never reached the target: speedup over those that did")


def log2_axis(ax, workers) -> None:
    """Worker counts on a base-2 log axis with plain tick labels."""
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(workers))
    ax.set_xticklabels([str(n) for n in sorted(workers)])
    ax.minorticks_off()


def speedup_axis(ax, workers, missed: bool) -> None:
    """Speedup-vs-N axes: ideal line, log2 axes with plain ticks, and a legend entry for unreached runs."""
    if missed:
        unreached_legend_entry(ax)
    N = np.array(sorted(workers), float)
    ax.plot(N, N, color="0.4", ls="--", lw=1, label="ideal (linear)")
    log2_axis(ax, workers)
    ax.set_yscale("log", base=2)
    plain_log_ticks(ax)


def error_bars(estimates) -> np.ndarray:
    """``yerr`` for ``errorbar`` from :class:`stats.Estimate` values: rows ``value − lo`` and ``hi − value``,
    never negative, and 0 (no bar) where an end is missing or infinite (a cost never reached)."""
    v = np.array([e.value for e in estimates], float)
    lo = np.array([e.lo for e in estimates], float)
    hi = np.array([e.hi for e in estimates], float)
    with np.errstate(invalid="ignore"):  # inf − inf
        err = np.vstack([v - lo, hi - v])
    return np.where(np.isfinite(err), np.maximum(err, 0), 0)


def fmt(estimate: stats.Estimate, digits: int = 3) -> str:
    """``value [lo, hi]`` (or just the value without an interval, ``n/a`` when not finite)."""
    if not np.isfinite(estimate.value):
        return "n/a"
    if not (np.isfinite(estimate.lo) and np.isfinite(estimate.hi)):
        return f"{estimate.value:.{digits}g}"
    return f"{estimate.value:.{digits}g} [{estimate.lo:.{digits}g}, {estimate.hi:.{digits}g}]"


def target_lines(ax, runs: pd.DataFrame, target_fraction: float) -> None:
    """J* and the target level as horizontal lines; the y-range is clipped to [J(θ_0), J*] plus 8%
    margins, so a wide interval from few seeds cannot squash the curves."""
    J0, Jstar = stats.reference_levels(runs)
    ax.axhline(Jstar, color="k", ls="--", lw=0.9, label="J* (optimal)")
    ax.axhline(stats.target_level(J0, Jstar, target_fraction), color="0.45", ls=":", lw=1,
               label=f"target: {target_fraction:.0%} of gap closed")
    margin = 0.08 * (Jstar - J0) if Jstar > J0 else 0.05
    ax.set_ylim(J0 - margin, Jstar + margin)
