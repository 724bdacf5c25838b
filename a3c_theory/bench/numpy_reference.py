"""A plain per-sample NumPy implementation of the A3C-TD(0) update, option 1 (i.i.d.), one worker.

It is the baseline of ``speedup_vs_numpy`` and an independent check of the compiled kernel: fed the
same uniforms in the same order, it must reach the same ``(θ, ω)`` (tests/test_bench.py). Written as a
careful researcher would, not as a strawman: vectorised within each sample (softmax over the actions,
feature dot products), uniforms drawn from a ``numpy.random.Generator`` in large batches, and every
categorical draw by inverse CDF with ``np.searchsorted`` on precomputed CDFs.

One update at global count ``k`` (DESIGN.md §1, option 1), all directions from the current ``(θ, ω)``:

    s ~ μ_θ, a ~ π_θ(·|s), s' ~ P(·|s, a),      δ  = r(s, a, s') + γ φ(s')ᵀω − φ(s)ᵀω
    ŝ ~ d_θ, â ~ π_θ(·|ŝ), ŝ' ~ P(·|ŝ, â),      δ̂ = r(ŝ, â, ŝ') + γ φ(ŝ')ᵀω − φ(ŝ)ᵀω
    s^p ~ η_p, a^p ~ π_p(·|s^p)                 (only when λ ≠ 0)
    ω ← Π_R(ω + β_k δ φ(s)),   θ ← θ + α_k (δ̂ ψ_θ(ŝ, â) + λ ψ_θ(s^p, a^p)),
    α_k = c_α (1 + k)^{−σ_α},  β_k = c_β (1 + k)^{−σ_β},  ψ_θ(s, a) = Σ_b (1[b = a] − π_θ(b|s)) f(s, b).

Uniforms are consumed in the compiled sampler's order (``engine.samplers.draw_update``): s, a, s', ŝ,
â, ŝ', then s^p, a^p. ``μ_θ`` and ``d_θ`` are held fixed (the compiled kernel's ``refresh`` chunk).
"""

import math

import numpy as np


class NumpyReference:
    """Option-1 updates of one worker in NumPy. ``mu`` and ``d`` are the sampling laws of the critic
    and actor states (normally ``μ_θ`` and ``d_θ`` of the current θ); the other arguments are the
    algorithm constants of DESIGN.md §1."""

    def __init__(self, problem, mu, d, *, lam: float, radius: float, c_alpha: float, sigma_alpha: float,
                 c_beta: float, sigma_beta: float):
        mdp = problem.mdp
        self.n_actions = mdp.n_actions
        self.gamma = mdp.gamma
        self.indptr = mdp.indptr
        self.next_state = mdp.next_state
        self.trans_cdf = mdp.cdf
        self.reward = mdp.reward
        self.phi = problem.critic_features
        self.actor_features = problem.policy.actor_features  # None: tabular
        self.mu_cdf = _cdf(mu)
        self.d_cdf = _cdf(d)
        self.prior_state_cdf = _cdf(problem.prior_states)
        self.prior_action_cdf = np.array([_cdf(row) for row in problem.prior_policy])
        self.lam = float(lam)
        self.radius = float(radius)
        self.c_alpha, self.sigma_alpha = float(c_alpha), float(sigma_alpha)
        self.c_beta, self.sigma_beta = float(c_beta), float(sigma_beta)
        self.draws_per_sample = 8 if self.lam != 0.0 else 6

    # ------------------------------------------------------------------ pieces of one sample
    def _policy(self, theta, s):
        """``π_θ(·|s)`` as a vector of length nA (softmax stabilised by the row maximum)."""
        nA = self.n_actions
        logits = theta[s * nA:(s + 1) * nA] if self.actor_features is None else self.actor_features[s] @ theta
        e = np.exp(logits - logits.max())
        return e * (1.0 / e.sum())

    def _transition(self, s, a, u):
        """``s' ~ P(·|s, a)`` by inverse CDF on the row's CDF; returns ``(s', r(s, a, s'))``."""
        row = s * self.n_actions + a
        lo, hi = self.indptr[row], self.indptr[row + 1]
        j = min(lo + int(self.trans_cdf[lo:hi].searchsorted(u, side="right")), hi - 1)
        return self.next_state[j], self.reward[j]

    @staticmethod
    def _draw(cdf, u):
        """Inverse-CDF draw: the smallest ``i`` with ``cdf[i] > u`` (the last index if none)."""
        return min(int(cdf.searchsorted(u, side="right")), cdf.shape[0] - 1)

    def _add_score_combination(self, theta, s, coef):
        """``θ += Σ_b coef_b f(s, b)`` (tabular: ``θ[s·nA + b] += coef_b``)."""
        nA = self.n_actions
        if self.actor_features is None:
            theta[s * nA:(s + 1) * nA] += coef
        else:
            theta += coef @ self.actor_features[s]

    def update(self, theta, w, k, u):
        """Apply update number ``k`` in place, consuming the uniforms ``u[0:draws_per_sample]``."""
        phi, gamma = self.phi, self.gamma
        # critic x = (s, a, s')
        s = self._draw(self.mu_cdf, u[0])
        a = self._draw(self._policy(theta, s).cumsum(), u[1])
        nxt, r = self._transition(s, a, u[2])
        v_next, v_s = phi[[nxt, s]] @ w
        delta_c = r + gamma * v_next - v_s
        # actor x̂ = (ŝ, â, ŝ')
        s_hat = self._draw(self.d_cdf, u[3])
        pi_hat = self._policy(theta, s_hat)
        a_hat = self._draw(pi_hat.cumsum(), u[4])
        nxt, r = self._transition(s_hat, a_hat, u[5])
        v_next, v_s = phi[[nxt, s_hat]] @ w
        delta_a = r + gamma * v_next - v_s
        actor_coef = -delta_a * pi_hat
        actor_coef[a_hat] += delta_a
        if self.lam != 0.0:
            sp = self._draw(self.prior_state_cdf, u[6])
            ap = self._draw(self.prior_action_cdf[sp], u[7])
            prior_coef = -self._policy(theta, sp)
            prior_coef[ap] += 1.0
        # apply with the step sizes of count k
        log_k = math.log(1.0 + k)
        alpha = self.c_alpha * math.exp(-self.sigma_alpha * log_k)
        beta = self.c_beta * math.exp(-self.sigma_beta * log_k)
        w += (beta * delta_c) * phi[s]
        self._add_score_combination(theta, s_hat, alpha * actor_coef)
        if self.lam != 0.0:
            self._add_score_combination(theta, sp, (alpha * self.lam) * prior_coef)
        norm_sq = w @ w
        if norm_sq > self.radius * self.radius:
            w *= self.radius / math.sqrt(norm_sq)

    def run(self, theta, w, k0: int, n: int, uniforms, batch: int = 4096):
        """Apply updates ``k0 ≤ k < k0 + n`` in place. ``uniforms(m)`` returns ``m`` fresh U[0, 1) draws
        (e.g. ``numpy.random.Generator.random``); they are requested ``batch`` samples at a time."""
        per = self.draws_per_sample
        k = k0
        while k < k0 + n:
            m = min(batch, k0 + n - k)
            rows = np.asarray(uniforms(m * per), dtype=np.float64).reshape(m, per).tolist()
            for row in rows:
                self.update(theta, w, k, row)
                k += 1


def _cdf(p) -> np.ndarray:
    """CDF of a probability vector with the last entry exactly 1 (as the compiled sampler's CDFs)."""
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, None)
    cdf = np.cumsum(p / p.sum())
    cdf[-1] = 1.0
    return cdf
