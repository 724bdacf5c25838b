"""Run configuration: TOML sections ``[problem]``, ``[algorithm]``, ``[run]``, validated before any work.

Every key, its default and its allowed values are listed in :data:`SCHEMA`. Unknown sections or keys and
out-of-range values raise :class:`a3c_theory.errors.ValidationError` naming ``"section.key"``.

Overrides (``--set`` on the command line, ``overrides=`` here) are ``"section.key=value"`` strings; the
value is parsed with TOML value syntax (``run.workers=4``, ``algorithm.lam=0.01``,
``run.mode="sync"``), and a value that is not valid TOML is taken as a bare string (``run.mode=sync``).

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
  c_α = 10 and 0.17–0.19 for c_α = 30, with the critic gap at 2–6 % of its start.
"""

import codecs
import math
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ValidationError

# Each entry: key -> (default, kind, constraint). kind: "int", "float", "choice", "str".
# int/float constraint: (low, high, low_open, high_open); choice constraint: tuple of allowed strings;
# str: any string (checked where it is used, e.g. problem.env against the supported environments).
SCHEMA: dict[str, dict[str, tuple[Any, str, tuple]]] = {
    "problem": {
        "kind": ("paper", "choice", ("paper", "garnet", "trap_chain", "sparse_garnet", "drift_ring", "gymnasium",
                                     "file", "lqr")),
        "reward": ("state_action", "choice", ("state_action", "transition")),
        "seed": (0, "int", (0, 2**63 - 1, False, False)),
        "n_states": (100, "int", (2, 10_000_000, False, False)),
        "n_actions": (5, "int", (1, 64, False, False)),
        "gamma": (0.9, "float", (0.0, 1.0, True, True)),
        "feature_dim": (10, "int", (1, 100_000, False, False)),
        "critic_features": ("random", "choice", ("random", "one_hot")),
        "branching": (10, "int", (1, 100_000, False, False)),
        "locality": (0, "int", (0, 10_000_000, False, False)),
        "actor": ("tabular", "choice", ("tabular", "linear")),
        "actor_dim": (20, "int", (1, 100_000, False, False)),
        "slip": (0.1, "float", (0.0, 1.0, False, False)),
        "restart": (0.05, "float", (0.0, 1.0, False, False)),
        "small_reward": (0.1, "float", (-1e6, 1e6, False, False)),
        "large_reward": (1.0, "float", (-1e6, 1e6, False, False)),
        "reward_fraction": (0.05, "float", (0.0, 1.0, True, False)),
        "distractor": (0.0, "float", (0.0, 1e6, False, False)),
        "drift": (1, "int", (0, 10_000_000, False, False)),
        "env": ("FrozenLake-v1", "str", ()),
        "map_name": ("", "str", ()),
        "path": ("", "str", ()),
        "max_load_bytes": (0, "int", (0, 2**63 - 1, False, False)),
        "state_dim": (3, "int", (1, 50, False, False)),
        "action_dim": (2, "int", (1, 50, False, False)),
        "spectral_radius": (0.9, "float", (0.0, 1.0, False, True)),
        "noise_scale": (0.1, "float", (0.0, 1e6, False, False)),
        "sigma": (0.5, "float", (0.0, 1e6, True, False)),
    },
    "algorithm": {
        "sampling": ("iid", "choice", ("iid", "markov", "shared")),
        "refresh": (200, "int", (1, 2**62, False, False)),
        "n_step": (1, "int", (1, 1000, False, False)),
        "lam": (0.0, "float", (0.0, 1e6, False, False)),
        "radius": (0.0, "float", (0.0, math.inf, False, True)),
        "c_alpha": (30.0, "float", (0.0, 1e6, True, False)),
        "sigma_alpha": (0.6, "float", (0.0, 1.0, False, False)),
        "c_beta": (0.3, "float", (0.0, 1e6, True, False)),
        "sigma_beta": (0.4, "float", (0.0, 1.0, False, False)),
        "a2c_step_sizes": ("per_round", "choice", ("per_round", "per_sample")),
    },
    "run": {
        "mode": ("simulated", "choice", ("simulated", "threads", "sync")),
        "workers": (1, "int", (1, 4096, False, False)),
        "delay": ("none", "choice", ("none", "constant", "uniform", "round_robin", "exponential", "lognormal",
                                     "straggler")),
        "tau": (0, "int", (0, 1_000_000, False, False)),
        "max_delay": (0, "int", (0, 1_000_000, False, False)),
        "lognormal_sigma": (1.0, "float", (0.0, 10.0, True, False)),
        "straggler_prob": (0.1, "float", (0.0, 1.0, False, False)),
        "straggler_slowdown": (10.0, "float", (1.0, 1e6, False, False)),
        "samples": (200_000, "int", (1, 10**13, False, False)),
        "snapshots": (40, "int", (2, 100_000, False, False)),
        "batch": (1, "int", (1, 1_000_000, False, False)),
        "seed": (0, "int", (0, 2**63 - 1, False, False)),
    },
}

DESCRIPTIONS: dict[str, str] = {
    "problem.kind": "the instance: paper (dense U(0,1) rows), a garnet, a trap chain, gymnasium toy-text, an "
                    ".npz file (a3c_theory.instances) or a linear-quadratic problem (lqr, a3c_theory.lqr)",
    "problem.reward": "paper instance rewards: r(s, a) ~ U(0,1) (state_action) or r(s, a, s') ~ U(0,1) (transition)",
    "problem.seed": "seed of the instance (MDP, critic and actor features)",
    "problem.n_states": "number of states nS (gymnasium and file instances take theirs from the source)",
    "problem.n_actions": "number of actions nA (trap_chain has 2; gymnasium and file take theirs from the source)",
    "problem.gamma": "discount factor γ (a file instance, finite or lqr, uses its own)",
    "problem.feature_dim": "critic feature dimension d of φ(s), ‖φ(s)‖₂ ≤ 1 (ignored for one_hot)",
    "problem.critic_features": "critic features Φ: random U(0,1) rows scaled to ‖φ‖ ≤ 1, or one_hot φ(s) = e_s",
    "problem.branching": "garnets: distinct successor states per (s, a)",
    "problem.locality": "garnets: 0 draws successors anywhere, L > 0 from the ring s ± L (slow mixing)",
    "problem.actor": "softmax actor: tabular θ ∈ R^{nS×nA} (the paper's) or linear θ·f(s, a)",
    "problem.actor_dim": "linear actor: feature dimension of f(s, a)",
    "problem.slip": "trap_chain: probability that a move goes the other way",
    "problem.restart": "trap_chain: probability that the next state is drawn from η instead",
    "problem.small_reward": "trap_chain: immediate reward of the LEFT (trap) action",
    "problem.large_reward": "trap_chain: reward of every step at the right end",
    "problem.reward_fraction": "sparse_garnet, drift_ring: fraction of states in the goal set G (reward 1 on entry)",
    "problem.distractor": "sparse_garnet, drift_ring: weight of an immediate U(0,1) reward unrelated to G",
    "problem.drift": "drift_ring: successors of s lie around s + drift",
    "problem.env": "gymnasium: toy-text environment id",
    "problem.map_name": "gymnasium: map of the environment (empty: its default)",
    "problem.path": "file: .npz file holding the MDP; lqr: .npz file holding A, B, Q, R, W, Sigma0, K0, gamma, "
                    "sigma (empty: a random instance); relative to the TOML file",
    "problem.max_load_bytes": "file: largest total of declared array sizes to load, checked from the .npy "
                              "headers before anything is read (0 = a quarter of the available memory)",
    "problem.state_dim": "lqr random instance: state dimension n (A_K is d x d, d = n(n+1)/2 + 1)",
    "problem.action_dim": "lqr random instance: action dimension m",
    "problem.spectral_radius": "lqr random instance: spectral radius of A (< 1, so K0 = 0 stabilises)",
    "problem.noise_scale": "lqr random instance: W = noise_scale² I",
    "problem.sigma": "lqr random instance: standard deviation σ of the Gaussian policy N(−Kx, σ²I)",
    "algorithm.sampling": "iid (option 1: s ~ μ_θ, ŝ ~ d_θ), markov (option 2: two chains) or shared "
                          "(one transition of γP + (1−γ)η for both, ICLR 2021)",
    "algorithm.refresh": "iid sampling: μ_θ and d_θ recomputed every M updates (M = 1 is exact)",
    "algorithm.n_step": "n of the n-step TD error (1 is A3C-TD(0); > 1 needs markov sampling)",
    "algorithm.lam": "weight λ of the KL regulariser R(θ) in J_λ = J + λR; at most 1e6 (a generous round bound: "
                     "0 ≥ R(θ) ≥ −(2 max‖θᵀf‖ + log nA) and ‖∇R‖ ≤ 2 max‖f‖, so λR, λ∇R and J_λ stay finite "
                     "for any θ below ~1e300)",
    "algorithm.radius": "critic projection radius R_ω of Π_R(ω) = ω·min(1, R/‖ω‖); 0 = r_max/λ_min(−A_θ0)",
    "algorithm.c_alpha": "actor step size constant: α_k = c_α/(1+k)^σ_α; at most 1e6 (a generous round bound: "
                         "α_k ≤ c_α and K ≤ 1e13, so ‖θ_K‖ ≤ 1e19·G, G the largest step direction, finite for "
                         "rewards and R_ω below ~1e280; a run that still overflows ends 'diverged at k')",
    "algorithm.sigma_alpha": "actor step size exponent σ_α (theory: 3/5)",
    "algorithm.c_beta": "critic step size constant: β_k = c_β/(1+k)^σ_β; at most 1e6 (the bound of c_α; ω "
                        "itself is projected onto the ball of radius R_ω)",
    "algorithm.sigma_beta": "critic step size exponent σ_β (theory: 2/5)",
    "algorithm.a2c_step_sizes": "sync mode: per_round (average of N updates at α_rN) or per_sample (their sum, "
                                "update i at α_{rN+i})",
    "run.mode": "simulated (exact delay simulator), threads (Hogwild threads, real delays) or sync (A2C rounds)",
    "run.workers": "number of workers N",
    "run.delay": "delay model τ_k (none, constant, uniform, round_robin) or random compute times (exponential, "
                 "lognormal, straggler; the only ones sync mode takes)",
    "run.tau": "constant delay τ",
    "run.max_delay": "uniform delay: τ_k uniform on {0, …, max_delay}",
    "run.lognormal_sigma": "lognormal compute times: σ of T = exp(σZ − σ²/2)",
    "run.straggler_prob": "straggler compute times: probability that an update is slow",
    "run.straggler_slowdown": "straggler compute times: compute time of a slow update (others take 1)",
    "run.samples": "updates K (one critic and one actor sample each), over all workers",
    "run.snapshots": "number of (θ, ω) snapshots kept, log-spaced over 0..K",
    "run.batch": "threads mode: updates each worker draws before writing them together",
    "run.seed": "seed of the run (sampling streams, delays, compute times)",
}
"""One line per ``"section.key"`` of :data:`SCHEMA`, shown by ``a3c-theory config --list`` and in the README."""


def describe_range(kind: str, constraint: tuple) -> str:
    """The allowed values of a key as text: ``[1, 4096]``, ``(0, inf)``, ``iid, markov``, ``any string``."""
    if kind == "choice":
        return ", ".join(constraint)
    if kind == "str":
        return "any string"
    low, high, low_open, high_open = constraint
    return f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def key_table() -> list[tuple[str, Any, str, str]]:
    """``(section.key, default, allowed values, description)`` for every key of :data:`SCHEMA`, in order."""
    return [(f"{section}.{key}", default, describe_range(kind, constraint), DESCRIPTIONS[f"{section}.{key}"])
            for section, keys in SCHEMA.items() for key, (default, kind, constraint) in keys.items()]


def key_table_markdown() -> str:
    """:func:`key_table` as a markdown table (the README's key table is this text)."""
    lines = ["| key | default | allowed | description |", "|---|---|---|---|"]
    for name, default, allowed, description in key_table():
        lines.append(f"| `{name}` | `{default!r}` | {allowed} | {description} |")
    return "\n".join(lines) + "\n"


PAPER_MAX_STATES = 2000
"""The paper instance is dense (nS·nA·nS transition entries); larger instances should use ``garnet``."""

ONE_HOT_MAX_STATES = 5000
"""One-hot critic features are a dense nS × nS matrix."""


@dataclass(frozen=True)
class ProblemSettings:
    kind: str
    reward: str
    seed: int
    n_states: int
    n_actions: int
    gamma: float
    feature_dim: int
    critic_features: str
    branching: int
    locality: int
    actor: str
    actor_dim: int
    slip: float
    restart: float
    small_reward: float
    large_reward: float
    reward_fraction: float
    distractor: float
    drift: int
    env: str
    map_name: str
    path: str
    max_load_bytes: int
    state_dim: int
    action_dim: int
    spectral_radius: float
    noise_scale: float
    sigma: float


@dataclass(frozen=True)
class AlgorithmSettings:
    sampling: str
    refresh: int
    n_step: int
    lam: float
    radius: float
    c_alpha: float
    sigma_alpha: float
    c_beta: float
    sigma_beta: float
    a2c_step_sizes: str


@dataclass(frozen=True)
class RunSettings:
    mode: str
    workers: int
    delay: str
    tau: int
    max_delay: int
    lognormal_sigma: float
    straggler_prob: float
    straggler_slowdown: float
    samples: int
    snapshots: int
    batch: int
    seed: int


@dataclass(frozen=True)
class Config:
    """A validated run configuration; ``cfg.problem.n_states``, ``cfg.run.workers``, …"""

    problem: ProblemSettings
    algorithm: AlgorithmSettings
    run: RunSettings

    def to_dict(self) -> dict:
        """The full nested dict of resolved values (every key of :data:`SCHEMA`)."""
        return {"problem": asdict(self.problem), "algorithm": asdict(self.algorithm), "run": asdict(self.run)}


_SECTION_TYPES = {"problem": ProblemSettings, "algorithm": AlgorithmSettings, "run": RunSettings}


# ----------------------------------------------------------------------------- parsing
def _check_value(field: str, value, kind: str, constraint: tuple):
    if kind == "str":
        if not isinstance(value, str):
            raise ValidationError(field, f"must be a string, got {value!r}")
        return value
    if kind == "choice":
        if not isinstance(value, str) or value not in constraint:
            raise ValidationError(field, f"must be one of {', '.join(map(repr, constraint))}, got {value!r}")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValidationError(field, f"must be an integer, got {value!r}")
        value = int(value)
    else:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValidationError(field, f"must be a number, got {value!r}")
        value = float(value)
        if math.isnan(value):
            raise ValidationError(field, "must be a number, got NaN")
    low, high, low_open, high_open = constraint
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        raise ValidationError(field, f"must lie in {describe_range(kind, constraint)}, got {value!r}")
    return value


def from_dict(d: dict) -> Config:
    """Validate a nested dict ``{"problem": {...}, "algorithm": {...}, "run": {...}}`` (missing sections or
    keys take their defaults) and return the :class:`Config`."""
    if not isinstance(d, dict):
        raise ValidationError("config", f"must be a table of sections, got {type(d).__name__}")
    for section in d:
        if section not in SCHEMA:
            raise ValidationError(str(section), f"unknown section; expected one of {', '.join(SCHEMA)}")
    sections = {}
    for section, keys in SCHEMA.items():
        given = d.get(section, {})
        if not isinstance(given, dict):
            raise ValidationError(section, f"must be a table of keys, got {given!r}")
        for key in given:
            if key not in keys:
                raise ValidationError(f"{section}.{key}", f"unknown key; {section} keys are {', '.join(keys)}")
        values = {}
        for key, (default, kind, constraint) in keys.items():
            values[key] = _check_value(f"{section}.{key}", given.get(key, default), kind, constraint)
        sections[section] = _SECTION_TYPES[section](**values)
    cfg = Config(**sections)
    _check_consistency(cfg)
    return cfg


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
    if p.kind == "paper" and p.n_states > PAPER_MAX_STATES:
        raise ValidationError("problem.n_states", f"the paper instance is dense: must be <= {PAPER_MAX_STATES} "
                              f"(use problem.kind = \"garnet\" for more), got {p.n_states}")
    if p.kind in SIZED_BY_SOURCE:
        _check_source(p)
    elif p.critic_features == "one_hot" and p.n_states > ONE_HOT_MAX_STATES:
        raise ValidationError("problem.critic_features", f"one_hot features are a dense nS x nS matrix: need "
                              f"n_states <= {ONE_HOT_MAX_STATES}, got {p.n_states}")
    if p.critic_features == "random" and p.feature_dim > p.n_states and p.kind not in SIZED_BY_SOURCE:
        raise ValidationError("problem.feature_dim", f"must be <= n_states ({p.n_states}) for full-rank features, "
                              f"got {p.feature_dim}")
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


SIZED_BY_SOURCE = ("gymnasium", "file")
"""Problem kinds whose numbers of states and actions come from the environment or the file."""


def _check_source(p: ProblemSettings) -> None:
    """``problem.env``/``map_name`` (gymnasium) or ``problem.path`` (file), before anything is loaded."""
    if p.kind == "gymnasium":
        from .instances.toy_text import check_env

        check_env(p.env, p.map_name)
    elif not p.path:
        raise ValidationError("problem.path", "kind = \"file\" needs the path of an .npz file")


USED_BY: dict[str, dict[str, tuple[str, ...]]] = {
    "problem.reward": {"problem.kind": ("paper",)},
    "problem.n_states": {"problem.kind": ("paper", "garnet", "trap_chain", "sparse_garnet", "drift_ring")},
    "problem.n_actions": {"problem.kind": ("paper", "garnet", "sparse_garnet", "drift_ring")},
    "problem.gamma": {"problem.kind": ("paper", "garnet", "trap_chain", "sparse_garnet", "drift_ring", "gymnasium",
                                       "lqr")},
    "problem.feature_dim": {"problem.critic_features": ("random",)},
    "problem.branching": {"problem.kind": ("garnet", "sparse_garnet", "drift_ring")},
    "problem.locality": {"problem.kind": ("garnet", "sparse_garnet", "drift_ring")},
    "problem.actor_dim": {"problem.actor": ("linear",)},
    "problem.slip": {"problem.kind": ("trap_chain",)},
    "problem.restart": {"problem.kind": ("trap_chain",)},
    "problem.small_reward": {"problem.kind": ("trap_chain",)},
    "problem.large_reward": {"problem.kind": ("trap_chain",)},
    "problem.reward_fraction": {"problem.kind": ("sparse_garnet", "drift_ring")},
    "problem.distractor": {"problem.kind": ("sparse_garnet", "drift_ring")},
    "problem.drift": {"problem.kind": ("drift_ring",)},
    "problem.env": {"problem.kind": ("gymnasium",)},
    "problem.map_name": {"problem.kind": ("gymnasium",)},
    "problem.path": {"problem.kind": ("file", "lqr")},
    "problem.max_load_bytes": {"problem.kind": ("file",)},
    "problem.state_dim": {"problem.kind": ("lqr",)},
    "problem.action_dim": {"problem.kind": ("lqr",)},
    "problem.spectral_radius": {"problem.kind": ("lqr",)},
    "problem.noise_scale": {"problem.kind": ("lqr",)},
    "problem.sigma": {"problem.kind": ("lqr",)},
    "algorithm.refresh": {"algorithm.sampling": ("iid",)},
    "algorithm.a2c_step_sizes": {"run.mode": ("sync",)},
    "run.tau": {"run.delay": ("constant",)},
    "run.max_delay": {"run.delay": ("uniform",)},
    "run.lognormal_sigma": {"run.delay": ("lognormal",)},
    "run.straggler_prob": {"run.delay": ("straggler",)},
    "run.straggler_slowdown": {"run.delay": ("straggler",)},
}
"""Keys that only some settings use: ``key -> {setting: values of that setting under which key is used}``
(every listed setting must hold one of its values). A key not listed is used by every run."""


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
    return _setting(cfg, name) != SCHEMA[section][key][0]


def ignored_keys(cfg: Config) -> list[str]:
    """The keys of ``cfg`` set to a non-default value that its settings do not use (:data:`USED_BY`) or
    that its file replaces (:func:`supplied_keys_of`, which reads the file's headers only when such a key is set)."""
    replaceable = [name for names in SUPPLIED_BY_FILE.values() for name in names]
    supplied = supplied_keys_of(cfg.problem) if any(_is_set(cfg, name) for name in replaceable) else {}
    out = []
    for section, keys in SCHEMA.items():
        for name in (f"{section}.{key}" for key in keys):
            unused = name in supplied or (name in USED_BY and any(_setting(cfg, setting) not in values
                                                                  for setting, values in USED_BY[name].items()))
            if unused and _is_set(cfg, name):
                out.append(name)
    return out


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
    """``"section.key=value"`` -> ``(section, key, value)``; the value in TOML syntax, else a bare string."""
    if "=" not in text:
        raise ValidationError(text, "override must look like section.key=value")
    name, raw = (part.strip() for part in text.split("=", 1))
    if name.count(".") != 1:
        raise ValidationError(name, "override must name section.key")
    section, key = name.split(".")
    if section not in SCHEMA:
        raise ValidationError(name, f"unknown section; expected one of {', '.join(SCHEMA)}")
    if key not in SCHEMA[section]:
        raise ValidationError(name, f"unknown key; {section} keys are {', '.join(SCHEMA[section])}")
    try:
        value = tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw
    return section, key, value


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
