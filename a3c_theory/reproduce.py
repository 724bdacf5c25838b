"""The main job: ``a3c-theory reproduce [--quick] [--out DIR] [--report FILE]`` runs every registered study.

The studies, their modules and their experiment specs are listed in :mod:`a3c_theory.studies` (the specs
ship inside the package). Every spec is read and checked, key by key, before the first run starts.
Each ``[[part]]`` of a study is executed by :func:`a3c_theory.sweep.run_sweep` into
``DIR/_runs/<full|quick>/<study>/part<i>``, so an interrupted reproduce resumes without redoing finished
runs. Parts that use real threads (``run.mode = "threads"``) run one at a time, so their wall-clock times
are not disturbed by other runs.

For each study: ``DIR/<study>.png``, the snapshot rows of its runs that its summary reads (all of them unless
its module defines ``stored_rows``, :func:`stored_rows`), ``DIR/<study>__runs.csv.gz``, and their
metadata ``DIR/<study>__meta.csv.gz`` (gzip-compressed CSV, :mod:`a3c_theory.frames`; a folder written before
they were compressed, with ``__runs.csv``, is still read), the numbers drawn,
``DIR/<study>__<table>.csv``, and, written when its runs are executed, the wall time they took,
``DIR/<study>__timing.json`` (:func:`read_run_time`; a redraw, or a later reproduce that finds every run
cached, reads it back for the report); then ``DIR/summary.csv``, ``DIR/summary.md`` and the paper-artifact
report (:mod:`a3c_theory.report`). Defaults: the full run writes to ``figures/`` and the report to
``paper_repro.md`` (both relative to the working directory, the repository root); ``--quick`` writes to
``figures/quick/`` with its report inside it, and never into the full figures.

``reproduce --store-tables`` (:func:`store_tables`) runs and draws nothing: it rewrites runs tables that an
earlier version wrote whole with the rows their studies store.

The output folder carries a fingerprint (:mod:`a3c_theory.outputs`) that says whether it holds full or
quick results: quick output is refused on a folder of full results, wherever it is and wherever the command
runs from, and, unless ``force``, on one without a fingerprint that already holds files; full output on
quick results only with ``force`` (:func:`claim_folder`). Every study's runs and metadata tables are sealed by ``DIR/<study>__manifest.json``
(:func:`a3c_theory.frames.write_manifest`), and a redraw refuses a table that lost or changed rows.
"""

import dataclasses
import itertools
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import atomic, config, frames, outputs, report, sweep
from .instances import diagnose, instance_label
from .errors import ValidationError
from .studies import SPEC_DIR, plotting, registered, spec
from .studies.study import NewConfig, Results, SequentialStudy

FULL_DIR = Path("figures")
QUICK_DIR = FULL_DIR / "quick"

SHORT_COLUMNS = {
    "workers": "run.workers", "mode": "run.mode", "delay": "run.delay", "horizon": "run.samples",
    "sampling": "algorithm.sampling", "lam": "algorithm.lam", "kind": "problem.kind",
    "locality": "problem.locality",
}
"""Run-level columns added to every run's rows (from its config), so the studies can group by them."""


def _with_short_columns(table: pd.DataFrame, part: spec.Part) -> pd.DataFrame:
    """Add :data:`SHORT_COLUMNS` and the ``instance`` label (``instances.instance_label`` of each run's
    problem config) to a sweep table (grid columns carry the per-run values, the base config the others)."""
    out = table.copy()
    for short, dotted in SHORT_COLUMNS.items():
        out[short] = table[dotted] if dotted in part.grid else part.value(dotted)
    axes = [key for key in part.grid if key.startswith("problem.")]
    labels = {}
    for values in table[axes].drop_duplicates().itertuples(index=False):
        problem = {**part.base["problem"], **{key.split(".", 1)[1]: v for key, v in zip(axes, values)}}
        labels[tuple(values)] = instance_label(problem)
    out["instance"] = [labels[tuple(values)] for values in table[axes].itertuples(index=False)] if axes else \
        instance_label(part.base["problem"])
    return out


SEED_BATCH = 10
"""Most seeds of one grid point a reproduce task runs in one process call (:func:`run_parts`)."""


def run_parts(s: spec.Spec, runs_dir: Path, jobs, progress: bool, executor: str = "local",
              module=None, cores: int = 1) -> tuple[list, list]:
    """Execute every part of one study (resumable): one runs table (a row per snapshot, with each run's
    ``outcome``) and one metadata table (a row per run, ``sweep.run_table``) per part. Simulated and sync
    parts on finite MDPs run in seed batches of up to :data:`SEED_BATCH` (``sweep.run_sweep(batch=)``: each run as
    ``pipeline.run_one`` would, bit for bit; an interrupt loses at most the batches in flight). A study
    ``module`` that takes sequential seeds then gets its rounds (:func:`sequential_rounds`)."""
    tables, metas = [], []
    for i, part in enumerate(s.parts):
        threaded = part.value("run.mode") == "threads" or "threads" in part.grid.get("run.mode", [])
        lqr = "lqr" in [part.value("problem.kind"), *part.grid.get("problem.kind", [])]  # run_batch: finite MDPs only
        path = sweep.run_sweep(part.base, part.grid, seeds=part.seeds, out_dir=runs_dir / s.name / f"part{i}",
                               jobs=1 if threaded else jobs, executor=executor, progress=progress,
                               batch=1 if threaded or lqr else min(part.seeds, SEED_BATCH), first_seed=part.first_seed)
        table, meta = _read_sweep(path, s.name, i, part)
        tables.append(table)
        metas.append(meta)
    if sequential_plan(s, module) is not None:
        tables, metas = sequential_rounds(s, module, runs_dir, tables, metas, jobs, progress, executor, cores)
    return tables, metas


def _read_sweep(path: Path, study: str, i: int, part: spec.Part) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A sweep's runs and metadata tables, run ids prefixed ``<study>/part<i>/``, with the short columns."""
    table, meta = frames.read_csv(path), frames.read_csv(path.parent / "runs.csv")
    for t in (table, meta):
        t["run_id"] = [f"{study}/part{i}/{r}" for r in t["run_id"]]
    if "outcome" in meta:  # a diverged run counts as never reaching a target (studies.stats)
        table["outcome"] = table["run_id"].map(dict(zip(meta["run_id"], meta["outcome"])))
    return _with_short_columns(table, part), meta


def sequential_plan(s: spec.Spec, module):
    """The study's sequential-seeds plan (``settings.sequential``, :class:`studies.sequential.Plan`) when its
    module takes sequential seeds (:class:`studies.study.SequentialStudy`), else None. Every part must start
    with the plan's initial seeds (a ValidationError naming the spec's key otherwise)."""
    plan = getattr(s.settings, "sequential", None)
    if plan is None or module is None or not isinstance(module, SequentialStudy):
        return None
    for i, part in enumerate(s.parts):
        if part.seeds != plan.initial:
            raise ValidationError(f"{s.name}.toml:experiment.settings.sequential.initial",
                                  f"must equal the seeds of every part ({part.seeds} in part {i}), got {plan.initial}")
    kinds = {part.value("problem.kind") for part in s.parts}
    for kind in plan.caps:
        if kind not in kinds:
            raise ValidationError(f"{s.name}.toml:experiment.settings.sequential.caps.{kind}",
                                  f"no part runs this instance kind: must be one of {sorted(kinds)}")
    return plan


def _point_folder(point: dict) -> str:
    """A folder name for one grid point: its run id without the seed (hashed when long, as run ids are)."""
    return sweep.run_id(point, 0).removesuffix("__seed=0").replace("~", "_")


def sequential_rounds(s: spec.Spec, module, runs_dir: Path, tables: list, metas: list, jobs, progress: bool,
                      executor: str, cores: int) -> tuple[list, list]:
    """Sequential seeds (:mod:`studies.sequential`): ask the module which configs need more seeds
    (``module.more_seeds`` on the runs so far), run seeds ``have … wanted − 1`` of each into its own resumable
    sweep ``<part>/more/<grid point>`` (run ids as the part's own), and ask again, until it asks for nothing new
    or the plan's ``rounds`` are spent. What a config gets depends only on the runs, so a rerun from the cache
    asks for, and finds, the same seeds."""
    plan = s.settings.sequential
    extra: dict[tuple[int, str], tuple] = {}  # (part, folder) -> (table, meta)
    configs = tuple(p.base for p in s.parts)
    done = 0
    while plan.rounds is None or done < plan.rounds:
        runs = pd.concat(tables + [t for t, _ in extra.values()], ignore_index=True)
        meta = pd.concat(metas + [m for _, m in extra.values()], ignore_index=True)
        wanted = module.more_seeds(Results(s.name, s.title, runs, s.settings, meta, configs, False, cores))
        todo = _seed_requests(s, runs, wanted)
        if not todo:
            break
        print(f"[{s.name}] sequential round {done + 1}: {len(todo)} configs, "
              f"{sum(len(seeds) for _, _, seeds in todo)} runs", flush=True)
        for i, point, seeds in todo:
            part = s.parts[i]
            folder = runs_dir / s.name / f"part{i}" / "more" / _point_folder(point)
            grid = {**{key: [value] for key, value in point.items()}, sweep.SEED_KEY: seeds}
            path = sweep.run_sweep(part.base, grid, seeds=1, out_dir=folder, jobs=jobs, executor=executor,
                                   progress=progress, batch=max(1, -(-len(seeds) // max(1, cores))))
            extra[(i, folder.name)] = _read_sweep(path, s.name, i, part)
        done += 1
    for (i, _), (table, meta) in sorted(extra.items()):
        tables[i] = pd.concat([tables[i], table], ignore_index=True)
        metas[i] = pd.concat([metas[i], meta], ignore_index=True)
    return tables, metas


def _seed_requests(s: spec.Spec, runs: pd.DataFrame, wanted: dict) -> list[tuple[int, dict, list[int]]]:
    """``(part index, grid point, seeds to run)`` for each config of ``wanted`` (a run id, or a
    :class:`studies.study.NewConfig`, -> the seeds it should have) that has fewer: the next seeds of the part's
    range ``first_seed …``; a run id the study does not have, or a change of a key that is not on the part's
    grid, is a ValueError (a bug in the study module)."""
    out = []
    first = runs.drop_duplicates("run_id").set_index("run_id")
    prefixes = [f"{s.name}/part{i}/" for i in range(len(s.parts))]
    requests = {}
    for config, count in wanted.items():
        rid, changes = (config.like, dict(config.changes)) if isinstance(config, NewConfig) else (config, {})
        i = next((j for j, prefix in enumerate(prefixes) if rid.startswith(prefix)), None)
        if rid not in first.index or i is None:
            raise ValueError(f"more_seeds named run {rid!r}, which {s.name} does not have")
        part, row = s.parts[i], first.loc[rid]
        if set(changes) - set(part.grid):
            raise ValueError(f"more_seeds changed {sorted(set(changes) - set(part.grid))}, not on the grid of part {i}")
        point = {key: changes.get(key, _scalar(row[key])) for key in part.grid}
        key = (i, tuple(point.items()))
        requests[key] = max(requests.get(key, 0), int(count))
    for (i, items), count in sorted(requests.items(), key=lambda item: (item[0][0], repr(item[0][1]))):
        part, point = s.parts[i], dict(items)
        same = first.index.str.startswith(prefixes[i])
        for key, value in point.items():
            same &= (first[key] == value).to_numpy()
        have = int(same.sum())  # the rounds keep a config's seeds contiguous from the part's first seed
        if count > have:
            out.append((i, point, list(range(part.first_seed + have, part.first_seed + count))))
    return out


def _scalar(value):
    """A grid value as read back from a table (numpy scalar) as the plain Python value the grid holds."""
    return value.item() if isinstance(value, np.generic) else value


def runs_text(s: spec.Spec) -> str:
    """``10 seeds × 5 configs (simulated, 3e+06 samples)`` for each part, or the studies it reuses."""
    texts = [f"{p.seeds} seeds × {p.configs} configs ({p.value('run.mode')}, {p.value('run.samples'):.3g} samples)"
             for p in s.parts]
    texts += [f"runs of {other}" for other in s.reuse]
    plan = getattr(s.settings, "sequential", None)
    if plan is not None:
        texts.append(f"then sequential seeds up to {plan.cap} for the open cells ({', '.join(map(str, plan.counts))})"
                     + "".join(f"; {kind} up to {cap}" for kind, cap in sorted(plan.caps.items())))
    return "; ".join(texts)


def output_paths(out_dir, report_path, quick: bool) -> tuple[Path, Path]:
    """The figures folder and the report file: the defaults of the module docstring (``--out ''`` is an
    error, not the working directory)."""
    out = atomic.path_of(out_dir, "--out") if out_dir is not None else (QUICK_DIR if quick else FULL_DIR)
    if report_path is None:
        report_path = out / "paper_repro.md" if quick else Path("paper_repro.md")
    return out, atomic.path_of(report_path, "--report")


def claim_folder(out: Path, report_path: Path, quick: bool, force: bool) -> None:
    """Write ``out``'s fingerprint (kind full or quick) after checking it may take these results: quick never
    goes where full results are (``force`` or not), nor puts its report into a folder of full results; it
    goes where another command's results or files without a fingerprint are only with ``force``; full goes
    on quick results or another command's only with ``force``, and takes a folder without a fingerprint
    (tables written before fingerprints were kept)."""
    held = outputs.read(out)
    if quick and held is not None and held.get("kind") == "full":
        where = f"{out}" if out.resolve() == out else f"{out} ({out.resolve()})"
        raise ValidationError("--out", f"--quick never writes into {where}, which holds full results; "
                                       f"leave --out unset ({QUICK_DIR}/) or choose another folder")
    if quick and (outputs.read(report_path.resolve().parent) or {}).get("kind") == "full":
        raise ValidationError("--report", f"--quick never writes into {report_path.parent}, which holds full results")
    outputs.claim(out, "--out", {"command": "reproduce", "kind": "quick" if quick else "full"},
                  force=force, unmarked_ok=not quick)


def check_tables(out: Path, name: str) -> None:
    """Before a redraw: the runs and metadata tables of ``out`` (:func:`runs_table`, :func:`meta_table`) are the tables that were written (their
    manifest's checksums; without a manifest, the two tables list the same runs); else a ValidationError
    naming the file and the runs that are missing or partial."""
    manifest = out / f"{name}__manifest.json"
    if manifest.is_file():
        frames.check_manifest(manifest)
        return
    runs_path, meta_path = runs_table(out, name), meta_table(out, name)
    if meta_path.is_file():
        lacking = sorted(set(frames.run_rows(meta_path)) - set(frames.run_rows(runs_path)))
        if lacking:
            raise ValidationError(str(runs_path), f"lacks {len(lacking)} runs that {meta_path.name} lists "
                                                  f"({', '.join(lacking[:5])}{', ...' if len(lacking) > 5 else ''})")


def studies_to_run(specs: dict, redraw: bool, only: list[str] | None) -> set[str]:
    """The studies whose runs are executed: none with ``redraw``; with ``only``, those and every study that
    reuses the runs of one of them; else all."""
    if redraw:
        if only:
            raise ValidationError("--study", "runs studies, --redraw runs none: give one or the other")
        return set()
    if not only:
        return set(specs)
    unknown = [name for name in only if name not in specs]
    if unknown:
        raise ValidationError("--study", f"no study named {unknown[0]!r}; the studies are {list(specs)}")
    chosen = set(only)
    for name, s in specs.items():  # registry order: a study comes after the studies it reuses
        if chosen & set(s.reuse):
            chosen.add(name)
    return chosen


def _finished_runs(folder: Path) -> int:
    """Runs with a result file in a study's sweep folders (``folder/part<i>/runs/<run_id>.csv``, and those of
    its sequential rounds, ``folder/part<i>/more/<point>/runs/``)."""
    return sum(1 for _ in folder.glob("part*/**/runs/*.csv"))


def write_run_time(path: Path, run_time: report.RunTime) -> None:
    """Store a study's run time (``report.RunTime`` as JSON) atomically at ``path``."""
    atomic.write_text(path, json.dumps(dataclasses.asdict(run_time)) + "\n")


def read_run_time(path: Path) -> report.RunTime | None:
    """The run time stored at ``path`` by the reproduce that executed the study's runs; None when there is
    no such file (outputs written before run times were kept). An unreadable file is a ValidationError."""
    if not path.is_file():
        return None
    try:
        return report.RunTime(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError, UnicodeDecodeError) as err:
        raise ValidationError(str(path), f"is not a readable run-time record ({err}); delete it (the report then "
                                         "says \"not recorded\") or re-run the study") from None


def runs_table(out: Path, name: str) -> Path:
    """``out/<name>__runs.csv.gz``, or the plain ``__runs.csv`` of a folder written before tables were
    compressed when only that exists."""
    return _table(out, name, "runs")


def meta_table(out: Path, name: str) -> Path:
    """``out/<name>__meta.csv.gz`` (or a folder's earlier plain ``__meta.csv``, as :func:`runs_table`)."""
    return _table(out, name, "meta")


def _table(out: Path, name: str, kind: str) -> Path:
    compressed, plain = out / f"{name}__{kind}.csv.gz", out / f"{name}__{kind}.csv"
    return plain if plain.is_file() and not compressed.is_file() else compressed


def existing_runs_table(out: Path, name: str) -> Path:
    """:func:`runs_table`, which a redraw needs: a ValidationError naming ``--redraw`` when it is missing."""
    path = runs_table(out, name)
    if not path.is_file():
        raise ValidationError("--redraw", f"no runs table at {path} to redraw from; run this study first")
    return path


def instances(s: spec.Spec) -> list[tuple[str, dict]]:
    """``(label, run config)`` of every distinct instance a study's parts run on (the grid's ``problem.*``
    axes expanded); the label is ``instances.instance_label`` with, in parentheses, the other problem keys
    that differ from the defaults (``trap_chain (n_states=6, critic_features=one_hot)``)."""
    found = {}
    for part in s.parts:
        axes = {key: values for key, values in part.grid.items() if key.startswith("problem.")}
        for values in itertools.product(*axes.values()):
            cfg = {section: dict(keys) for section, keys in part.base.items()}
            for key, value in zip(axes, values):
                cfg["problem"][key.split(".", 1)[1]] = value
            key = json.dumps([cfg["problem"], cfg["algorithm"]["radius"]], sort_keys=True)
            found.setdefault(key, cfg)
    defaults = config.from_dict({}).to_dict()["problem"]
    named = {"kind", "env", "map_name", "path"}  # what instance_label already says

    def label(problem: dict) -> str:
        rest = ", ".join(f"{k}={v}" for k, v in problem.items() if k not in named and v != defaults[k])
        return instance_label(problem) + (f" ({rest})" if rest else "")
    return [(label(cfg["problem"]), cfg) for cfg in found.values()]


def diagnostics(specs: dict, verdicts: dict[str, bool]) -> dict[str, tuple[list, tuple]]:
    """Per study: the instance diagnostics at θ_0 (``instances.diagnose``: myopia, mixing, TV(μ, d), ...)
    as ``(label, Diagnostics)``, and the one-line ``discrimination_warning`` when the study draws sample-
    speedup verdicts (``verdicts[name]``: its module's ``SAMPLE_SPEEDUP_VERDICT``) on instances that are
    all myopic."""
    cache, out = {}, {}
    for name, s in specs.items():
        found = []
        for label, cfg in instances(s):
            if cfg["problem"].get("kind") == "cartpole":  # no finite MDP to diagnose (no P, μ_θ or J*)
                continue
            key = json.dumps([cfg["problem"], cfg["algorithm"]["radius"]], sort_keys=True)
            if key not in cache:
                cache[key] = diagnose.diagnose(config.from_dict(cfg))
            found.append((label, cache[key]))
        for other in s.reuse:
            found += [(label, d) for label, d in out[other][0] if all(d is not x for _, x in found)]
        warning = diagnose.discrimination_warning([d for _, d in found]) if verdicts[name] else None
        out[name] = (found, (warning,) if warning else ())
    return out


def stored_rows(module, results: Results) -> pd.DataFrame:
    """The rows of ``results.runs`` a study stores: its module's ``stored_rows(results)`` (the snapshot rows its
    summary reads, :mod:`a3c_theory.studies.stored`), every row for a module without one."""
    choose = getattr(module, "stored_rows", None)
    return results.runs if choose is None else choose(results)


def store_tables(out_dir=None, quick: bool = False, registry: dict | None = None,
                 spec_dir: Path = SPEC_DIR) -> dict[str, tuple[int, int]]:
    """``reproduce --store-tables``: rewrite, in the figures folder (default as :func:`output_paths`), the runs
    table of every study whose module defines ``stored_rows`` with the rows it stores, and its manifest, as
    :func:`finish` writes them (for tables written whole, by a version before studies stored only what they
    read). First the summary tables (``report.dataframe_fields``) from those rows must equal the ones from
    every row, as CSV text: else a ValueError naming the table (a bug in that ``stored_rows``), and nothing
    of that study is written. Returns ``{study: (rows, rows stored)}``; a table already trimmed is left alone."""
    out, _ = output_paths(out_dir, None, quick)
    done = {}
    for study in registered(registry, spec_dir):
        if not hasattr(study.module, "stored_rows"):
            continue
        s = spec.load(study.spec_path, study.module.Settings, quick)
        path, meta_path = existing_runs_table(out, study.name), meta_table(out, study.name)
        check_tables(out, study.name)
        runs = frames.read_csv(path)
        meta = frames.read_csv(meta_path) if meta_path.is_file() else pd.DataFrame({"run_id": []})
        results = Results(study.name, s.title, runs, s.settings, meta, tuple(p.base for p in s.parts), quick,
                          os.cpu_count() or 1)
        kept = stored_rows(study.module, results)
        done[study.name] = (len(runs), len(kept))
        if len(kept) == len(runs):
            print(f"[{study.name}] {len(runs)} rows: already the rows it stores", flush=True)
            continue
        every = report.dataframe_fields(study.module.summarise(results))
        some = report.dataframe_fields(study.module.summarise(dataclasses.replace(results, runs=kept)))
        for name in every.keys() | some.keys():
            if name not in every or name not in some or frames.to_csv_text(every[name]) != frames.to_csv_text(some[name]):
                raise ValueError(f"{study.module.__name__}.stored_rows drops rows its summary reads: "
                                 f"{study.name}__{name} differs")
        tables = [frames.write(kept, out / f"{study.name}__runs.csv.gz", parquet=False)]
        frames.write_manifest(out / f"{study.name}__manifest.json", tables + ([meta_path] if meta_path.is_file() else []))
        if path != tables[0]:  # a folder's plain __runs.csv of before tables were compressed
            path.unlink()
        print(f"[{study.name}] {len(runs)} -> {len(kept)} rows: {tables[0]}", flush=True)
    return done


def finish(study, s: spec.Spec, runs: pd.DataFrame, meta: pd.DataFrame, out: Path, quick: bool, cores: int,
           t0: float, diagnosed: tuple = ((), ()), redrawn: bool = False) -> report.Outcome:
    """Summarise, draw and write one study's files from its runs and metadata tables (``t0``: when its work
    began; ``redrawn``: they were read from ``out``, which keeps them as they are). The summary is computed
    from the rows the study stores (:func:`stored_rows`), the rows written, so a redraw from them gives the
    same numbers. The figures folder gets CSV only (no Parquet), so it stays readable under version control."""
    module = study.module
    plan = getattr(s.settings, "sequential", None)
    seeds = runs["seed"].nunique()
    counted = f"{plan.initial}–{seeds} seeds (sequential)" if plan is not None and seeds > plan.initial else f"{seeds} seeds"
    title = f"{s.title}; {counted}{' (--quick)' if quick else ''}"
    results = Results(study.name, title, runs, s.settings, meta, tuple(p.base for p in s.parts), quick, cores)
    results = dataclasses.replace(results, runs=stored_rows(module, results))
    runs = results.runs
    summary = module.summarise(results)
    with plotting.styled():
        module.draw(results, summary, out / f"{study.name}.png")
    if not redrawn:
        tables = [frames.write(runs, out / f"{study.name}__runs.csv.gz", parquet=False)]
        if len(meta):
            tables.append(frames.write(meta, out / f"{study.name}__meta.csv.gz", parquet=False))
        frames.write_manifest(out / f"{study.name}__manifest.json", tables)
    for name, table in report.dataframe_fields(summary).items():
        frames.write(table, out / f"{study.name}__{name}.csv", parquet=False)
    return report.Outcome(study.name, module.__name__.rsplit(".", 1)[1], summary, module.numbers(summary),
                          module.claims(summary), runs_text(s), time.perf_counter() - t0, *diagnosed)


def print_diagnostics(diagnosed: dict) -> None:
    """Print every study's instance diagnostics (``diagnose.summary_line``) and warnings, ``[study] ...``."""
    for name, (found, warnings) in diagnosed.items():
        for line in [diagnose.summary_line(d, label) for label, d in found] + list(warnings):
            print(f"[{name}] {line}", flush=True)


def study_step(study, s: spec.Spec, out: Path, runs_dir: Path, execute: bool, all_runs: dict, diagnosed: tuple,
               quick: bool, jobs, progress: bool, executor: str = "local") -> report.Outcome:
    """One study, the same for ``reproduce`` and ``a3c-theory study``: execute its parts (``execute``;
    resumable, timed into ``DIR/<study>__timing.json``) or read the runs tables an earlier invocation wrote
    in ``out``; add the runs of the studies it reuses (``all_runs``, which gets its own); then
    :func:`finish`. Prints one line with its time and figure."""
    t0 = time.perf_counter()
    timing = out / f"{study.name}__timing.json"
    if not execute:
        runs = frames.read_csv(existing_runs_table(out, study.name))
        meta_path = meta_table(out, study.name)
        meta = frames.read_csv(meta_path) if meta_path.is_file() else pd.DataFrame({"run_id": []})
        run_time = read_run_time(timing)
    else:
        before = _finished_runs(runs_dir / s.name)
        tables, metas = run_parts(s, runs_dir, jobs, progress, executor, study.module, os.cpu_count() or 1)
        run_time = report.RunTime(time.perf_counter() - t0, _finished_runs(runs_dir / s.name) - before,
                                  sum(len(m) for m in metas), os.cpu_count() or 1)
        if run_time.executed or not run_time.runs:
            write_run_time(timing, run_time)
        else:  # every run was cached: their time is the one stored when they were executed
            stored = read_run_time(timing)
            run_time = stored if stored is not None and stored.runs == run_time.runs else None
        runs = pd.concat(tables + [all_runs[other][0] for other in s.reuse], join="inner", ignore_index=True)
        meta = pd.concat(metas + [all_runs[other][1] for other in s.reuse], ignore_index=True)
    all_runs[study.name] = runs, meta
    outcome = finish(study, s, runs, meta, out, quick, os.cpu_count() or 1, t0, diagnosed, redrawn=not execute)
    print(f"[{study.name}] {time.perf_counter() - t0:.1f} s -> {out / (study.name + '.png')}", flush=True)
    return dataclasses.replace(outcome, redrawn=not execute, run_time=run_time)


def reproduce(out_dir=None, quick: bool = False, jobs: int | None = None, progress: bool = True,
              report_path=None, registry: dict | None = None, spec_dir: Path = SPEC_DIR,
              redraw: bool = False, only: list[str] | None = None, force: bool = False) -> list[report.Outcome]:
    """Run every study, draw every figure, write the CSVs, the summaries and the report; print a summary.

    Every spec is checked before any run starts. ``redraw``: run nothing; read each study's runs from the
    runs table (:func:`runs_table`) an earlier reproduce wrote and redraw everything from them. ``only``: run these
    studies (and those that reuse their runs), redraw the others from their runs tables, so the report stays
    complete. ``force``: as in :func:`claim_folder`. Returns one :class:`report.Outcome` per study."""
    studies = registered(registry, spec_dir)
    specs = {}
    for study in studies:
        s = spec.load(study.spec_path, study.module.Settings, quick)
        for other in s.reuse:
            if other not in specs:
                raise ValidationError(f"{study.spec_path.name}:experiment.reuse",
                                      f"{other!r} is not a study registered before {study.name!r}")
        specs[study.name] = s
    to_run = studies_to_run(specs, redraw, only)
    out, report_path = output_paths(out_dir, report_path, quick)
    for name in (name for name in specs if name not in to_run):  # the runs tables to redraw from exist
        existing_runs_table(out, name)
    atomic.check_writable(out, "--out", folder=True)
    atomic.check_writable(report_path, "--report")
    for name in (name for name in specs if name not in to_run):  # ... and are whole
        check_tables(out, name)
    claim_folder(out, report_path, quick, force)
    diagnosed = diagnostics(specs, {st.name: st.module.SAMPLE_SPEEDUP_VERDICT for st in studies})
    print_diagnostics(diagnosed)
    runs_dir = out / "_runs" / ("quick" if quick else "full")
    out.mkdir(parents=True, exist_ok=True)
    all_runs, outcomes = {}, []
    started = time.perf_counter()
    for study in studies:
        outcomes.append(study_step(study, specs[study.name], out, runs_dir, study.name in to_run, all_runs,
                                   diagnosed[study.name], quick, jobs, progress))
    seconds = time.perf_counter() - started
    report.write(out, report_path, outcomes, seconds, quick)
    report.print_summary(outcomes, out, seconds)
    print(f"report: {report_path}")
    return outcomes
