"""End-to-end: ``a3c-theory reproduce --quick`` from a non-editable install writes every figure and CSV into
``figures/quick/`` (never into ``figures/``) and resumes; ``--redraw`` redraws the committed figures
byte for byte from their runs tables."""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from a3c_theory import frames
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
        assert len(list(out.glob(f"{name}__*.csv"))) >= 2, name  # runs table + at least one table drawn
        s = spec.load(study.spec_path, study.module.Settings, quick=True)
        runs = frames.read_csv(out / f"{name}__runs.csv")
        for metric in ("J", "gap", "grad_norm_sq", "critic_gap", "avg_grad_norm_sq", "time_s"):
            assert np.all(np.isfinite(runs[metric])), (name, metric)
        for part in s.parts:
            for n in part.grid.get("run.workers", [part.value("run.workers")]):
                assert set(runs.loc[runs["workers"] == n, "seed"]) == set(range(part.seeds)), (name, n)
        assert f"[{name}]" in stdout
    summary = frames.read_csv(out / "summary.csv")
    assert set(summary["study"]) == {s.name for s in studies}
    report = (out / "paper_repro.md").read_text()
    for artifact in ("Fig. 1(a)", "Fig. 1(d)", "Fig. 2(d)", "speedup, i.i.d., trap chain", "N_max(K)",
                     "Fig. 1(a): the gap left open", "Corollary 1", "Gym / Atari"):
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


def test_redraw_from_the_committed_runs_tables_gives_the_committed_figures_byte_for_byte(tmp_path):
    out = tmp_path / "figures"
    out.mkdir()
    for path in (REPO / "figures").glob("*__runs.csv"):
        shutil.copy(path, out / path.name)
    rp.reproduce(out, redraw=True, progress=False, report_path=tmp_path / "paper_repro.md")
    for study in registered():
        assert (out / f"{study.name}.png").read_bytes() == (REPO / "figures" / f"{study.name}.png").read_bytes(), \
            study.name


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
