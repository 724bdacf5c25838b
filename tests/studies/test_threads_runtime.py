"""studies.threads_runtime on synthetic runs (wall time K / (1e4 min(N, 2))): runtime speedup 1, 2, 2, and
the "not meaningful" verdict when one thread reaches the target faster than min_base_seconds."""

import pandas as pd
import pytest

from a3c_theory.errors import ValidationError
from a3c_theory.studies import threads_runtime
from a3c_theory.studies.study import Results
from synthetic import runs


def results(**settings) -> Results:
    return Results("threads_runtime", "t", runs(workers=[1, 2, 4], mode=["threads"]),
                   threads_runtime.Settings(**settings), cores=2)


def test_runtime_speedup_and_verdict():
    summary = threads_runtime.summarise(results(min_base_seconds=0.0))
    assert {n: e.value for n, e in summary.runtime_speedup.items()} == pytest.approx({1: 1.0, 2: 2.0, 4: 2.0})
    assert threads_runtime.claims(summary)[0].verdict == "faster with threads"


def test_a_base_time_below_min_base_seconds_is_not_meaningful():
    summary = threads_runtime.summarise(results(min_base_seconds=100.0))
    assert threads_runtime.claims(summary)[0].verdict.startswith("not meaningful")


def test_min_base_seconds_range():
    with pytest.raises(ValidationError, match=r"min_base_seconds: must lie in \[0, 3600\)"):
        threads_runtime.Settings(min_base_seconds=3600)


def test_recorded_wall_hitting_times_replace_those_read_from_snapshots():
    table = runs(workers=[1, 2], mode=["threads"])
    plain = threads_runtime.summarise(Results("threads_runtime", "t", table, threads_runtime.Settings(), cores=2))
    ids = table["run_id"].unique()
    two = [rid for rid in ids if "'workers': 2" in rid]
    meta = pd.DataFrame({"run_id": two, "target_levels_gap_0.9": 0.86, "hits_gap_0.9": 1000,
                         "hit_times_gap_0.9": 0.25, "updates_run": 1e5, "hit_horizon": 1e5})  # online: N = 2 only
    online = threads_runtime.summarise(Results("threads_runtime", "t", table, threads_runtime.Settings(), meta=meta,
                                               cores=2))
    assert online.wall_time[2].value == pytest.approx(0.25) != plain.wall_time[2].value
    assert online.wall_time[1].value == plain.wall_time[1].value  # read from the snapshots, as before
    assert online.runtime_speedup[2].value == pytest.approx(plain.wall_time[1].value / 0.25)
