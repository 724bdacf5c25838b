"""The rates study: the bound rate of Theorems 1-2's terms, local slopes on exact power laws, and verdicts that
come out "contradicted" on a decay slower than the bound."""

import re

import numpy as np
import pandas as pd
import pytest

from a3c_theory.errors import ValidationError
from a3c_theory.studies import rates
from a3c_theory.studies.stats import Estimate
from a3c_theory.studies.study import Results

K = np.unique(np.geomspace(1, 1e6, 61).round())


def power_law_runs(exponents: dict, seeds: int = 4) -> pd.DataFrame:
    """Runs whose running average decays as K^(−p) for (σ_α, λ) -> p, with ±2% seed-to-seed level noise;
    the instantaneous gradient decays at the same rate."""
    rows = []
    for (sigma_alpha, lam), p in exponents.items():
        for seed in range(seeds):
            y = (1 + 0.02 * (seed - 1.5)) * K ** -p
            avg, inst = rates.AVERAGE[int(lam > 0)], rates.INSTANT[int(lam > 0)]
            run = pd.DataFrame({"run_id": f"{sigma_alpha}-{lam}-{seed}", "seed": seed, "samples": K,
                                "algorithm.sigma_alpha": sigma_alpha, "algorithm.sigma_beta": 0.4, "lam": lam})
            for metric in (*rates.AVERAGE.values(), *rates.INSTANT.values()):
                run[metric] = y if metric in (avg, inst) else 1.0
            rows.append(run)
    return pd.concat(rows, ignore_index=True)


def summary(exponents: dict) -> rates.Summary:
    return rates.summarise(Results("rates", "t", power_law_runs(exponents), rates.Settings()))


def test_bound_rate_is_the_slowest_term_and_needs_sigma_beta_below_sigma_alpha():
    assert rates.bound_rate(0.6, 0.4) == pytest.approx(0.4)
    assert rates.bound_rate(0.5, 0.4) == pytest.approx(0.2)
    assert rates.bound_rate(0.8, 0.4) == pytest.approx(0.2)
    with pytest.raises(ValidationError, match="sigma_alpha"):
        rates.bound_rate(0.4, 0.4)


def test_local_slopes_recover_an_exact_power_law_in_every_window():
    s = summary({(0.6, 0.0): 0.55})
    avg = s.slopes[s.slopes["metric"] == "avg_grad_norm_sq"]
    assert len(avg) > 10 and avg["K"].min() >= 10
    np.testing.assert_allclose(avg["slope"], -0.55, atol=1e-9)


def test_a_decay_slower_than_the_bound_is_contradicted_and_a_faster_one_is_not():
    slow = {c.claim: c.verdict for c in rates.claims(summary({(0.6, 0.0): 0.1}))}
    assert list(slow.values()) == [rates.CONTRADICTED]
    fast = {c.claim: c.verdict for c in rates.claims(summary({(0.6, 0.0): 0.7, (0.8, 0.0): 0.25}))}
    assert list(fast.values()) == [rates.CONSISTENT, rates.CONSISTENT]
    assert rates.rate_verdict(Estimate(-0.3, -0.45, -0.15, 5), 0.4) == rates.CONSISTENT  # interval reaches −0.4
    assert "still steepening" not in rates.claims(summary({(0.6, 0.0): 0.7}))[0].number


def test_a_decay_that_steepens_late_says_where_the_check_read_contradicted():
    table = power_law_runs({(0.6, 0.0): 0.1})
    late = table["samples"] > 1e4
    table.loc[late, "avg_grad_norm_sq"] *= (table.loc[late, "samples"] / 1e4) ** -0.8
    claim = rates.claims(rates.summarise(Results("rates", "t", table, rates.Settings())))[0]
    assert claim.verdict == rates.CONSISTENT
    reported = float(re.search(r"up to K = ([0-9.e+]+)", claim.number).group(1))
    assert 1e4 < reported < 1e5  # windows [K/10, K] that reach past the kink at 1e4 but still average above −0.4


def test_noise_check_needs_the_regularised_slope_to_track_minus_sigma_alpha_at_two_exponents():
    def verdict(exponents):
        return [c.verdict for c in rates.claims(summary(exponents)) if c.artifact == "What sets the rate"]

    assert verdict({(0.5, 1.0): 0.5, (0.6, 1.0): 0.6, (0.6, 0.0): 0.3}) == [rates.NOISE]
    assert verdict({(0.5, 1.0): 0.5, (0.6, 1.0): 1.7}) == [rates.NOT_SHOWN]  # one exponent not tracked
    assert verdict({(0.6, 1.0): 0.6}) == [rates.NOT_SHOWN]  # a single exponent cannot show tracking
    assert verdict({(0.6, 0.0): 0.6}) == []  # no regularised runs: no claim


def test_window_setting_is_checked():
    with pytest.raises(ValidationError, match="window_decades"):
        rates.Settings(window_decades=0)


def test_noise_tracking_allows_the_stated_tolerance_only():
    near = [(0.5, Estimate(-0.53, -0.58, -0.49, 5)), (0.6, Estimate(-0.64, -0.66, -0.62, 5))]
    assert rates.noise_verdict(near) == rates.NOISE
    wide = [(0.5, Estimate(-0.53, -0.75, -0.3, 5)), (0.6, Estimate(-0.64, -0.66, -0.62, 5))]
    assert rates.noise_verdict(wide) == rates.NOT_SHOWN  # an interval too wide to say it tracks
