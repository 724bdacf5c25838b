"""Per-snapshot metrics of a linear-quadratic run, with the keys of :meth:`a3c_theory.exact.Evaluator.metrics`
so that the metric table has the finite-MDP columns (``a3c_theory.evaluate.COLUMNS``).

At ``(θ = K, ω)``: ``J``, ``R`` (the KL prior), ``J_lambda`` = J + λR, ``J_star``, ``gap`` = J* − J (clipped at 0
against rounding), ``grad_norm_sq`` = ‖∇J‖²_F, ``grad_lambda_norm_sq`` = ‖∇J + λ∇R‖²_F, ``critic_gap`` =
``‖ω − w*_K‖₂`` and ``eps_app`` = ``E_μ[(φᵀw*_K − V_K)²] = δᵀE_μ[φφᵀ]δ`` with ``δ = w*_K − [−svec P_K; −b_K]``
(zero up to rounding: V_K is in the span of φ).

Outside the stabilising sets the quantities do not exist, and the row says so with IEEE values rather than
an error: with ``√γ ρ(A − BK) ≥ 1``, J = J_lambda = −inf, gap = +inf and the gradients are NaN; with
``ρ(A − BK) ≥ 1`` (μ_K does not exist) ``critic_gap`` and ``eps_app`` are NaN.
"""

import math

import numpy as np

from ..errors import ValidationError
from ..validate import finite_array, nonnegative_float
from . import critic, exact
from .problem import LQRProblem, spectral_radius


class LQREvaluator:
    """Exact metrics on one problem; ``K*`` and ``J*`` are computed once."""

    def __init__(self, problem: LQRProblem):
        self.problem = problem
        self.K_star, self.J_star = exact.optimal_gain(problem)

    def metrics(self, theta, w, lam: float = 0.0) -> dict:
        """The scalars of the module docstring; ``theta`` is K (m × n, or flattened row-major)."""
        p = self.problem
        if np.size(theta) != p.action_dim * p.state_dim:
            raise ValidationError("theta", f"must have {p.action_dim * p.state_dim} entries (m x n), got {np.size(theta)}")
        K = finite_array("theta", theta).reshape(p.action_dim, p.state_dim)
        w = finite_array("w", w, ndim=1)
        if w.shape != (critic.feature_dim(p.state_dim),):
            raise ValidationError("w", f"must have shape ({critic.feature_dim(p.state_dim)},), got {w.shape}")
        lam = nonnegative_float("lam", lam)
        rho = spectral_radius(p.closed_loop(K))
        R = exact.prior(p, K)
        out = {"R": R, "J_star": self.J_star}
        if not math.sqrt(p.gamma) * rho < 1:
            return out | {"J": -math.inf, "J_lambda": -math.inf, "gap": math.inf, "grad_norm_sq": math.nan,
                          "grad_lambda_norm_sq": math.nan, "critic_gap": math.nan, "eps_app": math.nan}
        P = exact.value_matrix(p, K)
        J = exact.objective_from(p, P)
        grad = exact.gradient(p, K)
        grad_lam = grad + lam * exact.prior_gradient(p, K) if lam else grad
        out |= {"J": J, "J_lambda": J + lam * R, "gap": max(self.J_star - J, 0.0),
                "grad_norm_sq": float(np.sum(grad ** 2)), "grad_lambda_norm_sq": float(np.sum(grad_lam ** 2))}
        if not rho < 1:
            return out | {"critic_gap": math.nan, "eps_app": math.nan}
        w_star = critic.td_fixed_point(p, K)
        delta = w_star - np.concatenate([-critic.svec(P), [-exact.value_offset(p, P)]])
        second = critic.feature_second_moment(exact.stationary_covariance(p, K))
        return out | {"critic_gap": float(np.linalg.norm(w - w_star)), "eps_app": float(delta @ second @ delta)}
