"""gymnasium toy-text imports: entry by entry against env.P under the terminal → η convention, and J* against
value iteration run directly on gymnasium's table."""

import gymnasium
import numpy as np
import pytest

from a3c_theory import exact
from a3c_theory.errors import ValidationError
from a3c_theory.instances import toy_text

ENVS = [("FrozenLake-v1", "4x4"), ("FrozenLake-v1", "8x8"), ("Taxi-v4", None), ("CliffWalking-v1", None)]


def _expected_row(entries, eta, index):
    """The convention written out: a terminal entry (p, t, r, True) becomes (p·η(s0), s0, r) for s0 ∈ supp η."""
    out = []
    for p, nxt, r, terminal in entries:
        if terminal:
            out += [(index[s0], p * eta[s0], r) for s0 in np.flatnonzero(eta > 0)]
        else:
            out.append((index[nxt], p, r))
    return out


@pytest.mark.parametrize("env_id, map_name", ENVS)
def test_import_matches_env_P_entry_by_entry(env_id, map_name):
    table, eta = toy_text.gymnasium_table(env_id, map_name)
    imported = toy_text.toy_text(env_id, map_name, gamma=0.9)
    mdp, states = imported.mdp, imported.states
    index = {int(g): i for i, g in enumerate(states)}
    n_actions = len(table[0])
    assert mdp.n_actions == n_actions
    for i, g in enumerate(states):
        for a in range(n_actions):
            row = i * n_actions + a
            lo, hi = mdp.indptr[row], mdp.indptr[row + 1]
            got = list(zip(mdp.next_state[lo:hi], mdp.prob[lo:hi], mdp.reward[lo:hi]))
            expected = _expected_row(table[int(g)][a], eta, index)
            assert len(got) == len(expected)
            for (s1, p1, r1), (s2, p2, r2) in zip(got, expected):
                assert (s1, r1) == (s2, r2) and p1 == pytest.approx(p2, abs=1e-15)
    np.testing.assert_allclose(mdp.eta, eta[states])
    # the removed states are exactly those no non-terminal entry of a kept state leads to (and not in supp η)
    targets = {int(n) for g in states for a in range(n_actions) for p, n, _, t in table[int(g)][a] if p > 0 and not t}
    removed = set(range(len(table))) - {int(g) for g in states}
    assert not removed & (targets | set(np.flatnonzero(eta > 0).tolist()))


def _value_iteration_J_star(table, eta, gamma, tol=1e-13):
    """V(s) = max_a Σ p (r + γ (ηᵀV if terminal else V(s'))) on gymnasium's full table, to convergence."""
    n, m = len(table), len(table[0])
    P = np.zeros((n, m, n))
    term = np.zeros((n, m))
    R = np.zeros((n, m))
    for s in range(n):
        for a in range(m):
            for p, nxt, r, terminal in table[s][a]:
                R[s, a] += p * r
                if terminal:
                    term[s, a] += p
                else:
                    P[s, a, nxt] += p
    V = np.zeros(n)
    while True:
        V_new = (R + gamma * (P @ V + term * (eta @ V))).max(axis=1)
        if np.abs(V_new - V).max() < tol * (1 - gamma):
            return (1 - gamma) * eta @ V_new
        V = V_new


@pytest.mark.parametrize("env_id, map_name", ENVS)
def test_J_star_equals_value_iteration_on_gymnasiums_table(env_id, map_name):
    gamma = 0.9
    table, eta = toy_text.gymnasium_table(env_id, map_name)
    mdp = toy_text.toy_text(env_id, map_name, gamma).mdp
    assert exact.optimal_objective(mdp) == pytest.approx(_value_iteration_J_star(table, eta, gamma), abs=1e-8)


def test_cliffwalking_becomes_never_fall_off():
    assert exact.optimal_objective(toy_text.toy_text("CliffWalking-v1", gamma=0.95).mdp) == pytest.approx(-1, abs=1e-9)


@pytest.mark.parametrize("env_id, map_name, field", [("Taxi-v3", None, "problem.env"),
                                                     ("FrozenLake-v1", "5x5", "problem.map_name"),
                                                     ("Taxi-v4", "4x4", "problem.map_name")])
def test_bad_environment_names(env_id, map_name, field):
    with pytest.raises(ValidationError, match=f"^{field}:"):
        toy_text.toy_text(env_id, map_name)
