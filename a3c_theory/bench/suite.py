"""``a3c-theory bench``: run every benchmark, check the targets, print a table, return a JSON-ready dict.

:func:`run_benchmarks` merges :func:`.engine_speed.bench_engine`, :func:`.equations_cost.bench_equations`,
:func:`.study_cell.bench_study` (one speedup-study cell, the old way and the new) and, when
present, ``bench.exact_time.bench_exact`` into one flat dict, adds the machine description and the target checks (``results["targets"]``: one row
per target with its value, threshold and pass/fail). Timings on a shared machine are noisy: every number
is a median over interleaved repeats and the targets are on ratios measured within the same run.
"""

import math

from ..trace import machine_description
from .engine_speed import bench_engine
from .equations_cost import bench_equations
from .study_cell import bench_study

TARGETS = (
    # (key, sub-key or None, comparison, threshold, what)
    ("kernel_ns_per_update", "paper_iid", "<=", 200.0, "one worker, plain loop, paper instance, i.i.d. (ns)"),
    ("kernel_ns_per_update", "paper_markov", "<=", 200.0, "one worker, plain loop, paper instance, Markov (ns)"),
    ("speedup_vs_numpy", None, ">=", 125.0, "compiled kernel / careful NumPy loop"),
    ("simulated_overhead", None, "<=", 1.15, "simulated N=16 round-robin / plain kernel, time per sample"),
    ("thread_efficiency_garnet10k", "2", ">=", 0.9, "Hogwild, 2 threads, 10k-state garnet"),
    ("thread_efficiency_paper_batched", "2", ">=", 0.85, "Hogwild, 2 threads, paper instance, batched writes"),
    ("cached_load_s", None, "<=", 1.0, "import + first call from numba's cache, new process (s)"),
    ("exact_metrics_paper_s", None, "<=", 1e-3, "exact metrics at one theta, 100 states (s)"),
    ("exact_metrics_garnet10k_s", None, "<=", 0.1, "exact metrics at one theta, 10k states (s)"),
    ("diagnose_paper_s", None, "<=", 2.0, "a3c-theory diagnose, paper instance (s)"),
    ("diagnose_garnet10k_s", None, "<=", 30.0, "a3c-theory diagnose, 10k-state garnet (s)"),
    ("study_throughput_ratio", None, ">=", 5.0, "speedup cell: runs per CPU-second, online+stop+batch / old way"),
    ("study_batch_vs_kernel_rate", None, ">=", 0.8, "speedup cell: batch runs per CPU-second / kernel-only rate"),
    ("study_target_cost_fraction", None, "<=", 0.1, "speedup cell: online evaluations' share of a run's time"),
)


BUSY_MACHINE_CEILING = 0.8
"""Below this 2-thread efficiency of independent runs the report warns that the machine was busy."""


def run_benchmarks(quick: bool = False, sizes: dict | None = None, include_exact: bool = True) -> dict:
    """All benchmarks in one dict (keys documented in :mod:`.engine_speed` and ``bench.exact_time``); ``sizes``
    overrides the engine benchmark's run lengths and ``include_exact=False`` skips the exact-calculus
    benchmark (both for tests)."""
    results = {"quick": bool(quick), "machine": machine_description()}
    results.update(bench_engine(quick, sizes))
    results.update(bench_equations(quick))
    results.update(bench_study(quick, sizes))
    if include_exact:
        try:
            from .exact_time import bench_exact
        except ImportError:  # the exact-calculus benchmark is optional
            pass
        else:
            results.update(bench_exact(quick))
        from .diagnose_time import bench_diagnose

        results.update(bench_diagnose(quick))
    results["targets"] = check_targets(results)
    return results


def check_targets(results: dict) -> list[dict]:
    """One row per target: name, value (None when not measured, e.g. 2 threads on a 1-core machine),
    comparison, threshold, passed (None when not measured)."""
    rows = []
    for key, sub, comparison, threshold, what in TARGETS:
        value = results.get(key)
        if sub is not None:
            value = value.get(sub) if isinstance(value, dict) else value
        name = key if sub is None else f"{key}[{'N=' + sub if sub.isdigit() else sub}]"
        passed = None
        if isinstance(value, (int, float)) and math.isfinite(value):
            passed = value >= threshold if comparison == ">=" else value <= threshold
        rows.append({"name": name, "value": value, "comparison": comparison, "threshold": threshold,
                     "passed": passed, "what": what})
    return rows


def _fmt(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_fmt(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def print_report(results: dict) -> None:
    """Print the measurements, then the targets with pass/fail."""
    machine = results.get("machine", {})
    print(f"a3c-theory bench ({'quick' if results.get('quick') else 'full'}) on {machine.get('cpu', '?')}, "
          f"{machine.get('cores', '?')} cores; medians of interleaved repeats, shared machine: expect noise")
    width = max(len(k) for k in results)
    for key, value in results.items():
        if key in ("machine", "targets", "quick"):
            continue
        if isinstance(value, dict):
            print(f"  {key:<{width}}  " + ", ".join(f"{k}={_fmt(v)}" for k, v in value.items()))
        else:
            print(f"  {key:<{width}}  {_fmt(value)}")
    ceiling = results.get("thread_efficiency_independent_paper", {}).get("2")
    if ceiling is not None and ceiling < BUSY_MACHINE_CEILING:
        print(f"  note: independent runs scaled only {ceiling:.2f} at 2 threads: the machine was busy, so the "
              "thread efficiencies measure the load, not the code (see thread_efficiency_vs_independent)")
    print("targets:")
    for row in results.get("targets", []):
        verdict = {True: "PASS", False: "FAIL", None: "n/a"}[row["passed"]]
        print(f"  {verdict:<4}  {row['name']:<40} {_fmt(row['value']):>10} {row['comparison']} "
              f"{_fmt(row['threshold']):<7} {row['what']}")
