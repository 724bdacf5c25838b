"""CartPole against gymnasium's CartPole-v1, step by step: gymnasium's float64 state goes back into
``step`` at every step (free-running trajectories part after a few hundred steps, the system being
unstable), next states to 1e-12, identical rewards and terminations, truncation at 500 by the caller."""

import gymnasium
import numpy as np
import pytest

from a3c_theory.envs import cartpole
from a3c_theory.errors import ValidationError

ATOL = 1e-12


def _balancing_action(state, rng, p_random):
    """Push towards the pole's fall (θ + θ̇/2 > 0 → right), replaced by a fair coin with probability p_random."""
    if rng.random() < p_random:
        return int(rng.integers(2))
    return int(state[2] + 0.5 * state[3] > 0.0)


def _compare_episodes(n_episodes, p_random, seed):
    """Run gymnasium episodes; at each step compare cartpole.step on gymnasium's state. Returns the
    number of terminated and truncated episodes and the number of steps compared."""
    env = gymnasium.make("CartPole-v1")
    rng = np.random.default_rng(seed)
    counts = {"terminated": 0, "truncated": 0, "steps": 0}
    for episode in range(n_episodes):
        env.reset(seed=seed + episode)
        for t in range(1, cartpole.MAX_EPISODE_STEPS + 1):
            state = env.unwrapped.state.astype(np.float64, copy=True)
            action = _balancing_action(state, rng, p_random)
            ours, reward, terminated = cartpole.step(state, action)
            _, gym_reward, gym_terminated, gym_truncated, _ = env.step(action)
            np.testing.assert_allclose(ours, env.unwrapped.state, rtol=0.0, atol=ATOL)
            assert reward == gym_reward
            assert terminated == gym_terminated
            assert gym_truncated == (t == cartpole.MAX_EPISODE_STEPS and not terminated)  # the caller's rule
            counts["steps"] += 1
            if terminated or gym_truncated:
                counts["terminated" if terminated else "truncated"] += 1
                break
    return counts


def test_uniform_random_actions_match_gymnasium_step_by_step():
    counts = _compare_episodes(300, p_random=1.0, seed=1)
    assert counts["terminated"] == 300
    assert counts["steps"] > 300 * 10  # random play lasts about 22 steps


def test_long_episodes_match_gymnasium_and_truncate_at_500():
    counts = _compare_episodes(20, p_random=0.3, seed=2)
    assert counts["truncated"] > 0 and counts["terminated"] > 0  # both endings are compared


def test_reset_is_seeded_and_uniform_on_the_start_box():
    starts = np.array([cartpole.reset(seed) for seed in range(2000)])
    assert np.all(np.abs(starts) < cartpole.RESET_HIGH)
    np.testing.assert_array_equal(cartpole.reset(7), cartpole.reset(7))
    # U(−0.05, 0.05): mean 0 and sd 0.1/√12 per component; 5-sigma bounds (false-alarm rate < 1e-5)
    sd = 2 * cartpole.RESET_HIGH / np.sqrt(12)
    assert np.all(np.abs(starts.mean(axis=0)) < 5 * sd / np.sqrt(len(starts)))
    assert np.all(np.abs(starts.std(axis=0) / sd - 1) < 0.05)


@pytest.mark.parametrize("action", [2, -1, 0.5, True, "1", None])
def test_bad_action_is_refused(action):
    with pytest.raises(ValidationError, match="^action: must be 0"):
        cartpole.step(np.zeros(4), action)


@pytest.mark.parametrize("state, message", [
    (np.zeros(3), "must have shape"), (np.zeros((2, 2)), "must have shape"), ("abcd", "must be a finite"),
    ([0.0, np.nan, 0.0, 0.0], "contains NaN or infinite"), ([0.0, 0.0, np.inf, 0.0], "contains NaN or infinite"),
])
def test_bad_state_is_refused(state, message):
    with pytest.raises(ValidationError, match=f"^state: {message}"):
        cartpole.step(state, 0)


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_bad_seed_is_refused(seed):
    with pytest.raises(ValidationError, match="^seed: "):
        cartpole.reset(seed)


def test_numpy_action_and_integer_state_are_accepted():
    state, reward, terminated = cartpole.step([0, 0, 0, 0], np.int64(1))
    assert state.dtype == np.float64 and reward == 1.0 and not terminated
