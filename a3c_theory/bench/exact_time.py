"""Benchmark of the exact calculus: wall time of ``Evaluator.metrics`` at one θ.

- ``exact_metrics_paper_s``: the paper instance (100 states, 5 actions, dense LU path), median over calls.
- ``exact_metrics_garnet10k_s``: a 10,000-state garnet (5 actions, branching 10, sparse GMRES path),
  median over warm-started calls at θ perturbed by N(0, 0.01²) per call (as along a trajectory).
- ``exact_metrics_garnet10k_cold_s``: the first call there (no warm start; ``J*`` excluded).
- ``exact_optimal_garnet10k_s``: computing ``J*`` there by policy iteration.
- ``exact_iterative_rtol``: the relative residual tolerance of the GMRES solves.
- ``exact_slow_garnet{10k,100k}_{mu,d}_ms`` and ``..._residual``: ms per evaluation of μ_θ and d_θ on a
  slowly mixing garnet (5 actions, branching 4, ``locality = 3``, γ = 0.99, seed 5), warm-started from
  the previous θ's solution at θ perturbed by N(0, 0.01²) (the median over calls), and the relative L1
  residual of the last one; ``..._mu_forward_error`` is ``exact.stationary_accuracy``'s estimate at θ = 0
  (100k: only without ``--quick``).

Targets: ≤ 1 ms at 100 states, ≤ 100 ms at 10,000 states. Timings are medians (the machine is shared).
"""

import time

import numpy as np

from .. import exact
from ..problem import garnet_problem, paper_problem


def _median_seconds(fn, calls: int) -> float:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def bench_exact(quick: bool = False) -> dict:
    """Median seconds of ``Evaluator.metrics`` on the paper instance and on a 10k-state garnet, with BLAS
    limited to one thread (``exact.single_thread_blas``, as ``evaluate`` runs)."""
    with exact.single_thread_blas():
        return _bench(quick)


def _bench(quick: bool) -> dict:
    rng = np.random.default_rng(0)
    paper = paper_problem(0)
    evaluator = exact.Evaluator(paper)
    theta = rng.normal(size=paper.policy.dim)
    w = rng.normal(size=paper.critic_dim)
    evaluator.metrics(theta, w, 0.1)  # J* and first-call overheads
    paper_s = _median_seconds(lambda: evaluator.metrics(theta, w, 0.1), 100 if quick else 1000)

    garnet = garnet_problem(0, 10_000, 5, 10)
    evaluator = exact.Evaluator(garnet)
    start = time.perf_counter()
    evaluator.J_star
    optimal_s = time.perf_counter() - start
    theta = 0.1 * rng.normal(size=garnet.policy.dim)
    w = rng.normal(size=garnet.critic_dim)
    start = time.perf_counter()
    evaluator.metrics(theta, w, 0.1)
    cold_s = time.perf_counter() - start

    def nearby_call():
        theta[:] += 0.01 * rng.normal(size=theta.size)
        evaluator.metrics(theta, w, 0.1)

    garnet_s = _median_seconds(nearby_call, 5 if quick else 30)
    slow = {}
    for label, n_states in [("10k", 10_000)] + ([] if quick else [("100k", 100_000)]):
        slow.update(_bench_slow_garnet(label, n_states, 3 if quick else 5))
    return {
        **slow,
        "exact_metrics_paper_s": paper_s,
        "exact_metrics_garnet10k_s": garnet_s,
        "exact_metrics_garnet10k_cold_s": cold_s,
        "exact_optimal_garnet10k_s": optimal_s,
        "exact_iterative_rtol": exact.ITERATIVE_RTOL,
    }


def _bench_slow_garnet(label: str, n_states: int, calls: int) -> dict:
    """μ_θ and d_θ on a slowly mixing garnet (module docstring)."""
    import warnings

    from ..errors import ConditioningWarning

    problem = garnet_problem(5, n_states, 5, 4, gamma=0.99, locality=3)
    mdp = problem.mdp
    rng = np.random.default_rng(1)
    theta = np.zeros(problem.policy.dim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConditioningWarning)
        accuracy = exact.stationary_accuracy(mdp, problem.policy.probabilities(theta))
    last = {}

    def solve(fn, name):
        theta[:] += 0.01 * rng.normal(size=theta.size)
        pi = problem.policy.probabilities(theta)
        last[name] = (fn(mdp, pi, x0=last.get(name, (None,))[0]), pi)

    out = {}
    for name, fn in (("mu", exact.stationary_distribution), ("d", exact.discounted_visitation)):
        out[f"exact_slow_garnet{label}_{name}_ms"] = 1e3 * _median_seconds(lambda: solve(fn, name), calls)
        x, pi = last[name]
        P_T = exact.policy_transition(mdp, pi, "sparse").T
        gamma = 1.0 if name == "mu" else mdp.gamma
        b = np.zeros(n_states) if name == "mu" else (1 - gamma) * mdp.eta
        out[f"exact_slow_garnet{label}_{name}_residual"] = exact._l1_residual(P_T, gamma, x, b)
    out[f"exact_slow_garnet{label}_mu_forward_error"] = accuracy["forward_error_estimate"]
    return out
