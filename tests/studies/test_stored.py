"""studies.stored: the rows an interpolation or a first crossing reads give the same number alone, and
``keep`` returns them in the table's own order."""

import numpy as np
import pandas as pd
import pytest

from a3c_theory.studies import stored
from a3c_theory.studies.stats import first_crossing

K = np.array([0.0, 1, 2, 2, 5, 9, 9, 9, 20, 50, 50, 100])
Y = np.sin(K) + K / 50  # ties in k carry different values


@pytest.mark.parametrize("x", [-1.0, 0.0, 1.5, 2.0, 3.0, 9.0, 10.0, 50.0, 70.0, 100.0, 150.0])
def test_interpolation_on_the_rows_around_a_point_equals_the_full_one(x):
    kept = stored.around(K, [x])
    assert np.interp(x, K[kept], Y[kept]) == np.interp(x, K, Y)
    assert len(kept) < len(K)


def test_rows_around_several_points_serve_each_and_keep_the_sorted_order():
    points = [1.5, 9.0, 60.0]
    kept = stored.around(K, points)
    assert list(kept) == sorted(kept)
    for x in points:
        assert np.interp(x, K[kept], Y[kept]) == np.interp(x, K, Y)


@pytest.mark.parametrize("level,decreasing", [(0.5, False), (0.95, False), (-0.9, True), (-5.0, False), (9.0, False)])
def test_first_crossing_on_the_kept_rows_equals_the_full_one(level, decreasing):
    kept = np.union1d([0], stored.crossing(Y, level, decreasing))
    y = -Y if decreasing else Y
    assert first_crossing(K[kept], y[kept], -level if decreasing else level) == \
        first_crossing(K, y, -level if decreasing else level)


def test_a_level_never_reached_keeps_no_crossing_rows():
    assert stored.crossing(Y, 10.0).size == 0
    assert list(stored.ends(K)) == [0, len(K) - 1]


def test_keep_chooses_per_run_in_samples_order_and_returns_the_rows_in_table_order():
    table = pd.DataFrame({"run_id": ["a", "b", "a", "b", "a"], "samples": [20.0, 0, 0, 5, 10],
                          "y": [3.0, 0, 1, 2, 2]})
    seen = {}

    def choose(first, k, arrays):
        seen[first["run_id"]] = (first["samples"], list(k), list(arrays["y"]))
        return [0] if first["run_id"] == "a" else None
    out = stored.keep(table, choose, ["y"])
    assert seen == {"a": (0.0, [0.0, 10.0, 20.0], [1.0, 2.0, 3.0]), "b": (0.0, [0.0, 5.0], [0.0, 2.0])}
    assert list(out.index) == [1, 2, 3]  # a's first snapshot, all of b, in the table's order
