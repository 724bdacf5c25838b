"""studies.stats: target crossings, speedup (paper eq. 1), slopes and intervals on hand-made data."""

import numpy as np
import pandas as pd
import pytest

from a3c_theory.errors import ValidationError
from a3c_theory.studies import stats
from synthetic import run


def test_first_crossing_interpolates_between_snapshots():
    # level 0.5 lies a quarter of the way from y=0.4 (x=10) to y=0.8 (x=30): x = 10 + 0.25 * 20 = 15.
    assert stats.first_crossing([0, 10, 30], [0.0, 0.4, 0.8], 0.5) == pytest.approx(15.0)
    assert stats.first_crossing([0, 10], [0.6, 0.9], 0.5) == 0.0
    assert stats.first_crossing([0, 10], [0.1, 0.2], 0.5) == np.inf


def test_costs_to_target_use_the_fraction_of_the_initial_gap():
    # J0 = 0, J* = 1, 90% target = 0.9, crossed between (100, 0.8) and (200, 1.0) at 150.
    table = run("a", 1, 0, [0, 100, 200], [0.0, 0.8, 1.0])
    assert stats.costs_to_target(table, "samples", 0.9)["cost"].item() == pytest.approx(150.0)
    assert stats.costs_to_target(table, "time", 0.9)["cost"].item() == pytest.approx(0.15)


def test_speedup_follows_paper_eq_1():
    """Speedup(N) = T(1) / (T(N)/N): N workers needing the same total samples as one worker is linear
    speedup (= N); N workers needing N times the samples (same samples per worker) is no speedup (= 1)."""
    ks = np.array([0, 10, 100, 1000, 10000], float)
    runs = []
    for seed in range(4):
        J1 = 1 - np.exp(-ks / (500.0 + 50 * seed))
        runs += [run(f"w1s{seed}", 1, seed, ks, J1), run(f"w2s{seed}", 2, seed, ks, J1),
                 run(f"w8s{seed}", 8, seed, ks * 8, J1)]
    sp = stats.speedup_table(pd.concat(runs), "samples", 0.5)
    assert list(sp["workers"]) == [1, 2, 8]
    np.testing.assert_allclose(sp["speedup"], [1.0, 2.0, 1.0], rtol=1e-12)


def test_unreached_target_gives_nan_speedup_not_a_number_that_looks_real():
    runs = pd.concat([run("a", 1, 0, [0, 10], [0.0, 1.0]), run("b", 2, 0, [0, 10], [0.0, 0.1])])
    sp = stats.speedup_table(runs, "samples", 0.9)
    assert np.isnan(sp["speedup"][1]) and sp["unreached"][1] == 1
    assert np.isnan(sp["cost_mean"][1]) and sp["success"][1] == 0.0 and sp["ert_speedup"][1] == 0.0


def test_slope_fit_recovers_a_known_power_law():
    k = np.geomspace(1, 1e6, 60)
    slope, intercept = stats.fit_loglog_slope(k, 3.0 * k ** -0.4, decades=2.0)
    assert slope == pytest.approx(-0.4, abs=1e-10)
    assert 10 ** intercept == pytest.approx(3.0, rel=1e-8)


def test_confidence_interval_shrinks_with_more_seeds_and_covers_the_mean():
    rng = np.random.default_rng(0)
    few = rng.normal(1.0, 1.0, 5)
    many = rng.normal(1.0, 1.0, 500)
    m5, lo5, hi5 = stats.mean_ci(few)
    m500, lo500, hi500 = stats.mean_ci(many)
    assert lo5 < m5 < hi5 and lo500 < m500 < hi500
    assert hi500 - lo500 < (hi5 - lo5) / 3


def test_intervals_of_positive_quantities_never_go_negative():
    """Two seeds 9113 and 500 (a wide spread): the Student-t interval reaches far below zero, the
    bootstrap interval of the mean stays inside [500, 9113]."""
    times = [9113.0, 500.0]
    _, t_lo, _ = stats.mean_ci(times)
    assert t_lo < 0
    est = stats.positive_mean_ci(times)
    assert est.value == pytest.approx(4806.5)
    assert 500.0 <= est.lo < est.value < est.hi <= 9113.0
    assert est.interval == stats.BOOTSTRAP_INTERVAL
    assert stats.positive_mean_ci([1.0, np.inf]).value == np.inf


def test_positive_interval_covers_the_mean_at_about_the_stated_rate():
    """Exponential costs, 10 seeds, 300 repetitions (seeded): the 95% percentile-bootstrap interval covers the
    true mean in 80-99% of repetitions. The percentile bootstrap undercovers on skewed data at n = 10 (about
    88% here); a rate outside the band flags a broken interval. False-alarm rate for a binomial(300, 0.88):
    below 240 hits z = -4.3, about 1e-5."""
    rng = np.random.default_rng(1)
    hits = sum(e.lo <= 1.0 <= e.hi for e in (stats.positive_mean_ci(rng.exponential(1.0, 10), n_boot=500)
                                             for _ in range(300)))
    assert 0.80 * 300 <= hits <= 0.99 * 300


@pytest.mark.parametrize("call, field", [
    (lambda: stats.target_level(0.0, 1.0, 1.5), "target_fraction"),
    (lambda: stats.target_level(1.0, 0.0, 0.5), "Jstar"),
    (lambda: stats.first_crossing([1, 0], [0, 1], 0.5), "x"),
    (lambda: stats.positive_mean_ci([1.0, -2.0]), "values"),
    (lambda: stats.split_runs(pd.DataFrame({"samples": [1.0]})), "runs.run_id"),
])
def test_bad_inputs_name_the_field(call, field):
    with pytest.raises(ValidationError) as err:
        call()
    assert err.value.field == field


def test_run_arrays_match_split_runs_on_interleaved_unsorted_rows():
    rng = np.random.default_rng(5)
    runs = pd.DataFrame({"run_id": rng.choice(["b", "a", "c"], 40), "samples": rng.integers(0, 10, 40),
                         "y": rng.normal(size=40)})
    firsts, arrays = stats.run_arrays(runs, ["samples", "y"])
    split = stats.split_runs(runs)
    assert list(firsts["run_id"]) == [g["run_id"].iloc[0] for g in split]
    for i, g in enumerate(split):
        assert np.array_equal(arrays["samples"][i], g["samples"].to_numpy(float))
        assert np.array_equal(arrays["y"][i], g["y"].to_numpy(float))
