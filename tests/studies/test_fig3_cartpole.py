"""studies.fig3_cartpole on synthetic runs tables: the settled hitting rule (a visit of the target that falls
back does not count) beside the first-passage diagnostic, sample speedup N·E(N) with planted hitting times, the
superlinear flag beyond one grid step, the runtime speedup of threads and the goal verdict; and the spec's quick
mode through `a3c-theory study`."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from a3c_theory.cli import main
from a3c_theory.studies import fig3_cartpole
from a3c_theory.studies.study import Results

GRID = np.array([0, 1000, 2000, 4000, 8000, 16000, 32000, 64000])


def _run(run_id, workers, seed, mode, hit_at, lucky_at=(), seconds_per_sample=1e-6):
    """Returns 20 before ``hit_at``, 500 from it on; 480 at the snapshots ``lucky_at`` (visits of the target that
    fall back to 20)."""
    ret = np.where(GRID >= hit_at, 500.0, 20.0)
    ret[np.isin(GRID, lucky_at)] = 480.0
    return pd.DataFrame({"run_id": run_id, "workers": workers, "seed": seed, "mode": mode, "samples": GRID,
                         "time_s": GRID * seconds_per_sample, "return_mean": ret,
                         "avg_return": pd.Series(ret).rolling(3, min_periods=1).mean()})


VISITS = {1: (2000,), 2: (2000, 4000), 4: ()}
"""N = 1: one lucky evaluation; N = 2: two consecutive evaluations above the target that fall back (a transient
first passage at 2000)."""


def _results(min_base_seconds=0.0, hits=((1, 16000), (2, 16000), (4, 32000)), visits=VISITS):
    rows, i = [], 0
    for seed in range(4):
        for n, hit in hits:  # default: E(2) = 1, E(4) = 1/2
            rows.append(_run(i, n, seed, "simulated", hit, lucky_at=visits.get(n, ())))
            i += 1
        for n, per in ((1, 1e-5), (2, 5e-6)):  # threads: the same samples, twice as fast with 2
            rows.append(_run(i, n, seed, "threads", 16000, seconds_per_sample=per))
            i += 1
    return Results("fig3_cartpole", "t", pd.concat(rows, ignore_index=True),
                   fig3_cartpole.Settings(target=475.0, min_base_seconds=min_base_seconds), cores=2)


def test_settled_needs_every_later_evaluation_at_the_target():
    assert fig3_cartpole.settled(GRID, [20, 20, 480, 20, 500, 500, 500, 500], 475) == 8000
    assert fig3_cartpole.settled(GRID, [20, 480, 480, 20, 500, 500, 500, 500], 475) == 8000  # the visit fell back
    assert fig3_cartpole.settled(GRID, [20, 20, 20, 20, 500, 500, 500, 20], 475) == math.inf  # ends below
    assert fig3_cartpole.settled(GRID, [500] * 8, 475) == 0
    assert fig3_cartpole.settled(GRID, [20, 20, 20, 20, 20, 20, 480, np.nan], 475) == math.inf  # NaN is not >=


def test_first_passage_needs_two_consecutive_evaluations_at_the_target():
    assert fig3_cartpole.first_passage(GRID, [20, 20, 480, 20, 500, 500, 500, 500], 475) == 8000
    assert fig3_cartpole.first_passage(GRID, [20, 480, 480, 20, 500, 500, 500, 500], 475) == 1000
    assert fig3_cartpole.first_passage(GRID, [20, 20, 480, 20, 20, 20, 20, 500], 475) == math.inf


def test_sample_speedup_runtime_speedup_and_verdicts():
    summary = fig3_cartpole.summarise(_results())
    assert summary.samples_to_target[1].value == 16000  # the lucky evaluation at 2000 is not a hit
    assert summary.samples_to_target[2].value == 16000  # nor the visit at 2000-4000 that fell back
    assert {n: e.value for n, e in summary.sample_speedup.items()} == pytest.approx({1: 1.0, 2: 2.0, 4: 2.0})
    assert summary.verdicts[2] == "linear" and summary.verdicts[4] == "sub-linear"
    # first passage counts N = 2's visit: 2 · 16000 / 2000
    assert {n: e.value for n, e in summary.first_passage_speedup.items()} == pytest.approx({1: 1.0, 2: 16.0, 4: 2.0})
    assert summary.transient == {1: (4, 0, pytest.approx(np.nan, nan_ok=True)), 2: (4, 4, 20.0),
                                 4: (4, 0, pytest.approx(np.nan, nan_ok=True))}
    assert summary.grid_step == 1.0 and summary.superlinear == ()
    assert summary.runtime_speedup[2].value == pytest.approx(2.0)
    claims = fig3_cartpole.claims(summary)
    assert claims[0].verdict == "reached"  # running average 500 at the horizon
    assert claims[1].verdict == "linear up to N = 2; no N superlinear beyond the grid step"
    assert "N=2 4/4" in claims[1].notes and "falling back to 20" in claims[1].notes
    assert claims[2].verdict == "faster with threads" or claims[2].verdict.startswith("not faster")
    assert "RL-zoo" in claims[0].notes
    numbers = fig3_cartpole.numbers(summary)
    assert any(n.quantity == "sample speedup N*E(N)" and n.setting == "N=4" for n in numbers)


def test_superlinear_only_beyond_one_grid_step():
    """GRID doubles (step 1): a hit one snapshot earlier (E(2) = 2) is within the grid's resolution, two
    snapshots earlier (E(4) = 4) is not."""
    summary = fig3_cartpole.summarise(_results(hits=((1, 16000), (2, 8000), (4, 4000)), visits={}))
    assert summary.efficiency[2].lo == pytest.approx(2.0) and summary.efficiency[4].lo == pytest.approx(4.0)
    assert summary.superlinear == (4,)
    verdict = fig3_cartpole.claims(summary)[1].verdict
    assert verdict == "linear up to N = 4; superlinear (CI above 1 + grid step) at N = 4"


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
