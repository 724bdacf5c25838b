"""studies.nmax: N_max(K) on synthetic runs (every N linear, so N_max is the largest N, a '+' bound) and
its Settings (horizons: at least 3, spanning 2 decades, stored sorted)."""

import pytest

from a3c_theory import config
from a3c_theory.errors import ValidationError
from a3c_theory.studies import nmax
from a3c_theory.studies.study import Results
from synthetic import runs

CONFIGS = tuple(config.from_dict(c).to_dict() for c in (
    {"problem": {"kind": "trap_chain", "n_states": 6, "critic_features": "one_hot"}},
    {"problem": {"kind": "drift_ring", "n_states": 20, "n_actions": 2, "branching": 2, "locality": 1,
                 "critic_features": "one_hot"}}))


def test_every_n_linear_gives_the_grid_bound():
    results = Results("nmax", "t", runs(workers=[1, 2, 4, 8], kind=["trap_chain", "drift_ring"],
                                        sampling=["iid", "markov"], **{"problem.locality": [1, 8]}),
                      nmax.Settings(horizons=[1000.0, 10.0, 100.0]), configs=CONFIGS, cores=2)
    summary = nmax.summarise(results)
    assert set(summary.nmax["n_max"]) == {8} and set(summary.nmax["censored"]) == {"above"}
    assert summary.tables and nmax.claims(summary)


def test_horizons_are_sorted_and_checked():
    assert nmax.Settings(horizons=[1000, 10, 100]).horizons == (10.0, 100.0, 1000.0)
    with pytest.raises(ValidationError, match="horizons: must be a list of at least 3"):
        nmax.Settings(horizons=[10, 1000])
    with pytest.raises(ValidationError, match="horizons: must span a factor of at least 100"):
        nmax.Settings(horizons=[10, 20, 30])
    with pytest.raises(ValidationError, match=r"horizons\[0\]: must lie in \(0, inf\]"):
        nmax.Settings(horizons=[0, 10, 1000])
    with pytest.raises(ValidationError, match=r"mixing_target: must lie in \(0, 1\]"):
        nmax.Settings(mixing_target=2)
