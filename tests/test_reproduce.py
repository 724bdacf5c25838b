"""End-to-end: ``a3c-theory reproduce --quick`` from a non-editable install writes every figure and CSV into
``figures/quick/`` (never into ``figures/``) and resumes; ``--redraw`` redraws the committed figures
from their runs tables: the same numbers, and images within an image tolerance."""

import dataclasses
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.testing.compare import compare_images

from a3c_theory import frames
from a3c_theory.errors import ValidationError
from a3c_theory import reproduce as rp
from a3c_theory.studies import registered, spec

REPO = Path(__file__).resolve().parents[1]
SENTINEL = b"a full figure that --quick must not touch"


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return {**env, "MPLBACKEND": "Agg"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with the package installed non-editable (``pip install --no-deps``; build requirements
    come from pip's configured index, runtime ones from this interpreter's site-packages through a .pth
    file), then ``a3c-theory reproduce --quick`` run from a folder that already holds ``figures/``."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "a3c_theory", source / "a3c_theory", ignore=shutil.ignore_patterns("__pycache__"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "outer_site_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--quiet", str(source)],
                          capture_output=True, text=True, timeout=600, env=_env())
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    shutil.rmtree(source)  # the installed copy must not need the source tree
    work = root / "work"
    (work / "figures").mkdir(parents=True)
    (work / "figures" / "fig1_iid.png").write_bytes(SENTINEL)
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import a3c_theory; print(a3c_theory.__file__)"],
                           capture_output=True, text=True, cwd=work, env=_env())
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr
    command = [str(venv / "bin" / "a3c-theory"), "reproduce", "--quick", "--no-progress"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=work, env=_env())
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return work, command, done.stdout


@pytest.mark.slow
def test_quick_reproduce_from_an_installed_package_writes_every_figure_with_finite_numbers(installed):
    work, _, stdout = installed
    out = work / "figures" / "quick"
    studies = registered()
    for study in studies:
        name = study.name
        png = out / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000, name
        assert (out / f"{name}__runs.csv.gz").is_file() and list(out.glob(f"{name}__*.csv")), name  # + a table drawn
        s = spec.load(study.spec_path, study.module.Settings, quick=True)
        runs = frames.read_csv(out / f"{name}__runs.csv.gz")
        monte_carlo = "return_mean" in runs  # CartPole: no exact J, Monte Carlo returns instead
        metrics = (("return_mean", "return_lo", "return_hi", "avg_return", "time_s") if monte_carlo else
                   ("J", "gap", "grad_norm_sq", "critic_gap", "avg_grad_norm_sq", "time_s"))
        for metric in metrics:
            assert np.all(np.isfinite(runs[metric])), (name, metric)
        for part in s.parts:
            for n in part.grid.get("run.workers", [part.value("run.workers")]):
                assert set(part.seed_list) <= set(runs.loc[runs["workers"] == n, "seed"]), (name, n)
        assert f"[{name}]" in stdout
    summary = frames.read_csv(out / "summary.csv")
    assert set(summary["study"]) == {s.name for s in studies}
    report = (out / "paper_repro.md").read_text()
    for artifact in ("Fig. 1(a)", "Fig. 1(d)", "Fig. 2(d)", "speedup, i.i.d., trap chain", "N_max(K)",
                     "Fig. 1(a): the gap left open", "Theorems 1–2 / Corollary 1 rate", "Π_R below ‖ω*_θ‖ (trap_chain)", "Atari figures"):
        assert f"| {artifact}" in report, artifact


@pytest.mark.slow
def test_quick_reproduce_leaves_the_full_figures_untouched(installed):
    work, _, _ = installed
    assert (work / "figures" / "fig1_iid.png").read_bytes() == SENTINEL
    assert sorted(p.name for p in (work / "figures").iterdir()) == ["fig1_iid.png", "quick"]
    assert not (work / "paper_repro.md").exists()


@pytest.mark.slow
def test_rerun_resumes_without_running_again(installed):
    work, command, _ = installed
    run_files = {p: p.stat().st_mtime_ns for p in (work / "figures" / "quick" / "_runs").rglob("runs/*.csv")}
    assert run_files
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=work, env=_env())
    assert done.returncode == 0, done.stderr[-3000:]
    assert {p: p.stat().st_mtime_ns for p in run_files} == run_files  # every run file kept, none rewritten


def _frames_differ(got: Path, want: Path, rtol: float = 1e-9) -> str | None:
    """Why two CSV tables differ (columns, shape, a non-numeric cell, or a number beyond ``rtol`` relative /
    1e-12 absolute), or None when they agree."""
    a, b = pd.read_csv(got), pd.read_csv(want)
    if list(a.columns) != list(b.columns) or a.shape != b.shape:
        return f"{got.name}: columns/shape {list(a.columns)} {a.shape} vs {list(b.columns)} {b.shape}"
    for column in a.columns:
        x, y = a[column], b[column]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            close = np.isclose(x.to_numpy(float), y.to_numpy(float), rtol=rtol, atol=1e-12, equal_nan=True)
            if not close.all():
                row = int(np.flatnonzero(~close)[0])
                return f"{got.name}: column {column!r}, row {row}: {x.iloc[row]!r} vs {y.iloc[row]!r}"
        elif not (x.fillna("<na>").astype(str) == y.fillna("<na>").astype(str)).all():
            row = int(np.flatnonzero((x.fillna("<na>").astype(str) != y.fillna("<na>").astype(str)).to_numpy())[0])
            return f"{got.name}: column {column!r}, row {row}: {x.iloc[row]!r} vs {y.iloc[row]!r}"
    return None


def test_redraw_from_the_committed_runs_tables_gives_the_committed_numbers_and_figures(tmp_path):
    """The numbers behind every figure (each ``<study>__<table>.csv`` the redraw writes) agree with the
    committed ones to 1e-9 relative, and every PNG lies within ``matplotlib.testing.compare``'s RMS
    tolerance of 2 (of 255) of the committed one: a line that moves by BLAS rounding changes a few pixels by
    one intensity level (RMS well below 1), a wrong curve or a missing panel changes thousands."""
    out = tmp_path / "figures"
    out.mkdir()
    for pattern in ("*__runs.csv.gz", "*__meta.csv.gz", "*__manifest.json", "*__timing.json"):
        for path in (REPO / "figures").glob(pattern):
            shutil.copy(path, out / path.name)
    rp.reproduce(out, redraw=True, progress=False, report_path=tmp_path / "paper_repro.md")
    derived = list(out.glob("*__*.csv"))  # the numbers drawn (runs and metadata tables are .csv.gz)
    assert {p.name for p in derived} >= {f"{st.name}__curves.csv" for st in registered()
                                        if (REPO / "figures" / f"{st.name}__curves.csv").exists()}
    problems = [_frames_differ(p, REPO / "figures" / p.name) for p in sorted(derived)]
    assert [m for m in problems if m] == []
    for study in registered():
        diff = compare_images(str(REPO / "figures" / f"{study.name}.png"), str(out / f"{study.name}.png"),
                              tol=2, in_decorator=True)
        assert diff is None, f"{study.name}.png: RMS {diff['rms']:.3f} > 2 (diff image {diff['diff']})"


def test_discrimination_warning_only_for_studies_that_draw_sample_speedup_verdicts():
    """fig1_iid (panel d: sample speedup) runs only on the myopic paper instance: warned; regularisation
    (same instance, no speedup verdict) is not; the speedup study has non-myopic instances: not warned."""
    studies = {st.name: st for st in registered()}
    names = ("fig1_iid", "regularisation", "speedup")
    specs = {n: spec.load(studies[n].spec_path, studies[n].module.Settings, True) for n in names}
    found = rp.diagnostics(specs, {n: studies[n].module.SAMPLE_SPEEDUP_VERDICT for n in names})
    assert [w for w in found["fig1_iid"][1] if "myopia" in w]
    assert found["regularisation"][1] == ()
    assert found["speedup"][1] == ()
    assert min(d.myopia for _, d in found["speedup"][0]) < 0.9


def test_the_instance_label_comes_from_each_run_config_not_a_default():
    """The runs tables labelled every non-garnet run "paper" (a trap chain or FrozenLake included): the label
    is instances.instance_label of the run's own problem config, grid axes included."""
    from a3c_theory import config
    from a3c_theory.instances import instance_label

    base = config.from_dict({"problem": {"kind": "trap_chain"}}).to_dict()
    part = spec.Part(base, {"problem.kind": ["trap_chain", "garnet"], "problem.locality": [0, 3]}, 1)
    table = pd.DataFrame({"run_id": list("abcd"), "problem.kind": ["trap_chain", "garnet", "garnet", "trap_chain"],
                          "problem.locality": [0, 0, 3, 3]})
    assert list(rp._with_short_columns(table, part)["instance"]) == ["trap_chain", "garnet", "slow-mixing garnet",
                                                                     "trap_chain"]
    assert instance_label({"kind": "gymnasium", "env": "FrozenLake-v1", "map_name": "8x8"}) == "FrozenLake-v1 8x8"
    assert instance_label({"kind": "file", "path": "/x/my_mdp.npz"}) == "my_mdp.npz"
    assert instance_label({"kind": "paper"}) == "paper"


def test_a_cap_for_an_instance_the_study_does_not_run_is_one_error_naming_the_key():
    study = next(s for s in registered() if s.name == "speedup")
    s = spec.load(study.spec_path, study.module.Settings)
    assert rp.sequential_plan(s, study.module).for_instance("trap_chain").cap == 1000
    plan = s.settings.sequential
    wrong = dataclasses.replace(s, settings=dataclasses.replace(
        s.settings, sequential=dataclasses.replace(plan, caps={"trap_chian": 1000})))
    with pytest.raises(ValidationError) as err:
        rp.sequential_plan(wrong, study.module)
    assert err.value.field == "speedup.toml:experiment.settings.sequential.caps.trap_chian"


SMALL_SPEEDUP = """
[experiment]
type = "speedup"
seeds = 2
settings = { targets = { trap_chain = [0.3, 0.5] }, grad_targets = [0.5] }
[base]
problem = { kind = "trap_chain", n_states = 6, critic_features = "one_hot" }
algorithm = { sampling = "iid", refresh = 500 }
run = { mode = "simulated", samples = 3000, snapshots = 30 }
targets = { gap = [0.3, 0.5], avg_grad = [0.5], after_last = "stop" }
[[part]]
grid = { "run.workers" = [1, 4, 16], "algorithm.c_alpha" = [1.0, 3.0], "run.delay" = ["round_robin", "exponential"] }
"""


def test_a_study_stores_the_rows_its_summary_reads_and_a_redraw_from_them_gives_the_same_tables(tmp_path):
    """Quick real runs of a speedup spec with online targets (trap chain, N = 1, 4, 16, two c_α, both delay
    models): the runs table written holds fewer rows than the runs have, the summary tables computed from
    it are those from every row, exactly, and a redraw writes them byte for byte; ``store_tables`` turns
    the table of every row into the same stored table."""
    from a3c_theory import experiment, report
    from a3c_theory.studies import speedup
    from a3c_theory.studies.study import Results
    path = tmp_path / "small.toml"
    path.write_text(SMALL_SPEEDUP)
    out = tmp_path / "out"
    first = experiment.run_study(path, out, progress=False)
    s = spec.load(path, speedup.Settings)
    tables, metas = rp.run_parts(s, out / "_runs" / "full", 1, False, module=speedup)  # cached: runs nothing
    runs, meta = pd.concat(tables, ignore_index=True), pd.concat(metas, ignore_index=True)
    stored = first.paths["runs"].read_bytes()
    assert set(frames.read_csv(first.paths["runs"])["run_id"]) == set(runs["run_id"])
    assert len(frames.read_csv(first.paths["runs"])) < len(runs) / 2
    every_row = speedup.summarise(Results("small", "t", runs, s.settings, meta, tuple(p.base for p in s.parts)))
    for name, table in report.dataframe_fields(every_row).items():
        assert frames.to_csv_text(table) == first.paths[name].read_text(), name
    written = {name: first.paths[name].read_bytes() for name in report.dataframe_fields(every_row)}
    again = experiment.run_study(path, out, redraw=True, progress=False)
    assert {name: again.paths[name].read_bytes() for name in written} == written
    whole = [frames.write(runs, out / "small__runs.csv.gz", parquet=False), out / "small__meta.csv.gz"]
    frames.write_manifest(out / "small__manifest.json", whole)
    done = rp.store_tables(out, registry={"small": "speedup"}, spec_dir=tmp_path)
    assert done == {"small": (len(runs), len(frames.read_csv(first.paths["runs"])))}
    assert first.paths["runs"].read_bytes() == stored
    rp.check_tables(out, "small")
