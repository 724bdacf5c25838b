"""The speedup and feature-control studies on synthetic runs tables with known answers."""

import numpy as np
import pandas as pd
import pytest

from a3c_theory.studies import efficiency as ef
from a3c_theory.studies import feature_control, speedup
from a3c_theory.studies.stats import Estimate


def _runs(shift: dict, seeds=10, kind="trap_chain", sampling="iid", delay="round_robin", scale=1e3, noise=0.01):
    """Synthetic runs: gap closed ``y = k'/(k' + scale)`` with ``k' = k − shift[c] · (N − 1)`` (staleness
    costs ``shift[c]`` updates per extra worker at step-size constant ``c``); ‖∇J‖² running average
    ``1/(1 + k'/scale)``; each run's clock is scaled by ``1 + noise·z``, ``z`` standard normal."""
    k = np.unique(np.r_[0.0, np.geomspace(1, 1e7, 300)])
    rng = np.random.default_rng(3)
    rows = []
    for c, per_worker in shift.items():
        for n in (1, 4, 16, 64):
            for seed in range(seeds):
                kk = np.maximum(k * (1 + noise * rng.standard_normal()) - per_worker * (n - 1), 0.0)
                closed = kk / (kk + scale)
                rows.append(pd.DataFrame({
                    "run_id": f"{c}-{n}-{seed}", "kind": kind, "sampling": sampling, "delay": delay,
                    "workers": n, "seed": seed, "algorithm.c_alpha": c, "samples": k,
                    "gap": 1.0 - closed, "grad_norm_sq": 1.0 / (1 + kk / scale),
                    "avg_grad_norm_sq": 1.0 / (1 + kk / scale)}))
    return pd.concat(rows, ignore_index=True)


def test_fixed_and_tuned_efficiency_and_verdicts():
    # c = 1: each extra worker costs 100 updates; c = 3: 10 updates. The 50% target needs T(1) = 1000.
    settings = speedup.Settings(targets={"trap_chain": [0.5]}, grad_targets=[0.5], default_c_alpha={"trap_chain": 1.0})
    eff = speedup._efficiency_rows(settings, _runs({1.0: 100.0, 3.0: 10.0}))
    gap = eff[eff["target"] == "gap 50%"].set_index(["step_rule", "workers"])
    # fixed c = 1: E(N) = 1000 / (1000 + 100 (N − 1)): 0.77 at N = 4 (undetermined or linear), 0.4 at 16
    assert gap.loc[(speedup.FIXED, 16), "verdict"] == ef.SUBLINEAR
    assert gap.loc[(speedup.FIXED, 16), "efficiency"] == pytest.approx(1000 / 2500, rel=0.03)
    # tuned picks c = 3 at every N: E(64) = 1000 / 1630
    assert (gap.xs(speedup.TUNED)["c_alpha"] == 3.0).all()
    assert gap.loc[(speedup.TUNED, 16), "verdict"] == ef.LINEAR
    assert gap.loc[(speedup.TUNED, 64), "verdict"] == ef.SUBLINEAR
    assert gap.loc[(speedup.FIXED, 1), "efficiency"] == 1.0
    verdicts = speedup._verdict_rows(eff).set_index(["step_rule", "target"])
    assert verdicts.loc[(speedup.TUNED, "gap 50%"), "linear_up_to"] == 16
    assert verdicts.loc[(speedup.FIXED, "gap 50%"), "first_sublinear"] in (4, 16)


def test_a_stuck_one_worker_run_leaves_every_cell_estimable_and_a_stuck_n_cell_says_not_estimable():
    """Split estimand: the stuck seed is a failure of part (a) and is left out of E(N) as a block (paired);
    a worker count where no run reaches the target is "n/e" with its count."""
    runs = _runs({1.0: 10.0})
    stuck = (runs["workers"] == 1) & (runs["seed"] == 0)
    runs.loc[stuck, "gap"] = 1.0  # this one-worker run never closes any of the gap
    runs.loc[runs["workers"] == 64, "gap"] = 1.0  # no 64-worker run does
    settings = speedup.Settings(targets={"trap_chain": [0.5]}, grad_targets=[0.5], default_c_alpha={"trap_chain": 1.0})
    eff = speedup._efficiency_rows(settings, runs)
    gap = eff[eff["target"] == "gap 50%"].set_index("workers")
    assert speedup.efficiency_cell(next(gap.loc[[1]].itertuples())) == "1.00* [1.00, 1.00] lin"
    assert speedup.efficiency_cell(next(gap.loc[[16]].itertuples())).endswith(("lin", "und", "SUB"))
    assert gap.loc[16, "n"] == 9 and gap.loc[16, "paired"]
    assert speedup.efficiency_cell(next(gap.loc[[64]].itertuples())) == "n/e (10/10 never reached)"
    assert gap.loc[64, "risk"] == "risk raised" and gap.loc[64, "success"] == 0.0


def test_mechanism_compares_the_first_n_updates():
    mech = speedup._mechanism_rows(_runs({3.0: 10.0}))
    row = mech[mech["workers"] == 64].iloc[0]
    assert row["closed_one_worker"] > row["closed_n_workers"]  # staleness delays the first 64 updates


def test_feature_control_verdict():
    def summary(one_hot, diff):
        e = Estimate(one_hot, one_hot - 0.01, one_hot + 0.01, 10)
        return feature_control.Summary("Fig. 1(a)", 1e6, {"one_hot": e, "random": e}, {"one_hot": e, "random": e},
                                       Estimate(*diff, 10), pd.DataFrame())
    assert feature_control.verdict(summary(0.94, (0.0, -0.01, 0.01))) == "not an ε_app floor"
    assert feature_control.verdict(summary(0.995, (0.05, 0.04, 0.06))) == "an ε_app floor"
    assert feature_control.verdict(summary(0.95, (0.05, 0.04, 0.06))).startswith("partly")


def test_online_hitting_times_replace_the_snapshot_crossings_where_a_run_recorded_them():
    """Runs whose metadata holds the target's online hitting time (``target_levels_gap_0.5``, ``hits_gap_0.5``)
    are costed by it: with every N-worker run recorded as hitting at exactly N × 1000 / 4 and the one-worker
    runs at 1000, E(N) = 4/N exactly; the runs without it keep their snapshot crossing (E = 1000/1000 ≈ 1)."""
    settings = speedup.Settings(targets={"trap_chain": [0.5]}, grad_targets=[0.5], default_c_alpha={"trap_chain": 1.0})
    runs = _runs({1.0: 0.0})
    ids = runs.drop_duplicates("run_id")[["run_id", "workers"]]
    online = ids[ids["workers"].isin([1, 16])]
    meta = pd.DataFrame({"run_id": online["run_id"], "target_levels_gap_0.5": 0.5, "updates_run": 1e7,
                         "hit_horizon": 1e7,
                         "hits_gap_0.5": np.where(online["workers"] == 1, 1000.0, online["workers"] * 250.0)})
    eff = speedup._efficiency_rows(settings, runs, meta)
    eff = eff[(eff["target"] == "gap 50%") & (eff["step_rule"] == speedup.FIXED)].set_index("workers")
    assert eff.loc[16, "efficiency"] == pytest.approx(1000 / 4000)
    assert eff.loc[4, "efficiency"] == pytest.approx(1.0, rel=0.05)  # snapshot crossings at ≈ 1000 both


def test_decided_fractions_count_round_robin_fixed_cells_above_one_worker():
    eff = pd.DataFrame({"instance": "trap_chain", "workers": [1, 4, 16, 64, 4, 16], "delay": "round_robin",
                        "step_rule": [speedup.FIXED] * 4 + [speedup.TUNED] * 2,
                        "efficiency": [1.0, 0.95, 0.7, 0.3, 0.9, 0.9],
                        "verdict": [ef.LINEAR, ef.LINEAR, ef.UNDETERMINED, ef.SUBLINEAR, ef.LINEAR, ef.LINEAR]})
    share, n, clear_share, n_clear = speedup.decided_fractions(eff)["trap_chain"]
    assert (n, n_clear) == (3, 2) and share == pytest.approx(2 / 3) and clear_share == 1.0


def test_sequential_cells_look_at_the_bonferroni_confidence_and_ask_seeds_for_their_config_and_its_baseline():
    """With ``settings.sequential``: round-robin fixed-c_α cells at 1 − 0.05/6 (joint over the 3 N > 1: 1 − 0.05/18),
    tuned cells at 95% on the initial seeds; an open cell asks for the schedule's next count (20) for its config
    and the one-worker config it is paired with; a decided one asks nothing."""
    from a3c_theory.studies import sequential
    plan = sequential.Plan(initial=10, cap=300)
    settings = speedup.Settings(targets={"trap_chain": [0.5]}, grad_targets=[0.5], default_c_alpha={"trap_chain": 1.0},
                                sequential=plan)
    runs = _runs({1.0: 140.0, 3.0: 10.0}, noise=0.1)  # E(4) = 1000/1420 ≈ 0.70 with 10% noise: open at 10 seeds
    eff = speedup._efficiency_rows(settings, runs)
    fixed = eff[eff["step_rule"] == speedup.FIXED]
    assert np.allclose(fixed["confidence"], 1 - 0.05 / 6) and np.allclose(fixed["joint_confidence"], 1 - 0.05 / 18)
    assert np.allclose(eff[eff["step_rule"] == speedup.TUNED]["confidence"], 0.95)
    results = speedup.Results("speedup", "t", runs, settings)
    wanted = speedup.more_seeds(results)
    gap = fixed[fixed["target"] == "gap 50%"].set_index("workers")
    open_n = [n for n in (4, 16, 64) if gap.loc[n, "verdict"] == ef.UNDETERMINED]
    assert gap.loc[16, "verdict"] == ef.SUBLINEAR  # E(16) = 1000/3100 ≈ 0.32: decided at 10 seeds
    for n in open_n:
        assert wanted.get(gap.loc[n, "config_run"]) == 20 and wanted.get(gap.loc[n, "base_run"]) == 20
    assert open_n and all(rid.startswith("1.0-") for rid in wanted)  # only the fixed c_α's configs


def test_reproduce_asks_for_the_missing_seeds_of_a_config_only():
    from a3c_theory import reproduce
    from a3c_theory.studies import spec
    s = spec.load({"experiment": {"type": "speedup", "seeds": 2},
                   "part": [{"grid": {"run.workers": [1, 4]}}]}, speedup.Settings)
    runs = pd.DataFrame({"run_id": [f"study/part0/w{n}s{k}" for n in (1, 4) for k in (0, 1)],
                         "run.workers": [1, 1, 4, 4], "seed": [0, 1, 0, 1]})
    assert reproduce._seed_requests(s, runs, {"study/part0/w4s0": 5}) == [(0, {"run.workers": 4}, [2, 3, 4])]
    assert reproduce._seed_requests(s, runs, {"study/part0/w1s1": 2}) == []
    with pytest.raises(ValueError):
        reproduce._seed_requests(s, runs, {"study/part0/nope": 5})
    offset = spec.load({"experiment": {"type": "speedup", "seeds": 2},
                        "part": [{"first_seed": 1000, "grid": {"run.workers": [1, 4]}}]}, speedup.Settings)
    runs["seed"] += 1000
    assert reproduce._seed_requests(offset, runs, {"study/part0/w4s0": 5}) == [(0, {"run.workers": 4},
                                                                                [1002, 1003, 1004])]


def _online_meta(runs: pd.DataFrame, settings, without=()) -> pd.DataFrame:
    """Metadata recording every target of ``settings`` online for each run but those of ``without`` (hitting
    times: the snapshot crossings, halved, so a summary read from the snapshots would differ)."""
    rows = []
    for rid, g in runs.groupby("run_id", sort=False):
        if rid in without:
            continue
        row = {"run_id": rid, "updates_run": g["samples"].max(), "hit_horizon": g["samples"].max()}
        for _, column, level, decreasing, name in speedup._targets(settings, g["kind"].iloc[0]):
            y = 1.0 - g["gap"] / g["gap"].iloc[0] if column == "closed" else g["avg_grad_norm_sq"] / g["avg_grad_norm_sq"].iloc[0]
            row[f"target_levels_{name}"] = level
            row[f"hits_{name}"] = ef.cost_to_level(g["samples"], y, level, decreasing) / 2
        rows.append(row)
    return pd.DataFrame(rows)


def test_stored_rows_give_the_summary_of_every_row():
    """Runs with every online hitting time keep their first and last snapshots and the rows around k = N (the
    mechanism); a run without them keeps every row; the summary tables from the stored rows are the full ones
    exactly, and storing the stored rows again keeps them all."""
    from a3c_theory import report
    settings = speedup.Settings(targets={"trap_chain": [0.5]}, grad_targets=[0.5], default_c_alpha={"trap_chain": 1.0})
    runs = _runs({1.0: 10.0, 3.0: 30.0})
    runs = pd.concat([runs, _runs({1.0: 10.0}, seeds=2, delay="exponential").assign(
        run_id=lambda t: "exp-" + t["run_id"])], ignore_index=True)
    whole = {"3.0-1-0", "3.0-16-2"}
    results = speedup.Results("speedup", "t", runs, settings, _online_meta(runs, settings, whole))
    kept = speedup.stored_rows(results)
    per_run = kept.groupby("run_id").size()
    assert all(per_run[rid] == 301 for rid in whole) and per_run.drop(list(whole)).max() <= 2 + 2 * 3
    assert per_run[[rid for rid in per_run.index if rid.startswith("exp-")]].max() == 2  # no mechanism rows
    assert speedup.stored_rows(speedup.Results("speedup", "t", kept, settings, results.meta)).equals(kept)
    full = report.dataframe_fields(speedup.summarise(results))
    stored = report.dataframe_fields(speedup.summarise(speedup.Results("speedup", "t", kept, settings, results.meta)))
    assert full.keys() == stored.keys() and all(full[name].equals(stored[name]) for name in full)
    assert len(full["mechanism"]) == 6 and len(full["efficiency"])
