"""Sweeps: a cartesian grid of config overrides × run seeds, run as independent, resumable runs into one
tidy (long-format) table.

A sweep is ``base_config`` (a nested dict, e.g. ``config.from_toml(path).to_dict()``), a grid
``{"section.key": [v1, v2, ...], ...}`` and a list of run seeds. Run ``(v_1, ..., v_m, s)`` uses the base
config with each ``section.key`` set to its value and ``run.seed = s``; the runs are the product of the
axes in grid order with the seed innermost. Each run's id names its grid values and seed,
``run.workers=4__algorithm.sampling=markov__seed=3`` (values percent-encoded to be filesystem-safe).

Layout of ``out_dir``::

    manifest.json        the sweep definition: task, base config, grid axes, seeds
    runs/<run_id>.json   the full config of one run and its metadata (``meta``: a flat dict of scalars,
                         ``pipeline.RunResult.meta``; empty for a task that returns only a table)
    runs/<run_id>.csv    its result rows plus constant columns run_id, <grid keys>, seed (written last:
                         its presence is what marks the run finished)
    results.csv          every run's rows, runs in sweep order, each run's rows in task order
    runs.csv             one row per run: run_id, <grid keys>, seed, then the metadata keys as columns
                         (with the default task: ``outcome``, ``diverged_at``, ``diverged_quantity``; a run
                         that diverged is finished, with its rows up to the divergence, and never fails
                         the sweep)
    results.parquet, runs.parquet   the same two tables, where pyarrow is installed

Tables are pandas DataFrames written by :mod:`a3c_theory.frames` (``frames.read_csv`` reads them back
with the same dtypes).
    .lock                held while a sweep runs, so two sweeps never write into one folder at once

Every file is written atomically (temp file in the same folder, fsync, ``os.replace``); a temp file
left by a killed process (``.<name>.<random>.tmp``) is removed when the next sweep starts.

Resume: re-running the same sweep skips the runs whose ``.csv`` exists and runs the rest.
Extension: re-running in the same ``out_dir`` with the same task, the same base config and the same set
of grid keys, but more values or seeds, extends the sweep: each axis becomes the union of its old and new
values (old ones first) and the seeds the union of the old and new seeds; the finished runs are kept and
``results.csv`` covers the whole extended grid. A different task, base config or set of grid keys is
refused with a ValidationError naming what differs; use another ``out_dir`` for it. So is an ``out_dir``
without ``manifest.json`` that already holds (non-hidden) files: they are not a sweep's.
"""

import contextlib
import csv
import hashlib
import io
import itertools
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from . import atomic, frames, outputs
from .divergence import DIVERGED, from_meta
from .errors import RunsFailed, ValidationError
from .executors import EXECUTORS, import_ray, resolve_task
from .overrides import parse_assignment, parse_values
from .validate import positive_int

SEED_KEY = "run.seed"
DEFAULT_TASK = "a3c_theory.sweep.execute_one"
DEFAULT_VALIDATE = "a3c_theory.config.from_dict"
MANIFEST_FORMAT = 1
MAX_RUN_ID_CHARS = 150
"""Longer ids keep a readable prefix plus a hash, so file names stay well below 255 bytes."""

_TEMP_NAME = re.compile(r"\..+\.(csv|json|parquet)\.[A-Za-z0-9_]+\.tmp")
"""Temp files of atomic writes (``tempfile.mkstemp(prefix=".<name>.", suffix=".tmp")``, as atomic.write_bytes)."""
_ID_SAFE = "._-+"


# ----------------------------------------------------------------------------------------------------
# Grid parsing and run planning


def parse_grid(specs: list[str], schema: Mapping | None = None) -> dict[str, list]:
    """Parse ``["section.key=v1,v2,...", ...]`` into ``{"section.key": [v1, v2, ...]}``.

    Values follow the one command-line rule of :mod:`a3c_theory.overrides` (TOML value syntax, ``4``, ``0.5``,
    ``1e-3``, ``true``, ``"a,b"``; other text that does not start with a quote or bracket, such as ``markov``,
    is a bare string), split on the commas outside quotes and brackets. Each key must name a leaf of
    ``schema``, a nested dict (default: the run config schema, ``config.SCHEMA``). Raises ValidationError
    naming the key (or ``grid``) on bad input. The values themselves are checked per run by
    :func:`run_sweep`, before any run starts.
    """
    if schema is None:
        from .config import SCHEMA as schema
    grid: dict[str, list] = {}
    for spec in specs:
        key, text = parse_assignment(spec, "SECTION.KEY=V1,V2,...", field="grid")
        if key in grid:
            raise ValidationError(key, "is given twice in the grid; list all its values in one --grid")
        grid[key] = parse_values(key, text)
    return check_grid(grid, schema)


def check_grid(grid: Mapping, schema: Mapping | None = None) -> dict[str, list]:
    """Validate a grid: non-empty axes of distinct scalar values; with ``schema``, keys must be its leaves."""
    checked = {}
    for key, values in grid.items():
        if schema is not None:
            _lookup(schema, key)
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if not values:
            raise ValidationError(key, "grid axis has no values")
        tokens = {}
        for value in values:
            token = format_value(key, value)
            if token in tokens:
                raise ValidationError(key, f"grid values {tokens[token]!r} and {value!r} coincide (same run id)")
            tokens[token] = value
        checked[key] = values
    return checked


def format_value(key: str, value) -> str:
    """A grid value as it appears in run ids: TOML spelling, percent-encoded outside ``[A-Za-z0-9._-+]``."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if math.isnan(value):
            raise ValidationError(key, "grid value NaN is not allowed")
        text = repr(value)
    elif isinstance(value, str):
        text = value
    else:
        raise ValidationError(key, f"grid values must be booleans, integers, floats or strings, got {value!r}")
    return quote(text, safe=_ID_SAFE)


def _lookup(config: Mapping, key: str):
    node = config
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise ValidationError(key, "is not a config key")
        node = node[part]
    if isinstance(node, Mapping):
        raise ValidationError(key, "names a config section, not a key")
    return node


def _with_value(config: dict, key: str, value) -> dict:
    """A copy of nested ``config`` with ``key`` (dotted) set; shares the untouched sub-dicts."""
    head, _, rest = key.partition(".")
    out = dict(config)
    out[head] = _with_value(config[head], rest, value) if rest else value
    return out


def run_id(point: Mapping, seed: int) -> str:
    """Readable, deterministic, filesystem-safe id of one run, e.g. ``run.workers=4__seed=3``."""
    parts = [f"{quote(key, safe=_ID_SAFE)}={format_value(key, value)}" for key, value in point.items()]
    text = "__".join(parts + [f"seed={seed}"])
    if len(text) > MAX_RUN_ID_CHARS:
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        text = f"{text[:MAX_RUN_ID_CHARS - 17]}~{digest}"
    return text


@dataclass(frozen=True)
class Run:
    """One run of a sweep: its id, its grid values, its seed and its full config."""

    run_id: str
    point: dict
    seed: int
    config: dict


def plan_runs(base_config: Mapping, grid: Mapping, seeds: list[int]) -> list[Run]:
    """All runs of the sweep, in sweep order (grid axes in order, seed innermost)."""
    runs = []
    for values in itertools.product(*grid.values()):
        point = dict(zip(grid, values))
        for seed in seeds:
            config = dict(base_config)
            for key, value in point.items():
                config = _with_value(config, key, value)
            config = _with_value(config, SEED_KEY, seed)
            runs.append(Run(run_id(point, seed), point, seed, config))
    ids = [run.run_id for run in runs]
    if len(set(ids)) != len(ids):
        raise ValidationError("grid", "two runs share an id; make the grid values more distinct")
    return runs


# ----------------------------------------------------------------------------------------------------
# The default task


def execute_one(config_dict: dict):
    """One run through :func:`a3c_theory.pipeline.run_one`: its metric table and metadata (the trace is
    dropped, so that a worker does not ship the θ snapshots back)."""
    import dataclasses

    from . import config
    from .pipeline import run_one

    return dataclasses.replace(run_one(config.from_dict(config_dict)), trace=None)


BATCH_TASK = "a3c_theory.sweep.execute_batch"


def execute_batch(payload: dict) -> list:
    """A seed batch in one process call: ``payload = {"task": name, "configs": [config dicts]}`` (configs
    equal but for ``run.seed``); returns one ``(result, error)`` per config, in order, exactly one of them
    None. With the default task the runs go through :func:`a3c_theory.pipeline.run_batch` (problem,
    packed arrays, evaluator and compiled kernels built or loaded once; traces dropped, as
    :func:`execute_one` does); another task is called once per config. A run that raises fails alone."""
    import dataclasses

    from . import config
    from .pipeline import run_batch

    configs = list(payload["configs"])
    if payload["task"] != DEFAULT_TASK:
        task = resolve_task(payload["task"])
        out = []
        for config_dict in configs:
            try:
                out.append((task(config_dict), None))
            except Exception as error:  # noqa: BLE001 - reported per run, as for unbatched runs
                out.append((None, error))
        return out
    out = []
    while len(out) < len(configs):
        try:
            for result in run_batch([config.from_dict(c) for c in configs[len(out):]]):
                out.append((dataclasses.replace(result, trace=None), None))
        except Exception as error:  # noqa: BLE001 - the run in flight fails; the batch goes on after it
            out.append((None, error))
    return out


def seed_batches(runs: list[Run], size: int) -> list[list[Run]]:
    """``runs`` cut into batches of at most ``size`` runs whose configs differ only in ``run.seed`` (in sweep
    order within a batch; a batch holds runs of one grid point)."""
    groups: dict[str, list[Run]] = {}
    for run in runs:
        key = json.dumps(_with_value(run.config, SEED_KEY, 0), sort_keys=True, default=str)
        groups.setdefault(key, []).append(run)
    return [group[i:i + size] for group in groups.values() for i in range(0, len(group), size)]


# ----------------------------------------------------------------------------------------------------
# Files: atomic writes, tables, manifest


def _remove_temp_files(folder: Path) -> None:
    for path in folder.iterdir():
        if _TEMP_NAME.fullmatch(path.name):
            path.unlink()


def _split_result(run: Run, result) -> tuple:
    """``(columns, meta)`` from a task's result: an object with ``table`` and ``meta`` (``pipeline.RunResult``)
    or just a table (a DataFrame or a dict of columns; meta then empty)."""
    meta = {}
    if hasattr(result, "table") and hasattr(result, "meta"):
        result, meta = result.table, dict(result.meta)
    if isinstance(result, pd.DataFrame):
        result = {name: result[name].to_numpy() for name in result.columns}
    if not isinstance(result, Mapping) or not result:
        raise TypeError(f"run {run.run_id}: the task must return a non-empty table, got {type(result)}")
    return result, meta


def _result_table(run: Run, grid_keys: list, result) -> pd.DataFrame:
    """The task's columns with constant columns run_id, <grid keys>, seed prepended."""
    columns = {name: np.asarray(column) for name, column in result.items()}
    lengths = {name: column.shape for name, column in columns.items()}
    if any(len(shape) != 1 for shape in lengths.values()) or len({shape for shape in lengths.values()}) != 1:
        raise TypeError(f"run {run.run_id}: the task's columns must be 1-D and of equal length, got {lengths}")
    n_rows = next(iter(columns.values())).shape[0]
    constants = {"run_id": run.run_id, **{key: run.point[key] for key in grid_keys}, "seed": run.seed}
    clashes = sorted(set(constants) & set(columns))
    if clashes:
        raise TypeError(f"run {run.run_id}: the task's columns {clashes} clash with the sweep's constant columns")
    return pd.DataFrame({**{name: np.full(n_rows, value) for name, value in constants.items()}, **columns})


def _canonical(value):
    """``value`` after a JSON round trip (tuples → lists), for comparisons with a stored manifest."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as err:
        raise ValidationError("base_config", f"must be JSON-serialisable: {err}") from err


def _differences(old, new, prefix="") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            name = f"{prefix}.{key}" if prefix else key
            if key not in old or key not in new:
                out.append(f"{name} (only in the {'new' if key not in old else 'existing'} one)")
            else:
                out.extend(_differences(old[key], new[key], name))
        return out
    return [] if old == new else [f"{prefix or 'value'} ({old!r} vs {new!r})"]


def _merge_manifest(out_dir: Path, existing: dict, new: dict) -> dict:
    """The extended definition; ValidationError if the two sweeps cannot share ``out_dir``."""
    def refuse(what: str) -> ValidationError:
        return ValidationError("out_dir", f"{out_dir} holds a different sweep: {what}. Re-run with the same "
                                          "task, base config and grid keys to resume or extend it, or use "
                                          "another out_dir")

    if existing.get("format") != MANIFEST_FORMAT:
        raise refuse(f"manifest format {existing.get('format')!r}, expected {MANIFEST_FORMAT}")
    if existing["task"] != new["task"]:
        raise refuse(f"task {existing['task']!r} vs {new['task']!r}")
    diffs = _differences(existing["base_config"], new["base_config"])
    if diffs:
        raise refuse("base config differs at " + ", ".join(diffs[:5]) + (" ..." if len(diffs) > 5 else ""))
    if set(existing["grid"]) != set(new["grid"]):
        raise refuse(f"grid keys {sorted(existing['grid'])} vs {sorted(new['grid'])}")
    merged = dict(existing)
    merged["grid"] = {key: _union(key, values, new["grid"][key]) for key, values in existing["grid"].items()}
    merged["seeds"] = _union(SEED_KEY, existing["seeds"], new["seeds"])
    return merged


MANIFEST_KEYS = {"format": int, "task": str, "base_config": dict, "grid": dict, "seeds": list}


def read_manifest(path) -> dict:
    """A sweep's ``manifest.json``; ValidationError naming the file if it is unreadable or incomplete."""
    path = Path(path)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise ValidationError(str(path), f"is not a readable sweep manifest ({err}); move it away or use "
                                         "another out_dir") from None
    bad = [key for key, kind in MANIFEST_KEYS.items()
           if not isinstance(manifest, dict) or not isinstance(manifest.get(key), kind)]
    if bad:
        raise ValidationError(str(path), f"is not a sweep manifest: missing or malformed {', '.join(bad)}")
    return manifest


def _union(key: str, old: list, new: list) -> list:
    seen = {format_value(key, value) for value in old}
    return list(old) + [value for value in new if format_value(key, value) not in seen]


@contextlib.contextmanager
def _exclusive(out_dir: Path):
    """Hold ``out_dir/.lock`` (POSIX flock, released by the OS if the process dies)."""
    try:
        import fcntl
    except ImportError:  # no flock on this platform: run unguarded
        yield
        return
    with open(out_dir / ".lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValidationError("out_dir", f"another sweep is running in {out_dir}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _task_name(task) -> str:
    if isinstance(task, str):
        return task
    name = f"{getattr(task, '__module__', '')}.{getattr(task, '__qualname__', '')}"
    if "<" in name or name.startswith("."):
        raise ValidationError("task", f"must be a module-level function (picklable), got {task!r}")
    return name


# ----------------------------------------------------------------------------------------------------
# The sweep


def _definition(base_config: Mapping, grid: Mapping, seeds: int, task, first_seed: int = 0) -> dict:
    """The manifest of a sweep: task name, base config, grid axes (without run.seed) and seed list."""
    base_config = _canonical(dict(base_config))
    _lookup(base_config, SEED_KEY)
    grid = check_grid(grid, schema=base_config)
    seed_values = list(range(first_seed, first_seed + seeds))
    if SEED_KEY in grid:
        if seeds != 1:
            raise ValidationError("seeds", f"must be 1 when {SEED_KEY} is a grid axis, got {seeds}")
        seed_values = grid.pop(SEED_KEY)
        if any(isinstance(s, bool) or not isinstance(s, int) for s in seed_values):
            raise ValidationError(SEED_KEY, f"grid values must be integers, got {seed_values}")
    return {"format": MANIFEST_FORMAT, "task": _task_name(task), "base_config": base_config,
            "grid": _canonical(grid), "seeds": seed_values}


def run_sweep(base_config: Mapping, grid: Mapping, seeds: int = 1, out_dir="runs/sweep", jobs: int | None = None,
              executor: str = "local", address: str | None = None, progress: bool = True,
              task=DEFAULT_TASK, validate=DEFAULT_VALIDATE, batch: int = 1, first_seed: int = 0) -> Path:
    """Run every (grid point, seed) not yet finished in ``out_dir``; return the path of ``results.csv``.

    ``seeds``: run seeds first_seed..first_seed+seeds-1 (a grid axis ``run.seed`` replaces them; then seeds
    must be 1). ``jobs``: concurrent runs (default: CPU count; with a Ray ``address``, default no cap).
    ``executor``: "local" (process pool) or "ray" (``address`` None starts a local Ray instance).
    ``task``: called as ``task(config)`` in the workers; returns a table (DataFrame or dict of equal-length
    1-D columns) or an object with ``table`` and ``meta`` (``pipeline.RunResult``); a dotted name or a
    picklable module-level function. ``validate``: called on every run's config before any run
    starts (dotted name or callable; None skips) - it raises ValidationError naming a bad field.
    Every input is checked before any run starts. A run whose task raises does not stop the others; at
    the end a :class:`RunsFailed` (a RuntimeError) lists the failed runs (finished ones are kept; re-run to retry the rest).
    Ctrl-C cancels pending runs, stops the workers, keeps the finished results and re-raises.
    ``batch``: runs of one grid point (differing only in seed) go to a worker in seed batches of up to this
    many (:func:`execute_batch`: what they share is built once); each run's files are written as its batch
    returns, so an interrupt loses at most the runs of the batches in flight, and a resumed sweep batches
    only the runs not yet finished. 1 (the default) sends every run on its own.
    The local executor spawns its workers, so a script calling this needs an ``if __name__ == "__main__":``
    guard (as for any spawn-based multiprocessing).
    """
    if executor not in EXECUTORS:
        raise ValidationError("executor", f"must be one of {sorted(EXECUTORS)}, got {executor!r}")
    seeds = positive_int("seeds", seeds)
    batch = positive_int("batch", batch)
    if jobs is not None:
        jobs = positive_int("jobs", jobs)
    if address is not None and executor != "ray":
        raise ValidationError("address", f"is only used with executor='ray', got executor={executor!r}")
    if isinstance(first_seed, bool) or not isinstance(first_seed, int) or first_seed < 0:
        raise ValidationError("first_seed", f"must be an integer >= 0, got {first_seed!r}")
    definition = _definition(base_config, grid, seeds, task, first_seed)
    if executor == "ray":
        import_ray()
    resolve_task(task)

    check = None if validate is None else resolve_task(validate, field="validate")
    _plan_checked(definition, check)  # before anything touches the disk
    out_dir = atomic.path_of(out_dir, "out_dir")
    out_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive(out_dir):
        manifest_path = out_dir / "manifest.json"
        if manifest_path.exists():
            definition = _merge_manifest(out_dir, read_manifest(manifest_path), definition)
        else:
            check_out_dir(out_dir)
        runs = _plan_checked(definition, check)
        if validate == DEFAULT_VALIDATE:
            for line in ignored_key_lines(runs):
                print(line)
        atomic.write_text(manifest_path, json.dumps(definition, indent=2) + "\n")
        runs_dir = out_dir / "runs"
        runs_dir.mkdir(exist_ok=True)
        _remove_temp_files(out_dir)
        _remove_temp_files(runs_dir)
        _execute(runs, list(definition["grid"]), runs_dir, task, jobs, executor, address, progress, batch)
        return collect_results(out_dir, runs)


def check_out_dir(out_dir, field: str = "out_dir") -> None:
    """ValidationError naming ``field`` if ``out_dir`` holds (non-hidden) files but no ``manifest.json``:
    they are not a sweep's, and a sweep would write over them."""
    found = outputs.results(out_dir)
    if found and not (Path(out_dir) / "manifest.json").exists():
        raise ValidationError(field, f"{out_dir} holds files but no sweep manifest ({', '.join(found[:3])}"
                                     f"{', ...' if len(found) > 3 else ''}); use an empty or new folder")


def ignored_key_lines(runs: list[Run]) -> list[str]:
    """One line per kind of run (the values of the settings that decide which keys are used) that ignores
    some non-default key of its config, e.g. ``3 run(s) with algorithm.sampling = 'markov' ignore
    algorithm.refresh``. The same list is in each run's metadata (``ignored_keys``)."""
    from . import config

    kinds: dict[tuple, int] = {}
    for run in runs:
        cfg = config.from_dict(run.config)
        ignored = config.ignored_keys(cfg)
        if ignored:
            settings = sorted({s for name in ignored for s in config.deciding_settings(cfg, name)})
            kind = (tuple(f"{s} = {config._setting(cfg, s)!r}" for s in settings), tuple(ignored))
            kinds[kind] = kinds.get(kind, 0) + 1
    return [f"{count} run(s) with {', '.join(settings)} ignore {', '.join(ignored)}"
            for (settings, ignored), count in kinds.items()]


def _plan_checked(definition: dict, check) -> list[Run]:
    """The runs of ``definition``, each config passed through ``check`` (which raises on a bad field).
    Two runs whose checked configs are equal (``check`` returns the validated config: ``3`` and ``3.0``
    for a float key are one value) are a ValidationError naming the grid key and the two values."""
    runs = plan_runs(definition["base_config"], definition["grid"], definition["seeds"])
    if check is not None:
        seen: dict = {}
        for run in runs:
            checked = check(run.config)
            if checked is None:
                continue
            first = seen.setdefault(repr(checked), run)
            if first is not run:
                key = next(key for key in run.point if format_value(key, run.point[key])
                           != format_value(key, first.point[key]))
                raise ValidationError(key, f"grid values {first.point[key]!r} and {run.point[key]!r} are the same "
                                      "value after validation (the runs would repeat each other); list it once")
    return runs


def _execute(runs: list[Run], grid_keys: list, runs_dir: Path, task, jobs, executor, address, progress,
             batch: int = 1) -> None:
    from .progress import progress as progress_report

    todo = [run for run in runs if not (runs_dir / f"{run.run_id}.csv").exists()]
    if not todo:
        return
    batches = seed_batches(todo, batch) if batch > 1 else [[run] for run in todo]
    if jobs is None and not (executor == "ray" and address is not None):
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if jobs is not None:
        jobs = min(jobs, len(batches))
    by_id = {run.run_id: run for run in todo}
    failures = {}
    bar = progress_report(len(runs), len(runs) - len(todo), desc="sweep", unit="run", enabled=progress)
    if batch > 1:
        items = [(group[0].run_id, {"task": _task_name(task), "configs": [run.config for run in group]})
                 for group in batches]
        results = _unbatched(EXECUTORS[executor](BATCH_TASK, items, jobs, address),
                             {group[0].run_id: group for group in batches})
    else:
        results = EXECUTORS[executor](task, [(run.run_id, run.config) for run in todo], jobs, address)
    with bar, contextlib.closing(results):
        for rid, result, error in results:
            run = by_id[rid]
            if error is None:
                try:
                    columns, meta = _split_result(run, result)
                    table = _result_table(run, grid_keys, columns)
                except TypeError as err:
                    error = err
            if error is not None:
                failures[rid] = error
                bar.write(f"run {rid} failed: {error!r}")
                continue
            record = {"run_id": rid, "grid": run.point, "seed": run.seed, "config": run.config, "meta": meta}
            atomic.write_text(runs_dir / f"{rid}.json", json.dumps(record, indent=2, default=_json_scalar) + "\n")
            atomic.write_text(runs_dir / f"{rid}.csv", frames.to_csv_text(table))
            if meta.get("outcome") == DIVERGED:  # a result (outcome column of runs.csv), not a failure
                bar.write(f"run {rid} {from_meta(meta).message()}")
            bar.update(1, rid)
    if failures:
        first = next(iter(failures.values()))
        raise RunsFailed(f"{len(failures)} of {len(todo)} runs failed ({', '.join(list(failures)[:5])}"
                           f"{' ...' if len(failures) > 5 else ''}); finished runs are kept, re-run the "
                           f"sweep to retry. First error: {first!r}") from first


def _unbatched(results, groups: dict):
    """The executor's ``(batch id, [(result, error)], error)`` items as ``(run_id, result, error)`` per run; a
    batch that failed as a whole (its worker died) fails each of its runs."""
    with contextlib.closing(results):
        for gid, batch_results, error in results:
            group = groups[gid]
            if error is not None:
                batch_results = [(None, error)] * len(group)
            for run, (result, run_error) in zip(group, batch_results):
                yield run.run_id, result, run_error


def _json_scalar(value):
    """JSON fallback for numpy scalars in a run's metadata."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def _planned(out_dir: Path, runs: list[Run] | None) -> list[Run]:
    if runs is None:
        definition = read_manifest(out_dir / "manifest.json")
        runs = plan_runs(definition["base_config"], definition["grid"], definition["seeds"])
    return runs


def run_table(out_dir, runs: list[Run] | None = None) -> pd.DataFrame:
    """One row per finished run, in sweep order: ``run_id``, the grid keys, ``seed``, then the run's
    metadata (``runs/<run_id>.json``'s ``meta``; a key missing in some runs is NaN there)."""
    out_dir = Path(out_dir)
    rows = []
    for run in _planned(out_dir, runs):
        path = out_dir / "runs" / f"{run.run_id}.json"
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            raise ValidationError(str(path), f"is not a readable run record ({err}); delete it and its .csv "
                                             "and re-run the sweep to redo that run") from None
        rows.append({"run_id": run.run_id, **run.point, "seed": run.seed, **record.get("meta", {})})
    return pd.DataFrame(rows)


def _check_run_csv(path: Path, rid: str) -> None:
    """Check that one run's CSV is a table of this run (first column ``run_id`` equal to ``rid`` on every
    row, every row as wide as the header); else ValidationError naming the file."""
    def refuse(what: str) -> ValidationError:
        return ValidationError(str(path), f"is not a result table of run {rid}: {what}; delete it and re-run "
                                          "the sweep to redo that run")

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise refuse("not UTF-8 text") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0][:1] != ["run_id"]:
        raise refuse("its header does not start with run_id")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]) or row[0] != rid:
            raise refuse(f"line {number} does not match the header")


def collect_results(out_dir, runs: list[Run] | None = None) -> Path:
    """Concatenate the finished runs' tables, in sweep order, into ``out_dir/results.csv``, and their
    metadata into ``out_dir/runs.csv`` (:func:`run_table`); Parquet copies where pyarrow is installed.
    Returns the path of ``results.csv``.

    Without ``runs``, the runs are those of ``out_dir/manifest.json``. Every run must be finished.
    """
    out_dir = Path(out_dir)
    runs = _planned(out_dir, runs)
    tables = []
    for run in runs:
        path = out_dir / "runs" / f"{run.run_id}.csv"
        if not path.exists():
            raise FileNotFoundError(2, "run result missing", str(path))
        _check_run_csv(path, run.run_id)
        tables.append(frames.read_csv(path))
        if list(tables[-1].columns) != list(tables[0].columns):
            first = out_dir / "runs" / f"{runs[0].run_id}.csv"
            raise ValidationError(str(path), f"has columns {list(tables[-1].columns)}, but {first} has "
                                             f"{list(tables[0].columns)}")
    frames.write(run_table(out_dir, runs), out_dir / "runs.csv")
    return frames.write(pd.concat(tables, ignore_index=True), out_dir / "results.csv")
