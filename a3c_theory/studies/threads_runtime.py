"""Runtime on this machine: real Hogwild threads (issue 8, item 7). (a) wall-clock time to target, (b)
throughput (total samples / wall time of the run), (c) runtime speedup ``time(1)/time(N)`` vs N; the core
count is drawn as a vertical line and printed on the figure. Uses the ``mode == "threads"`` runs. Times: mean
over seeds with a 95% expanded percentile-bootstrap interval (``time_to_target``); throughputs: mean with a 95%
percentile-bootstrap interval (never below zero).

A wall-clock speedup means something only when learning, not thread start-up, takes the time: the spec
picks an instance, step size and target for which N = 1 needs seconds (``min_base_seconds``, default 2 s)
to reach the target. The same spec runs on any machine; ``experiments/threads_speedup.toml`` is it with
N = 1, 2, 4, 8, 16 (``a3c-theory study``). On a machine with C cores, the most two or more threads can give is ``min(N, C)``
times the efficiency of C independent single-thread runs side by side (``a3c-theory bench``,
"independent-runs ceiling"): memory bandwidth and shared caches bound it before Hogwild's own costs.

Verdict rule: "not meaningful" when the mean N = 1 wall time to target is below ``min_base_seconds``;
otherwise "faster with threads" when some N > 1 has a runtime speedup whose interval lies above 1, and "not
faster on this C-core machine" when none does.

Time to target: a run that recorded the gap target ``target_fraction`` online (``[targets] gap``, threads
mode: the wall stamp of the first check copy reaching it, ``engine.threads``) contributes that
``hit_times_gap_<f>``; another the first crossing of its snapshots (``stats.speedup_table``, ``hits``).
"""

from dataclasses import dataclass, field
from typing import Annotated

import numpy as np
import pandas as pd

from ..errors import ValidationError
from . import plotting as pl
from . import stats
from .study import Claim, Fraction, Number, Range, Results, StudySettings, StudySummary, by_workers, listing

SAMPLE_SPEEDUP_VERDICT = False
"""This study draws no sample-speedup verdict: no discrimination warning."""


@dataclass(frozen=True)
class Settings(StudySettings):
    """Spec settings: the gap target and the one-thread time the target must take at least."""
    target_fraction: Fraction = 0.9
    min_base_seconds: Annotated[float, Range(0.0, 3600.0, hi_open=True)] = 2.0
    """Seconds the one-worker runs must need to reach the target, for a wall-clock speedup to mean anything."""


@dataclass(frozen=True)
class Summary(StudySummary):
    """Time to target, throughput and runtime speedup per N, and the core count."""
    target_fraction: float
    min_base_seconds: float
    cores: int
    workers: tuple
    runtime_speedup: dict
    wall_time: dict
    """``{N: Estimate}`` of the wall-clock time to target (s)."""
    samples_per_s: dict
    """``{N: Estimate}`` of the throughput (all threads)."""
    time_to_target: pd.DataFrame = field(repr=False)
    throughput: pd.DataFrame = field(repr=False)


def _runs(results: Results) -> pd.DataFrame:
    runs = stats.need(results.runs, "run_id", "workers", "seed", "mode", "samples", "time_s", "J", "gap")
    runs = runs[runs["mode"] == "threads"]
    if runs.empty:
        raise ValidationError("runs.mode", "needs runs with mode 'threads'")
    return runs


def summarise(results: Results) -> Summary:
    """Panels (a)–(c) of the module docstring from the threads runs."""
    runs = _runs(results)
    f = results.settings.target_fraction
    sp = stats.speedup_table(runs, "time", f, meta=results.meta)
    throughput = {}
    for n in pl.values(runs, "workers"):
        split = stats.split_runs(runs[runs["workers"] == n])
        throughput[n] = stats.positive_mean_ci([float(r["samples"].iloc[-1]) / float(r["time_s"].iloc[-1])
                                                for r in split])
    table = pd.DataFrame([{"workers": n, "samples_per_s": e.value, "lo": e.lo, "hi": e.hi, "n": e.n}
                          for n, e in throughput.items()])
    return Summary(f, float(results.settings.min_base_seconds), results.run_cores, tuple(pl.values(runs, "workers")),
                   stats.estimates(sp),
                   stats.estimates(sp, "cost_mean", "cost_lo", "cost_hi"), throughput, sp, table)


def draw(results: Results, summary: Summary, path) -> None:
    """The three panels, with the core count drawn and printed."""
    workers, cores = list(summary.workers), summary.cores
    sp, thr = summary.time_to_target, summary.throughput
    fig, axes = pl.new_figure(1, 3, 14, 4.2)
    ax_a, ax_b, ax_c = axes[0]
    reached = pl.draw_cost(ax_a, sp, "C0", "wall time to target")
    rate, lo, hi = (thr[c].to_numpy(dtype=float) for c in ("samples_per_s", "lo", "hi"))
    ax_b.errorbar(thr["workers"].to_numpy(), rate / 1e6, yerr=np.nan_to_num(np.vstack([rate - lo, hi - rate])) / 1e6,
                  marker="o", ms=4, capsize=2.5, color="C2", label="throughput (mean, 95% CI)")
    ax_b.set_ylim(0, 1.25 * np.nanmax(hi if np.any(np.isfinite(hi)) else rate) / 1e6)
    if pl.draw_speedup(ax_c, sp, "C3", "runtime speedup (wall clock)"):
        pl.unreached_legend_entry(ax_c)
    ax_c.plot(workers, np.minimum(workers, cores), color="0.4", ls="--", lw=1, label=f"ideal min(N, {cores} cores)")
    for ax in (ax_a, ax_b, ax_c):
        pl.log2_axis(ax, workers)
        ax.axvline(cores, color="C1", lw=1, ls="-.", alpha=0.6, zorder=0, label=f"{cores} cores on this machine")
        ax.legend(loc="lower right" if ax is ax_b else "best")
    if reached:
        ax_a.set_ylim(bottom=0)
    ax_a.set(xlabel="threads N", ylabel="wall-clock time to target (s)",
             title=f"(a) time to close {summary.target_fraction:.0%} of the gap")
    ax_b.set(xlabel="threads N", ylabel="million samples per second (all threads)", title="(b) throughput")
    ax_c.set(xlabel="threads N", ylabel="time(1) / time(N)", title="(c) runtime speedup (mean, 95% CI)")
    pl.save(fig, path, results.title, f"measured on this machine: {cores} CPU cores; "
            "means over seeds; times: 95% expanded percentile-bootstrap interval, throughputs: 95% percentile-bootstrap")


def numbers(summary: Summary) -> list[Number]:
    """The rows of summary.csv: times, throughputs and speedups per N."""
    return [*by_workers("throughput", summary.samples_per_s, "samples/s"),
            *by_workers("runtime speedup", summary.runtime_speedup),
            *by_workers("wall time to target", summary.wall_time, "s")]


def claims(summary: Summary) -> list[Claim]:
    """The runtime-speedup row of paper_repro.md."""
    base = summary.wall_time.get(1)
    meaningful = base is not None and np.isfinite(base.value) and base.value >= summary.min_base_seconds
    gain = any(n > 1 and np.isfinite(e.lo) and e.lo > 1 for n, e in summary.runtime_speedup.items())
    if not meaningful:
        verdict = (f"not meaningful: N = 1 reaches the target in "
                   f"{pl.fmt(base) if base is not None else 'n/a'} s < {summary.min_base_seconds:g} s")
    else:
        verdict = "faster with threads" if gain else f"not faster on this {summary.cores}-core machine"
    return [Claim("Runtime on this machine (not a paper figure)", "Hogwild threads reach the target sooner",
                  "`threads_runtime.png`",
                  f"wall time to target {listing(summary.wall_time, pl.fmt)} s; throughput "
                  f"{listing(summary.samples_per_s, pl.fmt)} samples/s; runtime speedup "
                  f"{listing(summary.runtime_speedup, pl.fmt)}", verdict,
                  f"{summary.cores} cores: at most min(N, {summary.cores}) times the independent-runs ceiling of "
                  "`a3c-theory bench`; `a3c-theory study experiments/threads_speedup.toml` runs N = 1..16 on a larger machine")]
