"""A chain with a myopic trap: the action that pays now leads away from a large delayed reward.

States ``0..n−1`` on a line, two actions. ``LEFT`` (action 0) pays ``small_reward`` at once and moves one
step left; ``RIGHT`` (action 1) pays nothing and moves one step right. Every step taken at the right end
``n−1`` pays ``large_reward`` (whichever action), and ``RIGHT`` stays there. Each move goes the other way with probability ``slip``
(a move past an end stays put), and with probability ``restart`` the next state is drawn from ``η``
instead (default: uniform) — so every state is recurrent under every policy and ``μ_θ`` is positive:

    P[s, a, ·] = (1 − restart) ((1 − slip) e_{move(s, a)} + slip e_{move(s, 1−a)}) + restart η,
    r(s, a) = small_reward · 1[a = LEFT] + large_reward · 1[s = n−1].

What makes it hard: the greedy-reward policy ``argmax_a r̄(s, a)`` takes ``LEFT`` everywhere, the right end included
(there ``LEFT`` pays both rewards), and so walks away from the large reward. With ``large_reward`` large enough the optimal policy goes
right, the greedy one is strictly suboptimal and the myopia ``(J(greedy) − J(θ_0)) / (J* − J(θ_0))`` is
below 0: a stale gradient computed where the immediate reward dominates points the wrong way. Moving the
large reward further away (a longer chain) lowers the myopia further, since reaching it takes more steps
of forgone small rewards. Measured with ``a3c_theory.instances.diagnose`` at θ_0 = 0 (uniform policy),
γ = 0.9, slip 0.1, restart 0.05, rewards 0.1 / 1: n = 6 gives myopia −0.18; the test suite checks that
the myopia decreases with n. The chain has no randomness: ``seed`` is not needed.
"""

import numpy as np

from ..errors import ValidationError
from ..mdp import FiniteMDP
from ..validate import positive_int, probability_vector

LEFT, RIGHT = 0, 1


def _probability(field: str, value, low_open: bool = False) -> float:
    x = float(value)
    if not (0.0 <= x <= 1.0) or (low_open and x == 0.0):
        interval = "(0, 1]" if low_open else "[0, 1]"
        raise ValidationError(field, f"must lie in {interval}, got {value!r}")
    return x


def trap_chain(n_states: int = 6, slip: float = 0.1, restart: float = 0.05, small_reward: float = 0.1,
               large_reward: float = 1.0, gamma: float = 0.9, eta=None) -> FiniteMDP:
    """The trap chain of the module docstring (dense ``(n, 2, n)`` transition, reward table ``r(s, a)``)."""
    n = positive_int("n_states", n_states, minimum=2)
    slip = _probability("slip", slip)
    restart = _probability("restart", restart)
    for field, x in (("small_reward", small_reward), ("large_reward", large_reward)):
        if not np.isfinite(x):
            raise ValidationError(field, f"must be a finite number, got {x!r}")
    eta = probability_vector("eta", np.full(n, 1.0 / n) if eta is None else eta, n)
    states = np.arange(n)
    left, right = np.maximum(states - 1, 0), np.minimum(states + 1, n - 1)
    right[n - 1] = n - 1
    P = np.zeros((n, 2, n))
    for a, (go, back) in enumerate(((left, right), (right, left))):
        np.add.at(P, (states, a, go), (1.0 - restart) * (1.0 - slip))
        np.add.at(P, (states, a, back), (1.0 - restart) * slip)
    P += restart * eta[None, None, :]
    reward = np.zeros((n, 2))
    reward[:, LEFT] = small_reward
    reward[n - 1, :] += large_reward
    return FiniteMDP.from_dense(P, reward, gamma, eta)
