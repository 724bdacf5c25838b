"""``a3c-theory study SPEC.toml``: run one experiment spec of any study type, on any instance.

:func:`run_study` takes a spec (a TOML path or a dict of the same tables, format in
:mod:`a3c_theory.studies.spec`) whose ``[experiment] type`` names the study module (``speedup``, or any
importable ``pkg.module`` satisfying :class:`a3c_theory.studies.study.StudyModule`), and runs it through the
steps ``reproduce`` uses (:func:`a3c_theory.reproduce.study_step`): resumable sweeps into
``DIR/_runs/<full|quick>/<name>/part<i>``, the figure ``DIR/<name>.png``, the runs, metadata and drawn
tables ``DIR/<name>__*.csv``, ``DIR/summary.csv`` and the study report ``DIR/report.md`` (the claims with
their verdicts, the instance diagnostics, and the defaults the study chose). Re-running the same command
resumes; adding seeds to the spec extends the finished sweeps (only the new runs execute).

Defaults for a spec that leaves things out, stated in the report:

- targets: each study module's own (speedup: :data:`a3c_theory.studies.speedup.DEFAULT_TARGETS`, 50/80/95%
  of the gap ``J* − J(θ_0)``, for an instance kind its settings do not list);
- ``c_α``, when the spec sets ``algorithm.c_alpha`` nowhere: a pilot per distinct instance, one worker, on
  the bracketing grid :data:`PILOT_GRID`, with its own seeds :data:`PILOT_SEEDS` (never the verdict's seeds
  0..seeds−1), at the part's horizon. It picks the smallest ``c_α`` whose mean fraction of the gap closed at
  the horizon is within :data:`PILOT_TOLERANCE` of the best (a large ``c_α`` that barely helps one worker
  makes the first updates nearly deterministic, which is where traps and superlinear start-ups come from).
  A best value at an end of the grid is said so. Every part then runs with ``algorithm.c_alpha`` = the pick.

A part that does not sweep ``algorithm.c_alpha`` gets it as a one-value grid axis (the spec's value or the
pilot's), so every runs table has the column the studies group by.

The output folder carries a fingerprint (:mod:`a3c_theory.outputs`: command ``study``, the spec's name and
kind full/quick); another study's or command's results there are refused unless ``force``.
"""

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import atomic, frames, outputs, report, sweep
from .errors import RunsFailed, ValidationError
from .instances import instance_label
from .reproduce import check_tables, diagnostics, existing_runs_table, print_diagnostics, runs_table, study_step
from .studies import Study, spec, study_module

DEFAULT_DIR = Path("runs") / "studies"
"""``--out`` default: ``runs/studies/<name>`` (``<name>-quick`` with ``--quick``), relative to the working directory."""

PILOT_GRID = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
"""c_α values the pilot tries (half-decade steps over the range where the packaged instances' choices lie)."""
PILOT_SEEDS = (1_000_000, 1_000_001)
"""Run seeds of the pilot: far from the verdict's seeds 0..seeds−1, so no pilot run is reused for a verdict."""
PILOT_TOLERANCE = 0.02
"""The pilot picks the smallest c_α whose mean gap fraction closed is at least best − this."""


@dataclass(frozen=True)
class StudyResult:
    """What :func:`run_study` returns: the study type's typed summary, the report's outcome record and the
    paths written (``figure``, ``report``, ``summary``, ``runs``, and one per table drawn, by field name)."""

    summary: object
    outcome: report.Outcome
    paths: dict


@dataclass(frozen=True)
class Pilot:
    """The c_α pilot of one instance: its label, the mean gap fraction closed per c_α, and the pick."""

    instance: str
    closed: dict
    picked: float
    failed: int = 0
    """Pilot runs that failed (for example an exact solve at a nearly deterministic policy); each counts as
    closing none of the gap."""

    def text(self) -> str:
        best = max(self.closed, key=lambda c: self.closed[c] if np.isfinite(self.closed[c]) else -np.inf)
        edge = " (the best is at an end of the grid: widen it, or set algorithm.c_alpha)" \
            if best in (min(self.closed), max(self.closed)) else ""
        tried = ", ".join(f"{c:g}: {v:.2f}" for c, v in sorted(self.closed.items()))
        failed = f"; {self.failed} pilot runs failed and count as closing nothing" if self.failed else ""
        return (f"c_α = {self.picked:g} on {self.instance}, picked by a pilot (N = 1, seeds "
                f"{PILOT_SEEDS[0]}–{PILOT_SEEDS[-1]}, not reused for the verdict; mean gap fraction closed at the "
                f"horizon per c_α: {tried}; the smallest within {PILOT_TOLERANCE} of the best{failed}){edge}")


def output_dir(out, name: str, quick: bool) -> Path:
    """``out`` as a path, or the default of :data:`DEFAULT_DIR`."""
    if out is not None:
        return atomic.path_of(out, "--out")
    return DEFAULT_DIR / (f"{name}-quick" if quick else name)


def pick_c_alpha(closed: dict) -> float:
    """The smallest c_α whose mean closed fraction is within :data:`PILOT_TOLERANCE` of the best (NaN counts
    as nothing closed)."""
    values = {c: (v if np.isfinite(v) else -np.inf) for c, v in closed.items()}
    best = max(values.values())
    return min(c for c, v in values.items() if v >= best - PILOT_TOLERANCE)


def _pilot(part: spec.Part, folder: Path, jobs, executor: str, progress: bool) -> Pilot:
    base = {section: dict(keys) for section, keys in part.base.items()}
    base["run"].update(mode="simulated", workers=1, delay="none", tau=0)
    grid = {"algorithm.c_alpha": list(PILOT_GRID), "run.seed": list(PILOT_SEEDS)}
    try:
        sweep.run_sweep(base, grid, seeds=1, out_dir=folder, jobs=jobs, executor=executor, progress=progress)
    except RunsFailed as err:  # the finished runs are kept; a failed one closed nothing
        print(f"pilot: {err}", flush=True)
    ends, failed = {c: [] for c in PILOT_GRID}, 0
    planned = sweep.read_manifest(folder / "manifest.json")  # run.seed became the sweep's seeds
    for run in sweep.plan_runs(planned["base_config"], planned["grid"], planned["seeds"]):
        path = folder / "runs" / f"{run.run_id}.csv"
        gap = frames.read_csv(path).sort_values("k")["gap"].to_numpy() if path.is_file() else None
        failed += gap is None
        ends[run.point["algorithm.c_alpha"]].append(0.0 if gap is None else 1.0 - gap[-1] / gap[0])
    closed = {c: float(np.mean(v)) for c, v in ends.items()}
    return Pilot(instance_label(part.base["problem"]), closed, pick_c_alpha(closed), failed)


def with_step_sizes(s: spec.Spec, runs_dir: Path, jobs, executor: str, progress: bool) -> tuple[spec.Spec, tuple]:
    """Every part of ``s`` with ``algorithm.c_alpha`` as a grid axis (a part that does not sweep it gets its
    one value, so every runs table has the column), and the lines stating the defaults for the report. The
    value is the spec's where it sets ``algorithm.c_alpha`` anywhere, else the pilot's (module docstring)."""
    piloted = "algorithm.c_alpha" not in s.given
    pilots, parts = {}, []
    for part in s.parts:
        if "algorithm.c_alpha" in part.grid:
            parts.append(part)
            continue
        c = part.value("algorithm.c_alpha")
        if piloted:
            key = repr(sorted(part.base["problem"].items()))
            if key not in pilots:
                pilots[key] = _pilot(part, runs_dir / s.name / f"pilot{len(pilots)}", jobs, executor, progress)
            c = pilots[key].picked
        base = {section: dict(keys) for section, keys in part.base.items()}
        base["algorithm"]["c_alpha"] = c
        parts.append(dataclasses.replace(part, base=base, grid={**part.grid, "algorithm.c_alpha": [c]}))
    return dataclasses.replace(s, parts=tuple(parts)), tuple(p.text() for p in pilots.values())


def run_study(spec_source, out=None, quick: bool = False, redraw: bool = False, jobs: int | None = None,
              executor: str = "local", progress: bool = True, force: bool = False) -> StudyResult:
    """Run the experiment spec ``spec_source`` (a path or a dict) into ``out`` (default :func:`output_dir`).

    ``quick``: the spec's ``[quick]`` reductions; ``redraw``: run nothing, redraw from the runs table an
    earlier invocation wrote in ``out``; ``jobs``, ``executor`` (``local`` or ``ray``): as for sweeps;
    ``force``: write into a folder holding other results. The spec is checked, key by key, before any run.
    Returns the study's typed summary, its outcome and the paths written."""
    label = Path(spec_source).name if not isinstance(spec_source, dict) else "spec"
    type_name = spec.study_type(spec_source)
    if type_name is None:
        raise ValidationError(f"{label}:experiment.type", "is required: the study type, a module of "
                                                          "a3c_theory.studies (e.g. \"speedup\") or an importable pkg.module")
    module = study_module(type_name, f"{label}:experiment.type")
    s = spec.load(spec_source, module.Settings, quick)
    if s.reuse:
        raise ValidationError(f"{label}:experiment.reuse", "runs of other studies are reused only by reproduce; "
                                                           "give this study its own [[part]]")
    if executor not in sweep.EXECUTORS:
        raise ValidationError("--executor", f"must be one of {sorted(sweep.EXECUTORS)}, got {executor!r}")
    out = output_dir(out, s.name, quick)
    diagnosed = diagnostics({s.name: s}, {s.name: module.SAMPLE_SPEEDUP_VERDICT})  # loads every instance
    if redraw:
        existing_runs_table(out, s.name)
    atomic.check_writable(out, "--out", folder=True)
    if redraw:
        check_tables(out, s.name)
    outputs.claim(out, "--out", {"command": "study", "study": s.name, "kind": "quick" if quick else "full"},
                  force=force)
    started = time.perf_counter()
    runs_dir = out / "_runs" / ("quick" if quick else "full")
    out.mkdir(parents=True, exist_ok=True)
    s, stated = (s, ()) if redraw else with_step_sizes(s, runs_dir, jobs, executor, progress)
    study = Study(s.name, module, s.path)
    print_diagnostics(diagnosed)
    outcome = study_step(study, s, out, runs_dir, not redraw, {}, diagnosed[s.name], quick, jobs, progress, executor)
    seconds = time.perf_counter() - started
    defaults = _stated_defaults(out, stated, redraw) + tuple(outcome.summary.defaults)
    paths = {"figure": out / f"{s.name}.png", "runs": runs_table(out, s.name),
             "summary": frames.write(report.summary_table([outcome]), out / "summary.csv", parquet=False),
             "report": atomic.write_text(out / "report.md", report.study_markdown(
                 outcome, s, type_name, defaults, seconds, quick)),
             **{name: out / f"{s.name}__{name}.csv" for name in report.dataframe_fields(outcome.summary)}}
    report.print_summary([outcome], out, seconds, "study")
    print(f"report: {paths['report']}")
    return StudyResult(outcome.summary, outcome, paths)


def _stated_defaults(out: Path, stated: tuple, redraw: bool) -> tuple:
    """The pilot's lines, kept beside the runs (``DIR/pilot.txt``) so a redraw states them too."""
    path = out / "pilot.txt"
    if redraw:
        return tuple(path.read_text(encoding="utf-8").splitlines()) if path.is_file() else ()
    if stated:
        atomic.write_text(path, "\n".join(stated) + "\n")
    elif path.is_file():
        path.unlink()
    return stated

