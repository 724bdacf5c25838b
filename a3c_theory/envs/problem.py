"""CartPole-v1 as a problem of the engine (``problem.kind = "cartpole"``): the environment of :mod:`.cartpole`,
the Fourier features of :mod:`.fourier` of a given order, the critic's discount γ, and how its snapshots are
evaluated (episodes per snapshot, the running-average window m).

Parameters as the engine stores them: the critic ``ω ∈ R^M`` and the actor ``θ ∈ R^{2M}`` flattened row-major
from :mod:`.fourier`'s ``theta[a, c]`` (``θ[a·M + c]``), ``M = (n + 1)^4``; both start at 0 (the uniform
policy).
"""

import hashlib
from dataclasses import dataclass

import numpy as np

from ..validate import open_unit_interval, positive_int
from . import cartpole, fourier


@dataclass(frozen=True, eq=False)
class CartPoleProblem:
    """A validated CartPole problem; build it with :meth:`make`."""

    order: int
    gamma: float
    eval_episodes: int
    return_window: int
    coeffs: np.ndarray
    settings: object = None  # config.ProblemSettings it was built from (run_setup.check_problem compares it)

    @classmethod
    def make(cls, order: int, gamma: float, eval_episodes: int = 100, return_window: int = 5,
             settings=None) -> "CartPoleProblem":
        """Validate and bundle (errors name ``order``, ``gamma``, ``eval_episodes``, ``return_window``)."""
        coeffs = fourier.coefficients(order)
        return cls(int(order), open_unit_interval("gamma", gamma),
                   positive_int("eval_episodes", eval_episodes, minimum=2),
                   positive_int("return_window", return_window), coeffs, settings)

    @property
    def n_features(self) -> int:
        """``M = (order + 1)^4``."""
        return int(self.coeffs.shape[0])

    @property
    def critic_dim(self) -> int:
        return self.n_features

    @property
    def actor_dim(self) -> int:
        """``2M``: one row of ``M`` weights per action."""
        return cartpole.N_ACTIONS * self.n_features

    def actor_matrix(self, theta) -> np.ndarray:
        """The engine's flat ``θ`` as :mod:`.fourier`'s ``(2, M)`` array (a copy)."""
        return np.array(theta, dtype=np.float64).reshape(cartpole.N_ACTIONS, self.n_features)

    def fingerprint(self) -> dict:
        """SHA-256 digest (16 hex digits) of the environment's definition (order, γ, the dynamics' constants),
        as ``{"cartpole": digest}``; evaluation settings are not part of the problem's arrays."""
        h = hashlib.sha256()
        constants = (cartpole.GRAVITY, cartpole.MASSCART, cartpole.MASSPOLE, cartpole.LENGTH, cartpole.FORCE_MAG,
                     cartpole.TAU, cartpole.THETA_THRESHOLD, cartpole.X_THRESHOLD, cartpole.RESET_HIGH,
                     cartpole.REWARD, cartpole.MAX_EPISODE_STEPS, self.gamma)
        h.update(f"order={self.order}".encode())
        h.update(np.array(constants, dtype=np.float64).tobytes())
        h.update(np.ascontiguousarray(fourier.SCALE_HIGH).tobytes())
        return {"cartpole": h.hexdigest()[:16]}
