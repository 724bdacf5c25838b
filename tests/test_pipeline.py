"""One run pipeline: run_one gives the trace, the exact metric table of that trace, and flat metadata;
`a3c-theory run` writes the same three."""

import numpy as np
import pandas as pd

from a3c_theory import config, exact, frames
from a3c_theory.cli import main
from a3c_theory.evaluate import evaluate
from a3c_theory.pipeline import flatten, run_one
from a3c_theory.trace import Trace

TINY = {"problem": {"n_states": 6, "n_actions": 2, "feature_dim": 2},
        "run": {"samples": 600, "snapshots": 5, "workers": 3, "delay": "constant", "tau": 2}}


def test_flatten_joins_nested_keys():
    assert flatten({"a": {"b": 1, "c": {"d": "x"}}, "e": 2.5}) == {"a_b": 1, "a_c_d": "x", "e": 2.5}


def test_run_one_returns_trace_its_table_and_metadata():
    cfg = config.from_dict(TINY)
    result = run_one(cfg)
    pd.testing.assert_frame_equal(result.table, evaluate(result.trace), check_exact=True)
    meta = result.meta
    assert all(not isinstance(value, dict) for value in meta.values())
    problem = config.build_problem(cfg)
    assert meta["radius"] == exact.theory_radius(problem, np.zeros(problem.policy.dim))
    # constant delay τ = 2: every update but the first two (which have nothing older to read) waits 2
    counts = result.trace.delay_counts
    assert meta["max_delay"] == 2 and meta["mean_delay"] == float(np.dot(np.arange(counts.size), counts) / 600)
    assert 1.9 < meta["mean_delay"] <= 2.0
    assert meta["sampling_law_bias_refreshes"] == 3  # refresh 200: at k = 0, 200, 400
    assert meta["engine_seconds"] > 0 and meta["evaluate_seconds"] > 0 and meta["machine_numba"]


def test_cli_run_writes_trace_metrics_and_metadata(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text('[problem]\nn_states = 6\nn_actions = 2\nfeature_dim = 2\n[run]\nsamples = 600\nsnapshots = 5\n')
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    assert "final: k=600" in capsys.readouterr().out
    trace = Trace.load(tmp_path / "out")
    pd.testing.assert_frame_equal(frames.read_csv(tmp_path / "out" / "metrics.csv"), evaluate(trace),
                                  check_exact=True)
    meta = frames.read_csv(tmp_path / "out" / "meta.csv")
    assert len(meta) == 1 and meta["radius"].iloc[0] == trace.meta["radius"]


def test_a_seed_batchs_start_memo_gives_the_evaluators_metrics_at_theta_0():
    from a3c_theory.pipeline import _StartMemo

    problem = config.build_problem(config.from_dict({"problem": {"kind": "trap_chain", "n_states": 6}}))
    memo, evaluator = _StartMemo(exact.Evaluator(problem)), exact.Evaluator(problem)
    theta, rng = np.zeros(problem.policy.dim), np.random.default_rng(0)
    for w in (np.zeros(problem.critic_dim), rng.normal(size=problem.critic_dim), rng.normal(size=problem.critic_dim)):
        for lam in (0.0, 0.5):
            assert list(memo.metrics(theta, w, lam).items()) == list(evaluator.metrics(theta, w, lam).items())
    assert set(memo._at_start) == {0.0, 0.5}  # computed once per λ
