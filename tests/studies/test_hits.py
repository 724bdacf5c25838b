"""studies/hits.py: costs to target from the online hitting times of real runs."""

import numpy as np
import pandas as pd
import pytest

from a3c_theory import config
from a3c_theory.errors import ValidationError
from a3c_theory.pipeline import run_batch
from a3c_theory.studies.hits import online_costs, with_online


def test_costs_are_the_online_hits_and_inf_when_not_reached():
    base = {"problem": {"kind": "trap_chain", "n_states": 6, "critic_features": "one_hot"},
            "algorithm": {"c_alpha": 3.0, "refresh": 100},
            "run": {"workers": 2, "delay": "round_robin", "samples": 4000, "snapshots": 4},
            "targets": {"gap": [0.5, 1.0]}}
    cfgs = [config.from_dict({**base, "run": {**base["run"], "seed": s}}) for s in range(2)]
    meta = pd.DataFrame([{"run_id": f"r{i}", **r.meta} for i, r in enumerate(run_batch(cfgs))])
    reached = online_costs(meta, "gap_0.5")
    assert list(reached["cost"]) == list(meta["hits_gap_0.5"].astype(float))
    assert np.all(np.isfinite(reached["cost"])) and np.all(reached["horizon"] == 4000)
    never = online_costs(meta, "gap_1", cost="time")  # J = J* exactly is never reached: the full horizon spent
    assert np.all(np.isinf(never["cost"])) and np.all(never["spent"] == 4000)
    with pytest.raises(ValidationError) as info:
        online_costs(meta, "gap_0.9")
    assert info.value.field == "meta.hits_gap_0.9"


def test_with_online_replaces_the_costs_of_the_runs_that_recorded_the_target():
    costs = pd.DataFrame({"run_id": ["a", "b", "c"], "workers": 1, "seed": [0, 1, 2], "cost": [5.0, 6.0, 7.0],
                          "horizon": 9.0})
    meta = pd.DataFrame({"run_id": ["a", "b", "z"], "target_levels_gap_0.5": [0.7, None, 0.7],
                         "hits_gap_0.5": [40, None, 1], "hit_times_gap_0.5": [0.5, None, 0.1], "updates_run": 100,
                         "hit_horizon": 100})
    out = with_online(costs, meta, "gap_0.5", "time")
    assert list(out["cost"]) == [0.5, 6.0, 7.0] and list(out["horizon"]) == [9.0] * 3  # b recorded no level
    assert list(with_online(costs, meta, "gap_0.5")["cost"]) == [40.0, 6.0, 7.0]
    assert with_online(costs, meta, "gap_0.8") is costs and with_online(costs, None, "gap_0.5") is costs
    unreached = meta.assign(**{"hits_gap_0.5": [None, None, 1]})
    assert np.isinf(with_online(costs, unreached, "gap_0.5")["cost"].iloc[0])
