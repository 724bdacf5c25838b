"""End-to-end: ``a3c-theory reproduce --quick`` writes every figure and CSV, with finite numbers for every
configured worker count and seed; experiment files are validated before any run starts."""

import subprocess
import sys

import numpy as np
import pytest

from a3c_theory import reproduce as rp
from a3c_theory.errors import ValidationError
from a3c_theory.table import read_csv


@pytest.fixture(scope="module")
def quick_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce")
    done = subprocess.run([sys.executable, "-m", "a3c_theory", "reproduce", "--quick", "--no-progress",
                           "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return out, done.stdout


def _configured(spec: dict) -> tuple[set, int]:
    """Worker counts and seeds the quick configuration of an experiment asks for (read from its TOML)."""
    workers, seeds = set(), 0
    for part in spec.get("part", []):
        base, grid, n_seeds = rp._part_config(spec, part, quick=True)
        workers |= set(grid.get("run.workers", [base["run"]["workers"]]))
        seeds = max(seeds, n_seeds)
    return workers, seeds


def test_every_figure_and_csv_exists_with_finite_numbers_for_every_worker_count_and_seed(quick_dir):
    out, stdout = quick_dir
    specs = rp.load_experiments()
    assert len(specs) >= 7
    for spec in specs:
        name = spec["name"]
        png = out / f"{name}.png"
        assert png.exists() and png.stat().st_size > 10_000, name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        figure_csvs = sorted(out.glob(f"{name}__*.csv"))
        assert len(figure_csvs) >= 2, (name, figure_csvs)  # per-run table + at least one drawn-numbers table
        if spec.get("part"):
            runs = read_csv(out / f"{name}__runs.csv")
            workers, n_seeds = _configured(spec)
            for metric in ("J", "gap", "grad_norm_sq", "critic_gap", "avg_grad_norm_sq", "time_s"):
                assert np.all(np.isfinite(runs[metric].astype(float))), (name, metric)
            for n in workers:
                seen = set(runs["seed"][runs["workers"].astype(int) == n].astype(int))
                assert seen == set(range(n_seeds)), (name, n, seen)
        assert name in stdout
    summary = read_csv(out / "summary.csv")
    assert set(summary["experiment"]) == {s["name"] for s in specs}


def test_rerun_resumes_without_running_again(quick_dir, tmp_path):
    out, _ = quick_dir
    runs_before = {p: p.stat().st_mtime_ns for p in (out / "_runs").rglob("runs/*.csv")}
    assert runs_before
    done = subprocess.run([sys.executable, "-m", "a3c_theory", "reproduce", "--quick", "--no-progress",
                           "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    runs_after = {p: p.stat().st_mtime_ns for p in (out / "_runs").rglob("runs/*.csv")}
    assert runs_after == runs_before  # every run file kept, none rewritten


def test_bad_experiment_files_are_rejected_naming_the_field(tmp_path):
    (tmp_path / "bad.toml").write_text('[experiment]\nfigure = "nope"\n[[part]]\ngrid = {}\n')
    with pytest.raises(ValidationError, match=r"bad\.experiment\.figure"):
        rp.load_experiments(tmp_path)
    (tmp_path / "bad.toml").write_text('[experiment]\nfigure = "rates"\ncolour = 1\n[[part]]\n')
    with pytest.raises(ValidationError, match=r"bad\.experiment\.colour"):
        rp.load_experiments(tmp_path)
    (tmp_path / "bad.toml").write_text('[experiment]\nfigure = "rates"\n[[part]]\nset = { "run.workers" = 0 }\n')
    with pytest.raises(ValidationError, match=r"run\.workers"):
        rp.reproduce(tmp_path / "out", quick=True, progress=False, experiments_dir=tmp_path)
    assert not (tmp_path / "out" / "_runs").exists()
