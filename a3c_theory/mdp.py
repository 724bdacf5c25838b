"""Finite MDPs in one sparse row format, with validation and seeded generators.

An MDP has states ``S = {0..nS-1}``, actions ``A = {0..nA-1}``, transition ``P[s, a, s']``, reward
``r(s, a, s')``, discount ``gamma`` in (0, 1) and initial distribution ``eta``.

Storage: the transition of state-action pair ``(s, a)`` is row ``i = s * nA + a``; its
successors are ``next_state[indptr[i]:indptr[i+1]]`` with probabilities ``prob[...]``, rewards
``reward[...]`` and the within-row cumulative sum ``cdf[...]`` (last entry exactly 1) used for
inverse-CDF sampling. A dense ``(nS, nA, nS)`` array is stored the same way with its zero entries
dropped, so the dense and sparse constructors give the same object. A 100,000-state, 5-action,
branching-10 MDP takes 5e6 entries * 28 bytes = 140 MB.

An episodic problem is made ergodic by sending terminal transitions to ``eta`` (``make_ergodic``): the
discounted objective is unchanged as long as the terminal reward is collected on that transition,
but the chain now restarts, so ``mu_theta`` exists and Markovian sampling never gets stuck.
"""

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .errors import ValidationError
from .validate import PROBABILITY_TOL, finite_array, open_unit_interval, positive_int, probability_vector


@dataclass(frozen=True, eq=False)
class FiniteMDP:
    """A validated finite MDP in sparse row form (see module docstring). Build it with
    :meth:`from_dense` or :meth:`from_rows`; the constructor itself trusts its arguments."""

    n_states: int
    n_actions: int
    gamma: float
    eta: np.ndarray
    indptr: np.ndarray
    next_state: np.ndarray
    prob: np.ndarray
    reward: np.ndarray
    cdf: np.ndarray = field(repr=False)
    eta_cdf: np.ndarray = field(repr=False)

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_dense(cls, P, reward, gamma, eta) -> "FiniteMDP":
        """Build from ``P`` of shape (nS, nA, nS) and ``reward`` of shape (nS, nA) or (nS, nA, nS)."""
        P = finite_array("P", P, ndim=3)
        n_states, n_actions, n_next = P.shape
        if n_next != n_states or n_states < 1 or n_actions < 1:
            raise ValidationError("P", f"must have shape (nS, nA, nS), got {P.shape}")
        if np.any(P < 0):
            s, a, t = np.argwhere(P < 0)[0]
            raise ValidationError("P", f"entry P[{s}, {a}, {t}] = {P[s, a, t]:.3g} is negative")
        reward = finite_array("reward", reward)
        if reward.shape == (n_states, n_actions):
            reward = np.broadcast_to(reward[:, :, None], P.shape)
        elif reward.shape != P.shape:
            raise ValidationError(
                "reward", f"must have shape {(n_states, n_actions)} or {P.shape}, got {reward.shape}"
            )
        flat = P.reshape(n_states * n_actions, n_states)
        empty = np.flatnonzero(~flat.any(axis=1))
        if empty.size:
            s, a = divmod(int(empty[0]), n_actions)
            raise ValidationError("P", f"row (s={s}, a={a}) is all zero; each row must sum to 1 "
                                  f"({empty.size} such row(s))")
        rows, cols = np.nonzero(flat)
        indptr = np.zeros(n_states * n_actions + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_states * n_actions), out=indptr[1:])
        return cls.from_rows(
            n_states, n_actions, indptr, cols, flat[rows, cols],
            reward.reshape(n_states * n_actions, n_states)[rows, cols], gamma, eta,
        )

    @classmethod
    def from_rows(cls, n_states, n_actions, indptr, next_state, prob, reward, gamma, eta) -> "FiniteMDP":
        """Build from the sparse row form: row ``s * nA + a`` holds successors, probabilities, rewards."""
        n_states = positive_int("n_states", n_states)
        n_actions = positive_int("n_actions", n_actions)
        gamma = open_unit_interval("gamma", gamma)
        eta = probability_vector("eta", eta, n_states)
        n_rows = n_states * n_actions
        indptr = finite_array("indptr", indptr, dtype=np.int64, ndim=1)
        if indptr.shape != (n_rows + 1,) or indptr[0] != 0 or np.any(np.diff(indptr) < 1):
            raise ValidationError(
                "indptr", f"must have length nS*nA+1 = {n_rows + 1}, start at 0 and give every row >= 1 entry"
            )
        nnz = int(indptr[-1])
        next_state = finite_array("next_state", next_state, dtype=np.int64, ndim=1)
        prob = finite_array("P", prob, ndim=1)
        reward = finite_array("reward", reward, ndim=1)
        for name, arr in (("next_state", next_state), ("P", prob), ("reward", reward)):
            if arr.shape != (nnz,):
                raise ValidationError(name, f"must have {nnz} entries (indptr[-1]), got {arr.shape[0]}")
        if nnz and (next_state.min() < 0 or next_state.max() >= n_states):
            raise ValidationError("next_state", f"entries must lie in [0, {n_states - 1}]")
        if np.any(prob < 0):
            raise ValidationError("P", f"has a negative probability ({prob.min():.3g}); entries must be >= 0")
        row_sums = np.add.reduceat(prob, indptr[:-1])
        bad = np.flatnonzero(np.abs(row_sums - 1.0) > PROBABILITY_TOL)
        if bad.size:
            s, a = divmod(int(bad[0]), n_actions)
            raise ValidationError(
                "P", f"row (s={s}, a={a}) sums to {row_sums[bad[0]]:.12g}; each row must sum to 1 "
                f"within {PROBABILITY_TOL:g} ({bad.size} bad row(s))"
            )
        cdf = _row_cdf(prob, indptr)
        eta_cdf = np.cumsum(eta)
        eta_cdf[-1] = 1.0
        return cls(
            n_states, n_actions, gamma, eta, indptr,
            next_state.astype(np.int32 if n_states < 2**31 else np.int64), prob, reward, cdf, eta_cdf,
        )

    # ----------------------------------------------------------------- views
    @property
    def n_rows(self) -> int:
        """Number of state-action rows, nS * nA."""
        return self.n_states * self.n_actions

    @property
    def r_max(self) -> float:
        """max |r(s, a, s')| over transitions with positive probability."""
        return float(np.abs(self.reward).max())

    def expected_reward(self) -> np.ndarray:
        """``r(s, a) = sum_s' P[s, a, s'] r(s, a, s')``, shape (nS, nA)."""
        weighted = np.add.reduceat(self.prob * self.reward, self.indptr[:-1])
        return weighted.reshape(self.n_states, self.n_actions)

    def transition_matrix(self) -> sp.csr_matrix:
        """``P`` as a CSR matrix of shape (nS * nA, nS), row ``s * nA + a``."""
        return sp.csr_matrix(
            (self.prob, self.next_state, self.indptr), shape=(self.n_rows, self.n_states)
        )

    def dense_P(self) -> np.ndarray:
        """``P`` as a dense (nS, nA, nS) array; for small problems only."""
        return self.transition_matrix().toarray().reshape(self.n_states, self.n_actions, self.n_states)

    def with_gamma(self, gamma: float) -> "FiniteMDP":
        """The same MDP with another discount factor."""
        return FiniteMDP.from_rows(
            self.n_states, self.n_actions, self.indptr, self.next_state, self.prob, self.reward, gamma, self.eta
        )

    def nbytes(self) -> int:
        """Memory held by the arrays of this MDP."""
        return sum(a.nbytes for a in (self.eta, self.indptr, self.next_state, self.prob, self.reward,
                                      self.cdf, self.eta_cdf))


def _row_cdf(prob: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Within-row cumulative sums of ``prob``, with each row's last entry set to exactly 1."""
    cdf = np.cumsum(prob)
    starts = indptr[:-1]
    offsets = np.repeat(cdf[starts] - prob[starts], np.diff(indptr))
    cdf -= offsets
    cdf[indptr[1:] - 1] = 1.0
    return cdf


def make_ergodic(P, terminal, eta) -> np.ndarray:
    """Return a copy of dense ``P`` where every transition into a terminal state restarts from ``eta``.

    ``terminal`` is a boolean mask over states. The mass ``P[s, a, t]`` of each terminal ``t`` is moved
    to ``P[s, a, t] * eta``; rewards attached to the original transitions should be folded into
    ``r(s, a)`` by the caller (use the (nS, nA) reward form).
    """
    P = finite_array("P", P, ndim=3).copy()
    terminal = np.asarray(terminal, dtype=bool)
    eta = probability_vector("eta", eta, P.shape[0])
    if terminal.shape != (P.shape[0],):
        raise ValidationError("terminal", f"must be a boolean mask of shape ({P.shape[0]},)")
    mass = P[:, :, terminal].sum(axis=2)
    P[:, :, terminal] = 0.0
    P += mass[:, :, None] * eta[None, None, :]
    return P


# --------------------------------------------------------------------- generators
REWARD_FORMS = ("state_action", "transition")


def paper_mdp(seed, n_states: int = 100, n_actions: int = 5, gamma: float = 0.9, eta=None,
              reward: str = "state_action") -> FiniteMDP:
    """The paper's synthetic instance: ``P`` with U(0, 1) entries, rows normalised, and U(0, 1) rewards.

    The paper says only that "rewards" have U(0, 1) entries. ``reward="state_action"`` (default) draws a
    table ``r(s, a)``; ``"transition"`` draws ``r(s, a, s')``. With near-uniform rows of P the transition
    form averages 100 draws per ``(s, a)``: its advantages are ~0.03 against a per-sample reward noise of
    0.29, and ``J* − J(uniform)`` is ~0.04 (seed 0), so nothing visibly learns in the paper's horizon. The
    table form gives ``J* − J ≈ 0.36`` and noise-free rewards. ``eta`` defaults to uniform over states;
    ``seed`` is an int or a ``numpy.random.SeedSequence``.
    """
    n_states = positive_int("n_states", n_states)
    n_actions = positive_int("n_actions", n_actions)
    if reward not in REWARD_FORMS:
        raise ValidationError("reward", f"must be one of {REWARD_FORMS}, got {reward!r}")
    rng = np.random.default_rng(seed)
    P = rng.uniform(0.0, 1.0, size=(n_states, n_actions, n_states))
    P /= P.sum(axis=2, keepdims=True)
    shape = (n_states, n_actions) if reward == "state_action" else (n_states, n_actions, n_states)
    reward = rng.uniform(0.0, 1.0, size=shape)
    eta = np.full(n_states, 1.0 / n_states) if eta is None else eta
    return FiniteMDP.from_dense(P, reward, gamma, eta)


def garnet(seed, n_states: int, n_actions: int, branching: int, gamma: float = 0.9, eta=None,
           locality: int | None = None) -> FiniteMDP:
    """A sparse random "garnet" MDP: each ``(s, a)`` has ``branching`` distinct successors with
    probabilities from a uniform random partition of [0, 1] and U(0, 1) rewards ``r(s, a, s')``.

    ``locality`` (optional) draws successors from the ring neighbourhood ``s ± locality`` instead of
    all states, which makes the chain mix slowly (mixing time grows like ``(nS / locality)^2``). Such
    chains also localise (a random walk in a random environment): the config garnet with 20,000 states,
    5 actions, ``locality = 3``, ``branching = 4``, γ = 0.99, ``problem.seed = 5`` has 14,333 states with
    ``μ < 1e-10`` under the uniform policy, and its ``μ_θ`` is ill-conditioned (a nearly decomposable
    chain, κ₁ ~ 1e13; see ``exact.stationary_accuracy``).
    ``n_actions = branching = 1`` can give several closed classes (no unique ``μ_θ``), which
    ``config.build_problem`` refuses.
    Memory and time are linear in ``nS * nA * branching``.
    """
    n_states = positive_int("n_states", n_states)
    n_actions = positive_int("n_actions", n_actions)
    branching = positive_int("branching", branching, maximum=n_states)
    if locality is not None:
        locality = positive_int("locality", locality, maximum=n_states)
        if 2 * locality + 1 < branching:
            raise ValidationError("locality", f"2*locality+1 must be >= branching ({branching}), got {locality}")
    rng = np.random.default_rng(seed)
    n_rows = n_states * n_actions
    if locality is None:
        next_state = _distinct_draws(rng, n_rows, branching, n_states)
    else:
        window = min(2 * locality + 1, n_states)
        offsets = _distinct_draws(rng, n_rows, branching, window) - (window // 2)
        origins = np.repeat(np.arange(n_states), n_actions)[:, None]
        next_state = (origins + offsets) % n_states
    cuts = np.sort(rng.uniform(0.0, 1.0, size=(n_rows, branching - 1)), axis=1)
    prob = np.diff(np.concatenate([np.zeros((n_rows, 1)), cuts, np.ones((n_rows, 1))], axis=1), axis=1)
    reward = rng.uniform(0.0, 1.0, size=(n_rows, branching))
    order = np.argsort(next_state, axis=1)
    take = lambda a: np.take_along_axis(a, order, axis=1).ravel()  # noqa: E731
    indptr = np.arange(0, n_rows * branching + 1, branching, dtype=np.int64)
    eta = np.full(n_states, 1.0 / n_states) if eta is None else eta
    return FiniteMDP.from_rows(n_states, n_actions, indptr, take(next_state), take(prob), take(reward), gamma, eta)


def _distinct_draws(rng: np.random.Generator, n_rows: int, k: int, n: int) -> np.ndarray:
    """``n_rows`` rows of ``k`` distinct integers from [0, n), vectorised (redraws rows with repeats)."""
    out = rng.integers(0, n, size=(n_rows, k))
    while True:
        srt = np.sort(out, axis=1)
        dup = np.any(srt[:, 1:] == srt[:, :-1], axis=1) if k > 1 else np.zeros(n_rows, bool)
        if not dup.any():
            return out
        if k > n // 2:  # dense draws: a permutation prefix per bad row is faster than rejection
            for i in np.flatnonzero(dup):
                out[i] = rng.permutation(n)[:k]
        else:
            out[dup] = rng.integers(0, n, size=(int(dup.sum()), k))
