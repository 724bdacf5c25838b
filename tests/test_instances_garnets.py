"""Sparse-reward garnets and the drift ring: seeded, validated, and with the trends their docstring states."""

import numpy as np
import pytest

from a3c_theory import exact
from a3c_theory import features as feats
from a3c_theory.errors import ValidationError
from a3c_theory.instances.diagnose import diagnose
from a3c_theory.instances.garnets import drift_ring, sparse_garnet
from a3c_theory.problem import Problem


def _diag(mdp):
    return diagnose(Problem.make(mdp, feats.random_features(1, mdp.n_states, 8)))


def test_seeded_and_deterministic():
    a, b = sparse_garnet(3, 40, 3, 3), sparse_garnet(3, 40, 3, 3)
    np.testing.assert_array_equal(a.reward, b.reward)
    np.testing.assert_array_equal(a.next_state, b.next_state)
    assert not np.array_equal(a.reward, sparse_garnet(4, 40, 3, 3).reward)
    c, d = drift_ring(3, 40, 3, 3, 2, 1), drift_ring(3, 40, 3, 3, 2, 1)
    np.testing.assert_array_equal(c.next_state, d.next_state)


def test_reward_is_paid_only_on_entering_a_goal():
    mdp = sparse_garnet(0, 100, 4, 3, reward_fraction=0.05)
    goals = np.unique(mdp.next_state[mdp.reward == 1.0])
    assert set(np.unique(mdp.reward)) == {0.0, 1.0} and goals.size <= 5
    assert np.all(np.isin(mdp.next_state, goals) == (mdp.reward == 1.0))


def test_ring_successors_lie_in_the_drifted_window():
    n, loc, drift = 50, 2, 3
    mdp = drift_ring(1, n, 2, 3, loc, drift)
    origin = np.repeat(np.arange(n), 2 * 3)  # 2 actions x branching 3 entries per state
    offset = (mdp.next_state - origin - drift) % n
    assert np.all((offset <= loc) | (offset >= n - loc))


@pytest.mark.parametrize("call, field", [(lambda: sparse_garnet(0, 20, 2, 2, reward_fraction=0.0), "reward_fraction"),
                                         (lambda: sparse_garnet(0, 20, 2, 2, distractor=-1.0), "distractor"),
                                         (lambda: drift_ring(0, 20, 2, 2, 0), "locality"),
                                         (lambda: drift_ring(0, 20, 2, 2, 1, drift=-1), "drift"),
                                         (lambda: drift_ring(0, 20, 2, 5, 1), "locality")])
def test_bad_parameters_are_rejected(call, field):
    with pytest.raises(ValidationError, match=f"^{field}:"):
        call()


def test_myopia_falls_with_fewer_goals_and_rises_with_the_distractor():
    for seed in range(3):
        few, many = (_diag(sparse_garnet(seed, 100, 4, 3, fraction)).myopia for fraction in (0.02, 0.3))
        assert few < many
        plain, distracted = (_diag(sparse_garnet(seed, 100, 4, 3, 0.02, dis)).myopia for dis in (0.0, 3.0))
        assert plain < distracted


def test_drift_ring_mixes_slowly_without_localising():
    for seed in range(3):
        still, drifting = drift_ring(seed, 120, 3, 3, 2, drift=0), drift_ring(seed, 120, 3, 3, 2, drift=1)
        pi = np.full((120, 3), 1 / 3)
        peak = [120 * exact.stationary_distribution(m, pi).max() for m in (still, drifting)]
        assert peak[1] < peak[0]
        assert _diag(drifting).lambda2_critic > 0.99
