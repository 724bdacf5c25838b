"""One run, end to end: config → problem → engine → trace → exact metric table, with its metadata.

``run_one(config) -> RunResult(trace, table, meta)`` is the only place this path is written; ``a3c-theory run``,
the sweep's default task (and through it ``reproduce``) call it.

``meta`` is one flat dict of scalars per run (the columns of a sweep's per-run table): the engine's
``trace.meta`` (built by ``engine.run_setup.run_meta``) with nested dicts flattened by joining keys with
``_`` (``sampling_law_bias_tv_mu_mean``, ``machine_numba``, …), plus ``engine_seconds`` and
``evaluate_seconds`` (wall time of the two stages in this process), and the outcome (``outcome``,
``diverged_at``, ``diverged_quantity``; :mod:`a3c_theory.divergence`): a run whose ``θ``, ``ω`` or metrics
left the floats is a result, not an error; its table stops before the divergence. A config whose defaults
were resolved from the instance adds ``config_notes`` (``config.Config.notes``, joined by ``; ``).
"""

import time
from dataclasses import dataclass

import pandas as pd

from . import config as config_module
from . import divergence, engine
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
    started = time.perf_counter()
    trace = engine.run(cfg, progress=progress, problem=problem)
    engine_seconds = time.perf_counter() - started
    table, diverged = evaluate_run(trace, problem)
    trace.meta.update(divergence.meta_fields(diverged))  # a divergence seen in the metrics, too
    if cfg.notes:  # defaults resolved from the instance (config.Config.notes)
        trace.meta["config_notes"] = "; ".join(cfg.notes)
    meta = flatten(trace.meta)
    meta["engine_seconds"] = engine_seconds
    meta["evaluate_seconds"] = time.perf_counter() - started - engine_seconds
    return RunResult(trace, table, meta)
