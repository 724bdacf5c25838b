"""Trace → metric table: columns, values against the exact functions, running averages by quadrature."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from a3c_theory import exact as ex
from a3c_theory.errors import ValidationError
from a3c_theory.evaluate import COLUMNS, evaluate, running_average
from a3c_theory.problem import paper_problem


@pytest.fixture(scope="module")
def problem():
    return paper_problem(0, n_states=20, n_actions=3, feature_dim=4)


def _trace(problem, k, lam=0.0, seed=0, workers=3):
    rng = np.random.default_rng(seed)
    n = len(k)
    return SimpleNamespace(
        config={"problem": {}, "algorithm": {"lam": lam}, "run": {"workers": workers}},
        k=np.asarray(k, dtype=np.int64),
        theta=rng.normal(size=(n, problem.policy.dim)),
        w=rng.normal(size=(n, problem.critic_dim)),
        time_s=np.linspace(0.0, 1.0, n),
        samples_per_worker=np.outer(np.asarray(k), np.ones(workers)) / workers + np.arange(workers),
    )


def test_columns_and_values(problem):
    trace = _trace(problem, [0, 1, 3, 10, 30, 100], lam=0.3)
    table = evaluate(trace, problem)
    assert tuple(table.columns) == COLUMNS and len(table) == 6
    assert table["k"].dtype == np.int64 and table["samples"].dtype == np.int64
    assert all(table[name].dtype == np.float64 for name in COLUMNS[2:])
    np.testing.assert_array_equal(table["samples"], trace.k)
    np.testing.assert_allclose(table["samples_per_worker"], trace.k / 3 + 1.0)
    assert np.all(table["gap"] >= 0)
    J_star = ex.optimal_objective(problem.mdp)
    for j in (0, 5):
        theta, w = trace.theta[j], trace.w[j]
        pi = problem.policy.probabilities(theta)
        grad = ex.policy_gradient(problem.mdp, problem.policy, theta)
        grad_l = ex.regularised_gradient(problem, theta, 0.3)
        assert table["J"][j] == pytest.approx(ex.objective(problem.mdp, pi), rel=1e-12)
        assert table["J_lambda"][j] == pytest.approx(ex.regularised_objective(problem, theta, 0.3), rel=1e-12)
        assert table["gap"][j] == pytest.approx(J_star - table["J"][j], rel=1e-10)
        assert table["grad_norm_sq"][j] == pytest.approx(grad @ grad, rel=1e-10)
        assert table["grad_lambda_norm_sq"][j] == pytest.approx(grad_l @ grad_l, rel=1e-10)
        w_star = ex.td_fixed_point(problem.mdp, problem.critic_features, pi)
        assert table["critic_gap"][j] == pytest.approx(np.linalg.norm(w - w_star), rel=1e-10)
        assert table["eps_app"][j] == pytest.approx(
            ex.approximation_error(problem.mdp, problem.critic_features, pi), rel=1e-10)
    # at k = 0 each running average is the first value
    assert table["avg_grad_norm_sq"][0] == table["grad_norm_sq"][0]
    assert table["avg_critic_gap_sq"][0] == pytest.approx(table["critic_gap"][0] ** 2)


def test_constant_parameters_give_constant_averages(problem):
    trace = _trace(problem, [0, 2, 7, 50, 400, 1000])
    trace.theta[:] = trace.theta[0]
    trace.w[:] = trace.w[0]
    table = evaluate(trace, problem)
    for avg, col in (("avg_grad_norm_sq", "grad_norm_sq"), ("avg_grad_lambda_norm_sq", "grad_lambda_norm_sq")):
        np.testing.assert_allclose(table[avg], table[col][0], rtol=1e-13)
    np.testing.assert_allclose(table["avg_critic_gap_sq"], table["critic_gap"][0] ** 2, rtol=1e-13)
    np.testing.assert_allclose(table["J"], table["J"][0], rtol=1e-13)


def test_running_average_quadrature():
    k = np.array([0, 1, 4, 10, 100])
    np.testing.assert_allclose(running_average(k, np.full(5, 2.5)), 2.5, rtol=1e-15)
    # a linear f(x) = 3x integrates exactly: avg over [0, K] is 3K/2
    np.testing.assert_allclose(running_average(k, 3.0 * k), [0.0, 1.5, 6.0, 15.0, 150.0], rtol=1e-14)
    # f = 1 at k = 0, then 0: the trapezoid area is 0.5 from the first interval and nothing after
    np.testing.assert_allclose(running_average([0, 1, 2], [1.0, 0.0, 0.0]), [1.0, 0.5, 0.25])
    # repeated grid points keep the previous average
    np.testing.assert_allclose(running_average([0, 0, 2], [1.0, 3.0, 3.0]), [1.0, 1.0, 3.0])


def test_bad_traces_rejected(problem):
    trace = _trace(problem, [0, 5, 3])
    with pytest.raises(ValidationError) as info:
        evaluate(trace, problem)
    assert info.value.field == "trace.k"
    trace = _trace(problem, [0, 5, 10])
    trace.w = trace.w[:2]
    with pytest.raises(ValidationError) as info:
        evaluate(trace, problem)
    assert info.value.field == "trace.w"


def test_problem_defaults_to_the_one_in_the_config():
    from a3c_theory import config

    cfg = config.from_dict({"problem": {"n_states": 12, "n_actions": 3, "feature_dim": 4},
                            "algorithm": {"lam": 0.2}})
    problem = config.build_problem(cfg)
    trace = _trace(problem, [0, 10, 100])
    trace.config = cfg.to_dict()
    rebuilt, given = evaluate(trace), evaluate(trace, problem)
    for name in COLUMNS:
        np.testing.assert_array_equal(rebuilt[name], given[name], err_msg=name)
    assert not np.array_equal(given["J"], given["J_lambda"])  # λ = 0.2 was read from the config


def test_trace_whose_config_was_edited_is_refused_naming_what_differs(tmp_path):
    from a3c_theory import config, engine
    from a3c_theory.trace import Trace

    cfg = config.from_dict({"problem": {"n_states": 6, "n_actions": 2, "feature_dim": 2},
                            "algorithm": {"radius": 5.0}, "run": {"samples": 20, "snapshots": 2}})
    trace = engine.run(cfg, progress=False)
    assert set(trace.meta["problem_fingerprint"]) == {"mdp", "critic_features", "policy", "prior"}
    assert "package_version" in trace.meta
    trace.save(tmp_path)
    info = json.loads((tmp_path / "trace.json").read_text())
    info["config"]["problem"]["seed"] = 1
    (tmp_path / "trace.json").write_text(json.dumps(info))
    with pytest.raises(ValidationError) as err:
        evaluate(Trace.load(tmp_path))
    assert err.value.field == "trace" and "critic_features, mdp differ" in str(err.value)


def test_a_known_fingerprint_stands_for_the_problems_in_the_check():
    from a3c_theory import config, engine
    from a3c_theory.evaluate import evaluate_run

    cfg = config.from_dict({"problem": {"n_states": 6, "n_actions": 2, "feature_dim": 2},
                            "algorithm": {"radius": 5.0}, "run": {"samples": 20, "snapshots": 3}})
    problem = config.build_problem(cfg)
    trace = engine.run(cfg, progress=False, problem=problem)
    table, _ = evaluate_run(trace, problem, fingerprint=problem.fingerprint())
    assert table.equals(evaluate(trace, problem))
    with pytest.raises(ValidationError, match="mdp differ"):
        evaluate_run(trace, problem, fingerprint={**problem.fingerprint(), "mdp": "0" * 16})
