"""Seeded random linear-quadratic instances.

``random_lqr(seed, n, m, spectral_radius, noise_scale, gamma, sigma)``:

- ``A = ρ · G / ρ(G)`` with ``G`` standard normal (n × n), so ``ρ(A) = spectral_radius < 1`` and K0 = 0
  stabilises;
- ``B`` standard normal (n × m) scaled by ``1/√n``;
- ``Q = I_n``, ``R = I_m``, ``W = noise_scale² · I_n``, ``Σ_0 = I_n``, ``K0 = K_p = 0``.
"""

import math

import numpy as np

from ..errors import ValidationError
from ..validate import positive_int
from .problem import LQRProblem, spectral_radius as rho


def random_lqr(seed, state_dim: int, action_dim: int, spectral_radius: float = 0.9,
               noise_scale: float = 0.1, gamma: float = 0.9, sigma: float = 0.5) -> LQRProblem:
    """A random instance (module docstring); ``seed`` is an int or a SeedSequence."""
    n = positive_int("problem.state_dim", state_dim)
    m = positive_int("problem.action_dim", action_dim)
    spectral_radius = float(spectral_radius)
    if not 0 <= spectral_radius < 1:
        raise ValidationError("problem.spectral_radius", f"must lie in [0, 1), got {spectral_radius!r}")
    noise_scale = float(noise_scale)
    if not (math.isfinite(noise_scale) and noise_scale >= 0):
        raise ValidationError("problem.noise_scale", f"must be a finite number >= 0, got {noise_scale!r}")
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((n, n))
    A = spectral_radius * G / rho(G)
    B = rng.standard_normal((n, m)) / math.sqrt(n)
    return LQRProblem.make(A, B, np.eye(n), np.eye(m), noise_scale ** 2 * np.eye(n), np.eye(n),
                           gamma=gamma, sigma=sigma)
