"""A linear-quadratic run's setup: the engine's :class:`.run_setup.EnvKernels` for ``problem.kind = "lqr"``.

Initial state: ``θ_0 = K0`` (flattened row-major; the file's or the family's initial gain), ``ω_0 = 0``, radius
``algorithm.radius`` (required: r_max = ∞, no theory default). Seeds as for finite runs; every worker starts
its chains at ``x_0, x̂_0 ~ η``. TD(0) only (``algorithm.n_step = 1``). The loops and the rest of the setup are
those of :mod:`.continuous_setup`, on :mod:`.lqr_samplers`.

Option-1 laws (:class:`LQRSamplingLaws`): every ``algorithm.refresh`` (= M) updates the runner rewrites
``Σ_K^{1/2}`` (``μ_K = N(0, Σ_K)``, a Lyapunov solve) and the gain ``K_law`` that the compiled d_K sampler
simulates, from the current K, as it rewrites the finite CDFs. The bias of reusing them is reported as for
finite runs (``meta["sampling_law_bias"]``), with upper bounds on the total-variation distances: for zero-mean
Gaussians ``TV ≤ √(1 − BC²)``, ``BC = det(S₁)^{1/4} det(S₂)^{1/4} / det((S₁ + S₂)/2)^{1/2}`` (the Bhattacharyya
coefficient); for d_K, the mixture over the geometric time ``t`` of the bounds at ``C_t`` (joint convexity),
to the first ``t`` with ``γ^{t+1} ≤`` :data:`TAIL`, plus that tail mass.

Instability: after every chunk (and in threads mode before each worker's chunk) the drivers call
``diverged``: a non-finite K or ω, else a gain with ``ρ(A − BK) ≥ 1`` (one n × n eigenvalue solve), ends the
run with the outcome "diverged at k" and quantity ``divergence.UNSTABLE_GAIN``. No safeguard (projection of
K, score clipping) is applied.
"""

import math

import numpy as np

from .. import config, divergence
from ..errors import ValidationError
from ..lqr import critic, exact
from ..lqr.problem import spectral_radius
from . import lqr_samplers
from .continuous_setup import continuous_env_kernels, prepare_continuous_run
from .lqr_samplers import lqr_arrays, pending_width, scratch_size
from .run_setup import EnvKernels, LawsState, RunSetup

TAIL = 1e-4
"""Geometric tail mass after which the d_K bound stops summing (and adds the mass)."""

SAMPLING_LAW_TV = ("upper bounds: mu_K from the Bhattacharyya coefficient of the two Gaussians; d_K mixed "
                   f"over the geometric time, summed until gamma^(t+1) <= {TAIL:g}, plus that tail")


def prepare_lqr_run(cfg, problem) -> RunSetup:
    """The setup of the module docstring (``problem`` is the config's :class:`LQRProblem`)."""
    alg = cfg.algorithm
    if alg.n_step != 1:
        raise ValidationError("algorithm.n_step", f"lqr runs are TD(0): must be 1, got {alg.n_step}")
    theta = problem.K0.ravel().copy()
    w = np.zeros(critic.feature_dim(problem.state_dim))
    return prepare_continuous_run(cfg, problem, lqr_samplers, lqr_arrays(problem), theta, w, alg.lam,
                                  problem.state_dim, lqr_env_kernels(problem))


def lqr_env_kernels(problem) -> EnvKernels:
    """The :class:`EnvKernels` of ``problem`` (its divergence check needs A and B)."""
    n, m = problem.state_dim, problem.action_dim

    def diverged(k, theta, w):
        found = divergence.first_non_finite(k, theta=theta, w=w)
        if found is None and not spectral_radius(problem.closed_loop(np.reshape(theta, (m, n)))) < 1:
            found = divergence.Divergence(int(k), divergence.UNSTABLE_GAIN)
        return found

    return continuous_env_kernels(
        lqr_samplers, pending_width(n, m), scratch_size(n, m), laws=LQRSamplingLaws,
        private_laws=lambda arrays, copy: arrays._replace(mu_sqrt=copy(arrays.mu_sqrt), K_law=copy(arrays.K_law)),
        diverged=diverged, problem_meta=_problem_meta)


def _problem_meta(cfg, setup: RunSetup) -> dict:
    problem = setup.problem
    meta = {
        "ignored_keys": " ".join(config.ignored_keys(cfg)),
        "critic_features_used": f"quadratic [svec(x x^T); 1] (d = {setup.w.size})",
        "policy": f"Gaussian N(-K x, sigma^2 I), sigma = {problem.sigma:g}; theta = K row-major, theta_0 = K0",
        "prior": "closed-form gradient of R(K) = -tr((K - K_p) Sigma0 (K - K_p)^T)/(2 sigma^2) at the read K",
        "safeguards": "none: a gain with rho(A - BK) >= 1 ends the run (diverged, unstable_gain)",
        "rho_K0": spectral_radius(problem.closed_loop(problem.K0)),
    }
    if cfg.algorithm.sampling == "iid":
        meta["sampling_law_tv"] = SAMPLING_LAW_TV
    return meta


def gaussian_tv_bound(S1: np.ndarray, S2: np.ndarray) -> np.ndarray:
    """``√(1 − BC²) ≥ TV(N(0, S1), N(0, S2))`` (module docstring), elementwise over stacked (…, n, n) arrays;
    1 where a determinant vanishes and the matrices differ."""
    sign1, log1 = np.linalg.slogdet(S1)
    sign2, log2 = np.linalg.slogdet(S2)
    sign_m, log_m = np.linalg.slogdet(0.5 * (S1 + S2))
    with np.errstate(invalid="ignore"):
        bc = np.exp(0.25 * (log1 + log2) - 0.5 * log_m)
        bound = np.sqrt(np.clip(1.0 - bc * bc, 0.0, 1.0))
    regular = (sign1 > 0) & (sign2 > 0) & (sign_m > 0)
    same = np.all(S1 == S2, axis=(-2, -1))
    return np.where(regular, bound, np.where(same, 0.0, 1.0))


def visitation_tv_bound(problem, K1: np.ndarray, S1: np.ndarray, K2: np.ndarray, S2: np.ndarray) -> float:
    """An upper bound on ``TV(d_{K1}, d_{K2})`` (module docstring) from the stationary covariances ``S_i = Σ_{K_i}``:
    ``C_t = Σ_K + L^t (Σ_0 − Σ_K) L^tᵀ`` (``C_t − Σ_K`` obeys ``X ↦ LXLᵀ``), with ``L^t`` of both gains stacked."""
    g = problem.gamma
    t_max = max(0, math.ceil(math.log(TAIL) / math.log(g)) - 1)
    L = np.stack([problem.closed_loop(K1), problem.closed_loop(K2)])
    S = np.stack([S1, S2])
    D = problem.Sigma0 - S
    powers = np.empty((t_max + 1,) + L.shape)
    powers[0] = np.eye(problem.state_dim)
    for t in range(t_max):
        powers[t + 1] = L @ powers[t]
    C = S + powers @ D @ np.swapaxes(powers, -1, -2)
    weights = (1 - g) * g ** np.arange(t_max + 1)
    return float(min(1.0, weights @ gaussian_tv_bound(C[:, 0], C[:, 1]) + g ** (t_max + 1)))


class LQRSamplingLaws(LawsState):
    """Option-1 laws of a linear-quadratic run written into the kernels' arrays (``mu_sqrt``, ``K_law``); the
    interface of ``run_setup.SamplingLaws`` (``mu``: the Σ_K in use, ``d``: the gain in use)."""

    ARRAYS = ("mu_sqrt", "K_law")

    def refresh(self) -> None:
        """Laws at the current K; kept as they are when K no longer stabilises (a Hogwild refresh can see it
        before the divergence check ends the run)."""
        problem = self.setup.problem
        K = np.array(self.setup.theta, dtype=np.float64).reshape(problem.action_dim, problem.state_dim)
        if not (np.all(np.isfinite(K)) and spectral_radius(problem.closed_loop(K)) < 1):
            return
        Sigma = exact.stationary_covariance(problem, K)
        if self.mu is not None:
            self.tv_mu.append(float(gaussian_tv_bound(self.mu, Sigma)))
            self.tv_d.append(visitation_tv_bound(problem, self.d, self.mu, K, Sigma))
        self.mu, self.d = Sigma, K
        self.setup.arrays.mu_sqrt[:] = exact.psd_sqrt(Sigma)
        self.setup.arrays.K_law[:] = K.ravel()
