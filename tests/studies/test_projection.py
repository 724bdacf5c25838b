"""The projection study on hand-made runs: projected shares from the metadata, the convergence verdict, and
the exact TD fixed points against an independent NumPy computation."""

import dataclasses

import numpy as np

from a3c_theory import config
from a3c_theory.studies import projection
from a3c_theory.studies.stats import Estimate
from a3c_theory.studies.study import Results
from synthetic import runs

CONFIGS = ({"problem": {"kind": "paper", "seed": 0, "n_states": 4, "n_actions": 3, "feature_dim": 2}},
           {"problem": {"kind": "trap_chain", "n_states": 6, "critic_features": "one_hot"}})
SHARE = {1.0: 0.9, 0.0: 0.0}
"""Planted share of projected critic steps per radius (0: the theory radius)."""


def results(slow_radius: float | None = None) -> Results:
    """Synthetic runs on both instances at radii 1 and theory, N = 1 and 4; ``slow_radius``: its runs keep
    twice the open gap."""
    table = runs(kind=["paper", "trap_chain"], workers=[1, 4], **{"algorithm.radius": [1.0, 0.0]})
    if slow_radius is not None:
        slow = table["algorithm.radius"] == slow_radius
        table.loc[slow, "gap"] = 0.5 * table.loc[slow, "gap"] + 0.2
    firsts = table.groupby("run_id", sort=False).agg(radius=("algorithm.radius", "first"), samples=("samples", "max"))
    meta = pd_meta(firsts)
    configs = tuple(config.from_dict(c).to_dict() for c in CONFIGS)
    return Results("projection", "test projection", table, projection.Settings(), meta=meta, configs=configs)


def pd_meta(firsts):
    meta = firsts.reset_index()
    meta["projections"] = (meta["radius"].map(SHARE) * meta["samples"]).round().astype(int)
    meta["radius"] = meta["radius"].where(meta["radius"] > 0, 140.0)
    return meta[["run_id", "projections", "radius"]]


def test_projected_share_and_radius_come_from_the_runs_metadata():
    cells = projection.summarise(results()).cells
    for radius, share in SHARE.items():
        got = cells[cells["radius"] == radius]
        np.testing.assert_allclose(got["projected"], share, atol=1e-5)
        assert set(got["radius_used"]) == {radius if radius > 0 else 140.0}
    assert len(cells) == 2 * 2 * 2 and (cells["n"] == 3).all()


def test_convergence_verdict_follows_the_stated_rule():
    theory = Estimate(0.1, 0.05, 0.15, 5)
    assert projection.convergence_verdict(Estimate(0.5, 0.4, 0.6, 5), theory) == projection.SLOWS
    assert projection.convergence_verdict(Estimate(0.02, 0.01, 0.03, 5), theory) == projection.SPEEDS
    assert projection.convergence_verdict(Estimate(0.12, 0.02, 0.3, 5), theory) == projection.NO_EFFECT


def test_claims_tell_equal_runs_from_slowed_runs_and_a_binding_theory_radius():
    same = {c.artifact: c.verdict for c in projection.claims(projection.summarise(results()))}
    assert same["Π_R below ‖ω*_θ‖ (paper)"] == projection.NO_EFFECT  # identical curves at both radii
    assert same["Algorithm 1's projection Π_R"] == "never binds"
    slowed = {c.artifact: c.verdict for c in projection.claims(projection.summarise(results(slow_radius=1.0)))}
    assert slowed["Π_R below ‖ω*_θ‖ (trap_chain)"] == projection.SLOWS
    binding = results()
    binding = dataclasses.replace(binding, meta=binding.meta.assign(projections=7))
    assert projection.claims(projection.summarise(binding))[0].verdict == "binds"


def test_fixed_point_norms_match_an_independent_td_solution():
    """w* solves Φᵀ D_μ (γ P_π − I) Φ w = −Φᵀ D_μ r_π, with μ the stationary law of P_π (uniform policy)."""
    cfg = config.from_dict(CONFIGS[0])
    problem = config.build_problem(cfg)
    mdp, Phi = problem.mdp, problem.critic_features
    nS, nA = mdp.n_states, mdp.n_actions
    P = np.zeros((nS, nA, nS))
    r = np.zeros((nS, nA))
    for row in range(nS * nA):
        s, a = divmod(row, nA)
        lo, hi = mdp.indptr[row], mdp.indptr[row + 1]
        P[s, a, mdp.next_state[lo:hi]] += mdp.prob[lo:hi]
        r[s, a] = mdp.prob[lo:hi] @ mdp.reward[lo:hi]
    P_pi, r_pi = P.mean(axis=1), r.mean(axis=1)
    vals, vecs = np.linalg.eig(P_pi.T)
    mu = np.real(vecs[:, np.argmin(abs(vals - 1))])
    mu /= mu.sum()
    A = Phi.T @ np.diag(mu) @ (mdp.gamma * P_pi - np.eye(nS)) @ Phi
    w = np.linalg.solve(A, -Phi.T @ (mu * r_pi))
    uniform_norm, _ = projection.fixed_point_norms(cfg.to_dict())
    assert abs(uniform_norm - np.linalg.norm(w)) <= 1e-10 * np.linalg.norm(w)
