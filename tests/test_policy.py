"""Softmax policies: probabilities, score ψ = ∇ log π (checked against finite differences), score sums."""

import numpy as np
import pytest
from hypothesis import Phase, given, settings, strategies as st

from a3c_theory import policy as P
from a3c_theory.errors import ValidationError

NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
"""Failures are reported as drawn, unshrunk: shrinking these float-heavy examples can take minutes."""

FD_STEP = 1e-5
FD_TOL = 1e-8
"""Central differences of log π with step h: truncation h²/6·max|∂³ log π| ≤ h²/6·(2·max‖f‖)³ and
rounding ~ ε·|log π|/h. With ‖f‖ ≤ 3 here and |log π| ≲ 30 this is ≤ 4e-9 + 7e-10 < 1e-8."""


def _policy(kind, seed, nS, nA, dim):
    if kind == "tabular":
        return P.tabular(nS, nA)
    F = np.random.default_rng(seed).uniform(-1, 1, size=(nS, nA, dim))
    return P.linear(F)


def _log_pi(policy, theta, s, a):
    return np.log(policy.probabilities(theta)[s, a])


@settings(max_examples=40, deadline=None, phases=NO_SHRINK)
@given(kind=st.sampled_from(["tabular", "linear"]), seed=st.integers(0, 2**31), nS=st.integers(1, 5),
       nA=st.integers(2, 4), dim=st.integers(1, 5), scale=st.floats(0.0, 3.0))
def test_score_equals_finite_differences_of_log_pi(kind, seed, nS, nA, dim, scale):
    policy = _policy(kind, seed, nS, nA, dim)
    rng = np.random.default_rng(seed + 1)
    theta = scale * rng.normal(size=policy.dim)
    s, a = int(rng.integers(nS)), int(rng.integers(nA))
    fd = np.empty(policy.dim)
    for i in range(policy.dim):
        e = np.zeros(policy.dim)
        e[i] = FD_STEP
        fd[i] = (_log_pi(policy, theta + e, s, a) - _log_pi(policy, theta - e, s, a)) / (2 * FD_STEP)
    np.testing.assert_allclose(policy.score(theta, s, a), fd, rtol=0, atol=FD_TOL)


@settings(max_examples=30, deadline=None, phases=NO_SHRINK)
@given(kind=st.sampled_from(["tabular", "linear"]), seed=st.integers(0, 2**31))
def test_score_sum_is_weighted_sum_of_scores(kind, seed):
    policy = _policy(kind, seed, 4, 3, 5)
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=policy.dim)
    W = rng.normal(size=(4, 3))
    expected = sum(W[s, a] * policy.score(theta, s, a) for s in range(4) for a in range(3))
    np.testing.assert_allclose(policy.score_sum(theta, W), expected, rtol=1e-12, atol=1e-13)


def test_probabilities_are_stable_and_normalised():
    policy = P.tabular(2, 3)
    theta = np.array([1000.0, 0.0, -1000.0, 5.0, 5.0, 5.0])
    pi = policy.probabilities(theta)
    assert np.all(np.isfinite(pi))
    np.testing.assert_allclose(pi.sum(axis=1), 1.0, atol=1e-15)
    np.testing.assert_allclose(pi[1], 1 / 3)
    assert pi[0, 0] == 1.0
    np.testing.assert_allclose(P.uniform_policy(2, 4), 0.25)


def test_tabular_layout_is_s_times_nA_plus_b():
    policy = P.tabular(3, 2)
    theta = np.zeros(6)
    theta[2 * 2 + 1] = np.log(3.0)  # state 2, action 1
    np.testing.assert_allclose(policy.probabilities(theta)[2], [0.25, 0.75])


def test_bad_theta_and_features_rejected():
    with pytest.raises(ValidationError) as info:
        P.tabular(3, 2).probabilities(np.zeros(5))
    assert info.value.field == "theta" and "6 entries" in str(info.value)
    with pytest.raises(ValidationError) as info:
        P.tabular(3, 2).probabilities(np.full(6, np.nan))
    assert info.value.field == "theta"
    with pytest.raises(ValidationError) as info:
        P.linear(np.zeros((3, 2)))
    assert info.value.field == "actor_features"
    with pytest.raises(ValidationError) as info:
        P.tabular(0, 2)
    assert info.value.field == "n_states"
