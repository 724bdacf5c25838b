"""Slow pure-Python reference of the engine, for the tests (no numba, no code shared with the engine).

It re-implements, from the documented semantics only: the xoshiro256+ generator, one update draw in
the documented order of random numbers (``samplers.draw_update``), the update rule with the projection,
and the delay schedules. Given the same seeds it consumes the same random numbers as the compiled
engine, so it reproduces a run up to floating-point rounding; it keeps every parameter vector, so an
update "computed from the parameters of step k − τ" is computed from a stored copy.
"""

import heapq
import math

import numpy as np

from a3c_theory import exact

MASK = (1 << 64) - 1


class XoshiroPlus:
    """xoshiro256+ (Blackman & Vigna); ``uniform`` = top 53 bits / 2^53."""

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


def _cdf(p):
    c = np.cumsum(p)
    c[-1] = 1.0
    return c


def _draw(cdf, u) -> int:
    return min(int(np.searchsorted(cdf, u, side="right")), len(cdf) - 1)


class ReferenceSampler:
    """One update draw (documented order): critic sample, actor sample, chain steps, prior sample."""

    def __init__(self, problem, sampling: str, n_step: int, with_prior: bool):
        self.problem = problem
        self.mdp = problem.mdp
        self.sampling = sampling
        self.n_step = n_step
        self.with_prior = with_prior
        self.eta_cdf = _cdf(self.mdp.eta)
        self.prior_state_cdf = _cdf(problem.prior_states)

    def transition(self, s, a, u):
        row = s * self.mdp.n_actions + a
        lo, hi = self.mdp.indptr[row], self.mdp.indptr[row + 1]
        i = lo + _draw(self.mdp.cdf[lo:hi], u)
        return int(self.mdp.next_state[i]), float(self.mdp.reward[i])

    def action(self, probs, u) -> int:
        acc = 0.0
        for b, p in enumerate(probs[:-1]):
            acc += p
            if u < acc:
                return b
        return len(probs) - 1

    def sample(self, theta, w, rng: XoshiroPlus, chains: dict, worker: int, laws=None) -> dict:
        """``chains`` maps ("critic"|"actor", worker) to chain states; ``laws`` = (mu, d) for iid."""
        pi = self.problem.policy.probabilities(theta)
        phi = self.problem.critic_features
        gamma = self.mdp.gamma
        out = {}
        parts = ("critic",) if self.sampling == "shared" else ("critic", "actor")
        for part in parts:
            if self.sampling == "iid":
                law = laws[0] if part == "critic" else laws[1]
                s = _draw(_cdf(law), rng.uniform())
            else:
                s = chains[(part, worker)]
            a = self.action(pi[s], rng.uniform())
            nxt, r = self.transition(s, a, rng.uniform())
            first = nxt
            if self.n_step == 1:
                delta = r + gamma * phi[nxt] @ w - phi[s] @ w  # TD(0)
            else:
                ret, disc = r, gamma
                for _ in range(1, self.n_step):
                    act = self.action(pi[nxt], rng.uniform())
                    nxt, r = self.transition(nxt, act, rng.uniform())
                    ret += disc * r
                    disc *= gamma
                delta = ret + disc * phi[nxt] @ w - phi[s] @ w
            if part == "critic":
                out["s"], out["delta_c"] = s, delta
                if self.sampling == "markov":
                    chains[("critic", worker)] = first
                elif self.sampling == "shared":
                    chains[("critic", worker)] = self.restart(first, rng)
            elif self.sampling == "markov":
                chains[("actor", worker)] = self.restart(first, rng)
            out["s_hat"], out["a_hat"], out["delta_a"] = s, a, delta
        if self.with_prior:
            sp = _draw(self.prior_state_cdf, rng.uniform())
            ap = _draw(_cdf(self.problem.prior_policy[sp]), rng.uniform())
            out["sp"], out["ap"] = sp, ap
        return out

    def restart(self, nxt, rng):
        if rng.uniform() < self.mdp.gamma:
            return nxt
        return _draw(self.eta_cdf, rng.uniform())


def initial_chains(problem, rng_list) -> dict:
    """``s_0, ŝ_0 ~ η`` for each worker (two uniforms per worker, critic first)."""
    eta_cdf = _cdf(problem.mdp.eta)
    chains = {}
    for i, rng in enumerate(rng_list):
        chains[("critic", i)] = _draw(eta_cdf, rng.uniform())
        chains[("actor", i)] = _draw(eta_cdf, rng.uniform())
    return chains


def step_sizes(alg, k):
    return alg.c_alpha / (1.0 + k) ** alg.sigma_alpha, alg.c_beta / (1.0 + k) ** alg.sigma_beta


def update_vectors(problem, theta_read, update, lam):
    """``(g, v + λψ)`` of one drawn update, with scores from ``policy.score`` at the parameters read."""
    policy = problem.policy
    g = update["delta_c"] * problem.critic_features[update["s"]]
    v = update["delta_a"] * policy.score(theta_read, update["s_hat"], update["a_hat"])
    if "sp" in update:
        v = v + lam * policy.score(theta_read, update["sp"], update["ap"])
    return g, v


def project(w, radius):
    norm = np.linalg.norm(w)
    return w * (radius / norm) if norm > radius else w


def _laws(problem, theta):
    pi = problem.policy.probabilities(theta)
    return exact.stationary_distribution(problem.mdp, pi), exact.discounted_visitation(problem.mdp, pi)


def reference_async(problem, cfg, radius, schedule, seeds_states):
    """A3C with the given schedule: ``schedule[k] = (worker, read index r_k)``; the update applied at
    step k is drawn by that worker from ``(θ_{r_k}, ω_{r_k})``. iid laws are exact (refresh = 1).
    Returns the lists of all θ_k and ω_k (k = 0..K)."""
    alg = cfg.algorithm
    rngs = [XoshiroPlus(row) for row in seeds_states]
    chains = initial_chains(problem, rngs)
    sampler = ReferenceSampler(problem, alg.sampling, alg.n_step, alg.lam != 0)
    thetas = [np.zeros(problem.policy.dim)]
    ws = [np.zeros(problem.critic_dim)]
    for k, (worker, read) in enumerate(schedule):
        laws = _laws(problem, thetas[read]) if alg.sampling == "iid" else None
        update = sampler.sample(thetas[read], ws[read], rngs[worker], chains, worker, laws)
        g, v = update_vectors(problem, thetas[read], update, alg.lam)
        alpha, beta = step_sizes(alg, k)
        ws.append(project(ws[-1] + beta * g, radius))
        thetas.append(thetas[-1] + alpha * v)
    return thetas, ws


def reference_sync(problem, cfg, radius, seeds_states, rounds):
    """A2C: each round all N workers draw (in worker order) from the same parameters; the average is
    applied with the step sizes of k = rN (``a2c_step_sizes = "per_round"``), or the sum with update i
    at the step sizes of k = rN + i (``"per_sample"``), and ω projected once."""
    alg = cfg.algorithm
    n = len(seeds_states)
    rngs = [XoshiroPlus(row) for row in seeds_states]
    chains = initial_chains(problem, rngs)
    sampler = ReferenceSampler(problem, alg.sampling, alg.n_step, alg.lam != 0)
    thetas = [np.zeros(problem.policy.dim)]
    ws = [np.zeros(problem.critic_dim)]
    for r in range(rounds):
        laws = _laws(problem, thetas[-1]) if alg.sampling == "iid" else None
        vecs = [update_vectors(problem, thetas[-1], sampler.sample(thetas[-1], ws[-1], rngs[i], chains, i, laws),
                               alg.lam) for i in range(n)]
        if alg.a2c_step_sizes == "per_sample":
            steps = [step_sizes(alg, r * n + i) for i in range(n)]
        else:
            steps = [tuple(x / n for x in step_sizes(alg, r * n))] * n
        ws.append(project(ws[-1] + sum(b * g for (_, b), (g, _) in zip(steps, vecs)), radius))
        thetas.append(thetas[-1] + sum(a * v for (a, _), (_, v) in zip(steps, vecs)))
    return thetas, ws


def constant_schedule(K, n_workers, tau):
    """Update k drawn by worker k mod N from the parameters of step max(0, k − τ)."""
    return [(k % n_workers, max(0, k - tau)) for k in range(K)]


def event_schedule(K, timing_states):
    """Discrete-event simulation with Exp(1) compute times: returns ``(schedule, delays, clock)``."""
    rngs = [XoshiroPlus(row) for row in timing_states]
    heap = [(rngs[i].exponential(), i) for i in range(len(rngs))]
    heapq.heapify(heap)
    read = [0] * len(rngs)
    schedule, delays = [], []
    clock = 0.0
    for k in range(K):
        clock, worker = heapq.heappop(heap)
        schedule.append((worker, read[worker]))
        delays.append(k - read[worker])
        read[worker] = k + 1
        heapq.heappush(heap, (clock + rngs[worker].exponential(), worker))
    return schedule, delays, clock
