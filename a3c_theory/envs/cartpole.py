"""gymnasium CartPole-v1's dynamics, compiled (``@njit(cache=True, nogil=True)``).

The state is ``s = (x, ẋ, θ, θ̇)`` in float64. One step with force ``F = +10`` (action 1) or ``−10``
(action 0), gymnasium's constants (g = 9.8, cart mass 1.0, pole mass 0.1, half-length 0.5, τ = 0.02 s)
and its explicit Euler integrator (``kinematics_integrator = "euler"``)::

    temp  = (F + m_p l θ̇² sin θ) / (m_c + m_p)
    θ̈     = (g sin θ − cos θ · temp) / (l (4/3 − m_p cos²θ / (m_c + m_p)))
    ẍ     = temp − m_p l θ̈ cos θ / (m_c + m_p)
    (x, ẋ, θ, θ̇) ← (x + τ ẋ, ẋ + τ ẍ, θ + τ θ̇, θ̇ + τ θ̈)

evaluated in gymnasium's operation order, so the next state matches gymnasium's float64 state to
rounding (sin/cos come from a different libm; the test asks 1e-12). The transition is **terminal** when
``|x| > 2.4`` or ``|θ| > 12 · 2π/360`` after the step; every step, the terminal one included, pays
reward 1. The start law is ``U(−0.05, 0.05)`` on each component.

**Truncation is the caller's.** ``step`` knows no time: the caller counts steps and, when the
:data:`MAX_EPISODE_STEPS`-th step of an episode is not terminal, ends the episode as *truncated*
(gymnasium's ``TimeLimit``). A truncated transition is not terminal: its value goes on (TD targets
bootstrap there).

**Random numbers.** :func:`reset` seeds one xoshiro256+ stream (:mod:`a3c_theory.engine.rng`) from
``numpy.random.SeedSequence(seed)`` and draws ``x_i = −0.05 + 0.1 u_i`` for ``i = 0..3``, the same
compiled draw the training and evaluation loops use. Its stream is **not** gymnasium's (PCG64): the
same seed gives a different start state than ``gymnasium.make("CartPole-v1").reset(seed=seed)``.
"""

import math

import numpy as np
from numba import njit

from ..engine import rng
from ..errors import ValidationError

GRAVITY = 9.8
MASSCART = 1.0
MASSPOLE = 0.1
TOTAL_MASS = MASSPOLE + MASSCART
LENGTH = 0.5
"""Half the pole's length (gymnasium's ``length``)."""
POLEMASS_LENGTH = MASSPOLE * LENGTH
FORCE_MAG = 10.0
TAU = 0.02
THETA_THRESHOLD = 12 * 2 * math.pi / 360
X_THRESHOLD = 2.4
RESET_HIGH = 0.05
"""Start law ``U(−RESET_HIGH, RESET_HIGH)`` on each of the four components."""
REWARD = 1.0
MAX_EPISODE_STEPS = 500
"""CartPole-v1's time limit: the caller truncates (non-terminal) after this many steps."""
N_ACTIONS = 2
STATE_DIM = 4


@njit(cache=True, nogil=True)
def step_scalars(x, x_dot, theta, theta_dot, action):
    """One Euler step from ``(x, ẋ, θ, θ̇)`` with ``action ∈ {0, 1}``: ``(x', ẋ', θ', θ̇', terminated)``."""
    force = FORCE_MAG if action == 1 else -FORCE_MAG
    costheta = math.cos(theta)
    sintheta = math.sin(theta)
    temp = (force + POLEMASS_LENGTH * (theta_dot * theta_dot) * sintheta) / TOTAL_MASS
    thetaacc = (GRAVITY * sintheta - costheta * temp) / (
        LENGTH * (4.0 / 3.0 - MASSPOLE * (costheta * costheta) / TOTAL_MASS))
    xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
    x = x + TAU * x_dot
    x_dot = x_dot + TAU * xacc
    theta = theta + TAU * theta_dot
    theta_dot = theta_dot + TAU * thetaacc
    terminated = x < -X_THRESHOLD or x > X_THRESHOLD or theta < -THETA_THRESHOLD or theta > THETA_THRESHOLD
    return x, x_dot, theta, theta_dot, terminated


@njit(cache=True, nogil=True)
def initial_scalars(s0, s1, s2, s3):
    """A start state ``U(−0.05, 0.05)^4`` from a xoshiro stream: ``(x, ẋ, θ, θ̇, s0, s1, s2, s3)``."""
    u, s0, s1, s2, s3 = rng.uniform(s0, s1, s2, s3)
    x = -RESET_HIGH + 2.0 * RESET_HIGH * u
    u, s0, s1, s2, s3 = rng.uniform(s0, s1, s2, s3)
    x_dot = -RESET_HIGH + 2.0 * RESET_HIGH * u
    u, s0, s1, s2, s3 = rng.uniform(s0, s1, s2, s3)
    theta = -RESET_HIGH + 2.0 * RESET_HIGH * u
    u, s0, s1, s2, s3 = rng.uniform(s0, s1, s2, s3)
    theta_dot = -RESET_HIGH + 2.0 * RESET_HIGH * u
    return x, x_dot, theta, theta_dot, s0, s1, s2, s3


@njit(cache=True, nogil=True)
def reset_into(states, i, out):
    """Draw a start state from stream ``i`` of ``states`` (advancing it) into ``out[0:4]``."""
    s0, s1, s2, s3 = rng.load_state(states, i)
    out[0], out[1], out[2], out[3], s0, s1, s2, s3 = initial_scalars(s0, s1, s2, s3)
    rng.store_state(states, i, s0, s1, s2, s3)


def check_state(state) -> np.ndarray:
    """A finite float64 vector of length 4 (a copy), else a one-line ValidationError."""
    try:
        arr = np.array(state, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError("state", f"must be a finite float vector of length 4, got {state!r}") from None
    if arr.shape != (STATE_DIM,):
        raise ValidationError("state", f"must have shape (4,) = (x, x_dot, theta, theta_dot), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValidationError("state", "contains NaN or infinite entries")
    return arr


def check_action(action) -> int:
    """0 (push left) or 1 (push right), as an int."""
    if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)) or action not in (0, 1):
        raise ValidationError("action", f"must be 0 (left) or 1 (right), got {action!r}")
    return int(action)


def step(state, action) -> tuple[np.ndarray, float, bool]:
    """``(next_state, reward, terminated)`` by the compiled :func:`step_scalars` (truncation: see module)."""
    s = check_state(state)
    a = check_action(action)
    x, x_dot, theta, theta_dot, terminated = step_scalars(s[0], s[1], s[2], s[3], a)
    return np.array([x, x_dot, theta, theta_dot]), REWARD, bool(terminated)


def reset(seed: int) -> np.ndarray:
    """A start state from a xoshiro stream seeded by ``SeedSequence(seed)`` (not gymnasium's stream)."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError("seed", f"must be an integer >= 0, got {seed!r}")
    states = rng.seed_states(np.random.SeedSequence(int(seed)), 1)
    out = np.empty(STATE_DIM)
    reset_into(states, 0, out)
    return out
