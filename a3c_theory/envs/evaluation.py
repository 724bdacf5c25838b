"""Trace → metric table of a CartPole run: Monte Carlo returns at every snapshot (no exact quantity exists).

CartPole has no closed-form ``J(θ)``, ``∇J``, ``J*`` or TD fixed point, so the finite-MDP columns ``J``, ``gap``,
``grad_norm_sq``, ``critic_gap``, … are **absent** from this table (not zero, not NaN-filled). Its columns
(:data:`COLUMNS`):

- ``k``, ``samples`` (= k), ``samples_per_worker`` (mean over workers), ``time_s`` as for every run;
- ``return_mean``, ``return_lo``, ``return_hi``: the policy ``π_{θ_k}``'s mean undiscounted return (steps
  survived, truncation at 500) over ``problem.eval_episodes`` compiled episodes (:func:`.fourier.evaluate`)
  and its 95% Student-t interval;
- ``avg_return``: the paper's "running-average test reward", the mean of ``return_mean`` over the last
  ``m = problem.return_window`` snapshots (fewer at the first ``m − 1`` snapshots: all of them so far).

Streams: snapshot ``j`` of a run with ``run.seed = s`` is evaluated with ``SeedSequence(s).spawn(4)[3]``'s
``j``-th spawned child (the run's sampling, compute-time and delay streams are children 0–2), so evaluations
are independent of training and of each other, and paired across runs that share ``run.seed``.

Divergence: a snapshot with a non-finite ``θ`` has no policy; the table stops before it (the trace's
recorded divergence is returned unchanged).
"""

import numpy as np
import pandas as pd

from .. import divergence
from .fourier import evaluate

COLUMNS = ("k", "samples", "samples_per_worker", "time_s", "return_mean", "return_lo", "return_hi", "avg_return")

EVALUATION_CHILD = 3
"""Index of the evaluation stream among ``SeedSequence(run.seed)``'s children."""


def evaluation_seeds(run_seed: int, count: int) -> list:
    """The ``SeedSequence`` of each of ``count`` snapshots (module docstring)."""
    return np.random.SeedSequence(int(run_seed)).spawn(EVALUATION_CHILD + 1)[EVALUATION_CHILD].spawn(count)


def trailing_mean(values, m: int) -> np.ndarray:
    """``out[j] = mean(values[max(0, j − m + 1) : j + 1])``."""
    values = np.asarray(values, dtype=np.float64)
    sums = np.concatenate([[0.0], np.cumsum(values)])
    j = np.arange(values.size)
    start = np.maximum(0, j - m + 1)
    return (sums[j + 1] - sums[start]) / (j + 1 - start)


def metric_table(trace, arrays: dict, problem) -> tuple[pd.DataFrame, divergence.Divergence | None]:
    """``(table, divergence)`` from the trace's checked snapshot ``arrays`` (``evaluate._trace_arrays``)."""
    diverged = divergence.from_meta(getattr(trace, "meta", {}))
    seeds = evaluation_seeds(trace.config["run"]["seed"], arrays["k"].size)
    rows = []
    for j, theta in enumerate(arrays["theta"]):
        found = divergence.first_non_finite(int(arrays["k"][j]), theta=theta)
        if found is not None:
            diverged = found
            break
        est = evaluate(problem.actor_matrix(theta), problem.order, problem.eval_episodes, seeds[j]).estimate
        rows.append((est.value, est.lo, est.hi))
    n = len(rows)
    mean, lo, hi = (np.array(col, dtype=np.float64) for col in zip(*rows)) if rows else (np.empty(0),) * 3
    k = arrays["k"][:n]
    table = pd.DataFrame({
        "k": k, "samples": k.copy(), "samples_per_worker": arrays["samples_per_worker"][:n],
        "time_s": arrays["time_s"][:n], "return_mean": mean, "return_lo": lo, "return_hi": hi,
        "avg_return": trailing_mean(mean, problem.return_window),
    })
    return table, diverged
