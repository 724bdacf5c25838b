"""Verdict rule, N_max(K) and the power-law fit on synthetic samples with known answers (seeded)."""

import numpy as np
import pytest

from a3c_theory.errors import ValidationError
from a3c_theory.studies import efficiency as ef
from a3c_theory.studies.intervals import power_law
from a3c_theory.studies.stats import Estimate


def _costs(mean, n=10, cv=0.05, seed=0):
    return mean * (1 + cv * np.random.default_rng(seed).standard_normal(n))


def _efficiency(base, scaled, horizon=1e9):
    return ef.cell(base, horizon, scaled, horizon).ratio


def test_clearly_linear_sublinear_and_undetermined():
    base = _costs(1000.0, seed=1)
    linear = _efficiency(base, _costs(1050.0, seed=2))       # E ≈ 0.95
    sub = _efficiency(base, _costs(2500.0, seed=3))          # E ≈ 0.40
    near = _efficiency(base, _costs(1333.0, cv=0.3, seed=4))  # E ≈ 0.75 with wide spread
    assert ef.verdict(linear) == ef.LINEAR and linear.lo > 0.75
    assert ef.verdict(sub) == ef.SUBLINEAR and sub.hi < 0.75
    assert ef.verdict(near) == ef.UNDETERMINED and near.lo <= 0.75 <= near.hi
    assert linear.value == pytest.approx(base.mean() / _costs(1050.0, seed=2).mean())


def test_one_worker_is_linear_and_a_single_seed_is_undetermined():
    base = _costs(1000.0)
    assert ef.verdict(_efficiency(base, base), workers=1) == ef.LINEAR
    assert ef.verdict(_efficiency([1000.0], [900.0])) == ef.UNDETERMINED


def test_a_cell_with_runs_that_never_reach_the_target_can_be_linear():
    """The split estimand: a stuck run is a failure of part (a), and E(N) rests on the others."""
    base = _costs(1000.0)
    scaled = _costs(1000.0)
    scaled[0] = np.inf
    c = ef.cell(base, 1100.0, scaled, 1100.0)
    assert c.failures == 1 and c.ratio.n == 9 and ef.verdict(c.ratio) == ef.LINEAR
    assert c.ert > c.base_ert  # ERT charges the stuck run its horizon
    assert np.isnan(ef.cell(base, 2000.0, np.full(10, np.inf), 2000.0).ratio.value)  # no success: not estimable
    assert np.isfinite(ef.cell(np.r_[base[:-1], np.inf], 1e4, scaled, 1e4).ratio.value)  # a stuck baseline run too
    with pytest.raises(ValidationError, match="horizon"):
        ef.cell(base, 0.0, scaled, 1e4)
    assert np.isnan(ef.cell(np.zeros(10), 1e4, scaled, 1e4).ratio.value)  # θ_0 already meets the target


def test_linear_up_to_needs_every_smaller_n():
    v = {1: ef.LINEAR, 4: ef.LINEAR, 16: ef.UNDETERMINED, 64: ef.LINEAR, 256: ef.SUBLINEAR}
    assert ef.linear_up_to(v) == 4
    assert ef.first_sublinear(v) == 256
    assert ef.linear_up_to({1: ef.LINEAR, 2: ef.SUBLINEAR}) == 1
    assert ef.first_sublinear({1: ef.LINEAR, 2: ef.LINEAR}) is None


def test_power_law_fit_recovers_a_known_exponent():
    x = np.geomspace(1e3, 1e6, 8)
    exact, scale = power_law(x, 3.0 * x ** 0.4)
    assert exact.value == pytest.approx(0.4) and exact.hi - exact.lo < 1e-9 and scale == pytest.approx(3.0)
    noisy = 3.0 * x ** 0.4 * np.exp(0.1 * np.random.default_rng(5).standard_normal(x.size))
    est, _ = power_law(x, noisy)
    assert est.lo < 0.4 < est.hi and est.hi - est.lo < 0.3
    assert np.isnan(power_law(x[:2], x[:2])[0].value)


def _shifted_curves(grid, shift_per_worker, seeds=10, scale=1e3):
    """y(k) = k / (k + scale) for one worker; N workers lose ``shift_per_worker · N`` samples:
    T_N = T_1 + c N, so E(N) = T_1 / (T_1 + c N) and N_max(K) = largest N with c N < K / 3."""
    k = np.unique(np.r_[0.0, np.geomspace(1, 1e8, 600)])
    rng = np.random.default_rng(7)
    curves = {}
    for n in grid:
        runs = []
        for _ in range(seeds):
            jitter = 1 + 0.01 * rng.standard_normal()
            kk = np.maximum(k * jitter - shift_per_worker * (n - 1), 0.0)
            runs.append((k, kk / (kk + scale)))
        curves[n] = runs
    return curves


def _cells(curves, horizons, seeds=None):
    """The cells and N_max rows of curves at the levels one worker reaches at the horizons (levels from the
    curves of N = 1 themselves: these tests judge the estimator, not the pilot)."""
    levels = [ef.level_at(curves[1], K) for K in horizons]
    costs = ef.costs_from_curves(curves, levels)
    run_horizons = {n: np.full(len(c), 1e8) for n, c in curves.items()}
    cells = ef.cells_by_horizon(costs, run_horizons, horizons, seeds)
    return cells, ef.n_max_by_horizon(cells)


def test_n_max_of_horizon_on_synthetic_runs_with_known_exponent():
    grid = [2 ** j for j in range(0, 15)]
    curves = _shifted_curves(grid, shift_per_worker=1.0)
    horizons = 3 * 1.45 * np.array([2 ** j for j in range(3, 12)], dtype=float)  # K/3 between grid points
    _, table = _cells(curves, horizons)
    expected = [2 ** j for j in range(3, 12)]
    assert list(table["n_max"]) == expected
    assert (table["censored"] == "").all()
    fit, _ = power_law(table["horizon"], table["n_max"])
    assert fit.value == pytest.approx(1.0, abs=0.02)


def test_decreasing_targets_use_the_first_k_below_the_level():
    k = np.array([0.0, 10.0, 20.0, 30.0])
    y = np.array([4.0, 2.0, 1.0, 0.5])
    assert ef.cost_to_level(k, y, 1.5, decreasing=True) == pytest.approx(15.0)
    assert ef.cost_to_level(k, y, 0.1, decreasing=True) == np.inf


def test_paper_claim_verdicts():
    lin = {1: ef.LINEAR, 4: ef.LINEAR, 16: ef.LINEAR}
    ends = {1: ef.LINEAR, 4: ef.LINEAR, 16: ef.SUBLINEAR}
    early = {1: ef.LINEAR, 4: ef.SUBLINEAR, 16: ef.SUBLINEAR}
    assert ef.paper_claim_verdict(lin, "iid") == "consistent"
    assert ef.paper_claim_verdict(ends, "iid") == "contradicted"
    assert ef.paper_claim_verdict({1: ef.LINEAR, 4: ef.UNDETERMINED}, "iid") == ef.UNDETERMINED
    assert ef.paper_claim_verdict(ends, "markov") == "reproduced"
    assert ef.paper_claim_verdict(lin, "markov") == "consistent: linear at every N"  # "small N" says no more
    assert ef.paper_claim_verdict(early, "markov").startswith("partly")


def test_only_n_inside_the_theorems_regime_can_contradict_linear_speedup():
    """K = 3125 updates: K^(1/5) = 5, so N = 4 (K_0 = 3) is inside and N = 16 (K_0 = 15) outside."""
    ends = {1: ef.LINEAR, 4: ef.LINEAR, 16: ef.SUBLINEAR}
    assert ef.in_regime(4, 3125.0) and not ef.in_regime(16, 3125.0)
    verdict = ef.paper_claim_verdict(ends, "iid", 3125.0)
    assert verdict.startswith("consistent") and "N = 16" in verdict and ef.OUTSIDE in verdict
    assert ef.paper_claim_verdict({1: ef.LINEAR, 4: ef.SUBLINEAR, 16: ef.LINEAR}, "iid", 3125.0) == "contradicted"
    assert ef.paper_claim_verdict(ends, "iid", 10.0) == ef.OUTSIDE  # K^(1/5) = 1.6: no N > 1 inside
    assert ef.paper_claim_verdict(ends, "iid") == "contradicted"  # without K every N counts


def test_speedup_verdicts_scale_the_interval_by_n():
    speedups = {1: Estimate(1.0, 1.0, 1.0, 10), 8: Estimate(7.0, 6.5, 7.5, 10), 16: Estimate(8.0, 6.0, 10.0, 10)}
    assert ef.speedup_verdicts(speedups) == {1: ef.LINEAR, 8: ef.LINEAR, 16: ef.SUBLINEAR}


def test_exponent_bounds_of_grid_quantised_values():
    K = np.array([1e3, 1e4, 1e5])
    lo, hi = ef.exponent_bounds(K, [32, 32, 32], [64, 64, 64])   # flat on a factor-2 grid over 2 decades
    assert lo == pytest.approx(-np.log10(2) / 2) and hi == pytest.approx(np.log10(2) / 2)
    exact = 4.0 * K ** 0.5
    lo, hi = ef.exponent_bounds(K, exact, exact)
    assert lo == pytest.approx(0.5) and hi == pytest.approx(0.5)
    assert np.isnan(ef.exponent_bounds([1e3], [2], [4])[0])


def test_crossing_workers_interpolates_in_log_n():
    assert ef.crossing_workers([1, 2, 4, 8], [1.0, 0.9, 0.8, 0.7]) == pytest.approx(np.exp(np.log(4) + 0.5 * np.log(2)))
    assert ef.crossing_workers([1, 2, 4], [1.0, 0.9, 0.8]) == np.inf
    assert ef.crossing_workers([1, 2, 4], [1.0, np.nan, 0.5]) == pytest.approx(2.0)  # N = 2 (no E) skipped
    assert np.isnan(ef.crossing_workers([1, 2, 4], [1.0, np.nan, np.nan]))


def _power_costs(power, horizons, grid, seeds, cv, rng, stuck=()):
    """``T_N(K) = (K + c (N^p − 1)) · u_seed`` with one lognormal factor ``u`` per (seed, N) of spread ``cv``:
    ``E(N) = K / (K + c(N^p − 1))`` crosses 0.75 at ``N* = (K/3c + 1)^(1/p)``, so ``N* ∝ K^(1/p)`` for
    large K. ``stuck``: seeds that never reach any target with N > 1."""
    costs = {}
    for n in grid:
        u = np.exp(cv * rng.standard_normal(seeds))
        c = (np.asarray(horizons)[:, None] + 1.0 * (n ** power - 1)) * u[None, :]
        if n > 1:
            c[:, list(stuck)] = np.inf
        costs[n] = c
    return costs


@pytest.mark.parametrize("power, exponent", [(1, 1.0), (2, 0.5)])
def test_crossing_exponent_on_synthetic_costs_with_known_exponent(power, exponent):
    """N* of the point estimates within 20% of ``(K/3c + 1)^(1/p)``, the exponent within 0.05 of 1/p (10 seeds,
    5% spread), its interval containing it and narrower than 0.2."""
    grid = [2 ** j for j in range(0, 15)]
    horizons = np.geomspace(300, 3e4 if power == 1 else 3e6, 5)
    costs = _power_costs(power, horizons, grid, 10, 0.05, np.random.default_rng(3))
    seeds = {n: np.arange(10) for n in grid}
    nstar, a, fitted = ef.crossing_by_horizon(costs, horizons, seeds, n_boot=200)
    assert np.allclose(nstar, (horizons / 3 + 1) ** (1 / power), rtol=0.2)
    assert fitted == 1.0
    assert a.value == pytest.approx(exponent, abs=0.05)
    assert a.lo <= exponent <= a.hi and a.hi - a.lo < 0.2


def test_crossing_exponent_interval_covers_at_its_stated_rate():
    """Seeded coverage check of the block-bootstrap interval of the N* exponent: 40 synthetic studies
    (power 2, 12 paired seeds, 30% spread per run, a factor-√2 grid); the true slope of ``log N*`` on
    ``log K`` over these horizons is computed from ``N* = (K/3 + 1)^(1/2)``. Nominal coverage 95%; the test
    fails when fewer than 34 of 40 intervals cover it, which a 95% interval does with probability 0.014
    (binomial), a 75% one (planted bug: level 0.5) with probability 0.97."""
    grid = sorted({int(round(2 ** (j / 2))) for j in range(0, 21)})
    horizons = np.geomspace(1e3, 1e5, 5)
    truth = power_law(horizons, (horizons / 3 + 1) ** 0.5)[0].value
    rng = np.random.default_rng(11)
    seeds = {n: np.arange(12) for n in grid}
    covered = 0
    for _ in range(40):
        costs = _power_costs(2, horizons, grid, 12, 0.3, rng)
        _, a, _ = ef.crossing_by_horizon(costs, horizons, seeds, n_boot=200)
        covered += bool(a.lo <= truth <= a.hi)
    assert covered >= 34


def test_a_stuck_seed_shared_across_n_moves_the_ert_n_max_not_the_split_estimands():
    """One seed never reaches any target at any N > 1 (stuck in the trap, as seed 13 of the old nmax runs):
    E(N) over the runs that reach the target, paired by seed, leaves N_max and N* where they were; the ERT
    ratio (which charges the stuck run its horizon, like the old estimator) collapses N_max to 1."""
    grid = [1, 2, 4, 8, 16, 32, 64]
    horizons = np.array([1e3, 1e4, 1e5])
    seeds = {n: np.arange(30) for n in grid}
    run_horizons = {n: np.full(30, 1e6) for n in grid}
    clean = _power_costs(1, horizons, grid, 30, 0.05, np.random.default_rng(4))
    stuck = {n: c.copy() for n, c in clean.items()}
    for n in grid[1:]:
        stuck[n][:, 13] = np.inf
    before = ef.n_max_by_horizon(ef.cells_by_horizon(clean, run_horizons, horizons, seeds))
    after = ef.n_max_by_horizon(ef.cells_by_horizon(stuck, run_horizons, horizons, seeds))
    assert list(after["n_max"]) == list(before["n_max"])
    assert list(before["n_max_ert"]) == list(before["n_max"]) and set(after["n_max_ert"]) == {1}
    assert list(after["never_reached"]) == [6, 6, 6]
    n0, _, _ = ef.crossing_by_horizon(clean, horizons, seeds, n_boot=50)
    n1, _, _ = ef.crossing_by_horizon(stuck, horizons, seeds, n_boot=50)
    assert np.allclose(n0, n1, rtol=0.05)


def test_a_flat_efficiency_at_the_threshold_leaves_the_exponent_undetermined():
    """E(N) = 0.75 at every N > 1 (up to noise): N* jumps between the ends of the grid from resample to
    resample, so the exponent has no interval."""
    grid = [1, 2, 4, 8, 16]
    horizons = np.geomspace(1e3, 1e5, 4)
    rng = np.random.default_rng(2)
    costs = {n: np.asarray(horizons)[:, None] * (1 if n == 1 else 1 / 0.75) * np.exp(0.3 * rng.standard_normal(10))
             for n in grid}
    _, a, fitted = ef.crossing_by_horizon(costs, horizons, {n: np.arange(10) for n in grid}, n_boot=200)
    assert np.isnan(a.lo) and np.isnan(a.hi) and fitted < 0.95


def test_cells_mark_the_theorems_regime():
    cells, rows = _cells(_shifted_curves([1, 2, 4, 8], shift_per_worker=1.0, seeds=4), [3125.0])
    assert dict(zip(cells["workers"], cells["in_regime"])) == {1: True, 2: True, 4: True, 8: False}  # K^(1/5) = 5
    assert list(rows["regime_n"]) == [4]


def test_round_level_keeps_four_significant_digits():
    assert ef.round_level(0.989745529636037) == 0.9897
    assert ef.round_level(0.019681709253110986) == 0.01968
    assert ef.round_level(0.0913006) == 0.0913


def test_seeds_for_a_target_width_scale_as_the_square():
    assert ef.seeds_for_width(0.6, 30, 0.3) == 120
    assert np.isnan(ef.seeds_for_width(np.nan, 30, 0.3))


def test_antitonic_fit_pools_a_noisy_dip():
    assert list(ef.antitonic([1.0, 0.7, 0.9, 0.5])) == pytest.approx([1.0, 0.8, 0.8, 0.5])
    assert ef.crossing_workers([1, 2, 4, 8], [1.0, 0.74, 0.9, 0.9]) == np.inf  # pooled to 0.847 from N = 2 on


def test_n_max_table_counts_the_runs_that_never_reached_the_level():
    grid = [1, 2, 4]
    curves = _shifted_curves(grid, shift_per_worker=1.0, seeds=4)
    k, _ = curves[2][0]
    curves[2][0] = (k, np.zeros_like(k))  # a run stuck at y = 0
    curves[1][1] = (k, np.zeros_like(k))  # a stuck one-worker run is not among the N > 1 counted
    _, table = _cells(curves, [100.0, 1000.0])
    assert list(table["never_reached"]) == [1, 1]
    assert list(table["runs"]) == [8, 8]
