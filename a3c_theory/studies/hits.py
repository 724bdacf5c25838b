"""Costs to target from the online hitting times of the runs' metadata (``engine.targets``), for the studies
to use in place of hitting times read from snapshots (``stats.costs_to_target``).

A run with targets records, per target ``name`` (``engine.targets.target_name``: ``gap_0.5``,
``avg_grad_0.3``, ``critic_gap_0.1``), ``hits_<name>`` (updates; the first crossing on the fine grid, to
``hit_resolution`` of the count) and ``hit_times_<name>`` (clock: simulated time, or in threads mode the
wall stamp of the check, seconds since the threads started, the axis of the runs' ``time_s``), NaN when not
reached; ``updates_run`` (what it spent: it may have stopped at its last target) and ``hit_horizon``
(``run.samples``).
"""

import numpy as np
import pandas as pd

from ..errors import ValidationError

COLUMNS = ("run_id", "cost", "spent", "horizon")


def online_costs(meta: pd.DataFrame, target: str, cost: str = "samples") -> pd.DataFrame:
    """One row per run of ``meta`` (``Results.meta``, or a sweep's ``runs.csv``): ``run_id``, ``cost`` (the
    hitting time of ``target`` in updates (``cost="samples"``) or clock time (``"time"``); ``+inf`` when not
    reached within the horizon or before a divergence: an event of the first kind, as in
    ``stats.costs_to_target``), ``spent`` (updates run: the numerator of ERT) and ``horizon``."""
    if cost not in ("samples", "time"):
        raise ValidationError("cost", f"must be 'samples' or 'time', got {cost!r}")
    column = f"{'hits' if cost == 'samples' else 'hit_times'}_{target}"
    for name in ("run_id", column, "updates_run", "hit_horizon"):
        if name not in meta.columns:
            raise ValidationError(f"meta.{name}", "column is missing (were the runs given this target?)")
    hits = pd.to_numeric(meta[column], errors="coerce").to_numpy(float)
    return pd.DataFrame({"run_id": meta["run_id"].to_numpy(), "cost": np.where(np.isnan(hits), np.inf, hits),
                         "spent": meta["updates_run"].to_numpy(float), "horizon": meta["hit_horizon"].to_numpy(float)},
                        columns=list(COLUMNS))


def with_online(costs: pd.DataFrame, meta: pd.DataFrame | None, target: str, cost: str = "samples") -> pd.DataFrame:
    """``costs`` (``stats.costs_to_target``: one row per run, read from its snapshots) with the ``cost`` of every
    run whose metadata recorded ``target`` online (its ``target_levels_<target>``) replaced by that run's online
    hitting time (:func:`online_costs`, same unit); the other columns, horizons included, stay the table's."""
    column = f"target_levels_{target}"
    if meta is None or column not in meta.columns:
        return costs
    recorded = meta[meta[column].notna() & meta["run_id"].isin(costs["run_id"])]
    if recorded.empty:
        return costs
    online = online_costs(recorded, target, cost).set_index("run_id")["cost"]
    out = costs.copy()
    hit = out["run_id"].isin(online.index).to_numpy()
    out.loc[hit, "cost"] = out.loc[hit, "run_id"].map(online).to_numpy(float)
    return out
