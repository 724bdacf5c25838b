"""Online hitting times (engine/targets.py, the runner's steppers, small_exact.py) and seed batches
(pipeline.run_batch): the invariants of issue 18 that concern them.

- Without targets a run's θ and ω snapshots are byte-identical to those of the code before targets existed
  (digests recorded at main f2d7d0f, numba 0.68.1, x86-64); with targets and ``after_last = "continue"``
  every snapshot, the delay histogram and the sampling-law bias equal those of the run without targets
  (the copies of the fine grids leave no trace).
- A hitting time recorded online equals the one the module's definition gives when every update of the
  same run is evaluated (exact.py at every count).
"""

import hashlib

import numpy as np
import pytest

from a3c_theory import config, engine, exact
from a3c_theory.engine import targets as T
from a3c_theory.engine.small_exact import dense_objective
from a3c_theory.errors import ValidationError
from a3c_theory.pipeline import run_batch, run_one

TRAP = {"kind": "trap_chain", "n_states": 6, "critic_features": "one_hot"}

GOLDEN = {  # sha256 of k, θ, ω snapshot bytes at main f2d7d0f (before targets)
    "trap_iid_rr4": ({"problem": TRAP, "algorithm": {"c_alpha": 3.0, "refresh": 1000},
                      "run": {"workers": 4, "delay": "round_robin", "samples": 20000, "snapshots": 30}},
                     "bbc398a2180d79e677d9d70fe295d99cdef87a4e8d5c13a7923154094f493515"),
    "paper_markov_exp3": ({"problem": {"n_states": 20, "feature_dim": 4}, "algorithm": {"sampling": "markov"},
                           "run": {"workers": 3, "delay": "exponential", "samples": 10000, "snapshots": 20}},
                          "e86cc575e3b52e9b1703bd454e4e2a65488236937aee9376046583f109c3d994"),
    "trap_sync4": ({"problem": TRAP, "algorithm": {"c_alpha": 3.0, "refresh": 100},
                    "run": {"mode": "sync", "workers": 4, "samples": 8000, "snapshots": 20}},
                   "fb1f67af2bc76b3c4477dd8e515850ef9443a760a09242cb43f4037aa4a4548d"),
}

ALL_TARGETS = {"gap": [0.5, 0.8, 0.95], "avg_grad": [0.5, 0.2], "critic_gap": [0.6, 0.3]}


def _digest(trace) -> str:
    return hashlib.sha256(trace.k.tobytes() + trace.theta.tobytes() + trace.w.tobytes()).hexdigest()


def _with(d: dict, **sections) -> config.Config:
    return config.from_dict({**d, **{name: {**d.get(name, {}), **values} for name, values in sections.items()}})


@pytest.mark.parametrize("name", list(GOLDEN))
def test_without_targets_snapshots_are_byte_identical_to_before(name):
    d, digest = GOLDEN[name]
    trace = engine.run(config.from_dict(d), progress=False)
    assert _digest(trace) == digest
    assert trace.meta["stop_reason"] == "horizon" and "hits" not in trace.meta


@pytest.mark.parametrize("name", list(GOLDEN))
def test_targets_that_go_on_to_the_horizon_leave_the_run_unchanged(name):
    d, digest = GOLDEN[name]
    plain = engine.run(config.from_dict(d), progress=False)
    online = engine.run(_with(d, targets={**ALL_TARGETS, "after_last": "continue"}), progress=False)
    assert _digest(online) == digest
    assert np.array_equal(online.delay_counts, plain.delay_counts)
    assert np.array_equal(online.samples_per_worker, plain.samples_per_worker)
    assert np.array_equal(online.time_s, plain.time_s)
    for key in ("sampling_law_bias", "projections", "max_critic_norm"):
        assert online.meta.get(key) == plain.meta.get(key), key
    assert online.meta["stop_reason"] == "horizon"
    checks = T.check_counts(d["run"]["samples"], online.meta["hit_check_ratio"], online.meta["hit_resolution"],
                            d["run"]["workers"] if d["run"].get("mode") == "sync" else 1)
    inside = [h for h in online.meta["hits"].values() if h is not None and h not in checks]
    assert inside  # hits were located on the copies of a fine grid, and the copying changed nothing


def _oracle_hits(cfg: config.Config, step: int) -> tuple[dict, dict]:
    """The definition of engine/targets.py applied to every update of the same run (no targets), each
    quantity from exact.Evaluator.metrics: the hits, and the clock at each (the run's ``time_s`` there)."""
    K = cfg.run.samples
    plain = _with(cfg.to_dict(), run={"snapshots": K // step + 1}, targets={"gap": [], "avg_grad": [],
                                                                                "critic_gap": []})
    trace = engine.run(plain, progress=False)
    assert np.array_equal(trace.k, np.arange(0, K + 1, step))
    ev = exact.Evaluator(config.build_problem(cfg))
    rows = [ev.metrics(theta, w) for theta, w in zip(trace.theta, trace.w)]
    J = np.array([r["J"] for r in rows])
    g = np.array([r["grad_norm_sq"] for r in rows])
    critic = np.array([r["critic_gap"] for r in rows])
    at = {int(k): i for i, k in enumerate(trace.k)}
    checks = T.check_counts(K, cfg.targets.check_ratio, cfg.targets.resolution, step)
    area = np.zeros(len(checks))
    for j in range(1, len(checks)):
        c0, c1 = checks[j - 1], checks[j]
        area[j] = area[j - 1] + (c1 - c0) * (g[at[c0]] + g[at[c1]]) / 2

    def avg(j, p):  # G(p) for p in (c_{j-1}, c_j]; G(0) = g_0
        if j == 0:
            return g[0]
        c0 = checks[j - 1]
        return (area[j - 1] + (p - c0) * (g[at[c0]] + g[at[p]]) / 2) / p

    quantity = {"gap": lambda j, p: J[at[p]], "avg_grad": avg, "critic_gap": lambda j, p: critic[at[p]]}
    level = {"gap": lambda f: J[0] + f * (ev.J_star - J[0]), "avg_grad": lambda f: f * g[0],
             "critic_gap": lambda f: f * critic[0]}
    hits = {}
    for kind in T.KINDS:
        for f in getattr(cfg.targets, kind):
            lv = level[kind](f)
            reached = (lambda v: v >= lv) if kind == "gap" else (lambda v: v <= lv)
            hit = None
            for j, c in enumerate(checks):
                if reached(quantity[kind](j, c)):
                    hit = int(c)
                    if j > 0:  # the two-level scan of the bracket's fine grid
                        points, m = T.scan_grid(checks[j - 1], c, cfg.targets.resolution, step)
                        ends = [int(p) for p in points[m - 1::m]] + ([int(c)] if len(points) % m else [])
                        i = next(i for i, e in enumerate(ends) if reached(quantity[kind](j, e)))
                        begin = ends[i - 1] if i else checks[j - 1]
                        inner = [int(p) for p in points if begin < p < ends[i]]
                        hit = next((p for p in inner if reached(quantity[kind](j, p))), ends[i])
                    break
            hits[T.target_name(kind, f)] = hit
    return hits, {name: None if hit is None else float(trace.time_s[at[hit]]) for name, hit in hits.items()}


@pytest.mark.parametrize("run_section, step, resolution", [
    ({"workers": 4, "delay": "round_robin"}, 1, 0.01),
    ({"workers": 3, "delay": "exponential"}, 1, 0.01),
    ({"mode": "sync", "workers": 2}, 2, 0.01),
    ({"workers": 3, "delay": "exponential"}, 1, 0.004),  # brackets split at MAX_FINE points
])
def test_online_hitting_times_equal_those_of_every_update_evaluated(run_section, step, resolution):
    cfg = config.from_dict({"problem": TRAP, "algorithm": {"c_alpha": 3.0, "refresh": 50},
                            "run": {"samples": 3000, "snapshots": 5, "seed": 7, **run_section},
                            "targets": {**ALL_TARGETS, "check_ratio": 1.3, "resolution": resolution,
                                        "after_last": "continue"}})
    online = engine.run(cfg, progress=False).meta
    expected, times = _oracle_hits(cfg, step)
    assert any(v is not None for v in expected.values()) and any(v is None for v in expected.values())
    assert online["hits"] == expected
    assert online["hit_times"] == times  # the simulated clock after that many updates
    for name, hit in expected.items():
        if hit:
            assert 0 < online["hit_steps"][name] <= max(step, cfg.targets.resolution * hit)
    assert online["hit_resolution"] == cfg.targets.resolution
    assert online["target_evaluations"] > 0 and 0 < online["target_cost_fraction"] < 1  # measured and recorded


def test_a_run_stops_at_its_last_target_and_says_why():
    base = {"problem": TRAP, "algorithm": {"c_alpha": 3.0, "refresh": 100},
            "run": {"workers": 4, "delay": "round_robin", "samples": 40000, "snapshots": 10}}
    stopped = engine.run(_with(base, targets={"gap": [0.5, 0.8]}), progress=False)
    full = engine.run(config.from_dict(base), progress=False)
    meta = stopped.meta
    last_hit = max(meta["hits"].values())
    assert meta["stop_reason"] == "all_targets" and stopped.k[-1] == meta["updates_run"] < 40000
    assert last_hit <= stopped.k[-1] < last_hit * 1.1 + 100  # the check that found the last hit
    assert stopped.delay_counts.sum() == stopped.k[-1]
    common = np.isin(full.k, stopped.k)
    assert common.sum() >= 2 and np.array_equal(stopped.theta[np.isin(stopped.k, full.k)], full.theta[common])
    unreachable = engine.run(_with(base, targets={"gap": [0.5, 1.0]}), progress=False)  # J = J* exactly: never
    assert unreachable.meta["stop_reason"] == "horizon" and unreachable.meta["hits"]["gap_1"] is None
    assert unreachable.k[-1] == 40000


def test_a_diverged_run_with_targets_says_diverged(monkeypatch):
    from a3c_theory.engine import run_setup

    def broken(original):
        def chunk(*args):  # (args[15]: the chunk's end count, args[2]: θ)
            reached = original(*args)
            if args[15] >= 2000:
                args[2][0] = np.nan
            return reached
        return chunk

    for name in ("simulated_chunk", "simulated_refreshing_chunk"):  # finite_kernels() reads them at each run
        monkeypatch.setattr(run_setup, name, broken(getattr(run_setup, name)))
    cfg = config.from_dict({"problem": TRAP, "run": {"samples": 10000}, "targets": {"gap": [1.0]}})
    meta = run_one(cfg).meta
    assert meta["stop_reason"] == "diverged" and meta["outcome"] == "diverged" and meta["hits_gap_1"] is None


def test_the_check_and_fine_grids():
    checks = T.check_counts(300_000, 1.1, 0.01)
    assert checks[0] == 0 and checks[1] == 100 and checks[-1] == 300_000
    assert np.all(np.diff(checks) > 0) and np.all(checks[2:-1] / checks[1:-2] <= 1.1 + 1 / 100)
    sync = T.check_counts(9600, 1.2, 0.01, step=16)
    assert np.all(sync % 16 == 0) and sync[-1] == 9600
    points, stride = T.scan_grid(1000, 1250, 0.01)
    assert len(points) == 25 and stride == 5
    fine = T.fine_counts(1000, 1100, 0.01)
    assert fine[0] == 1010 and fine[-1] == 1100 and np.all(np.diff(fine) <= 10)
    assert list(T.fine_counts(50, 55, 0.01)) == [51, 52, 53, 54, 55]
    split = T.check_counts(20_000, 1.5, 0.002)  # c_1 = 500: brackets of at most MAX_FINE fine points
    assert list(split[:5]) == [0, 128, 256, 384, 500]
    assert max(len(T.fine_counts(a, b, 0.002)) for a, b in zip(split[:-1], split[1:])) == T.MAX_FINE
    assert np.all(T.fine_counts(1600, 1920, 0.01, step=16) % 16 == 0)


@pytest.mark.parametrize("total, rho", [(300_000, 0.01), (10_000_000, 0.005), (57, 0.01)])
def test_the_recorded_check_grid_of_threads_mode(total, rho):
    c = T.recorded_check_counts(total, rho)
    steps = np.diff(c)
    assert c[0] == 0 and c[-1] == total and np.all(steps >= 1)
    assert np.all(steps[:-1] == np.maximum(1, np.floor(rho * c[:-2]).astype(np.int64)))  # the last may be cut
    assert np.all(steps <= np.maximum(1, rho * c[:-1]))  # a hit at c_j is known to max(1, ρ c_{j−1}) updates
    above = c[:-1] >= 1 / rho
    assert np.all(c[1:][above] / c[:-1][above] <= 1 + rho)  # geometric of ratio at most 1 + ρ
    if total > 1 / rho:
        assert len(c) <= 1 / rho + np.log(total * rho) / np.log1p(rho) * 1.2  # ~ 1/ρ + ln(ρK)/ρ copies


@pytest.mark.parametrize("actor", ["tabular", "linear"])
def test_compiled_objective_matches_exact(actor):
    cfg = config.from_dict({"problem": {"n_states": 12, "n_actions": 3, "feature_dim": 4, "actor": actor,
                                        "actor_dim": 5}})
    problem = config.build_problem(cfg)
    J = T.objective_function(problem)
    for seed in range(3):
        theta = np.random.default_rng(seed).normal(size=problem.policy.dim) * 3
        expected = exact.objective(problem.mdp, problem.policy.probabilities(theta))
        assert J(theta) == pytest.approx(expected, rel=1e-12, abs=1e-14)
    mdp = problem.mdp
    assert dense_objective(np.zeros((12, 3)), mdp.dense_P(), mdp.expected_reward(), mdp.eta, mdp.gamma) == \
        pytest.approx(exact.objective(mdp, np.full((12, 3), 1 / 3)), rel=1e-12)


def test_a_seed_batch_gives_each_run_exactly_what_run_one_gives():
    base = {"problem": TRAP, "algorithm": {"c_alpha": 3.0, "refresh": 200},
            "run": {"workers": 4, "delay": "round_robin", "samples": 6000, "snapshots": 8},
            "targets": {"gap": [0.5, 0.8], "critic_gap": [0.5]}}
    cfgs = [_with(base, run={"seed": s}) for s in range(3)]
    batch = list(run_batch(cfgs))
    for cfg, result in zip(cfgs, batch):
        alone = run_one(cfg)
        assert _digest(result.trace) == _digest(alone.trace)
        assert result.table.equals(alone.table)
        assert {k: v for k, v in result.meta.items() if k.startswith("hit")} == \
            {k: v for k, v in alone.meta.items() if k.startswith("hit")}
    with pytest.raises(ValidationError) as info:
        list(run_batch([cfgs[0], _with(base, run={"workers": 2})]))
    assert info.value.field == "run.workers"


@pytest.mark.parametrize("targets, run_section, field", [
    ({"gap": [0.0]}, {}, "targets.gap"),
    ({"gap": [1.5]}, {}, "targets.gap"),
    ({"gap": [0.5, 0.5]}, {}, "targets.gap"),
    ({"gap": 0.5}, {}, "targets.gap"),
    ({"avg_grad": [-1.0]}, {}, "targets.avg_grad"),
    ({"resolution": 0.05}, {}, "targets.resolution"),
    ({"check_ratio": 1.0}, {}, "targets.check_ratio"),
    ({"gap": [0.5]}, {"mode": "threads"}, "targets.after_last"),
])
def test_bad_targets_are_refused_naming_the_key(targets, run_section, field):
    with pytest.raises(ValidationError) as info:
        config.from_dict({"targets": targets, "run": run_section})
    assert info.value.field == field


@pytest.mark.parametrize("mode", ["simulated", "sync", "threads"])
def test_copies_beyond_the_memory_bound_are_refused_before_the_run(monkeypatch, mode):
    monkeypatch.setattr(T, "COPY_BYTES_MAX", 1000)  # the trap chain's 128 copies of 18 parameters take 18 kB
    after_last = "continue" if mode == "threads" else "stop"
    cfg = config.from_dict({"problem": TRAP, "run": {"mode": mode, "samples": 1000, "workers": 2},
                            "targets": {"gap": [0.5], "after_last": after_last}})
    with pytest.raises(ValidationError) as info:
        engine.run(cfg, progress=False)
    message = str(info.value)
    field = "targets.resolution" if mode == "threads" else "targets:"  # only threads mode copies more when finer
    assert message.startswith(field) and "GiB > " in message and "\n" not in message
