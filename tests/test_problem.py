"""Problem bundles: defaults, validation of every part (errors name the field), the paper and garnet instances."""

import numpy as np
import pytest

from a3c_theory import features as F
from a3c_theory import mdp as M
from a3c_theory import policy as P
from a3c_theory.errors import ValidationError
from a3c_theory.problem import Problem, garnet_problem, paper_problem


@pytest.fixture(scope="module")
def small_mdp():
    return M.paper_mdp(0, 6, 3)


def _error(**kwargs):
    with pytest.raises(ValidationError) as info:
        Problem.make(**kwargs)
    return info.value


def test_defaults(small_mdp):
    prob = Problem.make(small_mdp, F.random_features(1, 6, 2))
    assert prob.policy.is_tabular and prob.policy.dim == 18
    np.testing.assert_allclose(prob.prior_policy, 1 / 3)
    np.testing.assert_array_equal(prob.prior_states, small_mdp.eta)
    assert prob.critic_dim == 2


def test_bad_prior_policy(small_mdp):
    Phi = F.random_features(1, 6, 2)
    err = _error(mdp=small_mdp, critic_features=Phi, prior_policy=np.full((6, 2), 0.5))
    assert err.field == "prior_policy" and "shape" in str(err)
    bad = np.full((6, 3), 1 / 3)
    bad[4] = [0.5, 0.6, -0.1]
    err = _error(mdp=small_mdp, critic_features=Phi, prior_policy=bad)
    assert err.field == "prior_policy" and "probability" in str(err)
    bad = np.full((6, 3), 0.3)
    assert _error(mdp=small_mdp, critic_features=Phi, prior_policy=bad).field == "prior_policy"
    bad = np.full((6, 3), 1 / 3)
    bad[0, 0] = np.nan
    assert _error(mdp=small_mdp, critic_features=Phi, prior_policy=bad).field == "prior_policy"


def test_bad_prior_states(small_mdp):
    Phi = F.random_features(1, 6, 2)
    err = _error(mdp=small_mdp, critic_features=Phi, prior_states=np.full(6, 0.2))
    assert err.field == "prior_states" and "sum to 1" in str(err)
    err = _error(mdp=small_mdp, critic_features=Phi, prior_states=np.full(5, 0.2))
    assert err.field == "prior_states" and "shape" in str(err)


def test_bad_critic_features_and_policy(small_mdp):
    err = _error(mdp=small_mdp, critic_features=np.ones((6, 2)) * 0.1)
    assert err.field == "critic_features" and "rank" in str(err)
    err = _error(mdp=small_mdp, critic_features=np.ones((5, 1)) * 0.1)
    assert err.field == "critic_features" and "6 rows" in str(err)
    err = _error(mdp=small_mdp, critic_features=np.eye(6), policy=P.tabular(6, 4))
    assert err.field == "policy" and "6 x 3" in str(err)


def test_paper_problem_is_the_paper_instance_and_seeded():
    a, b, c = paper_problem(3), paper_problem(3), paper_problem(4)
    assert (a.mdp.n_states, a.mdp.n_actions, a.critic_dim) == (100, 5, 10)
    assert a.policy.is_tabular and a.mdp.gamma == 0.9
    np.testing.assert_array_equal(a.mdp.prob, b.mdp.prob)
    np.testing.assert_array_equal(a.critic_features, b.critic_features)
    assert not np.array_equal(a.mdp.prob, c.mdp.prob)
    assert np.linalg.norm(a.critic_features, axis=1).max() <= 1.0 + 1e-12


def test_garnet_problem():
    g = garnet_problem(1, 50, 3, 4, feature_dim=5, gamma=0.8, locality=5)
    assert (g.mdp.n_states, g.mdp.n_actions, g.critic_dim, g.mdp.gamma) == (50, 3, 5, 0.8)
    assert g.mdp.indptr[-1] == 50 * 3 * 4
