"""Numbers that overflow are errors, divergence is an outcome (issue 14, item 5).

- Config bounds: ``algorithm.lam``, ``c_alpha`` and ``c_beta`` beyond their stated range are one-line
  errors naming the field and the range (one parametrised table).
- A run forced to diverge (a NaN written into θ between compiled chunks, or a non-finite metric row) ends
  with the outcome "diverged at k" naming the quantity, in every mode; its snapshots before k are kept.
- ``a3c-theory run`` reports it in one line with exit status 1; a sweep records it (``outcome`` column)
  and completes, and the statistics count the run as never reaching the target.
"""

import numpy as np
import pytest

from a3c_theory import cli, config, divergence, sweep
from a3c_theory.engine import run_setup, threads
from a3c_theory.errors import ValidationError
from a3c_theory.exact import Evaluator
from a3c_theory.pipeline import run_one
from a3c_theory.studies import stats
from a3c_theory.trace import Trace

SMALL = {"problem": {"n_states": 6, "n_actions": 2, "feature_dim": 3}, "run": {"samples": 2000, "snapshots": 8}}
BREAK_AT = 100
"""The forced divergence: NaN in θ once a chunk ends past this count."""


def _cfg(**sections) -> config.Config:
    return config.from_dict({name: {**SMALL.get(name, {}), **sections.get(name, {})} for name in config.SCHEMA})


BOUNDS = [  # (field, value, the range the error must name)
    ("algorithm.lam", 1e300, "[0, 1e+06]"),
    ("algorithm.lam", 1.5e6, "[0, 1e+06]"),
    ("algorithm.c_alpha", 1e308, "(0, 1e+06]"),
    ("algorithm.c_alpha", float("inf"), "(0, 1e+06]"),
    ("algorithm.c_beta", 1e7, "(0, 1e+06]"),
]


@pytest.mark.parametrize("field, value, allowed", BOUNDS)
def test_out_of_range_step_sizes_and_lambda_are_one_line_errors(field, value, allowed):
    section, key = field.split(".")
    with pytest.raises(ValidationError) as err:
        config.from_dict({section: {key: value}})
    assert str(err.value).startswith(field) and allowed in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("field", ["algorithm.lam", "algorithm.c_alpha", "algorithm.c_beta"])
def test_the_bound_itself_is_valid(field):
    section, key = field.split(".")
    assert getattr(getattr(config.from_dict({section: {key: 1e6}}), section), key) == 1e6


def _nan_after(kernel, theta_arg: int, k_arg=None, done=None):
    """``kernel`` followed by a NaN in θ (its argument ``theta_arg``) once the count passes :data:`BREAK_AT`."""
    def broken(*args):
        reached = kernel(*args)
        k = int(args[k_arg]) if k_arg is not None else int(done(args))
        if k > BREAK_AT:
            args[theta_arg][0] = np.nan
        return reached
    return broken


@pytest.fixture
def force_divergence(monkeypatch):
    for name in ("simulated_chunk", "simulated_refreshing_chunk"):  # (the second refreshes i.i.d. laws inside)
        monkeypatch.setattr(run_setup, name, _nan_after(getattr(run_setup, name), 2, k_arg=15))
    monkeypatch.setattr(run_setup, "sync_chunk",
                        _nan_after(run_setup.sync_chunk, 2, done=lambda a: int(a[11]) * 2))
    monkeypatch.setattr(threads, "hogwild_chunk", _nan_after(threads.hogwild_chunk, 2, done=lambda a: a[16][0]))


@pytest.mark.parametrize("mode, workers", [("simulated", 1), ("simulated", 3), ("sync", 2), ("threads", 2)])
def test_a_run_whose_theta_leaves_the_floats_ends_diverged_with_its_snapshots_before(force_divergence, mode,
                                                                                    workers, tmp_path):
    result = run_one(_cfg(run={"mode": mode, "workers": workers}))
    found = result.divergence
    assert found is not None and found.quantity == "theta" and BREAK_AT < found.k <= 2000
    assert result.meta["outcome"] == "diverged" and result.meta["diverged_at"] == found.k
    trace = Trace.load(result.trace.save(tmp_path))
    assert trace.divergence == found
    assert trace.k[-1] < found.k and np.all(np.isfinite(trace.theta)) and np.all(np.isfinite(trace.w))
    assert list(result.table["k"]) == list(trace.k)
    assert found.message() == f"diverged at k = {found.k}: theta is not finite"


def test_a_finished_run_records_its_outcome():
    result = run_one(_cfg())
    assert result.divergence is None and result.meta["outcome"] == "finished"
    assert result.table["k"].iloc[-1] == 2000


def test_metrics_after_a_non_finite_metric_row_are_not_reported(monkeypatch):
    metrics = Evaluator.metrics
    calls = []

    def overflowing(self, theta, w, lam):
        row = metrics(self, theta, w, lam)
        calls.append(1)
        return {**row, "J_lambda": -np.inf} if len(calls) > 3 else row

    monkeypatch.setattr(Evaluator, "metrics", overflowing)
    result = run_one(_cfg())
    assert len(result.table) == 3 and len(calls) == 4  # the rows after the first bad one are not computed
    assert result.divergence == divergence.Divergence(int(result.trace.k[3]), "J_lambda")
    assert result.trace.divergence == result.divergence


def test_cli_run_reports_a_divergence_in_one_line_and_exits_1(force_divergence, tmp_path, capsys):
    path = tmp_path / "run.toml"
    path.write_text('[problem]\nn_states = 6\nn_actions = 2\nfeature_dim = 3\n[run]\nsamples = 2000\n'
                    'snapshots = 8\n')
    assert cli.main(["run", str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "diverged at k = " in err and "theta is not finite" in err
    trace = Trace.load(tmp_path / "out")
    assert trace.divergence is not None and (tmp_path / "out" / "metrics.csv").exists()


def test_a_sweep_records_a_diverged_run_and_stats_count_it_as_never_reached(monkeypatch, tmp_path):
    def diverging_at_c_alpha_2(kernel):  # only the runs with c_alpha = 2 diverge
        def chunk(*args):
            reached = kernel(*args)
            if args[1].c_alpha == 2.0 and int(args[15]) > 1500:
                args[2][0] = np.inf
            return reached
        return chunk

    for name in ("simulated_chunk", "simulated_refreshing_chunk"):
        monkeypatch.setattr(run_setup, name, diverging_at_c_alpha_2(getattr(run_setup, name)))
    path = sweep.run_sweep(_cfg().to_dict(), {"algorithm.c_alpha": [1.0, 2.0]}, seeds=1, out_dir=tmp_path,
                           jobs=1, progress=False)
    from a3c_theory import frames

    runs = frames.read_csv(tmp_path / "runs.csv").set_index("run_id")
    assert list(runs["outcome"]) == ["finished", "diverged"]
    assert list(runs["diverged_quantity"].fillna("")) == ["", "theta"]
    table = frames.read_csv(path)
    table["workers"] = 1
    reached = stats.costs_to_target(table, target_fraction=0.01).set_index("run_id")["cost"]
    assert np.all(np.isfinite(reached)), "the target is reached by both runs before the divergence"
    table["outcome"] = table["run_id"].map(runs["outcome"])
    costs = stats.costs_to_target(table, target_fraction=0.01).set_index("run_id")["cost"]
    diverged = runs.index[runs["outcome"] == "diverged"]
    assert np.isinf(costs[diverged]).all() and costs.drop(diverged).equals(reached.drop(diverged))


@pytest.mark.parametrize("value, finite", [
    (np.array([1.0, -2.0]), True), (np.zeros(0), True), (np.array([1e300, 1e300]), True),
    (np.array([1.0, np.nan]), False), (np.array([np.inf, 0.0]), False), (np.array([-np.inf]), False),
    (np.array([[1.0, np.nan]]), False), (np.array([[1.0, 2.0]]), True), (np.array([1, 2]), True),
    (0.5, True), (float("nan"), False), (float("-inf"), False), (np.float64(np.inf), False),
])
def test_first_non_finite_names_the_first_non_finite_quantity(value, finite):
    assert divergence.first_non_finite(7, ok=np.ones(2), value=value) == \
        (None if finite else divergence.Divergence(7, "value"))
