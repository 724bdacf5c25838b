"""studies.speedup: defaults for an instance kind the settings do not list (gap targets 50/80/95%, the
smallest c_α of the grid), and its Settings. The verdict rules are tested in test_speedup_studies.py."""

import pytest

from a3c_theory import config
from a3c_theory.errors import ValidationError
from a3c_theory.studies import speedup
from a3c_theory.studies.study import Results
from synthetic import runs

CONFIGS = (config.from_dict({"problem": {"kind": "trap_chain", "n_states": 6, "critic_features": "one_hot"}}).to_dict(),)


def test_a_kind_without_settings_gets_the_default_targets_and_the_smallest_c_alpha():
    results = Results("speedup", "t", runs(workers=[1, 4], kind=["trap_chain"], **{"algorithm.c_alpha": [3.0, 1.0]}),
                      speedup.Settings(), configs=CONFIGS, cores=2)
    summary = speedup.summarise(results)
    gap_targets = [t for t in dict.fromkeys(summary.efficiency["target"]) if t.startswith("gap")]
    assert gap_targets == [f"gap {f:.0%}" for f in speedup.DEFAULT_TARGETS]
    fixed = summary.efficiency[summary.efficiency["step_rule"] == speedup.FIXED]
    assert set(fixed["c_alpha"]) == {1.0}
    assert summary.mechanism["default_c_alpha"].any()


@pytest.mark.parametrize("given, field", [
    ({"targets": {"paper": [0.0]}}, "targets.paper[0]"),
    ({"targets": {"paper": []}}, "targets.paper"),
    ({"grad_targets": [2.0]}, "grad_targets[0]"),
    ({"default_c_alpha": {"paper": -1.0}}, "default_c_alpha.paper"),
    ({"targets": [0.5]}, "targets"),
])
def test_settings_name_the_field(given, field):
    with pytest.raises(ValidationError) as err:
        speedup.Settings(**given)
    assert err.value.field == field
