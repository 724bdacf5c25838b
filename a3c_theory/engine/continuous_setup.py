"""What the setups of the environments beyond finite MDPs share (:mod:`.lqr_setup`, :mod:`.cartpole_setup`):
their :class:`.run_setup.EnvKernels` around the loops that :func:`.continuous_kernels.loops` builds from the
environment's sampler module, and their :class:`.run_setup.RunSetup`.

Both are TD(0) (``n_step = 1``) with the radius ``algorithm.radius`` given in the config (source ``"config"``:
the finite default ``r_max / λ_min(−A_θ0)`` does not exist there), float64 chain rows of the environment's
state, seeded as every run (``run_setup.seeded_setup``); every worker's chains start from η by the sampler
module's ``init_chains``. A pending update is one float64 row (``pend_i`` a one-column int64 dummy kept for the
loops' common signature), the scratch one float64 vector.
"""

from typing import Callable

import numpy as np

from .continuous_kernels import loops
from .kernels import make_hyper
from .run_setup import EnvKernels, RunSetup, seeded_setup
from .samplers import SAMPLING_CODES


def continuous_env_kernels(samplers, pending_width: int, scratch_size: int, laws: Callable,
                           private_laws: Callable, diverged: Callable, problem_meta: Callable) -> EnvKernels:
    """The :class:`EnvKernels` of an environment whose sampler module is ``samplers``, pending rows of
    ``pending_width`` and scratch of ``scratch_size`` entries; the other fields as :class:`EnvKernels` says."""
    built = loops(samplers)
    return EnvKernels(
        simulated_chunk=built.simulated_chunk, sync_chunk=built.sync_chunk, hogwild_chunk=built.hogwild_chunk,
        pending=lambda arrays, n_slots, zeros=np.zeros: (zeros((n_slots, 1), np.int64),
                                                         zeros((n_slots, pending_width), np.float64)),
        scratch=lambda arrays, zeros=np.zeros: zeros((scratch_size,), np.float64),
        laws=laws, private_laws=private_laws, diverged=diverged, problem_meta=problem_meta,
    )


def prepare_continuous_run(cfg, problem, samplers, arrays, theta: np.ndarray, w: np.ndarray, lam: float,
                           chain_width: int, kernels: EnvKernels) -> RunSetup:
    """The :class:`RunSetup` of the module docstring: initial ``θ_0 = theta``, ``ω_0 = w``, KL weight ``lam``,
    chains of ``chain_width`` floats a worker started by ``samplers.init_chains``."""
    alg = cfg.algorithm
    hyper = make_hyper(SAMPLING_CODES[alg.sampling], 1, lam, alg.radius, alg.c_alpha, alg.sigma_alpha,
                       alg.c_beta, alg.sigma_beta)
    start = loops(samplers).initialise_chains

    def initialise(rng_states, crit_chain, act_chain):
        start(arrays, rng_states, crit_chain, act_chain, kernels.scratch(arrays))

    return seeded_setup(cfg, problem, arrays, hyper, theta, w, float(alg.radius), "config", (chain_width,),
                        np.float64, initialise, kernels)
