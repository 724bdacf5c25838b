"""The compiled one-worker TD(0) actor-critic on CartPole: one transition against a NumPy transcription
(interior, terminal: target r alone and a restart, truncation at 500: bootstrap and a restart), the
critic's projection, and a seeded run that reaches gymnasium's threshold of 475."""

import gymnasium
import numpy as np
import pytest

from a3c_theory.engine import rng
from a3c_theory.envs import actor_critic, cartpole, fourier
from a3c_theory.errors import ValidationError

ORDER, GAMMA, ALPHA, BETA = 1, 0.9, 0.3, 0.7


def _expected_step(theta, omega, carry, states, radius):
    """The module's equations in NumPy for one transition; returns (theta, omega, carry)."""
    draws = states.copy()
    u = np.empty(5)
    rng.fill_uniform(draws, 0, u)  # u[0]: the action; u[1:5]: a restart's start state
    phi = fourier.features(carry[:4], ORDER)
    logits = theta @ phi
    pi = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    action = 0 if u[0] < pi[0] else 1
    nxt, reward, terminated = cartpole.step(carry[:4], action)
    v_next = 0.0 if terminated else omega @ fourier.features(nxt, ORDER)
    delta = reward + GAMMA * v_next - omega @ phi
    score = -pi[:, None] * phi[None, :]
    score[action] += phi
    theta = theta + ALPHA * delta * score
    omega = omega + BETA * delta * phi
    omega = omega * min(1.0, radius / np.linalg.norm(omega))
    t = carry[4] + 1
    if terminated or t >= cartpole.MAX_EPISODE_STEPS:
        return theta, omega, np.append(-0.05 + 0.1 * u[1:5], 0.0)
    return theta, omega, np.append(nxt, t)


@pytest.mark.parametrize("start, t, radius", [
    ([0.01, -0.2, 0.03, 0.1], 17, 1e3),    # interior
    ([0.01, 0.0, 0.2094, 1.0], 3, 1e3),    # terminal: θ leaves ±12°
    ([0.01, -0.2, 0.03, 0.1], 499, 1e3),   # the 500th step: truncated, bootstraps
    ([0.01, -0.2, 0.03, 0.1], 17, 0.5),    # the projection binds
])
def test_one_transition_matches_numpy_transcription(start, t, radius):
    gen = np.random.default_rng(0)
    theta, omega = gen.normal(size=(2, 16)), gen.normal(size=16)
    carry = np.append(start, float(t))
    states = rng.seed_states(np.random.SeedSequence(4), 1)
    expected = _expected_step(theta, omega, carry, states, radius)
    actor_critic.td0_chunk(theta, omega, fourier.coefficients(ORDER), states, carry, 1, ALPHA, BETA, GAMMA,
                           radius)
    for got, want in zip((theta, omega, carry), expected):
        np.testing.assert_allclose(got, want, rtol=0.0, atol=1e-12)


def test_terminal_case_is_terminal_and_truncation_case_is_not():
    _, reward, terminated = cartpole.step([0.01, 0.0, 0.2094, 1.0], 1)
    assert terminated and reward == 1.0
    assert not cartpole.step([0.01, -0.2, 0.03, 0.1], 0)[2]


def test_seeded_run_reaches_the_threshold():
    """Order 3, α = β = 0.5, γ = 0.99: the exploration's choice; 20 evaluation episodes per snapshot."""
    run = actor_critic.train(3, 0.5, 0.5, 0.99, 1e3, horizon=20000, snapshots=4, eval_episodes=20, seed=0)
    assert run.mean[0] < 50  # θ = 0: the uniform policy
    assert run.running_average(2) >= 475
    assert np.all(run.lo <= run.mean) and np.all(run.mean <= run.hi)
    # the learned actor, run on gymnasium's own environment from gymnasium's start states
    env, gen, returns = gymnasium.make("CartPole-v1"), np.random.default_rng(1), []
    for episode in range(20):
        env.reset(seed=100 + episode)
        total, done = 0.0, False
        while not done:
            p_left = fourier.left_probability(run.theta, fourier.features(env.unwrapped.state, 3))
            _, reward, terminated, truncated, _ = env.step(0 if gen.random() < p_left else 1)
            total, done = total + reward, terminated or truncated
        returns.append(total)
    assert np.mean(returns) >= 475


@pytest.mark.parametrize("kwargs, message", [
    (dict(alpha=0.0), "^alpha: must be > 0"), (dict(beta=-1.0), "^beta: "), (dict(radius=0.0), "^radius: "),
    (dict(gamma=1.0), "^gamma: must lie in the open interval"), (dict(horizon=0), "^horizon: "),
    (dict(snapshots=200), "^snapshots: must lie in \\[1, 100\\]"), (dict(order=9), "^order: "),
])
def test_bad_training_input_is_refused(kwargs, message):
    args = dict(order=1, alpha=0.1, beta=0.1, gamma=0.99, radius=10.0, horizon=100, snapshots=2,
                eval_episodes=2, seed=0) | kwargs
    with pytest.raises(ValidationError, match=message):
        actor_critic.train(**args)
