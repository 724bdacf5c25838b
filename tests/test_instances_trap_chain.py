"""The trap chain: deterministic, validated, and a trap (greedy-reward policy strictly suboptimal, myopia < 0)."""

import numpy as np
import pytest

from a3c_theory import exact
from a3c_theory import features as feats
from a3c_theory.errors import ValidationError
from a3c_theory.instances.diagnose import diagnose
from a3c_theory.instances.trap_chain import LEFT, RIGHT, trap_chain
from a3c_theory.problem import Problem


def _myopia(**kwargs) -> float:
    mdp = trap_chain(**kwargs)
    return diagnose(Problem.make(mdp, feats.one_hot(mdp.n_states))).myopia


def test_transition_and_reward_follow_the_definition():
    n, slip, restart = 5, 0.2, 0.1
    P = trap_chain(n, slip=slip, restart=restart, small_reward=0.3, large_reward=2.0).dense_P()
    eta = np.full(n, 1 / n)
    expected = restart * eta + (1 - restart) * ((1 - slip) * np.eye(n)[1] + slip * np.eye(n)[3])
    np.testing.assert_allclose(P[2, LEFT], expected, atol=1e-15)
    expected_end = restart * eta + (1 - restart) * ((1 - slip) * np.eye(n)[4] + slip * np.eye(n)[3])
    np.testing.assert_allclose(P[4, RIGHT], expected_end, atol=1e-15)
    r = trap_chain(n, slip=slip, restart=restart, small_reward=0.3, large_reward=2.0).expected_reward()
    np.testing.assert_allclose(r[:, LEFT], [0.3, 0.3, 0.3, 0.3, 2.3])
    np.testing.assert_allclose(r[:, RIGHT], [0, 0, 0, 0, 2.0])


def test_deterministic():
    a, b = trap_chain(7), trap_chain(7)
    for name in ("indptr", "next_state", "prob", "reward", "eta"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@pytest.mark.parametrize("kwargs, field", [({"slip": 1.5}, "slip"), ({"restart": -0.1}, "restart"),
                                           ({"n_states": 1}, "n_states"), ({"large_reward": np.nan}, "large_reward"),
                                           ({"gamma": 1.0}, "gamma")])
def test_bad_parameters_are_rejected(kwargs, field):
    with pytest.raises(ValidationError, match=f"^{field}:"):
        trap_chain(**kwargs)


def test_greedy_reward_policy_is_strictly_suboptimal_and_a_trap():
    mdp = trap_chain(6)
    greedy = np.zeros((6, 2))
    greedy[np.arange(6), mdp.expected_reward().argmax(axis=1)] = 1.0
    assert np.all(greedy[:, LEFT] == 1.0)  # LEFT everywhere, the right end included
    assert exact.objective(mdp, greedy) < exact.optimal_objective(mdp) - 0.1
    assert _myopia(n_states=6) < 0


def test_myopia_falls_as_the_large_reward_grows():
    values = [_myopia(n_states=6, large_reward=L) for L in (0.5, 1.0, 2.0, 4.0)]
    assert all(a > b for a, b in zip(values, values[1:])), values
