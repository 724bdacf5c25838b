"""Every experiment spec in experiments/ runs in --quick form through `a3c-theory study`, and each starts
with its question and the answer of its last run. The template runs on a small .npz written beside it."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from a3c_theory.cli import main
from a3c_theory.instances.file_mdp import save_npz
from a3c_theory.instances.trap_chain import trap_chain

FOLDER = Path(__file__).resolve().parents[1] / "experiments"
SPECS = sorted(FOLDER.glob("*.toml"))
TEMPLATE = FOLDER / "your_own_mdp.toml"


def test_the_experiments_the_design_card_lists_are_there():
    assert {p.stem for p in SPECS} >= {"speedup_trap_chain_file", "staleness_frozenlake8x8", "threads_speedup",
                                       "your_own_mdp"}


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_each_spec_starts_with_its_question_and_last_answer(path):
    header = path.read_text(encoding="utf-8").split("[experiment]")[0]
    assert all(line.startswith("#") or not line.strip() for line in header.splitlines())
    assert "Question" in header and "Answer of the last run" in header


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_each_spec_runs_in_quick_form(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if path == TEMPLATE:  # the template expects the user's file beside it
        path = Path(shutil.copy(TEMPLATE, tmp_path / TEMPLATE.name))
        save_npz(tmp_path / "my_mdp.npz", trap_chain(n_states=5), np.eye(5))
    assert main(["study", str(path), "--quick", "--out", "out", "--no-progress"]) == 0
    out = tmp_path / "out"
    assert (out / f"{path.stem}.png").read_bytes()[:4] == b"\x89PNG"
    assert "## Claims" in (out / "report.md").read_text(encoding="utf-8")
    assert len((out / "summary.csv").read_text().splitlines()) > 1
