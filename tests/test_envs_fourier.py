"""The Fourier basis (norm, count, formula), the softmax actor's probabilities, and compiled evaluation
against gymnasium's own rollouts: a uniform-random policy (two-sample test) and an always-left policy
(exact, from the same start state)."""

import gymnasium
import numpy as np
import pytest
from scipy import stats

from a3c_theory.envs import cartpole, fourier
from a3c_theory.errors import ValidationError

FALSE_ALARM = 1e-3
"""Level of the two-sample test (seeded, so the outcome is fixed; this is its rate over seeds)."""


def _random_states(n, seed):
    """States inside and far outside the scaling box (the velocities are unbounded)."""
    return np.random.default_rng(seed).uniform(-2.0, 2.0, size=(n, 4)) * np.array([2.4, 5.0, 0.21, 6.0])


@pytest.mark.parametrize("order", [0, 1, 2, 3, 5])
def test_feature_count_norm_and_formula(order):
    coeffs = fourier.coefficients(order)
    assert coeffs.shape == ((order + 1) ** 4, 4) and not coeffs[0].any()
    for state in _random_states(200, seed=order):
        phi = fourier.features(state, order)
        assert np.linalg.norm(phi) <= 1.0 + 1e-12
        scaled = (np.clip(state, fourier.SCALE_LOW, fourier.SCALE_HIGH) - fourier.SCALE_LOW) / (
            fourier.SCALE_HIGH - fourier.SCALE_LOW)
        np.testing.assert_allclose(phi, np.cos(np.pi * coeffs @ scaled) / np.sqrt(len(coeffs)), atol=1e-14)


def test_norm_is_attained_at_the_box_corner():
    phi = fourier.features(fourier.SCALE_LOW, 2)  # ŝ = 0: every cosine is 1
    assert np.linalg.norm(phi) == pytest.approx(1.0, abs=1e-14)


def test_left_probability_is_the_softmax():
    order = 2
    theta = np.random.default_rng(0).normal(size=(2, 81)) * 5
    for state in _random_states(50, seed=9):
        phi = fourier.features(state, order)
        logits = theta @ phi
        expected = np.exp(logits[0] - logits.max()) / np.exp(logits - logits.max()).sum()
        assert fourier.left_probability(theta.ravel(), phi) == pytest.approx(expected, rel=1e-12)
    assert fourier.left_probability(np.array([0.0, 1e4]), np.ones(1)) == 0.0  # no overflow NaN


def _gym_returns(policy, episodes, seed):
    env = gymnasium.make("CartPole-v1")
    rng = np.random.default_rng(seed)
    out = []
    for episode in range(episodes):
        env.reset(seed=seed + episode)
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(policy(rng))
            total += reward
            done = terminated or truncated
        out.append(total)
    return np.array(out)


def test_uniform_random_policy_return_matches_gymnasium_rollouts():
    ours = fourier.evaluate(np.zeros((2, 16)), order=1, episodes=2000, seed=3)
    theirs = _gym_returns(lambda rng: int(rng.integers(2)), 2000, seed=4)
    assert 18.0 < ours.estimate.value < 27.0  # about 22 steps under random play
    assert ours.estimate.lo < ours.estimate.value < ours.estimate.hi
    assert stats.ttest_ind(ours.returns, theirs, equal_var=False).pvalue > FALSE_ALARM


def test_always_left_policy_return_equals_gymnasium_from_the_same_start():
    order = 1
    theta = np.zeros((2, 16))
    theta[0, 0] = 1e3 * 4.0  # l_0 = 1e3 (φ_0 = 1/√16): π(0 | s) = 1 exactly
    env = gymnasium.make("CartPole-v1")
    for seed in range(30):
        ours = fourier.evaluate(theta, order, episodes=2, seed=seed).returns[0]
        env.reset()
        env.unwrapped.state = cartpole.reset(seed)  # the first draw of the same stream
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(0)
            total += reward
            done = terminated or truncated
        assert ours == total


def test_evaluation_is_seeded():
    theta = np.random.default_rng(1).normal(size=(2, 16))
    a = fourier.evaluate(theta, 1, 50, seed=5).returns
    np.testing.assert_array_equal(a, fourier.evaluate(theta, 1, 50, seed=5).returns)
    assert a.max() <= cartpole.MAX_EPISODE_STEPS


@pytest.mark.parametrize("kwargs, message", [
    (dict(order=-1), "^order: must lie in \\[0, 8\\]"), (dict(order=9), "^order: "),
    (dict(theta=np.zeros((2, 15))), "^theta: must have shape \\(2, 16\\)"),
    (dict(theta=np.full((2, 16), np.nan)), "^theta: contains NaN"),
    (dict(episodes=1), "^episodes: must lie in \\[2, inf\\]"), (dict(seed=-3), "^seed: "),
])
def test_bad_evaluation_input_is_refused(kwargs, message):
    args = dict(theta=np.zeros((2, 16)), order=1, episodes=10, seed=0) | kwargs
    with pytest.raises(ValidationError, match=message):
        fourier.evaluate(**args)
