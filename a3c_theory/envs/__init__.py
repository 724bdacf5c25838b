"""Environments beyond finite MDPs, compiled with numba.

- :mod:`.cartpole`: gymnasium CartPole-v1's dynamics (explicit Euler), reset and termination;
- :mod:`.fourier`: the theory's setting on it: a Fourier basis ``φ(s)`` with ``‖φ‖₂ ≤ 1``, a linear
  softmax actor on ``f(s, a) = φ(s) ⊗ e_a``, and compiled Monte Carlo evaluation of its return;
- :mod:`.problem`: ``CartPoleProblem`` (``problem.kind = "cartpole"``), which the one engine runs
  (``a3c_theory.engine.cartpole_samplers``, ``continuous_kernels``, ``cartpole_setup``: Markovian sampling,
  terminal target ``r`` alone, truncation bootstraps; simulated delays, A2C, threads);
- :mod:`.evaluation`: its metric table of Monte Carlo returns (no exact J exists).

The cached kernels follow every source they inline (:mod:`a3c_theory.engine.cache` covers this package too).
"""

from ..engine.cache import install as _install_cache_locators

_install_cache_locators()  # before any kernel module is imported
