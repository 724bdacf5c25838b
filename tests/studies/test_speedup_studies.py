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
    runs = _runs({1.0: 160.0, 3.0: 10.0}, noise=0.1)  # E(4) = 1000/1480 ≈ 0.68 with 10% noise: open at 10 seeds
    eff = speedup._efficiency_rows(settings, runs)
    fixed = eff[eff["step_rule"] == speedup.FIXED]
    assert np.allclose(fixed["confidence"], 1 - 0.05 / 6) and np.allclose(fixed["joint_confidence"], 1 - 0.05 / 18)
    assert np.allclose(eff[eff["step_rule"] == speedup.TUNED]["confidence"], 0.95)
    results = speedup.Results("speedup", "t", runs, settings)
    wanted = speedup.more_seeds(results)
    gap = fixed[fixed["target"] == "gap 50%"].set_index("workers")
    open_n = [n for n in (4, 16, 64) if gap.loc[n, "verdict"] == ef.UNDETERMINED]
    assert gap.loc[16, "verdict"] == ef.SUBLINEAR  # E(16) = 1000/3400 ≈ 0.29: decided at 10 seeds
    for n in open_n:
        assert wanted.get(gap.loc[n, "config_run"]) == 20 and wanted.get(gap.loc[n, "base_run"]) == 20
    rounds = [rid for rid in wanted if isinstance(rid, str) and wanted[rid] != 20 or
              isinstance(rid, str) and rid in set(gap["config_run"]) | set(gap["base_run"])]
    assert open_n and all(rid.startswith("1.0-") for rid in rounds)  # the rounds: only the fixed c_α's configs


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


def _costs(per_c: dict, n: int = 4, seeds=range(10), horizon=1e6) -> dict:
    """``{(c, N): _Config}`` with the given per-seed costs at one N > 1 and at N = 1 (cost 1000 everywhere)."""
    out = {}
    for c, cost in per_c.items():
        for workers, value in ((1, 1000.0), (n, cost)):
            costs = np.full(len(seeds), value, dtype=float)
            out[(c, workers)] = speedup._Config(costs, np.full(len(seeds), horizon), np.array(list(seeds)),
                                                f"{c}-{workers}", 0.1)
    return out


def test_tuned_choice_is_final_inside_its_grid_and_asks_for_the_next_ladder_value_on_an_edge():
    interior = speedup.tuned_choices(_costs({1.0: 3000.0, 3.0: 1500.0, 10.0: 2000.0}), None, 7, 3.0)[4]
    assert (interior.c_alpha, interior.edge, interior.beyond) == (3.0, False, None)
    upper = speedup.tuned_choices(_costs({1.0: 3000.0, 3.0: 2000.0, 10.0: 1500.0}), None, 7, 3.0)[4]
    assert (upper.c_alpha, upper.edge, upper.beyond) == (10.0, True, 30.0)
    lower = speedup.tuned_choices(_costs({1.0: 1500.0, 3.0: 2000.0, 10.0: 3000.0}), None, 7, 3.0)[4]
    assert (lower.c_alpha, lower.edge, lower.beyond) == (1.0, True, 0.3)
    full = speedup.tuned_choices(_costs({1.0: 3000.0, 3.0: 2000.0, 10.0: 1500.0}), None, 3, 3.0)[4]
    assert (full.c_alpha, full.edge, full.beyond) == (10.0, True, None)  # the grid is full: final, on an edge
    # ERT ranks a value whose runs fail on some seeds by the total spent per success
    failing = _costs({1.0: 1500.0, 3.0: 2000.0, 10.0: 3000.0})
    failing[(1.0, 4)] = speedup._Config(np.r_[np.full(5, 1500.0), np.full(5, np.inf)], np.full(10, 1e6),
                                        np.arange(10), "1.0-4", 0.1)
    assert speedup.tuned_choices(failing, None, 7, 3.0)[4].c_alpha == 3.0
    nothing = {key: speedup._Config(np.full(10, np.inf), e.horizon, e.seeds, e.run_id, 0.1)
               for key, e in _costs({1.0: 0.0, 3.0: 0.0}).items()}
    assert speedup.tuned_choices(nothing, None, 7, 3.0)[4] == speedup.Choice(3.0, (1.0, 3.0), False, None)


def test_ladder_continues_the_grids_ratios():
    assert speedup.beyond((1.0, 3.0, 10.0), True) == 30.0 and speedup.beyond((1.0, 3.0, 10.0), False) == 0.3
    assert speedup.beyond((10.0, 30.0, 100.0), True) == 300.0 and speedup.beyond((10.0, 30.0, 100.0), False) == 3.0
    assert speedup.beyond((3.0, 10.0, 30.0, 100.0), True) == 300.0 and speedup.beyond((2.0, 4.0), True) == 8.0


def _two_halves():
    """20 seeds: on seeds 0-9 each extra worker costs 100 updates at c = 1 and 10 at c = 3; on seeds 10-19
    the reverse. Tuned on seeds 0-9 the choice at N > 1 is c = 3, which costs 100 per extra worker on the
    scoring seeds 10-19: E(16) = 1000/2500 = 0.4 (sub-linear). Tuned on the scoring seeds it would be c = 1,
    E(16) = 1000/1150 = 0.87 (linear)."""
    a = speedup_runs({1.0: 100.0, 3.0: 10.0})
    b = speedup_runs({1.0: 10.0, 3.0: 100.0})
    return pd.concat([a[a["seed"] < 10], b[b["seed"] >= 10]], ignore_index=True)


def speedup_runs(shift):
    return _runs(shift, seeds=20)


def test_tuned_c_alpha_is_chosen_on_the_tuning_seeds_and_scored_on_disjoint_ones():
    from a3c_theory.studies import sequential
    settings = speedup.Settings(targets={"trap_chain": [0.5]}, grad_targets=[0.5], default_c_alpha={"trap_chain": 1.0},
                                sequential=sequential.Plan(initial=10, cap=300))
    eff = speedup._efficiency_rows(settings, _two_halves())
    tuned = eff[(eff["step_rule"] == speedup.TUNED) & (eff["target"] == "gap 50%")].set_index("workers")
    assert (tuned.loc[[4, 16, 64], "c_alpha"] == 3.0).all()
    assert tuned.loc[16, "efficiency"] == pytest.approx(1000 / 2500, rel=0.03) and tuned.loc[16, "verdict"] == ef.SUBLINEAR
    assert (tuned["runs"] == 10).all() and tuned["paired"].all()
    assert tuned["tuning_edge"].loc[[4, 16, 64]].all()  # c = 3 is the top of the grid {1, 3}
    assert set(eff[eff["step_rule"] == speedup.TUNED]["target"]) == {"gap 50%"}  # the gradient target is not tuned
    # without sequential seeds the choice and the score use every seed (in-sample), and the report says so
    plain = speedup.Settings(targets={"trap_chain": [0.5]}, grad_targets=[0.5], default_c_alpha={"trap_chain": 1.0})
    same = speedup._efficiency_rows(plain, _two_halves())
    assert (same[same["step_rule"] == speedup.TUNED]["runs"] == 20).all()


def test_tuning_requests_extend_an_edge_choice_then_score_the_final_one():
    from a3c_theory.studies import sequential
    from a3c_theory.studies.study import NewConfig
    settings = speedup.Settings(targets={"trap_chain": [0.5]}, grad_targets=[0.5], default_c_alpha={"trap_chain": 1.0},
                                sequential=sequential.Plan(initial=10, cap=300), tuning_values=3)
    runs = _runs({1.0: 100.0, 3.0: 10.0})  # c = 3 best at every N > 1: the top edge of {1, 3}
    wanted = speedup.tuning_requests(settings, speedup._groups(settings, runs, None))
    new = {k: v for k, v in wanted.items() if isinstance(k, NewConfig)}
    assert {(k.like.split("-")[1], k.changes) for k in new} >= {(str(n), (("algorithm.c_alpha", 9.0),)) for n in (4, 16, 64)}
    assert set(new.values()) == {10}
    # with c = 9 run at those N and it worse than 3, the choice is interior and final: scored on seeds 10-19
    more = _runs({9.0: 300.0})
    more.loc[more["workers"] == 1, "gap"] = 1.0  # at N = 1, where c = 1 and 3 tie, c = 9 never gets there
    both = pd.concat([runs, more], ignore_index=True)
    wanted = speedup.tuning_requests(settings, speedup._groups(settings, both, None))
    assert not any(isinstance(k, NewConfig) for k in wanted)
    assert {wanted[f"3.0-{n}-0"] for n in (4, 16, 64)} == {20} and max(wanted.values()) == 20


def test_reproduce_runs_a_new_grid_value_from_the_part_of_the_run_it_is_like():
    from a3c_theory import reproduce
    from a3c_theory.studies import spec
    from a3c_theory.studies.study import NewConfig
    s = spec.load({"experiment": {"type": "speedup", "seeds": 2},
                   "part": [{"grid": {"run.workers": [1, 4], "algorithm.c_alpha": [1.0, 3.0]}}]}, speedup.Settings)
    runs = pd.DataFrame({"run_id": [f"study/part0/w{n}c{c}s{k}" for n in (1, 4) for c in (1, 3) for k in (0, 1)],
                         "run.workers": np.repeat([1, 4], 4), "algorithm.c_alpha": np.tile(np.repeat([1.0, 3.0], 2), 2),
                         "seed": np.tile([0, 1], 4)})
    like = "study/part0/w4c3s0"
    assert reproduce._seed_requests(s, runs, {NewConfig(like, (("algorithm.c_alpha", 9.0),)): 2}) == [
        (0, {"run.workers": 4, "algorithm.c_alpha": 9.0}, [0, 1])]
    with pytest.raises(ValueError, match="not on the grid"):
        reproduce._seed_requests(s, runs, {NewConfig(like, (("algorithm.c_beta", 9.0),)): 2})


def test_superlinear_tuned_cells_are_reported_with_their_step_sizes_and_the_start_up_burst():
    row = {"instance": "paper", "sampling": "iid", "delay": "round_robin", "target": "gap 50%",
           "step_rule": speedup.TUNED}
    eff = pd.DataFrame([{**row, "workers": 1, "c_alpha": 30.0, "efficiency": 1.0, "lo": 1.0, "hi": 1.0,
                         "superlinear": False, "mean_samples": 3500.0},
                        {**row, "workers": 1024, "c_alpha": 300.0, "efficiency": 6.2, "lo": 4.6, "hi": 8.4,
                         "superlinear": True, "mean_samples": 571.0},
                        {**row, "workers": 256, "c_alpha": 100.0, "efficiency": 0.9, "lo": 0.7, "hi": 1.1,
                         "superlinear": False, "mean_samples": 3900.0}])
    (claim,) = speedup._tuned_superlinear_claims(eff)
    assert "N=1024: E 6.20 [4.60, 8.40] at c_α 300 (one worker: 30), target after 571 samples (< N)" in claim.number
    assert "N=256" not in claim.number and "is 10 times one worker" in claim.notes and "1 reach the target" in claim.notes
    assert speedup._tuned_superlinear_claims(eff[eff["workers"] < 1024]) == []
