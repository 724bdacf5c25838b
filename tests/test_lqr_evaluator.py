"""LQREvaluator.metrics: the finite-MDP metric keys, their values at K* and w*, and the unstable rows."""

import math
from types import SimpleNamespace

import numpy as np

from a3c_theory import evaluate
from a3c_theory.lqr import critic, exact
from a3c_theory.lqr.evaluator import LQREvaluator
from a3c_theory.lqr.families import random_lqr


def test_metric_keys_match_the_finite_table():
    p = random_lqr(2, 3, 2, noise_scale=0.2)
    row = LQREvaluator(p).metrics(p.K0, np.zeros(critic.feature_dim(3)), lam=0.1)
    per_snapshot = set(evaluate.COLUMNS) - {"k", "samples", "samples_per_worker", "time_s", "avg_grad_norm_sq",
                                            "avg_grad_lambda_norm_sq", "avg_critic_gap_sq"}
    assert per_snapshot <= set(row)
    assert row["J"] == exact.objective(p, p.K0)
    assert row["J_lambda"] == row["J"] + 0.1 * exact.prior(p, p.K0)
    assert row["grad_norm_sq"] == np.sum(exact.gradient(p, p.K0) ** 2)
    assert row["critic_gap"] == np.linalg.norm(critic.td_fixed_point(p, p.K0))
    assert row["gap"] > 0 and row["eps_app"] < 1e-20


def test_metrics_at_the_optimum():
    p = random_lqr(3, 2, 2, noise_scale=0.2)
    ev = LQREvaluator(p)
    row = ev.metrics(ev.K_star, critic.td_fixed_point(p, ev.K_star))
    assert row["gap"] == 0.0 and row["critic_gap"] == 0.0 and row["grad_norm_sq"] < 1e-20


def test_unstable_gain_rows():
    p = random_lqr(4, 2, 1, noise_scale=0.2)
    row = LQREvaluator(p).metrics(100 * np.ones((1, 2)), np.zeros(4))
    assert row["J"] == -math.inf and row["gap"] == math.inf
    assert math.isnan(row["grad_norm_sq"]) and math.isnan(row["critic_gap"])


def test_metric_table_has_the_finite_columns():
    p = random_lqr(5, 2, 1, noise_scale=0.2)
    ev = LQREvaluator(p)
    k = np.array([0, 10, 100])
    theta = np.stack([p.K0.ravel(), 0.5 * ev.K_star.ravel(), ev.K_star.ravel()])
    w = np.stack([np.zeros(4), np.ones(4), critic.td_fixed_point(p, ev.K_star)])
    trace = SimpleNamespace(config={"algorithm": {"lam": 0.0}}, k=k, theta=theta, w=w, time_s=np.zeros(3),
                            samples_per_worker=k.astype(float))
    table = evaluate.evaluate(trace, p)
    assert tuple(table.columns) == evaluate.COLUMNS
    assert table["J"].iloc[0] == exact.objective(p, p.K0) and table["gap"].iloc[-1] == 0.0
    assert table["avg_critic_gap_sq"].iloc[-1] == evaluate.running_average(k, table["critic_gap"] ** 2)[-1]
