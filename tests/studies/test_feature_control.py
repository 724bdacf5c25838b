"""studies.feature_control on synthetic runs where one-hot and random features close the same share of the
gap: the verdict is "not an ε_app floor" only when one-hot features close (nearly) all of it."""

import pytest

from a3c_theory.errors import ValidationError
from a3c_theory.studies import feature_control
from a3c_theory.studies.study import Results
from synthetic import runs


def test_equal_features_close_the_same_gap():
    results = Results("feature_control", "t", runs(**{"problem.critic_features": ["random", "one_hot"]}),
                      feature_control.Settings(), cores=2)
    summary = feature_control.summarise(results)
    assert summary.closed["one_hot"].value == pytest.approx(summary.closed["random"].value)
    assert summary.difference.value == pytest.approx(0.0, abs=1e-12)
    assert feature_control.claims(summary)[0].verdict == feature_control.verdict(summary)


def test_it_needs_both_feature_kinds():
    results = Results("feature_control", "t", runs(**{"problem.critic_features": ["random"]}),
                      feature_control.Settings(), cores=2)
    with pytest.raises(ValidationError, match="runs.problem.critic_features"):
        feature_control.summarise(results)


def test_artifact_is_a_string():
    with pytest.raises(ValidationError, match="artifact: must be a string"):
        feature_control.Settings(artifact=1)
