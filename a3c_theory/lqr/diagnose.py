"""Diagnostics of a linear-quadratic instance at its initial gain K0 (``a3c-theory diagnose`` for lqr).

- ``J0 = J(K0)``, ``J_star = J*`` (discounted Riccati, fixed σ);
- ``rho_K0 = ρ(A − BK0)`` (< 1 by validation) and ``rho_K_star = ρ(A − BK*)``. K* is only guaranteed
  ``√γ ρ < 1``: with ``rho_K_star ≥ 1`` the critic chain at K* has no stationary law μ_{K*}, and a run that
  approaches K* leaves the set where i.i.d. critic sampling and the TD fixed point exist;
- ``cond_Sigma_K0``: the 2-norm condition number of Σ_{K0} (μ_{K0} = N(0, Σ_{K0})); the quadratic features'
  second moments scale with its square, so a large value means a badly conditioned A_K;
- ``max_eig_sym_A = λ_max((A_{K0} + A_{K0}ᵀ)/2)`` of the TD(0) matrix (the theory needs it < 0);
- ``w_star_norm = ‖w*_{K0}‖₂`` against ``radius`` (``algorithm.radius``, required for lqr: r_max = ∞);
  ``radius_binds`` when ``‖w*_{K0}‖₂ ≥ BIND_FRACTION · radius`` (as for finite instances);
- ``eps_app = E_μ[(φᵀw*_{K0} − V_{K0})²]`` (zero up to rounding: V_K is in the span of φ).
"""

import math
import time
from dataclasses import dataclass

import numpy as np

from ..errors import ValidationError
from ..instances.diagnose import BIND_FRACTION, _fmt, format_eps_app, json_ready
from . import critic, exact
from .evaluator import LQREvaluator
from .problem import LQRProblem, spectral_radius


@dataclass(frozen=True)
class LQRDiagnostics:
    """The numbers of the module docstring; :meth:`to_dict` gives the JSON form (non-finite → None)."""

    J0: float
    J_star: float
    rho_K0: float
    rho_K_star: float
    cond_Sigma_K0: float
    max_eig_sym_A: float
    w_star_norm: float
    radius: float
    radius_binds: bool
    eps_app: float
    state_dim: int
    action_dim: int
    feature_dim: int
    gamma: float
    sigma: float
    seconds: float

    def to_dict(self) -> dict:
        return json_ready(self)


def diagnose_lqr(problem: LQRProblem, radius: float) -> LQRDiagnostics:
    """Diagnostics at K0 with the projection radius ``radius`` (> 0) a run would use."""
    if not (isinstance(radius, (int, float)) and radius > 0 and math.isfinite(radius)):
        raise ValidationError("algorithm.radius", f"lqr needs a finite radius > 0, got {radius!r}")
    start = time.perf_counter()
    K0 = problem.K0
    ev = LQREvaluator(problem)
    w_star = critic.td_fixed_point(problem, K0)
    row = ev.metrics(K0, w_star)
    A_K, _ = critic.td_matrices(problem, K0)
    w_norm = float(np.linalg.norm(w_star))
    return LQRDiagnostics(
        J0=row["J"], J_star=ev.J_star, rho_K0=spectral_radius(problem.closed_loop(K0)),
        rho_K_star=spectral_radius(problem.closed_loop(ev.K_star)),
        cond_Sigma_K0=float(np.linalg.cond(exact.stationary_covariance(problem, K0))),
        max_eig_sym_A=float(np.linalg.eigvalsh(0.5 * (A_K + A_K.T)).max()), w_star_norm=w_norm,
        radius=float(radius), radius_binds=bool(w_norm >= BIND_FRACTION * radius), eps_app=row["eps_app"],
        state_dim=problem.state_dim, action_dim=problem.action_dim,
        feature_dim=critic.feature_dim(problem.state_dim), gamma=problem.gamma, sigma=problem.sigma,
        seconds=time.perf_counter() - start)


def lqr_summary_line(d: LQRDiagnostics) -> str:
    """The one-line form (a sweep's instance line): the spectral radii at K0 and K*, cond(Σ_K0) and ‖w*‖
    against the radius."""
    return (f"linear-quadratic, rho(A - B K0) {d.rho_K0:.3g}, rho(A - B K*) {d.rho_K_star:.3g}, "
            f"cond(Sigma_K0) {d.cond_Sigma_K0:.3g}, ||w*_K0|| {d.w_star_norm:.3g} vs radius {d.radius:.3g}")


def format_lqr_report(d: LQRDiagnostics) -> str:
    """The human-readable report: one line per number, with what it means."""
    star_note = ("(>= 1: no stationary law mu_K*; only sqrt(gamma) rho < 1 holds)" if d.rho_K_star >= 1
                 else "(< 1: mu_K* exists)")
    return "\n".join([
        f"instance: linear-quadratic, state dim {d.state_dim}, action dim {d.action_dim}, critic feature "
        f"dimension {d.feature_dim}, gamma {_fmt(d.gamma)}, sigma {_fmt(d.sigma)}",
        f"J(K0)                      {_fmt(d.J0)}",
        f"J*                         {_fmt(d.J_star)}",
        f"rho(A - B K0)              {_fmt(d.rho_K0)}   (< 1: mu_K0 exists)",
        f"rho(A - B K*)              {_fmt(d.rho_K_star)}   {star_note}",
        f"cond(Sigma_K0)             {_fmt(d.cond_Sigma_K0)}   (mu_K0 = N(0, Sigma_K0))",
        f"eps_app                    {format_eps_app(d.eps_app)}   (V_K is in the span of the quadratic features)",
        f"max eig sym(A)             {_fmt(d.max_eig_sym_A)}   (the theory needs < 0)",
        f"radius used                {_fmt(d.radius)}   (||w*_K0|| = {_fmt(d.w_star_norm)}, "
        f"projection may bind: {_fmt(d.radius_binds)})",
        f"({d.seconds:.2f} s)",
    ])
