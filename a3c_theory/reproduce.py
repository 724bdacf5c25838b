"""The main job: ``a3c-theory reproduce [--quick] [--out DIR]`` runs every experiment in ``experiments/``.

An experiment is one TOML file::

    [experiment]
    figure = "convergence"            # a key of plots.FIGURES
    title = "..."
    seeds = 10                        # run seeds 0..seeds-1 for every grid point
    reuse = ["fig1_iid"]              # optional: draw from other experiments' runs instead of its own
    settings = { target_fraction = 0.9 }   # keyword arguments of the figure function

    [base]                            # a run config (sections problem / algorithm / run), shared by all parts
    [[part]]                          # one sweep: fixed overrides + a grid (dotted keys)
    seeds = 3                         # optional: this part's own number of seeds
    set = { "run.mode" = "simulated" }
    grid = { "run.workers" = [1, 2, 4, 8, 16] }

    [quick]                           # reductions for --quick: seeds, overrides, replacement grids, settings
    seeds = 2
    settings = { target_fraction = 0.5 }
    set = { "run.samples" = 100000 }
    grid = { "run.workers" = [1, 4] }

Each part is executed by :func:`a3c_theory.sweep.run_sweep` into ``DIR/_runs/<full|quick>/<name>/part<i>``,
so an interrupted reproduce resumes without redoing finished runs. Parts that use real threads
(``run.mode = "threads"``) run one at a time, so their wall-clock times are not disturbed by other runs.
Every figure is written as ``DIR/<name>.png`` with the numbers drawn in ``DIR/<name>__<part>.csv`` and
the per-run metric table in ``DIR/<name>__runs.csv``; ``DIR/summary.csv`` collects the key numbers.
"""

import os
import time
import tomllib
from pathlib import Path

import numpy as np

from . import config, plots, sweep
from .errors import ValidationError
from .table import concat, read_csv, write_csv

EXPERIMENTS_DIR = Path(__file__).resolve().parent.parent / "experiments"

SHORT_COLUMNS = {
    "workers": "run.workers", "mode": "run.mode", "delay": "run.delay", "horizon": "run.samples",
    "sampling": "algorithm.sampling", "lam": "algorithm.lam", "kind": "problem.kind",
    "locality": "problem.locality",
}
"""Columns added to every run's rows (from its config) so the figure functions can group by them."""

EXPERIMENT_KEYS = {"figure", "title", "seeds", "reuse", "settings"}
TOP_KEYS = {"experiment", "base", "part", "quick"}


def load_experiment(path: Path) -> dict:
    """Read and check one experiment file; errors name ``<file>: <field>``."""
    with open(path, "rb") as fh:
        spec = tomllib.load(fh)
    name = path.stem
    for key in spec:
        if key not in TOP_KEYS:
            raise ValidationError(f"{name}.{key}", f"unknown section; expected {sorted(TOP_KEYS)}")
    exp = spec.get("experiment", {})
    for key in exp:
        if key not in EXPERIMENT_KEYS:
            raise ValidationError(f"{name}.experiment.{key}", f"unknown key; expected {sorted(EXPERIMENT_KEYS)}")
    if exp.get("figure") not in plots.FIGURES:
        raise ValidationError(f"{name}.experiment.figure", f"must be one of {sorted(plots.FIGURES)}")
    if not exp.get("reuse") and not spec.get("part"):
        raise ValidationError(f"{name}.part", "an experiment needs at least one [[part]] or experiment.reuse")
    spec["name"] = name
    return spec


def load_experiments(folder: Path = EXPERIMENTS_DIR) -> list[dict]:
    """Every ``*.toml`` in ``folder``, in name order (experiments that reuse others come after them)."""
    specs = [load_experiment(p) for p in sorted(Path(folder).glob("*.toml"))]
    names = {s["name"] for s in specs}
    for s in specs:
        for other in s["experiment"].get("reuse", []):
            if other not in names:
                raise ValidationError(f"{s['name']}.experiment.reuse", f"no experiment named {other!r}")
    return sorted(specs, key=lambda s: bool(s["experiment"].get("reuse")))


def _part_config(spec: dict, part: dict, quick: bool) -> tuple[dict, dict, int]:
    """Base config with the part's and quick-mode overrides applied; the grid; the number of seeds."""
    base = {section: dict(values) for section, values in spec.get("base", {}).items()}
    overrides = dict(part.get("set", {}))
    grid = dict(part.get("grid", {}))
    seeds = part.get("seeds", spec["experiment"].get("seeds", 1))
    if quick:
        q = spec.get("quick", {})
        overrides.update(q.get("set", {}))
        grid.update({k: v for k, v in q.get("grid", {}).items() if k in grid})
        seeds = min(seeds, q.get("seeds", seeds))
    for dotted, value in overrides.items():
        section, key = dotted.split(".", 1)
        base.setdefault(section, {})[key] = value
    return config.from_dict(base).to_dict(), grid, seeds


def _lookup(resolved: dict, dotted: str):
    section, key = dotted.split(".", 1)
    return resolved[section][key]


def _with_short_columns(table: dict, base: dict, grid: dict) -> dict:
    """Add :data:`SHORT_COLUMNS` to a sweep table (grid columns carry the per-run values)."""
    n = len(table["run_id"])
    out = dict(table)
    for short, dotted in SHORT_COLUMNS.items():
        if dotted in grid:
            out[short] = np.asarray(table[dotted])
        else:
            out[short] = np.full(n, _lookup(base, dotted))
    out["instance"] = np.where(out["kind"] == "garnet",
                               np.where(out["locality"].astype(int) > 0, "slow-mixing garnet", "garnet"),
                               "paper")
    return out


def plan_parts(spec: dict, quick: bool) -> list[tuple[dict, dict, int]]:
    """``(resolved base config, grid, seeds)`` of every part, each config and grid validated."""
    plans = []
    for part in spec.get("part", []):
        base, grid, seeds = _part_config(spec, part, quick)
        for run in sweep.plan_runs(base, sweep.check_grid(grid, config.SCHEMA), list(range(seeds))):
            config.from_dict(run.config)
        plans.append((base, grid, seeds))
    return plans


def run_experiment(spec: dict, plans: list, runs_dir: Path, jobs, progress: bool) -> list[dict]:
    """Execute every planned part of one experiment (resumable) and return one tidy table per part."""
    tables = []
    for i, (base, grid, seeds) in enumerate(plans):
        threaded = _lookup(base, "run.mode") == "threads" or "threads" in grid.get("run.mode", [])
        path = sweep.run_sweep(base, grid, seeds=seeds, out_dir=runs_dir / spec["name"] / f"part{i}",
                               jobs=1 if threaded else jobs, progress=progress)
        table = read_csv(path)
        table["run_id"] = np.array([f"{spec['name']}/part{i}/{r}" for r in table["run_id"]])
        tables.append(_with_short_columns(table, base, grid))
    return tables


def concat_common(tables: list[dict]) -> dict:
    """Stack tables row-wise on the columns they all have (grid columns differ between parts)."""
    common = [k for k in tables[0] if all(k in t for t in tables)]
    return concat([{k: t[k] for k in common} for t in tables])


def reproduce(out_dir="figures", quick: bool = False, jobs: int | None = None, progress: bool = True,
              experiments_dir: Path = EXPERIMENTS_DIR) -> list[dict]:
    """Run every experiment, draw every figure, write CSVs and ``summary.csv``, print a summary table.

    Returns the summary rows. Every experiment file is checked before any run starts."""
    out = Path(out_dir)
    specs = load_experiments(experiments_dir)
    plans = {spec["name"]: plan_parts(spec, quick) for spec in specs}  # all input checked before any run
    runs_dir = out / "_runs" / ("quick" if quick else "full")
    out.mkdir(parents=True, exist_ok=True)
    tables, summary = {}, []
    started = time.perf_counter()
    for spec in specs:
        exp = spec["experiment"]
        t0 = time.perf_counter()
        pieces = run_experiment(spec, plans[spec["name"]], runs_dir, jobs, progress)
        table = concat_common(pieces + [tables[other] for other in exp.get("reuse", [])])
        tables[spec["name"]] = table
        settings = dict(exp.get("settings", {}))
        if quick:
            settings.update(spec.get("quick", {}).get("settings", {}))
        if exp["figure"] == "threads_runtime":
            settings["cores"] = os.cpu_count()
        result = plots.draw(exp["figure"], _figure_rows(exp["figure"], table), out / f"{spec['name']}.png",
                            exp.get("title", spec["name"]), **settings)
        write_csv(table, out / f"{spec['name']}__runs.csv")
        for part_name, part_table in result.tables.items():
            if part_table:
                write_csv(part_table, out / f"{spec['name']}__{part_name}.csv")
        for row in result.summary:
            summary.append({"experiment": spec["name"], **row, "seconds": time.perf_counter() - t0})
        print(f"[{spec['name']}] {time.perf_counter() - t0:.1f} s -> {out / (spec['name'] + '.png')}", flush=True)
    summary_table = {key: np.asarray([row.get(key, "") for row in summary]) for key in summary[0]} if summary else {}
    if summary_table:
        write_csv(summary_table, out / "summary.csv")
        _write_text(out / "summary.md", summary_markdown(summary, time.perf_counter() - started, quick))
    print_summary(summary, out, time.perf_counter() - started)
    return summary


def _figure_rows(figure: str, table: dict) -> dict:
    """Rows a figure draws: the rates and runtime figures use only the runs of their kind."""
    mode = table["mode"]
    if figure == "rates":
        keep = mode != "threads"
    elif figure == "threads_runtime":
        keep = mode == "threads"
    else:
        return table
    return {k: np.asarray(v)[keep] for k, v in table.items()}


def print_summary(summary: list[dict], out: Path, seconds: float) -> None:
    """One line per key number: experiment, quantity, setting, mean [95% CI] (n)."""
    print(f"\nreproduce: {len(summary)} numbers in {out / 'summary.csv'} ({seconds:.0f} s, {os.cpu_count()} cores)")
    for row in summary:
        print(f"  {row['experiment']:<16} {row.get('quantity', ''):<42} {row.get('setting', ''):<44} "
              f"{_format_estimate(row)} (n={row.get('n', '')}) {row.get('unit', '')}")


def _format_estimate(row: dict) -> str:
    mean, lo, hi = (float(row.get(k, np.nan)) for k in ("mean", "lo", "hi"))
    ci = f" [{lo:.4g}, {hi:.4g}]" if np.isfinite(lo) and np.isfinite(hi) else ""
    return f"{mean:.4g}{ci}"


def summary_markdown(summary: list[dict], seconds: float, quick: bool) -> str:
    """The summary as a markdown table (mean [95% CI], seeds), with the machine it was measured on."""
    lines = [f"Measured by `a3c-theory reproduce{' --quick' if quick else ''}` on a machine with "
             f"{os.cpu_count()} CPU cores in {seconds:.0f} s.", "",
             "| experiment | quantity | setting | mean [95% CI] | seeds | unit | note |",
             "|---|---|---|---|---|---|---|"]
    for row in summary:
        lines.append(f"| {row['experiment']} | {row.get('quantity', '')} | {row.get('setting', '')} | "
                     f"{_format_estimate(row)} | {row.get('n', '')} | {row.get('unit', '')} | {row.get('note', '')} |")
    return "\n".join(lines) + "\n"


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
