"""gymnasium's toy-text environments as finite MDPs, imported from the environment's own table ``env.P``.

``env.P[s][a]`` is a list of ``(probability, next_state, reward, terminated)`` entries. Convention (the
README states it too): every entry keeps its probability and reward; a non-terminal entry goes to its
``next_state``; a terminal entry goes instead to a state drawn from ``η``, the environment's
initial-state distribution (``initial_state_distrib``: FrozenLake starts at 0, CliffWalking at 36, Taxi
uniformly over its 300 start states). So a terminal entry ``(p, t, r, True)`` becomes the entries
``(p·η(s₀), s₀, r)`` for ``s₀`` in the support of ``η``. The episodic task becomes a continuing one whose
discounted value counts every episode after the first, discounted (γ comes from ``problem.gamma``).

States that the convention makes unreachable from ``η`` (FrozenLake's holes and goal, CliffWalking's
cliff and goal, Taxi's 100 "delivered" states) are removed, because no policy ever visits them: ``μ_θ``
would vanish there and one-hot critic features would make ``A_θ`` singular. :attr:`ToyText.states` maps
each kept state to gymnasium's index; the rows of the kept states keep gymnasium's entry order.

Effect of the convention per environment:
- **FrozenLake-v1** (slippery; 4x4: 10 of 16 states kept, 8x8: 54 of 64): reaching the goal pays 1 and
  restarts at 0; falling into a hole pays 0 and restarts at 0. So a hole costs only the time lost, and
  ``J`` is (1−γ) times the discounted number of goals reached.
- **Taxi-v4** (400 of 500 states kept): a delivery pays +20 and draws a new passenger and destination;
  every other step pays −1 (illegal pick-up / drop-off −10). The task becomes "deliver as often as possible".
- **CliffWalking-v1** (37 of 48 states kept): every step costs −1, stepping into the cliff costs −100 and
  returns to 36 (gymnasium's own rule, not terminal), and reaching the goal only restarts the walk. No
  reward ever exceeds −1, so the task becomes "never fall off the cliff" and ``J* = −1``.

What ``a3c_theory.instances.diagnose`` measured at θ_0 (γ = 0.9, one-hot critic): FrozenLake 4x4 myopia
−0.14, ``|λ₂|`` 0.70, TV(μ, d) 0.075, ``J*`` 0.0075; 8x8 myopia −0.005, ``|λ₂|`` 0.94, TV 0.22, ``J*``
0.00065 (the goal is rarely reached within the discount horizon: use γ near 1); Taxi myopia 0.78,
``|λ₂|`` 0.9996, TV 0.16; CliffWalking myopia 1 (avoiding the −100 step is all there is to it: the
greedy-reward policy is optimal everywhere), so CliffWalking cannot discriminate a speedup study.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import ValidationError
from ..mdp import FiniteMDP

ENVIRONMENTS = {
    "FrozenLake-v1": {"map_names": ("4x4", "8x8"), "kwargs": {"is_slippery": True}},
    "Taxi-v4": {"map_names": (), "kwargs": {}},
    "CliffWalking-v1": {"map_names": (), "kwargs": {}},
}
"""Supported environment ids, the map names they take (the first is the default), fixed keyword arguments."""

INSTALL_HINT = "gymnasium (a required dependency) is not importable: reinstall with pip install a3c-theory"


@dataclass(frozen=True, eq=False)
class ToyText:
    """An imported environment: the MDP on the kept states and ``states[i]`` = gymnasium's index of state i."""

    env_id: str
    map_name: str | None
    mdp: FiniteMDP
    states: np.ndarray


def check_env(env_id: str, map_name: str | None) -> str | None:
    """Validate ``(problem.env, problem.map_name)``; returns the map name to use (None if not applicable)."""
    if env_id not in ENVIRONMENTS:
        raise ValidationError("problem.env", f"must be one of {', '.join(map(repr, ENVIRONMENTS))}, got {env_id!r}")
    names = ENVIRONMENTS[env_id]["map_names"]
    if not names:
        if map_name:
            raise ValidationError("problem.map_name", f"{env_id} takes no map name, got {map_name!r}")
        return None
    if not map_name:
        return names[0]
    if map_name not in names:
        raise ValidationError("problem.map_name", f"must be one of {', '.join(map(repr, names))} for {env_id}, "
                              f"got {map_name!r}")
    return map_name


def gymnasium_table(env_id: str, map_name: str | None = None):
    """``(env.P, η)`` of the unwrapped environment, with ``η`` = ``initial_state_distrib``."""
    map_name = check_env(env_id, map_name)
    try:
        import gymnasium
    except ImportError:
        raise ValidationError("problem.env", INSTALL_HINT) from None
    kwargs = dict(ENVIRONMENTS[env_id]["kwargs"])
    if map_name is not None:
        kwargs["map_name"] = map_name
    env = gymnasium.make(env_id, **kwargs).unwrapped
    eta = np.asarray(env.initial_state_distrib, dtype=np.float64)
    return env.P, eta / eta.sum()


def import_table(table, eta, gamma: float) -> tuple[FiniteMDP, np.ndarray]:
    """The MDP of a gymnasium-style table ``table[s][a] = [(p, s', r, terminated), ...]`` under the
    convention of the module docstring, restricted to the states reachable from ``η``; returns
    ``(mdp, states)``."""
    n_states, n_actions = len(table), len(table[0])
    starts = np.flatnonzero(eta > 0)
    # reachable states: graph search from supp(η) over entries with p > 0
    reached = np.zeros(n_states, dtype=bool)
    reached[starts] = True
    frontier = list(starts)
    while frontier:
        s = frontier.pop()
        for a in range(n_actions):
            for p, nxt, _, terminal in table[s][a]:
                if p > 0 and not terminal and not reached[nxt]:
                    reached[nxt] = True
                    frontier.append(int(nxt))
    states = np.flatnonzero(reached)
    index = np.full(n_states, -1)
    index[states] = np.arange(states.size)
    counts, next_state, prob, reward = [], [], [], []
    for s in states:
        for a in range(n_actions):
            count = 0
            for p, nxt, r, terminal in table[s][a]:
                targets = starts if terminal else [nxt]
                weights = eta[starts] if terminal else [1.0]
                for t, w in zip(targets, weights):
                    next_state.append(index[t])
                    prob.append(p * w)
                    reward.append(r)
                    count += 1
            counts.append(count)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    mdp = FiniteMDP.from_rows(states.size, n_actions, indptr, next_state, prob, reward, gamma, eta[states])
    return mdp, states


def toy_text(env_id: str, map_name: str | None = None, gamma: float = 0.9) -> ToyText:
    """Import ``env_id`` (one of :data:`ENVIRONMENTS`) from gymnasium's ``env.P`` (module docstring)."""
    map_name = check_env(env_id, map_name)
    table, eta = gymnasium_table(env_id, map_name)
    mdp, states = import_table(table, eta, gamma)
    return ToyText(env_id, map_name, mdp, states)
