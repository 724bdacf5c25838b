"""Run configuration: TOML sections ``[problem]``, ``[algorithm]``, ``[run]``, validated before any work.

Each key is defined once, as a field of :class:`ProblemSettings`, :class:`AlgorithmSettings` or
:class:`RunSettings` made by :func:`key`: its default, its allowed values, its one-line description and
the settings under which it is used. :data:`KEYS`, :data:`SCHEMA`, :data:`DESCRIPTIONS`, :data:`USED_BY`,
``a3c-theory config --list`` and the README's key table (:func:`key_table_markdown`) are all derived from
those fields. Unknown sections or keys and out-of-range values raise
:class:`a3c_theory.errors.ValidationError` naming ``"section.key"``.

Overrides (``--set`` on the command line, ``overrides=`` here) are ``"section.key=value"`` strings, read by
:func:`a3c_theory.overrides.parse_value` (the one rule that ``--grid`` uses too).

Defaults that depend on the instance (recorded in :attr:`Config.notes`, which ``run``, ``diagnose`` and
``sweep`` print and a run's trace keeps as ``meta["config_notes"]``):
- ``problem.feature_dim`` left out, with random critic features, on an instance of fewer than 10 states:
  ``min(10, n_states)`` (the number of states from ``problem.n_states``, or for a ``file`` instance from the
  shapes of its ``P`` or ``eta`` headers; every supported gymnasium environment keeps at least 10 states).
  A ``feature_dim`` that is given and exceeds the number of states stays an error.

Notes on a few keys:
- ``problem.reward`` (paper instance): ``"state_action"`` draws ``r(s, a) ~ U(0, 1)``, ``"transition"``
  draws ``r(s, a, s') ~ U(0, 1)`` (see ``mdp.paper_mdp`` for why the first is the default).
- ``problem.seed`` seeds the instance (MDP, features); ``run.seed`` seeds the run (sampling streams, delays).
- ``problem.critic_features = "one_hot"`` uses ``φ(s) = e_s`` (d = nS; ``feature_dim`` is then ignored).
- ``problem.locality = 0`` draws garnet successors anywhere; ``> 0`` from the ring ``s ± locality``.
- Instance kinds (``a3c_theory.instances``): ``trap_chain`` (length ``n_states``, ``slip``, ``restart``,
  ``small_reward``, ``large_reward``; two actions), ``sparse_garnet`` (``branching``, ``locality``,
  ``reward_fraction``, ``distractor``), ``drift_ring`` (the same plus ``drift``; ``locality`` >= 1 is the ring
  width), ``gymnasium`` (``env``, ``map_name``; γ from ``problem.gamma``) and ``file`` (``path``, an .npz file;
  its own ``gamma`` and, if present, ``phi``). For ``gymnasium`` and ``file`` the numbers of states and
  actions come from the environment or the file. A relative ``problem.path`` in a TOML file is taken
  relative to that file (one given with ``--set`` relative to the current directory).
- ``lqr`` (``a3c_theory.lqr``): a linear-quadratic problem with Gaussian policy N(−Kx, σ²I), from ``path`` (an
  .npz file with its own ``gamma`` and ``sigma``) or, with ``path`` empty, a seeded random instance
  (``state_dim``, ``action_dim``, ``spectral_radius`` of A, ``noise_scale``, ``sigma``, ``gamma``). Its rewards
  are unbounded, so ``algorithm.radius`` must be given (> 0). Runs start at ``K0`` (``a3c_theory.engine.lqr_setup``).
- ``cartpole`` (``a3c_theory.envs``): gymnasium CartPole-v1 with a Fourier-basis critic and softmax actor of
  order ``fourier_order``, discount ``gamma``; Markovian sampling only (``markov`` or ``shared``: μ_θ and d_θ are
  unknown), TD(0), no KL prior, ``algorithm.radius`` > 0 required. No exact J exists: its metric table holds
  Monte Carlo returns (``eval_episodes`` per snapshot, running average over ``return_window`` snapshots;
  ``a3c_theory.engine.cartpole_setup``).
- ``algorithm.radius = 0`` means the theory default ``R_ω = r_max / λ_min(−A_θ0)`` at ``θ0 = 0``.
- ``algorithm.refresh = M``: with i.i.d. sampling, ``μ_θ`` and ``d_θ`` are recomputed every M updates
  (M = 1 is exact sampling); ``algorithm.n_step > 1`` needs Markovian sampling.
- ``algorithm.a2c_step_sizes`` (used by ``run.mode = "sync"`` only): ``"per_round"`` applies the average of
  a round's N updates with ``α_k, β_k`` at its first count ``k = rN`` (the A2C convention; it moves N times
  less per sample than A3C); ``"per_sample"`` applies their sum, update ``i`` with ``α_{rN+i}, β_{rN+i}``
  (the averaged update with α and β scaled by N: per sample, the step sizes A3C uses). With one worker both
  are A3C (``engine/kernels.py``).
- Default step sizes ``α_k = 30 (1+k)^{-0.6}``, ``β_k = 0.3 (1+k)^{-0.4}`` (σ_α = 3/5, σ_β = 2/5 from the paper's
  theorems). On ``paper_problem`` (100 states, d = 10, r(s, a) ~ U(0, 1)), N = 1, i.i.d. sampling, refresh 200,
  200k updates (samples), seeds 0–2, the final/initial J* − J ratio was 0.58–0.63 for c_α = 3, 0.20–0.25 for
  c_α = 10 and 0.17–0.19 for c_α = 30, with the critic gap at 2–6 % of its start. On an instance whose greedy
  action is a trap, c_α = 30 can make the first updates nearly deterministic: ``a3c-theory diagnose`` warns.
"""

import codecs
import math
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ValidationError
from .instances.toy_text import ENVIRONMENTS
from .overrides import parse_assignment, parse_value


# ----------------------------------------------------------------------------- key definitions
@dataclass(frozen=True)
class Range:
    """Numbers from ``low`` to ``high``; an open end excludes its bound. Printed ``[1, 4096]``, ``(0, inf)``."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def __str__(self) -> str:
        return f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"

    def holds(self, value) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


class Names(tuple):
    """The names a string key accepts, listed in its table row but checked where the key is used (only for
    the kinds that read it): ``problem.env`` by ``instances.toy_text.check_env``."""


def key(default, allowed, description: str, used_by: dict[str, tuple] | None = None):
    """One config key, defined once, as a settings field: ``default``; ``allowed``, a :class:`Range` (an
    ``int`` or ``float`` field), a tuple of choices, :class:`Names` or None (any string); a one-line
    ``description``; ``used_by``: ``{setting: values}`` when the key is used only where every listed setting
    holds one of its values (see :data:`USED_BY`), None when every run uses it."""
    return field(default=default, metadata={"allowed": allowed, "description": description,
                                            "used_by": dict(used_by or {})})


@dataclass(frozen=True)
class Key:
    """What :func:`key` defines, with its section: ``kind`` is ``"int"``, ``"float"``, ``"floats"`` (a list of
    distinct numbers, each in ``allowed``), ``"choice"`` or ``"str"``."""

    section: str
    key: str
    default: Any
    kind: str
    allowed: Range | tuple | None
    description: str
    used_by: dict

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"

    @property
    def allowed_text(self) -> str:
        """The allowed values as text: ``[1, 4096]``, ``iid, markov, shared``, ``any string``."""
        if self.kind == "floats":
            return f"list of distinct numbers in {self.allowed}"
        if isinstance(self.allowed, tuple):
            return ", ".join(self.allowed)
        return "any string" if self.allowed is None else str(self.allowed)

    def check(self, value):
        """``value`` as this key's type, or a ValidationError naming ``section.key``."""
        name = self.name
        if self.kind == "floats":  # a list of distinct numbers, each in self.allowed
            if not isinstance(value, (list, tuple)):
                raise ValidationError(name, f"must be a list of numbers, got {value!r}")
            values = tuple(replace(self, kind="float").check(item) for item in value)
            if len(set(values)) != len(values):
                raise ValidationError(name, f"must not repeat a value, got {list(values)}")
            return values
        if self.kind == "str":
            if not isinstance(value, str):
                raise ValidationError(name, f"must be a string, got {value!r}")
            return value
        if self.kind == "choice":
            if not isinstance(value, str) or value not in self.allowed:
                raise ValidationError(name, f"must be one of {', '.join(map(repr, self.allowed))}, got {value!r}")
            return value
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValidationError(name, f"must be an integer, got {value!r}")
            value = int(value)
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise ValidationError(name, f"must be a number, got {value!r}")
            value = float(value)
            if math.isnan(value):
                raise ValidationError(name, "must be a number, got NaN")
        if not self.allowed.holds(value):
            raise ValidationError(name, f"must lie in {self.allowed}, got {value!r}")
        return value


FINITE_KINDS = ("paper", "garnet", "trap_chain", "sparse_garnet", "drift_ring", "gymnasium", "file")
GENERATED_KINDS = ("paper", "garnet", "trap_chain", "sparse_garnet", "drift_ring")
"""Problem kinds with a finite MDP; those of them generated from the config (sized by ``n_states``)."""
GARNET_KINDS = ("garnet", "sparse_garnet", "drift_ring")
SEEDS = Range(0, 2**63 - 1)

PAPER_MAX_STATES = 2000
"""The paper instance is dense (nS·nA·nS transition entries); larger instances should use ``garnet``."""

ONE_HOT_MAX_STATES = 5000
"""One-hot critic features are a dense nS × nS matrix."""

DEFAULT_FEATURE_DIM = 10
"""``problem.feature_dim`` when left out, on an instance of at least this many states (else ``n_states``)."""


@dataclass(frozen=True)
class ProblemSettings:
    """``[problem]``: the instance (MDP, critic features, actor)."""

    kind: str = key("paper", FINITE_KINDS + ("lqr", "cartpole"),
                    "the instance: paper (dense U(0,1) rows), a garnet, a trap chain, gymnasium toy-text, an .npz file "
                    "(a3c_theory.instances), a linear-quadratic problem (lqr, a3c_theory.lqr) or CartPole-v1 "
                    "(cartpole, a3c_theory.envs)")
    reward: str = key("state_action", ("state_action", "transition"),
                      "paper instance rewards: r(s, a) ~ U(0,1) (state_action) or r(s, a, s') ~ U(0,1) (transition)",
                      {"problem.kind": ("paper",)})
    seed: int = key(0, SEEDS, "seed of the instance (MDP, critic and actor features)")
    n_states: int = key(100, Range(2, 10_000_000),
                        "number of states nS (gymnasium and file instances take theirs from the source)",
                        {"problem.kind": GENERATED_KINDS})
    n_actions: int = key(5, Range(1, 64),
                         "number of actions nA (trap_chain has 2; gymnasium and file take theirs from the source)",
                         {"problem.kind": ("paper", "garnet", "sparse_garnet", "drift_ring")})
    gamma: float = key(0.9, Range(0.0, 1.0, True, True),
                       "discount factor γ (a file instance, finite or lqr, uses its own)",
                       {"problem.kind": GENERATED_KINDS + ("gymnasium", "lqr", "cartpole")})
    feature_dim: int = key(DEFAULT_FEATURE_DIM, Range(1, 100_000),
                           "critic feature dimension d of φ(s), ‖φ(s)‖₂ ≤ 1 (ignored for one_hot); left out: "
                           "min(10, n_states), stated in the run's notes",
                           {"problem.critic_features": ("random",)})
    critic_features: str = key("random", ("random", "one_hot"),
                               "critic features Φ: random U(0,1) rows scaled to ‖φ‖ ≤ 1, or one_hot φ(s) = e_s")
    branching: int = key(10, Range(1, 100_000), "garnets: distinct successor states per (s, a)",
                         {"problem.kind": GARNET_KINDS})
    locality: int = key(0, Range(0, 10_000_000),
                        "garnets: 0 draws successors anywhere, L > 0 from the ring s ± L (slow mixing)",
                        {"problem.kind": GARNET_KINDS})
    actor: str = key("tabular", ("tabular", "linear"),
                     "softmax actor: tabular θ ∈ R^{nS×nA} (the paper's) or linear θ·f(s, a)")
    actor_dim: int = key(20, Range(1, 100_000), "linear actor: feature dimension of f(s, a)",
                         {"problem.actor": ("linear",)})
    slip: float = key(0.1, Range(0.0, 1.0), "trap_chain: probability that a move goes the other way",
                      {"problem.kind": ("trap_chain",)})
    restart: float = key(0.05, Range(0.0, 1.0), "trap_chain: probability that the next state is drawn from η instead",
                         {"problem.kind": ("trap_chain",)})
    small_reward: float = key(0.1, Range(-1e6, 1e6), "trap_chain: immediate reward of the LEFT (trap) action",
                              {"problem.kind": ("trap_chain",)})
    large_reward: float = key(1.0, Range(-1e6, 1e6), "trap_chain: reward of every step at the right end",
                              {"problem.kind": ("trap_chain",)})
    reward_fraction: float = key(0.05, Range(0.0, 1.0, True, False),
                                 "sparse_garnet, drift_ring: fraction of states in the goal set G (reward 1 on entry)",
                                 {"problem.kind": ("sparse_garnet", "drift_ring")})
    distractor: float = key(0.0, Range(0.0, 1e6),
                            "sparse_garnet, drift_ring: weight of an immediate U(0,1) reward unrelated to G",
                            {"problem.kind": ("sparse_garnet", "drift_ring")})
    drift: int = key(1, Range(0, 10_000_000), "drift_ring: successors of s lie around s + drift",
                     {"problem.kind": ("drift_ring",)})
    env: str = key("FrozenLake-v1", Names(ENVIRONMENTS), "gymnasium: toy-text environment id",
                   {"problem.kind": ("gymnasium",)})
    map_name: str = key("", None, "gymnasium: map of the environment (empty: its default)",
                        {"problem.kind": ("gymnasium",)})
    path: str = key("", None, "file: .npz file holding the MDP; lqr: .npz file holding A, B, Q, R, W, Sigma0, K0, "
                    "gamma, sigma (empty: a random instance); relative to the TOML file",
                    {"problem.kind": ("file", "lqr")})
    max_load_bytes: int = key(0, Range(0, 2**63 - 1),
                              "file: largest total of declared array sizes to load, checked from the .npy headers "
                              "before anything is read (0 = a quarter of the available memory)",
                              {"problem.kind": ("file",)})
    state_dim: int = key(3, Range(1, 50), "lqr random instance: state dimension n (A_K is d x d, d = n(n+1)/2 + 1)",
                         {"problem.kind": ("lqr",)})
    action_dim: int = key(2, Range(1, 50), "lqr random instance: action dimension m", {"problem.kind": ("lqr",)})
    spectral_radius: float = key(0.9, Range(0.0, 1.0, False, True),
                                 "lqr random instance: spectral radius of A (< 1, so K0 = 0 stabilises)",
                                 {"problem.kind": ("lqr",)})
    noise_scale: float = key(0.1, Range(0.0, 1e6), "lqr random instance: W = noise_scale² I",
                             {"problem.kind": ("lqr",)})
    sigma: float = key(0.5, Range(0.0, 1e6, True, False),
                       "lqr random instance: standard deviation σ of the Gaussian policy N(−Kx, σ²I)",
                       {"problem.kind": ("lqr",)})
    fourier_order: int = key(1, Range(0, 8),
                             "cartpole: order n of the Fourier basis over the scaled state ((n+1)^4 features, "
                             "‖φ‖ ≤ 1; a3c_theory.envs.fourier)", {"problem.kind": ("cartpole",)})
    eval_episodes: int = key(100, Range(2, 100_000),
                             "cartpole: compiled evaluation episodes per snapshot (mean undiscounted return, "
                             "95% t-interval)", {"problem.kind": ("cartpole",)})
    return_window: int = key(5, Range(1, 100_000),
                             "cartpole: m of the running-average test reward (mean return of the last m snapshots)",
                             {"problem.kind": ("cartpole",)})


@dataclass(frozen=True)
class AlgorithmSettings:
    """``[algorithm]``: sampling, regularisation, projection and step sizes."""

    sampling: str = key("iid", ("iid", "markov", "shared"),
                        "iid (option 1: s ~ μ_θ, ŝ ~ d_θ), markov (option 2: two chains) or shared (one transition "
                        "of γP + (1−γ)η for both, ICLR 2021)")
    refresh: int = key(200, Range(1, 2**62), "iid sampling: μ_θ and d_θ recomputed every M updates (M = 1 is exact)",
                       {"algorithm.sampling": ("iid",)})
    n_step: int = key(1, Range(1, 1000), "n of the n-step TD error (1 is A3C-TD(0); > 1 needs markov sampling)")
    lam: float = key(0.0, Range(0.0, 1e6),
                     "weight λ of the KL regulariser R(θ) in J_λ = J + λR; at most 1e6 (a generous round bound: "
                     "0 ≥ R(θ) ≥ −(2 max‖θᵀf‖ + log nA) and ‖∇R‖ ≤ 2 max‖f‖, so λR, λ∇R and J_λ stay finite "
                     "for any θ below ~1e300)")
    radius: float = key(0.0, Range(0.0, math.inf, False, True),
                        "critic projection radius R_ω of Π_R(ω) = ω·min(1, R/‖ω‖); 0 = r_max/λ_min(−A_θ0)")
    c_alpha: float = key(30.0, Range(0.0, 1e6, True, False),
                         "actor step size constant: α_k = c_α/(1+k)^σ_α; at most 1e6 (a generous round bound: "
                         "α_k ≤ c_α and K ≤ 1e13, so ‖θ_K‖ ≤ 1e19·G, G the largest step direction, finite for "
                         "rewards and R_ω below ~1e280; a run that still overflows ends 'diverged at k')")
    sigma_alpha: float = key(0.6, Range(0.0, 1.0), "actor step size exponent σ_α (theory: 3/5)")
    c_beta: float = key(0.3, Range(0.0, 1e6, True, False),
                        "critic step size constant: β_k = c_β/(1+k)^σ_β; at most 1e6 (the bound of c_α; ω "
                        "itself is projected onto the ball of radius R_ω)")
    sigma_beta: float = key(0.4, Range(0.0, 1.0), "critic step size exponent σ_β (theory: 2/5)")
    a2c_step_sizes: str = key("per_round", ("per_round", "per_sample"),
                              "sync mode: per_round (average of N updates at α_rN) or per_sample (their sum, "
                              "update i at α_{rN+i})", {"run.mode": ("sync",)})


@dataclass(frozen=True)
class RunSettings:
    """``[run]``: execution mode, workers, delays, horizon, snapshots and seed."""

    mode: str = key("simulated", ("simulated", "threads", "sync"),
                    "simulated (exact delay simulator), threads (Hogwild threads, real delays) or sync (A2C rounds)")
    workers: int = key(1, Range(1, 4096), "number of workers N")
    delay: str = key("none", ("none", "constant", "uniform", "round_robin", "exponential", "lognormal", "straggler"),
                     "delay model τ_k (none, constant, uniform, round_robin) or random compute times (exponential, "
                     "lognormal, straggler; the only ones sync mode takes)")
    tau: int = key(0, Range(0, 1_000_000), "constant delay τ", {"run.delay": ("constant",)})
    max_delay: int = key(0, Range(0, 1_000_000), "uniform delay: τ_k uniform on {0, …, max_delay}",
                         {"run.delay": ("uniform",)})
    lognormal_sigma: float = key(1.0, Range(0.0, 10.0, True, False), "lognormal compute times: σ of T = exp(σZ − σ²/2)",
                                 {"run.delay": ("lognormal",)})
    straggler_prob: float = key(0.1, Range(0.0, 1.0), "straggler compute times: probability that an update is slow",
                                {"run.delay": ("straggler",)})
    straggler_slowdown: float = key(10.0, Range(1.0, 1e6),
                                    "straggler compute times: compute time of a slow update (others take 1)",
                                    {"run.delay": ("straggler",)})
    samples: int = key(200_000, Range(1, 10**13), "updates K (one critic and one actor sample each), over all workers")
    snapshots: int = key(40, Range(2, 100_000), "number of (θ, ω) snapshots kept, log-spaced over 0..K")
    batch: int = key(1, Range(1, 1_000_000), "threads mode: updates each worker draws before writing them together")
    seed: int = key(0, SEEDS, "seed of the run (sampling streams, delays, compute times)")


@dataclass(frozen=True)
class TargetSettings:
    """``[targets]``: online hitting times (``a3c_theory.engine.targets``; simulated and sync modes locate a hit
    on copies taken at the fine grid of its bracket, threads mode checks copies taken on a dense grid after the
    run: ``engine.threads``)."""

    gap: tuple = key((), Range(0.0, 1.0, True, False),
                     "fractions f of the gap J* − J(θ_0) to close: hit at the first k with J(θ_k) ≥ J(θ_0) + "
                     "f(J* − J(θ_0)) (a3c_theory.engine.targets)")
    avg_grad: tuple = key((), Range(0.0, 1e6, True, False),
                          "levels e of the running average (1/k)Σ‖∇J(θ_i)‖² (trapezoid rule on the check grid), "
                          "as fractions of ‖∇J(θ_0)‖²: hit at the first k with average ≤ e‖∇J(θ_0)‖²")
    critic_gap: tuple = key((), Range(0.0, 1e6, True, False),
                            "levels e of the critic gap ‖ω_k − ω*_θk‖ as fractions of its value at k = 0")
    check_ratio: float = key(1.2, Range(1.0, 2.0, True, False),
                             "targets: ratio of the geometric grid of cheap checks (the bracket a hit is refined "
                             "in; threads mode checks at every step of the fine grid instead)")
    resolution: float = key(0.01, Range(0.0, 0.01, True, False),
                            "targets: step of the fine grid a bracket is searched on, as a fraction of the count "
                            "(hit_resolution; one update, or one round in sync mode, at least)")
    after_last: str = key("stop", ("stop", "continue"),
                          "targets: stop once every target is reached, or continue to run.samples (threads "
                          "mode: must be 'continue')")

    @property
    def any(self) -> bool:
        """Whether the run has a target."""
        return bool(self.gap or self.avg_grad or self.critic_gap)


SECTIONS = {"problem": ProblemSettings, "algorithm": AlgorithmSettings, "run": RunSettings,
            "targets": TargetSettings}
"""The config's sections, in order, and the settings class each is validated into."""

_KINDS = {int: "int", float: "float", tuple: "floats"}


def _key_of(section: str, f) -> Key:
    allowed = f.metadata["allowed"]
    kind = _KINDS.get(f.type) or ("choice" if isinstance(allowed, tuple) and not isinstance(allowed, Names) else "str")
    return Key(section, f.name, f.default, kind, allowed, f.metadata["description"], f.metadata["used_by"])


KEYS: tuple[Key, ...] = tuple(_key_of(section, f) for section, cls in SECTIONS.items() for f in fields(cls))
"""Every config key, in section and definition order."""

SCHEMA: dict[str, dict[str, Key]] = {section: {k.key: k for k in KEYS if k.section == section} for section in SECTIONS}
"""``SCHEMA[section][key]``: the :class:`Key` (sweep grids check their keys against this nesting)."""

DESCRIPTIONS: dict[str, str] = {k.name: k.description for k in KEYS}
"""One line per ``"section.key"``, shown by ``a3c-theory config --list`` and in the README."""

USED_BY: dict[str, dict[str, tuple[str, ...]]] = {k.name: k.used_by for k in KEYS if k.used_by}
"""Keys that only some settings use: ``key -> {setting: values of that setting under which key is used}``
(every listed setting must hold one of its values). A key not listed is used by every run."""


def key_table() -> list[tuple[str, Any, str, str]]:
    """``(section.key, default, allowed values, description)`` for every key of :data:`KEYS`, in order."""
    return [(k.name, k.default, k.allowed_text, k.description) for k in KEYS]


def key_table_markdown() -> str:
    """:func:`key_table` as a markdown table (the README's key table is this text)."""
    lines = ["| key | default | allowed | description |", "|---|---|---|---|"]
    for name, default, allowed, description in key_table():
        lines.append(f"| `{name}` | `{default!r}` | {allowed} | {description} |")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Config:
    """A validated run configuration; ``cfg.problem.n_states``, ``cfg.run.workers``, … ``notes``: one line per
    default that :func:`from_dict` resolved from the instance (module docstring); not part of :meth:`to_dict`
    or of equality, since the resolved value itself is."""

    problem: ProblemSettings
    algorithm: AlgorithmSettings
    run: RunSettings
    targets: TargetSettings
    notes: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict:
        """The full nested dict of resolved values (every key of :data:`SCHEMA`, in its order; tuples as
        lists). The values are numbers, strings, booleans, None and tuples of floats (``Key.check``): nothing
        to deep-copy."""
        def plain(value):
            return list(value) if isinstance(value, tuple) else value

        return {section: {name: plain(getattr(getattr(self, section), name)) for name in SCHEMA[section]}
                for section in SECTIONS}


# ----------------------------------------------------------------------------- parsing
def from_dict(d: dict) -> Config:
    """Validate a nested dict ``{"problem": {...}, "algorithm": {...}, "run": {...}}`` (missing sections or
    keys take their defaults, :func:`_with_instance_defaults` those that depend on the instance) and return the
    :class:`Config`."""
    if not isinstance(d, dict):
        raise ValidationError("config", f"must be a table of sections, got {type(d).__name__}")
    for section in d:
        if section not in SCHEMA:
            raise ValidationError(str(section), f"unknown section; expected one of {', '.join(SCHEMA)}")
    values = {}
    for section, keys in SCHEMA.items():
        given = d.get(section, {})
        if not isinstance(given, dict):
            raise ValidationError(section, f"must be a table of keys, got {given!r}")
        for name in given:
            if name not in keys:
                raise ValidationError(f"{section}.{name}", f"unknown key; {section} keys are {', '.join(keys)}")
        values[section] = {name: k.check(given.get(name, k.default)) for name, k in keys.items()}
    cfg = Config(**{section: cls(**values[section]) for section, cls in SECTIONS.items()})
    cfg = _with_instance_defaults(cfg, given=d.get("problem", {}))
    _check_consistency(cfg)
    return cfg


def _with_instance_defaults(cfg: Config, given: dict) -> Config:
    """``cfg`` with the defaults that depend on the instance resolved (module docstring), one note each."""
    p = cfg.problem
    if "feature_dim" in given or p.critic_features != "random" or p.kind in ("lqr", "cartpole"):
        return cfg
    n_states, where = known_states(p)
    if n_states is None or n_states >= DEFAULT_FEATURE_DIM:
        return cfg
    note = (f"problem.feature_dim = {n_states}: the default {DEFAULT_FEATURE_DIM} exceeds the {n_states} states of "
            f"{where}, so min({DEFAULT_FEATURE_DIM}, n_states) is used (set problem.feature_dim to choose)")
    return replace(cfg, problem=replace(p, feature_dim=n_states), notes=cfg.notes + (note,))


def known_states(p: ProblemSettings) -> tuple[int | None, str]:
    """The number of states before the instance is built, and where it comes from: ``problem.n_states``, or
    for a ``file`` the shape of its ``P`` or ``eta`` header. None for a gymnasium environment, for a file that
    cannot be read yet (loading it reports why) and for a file that holds its own critic features ``phi``."""
    if p.kind not in SIZED_BY_SOURCE:
        return p.n_states, "this instance"
    if p.kind != "file" or not p.path:
        return None, ""
    from .instances.file_mdp import read_headers

    try:
        headers = read_headers(p.path)
    except ValidationError:
        return None, ""
    shapes = [headers[name][0] for name, ndim in (("P", 3), ("eta", 1))
              if name in headers and len(headers[name][0]) == ndim]
    if "phi" in headers or not shapes:
        return None, ""
    return int(shapes[0][0]), p.path


def _check_memory(p: ProblemSettings) -> None:
    """Refuse a problem whose estimated memory (``resources.problem_bytes``) exceeds what is available."""
    from . import resources

    need, have = resources.problem_bytes(p), resources.available_memory()
    if have is not None and need > have:
        raise ValidationError("problem.n_states", f"this problem needs about {resources.describe_bytes(need)} of "
                              f"memory, this machine has {resources.describe_bytes(have)} available; reduce "
                              f"n_states ({p.n_states}), n_actions, branching or the feature sizes")


def _check_consistency(cfg: Config) -> None:
    """Constraints that involve several keys."""
    p, a, r = cfg.problem, cfg.algorithm, cfg.run
    if p.kind == "lqr":
        _check_lqr(cfg)
    if p.kind == "cartpole":
        _check_cartpole(cfg)
        return
    if p.kind == "paper" and p.n_states > PAPER_MAX_STATES:
        raise ValidationError("problem.n_states", f"the paper instance is dense: must be <= {PAPER_MAX_STATES} "
                              f"(use problem.kind = \"garnet\" for more), got {p.n_states}")
    if p.kind in SIZED_BY_SOURCE:
        _check_source(p)
    elif p.critic_features == "one_hot" and p.n_states > ONE_HOT_MAX_STATES:
        raise ValidationError("problem.critic_features", f"one_hot features are a dense nS x nS matrix: need "
                              f"n_states <= {ONE_HOT_MAX_STATES}, got {p.n_states}")
    if p.critic_features == "random":
        n_states, where = known_states(p)
        if n_states is not None and p.feature_dim > n_states:
            of = "" if p.kind not in SIZED_BY_SOURCE else f", the states of {where}"
            raise ValidationError("problem.feature_dim", f"must be <= n_states ({n_states}{of}) for full-rank "
                                  f"features, got {p.feature_dim}")
    if p.kind in ("garnet", "sparse_garnet", "drift_ring"):
        if p.branching > p.n_states:
            raise ValidationError("problem.branching", f"must be <= n_states ({p.n_states}), got {p.branching}")
        if p.locality and (p.locality > p.n_states or 2 * p.locality + 1 < p.branching):
            raise ValidationError("problem.locality", f"must be 0 or satisfy 2*locality+1 >= branching "
                                  f"({p.branching}) and locality <= n_states, got {p.locality}")
    if p.kind == "drift_ring" and p.locality == 0:
        raise ValidationError("problem.locality", "drift_ring needs a ring width: must be >= 1, got 0")
    if a.n_step > 1 and a.sampling != "markov":
        raise ValidationError("algorithm.n_step", f"n-step returns need sampling = \"markov\", got n_step = "
                              f"{a.n_step} with sampling = {a.sampling!r}")
    if r.mode == "sync":
        if r.delay not in ("none", "exponential", "lognormal", "straggler"):
            raise ValidationError("run.delay", "sync mode takes a compute-time model: 'none', 'exponential', "
                                  f"'lognormal' or 'straggler', got {r.delay!r}")
        if r.samples % r.workers:
            raise ValidationError("run.samples", f"sync mode applies N = {r.workers} updates per round: must be a "
                                  f"multiple of run.workers, got {r.samples}")
    if r.mode == "threads" and r.delay != "none":
        raise ValidationError("run.delay", f"threads mode has real delays: must be 'none', got {r.delay!r}")
    if cfg.targets.any and r.mode == "threads" and cfg.targets.after_last != "continue":
        raise ValidationError("targets.after_last", "threads mode evaluates its targets after the run (off the "
                              "clock), so it cannot stop at the last one: must be 'continue', got "
                              f"{cfg.targets.after_last!r}")
    if r.batch != 1 and r.mode != "threads":
        raise ValidationError("run.batch", f"only the threads mode batches updates: must be 1 in {r.mode} mode, "
                              f"got {r.batch}")
    if p.kind not in SIZED_BY_SOURCE + ("lqr",):
        _check_memory(p)


def _check_lqr(cfg: Config) -> None:
    """An lqr run has r_max = ∞, so the theory's default radius r_max/λ does not exist: ``algorithm.radius``
    must be given (``a3c-theory diagnose`` reports ‖w*_{K0}‖ to choose it against)."""
    if cfg.algorithm.radius <= 0:
        raise ValidationError("algorithm.radius", "kind = \"lqr\" has unbounded rewards (r_max = ∞), so there "
                              "is no default radius: must be > 0 (compare with ‖w*_{K0}‖ from diagnose)")
    if cfg.targets.any:
        raise ValidationError("targets", "online hitting times are evaluated on finite MDPs only: an lqr run's "
                              "hitting times are read from its snapshots (leave [targets] empty)")


def _check_cartpole(cfg: Config) -> None:
    """A CartPole run (``a3c_theory.engine.cartpole_setup``): Markovian sampling (μ_θ and d_θ are unknown, so
    there is nothing to draw i.i.d. samples from), TD(0), no KL prior, a given radius (no theory default:
    λ_min(−A_θ) is unknown), and the mode rules of every run."""
    a, r = cfg.algorithm, cfg.run
    if a.sampling == "iid":
        raise ValidationError("algorithm.sampling", "kind = \"cartpole\" has no known stationary law μ_θ or "
                              "visitation d_θ to draw i.i.d. samples from: must be 'markov' or 'shared', got 'iid'")
    if a.n_step != 1:
        raise ValidationError("algorithm.n_step", f"cartpole runs are TD(0): must be 1, got {a.n_step}")
    if a.lam != 0:
        raise ValidationError("algorithm.lam", f"cartpole runs have no KL prior: must be 0, got {a.lam!r}")
    if a.radius <= 0:
        raise ValidationError("algorithm.radius", "kind = \"cartpole\" has no theory radius (λ_min(−A_θ0) is "
                              "unknown): must be > 0")
    if cfg.targets.any:
        raise ValidationError("targets", "online hitting times need an exact J: a cartpole run has none (its "
                              "return is a Monte Carlo estimate at the snapshots; leave [targets] empty)")
    if r.mode == "sync" and r.samples % r.workers:
        raise ValidationError("run.samples", f"sync mode applies N = {r.workers} updates per round: must be a "
                              f"multiple of run.workers, got {r.samples}")
    if r.mode == "sync" and r.delay not in ("none", "exponential", "lognormal", "straggler"):
        raise ValidationError("run.delay", "sync mode takes a compute-time model: 'none', 'exponential', "
                              f"'lognormal' or 'straggler', got {r.delay!r}")
    if r.mode == "threads" and r.delay != "none":
        raise ValidationError("run.delay", f"threads mode has real delays: must be 'none', got {r.delay!r}")
    if r.batch != 1 and r.mode != "threads":
        raise ValidationError("run.batch", f"only the threads mode batches updates: must be 1 in {r.mode} mode, "
                              f"got {r.batch}")
    if cfg.problem.return_window > r.snapshots:
        raise ValidationError("problem.return_window", f"must be <= run.snapshots ({r.snapshots}), got "
                              f"{cfg.problem.return_window}")


SIZED_BY_SOURCE = ("gymnasium", "file")
"""Problem kinds whose numbers of states and actions come from the environment or the file."""


def _check_source(p: ProblemSettings) -> None:
    """``problem.env``/``map_name`` (gymnasium) or ``problem.path`` (file), before anything is loaded."""
    if p.kind == "gymnasium":
        from .instances.toy_text import check_env

        check_env(p.env, p.map_name)
    elif not p.path:
        raise ValidationError("problem.path", "kind = \"file\" needs the path of an .npz file")


def _setting(cfg: Config, name: str):
    section, key = name.split(".")
    return getattr(getattr(cfg, section), key)


SUPPLIED_BY_FILE = {"phi": ("problem.critic_features", "problem.feature_dim")}
"""Keys whose value a ``kind = "file"`` instance takes from its own array instead: array -> keys (the file's
``gamma``, numbers of states and actions are in :data:`USED_BY`)."""


def supplied_keys_of(p: ProblemSettings) -> dict[str, str]:
    """``{key: "<path> [array]"}`` for the keys of :data:`SUPPLIED_BY_FILE` whose array the file holds (read
    from its headers, :func:`a3c_theory.instances.file_mdp.read_headers`); empty for other kinds."""
    if p.kind != "file" or not p.path:
        return {}
    from .instances.file_mdp import read_headers

    arrays = read_headers(p.path)
    return {key: f"{p.path} [{array}]" for array, keys in SUPPLIED_BY_FILE.items() if array in arrays for key in keys}


def _is_set(cfg: Config, name: str) -> bool:
    section, key = name.split(".")
    return _setting(cfg, name) != SCHEMA[section][key].default


_REPLACEABLE = tuple(name for names in SUPPLIED_BY_FILE.values() for name in names)
_MAYBE_UNUSED = tuple((k.name, k, tuple((*setting.split("."), values) for setting, values in k.used_by.items()))
                      for k in KEYS if k.used_by or k.name in _REPLACEABLE)
"""The keys :func:`ignored_keys` can report, in :data:`KEYS` order: ``(name, Key, ((section, key, values), …))``
with the settings of :data:`USED_BY` split."""


def ignored_keys(cfg: Config) -> list[str]:
    """The keys of ``cfg`` set to a non-default value that its settings do not use (:data:`USED_BY`) or
    that its file replaces (:func:`supplied_keys_of`, which reads the file's headers only when such a key is set)."""
    supplied = supplied_keys_of(cfg.problem) if any(_is_set(cfg, name) for name in _REPLACEABLE) else {}
    return [name for name, k, conditions in _MAYBE_UNUSED
            if getattr(getattr(cfg, k.section), k.key) != k.default
            and (name in supplied or any(getattr(getattr(cfg, section), key) not in values
                                         for section, key, values in conditions))]


def deciding_settings(cfg: Config, name: str) -> tuple[str, ...]:
    """The settings that make ``cfg`` ignore key ``name``: ``problem.path`` when the file's array replaces it
    (:func:`supplied_keys_of`), else those of :data:`USED_BY`."""
    replaceable = name in (key for keys in SUPPLIED_BY_FILE.values() for key in keys)
    if replaceable and name in supplied_keys_of(cfg.problem):
        return ("problem.path",)
    return tuple(USED_BY[name])


def used_by(name: str) -> str:
    """``"run.delay = 'constant'"``: the settings under which key ``name`` is used, in words."""
    return " and ".join(f"{setting} = {' or '.join(map(repr, values))}" for setting, values in USED_BY[name].items())


def refuse_ignored_keys(cfg: Config) -> None:
    """For a single run: a key set to a non-default value that the run does not use is a ValidationError
    naming the key and the settings that use it (or the file array that replaces it)."""
    ignored = ignored_keys(cfg)
    if ignored:
        name = ignored[0]
        supplied = supplied_keys_of(cfg.problem)
        why = (f"{supplied[name]} replaces it" if name in supplied else f"it is used only with {used_by(name)}")
        raise ValidationError(name, f"is set but not used by this run; {why}"
                              + (f" (also unused: {', '.join(ignored[1:])})" if ignored[1:] else ""))


def parse_override(text: str) -> tuple[str, str, Any]:
    """``"section.key=value"`` -> ``(section, key, value)``, the value read by
    :func:`a3c_theory.overrides.parse_value`; the key must be one of :data:`SCHEMA`."""
    name, raw = parse_assignment(text, "SECTION.KEY=VALUE")
    if name.count(".") != 1:
        raise ValidationError(name, "override must name section.key")
    section, key = name.split(".")
    if section not in SCHEMA:
        raise ValidationError(name, f"unknown section; expected one of {', '.join(SCHEMA)}")
    if key not in SCHEMA[section]:
        raise ValidationError(name, f"unknown key; {section} keys are {', '.join(SCHEMA[section])}")
    return section, key, parse_value(name, raw)


def apply_overrides(d: dict, overrides) -> dict:
    """A copy of the nested dict ``d`` with the overrides applied."""
    for section, values in d.items():
        if not isinstance(values, dict):
            raise ValidationError(str(section), f"must be a table of keys ([{section}]), got {values!r}")
    out = {section: dict(values) for section, values in d.items()}
    for text in overrides or ():
        section, key, value = parse_override(text)
        out.setdefault(section, {})[key] = value
    return out


def read_toml(path: Path, field: str) -> dict:
    """The table of the TOML file at ``path``; a leading UTF-8 byte-order mark is dropped. Anything but a
    regular file (a folder, a FIFO, a device) is refused before it is opened; errors name ``field``.
    A missing file raises FileNotFoundError."""
    if path.exists() and not path.is_file():
        raise ValidationError(field, "is a folder, expected a TOML config file" if path.is_dir() else
                              "is not a regular file (a FIFO, device or socket), expected a TOML config file")
    data = path.read_bytes()
    try:
        text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValidationError(field, f"not UTF-8 text (byte {err.start}): TOML files must be UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValidationError(field, f"not valid TOML: {err}") from None


def from_toml(path, overrides=None) -> Config:
    """Read a TOML file, apply ``overrides`` (list of ``"section.key=value"``) and validate."""
    path = Path(path)
    d = read_toml(path, str(path))
    problem = d.get("problem")
    if isinstance(problem, dict) and isinstance(problem.get("path"), str) and problem["path"]:
        # a relative problem.path is relative to the config file (an override's is relative to the cwd)
        problem["path"] = str((path.parent / problem["path"]).resolve())
    return from_dict(apply_overrides(d, overrides))


# ----------------------------------------------------------------------------- problem
def build_problem(cfg: Config):
    """The :class:`a3c_theory.problem.Problem` described by ``cfg.problem`` (for ``kind = "lqr"`` the
    :class:`a3c_theory.lqr.problem.LQRProblem`: from ``problem.path`` if given, else
    ``lqr.families.random_lqr(SeedSequence(problem.seed), state_dim, action_dim, spectral_radius,
    noise_scale, gamma, sigma)``).

    Seeds: ``SeedSequence(problem.seed).spawn(3)`` gives the MDP, critic-feature and actor-feature streams
    (the first two as in ``problem.paper_problem``, which this reproduces on the default keys)."""
    from . import features as feats
    from . import mdp as mdps
    from . import policy as pol
    from .problem import Problem

    p = cfg.problem
    if p.kind == "lqr":
        return _build_lqr(p)
    if p.kind == "cartpole":
        from .envs.problem import CartPoleProblem

        return CartPoleProblem.make(p.fourier_order, p.gamma, p.eval_episodes, p.return_window, settings=p)
    mdp_seed, feature_seed, actor_seed = np.random.SeedSequence(p.seed).spawn(3)
    Phi = None
    if p.kind == "paper":
        mdp = mdps.paper_mdp(mdp_seed, p.n_states, p.n_actions, p.gamma, reward=p.reward)
    elif p.kind == "garnet":
        mdp = mdps.garnet(mdp_seed, p.n_states, p.n_actions, p.branching, p.gamma,
                          locality=p.locality if p.locality > 0 else None)
    else:
        mdp, Phi = _build_instance(p, mdp_seed)
    n_states, n_actions = mdp.n_states, mdp.n_actions
    features = f"{p.path} [phi]" if Phi is not None else f"critic_features = {p.critic_features!r}"
    if Phi is None:  # (a file may hold its own critic features)
        Phi = (feats.one_hot(n_states) if p.critic_features == "one_hot"
               else feats.random_features(feature_seed, n_states, p.feature_dim))
    if p.actor == "tabular":
        policy = pol.tabular(n_states, n_actions)
    else:
        policy = pol.linear(feats.random_actor_features(actor_seed, n_states, n_actions, p.actor_dim))
    from .exact import check_unique_stationary, policy_transition

    # Softmax policies put mass on every action, so P_π has the support of the uniform policy's: one
    # check covers every θ.
    uniform = np.full((n_states, n_actions), 1.0 / n_actions)
    recurrent = check_unique_stationary(policy_transition(mdp, uniform, "sparse"), field="problem")
    if recurrent is not None:
        _check_recurrent_features(p, Phi, features, recurrent)
    return Problem.make(mdp, Phi, policy, settings=p)


def _check_recurrent_features(p: ProblemSettings, Phi: np.ndarray, features: str, recurrent: np.ndarray) -> None:
    """Every ``μ_θ`` vanishes off the recurrent class, so ``A_θ = Φᵀ D_μ (γP_π − I) Φ`` is singular (ω*_θ
    undefined, for every θ) unless the rows of Φ on the recurrent states have full column rank."""
    rank = int(np.linalg.matrix_rank(Phi[recurrent]))
    d = Phi.shape[1]
    if rank == d:
        return
    where = (f"state {recurrent[0]} is absorbing" if recurrent.size == 1 else
             f"only {recurrent.size} states are recurrent ({', '.join(map(str, recurrent[:5]))}"
             f"{', …' if recurrent.size > 5 else ''})")
    raise ValidationError(p.path if p.kind == "file" else "problem.critic_features",
                          f"{where}: every other state is transient (μ_θ puts no mass on it for any θ), and the "
                          f"features ({features}, d = {d}) have rank {rank} on the recurrent states, so A_θ is "
                          f"singular; use features of full rank there (d <= {rank})")


def _build_lqr(p: ProblemSettings):
    from .lqr.families import random_lqr
    from .lqr.file_lqr import load_lqr

    if p.path:
        return load_lqr(p.path)
    return random_lqr(np.random.SeedSequence(p.seed), p.state_dim, p.action_dim, p.spectral_radius,
                      p.noise_scale, p.gamma, p.sigma)


def _build_instance(p: ProblemSettings, mdp_seed):
    """``(mdp, critic features or None)`` for the kinds of :mod:`a3c_theory.instances`."""
    from .instances import file_mdp, garnets, toy_text, trap_chain

    if p.kind == "trap_chain":
        return trap_chain.trap_chain(p.n_states, p.slip, p.restart, p.small_reward, p.large_reward, p.gamma), None
    if p.kind == "sparse_garnet":
        return garnets.sparse_garnet(mdp_seed, p.n_states, p.n_actions, p.branching, p.reward_fraction,
                                     p.distractor, p.gamma, locality=p.locality or None), None
    if p.kind == "drift_ring":
        return garnets.drift_ring(mdp_seed, p.n_states, p.n_actions, p.branching, p.locality, p.drift,
                                  p.reward_fraction, p.distractor, p.gamma), None
    if p.kind == "gymnasium":
        return toy_text.toy_text(p.env, p.map_name or None, p.gamma).mdp, None
    loaded = file_mdp.load_npz(p.path, p.max_load_bytes)
    return loaded.mdp, loaded.critic_features
