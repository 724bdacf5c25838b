"""Environments beyond finite MDPs, compiled with numba.

- :mod:`.cartpole`: gymnasium CartPole-v1's dynamics (explicit Euler), reset and termination;
- :mod:`.fourier`: the theory's setting on it: a Fourier basis ``φ(s)`` with ``‖φ‖₂ ≤ 1``, a linear
  softmax actor on ``f(s, a) = φ(s) ⊗ e_a``, and compiled Monte Carlo evaluation of its return;
- :mod:`.actor_critic`: a one-worker linear TD(0) actor-critic on it (Markovian chain, terminal target
  ``r`` alone, truncation bootstraps), standalone: the engine does not run CartPole.

The cached kernels follow every source they inline (:mod:`a3c_theory.engine.cache` covers this package too).
"""

from ..engine.cache import install as _install_cache_locators

_install_cache_locators()  # before any kernel module is imported
