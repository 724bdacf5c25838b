"""The whole algorithm in readable NumPy: the specification of the compiled engine, its test oracle and the
baseline of ``a3c-theory bench``. No numba and no code shared with the engine.

One update (Algorithm 1 of Shen, Zhang, Hong, Chen, "Towards understanding asynchronous advantage
actor-critic", arXiv 2012.15511), drawn by a worker from the parameters ``(θ_r, ω_r)`` it read:

- critic sample ``x = (s, a, s')``: option 1 (``iid``) ``s ~ μ_θ``; option 2 (``markov``) the worker's critic
  chain, which then moves to ``s'``; ``a ~ π_θ(·|s)``, ``s' ~ P(·|s, a)``;
- actor sample ``x̂ = (ŝ, â, ŝ')``: ``ŝ ~ d_θ`` (``iid``) or the worker's actor chain, which then moves to
  ``ŝ'`` with probability γ and restarts from ``η`` otherwise (kernel ``γP + (1−γ)η``); the ``shared``
  variant (ICLR 2021) uses the critic sample for both, its chain moving by ``γP + (1−γ)η``;
- TD error ``δ(x, ω) = r(s, a, s') + γ φ(s')ᵀω − φ(s)ᵀω``; with n-step returns
  ``R^n = Σ_{j<n} γ^j r_{j+1} + γ^n φ(s_n)ᵀω`` replaces ``r + γ φ(s')ᵀω``;
- prior sample ``s^p ~ η_p``, ``a^p ~ π_p(·|s^p)`` (only when λ ≠ 0);
- critic direction ``g = δ(x, ω_r) φ(s)``; actor direction ``v = δ(x̂, ω_r) ψ_{θ_r}(ŝ, â) + λ ψ_{θ_r}(s^p, a^p)``
  with the score ``ψ_θ(s, a) = Σ_b (1[b = a] − π_θ(b|s)) f(s, b)``;

and the update applied as number ``k`` to the *current* parameters (eq. of the asynchronous update):

    ω_{k+1} = Π_R(ω_k + β_k g),   θ_{k+1} = θ_k + α_k v,   Π_R(ω) = ω · min(1, R / ‖ω‖₂),
    α_k = c_α / (1 + k)^{σ_α},     β_k = c_β / (1 + k)^{σ_β}.

Asynchrony is a *schedule*: ``schedule[k] = (worker, r_k)`` says which worker draws update ``k`` and from
which step's parameters (delay ``τ_k = k − r_k``). A2C (synchronous) rounds let the N workers draw from the
same parameters and apply their average (``a2c_step_sizes = "per_round"``) or their sum at consecutive
step sizes (``"per_sample"``).

Random numbers: every draw is one uniform ``u ∈ [0, 1)`` turned into a categorical by inverse CDF, consumed
in the engine's order (``s, a, s'`` [, n-step steps], then the same for the actor, then the chain restart,
then ``s^p, a^p``). Fed the engine's xoshiro256+ stream (:class:`XoshiroPlus`), a run reproduces the
compiled one up to floating-point rounding; fed batches from a ``numpy.random.Generator``
(:class:`BatchedUniforms`) it is the careful per-sample NumPy loop the benchmark compares against.
"""

import collections
import heapq
import math

import numpy as np

from . import exact

MASK = (1 << 64) - 1


class XoshiroPlus:
    """xoshiro256+ (Blackman & Vigna) on Python integers; ``uniform`` = top 53 bits / 2^53."""

    def __init__(self, state):
        self.s = [int(x) for x in state]

    def next(self) -> int:
        s0, s1, s2, s3 = self.s
        result = (s0 + s3) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & MASK
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self) -> float:
        return (self.next() >> 11) * 2.0**-53

    def exponential(self) -> float:
        return -math.log(1.0 - self.uniform())


class BatchedUniforms:
    """Uniforms from a ``numpy.random.Generator``, drawn ``batch`` at a time (the fast source of the bench)."""

    def __init__(self, generator: np.random.Generator, batch: int = 1 << 15):
        self.generator = generator
        self.batch = batch
        self.buffer = []

    def uniform(self) -> float:
        if not self.buffer:
            self.buffer = self.generator.random(self.batch).tolist()
            self.buffer.reverse()
        return self.buffer.pop()


def cdf(p) -> np.ndarray:
    """Cumulative sums of a probability vector, the last entry set to exactly 1."""
    c = np.cumsum(p)
    c[-1] = 1.0
    return c


def draw(cdf_, u: float) -> int:
    """Inverse-CDF draw: the smallest ``i`` with ``cdf[i] > u`` (the last index if none)."""
    return min(int(cdf_.searchsorted(u, side="right")), cdf_.shape[0] - 1)


def step_sizes(alg, k: int) -> tuple[float, float]:
    """``(α_k, β_k) = (c_α / (1+k)^{σ_α}, c_β / (1+k)^{σ_β})``."""
    return alg.c_alpha / (1.0 + k) ** alg.sigma_alpha, alg.c_beta / (1.0 + k) ** alg.sigma_beta


def project(w: np.ndarray, radius: float) -> np.ndarray:
    """``Π_R(ω) = ω · min(1, R / ‖ω‖₂)``."""
    norm = np.linalg.norm(w)
    return w * (radius / norm) if norm > radius else w


def sampling_laws(problem, theta) -> tuple[np.ndarray, np.ndarray]:
    """Option-1 CDFs of ``μ_θ`` (critic states) and ``d_θ`` (actor states), from :mod:`a3c_theory.exact`."""
    pi = problem.policy.probabilities(theta)
    return cdf(exact.stationary_distribution(problem.mdp, pi)), cdf(exact.discounted_visitation(problem.mdp, pi))


class Sampler:
    """Draws one update (module docstring) and turns it into the directions ``g`` and ``v``."""

    def __init__(self, problem, sampling: str, n_step: int, lam: float):
        self.problem = problem
        self.mdp = problem.mdp
        self.phi = problem.critic_features
        self.features = problem.policy.actor_features  # None: tabular
        self.n_actions = problem.mdp.n_actions
        self.sampling = sampling
        self.n_step = n_step
        self.lam = lam
        self.eta_cdf = cdf(self.mdp.eta)
        self.prior_state_cdf = cdf(problem.prior_states)
        self.prior_action_cdf = [cdf(row) for row in problem.prior_policy]

    def policy_row(self, theta, s: int) -> np.ndarray:
        """``π_θ(·|s)``: softmax of the logits ``θ·f(s, ·)``, stabilised by their maximum."""
        nA = self.n_actions
        logits = theta[s * nA:(s + 1) * nA] if self.features is None else self.features[s] @ theta
        e = np.exp(logits - logits.max())
        return e / e.sum()

    def transition(self, s: int, a: int, u: float) -> tuple[int, float]:
        """``s' ~ P(·|s, a)`` by inverse CDF on the MDP's row; returns ``(s', r(s, a, s'))``."""
        row = s * self.n_actions + a
        lo, hi = self.mdp.indptr[row], self.mdp.indptr[row + 1]
        i = lo + draw(self.mdp.cdf[lo:hi], u)
        return int(self.mdp.next_state[i]), float(self.mdp.reward[i])

    def td_error(self, theta, w, s: int, a: int, rng) -> tuple[float, int, float]:
        """``δ = R^n − φ(s)ᵀω`` from ``(s, a)``: ``R^1 = r + γ φ(s')ᵀω``, n-step returns continue the path
        under ``π_θ``. Returns ``(δ, s'`` (the first successor), ``γ-discount used)``."""
        gamma = self.mdp.gamma
        nxt, ret = self.transition(s, a, rng.uniform())
        first, discount = nxt, gamma
        for _ in range(1, self.n_step):
            act = draw(cdf(self.policy_row(theta, nxt)), rng.uniform())
            nxt, r = self.transition(nxt, act, rng.uniform())
            ret += discount * r
            discount *= gamma
        return ret + discount * (self.phi[nxt] @ w) - self.phi[s] @ w, first, discount

    def restart(self, nxt: int, rng) -> int:
        """One step of the actor kernel after ``s'``: keep ``s'`` with probability γ, else ``s ~ η``."""
        if rng.uniform() < self.mdp.gamma:
            return nxt
        return draw(self.eta_cdf, rng.uniform())

    def sample(self, theta, w, rng, chains: dict, worker: int, laws=None) -> dict:
        """One update's samples and TD errors from ``(θ, ω)`` (the parameters read). ``chains`` maps
        ``("critic"|"actor", worker)`` to chain states; ``laws`` = (μ CDF, d CDF) for option 1."""
        out = {}
        parts = ("critic",) if self.sampling == "shared" else ("critic", "actor")
        for part in parts:
            if self.sampling == "iid":
                s = draw(laws[0] if part == "critic" else laws[1], rng.uniform())
            else:
                s = chains[(part, worker)]
            pi_s = self.policy_row(theta, s)
            a = draw(cdf(pi_s), rng.uniform())
            delta, first, _ = self.td_error(theta, w, s, a, rng)
            if part == "critic":
                out["s"], out["delta_c"] = s, delta
                if self.sampling == "markov":
                    chains[("critic", worker)] = first
                elif self.sampling == "shared":
                    chains[("critic", worker)] = self.restart(first, rng)
            elif self.sampling == "markov":
                chains[("actor", worker)] = self.restart(first, rng)
            out["s_hat"], out["a_hat"], out["pi_hat"], out["delta_a"] = s, a, pi_s, delta
        if self.lam != 0.0:
            sp = draw(self.prior_state_cdf, rng.uniform())
            out["sp"], out["ap"] = sp, draw(self.prior_action_cdf[sp], rng.uniform())
            out["pi_p"] = self.policy_row(theta, sp)
        return out

    def score_coefficients(self, pi_s: np.ndarray, a: int) -> np.ndarray:
        """``c_b = 1[b = a] − π_θ(b|s)``, so that ``ψ_θ(s, a) = Σ_b c_b f(s, b)``."""
        coef = -pi_s
        coef[a] += 1.0
        return coef

    def add_score(self, theta: np.ndarray, s: int, coef: np.ndarray) -> None:
        """``θ += Σ_b coef_b f(s, b)`` in place (tabular: the entries ``s·nA + b``)."""
        nA = self.n_actions
        if self.features is None:
            theta[s * nA:(s + 1) * nA] += coef
        else:
            theta += coef @ self.features[s]

    def apply(self, theta: np.ndarray, w: np.ndarray, update: dict, alpha: float, beta: float) -> np.ndarray:
        """Add ``α v`` to ``θ`` in place; return ``ω + β g`` (not yet projected)."""
        self.add_score(theta, update["s_hat"],
                       (alpha * update["delta_a"]) * self.score_coefficients(update["pi_hat"], update["a_hat"]))
        if "sp" in update:
            self.add_score(theta, update["sp"], (alpha * self.lam) * self.score_coefficients(update["pi_p"],
                                                                                           update["ap"]))
        return w + (beta * update["delta_c"]) * self.phi[update["s"]]


def initial_chains(problem, rngs) -> dict:
    """``s_0, ŝ_0 ~ η`` for each worker (two uniforms per worker, critic first)."""
    eta_cdf = cdf(problem.mdp.eta)
    chains = {}
    for i, rng in enumerate(rngs):
        chains[("critic", i)] = draw(eta_cdf, rng.uniform())
        chains[("actor", i)] = draw(eta_cdf, rng.uniform())
    return chains


def run_async(problem, alg, radius, schedule, rngs, laws=None, history: bool = True):
    """A3C with ``schedule[k] = (worker, r_k)``: update ``k`` is drawn by that worker from ``(θ_{r_k}, ω_{r_k})``
    and applied to ``(θ_k, ω_k)``. ``rngs``: one uniform source per worker (``.uniform()``). Option-1 laws are
    exact at the parameters read (refresh 1) unless fixed ``laws`` (μ CDF, d CDF) are given; chains start
    at ``η``. Returns the lists of every ``θ_k`` and ``ω_k`` (k = 0..K), or with ``history=False`` only the
    last ones (keeping just the versions the schedule still reads)."""
    sampler = Sampler(problem, alg.sampling, alg.n_step, alg.lam)
    chains = initial_chains(problem, rngs)
    window = 1 + max((k - read for k, (_, read) in enumerate(schedule)), default=0)
    thetas = collections.deque([np.zeros(problem.policy.dim)], maxlen=None if history else window)
    ws = collections.deque([np.zeros(problem.critic_dim)], maxlen=None if history else window)
    first = 0  # step index of thetas[0]
    for k, (worker, read) in enumerate(schedule):
        theta_r, w_r = thetas[read - first], ws[read - first]
        use = laws if laws is not None or alg.sampling != "iid" else sampling_laws(problem, theta_r)
        update = sampler.sample(theta_r, w_r, rngs[worker], chains, worker, use)
        alpha, beta = step_sizes(alg, k)
        theta = thetas[-1].copy()
        w = project(sampler.apply(theta, ws[-1], update, alpha, beta), radius)
        if not history and len(thetas) == window:
            first += 1
        thetas.append(theta)
        ws.append(w)
    return (list(thetas), list(ws)) if history else (thetas[-1], ws[-1])


def run_sync(problem, alg, radius, rngs, rounds: int):
    """A2C: each round all N workers draw (in worker order) from the same parameters; the average of their
    updates is applied with the step sizes of ``k = rN`` (``a2c_step_sizes = "per_round"``), or their sum
    with update ``i`` at the step sizes of ``k = rN + i`` (``"per_sample"``); ω is projected once per round.
    Returns the lists of ``θ``, ``ω`` after each round (and the initial ones)."""
    n = len(rngs)
    sampler = Sampler(problem, alg.sampling, alg.n_step, alg.lam)
    chains = initial_chains(problem, rngs)
    thetas = [np.zeros(problem.policy.dim)]
    ws = [np.zeros(problem.critic_dim)]
    for r in range(rounds):
        laws = sampling_laws(problem, thetas[-1]) if alg.sampling == "iid" else None
        updates = [sampler.sample(thetas[-1], ws[-1], rngs[i], chains, i, laws) for i in range(n)]
        if alg.a2c_step_sizes == "per_sample":
            steps = [step_sizes(alg, r * n + i) for i in range(n)]
        else:
            steps = [tuple(x / n for x in step_sizes(alg, r * n))] * n
        theta, w = thetas[-1].copy(), ws[-1]
        for update, (alpha, beta) in zip(updates, steps):
            w = sampler.apply(theta, w, update, alpha, beta)
        thetas.append(theta)
        ws.append(project(w, radius))
    return thetas, ws


def constant_schedule(K: int, n_workers: int, tau: int) -> list[tuple[int, int]]:
    """Update ``k`` drawn by worker ``k mod N`` from the parameters of step ``max(0, k − τ)``."""
    return [(k % n_workers, max(0, k - tau)) for k in range(K)]


def event_schedule(K: int, timing_rngs) -> tuple[list, list, float]:
    """Discrete-event simulation with Exp(1) compute times (one stream per worker): each worker reads the
    current step, finishes after its compute time, and its update is applied; returns
    ``(schedule, delays, clock)``."""
    heap = [(rng.exponential(), i) for i, rng in enumerate(timing_rngs)]
    heapq.heapify(heap)
    read = [0] * len(timing_rngs)
    schedule, delays = [], []
    clock = 0.0
    for k in range(K):
        clock, worker = heapq.heappop(heap)
        schedule.append((worker, read[worker]))
        delays.append(k - read[worker])
        read[worker] = k + 1
        heapq.heappush(heap, (clock + timing_rngs[worker].exponential(), worker))
    return schedule, delays, clock
