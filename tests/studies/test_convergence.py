"""studies.convergence on synthetic runs (tests/studies/synthetic.py: every N needs the same samples, so
Speedup(N) = N exactly; threads halve the wall time from N = 2 on) and its Settings."""

import pytest

from a3c_theory import config
from a3c_theory.errors import ValidationError
from a3c_theory.studies import convergence
from a3c_theory.studies.study import Results
from synthetic import runs


def results(**settings) -> Results:
    return Results("fig1_iid", "t", runs(workers=[1, 2, 4], mode=["simulated", "threads"]),
                   convergence.Settings(**settings), configs=(config.from_dict({}).to_dict(),), cores=2)


def test_sample_speedup_is_n_and_the_iid_claim_is_consistent():
    summary = convergence.summarise(results())
    assert {n: est.value for n, est in summary.sample_speedup.items()} == pytest.approx({1: 1.0, 2: 2.0, 4: 4.0})
    assert summary.workers == (1, 2, 4) and summary.threads_workers == (1, 2, 4)
    verdicts = [c.verdict for c in convergence.claims(summary)]
    assert convergence.speedup_verdict(summary.sample_speedup, "i.i.d.") == "consistent"
    assert "consistent" in verdicts


def test_choices_are_listed_only_when_asked():
    assert convergence.summarise(results()).choices == ()
    items = [item for item, _ in convergence.summarise(results(describe_choices=True)).choices]
    assert "instance" in items


@pytest.mark.parametrize("given, field, text", [
    ({"target_fraction": 0.0}, "target_fraction", "must lie in (0, 1]"),
    ({"artifact": 3}, "artifact", "must be a string"),
    ({"describe_choices": "yes"}, "describe_choices", "must be true or false"),
])
def test_settings_name_the_field_and_the_allowed_values(given, field, text):
    with pytest.raises(ValidationError) as err:
        convergence.Settings(**given)
    assert err.value.field == field and text in str(err.value)
