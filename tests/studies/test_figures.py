"""Every study module: summarise -> draw -> numbers -> claims on hand-made runs; the verdict rules."""

import dataclasses
import importlib
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from a3c_theory.errors import ValidationError
from a3c_theory.studies import REGISTRY, plotting, registered
from a3c_theory import config
from a3c_theory.studies import convergence
from a3c_theory.studies.stats import Estimate
from a3c_theory.studies.study import Number, Results
from synthetic import runs

CASES = {  # module -> (groups of the synthetic runs, settings)
    "convergence": (dict(workers=[1, 2, 4], mode=["simulated", "threads"]), {}),
    "rates": (dict(**{"algorithm.sigma_alpha": [0.5, 0.6], "algorithm.sigma_beta": [0.4]}, lam=[0.0, 0.1]), {}),
    "speedup": (dict(workers=[1, 4, 16], kind=["trap_chain"], sampling=["iid", "markov"],
                     **{"algorithm.c_alpha": [1.0, 3.0]}),
                {"targets": {"trap_chain": [0.5]}, "default_c_alpha": {"trap_chain": 1.0}}),
    "nmax": None,  # judged runs and pilot runs told apart by seed: test_nmax.results
    "feature_control": (dict(**{"problem.critic_features": ["random", "one_hot"]}), {}),
    "a3c_vs_a2c": None,  # runs told apart by their parts' configs: test_a3c_vs_a2c.results
    "staleness": None,  # one worker, constant delays: test_staleness.results
    "projection": None,  # runs with their metadata (projections, radius): test_projection.results
    "regularisation": (dict(lam=[0.0, 0.1]), {}),
    "threads_runtime": (dict(workers=[1, 2, 4], mode=["threads"]), {}),
}


CONFIGS = {  # module -> the problems a study evaluates: diagnostics, J_λ* (tiny instances)
    "speedup": [{"problem": {"kind": "trap_chain", "n_states": 6, "critic_features": "one_hot"}}],
    "regularisation": [{"problem": {"kind": "paper", "seed": 0, "n_states": 4, "n_actions": 3, "feature_dim": 2}}],
}


def _study(module: str, **settings):
    mod = next(s.module for s in registered() if s.module.__name__.endswith("." + module))
    if CASES[module] is None:
        return mod, importlib.import_module(f"test_{module}").results()
    groups, defaults = CASES[module]
    configs = tuple(config.from_dict(c).to_dict() for c in CONFIGS.get(module, ()))
    results = Results(module, f"test {module}", runs(**groups), mod.Settings(**{**defaults, **settings}),
                      configs=configs, cores=2)
    return mod, results


def test_every_registered_module_is_tested():
    """A module is tested here (a case in CASES) or in its own tests/studies/test_<module>.py."""
    for module in set(REGISTRY.values()):
        assert module in CASES or (Path(__file__).parent / f"test_{module}.py").is_file(), module


@pytest.mark.parametrize("module", sorted(CASES))
def test_each_study_summarises_draws_a_png_and_reports(module, tmp_path):
    mod, results = _study(module)
    summary = mod.summarise(results)
    assert dataclasses.is_dataclass(summary)
    path = tmp_path / f"{module}.png"
    with plotting.styled():
        mod.draw(results, summary, path)
    image = mpimg.imread(path)
    assert image.shape[0] > 300 and image.shape[1] > 300
    assert image[..., :3].std() > 0.05  # not a blank canvas
    numbers = mod.numbers(summary)
    assert numbers and all(isinstance(x, Number) and isinstance(x.estimate, Estimate) for x in numbers)
    assert all(np.isfinite(x.estimate.value) for x in numbers)
    tables = [getattr(summary, f.name) for f in dataclasses.fields(summary)
              if isinstance(getattr(summary, f.name), pd.DataFrame)]
    assert tables and all(not t.empty for t in tables), "a study keeps the numbers it drew"
    assert mod.claims(summary), "every study states at least one claim with a verdict"


def test_speedup_study_finds_linear_speedup_when_every_n_needs_the_same_samples():
    """The synthetic runs need the same total samples whatever N: E(N) = 1 exactly, linear at every N."""
    mod, results = _study("speedup")
    summary = mod.summarise(results)
    assert (summary.efficiency["efficiency"] == 1.0).all()
    assert (summary.efficiency["verdict"] == "linear").all()
    assert set(summary.verdicts["linear_up_to"]) == {16}


def test_convergence_speedup_verdicts_follow_the_stated_rule():
    """E(N) = Speedup(N)/N with its interval: i.i.d. 1, 2, 3.9, 5.5 with [5, 5.9] at N = 8 -> E(8) in
    [0.625, 0.74] < 0.75: sub-linear, 'contradicted'. Markovian: linear at every N is consistent with 'roughly
    linear for small N' (it does not say where linearity ends); linear at N = 2 and sub-linear at N = 8
    reproduces it."""
    def speedups(rows):
        return {n: Estimate(m, lo, hi, 3) for n, m, lo, hi in rows}

    iid = speedups([(1, 1.0, 1.0, 1.0), (2, 2.0, 1.6, 2.4), (4, 3.9, 3.2, 4.5), (8, 5.5, 5.0, 5.9)])
    assert convergence.speedup_verdict(iid, "i.i.d.") == "contradicted"
    linear = speedups([(n, float(n), n * 0.9, n * 1.1) for n in (1, 2, 4, 8)])
    assert convergence.speedup_verdict(linear, "i.i.d.") == "consistent"
    assert convergence.speedup_verdict(linear, "Markovian").startswith("consistent")
    ends = speedups([(1, 1.0, 1.0, 1.0), (2, 1.9, 1.6, 2.4), (4, 3.5, 2.9, 4.1), (8, 4.0, 3.0, 5.0)])
    assert convergence.speedup_verdict(ends, "Markovian").startswith("reproduced")


def test_missing_columns_and_bad_settings_name_the_field():
    mod, results = _study("threads_runtime")
    with pytest.raises(ValidationError, match="runs.mode"):
        mod.summarise(dataclasses.replace(results, runs=results.runs.drop(columns="mode")))
    with pytest.raises(ValidationError, match="target_fraction"):
        mod.Settings(target_fraction=1.5)


def test_the_core_count_comes_from_the_runs_metadata_when_they_recorded_it():
    mod, results = _study("threads_runtime")
    assert mod.summarise(results).cores == 2  # no metadata: this machine's count as given
    ids = results.runs["run_id"].unique()
    meta = pd.DataFrame({"run_id": ids, "machine_cores": 8})
    assert mod.summarise(dataclasses.replace(results, meta=meta)).cores == 8
