"""studies.intervals: t, paired/Welch t, Clopper-Pearson, the exact success tests and the power-law fit, each
on a case with a known answer, a case it must leave open, and a seeded coverage or false-alarm check."""

import numpy as np
import pytest
from scipy import stats as sps

from a3c_theory.errors import ValidationError
from a3c_theory.studies import intervals as iv

REPS = 400


def _band(hits: int, low: float, high: float) -> None:
    assert low * REPS <= hits <= high * REPS, f"{hits} of {REPS}"


def test_t_interval_by_hand_and_open_with_one_seed():
    x = np.array([1.0, 2.0, 3.0, 6.0])
    m, lo, hi = iv.mean_ci(x)
    half = sps.t.ppf(0.975, 3) * x.std(ddof=1) / 2
    assert (m, lo, hi) == pytest.approx((3.0, 3.0 - half, 3.0 + half))
    one = iv.mean_estimate([5.0])
    assert one.value == 5.0 and np.isnan(one.lo) and np.isnan(one.hi)
    flat = iv.mean_estimate([2.0, 2.0, 2.0])
    assert flat.lo == flat.hi == 2.0


def test_differences_by_hand():
    """Welch: Satterthwaite degrees of freedom; paired: the t-interval of the per-seed differences."""
    rng = np.random.default_rng(3)
    a, b = rng.normal(1.0, 1.0, 12), rng.normal(0.0, 2.0, 9)
    va, vb = a.var(ddof=1) / 12, b.var(ddof=1) / 9
    df = (va + vb) ** 2 / (va**2 / 11 + vb**2 / 8)
    half = sps.t.ppf(0.975, df) * np.sqrt(va + vb)
    w = iv.difference(a, b)
    assert (w.value, w.lo, w.hi) == pytest.approx((a.mean() - b.mean(), a.mean() - b.mean() - half,
                                                   a.mean() - b.mean() + half)) and w.interval == iv.WELCH
    d = a[:9] - b
    p = iv.difference(a[:9], b, paired=True)
    half = sps.t.ppf(0.975, 8) * d.std(ddof=1) / 3
    assert (p.lo, p.hi) == pytest.approx((d.mean() - half, d.mean() + half)) and p.interval == iv.PAIRED_T
    assert np.isnan(iv.difference([1.0], [2.0, 3.0]).lo)  # one run in a group: open
    with pytest.raises(ValidationError):
        iv.difference([1.0, 2.0], [1.0], paired=True)


def test_t_welch_and_paired_cover_at_the_stated_rate():
    """400 seeded replications each, normal data, exact 95% intervals: accepted 91.25-98.75% of 400 (for a
    Binomial(400, 0.95) a false alarm has probability about 7e-4, z = ±3.4)."""
    rng = np.random.default_rng(5)
    t = sum(lo <= 1.0 <= hi for _, lo, hi in (iv.mean_ci(rng.normal(1.0, 2.0, 5)) for _ in range(REPS)))
    _band(t, 0.9125, 0.9875)
    welch = [iv.difference(rng.normal(1.0, 1.0, 8), rng.normal(0.0, 3.0, 15)) for _ in range(REPS)]
    _band(sum(e.lo <= 1.0 <= e.hi for e in welch), 0.9125, 0.9875)
    paired = []
    for _ in range(REPS):
        effect = rng.normal(0.0, 10.0, 10)
        paired.append(iv.difference(effect + 1.0 + rng.normal(0, 1, 10), effect + rng.normal(0, 1, 10), paired=True))
    _band(sum(e.lo <= 1.0 <= e.hi for e in paired), 0.9125, 0.9875)


def test_clopper_pearson_closed_forms_and_coverage():
    """0 of n: [0, 1 − 0.025^(1/n)]; n of n: [0.025^(1/n), 1]. Coverage at p = 0.3, n = 20 over 400 seeded
    replications: Clopper-Pearson covers at least 95% for every p (about 97.5% here); accepted ≥ 92% (a
    false alarm below 0.003 even at exactly 95%, z = -2.75)."""
    none = iv.success_rate(0, 10)
    assert none.value == 0.0 and none.lo == 0.0 and none.hi == pytest.approx(1 - 0.025 ** 0.1)
    every = iv.success_rate(10, 10)
    assert every.lo == pytest.approx(0.025 ** 0.1) and every.hi == 1.0
    half = iv.success_rate(5, 10)
    assert half.lo < 0.5 < half.hi  # cannot say which side of 1/2
    k = np.random.default_rng(6).binomial(20, 0.3, REPS)
    hits = sum(e.lo <= 0.3 <= e.hi for e in (iv.success_rate(int(x), 20) for x in k))
    assert hits >= 0.92 * REPS
    with pytest.raises(ValidationError):
        iv.success_rate(11, 10)


def test_exact_success_tests_known_values_open_case_and_false_alarm_rate():
    """McNemar: 8 seeds lost, none gained: p = 2 / 2^8. Fisher against scipy. No discordant seed: p = 1.
    Under the null (each seed succeeds in each group with probability 0.6, the pair correlated through a
    shared seed effect), 400 seeded replications of 30 seeds reject at 5% in at most 33 (the exact tests are
    conservative, a rate of at most 5%: above 33 has probability below 0.002 for Binomial(400, 0.05))."""
    base = np.ones(10, bool)
    scaled = np.r_[np.zeros(8, bool), np.ones(2, bool)]
    assert iv.success_change_p(base, scaled, paired=True) == pytest.approx(2 / 2**8)
    assert iv.success_change_p(base, scaled, paired=False) == pytest.approx(
        sps.fisher_exact([[10, 0], [2, 8]]).pvalue)
    assert iv.success_change_p(base, base, paired=True) == 1.0
    rng = np.random.default_rng(7)
    rejected = {True: 0, False: 0}
    for _ in range(REPS):
        effect = rng.random(30)
        a, b = effect + 0.2 * rng.random(30) < 0.66, effect + 0.2 * rng.random(30) < 0.66
        for paired in rejected:
            rejected[paired] += iv.success_change_p(a, b, paired) < 0.05
    assert rejected[True] <= 33 and rejected[False] <= 33


def test_power_law_known_exponent_open_case_and_coverage():
    """Exact data: the exponent and prefactor to 1e-10. Fewer than 3 points: NaN. Coverage of the 95%
    t-interval with log-normal noise (exact under the model) over 400 seeded replications: accepted
    91.25-98.75% (false alarm about 7e-4)."""
    x = np.geomspace(1e2, 1e5, 8)
    exact, scale = iv.power_law(x, 2.0 * x**0.2)
    assert exact.value == pytest.approx(0.2, abs=1e-10) and scale == pytest.approx(2.0)
    assert np.isnan(iv.power_law(x[:2], x[:2])[0].value)
    with pytest.raises(ValidationError):
        iv.power_law(x, -x)
    rng = np.random.default_rng(8)
    fits = [iv.power_law(x, 2.0 * x**0.2 * np.exp(0.3 * rng.standard_normal(8)))[0] for _ in range(REPS)]
    _band(sum(e.lo <= 0.2 <= e.hi for e in fits), 0.9125, 0.9875)
