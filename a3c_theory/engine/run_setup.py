"""What every run mode shares before and after its updates: the initial state, the seeds, the option-1
sampling laws, the snapshot grid, the progress bar, and the run metadata (built here, once, for all modes).

Initial state (Algorithm 1): ``θ_0 = 0`` (uniform policy), ``ω_0 = 0``, radius ``R_ω`` from
``algorithm.radius``, or, when it is 0, the theory's ``R_ω = r_max / λ_min(−A_{θ_0})`` (``exact.theory_radius``).
Seeds: ``SeedSequence(run.seed).spawn(3)`` = (sampling, compute times, delays); the sampling stream is
spawned once more into one xoshiro stream per worker, and every worker starts its chains at ``s_0, ŝ_0 ~ η``.

One engine, three kinds of environment: :class:`EnvKernels` holds what differs between finite MDPs
(:func:`finite_kernels`), linear-quadratic problems (``lqr_setup``) and CartPole (``cartpole_setup``, both through
``continuous_setup``): the compiled loops, the pending-update and scratch arrays, the option-1 laws, the
divergence check and the problem's metadata. ``prepare_run`` picks it from the problem; the drivers call only
``setup.kernels``. Every kind gets its seeds and chains from :func:`seeded_setup`.
"""

import sys
import weakref
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .. import __version__, config, divergence
from ..errors import ValidationError
from ..trace import machine_description
from .kernels import (all_finite, initialise_chains, make_hyper, simulated_chunk, simulated_refreshing_chunk,
                      sync_chunk)
from .rng import seed_states
from .small_exact import REFRESH_MAX_STATES, DenseLaws, refresh_dense_laws
from .samplers import SAMPLING_CODES, distribution_cdf, fill_guide, pending_arrays, problem_arrays, scratch_buffer

CHUNK = 1 << 16
"""Most updates per compiled call (bounds schedule buffers; lets the progress bar move)."""


def snapshot_counts(total: int, count: int, step: int = 1) -> np.ndarray:
    """Up to ``count`` distinct global counts from 0 to ``total``, log-spaced (rounded), multiples of
    ``step``, always including 0 and ``total`` (which must be a multiple of ``step``)."""
    units = total // step
    if count >= units + 1:
        grid = np.arange(units + 1, dtype=np.int64)
    else:
        inner = np.rint(np.geomspace(1, units, count - 1)).astype(np.int64)
        grid = np.unique(np.concatenate([[0], inner, [units]]))
    return grid * step


@dataclass
class RunSetup:
    """Everything a mode needs before its first update."""

    problem: object
    arrays: object          # samplers.ProblemArrays
    hyper: object           # kernels.Hyper
    theta: np.ndarray       # θ, updated in place
    w: np.ndarray           # ω, updated in place
    radius: float
    radius_source: str      # "config" or "theory"
    seed: np.random.SeedSequence
    sampling_seed: np.random.SeedSequence
    timing_seed: np.random.SeedSequence
    delay_seed: np.random.SeedSequence
    rng_states: np.ndarray  # uint64[N, 4], one sampling stream per worker
    crit_chain: np.ndarray  # int64[N] (lqr: float64[N, n] states)
    act_chain: np.ndarray   # int64[N] (lqr: float64[N, n] states)
    kernels: "EnvKernels" = None  # the environment kind's loops and helpers (prepare_run sets it)


@dataclass(frozen=True)
class EnvKernels:
    """What the drivers need from one kind of environment.

    ``simulated_chunk``, ``sync_chunk``, ``hogwild_chunk``: the compiled loops (signatures of ``kernels`` and
    ``threads``); ``refreshing_chunk``: ``kernels.simulated_refreshing_chunk``'s kind, for laws that are
    ``compiled`` (None where no laws are); ``pending(arrays, n_slots, zeros)`` -> ``(pend_i, pend_f)`` and
    ``scratch(arrays, zeros)`` -> ``buf`` (``zeros(shape, dtype)`` allocates, e.g. ``threads.private_array``);
    ``laws(setup)``: the option-1 laws object (``refresh()``, ``tv_mu``, ``tv_d``, ``start_from(other)``,
    ``compiled``); ``private_laws(arrays, copy)``: ``arrays`` with its law
    arrays replaced by ``copy(...)`` of them (a thread's own laws); ``diverged(k, theta, w)``: a
    :class:`a3c_theory.divergence.Divergence` or None; ``problem_meta(cfg, setup)``: the problem's entries of
    the run metadata."""

    simulated_chunk: Callable
    sync_chunk: Callable
    hogwild_chunk: Callable
    pending: Callable
    scratch: Callable
    laws: Callable
    private_laws: Callable
    diverged: Callable
    problem_meta: Callable
    refreshing_chunk: Callable | None = None


class Shared:
    """What the runs of a seed batch (``pipeline.run_batch``: one config, many ``run.seed``) build once and
    share: the problem, its fingerprint, its packed arrays, the theory radius at ``θ_0 = 0`` (the same for every
    seed), an ``exact.Evaluator`` (with its ``J*``), the targets' ``J`` (``targets.objective_function``) and
    their values at ``θ_0, ω_0``."""

    def __init__(self, cfg, problem=None):
        from .. import exact
        from ..config import build_problem
        from .targets import objective_function

        self.problem = build_problem(cfg) if problem is None else problem
        self.fingerprint = self.problem.fingerprint()
        self.evaluator = exact.Evaluator(self.problem)
        self.objective = objective_function(self.problem)
        self.target_start = {}  # the online targets' values at θ_0, ω_0 (the same for every seed)
        self._radius = None
        self._arrays = None

    def problem_arrays(self):
        """``samplers.problem_arrays`` of the problem, packed once; each run gets private copies of the arrays
        it writes (the option-1 laws', as a thread does: ``EnvKernels.private_laws``) and shares the rest."""
        if self._arrays is None:
            self._arrays = problem_arrays(self.problem)
        return finite_kernels().private_laws(self._arrays, np.copy)

    def theory_radius(self) -> float:
        from .. import exact

        if self._radius is None:
            self._radius = exact.theory_radius(self.problem, np.zeros(self.problem.policy.dim))
        return self._radius


def prepare_run(cfg, problem=None, shared: Shared | None = None) -> RunSetup:
    """The initial state and the seeds of the module docstring (``shared``: a seed batch's, whose problem
    is then used)."""
    from .. import exact
    from ..config import build_problem
    from ..envs.problem import CartPoleProblem
    from ..lqr.problem import LQRProblem

    if shared is not None:
        problem = shared.problem
    elif problem is None:
        problem = build_problem(cfg)
    else:
        check_problem(cfg, problem)
    if isinstance(problem, LQRProblem):
        from .lqr_setup import prepare_lqr_run

        return prepare_lqr_run(cfg, problem)
    if isinstance(problem, CartPoleProblem):
        from .cartpole_setup import prepare_cartpole_run

        return prepare_cartpole_run(cfg, problem)
    alg = cfg.algorithm
    arrays = shared.problem_arrays() if shared is not None else problem_arrays(problem)
    theta = np.zeros(problem.policy.dim)
    w = np.zeros(problem.critic_dim)
    if alg.radius > 0:
        radius, source = alg.radius, "config"
    else:
        radius = shared.theory_radius() if shared is not None else exact.theory_radius(problem, theta)
        source = "theory"
    hyper = make_hyper(SAMPLING_CODES[alg.sampling], alg.n_step, alg.lam, radius, alg.c_alpha, alg.sigma_alpha,
                       alg.c_beta, alg.sigma_beta)
    return seeded_setup(cfg, problem, arrays, hyper, theta, w, float(radius), source, (), np.int64,
                        lambda rng_states, crit, act: initialise_chains(arrays, rng_states, crit, act),
                        finite_kernels())


def seeded_setup(cfg, problem, arrays, hyper, theta, w, radius: float, radius_source: str, chain_row: tuple,
                 chain_dtype, initialise: Callable, kernels: "EnvKernels") -> RunSetup:
    """The :class:`RunSetup` of every kind of environment from its initial state: the seeds of the module
    docstring (``SeedSequence(run.seed).spawn(3)``, the sampling seed spawned into one xoshiro stream per worker)
    and each worker's two chains, zero arrays of shape ``(N,) + chain_row`` that ``initialise(rng_states,
    crit_chain, act_chain)`` starts at ``η`` from the workers' streams."""
    seed = np.random.SeedSequence(cfg.run.seed)
    sampling_seed, timing_seed, delay_seed = seed.spawn(3)
    n_workers = cfg.run.workers
    rng_states = seed_states(sampling_seed, n_workers)
    crit_chain = np.zeros((n_workers,) + chain_row, chain_dtype)
    act_chain = np.zeros((n_workers,) + chain_row, chain_dtype)
    initialise(rng_states, crit_chain, act_chain)
    return RunSetup(problem, arrays, hyper, theta, w, radius, radius_source, seed, sampling_seed, timing_seed,
                    delay_seed, rng_states, crit_chain, act_chain, kernels)


def check_problem(cfg, problem) -> None:
    """A problem passed to a run must be the one ``cfg.problem`` describes (its trace records ``cfg``): built
    from equal settings, or else equal to ``build_problem(cfg)`` in every array (``Problem.fingerprint``).
    Otherwise a ValidationError naming the keys that differ, before any work."""
    from ..config import build_problem

    settings = getattr(problem, "settings", None)  # (an LQRProblem has none: compared by its arrays)
    if settings is not None and settings == cfg.problem:
        return
    if problem.fingerprint() == build_problem(cfg).fingerprint():
        return
    if settings is None:
        raise ValidationError("problem", "the problem passed to the run is not the one its config describes "
                              "(its arrays differ from build_problem(cfg)); pass the config it was built from")
    diffs = [f"problem.{key} = {getattr(settings, key)!r} (the config's: {value!r})"
             for key, value in vars(cfg.problem).items() if getattr(settings, key) != value]
    raise ValidationError("problem", "the problem passed to the run was built from another config: "
                          + ", ".join(diffs[:3]) + (" ..." if len(diffs) > 3 else ""))


class LawsState:
    """What the option-1 laws of every environment kind share: the laws in use ``mu``, ``d`` (the next
    refresh's warm starts), the drifts recorded at each refresh (``tv_mu``, ``tv_d``), and the names of the
    kernels' arrays that hold what the kernels sample from (``ARRAYS``; threads mode gives each worker
    private copies of them). ``compiled``: whether the kernels can refresh the laws themselves
    (``kernels.simulated_refreshing_chunk``, :attr:`SamplingLaws.state`)."""

    ARRAYS: tuple[str, ...] = ()
    compiled = False

    def __init__(self, setup: RunSetup):
        self.setup = setup
        self.mu = None
        self.d = None
        self.tv_mu: list[float] = []
        self.tv_d: list[float] = []

    def start_from(self, other: "LawsState") -> None:
        """Hold ``other``'s laws (a thread's first refresh then records its drift from them)."""
        self.mu, self.d = other.mu, other.d


class SamplingLaws(LawsState):
    """Option-1 sampling laws ``μ_θ``, ``d_θ`` written into the kernels' CDF arrays; each refresh records the
    total-variation distance ``½‖p_used − p_exact‖₁`` between the laws used since the previous refresh and
    the exact ones now (the bias of reusing them).

    Two paths. Up to ``small_exact.REFRESH_MAX_STATES`` (100) states (:attr:`compiled`) a refresh is one
    compiled call, ``small_exact.refresh_dense_laws`` on :attr:`state` (π_θ by the kernels' softmax, ``P_π``,
    two dense LU solves through SciPy's LAPACK, as ``exact.dense_solve``), made by :meth:`refresh` or by the
    simulated kernels themselves. Its softmax and ``P_π`` round as compiled code does, not as NumPy's calls in
    ``exact.sampling_laws``, so its laws may differ from the exact path's in the last bits
    (``tests/test_engine_small_exact.py`` bounds the difference, and compares the hitting times of the two
    paths' runs in distribution). Larger instances call ``exact.sampling_laws`` (sparse GMRES, warm-started
    at the laws in use)."""

    ARRAYS = ("mu_cdf", "d_cdf", "mu_guide", "d_guide")

    def __init__(self, setup: RunSetup):
        self.setup = setup
        mdp = setup.problem.mdp
        n = mdp.n_states
        inputs = _dense_law_inputs(mdp) if n <= REFRESH_MAX_STATES else (np.zeros((0, 0, 0)), np.zeros(0), 0.0)
        self.state = DenseLaws(*inputs, mu=np.zeros(n), d=np.zeros(n), tv=np.zeros((2, 16)),
                               count=np.zeros(2, np.int64))

    @property
    def compiled(self) -> bool:
        """Whether the refreshes run in compiled code (a small instance)."""
        return self.state.P3.shape[0] > 0

    @property
    def mu(self) -> np.ndarray | None:
        return self.state.mu.copy() if self.state.count[1] else None

    @property
    def d(self) -> np.ndarray | None:
        return self.state.d.copy() if self.state.count[1] else None

    @property
    def tv_mu(self) -> np.ndarray:
        return self.state.tv[0, :self.state.count[0]].copy()

    @property
    def tv_d(self) -> np.ndarray:
        return self.state.tv[1, :self.state.count[0]].copy()

    def start_from(self, other: "SamplingLaws") -> None:
        np.copyto(self.state.mu, other.state.mu)
        np.copyto(self.state.d, other.state.d)
        self.state.count[1] = other.state.count[1]

    def reserve(self, n: int) -> None:
        """Room for ``n`` more drifts in :attr:`state` (before a call that may refresh ``n`` times)."""
        tv, count = self.state.tv, int(self.state.count[0])
        if count + n > tv.shape[1]:
            grown = np.zeros((2, max(2 * tv.shape[1], count + n)))
            grown[:, :count] = tv[:, :count]
            self.state = self.state._replace(tv=grown)

    def refresh(self) -> None:
        """Recompute the laws at the current θ, recording the drift of the laws used since the last refresh."""
        from .. import exact

        problem = self.setup.problem
        if self.compiled and not self.state.count[1]:  # several recurrent classes: no unique μ_θ (field P)
            pi = problem.policy.probabilities(self.setup.theta)
            exact.check_unique_stationary(exact.policy_transition(problem.mdp, pi))
        self.reserve(1)
        state = self.state
        if self.compiled:
            refresh_dense_laws(self.setup.arrays, self.setup.theta, self.state)
            return
        pi = problem.policy.probabilities(self.setup.theta)
        mu, d = exact.sampling_laws(problem.mdp, pi, self.mu, self.d)
        if state.count[1]:
            n = state.count[0]
            state.tv[0, n] = 0.5 * float(np.abs(mu - state.mu).sum())
            state.tv[1, n] = 0.5 * float(np.abs(d - state.d).sum())
            state.count[0] += 1
        np.copyto(state.mu, mu)
        np.copyto(state.d, d)
        state.count[1] = 1
        arrays = self.setup.arrays
        arrays.mu_cdf[:] = distribution_cdf(mu)
        arrays.d_cdf[:] = distribution_cdf(d)
        fill_guide(arrays.mu_cdf, arrays.mu_guide)
        fill_guide(arrays.d_cdf, arrays.d_guide)


_DENSE_LAW_INPUTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _dense_law_inputs(mdp) -> tuple:
    """``(P[s, a, s'] dense, η, γ)`` of a small MDP for the compiled refresh, built once per MDP."""
    inputs = _DENSE_LAW_INPUTS.get(mdp)
    if inputs is None:
        inputs = _DENSE_LAW_INPUTS[mdp] = (np.ascontiguousarray(mdp.dense_P(), np.float64),
                                           np.ascontiguousarray(mdp.eta, np.float64), float(mdp.gamma))
    return inputs


def sampling_law_bias(laws: list[SamplingLaws], refresh: int) -> dict:
    """Mean and max of the recorded total-variation drifts of ``μ`` and ``d`` over every refresh of
    ``laws`` (one object per worker in threads mode, one for the whole run otherwise)."""
    tv_mu = [x for law in laws for x in law.tv_mu]
    tv_d = [x for law in laws for x in law.tv_d]

    def stats(values):
        return (float(np.mean(values)), float(np.max(values))) if values else (0.0, 0.0)

    mu_mean, mu_max = stats(tv_mu)
    d_mean, d_max = stats(tv_d)
    return {"refresh": refresh, "refreshes": len(tv_mu) + 1, "tv_mu_mean": mu_mean, "tv_mu_max": mu_max,
            "tv_d_mean": d_mean, "tv_d_max": d_max}


def progress_bar(total: int, progress):
    """A tqdm bar over ``total`` updates; ``progress`` None shows it when stderr is a terminal, False never
    (then a :class:`_NoBar`: a seed batch's runs skip tqdm's set-up, ~0.1 ms a run)."""
    show = (progress is None or progress) and sys.stderr.isatty()
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="update", unit_scale=True, leave=False, file=sys.stderr)


class _NoBar:
    """A bar that draws nothing: ``update(n)`` counts into ``n``, as tqdm's does."""

    def __init__(self):
        self.n = 0

    def update(self, n: int = 1) -> None:
        self.n += n

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def run_meta(cfg, setup: RunSetup, clock: str, stats: np.ndarray, delay_counts: np.ndarray, laws: list,
             wall_seconds: float, fingerprint: dict | None = None, **extra) -> dict:
    """The metadata of one run, for every mode: versions and machine, seed, clock, radius used, projection
    statistics (``stats`` = [largest ‖ω‖² after a step, active projections]), delay statistics from the
    histogram ``delay_counts`` (``mean_delay``, ``max_delay``), timings, the option-1 sampling-law bias
    (when ``laws`` is non-empty), the problem's ``fingerprint`` (computed when not given), then the mode's
    own ``extra`` keys (which may refine ``max_delay``)."""
    alg = cfg.algorithm
    delays = np.arange(delay_counts.size)
    meta = {
        "package_version": __version__,
        "seed": cfg.run.seed,
        "machine": machine_description(),
        "clock": clock,
        "radius": setup.radius,
        "radius_source": setup.radius_source,
        "max_critic_norm": float(np.sqrt(stats[0])),
        "projections": int(stats[1]),
        "transitions_per_update": 1 if alg.sampling == "shared" else 2 * alg.n_step,
        "max_delay": int(delay_counts.size - 1),
        "mean_delay": float(np.dot(delays, delay_counts) / max(int(delay_counts.sum()), 1)),
        "wall_seconds": wall_seconds,
    }
    if laws:
        meta["sampling_law_bias"] = sampling_law_bias(laws, alg.refresh)
    meta["problem_fingerprint"] = setup.problem.fingerprint() if fingerprint is None else fingerprint
    meta.update(setup.kernels.problem_meta(cfg, setup))
    meta.update(extra)
    return meta


def _finite_problem_meta(cfg, setup: RunSetup) -> dict:
    """A finite MDP's metadata: the stationary accuracy at the final θ, ignored keys, critic features used."""
    meta = {}
    if np.all(np.isfinite(setup.theta)):  # (not after a divergence)
        meta["stationary_accuracy"] = _stationary_accuracy(setup)
    meta["ignored_keys"] = " ".join(config.ignored_keys(cfg))
    features = config.supplied_keys_of(cfg.problem).get("problem.critic_features", cfg.problem.critic_features)
    meta["critic_features_used"] = f"{features} (d = {setup.problem.critic_dim})"
    return meta


def finite_kernels() -> EnvKernels:
    """The :class:`EnvKernels` of finite MDPs (the thread loop is imported here: ``threads`` imports this
    module)."""
    from .threads import hogwild_chunk

    return EnvKernels(
        simulated_chunk=simulated_chunk, sync_chunk=sync_chunk, hogwild_chunk=hogwild_chunk,
        pending=lambda arrays, n_slots, zeros=np.zeros: pending_arrays(n_slots, int(arrays.n_actions), zeros),
        scratch=lambda arrays, zeros=np.zeros: scratch_buffer(int(arrays.n_actions), zeros),
        laws=SamplingLaws,
        private_laws=lambda arrays, copy: arrays._replace(**{name: copy(getattr(arrays, name))
                                                             for name in SamplingLaws.ARRAYS}),
        diverged=lambda k, theta, w: None if all_finite(theta, w) else divergence.first_non_finite(k, theta=theta, w=w),
        problem_meta=_finite_problem_meta, refreshing_chunk=simulated_refreshing_chunk,
    )


def _stationary_accuracy(setup: RunSetup) -> dict:
    """``exact.stationary_accuracy`` of μ_θ at the final θ (residual, condition, forward-error estimate)."""
    from .. import exact

    problem = setup.problem
    accuracy = exact.stationary_accuracy(problem.mdp, problem.policy.probabilities(setup.theta))
    return {key: value for key, value in accuracy.items() if key != "method"}
