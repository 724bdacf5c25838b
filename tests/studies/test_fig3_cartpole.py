"""studies.fig3_cartpole on synthetic runs tables: the two-consecutive-evaluations hitting rule (one lucky
evaluation above the target does not count), sample speedup N·E(N) with planted hitting times, the runtime
speedup of threads and the goal verdict; and the spec's quick mode through `a3c-theory study`."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from a3c_theory.cli import main
from a3c_theory.studies import fig3_cartpole
from a3c_theory.studies.study import Results

GRID = np.array([0, 1000, 2000, 4000, 8000, 16000, 32000, 64000])


def _run(run_id, workers, seed, mode, hit_at, lucky_at=None, seconds_per_sample=1e-6):
    """Returns 20 before ``hit_at``, 500 from it on; one 480 at ``lucky_at`` followed by 20 (a lucky evaluation)."""
    ret = np.where(GRID >= hit_at, 500.0, 20.0)
    if lucky_at is not None:
        ret[GRID == lucky_at] = 480.0
    return pd.DataFrame({"run_id": run_id, "workers": workers, "seed": seed, "mode": mode, "samples": GRID,
                         "time_s": GRID * seconds_per_sample, "return_mean": ret,
                         "avg_return": pd.Series(ret).rolling(3, min_periods=1).mean()})


def _results(min_base_seconds=0.0):
    rows, i = [], 0
    for seed in range(4):
        for n, hit in ((1, 16000), (2, 16000), (4, 32000)):  # E(2) = 1, E(4) = 1/2
            rows.append(_run(i, n, seed, "simulated", hit, lucky_at=2000 if n == 1 else None))
            i += 1
        for n, per in ((1, 1e-5), (2, 5e-6)):  # threads: the same samples, twice as fast with 2
            rows.append(_run(i, n, seed, "threads", 16000, seconds_per_sample=per))
            i += 1
    return Results("fig3_cartpole", "t", pd.concat(rows, ignore_index=True),
                   fig3_cartpole.Settings(target=475.0, min_base_seconds=min_base_seconds), cores=2)


def test_hit_needs_two_consecutive_evaluations_at_the_target():
    assert fig3_cartpole.hit(GRID, [20, 20, 480, 20, 500, 500, 500, 500], 475) == 8000
    assert fig3_cartpole.hit(GRID, [20, 20, 480, 20, 20, 20, 20, 500], 475) == math.inf


def test_sample_speedup_runtime_speedup_and_verdicts():
    summary = fig3_cartpole.summarise(_results())
    assert summary.samples_to_target[1].value == 16000  # the lucky evaluation at 2000 is not a hit
    assert {n: e.value for n, e in summary.sample_speedup.items()} == pytest.approx({1: 1.0, 2: 2.0, 4: 2.0})
    assert summary.verdicts[2] == "linear" and summary.verdicts[4] == "sub-linear"
    assert summary.runtime_speedup[2].value == pytest.approx(2.0)
    claims = fig3_cartpole.claims(summary)
    assert claims[0].verdict == "reached"  # running average 500 at the horizon
    assert claims[1].verdict == "linear up to N = 2"
    assert claims[2].verdict == "faster with threads" or claims[2].verdict.startswith("not faster")
    assert "RL-zoo" in claims[0].notes
    numbers = fig3_cartpole.numbers(summary)
    assert any(n.quantity == "sample speedup N*E(N)" and n.setting == "N=4" for n in numbers)


def test_runtime_verdict_is_not_meaningful_below_min_base_seconds():
    summary = fig3_cartpole.summarise(_results(min_base_seconds=100.0))
    assert fig3_cartpole.claims(summary)[2].verdict.startswith("not meaningful")


def test_quick_mode_runs_through_the_study_command(tmp_path, monkeypatch):
    spec = Path(fig3_cartpole.__file__).with_suffix(".toml")
    monkeypatch.chdir(tmp_path)
    assert main(["study", str(spec), "--quick", "--out", "out", "--no-progress", "--jobs", "1"]) == 0
    assert (tmp_path / "out" / "fig3_cartpole.png").read_bytes()[:4] == b"\x89PNG"
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert "final mean return" in set(summary["quantity"])
