"""``diagnose``: every number against its definition on small hand-checkable MDPs, the bandit and trap
cases, the ARPACK path against the dense one, the warning, and the CLI."""

import json

import numpy as np
import pytest

from a3c_theory import cli
from a3c_theory import features as feats
from a3c_theory.errors import ValidationError
from a3c_theory.instances import diagnose as dg
from a3c_theory.instances.trap_chain import trap_chain
from a3c_theory.mdp import FiniteMDP, garnet
from a3c_theory.problem import Problem

REQUIRED_KEYS = {"J0", "J_star", "myopia", "greedy_optimal_fraction", "lambda2_critic", "lambda2_actor", "tv_mu_d",
                 "eps_app", "max_eig_sym_A", "theory_radius", "radius_binds", "n_states", "n_actions",
                 "feature_dim"}


def _two_state(p=0.3, q=0.1, gamma=0.8):
    """Both actions move by P = [[1−p, p], [q, 1−q]]; r(s, a) = [[1, 0], [0, 2]]; η = (1, 0)."""
    P1 = np.array([[1 - p, p], [q, 1 - q]])
    P = np.stack([P1, P1], axis=1)
    return FiniteMDP.from_dense(P, np.array([[1.0, 0.0], [0.0, 2.0]]), gamma, np.array([1.0, 0.0]))


def test_two_state_numbers_match_their_definitions():
    p, q, gamma = 0.3, 0.1, 0.8
    Phi = np.array([[1.0], [0.5]])
    diag = dg.diagnose(Problem.make(_two_state(p, q, gamma), Phi))
    P = np.array([[1 - p, p], [q, 1 - q]])
    eta = np.array([1.0, 0.0])
    # uniform policy: r_π = (0.5, 1); the best action (1 in state 0, 2 in state 1) does not depend on the future
    V0 = np.linalg.solve(np.eye(2) - gamma * P, [0.5, 1.0])
    Vs = np.linalg.solve(np.eye(2) - gamma * P, [1.0, 2.0])
    assert diag.J0 == pytest.approx((1 - gamma) * V0[0], abs=1e-14)
    assert diag.J_star == pytest.approx((1 - gamma) * Vs[0], abs=1e-14)
    assert diag.myopia == pytest.approx(1.0, abs=1e-12)
    assert diag.greedy_optimal_fraction == 1.0
    assert diag.lambda2_critic == pytest.approx(abs(1 - p - q), abs=1e-14)  # eigenvalues of P: 1, 1 − p − q
    assert diag.lambda2_actor == pytest.approx(gamma * abs(1 - p - q), abs=1e-14)
    assert diag.mixing_time_critic == pytest.approx(1 / (p + q))
    mu = np.array([q, p]) / (p + q)
    d = (1 - gamma) * eta @ np.linalg.inv(np.eye(2) - gamma * P)
    assert diag.tv_mu_d == pytest.approx(0.5 * np.abs(mu - d).sum(), abs=1e-14)
    A = Phi.T @ np.diag(mu) @ (gamma * P - np.eye(2)) @ Phi
    assert diag.max_eig_sym_A == pytest.approx(A[0, 0], abs=1e-14)
    w_star = -np.linalg.solve(A, Phi.T @ (mu * [0.5, 1.0]))
    assert diag.w_star_norm == pytest.approx(abs(w_star[0]), abs=1e-12)
    assert diag.eps_app == pytest.approx(np.sqrt(mu @ (V0 - Phi @ w_star) ** 2), abs=1e-12)
    assert diag.theory_radius == pytest.approx(2.0 / -A[0, 0], rel=1e-12)  # r_max = 2
    assert (diag.n_states, diag.n_actions, diag.feature_dim) == (2, 2, 1)


def test_actor_lambda2_equals_a_direct_eigen_solve():
    mdp = garnet(3, 30, 3, 4, gamma=0.7)
    diag = dg.diagnose(Problem.make(mdp, feats.random_features(4, 30, 5)))
    P_pi = mdp.dense_P().mean(axis=1)
    kernel = 0.7 * P_pi + 0.3 * np.outer(np.ones(30), mdp.eta)
    moduli = np.sort(np.abs(np.linalg.eigvals(kernel)))[::-1]
    assert moduli[0] == pytest.approx(1.0)
    assert diag.lambda2_actor == pytest.approx(moduli[1], abs=1e-10)


def test_bandit_has_myopia_one_and_trap_chain_below_zero():
    rng = np.random.default_rng(0)
    P1 = rng.dirichlet(np.ones(8), size=8)
    P = np.repeat(P1[:, None, :], 3, axis=1)  # actions change only the reward: a contextual bandit
    bandit = FiniteMDP.from_dense(P, rng.uniform(size=(8, 3)), 0.9, np.full(8, 1 / 8))
    diag = dg.diagnose(Problem.make(bandit, feats.one_hot(8)))
    assert diag.myopia == pytest.approx(1.0, abs=1e-12) and diag.greedy_optimal_fraction == 1.0
    assert diag.eps_app == pytest.approx(0.0, abs=1e-12)  # one-hot critic: exact
    chain = trap_chain(6)
    assert dg.diagnose(Problem.make(chain, feats.one_hot(6))).myopia < 0


def test_no_gap_gives_undefined_myopia():
    P = np.full((3, 2, 3), 1 / 3)
    mdp = FiniteMDP.from_dense(P, np.ones((3, 2)), 0.9, np.full(3, 1 / 3))  # every policy is optimal
    diag = dg.diagnose(Problem.make(mdp, feats.one_hot(3)))
    assert np.isnan(diag.myopia) and diag.to_dict()["myopia"] is None


def test_radius_binds_compares_w_star_with_the_radius_used():
    problem = Problem.make(_two_state(), np.array([[1.0], [0.5]]))
    w = dg.diagnose(problem).w_star_norm
    assert dg.diagnose(problem, radius=1.5 * w).radius_binds is True
    assert dg.diagnose(problem, radius=10 * w).radius_binds is False
    with pytest.raises(ValidationError, match="^radius:"):
        dg.diagnose(problem, radius=-1.0)


def test_arpack_path_matches_the_dense_path(monkeypatch):
    mdp = garnet(5, 60, 3, 3, locality=3)
    problem = Problem.make(mdp, feats.random_features(6, 60, 4))
    dense = dg.diagnose(problem)
    monkeypatch.setattr(dg, "EIG_DENSE_MAX_STATES", 10)
    sparse = dg.diagnose(problem)
    assert (dense.eig_method, sparse.eig_method) == ("dense", "arpack")
    assert sparse.lambda2_critic == pytest.approx(dense.lambda2_critic, rel=1e-4)  # ARPACK_TOL


def test_power_fallback_when_arpack_does_not_converge(monkeypatch):
    mdp = garnet(5, 60, 3, 3, locality=3)
    problem = Problem.make(mdp, feats.random_features(6, 60, 4))
    dense = dg.diagnose(problem)

    def no_convergence(*args, **kwargs):
        raise dg.sla.ArpackNoConvergence("test", np.array([]), np.array([]))

    monkeypatch.setattr(dg, "EIG_DENSE_MAX_STATES", 10)
    monkeypatch.setattr(dg.sla, "eigs", no_convergence)
    power = dg.diagnose(problem)
    assert power.eig_method == "power"
    assert power.lambda2_critic == pytest.approx(dense.lambda2_critic, rel=1e-2)


def test_discrimination_warning():
    assert dg.discrimination_warning([{"myopia": 0.95}, {"myopia": 1.0}]).startswith("warning:")
    assert dg.discrimination_warning([{"myopia": 0.95}, {"myopia": 0.5}]) is None
    assert dg.discrimination_warning([]) is None


def test_cli_prints_and_writes_the_json_keys(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text('[problem]\nkind = "trap_chain"\nn_states = 6\ncritic_features = "one_hot"\n')
    out = tmp_path / "d.json"
    assert cli.main(["diagnose", str(config), "--json", str(out)]) == 0
    assert "myopia" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert REQUIRED_KEYS <= set(data)
    assert data["myopia"] < 0 and data["n_states"] == 6


def test_cli_rejects_bad_input_with_one_line(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text('[problem]\nkind = "trap_chain"\nslip = 2.0\n')
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["diagnose", str(config)])
    assert exit_info.value.code == 2
    assert "problem.slip: must lie in [0, 1]" in capsys.readouterr().err


def test_sweep_diagnostics_warn_only_for_a_myopic_speedup_study():
    from a3c_theory import config

    paper = config.from_dict({}).to_dict()
    lines = dg.sweep_diagnostics(paper, {"run.workers": [1, 2], "problem.seed": [0, 1]})
    assert len(lines) == 5 and lines[0].startswith("problem.seed=0: myopia") and lines[2].startswith("problem.seed=1")
    assert lines[1].startswith("warning: problem.seed=0: at c_alpha = 30 one actor update")  # the default c_alpha
    assert lines[4].startswith("warning: every instance of this study has myopia >= 0.9")
    assert len(dg.sweep_diagnostics(paper, {"algorithm.c_alpha": [1.0, 3.0]})) == 1  # no speedup verdict
    chain = config.from_dict({"problem": {"kind": "trap_chain", "n_states": 6, "critic_features": "one_hot"}})
    lines = dg.sweep_diagnostics(chain.to_dict(), {"run.workers": [1, 4]})
    assert not any("myopia >=" in line for line in lines)


def test_sweep_diagnostics_give_the_step_size_warnings_of_each_c_alpha():
    from a3c_theory import config

    chain = config.from_dict({"problem": {"kind": "trap_chain", "n_states": 6, "critic_features": "one_hot"}})
    lines = dg.sweep_diagnostics(chain.to_dict(), {"run.workers": [1, 4]})  # the default c_alpha = 30
    assert len(lines) == 3 and all(line.startswith("warning: instance: at c_alpha = 30") for line in lines[1:])
    lines = dg.sweep_diagnostics(chain.to_dict(), {"algorithm.c_alpha": [1.0, 10.0]})
    assert len(lines) == 3 and all("at c_alpha = 10 " in line for line in lines[1:])
    with pytest.raises(ValidationError, match="^algorithm.c_alpha:"):
        dg.sweep_diagnostics(chain.to_dict(), {"algorithm.c_alpha": [-1.0]})


def test_nearly_decomposable_chain_reports_its_mu_forward_error():
    """Two states that swap with probability 1e-12: the μ solve has condition number ~1e12, so its forward
    error estimate exceeds 1e-6 (with a ConditioningWarning) although the residual is tiny; a chain that
    mixes in a few steps stays far below."""
    Phi = np.array([[1.0], [0.5]])
    well = dg.diagnose(Problem.make(_two_state(0.3, 0.1), Phi))
    assert well.mu_condition < 100 and well.mu_forward_error < 1e-12
    with pytest.warns(Warning, match="forward error"):
        bad = dg.diagnose(Problem.make(_two_state(1e-12, 1e-12), Phi))
    assert bad.mu_condition > 1e10 and bad.mu_forward_error > 1e-6
    assert {"mu_condition", "mu_forward_error"} <= set(bad.to_dict())


def _trap_config(c_alpha):
    from a3c_theory import config

    return config.from_dict({"problem": {"kind": "trap_chain", "n_states": 6, "critic_features": "one_hot"},
                             "algorithm": {"c_alpha": c_alpha}})


def test_step_size_numbers_match_their_definitions_on_the_trap_chain():
    from a3c_theory import exact

    cfg = _trap_config(3.0)
    problem = Problem.make(trap_chain(6), feats.one_hot(6))
    diag = dg.diagnose(problem, c_alpha=3.0)
    mdp = problem.mdp
    step = 3.0 * np.abs(mdp.reward).max()  # tabular: G = 1
    assert diag.one_update_logit_step == pytest.approx(step, rel=1e-14)
    assert diag.one_update_max_prob == pytest.approx(np.exp(step) / (np.exp(step) + 1), rel=1e-14)
    r_bar = mdp.expected_reward()
    pi_s = np.exp(3.0 * r_bar) / np.exp(3.0 * r_bar).sum(axis=1, keepdims=True)  # π_s(·|s) ∝ exp(c_α r̄(s, ·))
    assert diag.J_startup == pytest.approx(exact.objective(mdp, pi_s), rel=1e-12)
    assert diag.startup_share == pytest.approx((diag.J_startup - diag.J0) / (diag.J_greedy - diag.J0), rel=1e-12)
    assert dg.diagnose(cfg).startup_share == pytest.approx(diag.startup_share, rel=1e-12)
    assert dg.diagnose(problem).c_alpha is None and dg.step_size_warnings(dg.diagnose(problem)) == []


def test_trap_chain_warns_at_c_alpha_30_and_not_at_a_small_c_alpha():
    high, low = dg.diagnose(_trap_config(30.0)), dg.diagnose(_trap_config(1.0))
    warnings = dg.step_size_warnings(high)
    assert len(warnings) == 2 and "one actor update can give an action probability" in warnings[0]
    assert "greedy trap" in warnings[1] and high.startup_share >= dg.TRAP_SHARE
    assert high.one_update_max_prob >= dg.SATURATION_PROB
    assert dg.step_size_warnings(low) == [] and low.startup_share < dg.TRAP_SHARE
    assert all(line in dg.format_report(high) for line in warnings)
    assert "warning" not in dg.format_report(low)


def test_linear_actor_one_update_bound_holds_for_every_first_update():
    """p_1 bounds the largest probability after any single first update α_0 r ψ_0(ŝ, â) (ω_0 = 0)."""
    from a3c_theory import policy as pol

    mdp = garnet(2, 8, 3, 3, gamma=0.9)
    policy = pol.linear(feats.random_actor_features(3, 8, 3, 4))
    problem = Problem.make(mdp, feats.one_hot(8), policy)
    c_alpha = 2.0
    diag = dg.diagnose(problem, c_alpha=c_alpha)
    theta0, r_max, largest = np.zeros(policy.dim), np.abs(mdp.reward).max(), 0.0
    for s in range(8):
        for a in range(3):
            for r in (r_max, -r_max):
                largest = max(largest, policy.probabilities(c_alpha * r * policy.score(theta0, s, a)).max())
    assert largest <= diag.one_update_max_prob
