"""Garnets with delayed (sparse) rewards, and a slowly mixing ring with a drift.

Both reuse the transition structure of :func:`a3c_theory.mdp.garnet` (``branching`` distinct successors per
``(s, a)`` with probabilities from a uniform random partition of [0, 1], drawn anywhere or from the ring
``s ± locality``) and replace its rewards by

    r(s, a, s') = 1[s' ∈ G] + distractor · u(s, a),   u(s, a) ~ U(0, 1),

where the goal set ``G`` holds ``max(1, round(reward_fraction · nS))`` states drawn without replacement.
The goal reward is delayed: an action is good when it leads *towards* ``G``, which the immediate reward
``r̄(s, a) = P(s' ∈ G | s, a) + distractor · u(s, a)`` sees only one step ahead. The distractor is an
immediate reward unrelated to ``G``.

How the diagnostics move (measured with :mod:`a3c_theory.instances.diagnose` at θ_0, γ = 0.9, 5 actions,
seeds 0–2; the numbers are in the README and the test suite checks the direction of each trend):

- ``sparse_garnet`` without locality mixes in a few steps (``|λ₂| ≈ 1/√branching``), so its hardness is the
  delay only. Myopia falls as ``reward_fraction`` falls (fewer goals: the greedy one-step look-ahead sees
  ``G`` from fewer states) and rises towards 1 as ``distractor`` grows (the immediate reward dominates).
- ``drift_ring``: successors of ``s`` lie in ``s + drift ± locality`` on a ring. ``|λ₂| → 1`` as
  ``nS / locality`` grows (mixing time ~ ``(nS / locality)²``), as in a local garnet; but a local garnet
  without drift *localises* (``μ_θ`` piles up on a few states, so Markovian sampling sees a small part of
  the chain and ``μ_θ`` is ill-conditioned), while the drift carries the chain round the ring, so
  ``μ_θ`` stays spread out (``nS · max_s μ_θ(s)`` stays small) and ``TV(μ_θ, d_θ)`` is large when ``η``
  is concentrated. ``η`` is uniform by default.
"""

import numpy as np

from ..errors import ValidationError
from ..mdp import FiniteMDP, garnet
from ..validate import positive_int


def _goal_rewards(rng: np.random.Generator, mdp: FiniteMDP, reward_fraction: float, distractor: float,
                  next_state: np.ndarray) -> np.ndarray:
    """Per-entry rewards ``1[s' ∈ G] + distractor · u(s, a)`` (module docstring)."""
    if not 0.0 < reward_fraction <= 1.0:
        raise ValidationError("reward_fraction", f"must lie in (0, 1], got {reward_fraction!r}")
    if not distractor >= 0.0 or not np.isfinite(distractor):
        raise ValidationError("distractor", f"must be a finite number >= 0, got {distractor!r}")
    n_goals = max(1, round(reward_fraction * mdp.n_states))
    goal = np.zeros(mdp.n_states, dtype=bool)
    goal[rng.choice(mdp.n_states, size=n_goals, replace=False)] = True
    u = rng.uniform(0.0, 1.0, size=mdp.n_rows)
    return goal[next_state] + distractor * np.repeat(u, np.diff(mdp.indptr))


def sparse_garnet(seed, n_states: int, n_actions: int, branching: int, reward_fraction: float = 0.05,
                  distractor: float = 0.0, gamma: float = 0.9, locality: int | None = None,
                  eta=None) -> FiniteMDP:
    """A garnet (``mdp.garnet``'s transitions) whose reward is paid only on entering a goal state (module
    docstring). ``seed`` (int or SeedSequence) is split into the transition and reward streams."""
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    structure_seed, reward_seed = seq.spawn(2)
    base = garnet(structure_seed, n_states, n_actions, branching, gamma, eta, locality)
    reward = _goal_rewards(np.random.default_rng(reward_seed), base, reward_fraction, distractor, base.next_state)
    return FiniteMDP.from_rows(base.n_states, base.n_actions, base.indptr, base.next_state, base.prob, reward,
                               base.gamma, base.eta)


def drift_ring(seed, n_states: int, n_actions: int, branching: int, locality: int, drift: int = 1,
               reward_fraction: float = 0.05, distractor: float = 0.0, gamma: float = 0.9, eta=None) -> FiniteMDP:
    """A slowly mixing ring: the successors of ``(s, a)`` are ``branching`` distinct states of
    ``s + drift + [−locality, locality]`` (mod nS), with sparse goal rewards (module docstring)."""
    locality = positive_int("locality", locality, maximum=n_states)
    drift = positive_int("drift", drift, minimum=0, maximum=n_states)
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    structure_seed, reward_seed = seq.spawn(2)
    base = garnet(structure_seed, n_states, n_actions, branching, gamma, eta, locality)
    next_state = (base.next_state.astype(np.int64) + drift) % base.n_states
    reward = _goal_rewards(np.random.default_rng(reward_seed), base, reward_fraction, distractor, next_state)
    return FiniteMDP.from_rows(base.n_states, base.n_actions, base.indptr, next_state, base.prob, reward,
                               base.gamma, base.eta)
