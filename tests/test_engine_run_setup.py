"""engine.run_setup: what the runs of a seed batch share."""

import numpy as np

from a3c_theory import config
from a3c_theory.engine.run_setup import SamplingLaws, Shared
from a3c_theory.engine.samplers import problem_arrays


def test_shared_problem_arrays_are_the_packed_problem_with_private_law_arrays():
    shared = Shared(config.from_dict({"problem": {"kind": "trap_chain", "n_states": 6}}))
    first, second = shared.problem_arrays(), shared.problem_arrays()
    packed = problem_arrays(shared.problem)
    for name in packed._fields:
        a, b = np.asarray(getattr(first, name)), np.asarray(getattr(packed, name))
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), name
        assert (getattr(first, name) is getattr(second, name)) == (name not in SamplingLaws.ARRAYS), name
    first.mu_cdf[:] = 0.5  # a run's refresh writes its own copy only
    assert shared.problem_arrays().mu_cdf.tobytes() == packed.mu_cdf.tobytes()


def test_a_hidden_progress_bar_counts_updates_and_draws_nothing(capsys):
    from a3c_theory.engine.run_setup import progress_bar

    with progress_bar(100, False) as bar:
        bar.update(30)
        bar.update(5)
    assert bar.n == 35
    assert capsys.readouterr().err == ""
