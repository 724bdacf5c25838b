"""Threads mode (engine/threads.py): exact counter, recorded delays, snapshots, and agreement with the
simulated mode. Hogwild runs with N ≥ 2 are not reproducible, so their checks are invariants that hold for
every interleaving; N = 1 runs are compared with simulated mode exactly and in distribution."""

import numpy as np
import pytest
from scipy import stats

from a3c_theory import config, exact
from a3c_theory.engine import run
from a3c_theory.engine.run_setup import snapshot_counts
from a3c_theory.engine.targets import KINDS, recorded_check_counts, target_name
from a3c_theory.engine.threads import CACHE_LINE, private_array, worker_quotas


def _cfg(mode="threads", workers=1, batch=1, samples=20_000, seed=0, sampling="markov", lam=0.0, snapshots=12,
         refresh=200, **problem):
    return config.from_dict({
        "problem": {"n_states": 30, "n_actions": 4, "feature_dim": 6, **problem},
        "algorithm": {"sampling": sampling, "lam": lam, "refresh": refresh, "radius": 50.0},
        "run": {"mode": mode, "workers": workers, "batch": batch, "samples": samples, "seed": seed,
                "snapshots": snapshots},
    })


def _check_invariants(trace, K, N):
    """What every threads run must satisfy, whatever the interleaving."""
    meta = trace.meta
    assert meta["counter_final"] == K and meta["counter_error"] == 0  # one atomic increment per update
    assert meta["negative_delays"] == 0 and meta["delays_beyond_histogram"] == 0
    assert trace.delay_counts.sum() == K  # every update's delay recorded once, all >= 0 (histogram index)
    assert trace.k[0] == 0 and trace.k[-1] == K
    assert np.array_equal(trace.samples_per_worker.sum(axis=1), trace.k)  # exact per-worker counts
    assert np.all(np.diff(trace.samples_per_worker, axis=0) >= 0)
    assert np.array_equal(trace.samples_per_worker[-1], worker_quotas(K, N))
    assert trace.time_s[0] == 0.0 and np.all(np.diff(trace.time_s) >= 0)
    assert np.all(np.isfinite(trace.theta)) and np.all(np.isfinite(trace.w))
    assert meta["clock"] == "wall" and "atomic fetch-add" in meta["counter"] and meta["machine"]["cores"] >= 1


@pytest.mark.parametrize("workers,batch,sampling", [(2, 1, "markov"), (3, 1, "iid"), (2, 8, "markov"),
                                                    (4, 5, "shared")])
def test_counter_delays_and_snapshots_are_exact_under_hogwild(workers, batch, sampling):
    K = 30_011  # not a multiple of workers or batch: uneven quotas, short last batches
    trace = run(_cfg(workers=workers, batch=batch, samples=K, sampling=sampling, lam=0.05))
    _check_invariants(trace, K, workers)
    if batch > 1:  # a batch's j-th sample is applied at least j updates after its read
        assert trace.meta["max_delay"] >= batch - 1


def test_one_worker_batched_delays_are_the_positions_in_the_batch():
    """N = 1, B = 8: sample j of a batch reads the counter at the batch start and is applied j updates
    later, so the histogram is exactly K/8 at each delay 0..7."""
    trace = run(_cfg(batch=8, samples=8 * 1000))
    assert trace.delay_counts.tolist() == [1000] * 8


@pytest.mark.parametrize("sampling,lam", [("iid", 0.1), ("markov", 0.0)])
def test_one_thread_matches_simulated_mode_without_delay_bit_for_bit(sampling, lam):
    """Same seeds, same draws, same operations in the same order: identical traces."""
    threads = run(_cfg(samples=10_000, sampling=sampling, lam=lam, seed=5))
    simulated = run(_cfg(mode="simulated", samples=10_000, sampling=sampling, lam=lam, seed=5))
    assert np.array_equal(threads.k, simulated.k)
    assert np.array_equal(threads.theta, simulated.theta)
    assert np.array_equal(threads.w, simulated.w)
    assert np.array_equal(threads.samples_per_worker, simulated.samples_per_worker)
    assert np.array_equal(threads.delay_counts, simulated.delay_counts)


def test_one_thread_and_simulated_mode_agree_in_distribution():
    """Two-sample Kolmogorov–Smirnov test on the final objective J(θ_K) over 25 independent seeds per mode
    (disjoint seed sets, so the samples are independent). Under the null hypothesis (same law) the test
    rejects with probability α = 0.001 (the false-alarm rate). Power, by simulation with normal samples:
    0.8 against a shift of 1.5 standard deviations (across seeds) of J, 0.99 against 2."""
    def final_J(mode, seed):
        cfg = _cfg(mode=mode, samples=15_000, seed=seed, snapshots=2)
        trace = run(cfg)
        problem = config.build_problem(cfg)
        return exact.objective(problem.mdp, problem.policy.probabilities(trace.theta[-1]))

    J_threads = [final_J("threads", seed) for seed in range(25)]
    J_simulated = [final_J("simulated", seed) for seed in range(100, 125)]
    assert np.std(J_threads) > 0  # the statistic varies with the seed
    assert stats.ks_2samp(J_threads, J_simulated).pvalue > 0.001


def test_hogwild_run_learns_like_the_sequential_run():
    """Two threads on shared parameters improve the objective about as much as one sequential worker with
    the same number of samples: at least half of its gain J(θ_K) − J(θ_0) (measured ratio ≈ 1)."""
    def gain(mode, workers):
        cfg = _cfg(mode=mode, workers=workers, samples=100_000, seed=1, snapshots=2)
        cfg = config.from_dict({**cfg.to_dict(), "algorithm": {**cfg.to_dict()["algorithm"], "c_alpha": 3.0}})
        trace = run(cfg)
        problem = config.build_problem(cfg)
        J0, JK = (exact.objective(problem.mdp, problem.policy.probabilities(t)) for t in trace.theta[[0, -1]])
        return JK - J0

    sequential = gain("simulated", 1)
    assert sequential > 0.005
    assert gain("threads", 2) > 0.5 * sequential


def test_garnet_and_linear_actor_run():
    trace = run(_cfg(workers=2, batch=4, samples=8_000, kind="garnet", n_states=200, branching=5,
                     actor="linear", actor_dim=7))
    _check_invariants(trace, 8_000, 2)
    assert trace.theta.shape[1] == 7


@pytest.mark.parametrize("shape,dtype", [((1,), np.int64), ((3, 5), np.float64), ((2, 4, 4), np.uint64)])
def test_private_arrays_own_their_cache_lines(shape, dtype):
    arrays = [private_array(shape, dtype) for _ in range(50)]
    lines = []
    for a in arrays:
        assert a.shape == shape and a.dtype == dtype and a.flags.c_contiguous and not a.any()
        assert a.ctypes.data % CACHE_LINE == 0
        first = a.ctypes.data // CACHE_LINE
        last = (a.ctypes.data + max(a.nbytes, 1) - 1) // CACHE_LINE
        lines.append((first, last))
    lines.sort()
    for (_, end), (start, _) in zip(lines, lines[1:]):
        assert start > end  # no two arrays share a cache line


def test_worker_quotas_split_the_samples():
    assert worker_quotas(10, 3).tolist() == [4, 3, 3]
    assert worker_quotas(2, 4).tolist() == [1, 1, 0, 0]


TRAP = {"kind": "trap_chain", "n_states": 6, "critic_features": "one_hot"}
TARGETS = {"gap": [0.5, 0.8, 0.99], "avg_grad": [0.5, 0.2], "critic_gap": [0.6, 0.3]}  # gap 0.99: never


def _targets_cfg(workers=1, samples=3000, snapshots=10, batch=1):
    return config.from_dict({"problem": TRAP, "algorithm": {"c_alpha": 3.0, "sampling": "markov"},
                             "run": {"mode": "threads", "workers": workers, "batch": batch, "samples": samples,
                                     "snapshots": snapshots, "seed": 7},
                             "targets": {**TARGETS, "after_last": "continue"}})


def _first_checks(cfg, trace) -> dict:
    """The first check count reaching each target, every check copy evaluated here by ``exact.Evaluator``
    (``trace`` must hold a snapshot at every count); the running average is the trapezoid rule on the checks."""
    checks = recorded_check_counts(cfg.run.samples, cfg.targets.resolution)
    at = {int(k): i for i, k in enumerate(trace.k)}
    ev = exact.Evaluator(config.build_problem(cfg))
    rows = [ev.metrics(trace.theta[at[c]], trace.w[at[c]]) for c in checks]
    J = np.array([r["J"] for r in rows])
    g = np.array([r["grad_norm_sq"] for r in rows])
    area = np.concatenate([[0.0], np.cumsum(np.diff(checks) * (g[1:] + g[:-1]) / 2)])
    series = {"gap": J, "avg_grad": np.concatenate([[g[0]], area[1:] / checks[1:]]),
              "critic_gap": np.array([r["critic_gap"] for r in rows])}
    hits = {}
    for kind in KINDS:
        for f in cfg.targets.__getattribute__(kind):
            x = series[kind]
            reached = x >= J[0] + f * (ev.J_star - J[0]) if kind == "gap" else x <= f * x[0]
            hits[target_name(kind, f)] = int(checks[np.argmax(reached)]) if reached.any() else None
    return hits


def test_one_worker_hits_are_the_first_check_reaching_each_target():
    cfg = _targets_cfg(samples=20_000, snapshots=20_001)  # a snapshot at every count: the check copies too
    trace = run(cfg, progress=False)
    meta = trace.meta
    assert np.array_equal(trace.k, np.arange(20_001))
    expected = _first_checks(cfg, trace)
    assert meta["hits"] == expected
    assert any(v is None for v in expected.values()) and sum(v is not None for v in expected.values()) >= 3
    time_at = dict(zip(trace.k.tolist(), trace.time_s.tolist()))
    checks = recorded_check_counts(cfg.run.samples, cfg.targets.resolution).tolist()
    for name, hit in expected.items():
        if hit is None:
            assert meta["hit_times"][name] is None and meta["hit_steps"][name] is None
            continue
        assert meta["hit_times"][name] == time_at[hit]  # the wall stamp of the check copy at the hit
        j = checks.index(hit)
        assert meta["hit_steps"][name] == (hit - checks[j - 1] if j else 0) <= max(1, 0.01 * hit)
    assert meta["hit_resolution"] == cfg.targets.resolution and meta["hit_check_ratio"] == 1 + cfg.targets.resolution
    assert meta["stop_reason"] == "horizon" and meta["updates_run"] == meta["hit_horizon"] == 20_000


@pytest.mark.parametrize("workers, batch", [(1, 1), (2, 1), (2, 4)])
def test_threads_hits_are_checks_in_time_order_and_their_cost_is_stated(workers, batch):
    cfg = _targets_cfg(workers=workers, samples=20_000, batch=batch)
    trace = run(cfg, progress=False)
    meta = trace.meta
    _check_invariants(trace, 20_000, workers)
    assert np.array_equal(trace.k, snapshot_counts(20_000, 10))  # the check copies are not snapshot rows
    checks = recorded_check_counts(20_000, cfg.targets.resolution)
    assert meta["target_checks"] == len(np.setdiff1d(checks[1:-1], trace.k)) > 500
    assert 0 < meta["target_check_copy_seconds"] < meta["wall_seconds"] * workers
    assert meta["target_check_copy_fraction"] == meta["target_check_copy_seconds"] / (workers * meta["wall_seconds"])
    assert meta["target_seconds"] > 0 and meta["target_evaluations"] > 0
    assert "off the clock" in meta["target_evaluation"]
    by_kind = {kind: [(meta["hits"][target_name(kind, f)], meta["hit_times"][target_name(kind, f)])
                      for f in getattr(cfg.targets, kind)] for kind in KINDS}
    assert by_kind["gap"][0][0] is not None and by_kind["gap"][-1][0] is None
    for pairs in by_kind.values():  # levels in order of difficulty: hits and their times do not decrease
        reached = [p for p in pairs if p[0] is not None]
        assert [p[0] for p in reached] == sorted(p[0] for p in reached) and all(h in checks for h, _ in reached)
        times = [t for _, t in reached]
        assert times == sorted(times) and all(0 <= t <= meta["wall_seconds"] for t in times)
