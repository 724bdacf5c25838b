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
from a3c_theory.studies import convergence, speedup_limit
from a3c_theory.studies.stats import Estimate
from a3c_theory.studies.study import Number, Results
from synthetic import runs

CASES = {  # module -> (groups of the synthetic runs, settings)
    "convergence": (dict(workers=[1, 2, 4], mode=["simulated", "threads"]), {}),
    "rates": (dict(workers=[1, 4], sampling=["iid", "markov"]), {}),
    "speedup_limit": (dict(workers=[1, 4, 16], instance=["paper", "garnet"], sampling=["iid", "markov"]),
                      {"target_fraction": 0.5, "targets": {"garnet": 0.3}}),
    "a3c_vs_a2c": None,  # runs told apart by their parts' configs: test_a3c_vs_a2c.results
    "staleness": None,  # one worker, constant delays: test_staleness.results
    "regularisation": (dict(lam=[0.0, 0.1]), {}),
    "threads_runtime": (dict(workers=[1, 2, 4], mode=["threads"]), {}),
}


def _study(module: str, **settings):
    mod = next(s.module for s in registered() if s.module.__name__.endswith("." + module))
    if CASES[module] is None:
        return mod, importlib.import_module(f"test_{module}").results()
    groups, defaults = CASES[module]
    results = Results(module, f"test {module}", runs(**groups), mod.Settings(**{**defaults, **settings}), cores=2)
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


def test_speedup_limit_uses_each_instance_target_and_finds_linear_speedup_throughout():
    """The synthetic runs need the same total samples whatever N, so the sample speedup is exactly N."""
    mod, results = _study("speedup_limit")
    summary = mod.summarise(results)
    for line in summary.lines:
        assert line.target_fraction == (0.3 if line.group[0] == "garnet" else 0.5)
        np.testing.assert_allclose([e.value for e in line.speedups.values()], list(line.speedups), rtol=1e-9)
        assert line.linear_up_to == 16
    rows = {c.artifact: c for c in mod.claims(summary)}
    assert rows["speedup limit, iid"].verdict.startswith("consistent")
    assert rows["speedup limit, markov"].verdict.startswith("not reproduced")


def test_speedup_limit_verdict_compares_with_the_theory_regime():
    """Linear up to N = 4, sub-linear at N = 16: inside N <= K^(1/5) = 25.1 (K = 1e7) -> 'not consistent';
    a first failure at N = 64 (outside the regime) is consistent."""
    def line(first_fail):
        speedups = {n: (Estimate(n, n - 0.5, n + 0.5, 3) if n < first_fail else Estimate(n / 4, n / 5, n / 3, 3))
                    for n in (1, 4, 16, 64)}
        from a3c_theory.studies import stats
        return speedup_limit.Line(("paper", "iid"), "round_robin", 0.8, 1e7, speedups, stats.linear_up_to(speedups))

    for first_fail, expect in ((16, "not consistent"), (64, "consistent")):
        summary = speedup_limit.Summary(("instance", "sampling"), "delay", (("paper", "iid"),), (line(first_fail),),
                                        pd.DataFrame())
        (row,) = speedup_limit.claims(summary)
        assert row.verdict.startswith(expect), row.verdict


def test_convergence_speedup_verdicts_follow_the_stated_rule():
    """i.i.d.: 1, 2, 3.9, 5.5 with interval [5, 5.9] at N = 8 -> below 0.75·8 = 6: 'partly'. Markovian:
    linear at every N contradicts 'linear only for small N' ('not reproduced'); sub-linear at N = 8 only
    reproduces it."""
    def speedups(rows):
        return {n: Estimate(m, lo, hi, 3) for n, m, lo, hi in rows}

    iid = speedups([(1, 1.0, 1.0, 1.0), (2, 2.0, 1.5, 2.5), (4, 3.9, 3.0, 4.5), (8, 5.5, 5.0, 5.9)])
    assert convergence.speedup_verdict(iid, "i.i.d.") == "partly: sub-linear at N = 8"
    linear = speedups([(n, float(n), n - 0.5, n + 0.5) for n in (1, 2, 4, 8)])
    assert convergence.speedup_verdict(linear, "Markovian").startswith("not reproduced")
    ends = speedups([(1, 1.0, 1.0, 1.0), (2, 1.9, 1.5, 2.4), (4, 3.5, 2.9, 4.1), (8, 4.0, 3.0, 5.0)])
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
