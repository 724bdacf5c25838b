"""Trace → metric table: the exact quantities of the paper's analysis at every parameter snapshot of a run.

One row per snapshot ``k_j`` (global update count) with columns

- ``k``, ``samples`` (= k, updates: one critic and one actor sample each), ``samples_per_worker`` (mean over
  workers), ``time_s``;
- ``J``, ``J_lambda`` = J + λR, ``gap`` = J* − J, ``grad_norm_sq`` = ‖∇J(θ_k)‖²,
  ``grad_lambda_norm_sq`` = ‖∇J_λ(θ_k)‖², ``critic_gap`` = ‖ω_k − ω*_{θ_k}‖₂, ``eps_app`` = ε_app(θ_k);
- running averages ``avg_grad_norm_sq``, ``avg_grad_lambda_norm_sq``, ``avg_critic_gap_sq`` of
  ``(1/K) Σ_{k<K} f_k`` — the left-hand sides of the convergence theorems.

Running averages from snapshots. Only the snapshots ``k_0 < k_1 < … < k_n`` are recorded, so the sum over
every update is replaced by the integral of the piecewise-linear interpolant ``f̃`` of ``f`` over the
snapshot grid (trapezoid rule):

    avg_f(k_j) = (1 / (k_j − k_0)) ∫_{k_0}^{k_j} f̃(x) dx
               = (1 / (k_j − k_0)) Σ_{i<j} (k_{i+1} − k_i)(f_i + f_{i+1}) / 2,      avg_f(k_0) = f_0.

For ``k_0 = 0`` this is ``(1/K) Σ_{k<K} f_k`` up to the interpolation error; it is exact for constant and
for linear sequences (up to the O(1/K) difference between a sum and an integral). Log-spaced snapshots put
the grid where ``f`` changes fastest.

Divergence (:mod:`a3c_theory.divergence`): the rows stop before the first snapshot whose metrics are not
all finite (no number is reported past it), and :func:`evaluate_run` returns that count and the column;
a trace that diverged already holds only its snapshots before the divergence.
"""

import numpy as np
import pandas as pd

from . import divergence
from .errors import ValidationError
from .envs.problem import CartPoleProblem
from .exact import Evaluator, single_thread_blas
from .lqr.evaluator import LQREvaluator
from .lqr.problem import LQRProblem
from .problem import Problem

COLUMNS = (
    "k", "samples", "samples_per_worker", "time_s", "J", "J_lambda", "gap", "grad_norm_sq",
    "grad_lambda_norm_sq", "avg_grad_norm_sq", "avg_grad_lambda_norm_sq", "critic_gap", "avg_critic_gap_sq",
    "eps_app",
)

METRIC_KEYS = ("J", "J_lambda", "gap", "grad_norm_sq", "grad_lambda_norm_sq", "critic_gap", "eps_app")
"""The keys of ``exact.Evaluator.metrics`` the table reports."""


def running_average(k, f) -> np.ndarray:
    """``avg_f(k_j) = ∫_{k_0}^{k_j} f̃ / (k_j − k_0)`` by the trapezoid rule on the grid ``k`` (module
    docstring); ``avg_f(k_0) = f_0`` and repeated grid points carry the previous average."""
    k = np.asarray(k, dtype=np.float64)
    f = np.asarray(f, dtype=np.float64)
    area = np.concatenate([[0.0], np.cumsum(np.diff(k) * 0.5 * (f[1:] + f[:-1]))])
    span = k - k[0]
    out = np.empty_like(f)
    if f.size == 0:  # a run that diverged before its first metric row
        return out
    out[0] = f[0]
    for j in range(1, f.size):
        out[j] = area[j] / span[j] if span[j] > 0 else out[j - 1]
    return out


def _trace_arrays(trace) -> dict:
    """The trace's snapshot arrays, checked for matching lengths and a non-decreasing grid."""
    k = np.asarray(trace.k, dtype=np.int64).ravel()
    n = k.size
    if n == 0:
        raise ValidationError("trace.k", "has no snapshots")
    if np.any(np.diff(k) < 0) or k[0] < 0:
        raise ValidationError("trace.k", "must be non-negative and non-decreasing")
    arrays = {
        "theta": np.asarray(trace.theta, dtype=np.float64),
        "w": np.asarray(trace.w, dtype=np.float64),
        "time_s": np.asarray(trace.time_s, dtype=np.float64),
        "samples_per_worker": np.asarray(trace.samples_per_worker, dtype=np.float64),
    }
    for name, arr in arrays.items():
        if arr.shape[:1] != (n,):
            raise ValidationError(f"trace.{name}", f"must have one row per snapshot ({n}), got shape {arr.shape}")
    spw = arrays["samples_per_worker"]
    arrays["samples_per_worker"] = spw.mean(axis=1) if spw.ndim == 2 else spw
    arrays["k"] = k
    return arrays


def check_problem(trace, problem: Problem, fingerprint: dict | None = None) -> None:
    """Refuse to evaluate ``trace`` on a problem other than the one it was recorded on: the digests of
    ``problem.fingerprint()`` (``fingerprint`` when already computed) must equal
    ``trace.meta["problem_fingerprint"]`` (a trace without one, from an older version, is not checked). The
    error names the parts that differ and both package versions."""
    recorded = getattr(trace, "meta", {}).get("problem_fingerprint")
    if not recorded:
        return
    current = problem.fingerprint() if fingerprint is None else fingerprint
    differ = sorted(name for name in set(recorded) | set(current) if recorded.get(name) != current.get(name))
    if differ:
        from . import __version__

        raise ValidationError("trace", f"was recorded on a different problem: {', '.join(differ)} differ from "
                              "what its config builds now (was the config edited after the run?); recorded with "
                              f"a3c-theory {trace.meta.get('package_version', '?')}, this is {__version__}")


def evaluate(trace, problem: Problem | LQRProblem | None = None) -> pd.DataFrame:
    """The metric table of ``trace``: a DataFrame with columns :data:`COLUMNS` (``k``, ``samples`` int64, the
    rest float64), one row per snapshot (see module docstring) up to a divergence. On a linear-quadratic
    problem ``theta`` is the gain K (flattened row-major) and the metrics are
    :class:`a3c_theory.lqr.evaluator.LQREvaluator`'s (an unstable gain, J = −inf, is a divergence). On CartPole
    no exact quantity exists: the table has the columns of :data:`a3c_theory.envs.evaluation.COLUMNS`
    (Monte Carlo returns with intervals, the running-average test reward) instead.

    ``trace`` needs ``config`` (nested dict; λ at ``config["algorithm"]["lam"]``), ``k``, ``theta``,
    ``w``, ``time_s`` and ``samples_per_worker``. ``problem`` defaults to the one rebuilt from the config.
    """
    return evaluate_run(trace, problem)[0]


def evaluate_run(trace, problem: Problem | LQRProblem | None = None, evaluator=None,
                 fingerprint: dict | None = None) -> tuple[pd.DataFrame, divergence.Divergence | None]:
    """``(table, divergence)``: :func:`evaluate`'s table and where the run diverged (the trace's recorded
    divergence, else the first snapshot with a non-finite metric, named by its column), or None.
    ``evaluator``: an ``exact.Evaluator`` of ``problem`` to reuse, ``fingerprint``: ``problem.fingerprint()``
    (a seed batch shares both)."""
    if problem is None:
        from . import config as config_module

        problem = config_module.build_problem(config_module.from_dict(trace.config))
    check_problem(trace, problem, fingerprint)
    arrays = _trace_arrays(trace)
    if isinstance(problem, CartPoleProblem):  # no exact quantities: Monte Carlo returns
        from .envs.evaluation import metric_table

        return metric_table(trace, arrays, problem)
    lam = float(trace.config["algorithm"]["lam"])
    if evaluator is None:
        evaluator = LQREvaluator(problem) if isinstance(problem, LQRProblem) else Evaluator(problem)
    diverged = divergence.from_meta(getattr(trace, "meta", {}))
    rows = []
    with single_thread_blas(), np.errstate(over="ignore", invalid="ignore"):
        for k, theta, w in zip(arrays["k"], arrays["theta"], arrays["w"]):
            row = evaluator.metrics(theta, w, lam)
            found = divergence.first_non_finite(k, **row)
            if found is not None:
                diverged = found
                break
            rows.append(row)
    n = len(rows)
    arrays = {name: value[:n] for name, value in arrays.items()}
    metric = {key: np.array([row[key] for row in rows], dtype=np.float64) for key in METRIC_KEYS}
    k = arrays["k"]
    table = pd.DataFrame({
        "k": k,
        "samples": k.copy(),
        "samples_per_worker": arrays["samples_per_worker"],
        "time_s": arrays["time_s"],
        "J": metric["J"],
        "J_lambda": metric["J_lambda"],
        "gap": metric["gap"],
        "grad_norm_sq": metric["grad_norm_sq"],
        "grad_lambda_norm_sq": metric["grad_lambda_norm_sq"],
        "avg_grad_norm_sq": running_average(k, metric["grad_norm_sq"]),
        "avg_grad_lambda_norm_sq": running_average(k, metric["grad_lambda_norm_sq"]),
        "critic_gap": metric["critic_gap"],
        "avg_critic_gap_sq": running_average(k, metric["critic_gap"] ** 2),
        "eps_app": metric["eps_app"],
    })
    return table, diverged
