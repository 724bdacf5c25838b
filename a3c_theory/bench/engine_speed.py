"""Benchmarks of the compiled engine, measured in one run as ratios (medians over interleaved repeats).

One *sample* is one update: one critic and one actor sample. Unless stated, the instance is the paper's
(100 states, 5 actions, d = 10, tabular actor) with option-1 (i.i.d.) sampling whose laws ``μ_θ, d_θ``
stay those of ``θ_0`` (``algorithm.refresh`` above the run length), so every timing is of the update loop
itself, not of ``exact.py``; BLAS is pinned to one thread. Keys (all rates in samples per second):

- ``kernel_samples_per_s``: the single-thread compiled worker loop (threads mode, one worker: the Hogwild
  loop of ``engine.threads.hogwild_chunk``, whose uncontended atomics cost a few ns per sample);
- ``kernel_ns_per_update``: that loop's ns per update on the paper instance with i.i.d. and with Markovian
  sampling (targets ≤ 200 ns each), and with i.i.d. sampling on the 6-state trap chain and on FrozenLake
  4x4 (gymnasium; None when it is not installed): ``{"paper_iid", "paper_markov", "trap_chain_iid",
  "frozenlake4x4_iid"}``;
- ``kernel_parts_ns_per_update``: where that loop's time goes on the paper instance (i.i.d.), each part timed
  on its own by :mod:`a3c_theory.engine.kernel_parts` (median of the repeats): ``rng`` (6 uniforms per
  update), ``softmax`` (2 policies), ``draws`` (6 categorical draws), ``apply`` (step sizes, the parameter
  update from a pending slot, the projection), ``rest`` = ``kernel_ns_per_update["paper_iid"]`` minus their
  sum (the TD values, the pending slot, the loop, and what the parts change in one another: it can be
  negative), and ``refresh_at_M1000``: the compiled option-1 refresh (which the plain loop never makes)
  spread over ``M = 1000`` updates, the studies' refresh interval;
- ``numpy_reference_samples_per_s``: :func:`a3c_theory.reference.run_async` (same update, readable per-sample
  NumPy, uniforms from a ``numpy.random.Generator`` in batches);
  ``speedup_vs_numpy`` = kernel ÷ NumPy (target ≥ 125: 200 ns at the NumPy rate of 25.5 µs per update);
- ``simulated_overhead``: time per sample of the simulated runner with N = 16 round-robin workers
  (``τ = 15``, schedule generation included) ÷ that of the plain kernel (target ≤ 1.15);
- ``thread_efficiency_paper``, ``thread_efficiency_garnet10k``, ``thread_efficiency_paper_batched``:
  ``{N: rate(N) / (N · rate(1))}`` for N = 1 … cores, Hogwild threads mode on the paper instance, on a
  10,000-state garnet (5 actions, branching 10), and on the paper instance with ``run.batch =``
  :data:`BATCH` (targets at N = 2: garnet ≥ 0.9, batched ≥ 0.85); rates are total samples / wall time of
  the threaded phase (``trace.time_s[-1]``);
- ``thread_efficiency_independent_paper``: the same ratio for N independent one-worker runs side by side
  (private parameters, nothing written in common): the ceiling the machine offers during the benchmark,
  to read the Hogwild rows against (on a shared machine it falls when other jobs take the cores);
  ``thread_efficiency_vs_independent``: each Hogwild row divided by it;
- ``compile_s``: first call of the worker kernel in a fresh process with an empty numba cache;
  ``cached_load_s``: import + first call in a second process that loads it from the cache (target ≤ 1 s);
- ``ns_per_sample``: ``{mode: ns}`` for kernel, numpy, simulated_rr16, sync16 (A2C rounds of 16) and the
  threads runs ``threads_<instance>_N<n>``.
"""

import functools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

from .. import config, reference
from ..engine import run
from ..exact import single_thread_blas

BATCH = 256
"""``run.batch`` of the batched-writes benchmark."""

RADIUS = 100.0
"""Critic radius of every benchmark run (skips the theory-radius computation; rarely active)."""

GARNET = {"kind": "garnet", "n_states": 10_000, "n_actions": 5, "branching": 10}
TRAP_CHAIN = {"kind": "trap_chain", "n_states": 6, "critic_features": "one_hot"}
FROZENLAKE = {"kind": "gymnasium", "env": "FrozenLake-v1", "map_name": "4x4", "critic_features": "one_hot"}


def default_sizes(quick: bool) -> dict:
    """Samples per timed run (and repeats): ``quick`` finishes in well under a minute on two cores."""
    if quick:
        return {"kernel": 200_000, "numpy": 3_000, "threads_paper": 400_000, "threads_garnet": 200_000, "repeats": 3}
    return {"kernel": 2_000_000, "numpy": 20_000, "threads_paper": 4_000_000, "threads_garnet": 2_000_000,
            "repeats": 5}


def _cfg(samples: int, problem: dict | None = None, sampling: str = "iid", **run_keys) -> config.Config:
    return config.from_dict({
        "problem": dict(problem or {}),
        "algorithm": {"sampling": sampling, "refresh": 2**62, "radius": RADIUS},
        "run": {"samples": samples, "snapshots": 20, **run_keys},
    })


def _frozenlake_problem():
    """FrozenLake 4x4 (None without gymnasium, an optional dependency)."""
    try:
        return config.build_problem(_cfg(1, FROZENLAKE))
    except ImportError:
        return None


def _seconds_per_sample(cfg, problem) -> float:
    """Wall seconds per sample of one run: the threaded phase (threads mode) or the runner's loop."""
    trace = run(cfg, progress=False, problem=problem)
    seconds = trace.time_s[-1] if cfg.run.mode == "threads" else trace.meta["wall_seconds"]
    return float(seconds) / cfg.run.samples


def _independent_runs_seconds_per_sample(cfg, problem, n: int) -> float:
    """Wall seconds per sample of ``n`` independent one-worker threads-mode runs of ``K/n`` samples each,
    side by side in ``n`` Python threads (private parameters: nothing shared but read-only data). Their
    scaling is what the machine offers at that moment, the ceiling for Hogwild on shared parameters; the
    wall time includes each run's set-up (a few ms)."""
    part = config.from_dict({**cfg.to_dict(), "run": {**cfg.to_dict()["run"], "samples": cfg.run.samples // n}})
    threads = [threading.Thread(target=run, args=(part,), kwargs={"progress": False, "problem": problem})
               for _ in range(n)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return (time.perf_counter() - start) / (n * part.run.samples)


def _interleaved_medians(cases: dict, repeats: int) -> dict:
    """Median of each ``name -> measure()`` (seconds per sample), the cases taking turns in every repeat so
    that a slow spell of the shared machine hits all of them alike."""
    times = {name: [] for name in cases}
    for _ in range(repeats):
        for name, measure in cases.items():
            times[name].append(measure())
    return {name: float(np.median(t)) for name, t in times.items()}


def _numpy_measure(problem, n: int):
    """A ``measure()`` for :func:`_interleaved_medians`: seconds per sample of ``n`` NumPy-reference updates
    from ``θ_0 = 0, ω_0 = 0`` with the laws of ``θ_0`` (as the kernel runs)."""
    alg = _cfg(n).algorithm
    laws = reference.sampling_laws(problem, np.zeros(problem.policy.dim))
    schedule = reference.constant_schedule(n, 1, 0)
    uniforms = reference.BatchedUniforms(np.random.default_rng(0))

    def measure():
        start = time.perf_counter()
        reference.run_async(problem, alg, RADIUS, schedule, [uniforms], laws=laws, history=False)
        return (time.perf_counter() - start) / n

    return measure


_FIRST_CALL = """
import json, time
start = time.perf_counter()
import numpy as np
from a3c_theory import config
from a3c_theory.engine import threads
from a3c_theory.engine.run_setup import prepare_run
imported = time.perf_counter()
cfg = config.from_dict({"problem": {"n_states": 4, "n_actions": 2, "feature_dim": 2},
                        "algorithm": {"radius": 10.0}, "run": {"mode": "threads", "samples": 8}})
setup = prepare_run(cfg)
theta, w = setup.theta, setup.w
shared = threads._SharedRun(setup.hyper, theta, w, np.zeros(1, np.int64), np.array([2**62]), np.zeros((0, theta.size)),
                            np.zeros((0, w.size)), np.zeros((0, 2), np.int64), np.zeros((0, 1), np.int64))
worker = threads._Worker(0, setup, theta, 8, 1, 9, None)
before = time.perf_counter()
worker.chunk(shared, 8)
called = time.perf_counter()
print(json.dumps({"import_s": imported - start, "first_call_s": called - before}))
"""


def _kernel_parts(problem, n: int, repeats: int) -> dict:
    """Medians over ``repeats`` of :func:`a3c_theory.engine.kernel_parts.part_seconds` on ``problem`` at
    ``θ_0`` (the laws there), as the kernel benchmark runs it."""
    from ..engine.kernel_parts import part_seconds
    from ..engine.run_setup import SamplingLaws, prepare_run

    setup = prepare_run(_cfg(n), problem)
    laws = SamplingLaws(setup)
    with single_thread_blas():
        laws.refresh()
        runs = [part_seconds(setup, laws, n, seed) for seed in range(repeats)]
    return {name: None if runs[0][name] is None else float(np.median([r[name] for r in runs])) for name in runs[0]}


def _first_call(cache_dir: str) -> dict:
    """Import and first-call times of the worker kernel in a new Python process using ``cache_dir``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    out = subprocess.run([sys.executable, "-c", _FIRST_CALL], env=env, capture_output=True, text=True, check=True,
                         timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _efficiency(seconds_per_sample: dict, counts: list[int]) -> dict:
    rate1 = 1.0 / seconds_per_sample[1]
    return {str(n): (1.0 / seconds_per_sample[n]) / (n * rate1) for n in counts}


def bench_engine(quick: bool = False, sizes: dict | None = None) -> dict:
    """Run every engine benchmark (module docstring) and return the flat result dict; ``sizes`` overrides
    :func:`default_sizes` (the tests use tiny ones)."""
    with single_thread_blas():
        return _bench_engine({**default_sizes(quick), **(sizes or {})})


def _bench_engine(sizes: dict) -> dict:
    repeats = sizes["repeats"]
    cores = os.cpu_count() or 1
    counts = list(range(1, cores + 1))
    paper = config.build_problem(_cfg(1))
    garnet = config.build_problem(_cfg(1, GARNET))
    trap_chain = config.build_problem(_cfg(1, TRAP_CHAIN))
    frozenlake = _frozenlake_problem()
    K, Kp, Kg = sizes["kernel"], sizes["threads_paper"], sizes["threads_garnet"]

    def timed(cfg, problem):
        return lambda: _seconds_per_sample(cfg, problem)

    single_cases = {
        "kernel": timed(_cfg(K, mode="threads"), paper),
        "kernel_paper_markov": timed(_cfg(K, sampling="markov", mode="threads"), paper),
        "kernel_trap_chain": timed(_cfg(K, TRAP_CHAIN, mode="threads"), trap_chain),
        "numpy": _numpy_measure(paper, sizes["numpy"]),
        "simulated_rr16": timed(_cfg(K, mode="simulated", workers=16, delay="round_robin"), paper),
        "sync16": timed(_cfg(K - K % 16, mode="sync", workers=16), paper),
    }
    if frozenlake is not None:
        single_cases["kernel_frozenlake4x4"] = timed(_cfg(K, FROZENLAKE, mode="threads"), frozenlake)
    single = _interleaved_medians(single_cases, repeats)
    numpy_s = single["numpy"]

    parts = _kernel_parts(paper, K, repeats)

    threads_cases = {}
    for n in counts:
        threads_cases[f"threads_paper_N{n}"] = timed(_cfg(Kp, mode="threads", workers=n), paper)
        threads_cases[f"threads_garnet10k_N{n}"] = timed(_cfg(Kg, GARNET, mode="threads", workers=n), garnet)
        threads_cases[f"threads_paper_batched_N{n}"] = timed(_cfg(Kp, mode="threads", workers=n, batch=BATCH),
                                                             paper)
        threads_cases[f"independent_paper_N{n}"] = functools.partial(
            _independent_runs_seconds_per_sample, _cfg(Kp, mode="threads"), paper, n)
    threaded = _interleaved_medians(threads_cases, repeats)

    with tempfile.TemporaryDirectory(prefix="a3c-bench-cache-") as cache_dir:
        compiled = _first_call(cache_dir)
        cached = _first_call(cache_dir)

    ns = {**single, **threaded}
    efficiency = {
        name: _efficiency({n: threaded[f"threads_{name}_N{n}"] for n in counts}, counts)
        for name in ("paper", "garnet10k", "paper_batched")
    }
    efficiency["independent_paper"] = _efficiency({n: threaded[f"independent_paper_N{n}"] for n in counts}, counts)
    return {
        "kernel_samples_per_s": 1.0 / single["kernel"],
        "kernel_ns_per_update": {
            "paper_iid": single["kernel"] * 1e9, "paper_markov": single["kernel_paper_markov"] * 1e9,
            "trap_chain_iid": single["kernel_trap_chain"] * 1e9,
            "frozenlake4x4_iid": single["kernel_frozenlake4x4"] * 1e9 if frozenlake is not None else None,
        },
        "kernel_parts_ns_per_update": {
            **{name: parts[name] * 1e9 for name in ("rng", "softmax", "draws", "apply")},
            "rest": (single["kernel"] - sum(parts[name] for name in ("rng", "softmax", "draws", "apply"))) * 1e9,
            "refresh_at_M1000": parts["refresh"] * 1e9 / 1000 if parts["refresh"] is not None else None,
        },
        "numpy_reference_samples_per_s": 1.0 / numpy_s,
        "speedup_vs_numpy": numpy_s / single["kernel"],
        "simulated_overhead": single["simulated_rr16"] / single["kernel"],
        "thread_efficiency_paper": efficiency["paper"],
        "thread_efficiency_garnet10k": efficiency["garnet10k"],
        "thread_efficiency_paper_batched": efficiency["paper_batched"],
        "thread_efficiency_independent_paper": efficiency["independent_paper"],
        "thread_efficiency_vs_independent": {
            name: {str(n): efficiency[name][str(n)] / efficiency["independent_paper"][str(n)] for n in counts}
            for name in ("paper", "garnet10k", "paper_batched")
        },
        "compile_s": compiled["first_call_s"],
        "cached_load_s": cached["import_s"] + cached["first_call_s"],
        "cached_import_s": cached["import_s"],
        "ns_per_sample": {name: seconds * 1e9 for name, seconds in ns.items()},
        "engine_settings": {"cores": cores, "batch": BATCH, "repeats": repeats, "samples_kernel": K,
                            "samples_numpy": sizes["numpy"], "samples_threads_paper": Kp,
                            "samples_threads_garnet10k": Kg},
    }
