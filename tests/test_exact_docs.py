"""The public functions of a3c_theory.exact carry numpydoc sections, and their doctests (a two-state MDP with
round numbers) run here."""

import doctest
import inspect

import numpy as np

from a3c_theory import exact

PUBLIC = [name for name, f in inspect.getmembers(exact, inspect.isfunction)
          if not name.startswith("_") and f.__module__ == exact.__name__]


def test_every_public_function_has_parameters_and_returns_sections():
    lacking = [name for name in PUBLIC
               if not all(f"\n    {s}\n    {'-' * len(s)}\n" in getattr(exact, name).__doc__ for s in ("Parameters", "Returns"))]
    assert PUBLIC and lacking == []


def test_the_doctests_pass():
    with np.printoptions(legacy=False):
        result = doctest.testmod(exact, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 100
    examples = [name for name in PUBLIC if ">>> " in getattr(exact, name).__doc__]
    assert {"value", "objective", "stationary_distribution", "discounted_visitation", "policy_gradient",
            "td_fixed_point", "approximation_error", "optimal_objective"} <= set(examples)
