"""Benchmark of ``a3c-theory diagnose``: wall time of :func:`a3c_theory.instances.diagnose.diagnose`.

- ``diagnose_paper_s``: the paper instance (100 states, dense eigenvalues); target ≤ 2 s.
- ``diagnose_garnet10k_s``: a 10,000-state garnet (5 actions, branching 10, 10 random features; ARPACK
  eigenvalues, sparse solves, ``J*`` by policy iteration); target ≤ 30 s.
"""

import time

from ..instances.diagnose import diagnose
from ..problem import garnet_problem, paper_problem


def _seconds(problem) -> float:
    start = time.perf_counter()
    diagnose(problem)
    return time.perf_counter() - start


def bench_diagnose(quick: bool = False) -> dict:
    """One timed call each (the quick mode times the paper instance only)."""
    results = {"diagnose_paper_s": _seconds(paper_problem(0))}
    if not quick:
        results["diagnose_garnet10k_s"] = _seconds(garnet_problem(0, 10_000, 5, 10))
    return results
