"""studies.rates on synthetic runs: avg ‖∇J‖² = 1e-2 (1 + K)^-0.4 exactly, so every fitted slope is -0.4
(the K^{-2/5} of Corollary 1); and its Settings."""

import pytest

from a3c_theory.errors import ValidationError
from a3c_theory.studies import rates
from a3c_theory.studies.study import Results
from synthetic import runs


def test_the_slope_of_the_running_average_is_the_synthetic_exponent():
    results = Results("rates", "t", runs(workers=[1, 4], sampling=["iid", "markov"]), rates.Settings(), cores=2)
    summary = rates.summarise(results)
    assert summary.groups == (("iid",), ("markov",)) and summary.workers == (1, 4)
    slopes = summary.slopes
    assert not slopes.empty
    grad = [f for f in summary.fits if "grad" in str(f.metric)]
    assert grad and all(f.slope.value == pytest.approx(-0.4, abs=0.02) for f in grad)
    assert rates.claims(summary) and rates.numbers(summary)


def test_panel_by_is_a_tuple_of_columns_and_decades_positive():
    assert rates.Settings(panel_by=["sampling", "workers"]).panel_by == ("sampling", "workers")
    with pytest.raises(ValidationError, match="decades: must lie in"):
        rates.Settings(decades=0)
    with pytest.raises(ValidationError, match="panel_by: must be a list of at least 1 str"):
        rates.Settings(panel_by=[])
