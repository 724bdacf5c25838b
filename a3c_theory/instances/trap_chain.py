"""A chain with a myopic trap: the action that pays now leads away from a large delayed reward.

States ``0..n−1`` on a line, two actions. ``LEFT`` (action 0) pays ``small_reward`` at once and moves one
step left; ``RIGHT`` (action 1) pays nothing and moves one step right. Every step taken at the right end
``n−1`` pays ``large_reward`` (whichever action), and ``RIGHT`` stays there. Each move goes the other way with probability ``slip``
(a move past an end stays put), and with probability ``restart`` the next state is drawn from ``η``
instead (default: uniform) — so every state is recurrent under every policy and ``μ_θ`` is positive:

    P[s, a, ·] = (1 − restart) ((1 − slip) e_{move(s, a)} + slip e_{move(s, 1−a)}) + restart η,
    r(s, a) = small_reward · 1[a = LEFT] + large_reward · 1[s = n−1].

What makes it hard: the greedy-reward policy ``argmax_a r̄(s, a)`` takes ``LEFT`` everywhere, the right end
included (there ``LEFT`` pays both rewards), and so walks away from the large reward: it is strictly
suboptimal and even worse than the uniform policy, so the myopia
``(J(greedy) − J(θ_0)) / (J* − J(θ_0))`` is below 0. A gradient step at a state where the immediate reward
dominates pushes towards ``LEFT``; only the critic's value of the right end, propagated back along the
chain (slowly, and more slowly the longer the chain), pulls the other way, so stale or badly sampled
gradients visibly change where learning goes.

Measured with ``a3c_theory.instances.diagnose`` at θ_0 = 0 (uniform policy), γ = 0.9, slip 0.1, restart
0.05, small reward 0.1, one-hot critic:

- large reward 1, n = 3, 4, 6, 8, 10, 14, 20: myopia −0.56, −0.38, −0.22, −0.15, −0.10, −0.03, +0.05;
  ``|λ₂(P_π)|`` rises with n (0.47 at n = 3, 0.82 at n = 6, 0.94 at n = 20).
- n = 6: the myopia falls as the large reward grows (−0.29 at large reward 3; the test suite checks the
  trend over 0.5, 1, 2, 4).

So moving the large reward further away (a longer chain) *raises* the myopia at a fixed γ: the uniform
policy reaches the far end less often, so ``J(θ_0)`` falls towards the greedy policy's value, and beyond
a few effective horizons ``1/(1−γ)`` the detour is no longer worth it and the greedy action becomes
optimal. The chain is most discriminating short (n ≈ 4–8) with a large reward well above the small one.
``η`` is uniform and the uniform policy is symmetric, so here ``μ_θ0 = d_θ0`` (TV 0): pass a concentrated
``eta`` (e.g. the left end) to make the two sampling laws differ. The chain has no randomness: it takes no
seed.
"""

import numpy as np

from ..errors import ValidationError
from ..mdp import FiniteMDP
from ..validate import positive_int, probability_vector

LEFT, RIGHT = 0, 1


def _probability(field: str, value) -> float:
    x = float(value)
    if not 0.0 <= x <= 1.0:
        raise ValidationError(field, f"must lie in [0, 1], got {value!r}")
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
    P = np.zeros((n, 2, n))
    for a, (go, back) in enumerate(((left, right), (right, left))):
        np.add.at(P, (states, a, go), (1.0 - restart) * (1.0 - slip))
        np.add.at(P, (states, a, back), (1.0 - restart) * slip)
    P += restart * eta[None, None, :]
    reward = np.zeros((n, 2))
    reward[:, LEFT] = small_reward
    reward[n - 1, :] += large_reward
    return FiniteMDP.from_dense(P, reward, gamma, eta)
