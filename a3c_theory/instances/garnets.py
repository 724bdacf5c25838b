"""Garnets with delayed (sparse) rewards, and a slowly mixing ring with a drift.

Both reuse the transition structure of :func:`a3c_theory.mdp.garnet` (``branching`` distinct successors per
``(s, a)`` with probabilities from a uniform random partition of [0, 1], drawn anywhere or from the ring
``s ± locality``) and replace its rewards by

    r(s, a, s') = 1[s' ∈ G] + distractor · u(s, a),   u(s, a) ~ U(0, 1),

where the goal set ``G`` holds ``max(1, round(reward_fraction · nS))`` states drawn without replacement.
The goal reward is delayed: an action is good when it leads *towards* ``G``, which the immediate reward
``r̄(s, a) = P(s' ∈ G | s, a) + distractor · u(s, a)`` sees only one step ahead. The distractor is an
immediate reward unrelated to ``G``.

How the diagnostics move. Measured with :mod:`a3c_theory.instances.diagnose` at θ_0 (uniform policy),
nS = 200, 5 actions, branching 4, γ = 0.9, 10 random critic features, seeds 0, 1, 2; the test suite checks
the direction of each trend on smaller instances:

- ``sparse_garnet`` (no locality) mixes in a few steps (``|λ₂| ≈ 0.29``, TV(μ, d) ≈ 0.013), so its
  hardness is the delay alone. Myopia falls with ``reward_fraction``: 0.29–0.41 at 0.01, 0.68–0.74 at 0.05,
  0.91–0.96 at 0.2 (with many goals, one step of look-ahead sees one from almost everywhere). It rises
  with ``distractor`` (at ``reward_fraction`` 0.05): 0.68–0.74 at 0, 0.83–0.85 at 0.3, 0.90–0.93 at 1,
  0.94–0.97 at 3 (the immediate reward takes over).
- ``drift_ring`` (``locality`` 3): ``|λ₂|`` = 0.992 at nS = 100, 0.998 at 200, 0.9995 at 400 (mixing time
  ~ ``(nS / locality)²``), for any drift. The difference the drift makes is localisation: without it
  (``drift = 0``, or ``mdp.garnet`` with ``locality = 3``, myopia 0.92–0.94 there) ``μ_θ`` piles up,
  ``nS · max_s μ_θ(s)`` = 3.6–9.5 and TV(μ, d) = 0.25–0.41 against the uniform ``η`` — Markovian sampling
  then sees a small part of the chain and ``μ_θ`` is ill-conditioned. With drift 1 the chain is carried
  round the ring: ``nS · max μ_θ`` = 2.3–2.7, TV(μ, d) = 0.03–0.05, and the chain still decorrelates
  slowly (``|λ₂|`` 0.998). Myopia 0.41–0.46 with drift 1 and 0.59–0.69 with drift 3 (reward_fraction 0.05).
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
