"""The linear-quadratic problem record (issue 17 conventions, DESIGN.md §7).

- dynamics ``x' = A x + B u + w``, ``w ~ N(0, W)``; start ``x_0 ~ η = N(0, Σ_0)``;
- reward ``r(x, u) = −(xᵀQx + uᵀRu)``;
- policy ``π_K(u | x) = N(−Kx, σ² I_m)``, θ = K (m × n), σ fixed;
- KL prior ``π_p(u | x) = N(−K_p x, σ² I_m)`` on prior states ``η_p = η`` (K_p = 0 unless given);
- discount γ ∈ (0, 1); initial gain K0 with ρ(A − B K0) < 1.

The undiscounted condition ρ(A − BK0) < 1 is required, not only √γ ρ < 1: without it the critic chain
``x' = (A − BK)x + Bσε + w`` has no stationary law μ_K, and i.i.d. sampling and the TD fixed point are
undefined.

:meth:`LQRProblem.packed` returns the arrays as one contiguous float64 vector in a stated order, so a
compiled engine can consume them without Python objects.
"""

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from ..errors import ValidationError
from ..validate import finite_array, open_unit_interval

SYMMETRY_TOL = 1e-10
"""Allowed max |X − Xᵀ| / max(1, max |X|) for a symmetric array."""

EIGEN_TOL = 1e-12
"""Allowed negative eigenvalue, relative to max(1, ‖X‖₂), for a positive semidefinite array."""

PACKED_ORDER = ("A", "B", "Q", "R", "W", "Sigma0", "K0", "K_prior")
"""Order of the arrays (row-major) in :meth:`LQRProblem.packed`, followed by gamma and sigma."""


def spectral_radius(M: np.ndarray) -> float:
    """``ρ(M) = max |eig(M)|``."""
    return float(np.max(np.abs(np.linalg.eigvals(M)))) if M.size else 0.0


@dataclass(frozen=True, eq=False)
class LQRProblem:
    """A validated linear-quadratic problem with a Gaussian policy class; build it with :meth:`make`."""

    A: np.ndarray
    B: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    W: np.ndarray
    Sigma0: np.ndarray
    K0: np.ndarray
    K_prior: np.ndarray
    gamma: float
    sigma: float

    @classmethod
    def make(cls, A, B, Q, R, W, Sigma0, K0=None, K_prior=None, gamma=0.9, sigma=1.0,
             prefix: str = "") -> "LQRProblem":
        """Validate and bundle; every error names the array (with ``prefix``, e.g. a file name, as
        ``"FILE [A]"``). Defaults: ``K0 = 0`` and ``K_p = 0``."""
        def name(field):
            return f"{prefix} [{field}]" if prefix else field

        A = finite_array(name("A"), A, ndim=2)
        n = A.shape[0]
        if A.shape != (n, n) or n == 0:
            raise ValidationError(name("A"), f"must be square (n x n, n >= 1), got shape {A.shape}")
        B = finite_array(name("B"), B, ndim=2)
        if B.shape[0] != n or B.shape[1] == 0:
            raise ValidationError(name("B"), f"must have shape ({n}, m) with m >= 1, got {B.shape}")
        m = B.shape[1]
        Q = _symmetric(name("Q"), Q, n, definite=False)
        R = _symmetric(name("R"), R, m, definite=True)
        W = _symmetric(name("W"), W, n, definite=False)
        Sigma0 = _symmetric(name("Sigma0"), Sigma0, n, definite=True)
        K0 = np.zeros((m, n)) if K0 is None else _gain(name("K0"), K0, m, n)
        K_prior = np.zeros((m, n)) if K_prior is None else _gain(name("K_prior"), K_prior, m, n)
        gamma = open_unit_interval(name("gamma"), gamma)
        sigma = float(sigma)
        if not (math.isfinite(sigma) and sigma > 0):
            raise ValidationError(name("sigma"), f"must be a finite number > 0, got {sigma!r}")
        rho = spectral_radius(A - B @ K0)
        if not rho < 1:
            raise ValidationError(name("K0"), f"does not stabilise: spectral radius of A − B K0 is {rho:.6g}, "
                                  "must be < 1 (the critic chain needs a stationary law, not only √γ ρ < 1)")
        return cls(A, B, Q, R, W, Sigma0, K0, K_prior, gamma, sigma)

    @property
    def state_dim(self) -> int:
        return self.A.shape[0]

    @property
    def action_dim(self) -> int:
        return self.B.shape[1]

    @property
    def noise(self) -> np.ndarray:
        """``W + σ² B Bᵀ``: the covariance of the one-step noise ``Bσε + w`` under any π_K."""
        return self.W + self.sigma ** 2 * (self.B @ self.B.T)

    def closed_loop(self, K) -> np.ndarray:
        """``A − B K``."""
        return self.A - self.B @ np.asarray(K, dtype=np.float64)

    def packed(self) -> np.ndarray:
        """The arrays of :data:`PACKED_ORDER` (row-major) then ``[gamma, sigma]``, as one float64 vector."""
        parts = [getattr(self, f).ravel() for f in PACKED_ORDER] + [np.array([self.gamma, self.sigma])]
        return np.ascontiguousarray(np.concatenate(parts))

    def fingerprint(self) -> dict:
        """SHA-256 digest (16 hex digits) of the packed arrays and the dimensions, as ``{"lqr": digest}``."""
        h = hashlib.sha256()
        h.update(f"{self.state_dim},{self.action_dim}".encode())
        h.update(self.packed().tobytes())
        return {"lqr": h.hexdigest()[:16]}


def _symmetric(field: str, value, size: int, definite: bool) -> np.ndarray:
    """A symmetric (size x size) array, positive semidefinite (or definite when ``definite``)."""
    X = finite_array(field, value, ndim=2)
    if X.shape != (size, size):
        raise ValidationError(field, f"must have shape ({size}, {size}), got {X.shape}")
    scale = max(1.0, float(np.max(np.abs(X))))
    asym = float(np.max(np.abs(X - X.T)))
    if asym > SYMMETRY_TOL * scale:
        raise ValidationError(field, f"must be symmetric within {SYMMETRY_TOL:g} (relative), max |X − Xᵀ| = {asym:.3g}")
    X = 0.5 * (X + X.T)
    low = float(np.linalg.eigvalsh(X).min())
    if definite and not low > 0:
        raise ValidationError(field, f"must be positive definite, smallest eigenvalue {low:.6g}")
    if not definite and low < -EIGEN_TOL * max(1.0, float(np.linalg.norm(X, 2))):
        raise ValidationError(field, f"must be positive semidefinite, smallest eigenvalue {low:.6g}")
    return X


def _gain(field: str, value, m: int, n: int) -> np.ndarray:
    K = finite_array(field, value, ndim=2)
    if K.shape != (m, n):
        raise ValidationError(field, f"must have shape ({m}, {n}) (m x n), got {K.shape}")
    return K
