"""Sequential seeds: the round schedule, Bonferroni over looks (a seeded check that peeking keeps the false-verdict
rate), and the seeds a power calculation asks for."""

import math

import numpy as np
import pytest
from scipy import stats as st

from a3c_theory.errors import ValidationError
from a3c_theory.studies import sequential


def test_schedule_doubles_up_to_the_cap_and_refuses_a_small_cap():
    assert sequential.schedule(10, 300) == (10, 20, 40, 80, 160, 300)
    assert sequential.schedule(30, 480) == (30, 60, 120, 240, 480)
    assert sequential.next_count(40, (10, 20, 40, 80)) == 80 and sequential.next_count(80, (10, 20, 40, 80)) is None
    with pytest.raises(ValidationError, match="sequential.cap"):
        sequential.schedule(10, 200)
    with pytest.raises(ValidationError, match="sequential.initial"):
        sequential.schedule(1, 300)


def _false_verdict_rate(confidence_per_look: float, reps: int = 4000) -> float:
    """A true mean sitting exactly at the threshold 0.75, looked at after every round of the schedule with a
    t-interval: the share of replications in which some look excludes 0.75 (a false verdict)."""
    counts = sequential.schedule(10, 300)
    x = np.random.default_rng(20121551).normal(0.75, 1.0, size=(reps, counts[-1]))
    decided = np.zeros(reps, bool)
    for n in counts:
        sample = x[:, :n]
        half = st.t.ppf(0.5 + confidence_per_look / 2, n - 1) * sample.std(axis=1, ddof=1) / math.sqrt(n)
        decided |= np.abs(sample.mean(axis=1) - 0.75) > half
    return float(decided.mean())


def test_bonferroni_over_looks_keeps_the_false_verdict_rate_and_naive_peeking_does_not():
    """Tolerance: 3 binomial standard errors of 4000 replications at 5% (0.010); false-alarm rate of the
    bound check about 0.1% (seeded)."""
    looks = len(sequential.schedule(10, 300))
    rate = _false_verdict_rate(sequential.look_confidence(0.95, looks))
    assert rate <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 4000)
    assert _false_verdict_rate(0.95) > 0.08  # 95% at every look, no split: peeking inflates the error


def test_look_confidence_and_the_false_verdict_bound():
    assert sequential.look_confidence(0.95, 6) == pytest.approx(1 - 0.05 / 6)
    assert sequential.look_confidence(0.95, 6, cells=4) == pytest.approx(1 - 0.05 / 24)
    assert sequential.expected_false_verdicts(20, 0.95, 6, cells=1) == pytest.approx(20 * 0.05)
    assert sequential.expected_false_verdicts(20, 0.95, 6, cells=4) == pytest.approx(20 * 0.05 / 4)


def test_seeds_needed_follows_the_normal_power_formula():
    """An interval value·exp(∓z·se) at n = 10 seeds: n* = 10 ((z + z_0.8) se / |log value − log t|)²."""
    z = st.norm.ppf(0.975)
    value, se = 0.6, 0.2
    lo, hi = value * math.exp(-z * se), value * math.exp(z * se)
    expected = math.ceil(10 * ((z + st.norm.ppf(0.8)) * se / abs(math.log(0.6 / 0.75))) ** 2)
    assert sequential.seeds_needed(value, lo, hi, 10, 0.75, 0.95) == expected
    closer = sequential.seeds_needed(0.7, 0.7 * math.exp(-z * se), 0.7 * math.exp(z * se), 10, 0.75, 0.95)
    assert closer > expected
    assert sequential.seeds_needed(0.75, 0.5, 1.1, 10, 0.75, 0.95) == math.inf
    assert math.isnan(sequential.seeds_needed(0.6, math.nan, math.nan, 10, 0.75, 0.95))
