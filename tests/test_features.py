"""Critic and actor features: the norm bound, full rank, shapes, seeding."""

import numpy as np
import pytest

from a3c_theory import features as F
from a3c_theory.errors import ValidationError


def _field_error(fn, *args):
    with pytest.raises(ValidationError) as info:
        fn(*args)
    return info.value


def test_norm_above_one_rejected_naming_the_state():
    Phi = np.full((4, 2), 0.5)
    Phi[2] = [0.8, 0.7]  # norm 1.063
    err = _field_error(F.check_critic_features, Phi)
    assert err.field == "critic_features" and "φ(2)" in str(err) and "exceeds 1" in str(err)


def test_norm_slack_is_rounding_only():
    Phi = np.eye(3)
    Phi[0, 0] = 1.0 + 1e-13  # within NORM_TOL = 1e-12
    F.check_critic_features(Phi)
    Phi[0, 0] = 1.0 + 1e-9
    assert _field_error(F.check_critic_features, Phi).field == "critic_features"


def test_rank_deficient_rejected():
    Phi = np.array([[0.5, 0.5], [0.2, 0.2], [0.1, 0.1]])
    err = _field_error(F.check_critic_features, Phi)
    assert err.field == "critic_features" and "rank 2" in str(err) and "got rank 1" in str(err)


def test_shape_and_nan_rejected():
    assert "3 rows" in str(_field_error(F.check_critic_features, np.eye(2), 3))
    assert "dimension" in str(_field_error(F.check_critic_features, np.ones(3) * 0.1))
    bad = np.eye(3)
    bad[1, 1] = np.nan
    assert "NaN" in str(_field_error(F.check_critic_features, bad))


def test_random_features_scaled_full_rank_and_seeded():
    Phi = F.random_features(5, 30, 6)
    norms = np.linalg.norm(Phi, axis=1)
    assert norms.max() == pytest.approx(1.0, abs=1e-15) and np.all(Phi >= 0)
    assert np.linalg.matrix_rank(Phi) == 6
    np.testing.assert_array_equal(Phi, F.random_features(5, 30, 6))
    assert not np.array_equal(Phi, F.random_features(6, 30, 6))
    assert _field_error(F.random_features, 0, 5, 6).field == "feature_dim"


def test_one_hot_and_actor_features():
    np.testing.assert_array_equal(F.one_hot(3), np.eye(3))
    A = F.random_actor_features(1, 7, 3, 4)
    assert A.shape == (7, 3, 4)
    assert _field_error(F.random_actor_features, 1, 7, 3, 0).field == "actor_dim"
