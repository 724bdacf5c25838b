"""Summary tables and ``paper_repro.md``, written by ``reproduce`` from the studies' typed summaries.

Files: ``<out>/summary.csv`` (one row per :class:`studies.study.Number`: study, quantity, setting, value,
lo, hi, n, interval, unit), ``<out>/summary.md`` (the same as a table, with each study's wall times: of its
runs, measured when they were executed, and of this invocation), and the paper-artifact report (claim, command, runs, our number, verdict by the study's stated rule, notes),
every number in it taken from the summaries, none typed by hand.
"""

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import atomic, frames
from .instances.diagnose import summary_line
from .studies.study import Claim, StudySummary, numbers_table


@dataclass(frozen=True)
class RunTime:
    """The wall time of one study's runs, measured by the ``reproduce`` that executed them and stored beside
    its runs table (``reproduce.read_run_time``)."""

    seconds: float
    """Wall time of executing the study's parts (its sweeps), in seconds."""
    executed: int
    """Runs executed in that time; the others of ``runs`` were already cached."""
    runs: int
    """Runs of the study's own parts (0 for a study that only reuses other studies' runs)."""
    cores: int
    """CPU cores of the machine they ran on."""


def run_time_text(run_time: RunTime | None) -> str:
    """``12.3 s on 2 cores``, with ``(3 of 10 runs executed, the rest cached)`` when some were cached;
    ``not recorded`` for None (outputs written before run times were stored)."""
    if run_time is None:
        return "not recorded"
    if run_time.runs == 0:
        return "no runs of its own"
    cached = "" if run_time.executed == run_time.runs else \
        f" ({run_time.executed} of {run_time.runs} runs executed, the rest cached)"
    return f"{run_time.seconds:.1f} s on {run_time.cores} cores{cached}"


@dataclass(frozen=True)
class Outcome:
    """What one study produced in a reproduce invocation."""

    name: str
    module: str
    summary: StudySummary
    numbers: list
    claims: list
    runs_text: str
    seconds: float
    """This invocation's wall time for the study: executing its runs (if it did), summary, figure and files."""
    instances: tuple = ()
    """``(label, instances.diagnose.Diagnostics)`` of every instance the study runs on."""
    warnings: tuple = ()
    redrawn: bool = False
    """Drawn from the runs table of an earlier reproduce, without running (``seconds`` is the redraw's)."""
    run_time: RunTime | None = None
    """The wall time of the study's runs when they were executed; None when not recorded."""


def dataframe_fields(summary) -> dict[str, pd.DataFrame]:
    """The summary's DataFrame fields (numbers drawn in the figure), by field name."""
    return {f.name: getattr(summary, f.name) for f in dataclasses.fields(summary)
            if isinstance(getattr(summary, f.name), pd.DataFrame)}


def summary_table(outcomes: list[Outcome]) -> pd.DataFrame:
    """Every study's numbers stacked (columns of :func:`studies.study.numbers_table`)."""
    return pd.concat([numbers_table(o.name, o.numbers) for o in outcomes], ignore_index=True)


def estimate_text(value: float, lo: float, hi: float) -> str:
    if value == np.inf:
        return "not reached (inf)"
    ci = f" [{lo:.4g}, {hi:.4g}]" if np.isfinite(lo) and np.isfinite(hi) else ""
    return f"{value:.4g}{ci}"


def summary_markdown(outcomes: list[Outcome], seconds: float, quick: bool) -> str:
    """The summary as markdown: each study's wall times (its runs; this invocation), then every number
    (value [95% interval])."""
    lines = [f"Written by `a3c-theory reproduce{' --quick' if quick else ''}` on a machine with "
             f"{os.cpu_count()} CPU cores; this invocation took {seconds:.0f} s. Per study: the wall time of its "
             "runs, measured when they were executed (stored in `<study>__timing.json`; \"not recorded\" when "
             "that file is missing), and this invocation's time for the study (its runs if they were executed "
             "now, plus summary and figure; only summary and figure when it was redrawn).", "",
             "| study | runs: wall time | this invocation (s) |", "|---|---|---|",
             *[f"| {o.name} | {run_time_text(o.run_time)} | {o.seconds:.1f}{' (redrawn)' if o.redrawn else ''} |"
               for o in outcomes], "",
             "| study | quantity | setting | value [95% interval] | interval | runs | unit |",
             "|---|---|---|---|---|---|---|"]
    for row in summary_table(outcomes).itertuples():
        lines.append(f"| {row.study} | {row.quantity} | {row.setting} | {estimate_text(row.value, row.lo, row.hi)} | "
                     f"{row.interval} | {row.n} | {row.unit} |")
    return "\n".join(lines) + "\n"


def print_summary(outcomes: list[Outcome], out: Path, seconds: float, command: str = "reproduce") -> None:
    """One line per number: study, quantity, setting, value [interval] (runs) unit."""
    table = summary_table(outcomes)
    print(f"\n{command}: {len(table)} numbers in {out / 'summary.csv'} ({seconds:.0f} s, {os.cpu_count()} cores)")
    for row in table.itertuples():
        print(f"  {row.study:<16} {row.quantity:<42} {row.setting:<44} "
              f"{estimate_text(row.value, row.lo, row.hi)} (n={row.n}) {row.unit}")
    for o in outcomes:
        for warning in o.warnings:
            print(f"  {o.name}: {warning}")


NOT_REPRODUCED = Claim("Atari figures", "A3C speeds up training on real benchmarks", "—", "—",
                       "not reproduced", "no Atari simulator or convolutional networks here; CartPole (Fig. 3) is the "
                       "fig3_cartpole study, with a linear Fourier actor-critic")

DEVIATION_NOTES = [
    "- **Rewards.** The paper draws rewards U(0,1); we read this as a table r(s, a) (`problem.reward = "
    "\"state_action\"`). With per-transition rewards r(s, a, s') and near-uniform rows of P every policy has "
    "almost the same return, the optimality gap is tiny against the per-sample reward noise, and the actor "
    "barely moves within any horizon we can afford; `problem.reward = \"transition\"` runs that reading.",
    "- **Speedup target.** The paper does not state its target; we use a fraction of the initial gap "
    "J* − J(θ_0) (the settings line of each study's spec; several levels in the speedup study). The part of the "
    "gap left open at the end was read as the O(ε_app) floor of Corollary 1; the feature_control row tests "
    "that reading with one-hot critic features (ε_app = 0) on the same runs.",
    "- **Step sizes.** The theory's exponents σ_α = 3/5, σ_β = 2/5 with constants from a search "
    "(config.py docstring). The large early actor steps make the first few thousand samples decisive; "
    "with N round-robin workers the first N updates are all computed at θ_0, which is where sample speedups "
    "above N come from (measured in the speedup study: gap closed after the first N updates).",
    "- **Delays.** Sample speedups use the exact delay simulator (round-robin τ = N − 1, or exponential "
    "compute times), which isolates staleness from this machine's core count; wall-clock panels use real "
    "Hogwild threads on this machine, where the shared parameters of a 100-state instance bounce between "
    "cores, so throughput barely grows with threads.",
    "- **Runs stuck in a trap.** On the trap chain some runs settle in the trap (a local optimum that closes "
    "less than half of the gap) and never reach the higher targets. Efficiency counts such a run at the "
    "horizon, which can only raise E, so it makes a verdict less confident but never \"linear\"; at a target "
    "reached long before the horizon, one such run can lower the mean-based E by a large factor while the "
    "median cost is unchanged. The N_max tables print how many runs never got there; the staleness study "
    "uses median costs for this reason.",
    "- **A2C.** `run.mode = \"sync\"` with `algorithm.a2c_step_sizes = \"per_round\"` (the convention) "
    "averages the N workers' updates and takes one step per round with the step size of the round's first "
    "sample count, so per sample it moves about N times less than A3C; `\"per_sample\"` gives every sample "
    "A3C's step size (the averaged update with α, β scaled by N). `a3c_vs_a2c` shows both and A2C with its "
    "own tuned step sizes, so that the straggler wait is separated from the step-size convention.",
    "- **Not reproduced.** The Atari experiments (simulators, convolutional networks) are outside this toolkit. "
    "CartPole (the paper's Fig. 3) runs a linear Fourier-basis actor-critic, not the paper's neural network, "
    "and its returns are Monte Carlo estimates; the linear-quadratic study is continuous-action with exact "
    "quantities.",
]


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _diagnostics_text(o: Outcome) -> str:
    lines = [summary_line(d, label) for label, d in o.instances] + list(o.warnings)
    return "; ".join(lines) or "—"


def paper_repro_markdown(outcomes: list[Outcome], figures: str, seconds: float, quick: bool) -> str:
    """The paper-artifact report. ``figures``: the figures folder relative to the report."""
    command = f"a3c-theory reproduce{' --quick' if quick else ''}"
    redrawn = [o.name for o in outcomes if o.redrawn]
    lines = ["# Reproducing Shen, Zhang, Hong & Chen (arXiv 2012.15511) — synthetic study", "",
             f"Generated by `{command}` from the studies' summaries (every number below is computed by "
             f"`a3c_theory.studies`, none typed by hand) on a machine with {os.cpu_count()} CPU cores; this "
             f"invocation took {seconds:.0f} s. The studies table gives two wall times per study: that of its runs, "
             f"measured by the `reproduce` that executed them and stored in `{figures}/<study>__timing.json` "
             "(\"not recorded\" when that file is missing; runs already cached under "
             f"`{figures}/_runs/` are not re-run, and when some were, the count executed is given), and this "
             "invocation's time for the study"
             + (f" ({', '.join(redrawn)} ran nothing here: drawn from the `{figures}/<study>__runs.csv.gz` tables of "
                "an earlier `reproduce` (`--redraw` or `--study`), so this invocation's time for them is the redraw's)"
                if redrawn else "")
             + ". Intervals are 95%: speedups, costs, times and other non-negative quantities by percentile "
             "bootstrap over seeds (it never leaves the quantity's sign), slopes and signed quantities by Student t. "
             "Speedups rest on the split estimand: the share of runs that reach the target (Clopper–Pearson, exact test "
             "against N = 1) and the cost over the runs that reach it, with ERT beside it; runs with the same seed "
             "share random streams and are resampled together (paired). "
             "Verdict rule for speedups (E(N) = Speedup(N)/N, 95% bootstrap interval over seeds): linear when it lies "
             "above 0.75, sub-linear when below, undetermined otherwise; linear up to N = linear at every N' ≤ N.", ""]
    if quick:
        lines += ["**Quick mode: few seeds, short horizons, lower targets — a smoke test, not the reproduction.**", ""]
    choices = [c for o in outcomes for c in o.summary.choices]
    if choices:
        lines += ["## Choices the paper leaves open", "", "| item | our choice |", "|---|---|",
                  *[f"| {_cell(item)} | {_cell(choice)} |" for item, choice in choices], ""]
    lines += ["## Studies", "", "| study | module | figure | runs | runs: wall time | this invocation (s) | "
              "instance diagnostics |", "|---|---|---|---|---|---|---|"]
    for o in outcomes:
        lines.append(f"| {o.name} | `a3c_theory.studies.{o.module}` | [{o.name}.png]({figures}/{o.name}.png) | "
                     f"{_cell(o.runs_text)} | {run_time_text(o.run_time)} | "
                     f"{o.seconds:.1f}{' (redrawn)' if o.redrawn else ''} | {_cell(_diagnostics_text(o))} |")
    head = ["| paper artifact | claim | command | seeds/runs | our number | verdict | notes |",
            "|---|---|---|---|---|---|---|"]

    def rows(section: str) -> list[str]:
        out = []
        for o in outcomes:
            for c in (c for c in o.claims if c.section == section):
                where = c.where.replace("`", "")
                out.append(f"| {_cell(c.artifact)} | {_cell(c.claim)} | `{command}` → `{where}` | {_cell(o.runs_text)} | "
                           f"{_cell(c.number)} | {_cell(c.verdict)} | {_cell(c.notes)} |")
        return out
    lines += ["", "## Artifacts", "", *head, *rows("")]
    c = NOT_REPRODUCED
    lines.append(f"| {c.artifact} | {c.claim} | {c.where} | — | {c.number} | {c.verdict} | {c.notes} |")
    for section in dict.fromkeys(c.section for o in outcomes for c in o.claims if c.section):
        lines += ["", f"## {section}", "", *head, *rows(section)]
    for title, rows in [t for o in outcomes for t in o.summary.tables]:
        lines += ["", f"## {title}", "", *rows]
    lines += ["", "## Notes on deviations and open choices", "", *DEVIATION_NOTES]
    return "\n".join(lines) + "\n"


def study_markdown(o: Outcome, spec, type_name: str, defaults: tuple, seconds: float, quick: bool) -> str:
    """The report of one ``a3c-theory study`` run: what ran, the instance diagnostics, the defaults the study
    chose where the spec left things out, then its claims with their verdicts and its tables."""
    source = f"`{spec.path}`" if spec.path is not None else "a spec given as a dict"
    lines = [f"# {spec.title}", "",
             f"Written by `a3c-theory study{' --quick' if quick else ''}` from {source} (study type `{type_name}`, "
             f"module `{o.module}`) in {seconds:.0f} s. Runs: {o.runs_text}; their wall time: {run_time_text(o.run_time)}"
             + (" (redrawn: nothing ran now)" if o.redrawn else "") + f". Figure: [{o.name}.png]({o.name}.png); "
             "every number is in `summary.csv`.", ""]
    if quick:
        lines += ["**Quick mode: few seeds, short horizons: a smoke test, not a verdict.**", ""]
    lines += ["## Instances (diagnostics at θ_0)", "", *[f"- {summary_line(d, label)}" for label, d in o.instances],
              *[f"- {w}" for w in o.warnings], ""]
    lines += ["## Defaults chosen for this spec", "",
              *([f"- {_cell(d)}" for d in defaults] or ["- none: the spec sets every choice the study makes"]), ""]
    lines += ["## Claims", "", "| claim | where | our number | verdict | notes |", "|---|---|---|---|---|",
              *[f"| {_cell(c.artifact)}: {_cell(c.claim)} | {_cell(c.where)} | {_cell(c.number)} | {_cell(c.verdict)} | "
                f"{_cell(c.notes)} |" for c in o.claims]]
    for title, rows in o.summary.tables:
        lines += ["", f"## {title}", "", *rows]
    return "\n".join(lines) + "\n"


def write(out: Path, report: Path, outcomes: list[Outcome], seconds: float, quick: bool) -> None:
    """``summary.csv`` and ``summary.md`` in ``out``, the paper-artifact report at ``report``."""
    frames.write(summary_table(outcomes), out / "summary.csv", parquet=False)
    atomic.write_text(out / "summary.md", summary_markdown(outcomes, seconds, quick))
    figures = os.path.relpath(out, report.parent)
    atomic.write_text(report, paper_repro_markdown(outcomes, figures, seconds, quick))
