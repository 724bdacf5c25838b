"""analysis: target crossings, speedup (paper eq. 1), slopes and intervals on hand-made data."""

import numpy as np
import pytest

from a3c_theory import analysis as an
from a3c_theory.errors import ValidationError


def _run(run_id, workers, seed, samples, J, Jstar=1.0):
    samples = np.asarray(samples, float)
    J = np.asarray(J, float)
    n = len(samples)
    return {"run_id": np.full(n, run_id), "workers": np.full(n, workers), "seed": np.full(n, seed),
            "samples": samples, "time_s": samples / 1000.0, "J": J, "gap": Jstar - J}


def _stack(runs):
    return {k: np.concatenate([r[k] for r in runs]) for k in runs[0]}


def test_first_crossing_interpolates_between_snapshots():
    # level 0.5 lies a quarter of the way from y=0.4 (x=10) to y=0.8 (x=30): x = 10 + 0.25 * 20 = 15.
    assert an.first_crossing([0, 10, 30], [0.0, 0.4, 0.8], 0.5) == pytest.approx(15.0)
    assert an.first_crossing([0, 10], [0.6, 0.9], 0.5) == 0.0
    assert an.first_crossing([0, 10], [0.1, 0.2], 0.5) == np.inf


def test_samples_to_target_uses_the_fraction_of_the_initial_gap():
    # J0 = 0, J* = 1, 90% target = 0.9, crossed between (100, 0.8) and (200, 1.0) at 150.
    table = _run("a", 1, 0, [0, 100, 200], [0.0, 0.8, 1.0])
    assert an.samples_to_target(table, 0.9) == pytest.approx(150.0)
    assert an.time_to_target(table, 0.9) == pytest.approx(0.15)


def test_speedup_follows_paper_eq_1():
    """Speedup(N) = T(1) / (T(N)/N): N workers needing the same total samples as one worker is linear
    speedup (= N); N workers needing N times the samples (same samples per worker) is no speedup (= 1)."""
    ks = np.array([0, 10, 100, 1000, 10000], float)
    runs = []
    for seed in range(4):
        J1 = 1 - np.exp(-ks / (500.0 + 50 * seed))
        runs.append(_run(f"w1s{seed}", 1, seed, ks, J1))
        runs.append(_run(f"w2s{seed}", 2, seed, ks, J1))          # same total samples
        runs.append(_run(f"w8s{seed}", 8, seed, ks * 8, J1))      # 8x the total samples
    sp = an.speedup_table(_stack(runs), "samples", 0.5)
    assert list(sp["workers"]) == [1, 2, 8]
    np.testing.assert_allclose(sp["speedup"], [1.0, 2.0, 1.0], rtol=1e-12)


def test_unreached_target_gives_nan_speedup_not_a_number_that_looks_real():
    runs = [_run("a", 1, 0, [0, 10], [0.0, 1.0]), _run("b", 2, 0, [0, 10], [0.0, 0.1])]
    sp = an.speedup_table(_stack(runs), "samples", 0.9)
    assert np.isnan(sp["speedup"][1]) and sp["unreached"][1] == 1


def test_slope_fit_recovers_a_known_power_law():
    k = np.geomspace(1, 1e6, 60)
    slope, intercept = an.fit_loglog_slope(k, 3.0 * k ** -0.4, decades=2.0)
    assert slope == pytest.approx(-0.4, abs=1e-10)
    assert 10 ** intercept == pytest.approx(3.0, rel=1e-8)


def test_confidence_interval_shrinks_with_more_seeds_and_covers_the_mean():
    rng = np.random.default_rng(0)
    few = rng.normal(1.0, 1.0, 5)
    many = rng.normal(1.0, 1.0, 500)
    m5, lo5, hi5 = an.mean_ci(few)
    m500, lo500, hi500 = an.mean_ci(many)
    assert lo5 < m5 < hi5 and lo500 < m500 < hi500
    assert hi500 - lo500 < (hi5 - lo5) / 3


@pytest.mark.parametrize("call, field", [
    (lambda: an.target_level(0.0, 1.0, 1.5), "target_fraction"),
    (lambda: an.target_level(1.0, 0.0, 0.5), "Jstar"),
    (lambda: an.first_crossing([1, 0], [0, 1], 0.5), "x"),
    (lambda: an.speedup([1.0], [1.0], 0), "workers"),
])
def test_bad_inputs_name_the_field(call, field):
    with pytest.raises(ValidationError) as err:
        call()
    assert err.value.field == field
