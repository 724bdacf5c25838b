"""A CartPole run's setup: the engine's :class:`.run_setup.EnvKernels` for ``problem.kind = "cartpole"``.

Initial state: ``θ_0 = 0`` (the uniform policy), ``ω_0 = 0``, radius ``algorithm.radius`` (required: the theory's
``r_max / λ_min(−A_θ0)`` needs ``A_θ``, which is unknown here). Seeds as for finite runs:
``SeedSequence(run.seed).spawn(3)`` = (sampling, compute times, delays), the sampling stream spawned into one
xoshiro stream per worker; every worker starts its chains from η (:mod:`.cartpole_samplers`). TD(0),
Markovian sampling (``markov`` or ``shared``; i.i.d. sampling is refused by the config: μ_θ and d_θ are
unknown), no KL prior. A run whose θ or ω stops being finite ends "diverged at k" as every run does. The loops
and the rest of the setup are those of :mod:`.continuous_setup`, on :mod:`.cartpole_samplers`.
"""

import numpy as np

from .. import config, divergence
from ..errors import ValidationError
from . import cartpole_samplers
from .cartpole_samplers import CHAIN_WIDTH, cartpole_arrays, pending_width, scratch_size
from .continuous_setup import continuous_env_kernels, prepare_continuous_run
from .run_setup import EnvKernels, RunSetup


def prepare_cartpole_run(cfg, problem) -> RunSetup:
    """The setup of the module docstring (``problem`` is the config's :class:`CartPoleProblem`)."""
    return prepare_continuous_run(cfg, problem, cartpole_samplers, cartpole_arrays(problem),
                                  np.zeros(problem.actor_dim), np.zeros(problem.critic_dim), 0.0, CHAIN_WIDTH,
                                  cartpole_env_kernels(problem))


def _no_laws(setup):
    raise ValidationError("algorithm.sampling", "cartpole runs have no i.i.d. sampling laws (μ_θ, d_θ unknown)")


def cartpole_env_kernels(problem) -> EnvKernels:
    """The :class:`EnvKernels` of ``problem``."""
    m = problem.n_features
    return continuous_env_kernels(
        cartpole_samplers, pending_width(m), scratch_size(m), laws=_no_laws, private_laws=lambda arrays, copy: arrays,
        diverged=lambda k, theta, w: divergence.first_non_finite(k, theta=theta, w=w), problem_meta=_problem_meta)


def _problem_meta(cfg, setup: RunSetup) -> dict:
    problem = setup.problem
    return {
        "ignored_keys": " ".join(config.ignored_keys(cfg)),
        "critic_features_used": f"Fourier basis of order {problem.order} over the scaled state (d = {problem.n_features})",
        "policy": (f"softmax on phi(s) x e_a (2 x {problem.n_features} weights, theta flat row-major), theta_0 = 0"),
        "terminal_rule": "terminal transition: TD target = reward (V = 0 beyond it), chain restarts from eta; "
                         "truncation at 500 steps bootstraps, then restarts",
        "exact_metrics": "none: CartPole has no exact J, gradient or TD fixed point; the metric table holds Monte "
                         "Carlo returns of the snapshots' policies",
    }
