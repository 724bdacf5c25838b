"""The compiled A3C-TD(0) engine (all numba code of the package lives here).

- :mod:`.rng`: inline xoshiro256+ streams; :mod:`.samplers`: per-sample primitives and the one-sample
  estimators; :mod:`.kernels`: update application, simulated-delay and synchronous loops;
  :mod:`.delays`: delay schedules and compute-time models; :mod:`.runner`: the Python driver.

``run(cfg) -> Trace`` runs a validated :class:`a3c_theory.config.Config`; ``warm_up()`` compiles (or
loads from numba's cache) every kernel.
"""

from .runner import run

__all__ = ["run", "warm_up"]


def warm_up() -> None:
    """Compile or load every kernel signature the engine uses: tabular and linear actors, i.i.d. and
    Markovian sampling, exogenous and event-driven schedules, sync rounds, Hogwild threads, the estimator loop."""
    import numpy as np

    from .. import config
    from .samplers import IID, problem_arrays, update_means

    tiny = {"problem": {"n_states": 4, "n_actions": 2, "feature_dim": 2}, "algorithm": {"radius": 10.0},
            "run": {"samples": 8, "snapshots": 2}}
    variants = [
        {},
        {"run": {"delay": "exponential", "workers": 2}},
        {"run": {"mode": "sync", "workers": 2}},
        {"problem": {"actor": "linear", "actor_dim": 3}, "algorithm": {"sampling": "markov"}},
        {"problem": {"actor": "linear", "actor_dim": 3}, "run": {"mode": "sync", "delay": "straggler"}},
        {"run": {"mode": "threads", "workers": 2, "batch": 4}},
        {"problem": {"actor": "linear", "actor_dim": 3}, "algorithm": {"sampling": "markov"},
         "run": {"mode": "threads", "workers": 2}},
    ]
    for extra in variants:
        merged = {section: {**tiny.get(section, {}), **extra.get(section, {})} for section in config.SCHEMA}
        cfg = config.from_dict(merged)
        run(cfg, progress=False)
        if extra.get("algorithm", {}).get("sampling") != "markov":
            problem = config.build_problem(cfg)
            update_means(problem_arrays(problem), np.zeros(problem.policy.dim), np.zeros(problem.critic_dim),
                         IID, 1, np.ones((1, 4), np.uint64), 1, 1, 0)
