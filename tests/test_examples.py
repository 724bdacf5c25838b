"""Every shipped example config in examples/ is valid and runs end to end through `a3c-theory run`
(with run.samples cut to a few thousand updates to keep the test fast)."""

from pathlib import Path

import numpy as np
import pytest

from a3c_theory import config, frames
from a3c_theory.cli import main

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.toml"))


def test_the_paper_and_garnet_examples_are_shipped():
    names = {path.stem for path in EXAMPLES}
    assert {"paper_iid", "paper_markov_delays", "garnet", "trap_chain", "frozenlake"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_example_runs(path, tmp_path, capsys):
    cfg = config.from_toml(path)  # the file as shipped is valid
    samples = 4000 - 4000 % cfg.run.workers  # sync mode needs a multiple of the worker count
    out = tmp_path / "out"
    assert main(["run", str(path), "--set", f"run.samples={samples}", "--out", str(out), "--no-progress"]) == 0
    assert f"final: k={samples}" in capsys.readouterr().out
    table = frames.read_csv(out / "metrics.csv")
    assert table["k"].iloc[-1] == samples and np.isfinite(table[["J", "gap", "critic_gap"]].to_numpy()).all()
    assert len(frames.read_csv(out / "meta.csv")) == 1
