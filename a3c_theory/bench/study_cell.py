"""End-to-end benchmark of one speedup-study cell, run two ways in the same process (issue 18, item 6).

The cell: the 6-state trap chain (one-hot critic), i.i.d. sampling with refresh M = 1000, c_α = 3, N = 16
workers, round-robin delays, gap targets 50/80/95 %, horizon 3·10⁵ updates, ``seeds`` seeds.

- **old way**: what the studies do today: ``sweep.execute_one`` per seed (the problem built per run), the
  full horizon, 60 log-spaced snapshots, each evaluated exactly, and the hitting time read from the
  snapshots (``studies.stats.first_crossing``, linear interpolation between the bracketing snapshots);
- **new way**: one seed batch (``sweep.execute_batch``: problem, evaluator and kernels built once), online
  hitting times (``engine.targets``), each run stopped at its last target, two snapshots.

The seeds are cut into ``repeats`` blocks; each block is timed the old way then the new way (process CPU
time, ``time.process_time``), so a slow spell of the shared machine hits both alike. Keys:

- ``study_throughput_ratio``: median over blocks of (runs per CPU-second, new) / (runs per CPU-second, old);
- ``study_runs_per_cpu_s``: ``{"old", "new"}``, over all blocks;
- ``study_hit_disagreement``: ``{"max", "median"}`` over seeds and targets of |new − old| hitting time in
  units of the old way's resolution at that hit (the spacing of the two snapshots that bracket it);
  ``study_hits_unmatched``: hits reached by one way only;
- ``study_batch_vs_kernel_rate``: the batch's runs per CPU-second ÷ the kernel-only rate (runs per second
  of compiled-kernel time alone, ``kernel_seconds``): the share of a run spent in the update kernels
  (``kernel_seconds`` includes the option-1 refreshes made inside the kernel calls: on this 6-state cell
  about one per 1000 updates at ~4 µs, some 2% of the kernel time);
- ``study_target_cost_fraction``: median share of a new-way run's wall time spent on the online
  evaluations at the checks and on the fine-grid copies (``target_cost_fraction``, timed inside the run);
  ``study_target_overhead``: the same cost measured from outside, everything included (the extra chunk
  ends of the checks too): process CPU of the new way's engine runs ÷ that of the same runs without
  targets, each stopped at the count where its online twin stopped, minus 1;
- ``study_updates_fraction``: median updates run by the new way ÷ the horizon;
- ``study_settings``: the cell and the sizes.
"""

import time

import numpy as np

from .. import config, sweep
from ..studies.stats import first_crossing, target_level

TARGETS = (0.5, 0.8, 0.95)
OLD_SNAPSHOTS = 60


def default_sizes(quick: bool) -> dict:
    """Seeds and repeats (blocks) of the benchmark; ``quick`` runs 10 seeds in 2 blocks."""
    return {"study_seeds": 10, "study_repeats": 2, "study_horizon": 300_000} if quick else \
        {"study_seeds": 100, "study_repeats": 5, "study_horizon": 300_000}


def cell(horizon: int, seed: int = 0, online: bool = False) -> dict:
    """The config of one run of the cell (the old way's, or with ``online`` the new way's)."""
    d = {"problem": {"kind": "trap_chain", "n_states": 6, "critic_features": "one_hot"},
         "algorithm": {"sampling": "iid", "refresh": 1000, "c_alpha": 3.0},
         "run": {"mode": "simulated", "workers": 16, "delay": "round_robin", "samples": horizon,
                 "snapshots": 2 if online else OLD_SNAPSHOTS, "seed": seed}}
    if online:
        d["targets"] = {"gap": list(TARGETS)}
    return config.from_dict(d).to_dict()


def _old_hits(table) -> tuple[list, list]:
    """Hitting times read from the snapshots as the studies do, and the old way's resolution at each (the
    spacing of the bracketing snapshots; NaN when not reached)."""
    k, J = table["samples"].to_numpy(float), table["J"].to_numpy(float)
    J0, Jstar = J[0], J[0] + table["gap"].to_numpy(float)[0]
    hits, spacing = [], []
    for f in TARGETS:
        hit = first_crossing(k, J, target_level(J0, Jstar, f))
        i = int(np.searchsorted(k, hit)) if np.isfinite(hit) else -1
        hits.append(hit)
        spacing.append(float(k[i] - k[i - 1]) if i > 0 else (1.0 if i == 0 else np.nan))
    return hits, spacing


def _target_overhead(horizon: int, seeds: list, repeats: int = 3) -> float:
    """``study_target_overhead`` (module docstring) on ``seeds``, the two kinds of run interleaved, median of
    ``repeats``."""
    from .. import engine
    from ..engine.run_setup import Shared
    from ..exact import single_thread_blas

    online = [config.from_dict(cell(horizon, int(s), online=True)) for s in seeds]
    shared = Shared(online[0])
    with single_thread_blas():
        stops = [engine.run(cfg, progress=False, shared=shared).meta["updates_run"] for cfg in online]
        bare = [config.from_dict({**cell(stop, int(s), online=True), "targets": {}}) for s, stop in zip(seeds, stops)]
        ratios = []
        for _ in range(repeats):
            times = []
            for cfgs in (online, bare):
                tick = time.process_time()
                for cfg in cfgs:
                    engine.run(cfg, progress=False, shared=shared)
                times.append(time.process_time() - tick)
            ratios.append(times[0] / times[1] - 1.0)
    return float(np.median(ratios))


def bench_study(quick: bool = False, sizes: dict | None = None) -> dict:
    """Run the cell both ways (module docstring) and return the result keys."""
    sizes = {**default_sizes(quick), **(sizes or {})}
    n_seeds, repeats, horizon = sizes["study_seeds"], sizes["study_repeats"], sizes["study_horizon"]
    blocks = [list(b) for b in np.array_split(np.arange(n_seeds), min(repeats, n_seeds)) if len(b)]
    sweep.execute_one(cell(1000))  # compile or load the kernels outside the timings
    sweep.execute_batch({"task": sweep.DEFAULT_TASK, "configs": [cell(1000, online=True)]})
    ratios, cpu = [], {"old": 0.0, "new": 0.0}
    disagreement, unmatched, kernel_s, fractions, updates = [], 0, 0.0, [], []
    for block in blocks:
        tick = time.process_time()
        old = [sweep.execute_one(cell(horizon, int(s))) for s in block]
        old_cpu = time.process_time() - tick
        tick = time.process_time()
        new = sweep.execute_batch({"task": sweep.DEFAULT_TASK,
                                   "configs": [cell(horizon, int(s), online=True) for s in block]})
        new_cpu = time.process_time() - tick
        cpu["old"] += old_cpu
        cpu["new"] += new_cpu
        ratios.append(old_cpu / new_cpu)
        for old_result, (new_result, error) in zip(old, new):
            if error is not None:
                raise error
            meta = new_result.meta
            kernel_s += meta["kernel_seconds"]
            fractions.append(meta["target_cost_fraction"])
            updates.append(meta["updates_run"] / horizon)
            hits, spacing = _old_hits(old_result.table)
            for f, old_hit, resolution in zip(TARGETS, hits, spacing):
                new_hit = meta[f"hits_gap_{f:g}"]
                if np.isfinite(old_hit) != (new_hit is not None):
                    unmatched += 1
                elif new_hit is not None:
                    disagreement.append(abs(new_hit - old_hit) / resolution)
    batch_rate = n_seeds / cpu["new"]
    overhead = _target_overhead(horizon, blocks[0])
    return {
        "study_throughput_ratio": float(np.median(ratios)),
        "study_throughput_ratio_blocks": [float(r) for r in ratios],
        "study_runs_per_cpu_s": {"old": n_seeds / cpu["old"], "new": batch_rate},
        "study_hit_disagreement": {"max": float(np.max(disagreement)) if disagreement else float("nan"),
                                   "median": float(np.median(disagreement)) if disagreement else float("nan")},
        "study_hits_unmatched": unmatched,
        "study_batch_vs_kernel_rate": batch_rate / (n_seeds / kernel_s),
        "study_target_cost_fraction": float(np.median(fractions)),
        "study_target_overhead": overhead,
        "study_updates_fraction": float(np.median(updates)),
        "study_settings": {"instance": "trap_chain 6, one_hot", "sampling": "iid, refresh 1000", "c_alpha": 3.0,
                           "workers": 16, "delay": "round_robin", "targets": list(TARGETS), "horizon": horizon,
                           "seeds": n_seeds, "blocks": len(blocks), "old_snapshots": OLD_SNAPSHOTS},
    }
