"""One run, end to end: config → problem → engine → trace → exact metric table, with its metadata.

``run_one(config) -> RunResult(trace, table, meta)`` is the only place this path is written; ``a3c-theory run``,
the sweep's default task (and through it ``reproduce``) call it. ``run_batch(configs)`` runs a seed batch
(one config, many ``run.seed``) through the same path, building what the runs share once.

``meta`` is one flat dict of scalars per run (the columns of a sweep's per-run table): the engine's
``trace.meta`` (built by ``engine.run_setup.run_meta``) with nested dicts flattened by joining keys with
``_`` (``sampling_law_bias_tv_mu_mean``, ``machine_numba``, …), plus ``engine_seconds`` and
``evaluate_seconds`` (wall time of the two stages in this process), the online hitting times of the
run's targets (``hits_<target>``, ``hit_times_<target>``, ``hit_steps_<target>``, ``target_levels_<target>``,
None when not reached; ``hit_resolution``, ``stop_reason``: :mod:`a3c_theory.engine.targets`), and the outcome (``outcome``,
``diverged_at``, ``diverged_quantity``; :mod:`a3c_theory.divergence`): a run whose ``θ``, ``ω`` or metrics
left the floats is a result, not an error; its table stops before the divergence. A config whose defaults
were resolved from the instance adds ``config_notes`` (``config.Config.notes``, joined by ``; ``).
"""

import time
from dataclasses import dataclass

import pandas as pd

from . import config as config_module
from . import divergence, engine
from .errors import ValidationError
from .evaluate import evaluate_run
from .trace import Trace


@dataclass(frozen=True)
class RunResult:
    """A run's trace (None when dropped, e.g. to keep a sweep worker from shipping θ snapshots back), its
    metric table (one row per snapshot, :data:`a3c_theory.evaluate.COLUMNS`) and its flat metadata."""

    @property
    def divergence(self) -> divergence.Divergence | None:
        """Where the run diverged (its metadata's outcome), or None."""
        return divergence.from_meta(self.meta)

    trace: Trace | None
    table: pd.DataFrame
    meta: dict


def flatten(meta: dict, prefix: str = "") -> dict:
    """``{"a": {"b": 1}, "c": 2}`` → ``{"a_b": 1, "c": 2}``: nested dicts joined with ``_``."""
    flat = {}
    for key, value in meta.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}_"))
        else:
            flat[name] = value
    return flat


def run_one(cfg: config_module.Config, problem=None, progress=False) -> RunResult:
    """Run ``cfg`` (a validated :class:`a3c_theory.config.Config`) and evaluate its trace exactly.
    ``problem`` may be passed to skip rebuilding it; ``progress`` as in :func:`a3c_theory.engine.run`."""
    problem = config_module.build_problem(cfg) if problem is None else problem
    return _run(cfg, progress, problem=problem)


def run_batch(cfgs: list, problem=None):
    """Run a seed batch: configs equal but for ``run.seed`` (else a ValidationError naming the first key that
    differs), one :class:`RunResult` per config, yielded as each run finishes. The problem, its packed
    arrays' inputs, the theory radius, the exact evaluator (and ``J*``, and the metrics at ``θ_0, ω_0``) and the
    compiled kernels are built or loaded once (``engine.run_setup.Shared``), BLAS is pinned once, and each run is
    :func:`run_one`'s, bit for bit."""
    from .engine.run_setup import Shared
    from .exact import single_thread_blas

    cfgs = list(cfgs)
    if not cfgs:
        return
    first = cfgs[0].to_dict()
    first["run"].pop("seed")
    for cfg in cfgs[1:]:
        other = cfg.to_dict()
        other["run"].pop("seed")
        if other != first:
            key = next(f"{section}.{key}" for section in first for key in first[section]
                       if first[section][key] != other[section][key])
            raise ValidationError(key, "differs between the configs of a seed batch (only run.seed may)")
    _check_kind(cfgs[0])
    if cfgs[0].problem.kind == "cartpole":  # no exact evaluator to share: the problem only
        problem = config_module.build_problem(cfgs[0]) if problem is None else problem
        for cfg in cfgs:
            yield _run(cfg, False, problem=problem)
        return
    shared = Shared(cfgs[0], problem)
    evaluator = _StartMemo(shared.evaluator)
    with single_thread_blas():
        for cfg in cfgs:
            yield _run(cfg, False, shared=shared, evaluator=evaluator)


class _StartMemo:
    """A seed batch's ``exact.Evaluator`` that computes the metrics at ``θ = 0`` (every seed's ``θ_0``, and the
    first snapshots after it while the actor has not moved) once per ``λ``: the ``θ``-dependent values
    (``Evaluator.policy_metrics``) are reused and ``critic_gap`` is taken at each snapshot's own ``ω``. On the
    sparse path, whose solves warm-start from the previous call (a reuse there changes the bits of the calls
    after it), only the point ``θ = 0, ω = 0`` is reused. Any other point goes to the evaluator."""

    def __init__(self, evaluator):
        self._evaluator = evaluator
        self._at_start: dict[float, tuple] = {}

    def metrics(self, theta, w, lam: float = 0.0) -> dict:
        if theta.any() or (w.any() and not self._evaluator.stateless):
            return self._evaluator.metrics(theta, w, lam)
        if lam not in self._at_start:
            self._at_start[lam] = self._evaluator.policy_metrics(theta, lam)
        return self._evaluator.with_critic(*self._at_start[lam], w)


def _check_kind(cfg) -> None:
    if cfg.problem.kind == "lqr":
        raise ValidationError("problem.kind", "seed batches share a finite MDP's exact evaluator: run 'lqr' "
                              "configs one at a time (pipeline.run_one)")


def _run(cfg, progress, problem=None, shared=None, evaluator=None) -> RunResult:
    started = time.perf_counter()
    trace = engine.run(cfg, progress=progress, problem=problem, shared=shared)
    engine_seconds = time.perf_counter() - started
    table, diverged = evaluate_run(trace, problem if shared is None else shared.problem, evaluator=evaluator,
                                   fingerprint=None if shared is None else shared.fingerprint)
    trace.meta.update(divergence.meta_fields(diverged))  # a divergence seen in the metrics, too
    if cfg.notes:  # defaults resolved from the instance (config.Config.notes)
        trace.meta["config_notes"] = "; ".join(cfg.notes)
    meta = flatten(trace.meta)
    meta["engine_seconds"] = engine_seconds
    meta["evaluate_seconds"] = time.perf_counter() - started - engine_seconds
    return RunResult(trace, table, meta)
