"""Unbiasedness of the compiled one-sample estimators (the code the kernels run) against exact.py.

Each test draws 10^6 updates in one compiled call (``samplers.update_means``: 1,000 batch means of 1,000
consecutive draws) and compares, coordinate by coordinate, the mean with its closed form:

- critic ``g = δ(x, ω)φ(s)``: ``E[g] = A_θω + b_θ`` (``exact.critic_direction_mean``; μ = d_θ for the shared
  variant); n-step: ``Φᵀ D_μ (Σ_{i<n}(γP_π)^i r_π + ((γP_π)^n − I)Φω)``;
- actor ``v = δ(x̂, ω)ψ_θ(ŝ, â)``: ``exact.actor_direction_mean`` (= ∇J with one-hot critic features and
  ω = V); n-step: the same with the n-step action value;
- prior ``ψ_θ(x^p)``: ``∇R(θ)`` (``exact.regulariser_gradient``).

Test statistic: ``t_j = (mean_j − expected_j) / (sd_j / √B)`` with ``sd_j`` the standard deviation of the
B = 1,000 batch means (batch means absorb the autocorrelation of the Markovian samples, which are taken
after a burn-in of 10^4 draws; the 6-state chains mix in a few steps, so batches of 1,000 are nearly
independent). Each test rejects if any |t_j| exceeds the two-sided Student-t quantile at level
1e-6 / m (Bonferroni over its m coordinates): false-alarm probability ≤ 1e-6 per test.
Seeds are fixed, so the outcome is deterministic.
"""

import numpy as np
import pytest
from numba import njit
from scipy import stats

from a3c_theory import exact
from a3c_theory import features as feats
from a3c_theory import policy as pol
from a3c_theory.engine import rng as engine_rng
from a3c_theory.engine import samplers
from a3c_theory.mdp import FiniteMDP, paper_mdp
from a3c_theory.problem import Problem
from a3c_theory.reference import XoshiroPlus

FALSE_ALARM = 1e-6
N_BATCHES = 1000
BATCH_SIZE = 1000
BURN_IN = 10_000


def _problem(seed=0, actor="tabular", critic="random"):
    """6 states, 3 actions, γ = 0.8; a non-uniform prior policy and prior state law."""
    rng = np.random.default_rng(seed)
    mdp = paper_mdp(seed, n_states=6, n_actions=3, gamma=0.8)
    Phi = feats.one_hot(6) if critic == "one_hot" else feats.random_features(seed + 1, 6, 4)
    policy = pol.tabular(6, 3) if actor == "tabular" else pol.linear(feats.random_actor_features(seed + 2, 6, 3, 4))
    prior = rng.dirichlet(np.ones(3), size=6)
    prior_states = rng.dirichlet(np.ones(6))
    return Problem.make(mdp, Phi, policy, prior_policy=prior, prior_states=prior_states)


def _means(problem, theta, w, sampling, n_step=1, seed=0):
    pi = problem.policy.probabilities(theta)
    arrays = samplers.problem_arrays(problem, mu=exact.stationary_distribution(problem.mdp, pi),
                                     d=exact.discounted_visitation(problem.mdp, pi))
    states = engine_rng.seed_states(np.random.SeedSequence(seed), 1)
    burn_in = 0 if sampling == samplers.IID else BURN_IN
    return samplers.update_means(arrays, theta, w, sampling, n_step, states, N_BATCHES, BATCH_SIZE, burn_in)


def _assert_unbiased(batch_means_by_name: dict, expected_by_name: dict):
    """Bonferroni-corrected per-coordinate t-tests over every coordinate of every estimator given."""
    m = sum(np.size(v) for v in expected_by_name.values())
    threshold = stats.t.isf(FALSE_ALARM / (2 * m), N_BATCHES - 1)
    for name, batch_means in batch_means_by_name.items():
        expected = expected_by_name[name]
        mean = batch_means.mean(axis=0)
        se = batch_means.std(axis=0, ddof=1) / np.sqrt(N_BATCHES)
        constant = se == 0  # coordinates that are exactly zero in every draw
        np.testing.assert_allclose(mean[constant], expected[constant], atol=1e-12, err_msg=name)
        t = np.abs(mean[~constant] - expected[~constant]) / se[~constant]
        assert t.max(initial=0.0) < threshold, (
            f"{name}: max |t| = {t.max():.2f} >= {threshold:.2f}; mean {mean}, expected {expected}")


def _random_params(problem, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(scale=0.7, size=problem.policy.dim), rng.normal(scale=1.0, size=problem.critic_dim)


def _nstep_means(problem, theta, w, n, mu, d):
    """Closed forms of the n-step critic and actor means (module docstring)."""
    mdp, Phi = problem.mdp, problem.critic_features
    pi = problem.policy.probabilities(theta)
    P_pi = exact.policy_transition(mdp, pi, method="dense")
    P_pi = P_pi.toarray() if hasattr(P_pi, "toarray") else np.asarray(P_pi)
    r_pi = exact.policy_reward(mdp, pi)
    gP = mdp.gamma * P_pi
    # critic: Φᵀ D_μ (Σ_{i<n} (γP)^i r_π + (γP)^n Φω − Φω)
    acc, power = np.zeros(mdp.n_states), np.eye(mdp.n_states)
    for _ in range(n):
        acc += power @ r_pi
        power = power @ gP
    critic = Phi.T @ (mu * (acc + power @ Phi @ w - Phi @ w))
    # actor: Q^n(s, a) = r(s, a) + γ Σ_s' P(s'|s, a) U(s'), U = Σ_{i<n−1}(γP)^i r_π + (γP)^{n−1} Φω
    acc, power = np.zeros(mdp.n_states), np.eye(mdp.n_states)
    for _ in range(n - 1):
        acc += power @ r_pi
        power = power @ gP
    U = acc + power @ Phi @ w
    Q = mdp.expected_reward() + mdp.gamma * np.einsum("sat,t->sa", mdp.dense_P(), U)
    actor = problem.policy.score_sum(theta, d[:, None] * pi * (Q - (Phi @ w)[:, None]), pi)
    return critic, actor


@pytest.mark.parametrize("sampling", ["iid", "markov"])
def test_estimators_are_unbiased(sampling):
    problem = _problem(seed=1)
    theta, w = _random_params(problem, 2)
    G, V, Psi = _means(problem, theta, w, samplers.SAMPLING_CODES[sampling], seed=3)
    pi = problem.policy.probabilities(theta)
    expected = {
        "g": exact.critic_direction_mean(problem.mdp, problem.critic_features, pi, w),
        "v": exact.actor_direction_mean(problem, theta, w),
        "psi": exact.regulariser_gradient(problem.policy, theta, problem.prior_policy, problem.prior_states),
    }
    _assert_unbiased({"g": G, "v": V, "psi": Psi}, expected)


def test_shared_variant_means():
    """One transition from γP + (1−γ)η serves both: the critic's states follow d_θ, not μ_θ."""
    problem = _problem(seed=4)
    theta, w = _random_params(problem, 5)
    G, V, Psi = _means(problem, theta, w, samplers.SHARED, seed=6)
    pi = problem.policy.probabilities(theta)
    d = exact.discounted_visitation(problem.mdp, pi)
    expected = {
        "g": exact.critic_direction_mean(problem.mdp, problem.critic_features, pi, w, mu=d),
        "v": exact.actor_direction_mean(problem, theta, w),
    }
    _assert_unbiased({"g": G, "v": V}, expected)


def test_actor_estimator_is_the_policy_gradient_with_an_exact_critic():
    problem = _problem(seed=7, critic="one_hot")
    theta, _ = _random_params(problem, 8)
    V_true = exact.value(problem.mdp, problem.policy.probabilities(theta))
    _, V, _ = _means(problem, theta, V_true, samplers.IID, seed=9)
    _assert_unbiased({"v": V}, {"v": exact.policy_gradient(problem.mdp, problem.policy, theta)})


def test_linear_actor_estimators_are_unbiased():
    problem = _problem(seed=10, actor="linear")
    theta, w = _random_params(problem, 11)
    _, V, Psi = _means(problem, theta, w, samplers.IID, seed=12)
    expected = {
        "v": exact.actor_direction_mean(problem, theta, w),
        "psi": exact.regulariser_gradient(problem.policy, theta, problem.prior_policy, problem.prior_states),
    }
    _assert_unbiased({"v": V, "psi": Psi}, expected)


@pytest.mark.parametrize("n_step", [1, 3])
def test_nstep_markov_estimators_match_the_nstep_means(n_step):
    problem = _problem(seed=13)
    theta, w = _random_params(problem, 14)
    G, V, _ = _means(problem, theta, w, samplers.MARKOV, n_step=n_step, seed=15)
    pi = problem.policy.probabilities(theta)
    mu = exact.stationary_distribution(problem.mdp, pi)
    d = exact.discounted_visitation(problem.mdp, pi)
    critic, actor = _nstep_means(problem, theta, w, n_step, mu, d)
    if n_step == 1:  # the closed forms reduce to those of exact.py
        np.testing.assert_allclose(critic, exact.critic_direction_mean(problem.mdp, problem.critic_features, pi, w),
                                   atol=1e-12)
        np.testing.assert_allclose(actor, exact.actor_direction_mean(problem, theta, w), atol=1e-12)
    _assert_unbiased({"g": G, "v": V}, {"g": critic, "v": actor})


def test_the_test_detects_a_biased_law():
    """Power check: the i.i.d. critic mean under the wrong state law (d_θ instead of μ_θ) is rejected."""
    problem = _problem(seed=1)
    theta, w = _random_params(problem, 2)
    G, _, _ = _means(problem, theta, w, samplers.IID, seed=3)
    pi = problem.policy.probabilities(theta)
    wrong = exact.critic_direction_mean(problem.mdp, problem.critic_features, pi, w,
                                        mu=exact.discounted_visitation(problem.mdp, pi))
    with pytest.raises(AssertionError):
        _assert_unbiased({"g": G}, {"g": wrong})


def test_compiled_rng_matches_the_reference_xoshiro256plus():
    states = engine_rng.seed_states(np.random.SeedSequence(42), 3)
    reference = XoshiroPlus(states[1])
    out = np.empty(1000)
    engine_rng.fill_uniform(states, 1, out)
    expected = np.array([reference.uniform() for _ in range(1000)])
    np.testing.assert_array_equal(out, expected)
    assert [int(x) for x in states[1]] == reference.s  # the stream was advanced in place
    assert 0.0 <= out.min() and out.max() < 1.0


def test_seed_states_are_distinct_and_reproducible():
    a = engine_rng.seed_states(np.random.SeedSequence(7), 64)
    b = engine_rng.seed_states(np.random.SeedSequence(7), 64)
    np.testing.assert_array_equal(a, b)
    assert len({tuple(row) for row in a}) == 64


def test_seed_states_rows_are_the_spawned_childrens_states_never_all_zero():
    class AllZero:  # a stream whose generated state is all zero, which xoshiro cannot leave
        def spawn(self, n):
            return [self] * n

        def generate_state(self, n_words, dtype):
            return np.zeros(n_words, dtype)

    children = np.random.SeedSequence(7).spawn(5)
    expected = [child.generate_state(4, dtype=np.uint64).tolist() for child in children]
    assert engine_rng.seed_states(np.random.SeedSequence(7), 5).tolist() == expected
    assert engine_rng.seed_states(AllZero(), 2).tolist() == [[1, 2, 3, 4]] * 2
    assert engine_rng.seed_states(np.random.SeedSequence(7), 0).shape == (0, 4)


# ----------------------------------------------------------------------------- a discriminating instance
def _discriminating_problem(actor: str, seed: int = 2):
    """6 states, 3 actions, γ = 0.6, rows ``P[s, a] ~ Dirichlet(0.3)`` (far from uniform), η with 0.85 on
    state 0: ``d_θ`` stays near η while ``μ_θ`` spreads out, so TV(μ_θ, d_θ) ≥ 0.2 (checked below). On the
    near-uniform instance above (TV ≈ 0.01) a Markov actor chain that never restarts, a shared TD error that
    uses the post-restart state, or an i.i.d. actor state drawn from μ_θ would shift the means by less
    than the test can see; here each of them is rejected."""
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(6, 0.3), size=(6, 3))
    eta = np.array([0.85, 0.03, 0.03, 0.03, 0.03, 0.03])
    mdp = FiniteMDP.from_dense(P, rng.uniform(size=(6, 3)), 0.6, eta)
    policy = pol.tabular(6, 3) if actor == "tabular" else pol.linear(feats.random_actor_features(seed + 2, 6, 3, 4))
    prior = rng.dirichlet(np.ones(3), size=6)
    return Problem.make(mdp, feats.random_features(seed + 1, 6, 4), policy, prior_policy=prior,
                        prior_states=rng.dirichlet(np.ones(6)))


@pytest.mark.parametrize("actor", ["tabular", "linear"])
@pytest.mark.parametrize("sampling", ["iid", "markov", "shared"])
def test_estimators_are_unbiased_on_a_discriminating_instance(sampling, actor):
    """All three estimators, false-alarm probability ≤ 1e-6 (module docstring), on an instance where the
    critic and actor sampling laws differ: TV(μ_θ, d_θ) ≥ 0.2 and every row of P at TV ≥ 0.25 from uniform."""
    problem = _discriminating_problem(actor)
    theta, w = _random_params(problem, 3)
    pi = problem.policy.probabilities(theta)
    mu = exact.stationary_distribution(problem.mdp, pi)
    d = exact.discounted_visitation(problem.mdp, pi)
    assert 0.5 * np.abs(mu - d).sum() >= 0.2
    assert (0.5 * np.abs(problem.mdp.dense_P() - 1 / 6).sum(axis=2)).min() >= 0.25
    G, V, Psi = _means(problem, theta, w, samplers.SAMPLING_CODES[sampling], seed=4)
    expected = {
        "g": exact.critic_direction_mean(problem.mdp, problem.critic_features, pi, w,
                                         mu=d if sampling == "shared" else mu),
        "v": exact.actor_direction_mean(problem, theta, w),
        "psi": exact.regulariser_gradient(problem.policy, theta, problem.prior_policy, problem.prior_states),
    }
    _assert_unbiased({"g": G, "v": V, "psi": Psi}, expected)


# ----------------------------------------------------------------------------- guide-table draws
@njit
def _guided_draws(cdf, lo, hi, guide, g_lo, m, us):
    out = np.empty(us.shape[0], np.int64)
    for i in range(us.shape[0]):
        out[i] = samplers.categorical_cdf(cdf, lo, hi, guide, g_lo, m, us[i])
    return out


def _inverse_cdf(cdf, us):
    """The smallest i with cdf[i] > u, else the last index: the draw's definition."""
    return np.minimum(np.searchsorted(cdf, us, side="right"), cdf.size - 1)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 100, 129])
def test_guided_draw_is_the_inverse_cdf_draw(n):
    """On CDFs with zero-probability entries (also at both ends), a last entry 1 and a CDF whose mass sits
    in one bucket, the guide-table draw equals the smallest i with cdf[i] > u (else n − 1) for 20,000
    uniforms, every bucket boundary j/m, every CDF value and its neighbours below and above."""
    rng = np.random.default_rng(n)
    for p in (rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n)) * (rng.random(n) < 0.4),
              np.eye(n)[n - 1], np.eye(n)[0], np.r_[np.full(n - 1, 1e-9), 1.0][:n]):
        if p.sum() == 0:
            p = np.eye(n)[n // 2]
        cdf = samplers.distribution_cdf(p)
        guide = samplers.guide_table(cdf)
        m = guide.size
        assert m == samplers.guide_size(n) and m >= n and m & (m - 1) == 0
        us = np.concatenate([rng.random(20_000), np.arange(m) / m, cdf, np.nextafter(cdf, 0.0),
                             np.nextafter(cdf, 1.0)])
        us = us[(us >= 0.0) & (us < 1.0)]
        got = _guided_draws(cdf, 0, n, guide, 0, m, us)
        np.testing.assert_array_equal(got, _inverse_cdf(cdf, us))
        assert np.all(p[got] > 0) or n == 1


def test_transition_row_guides_draw_each_rows_inverse_cdf():
    """problem_arrays' per-row guide tables: for every (s, a) row of a 20-state MDP whose rows have 1 to 20
    successors, the guided draw equals the inverse-CDF draw of that row."""
    rng = np.random.default_rng(3)
    P = rng.dirichlet(np.ones(20), size=(20, 3))
    for s in range(20):
        for a in range(3):
            P[s, a, rng.permutation(20)[: (s * 3 + a) % 20]] = 0.0
    P /= P.sum(axis=2, keepdims=True)
    mdp = FiniteMDP.from_dense(P, rng.random((20, 3)), 0.9, np.full(20, 1 / 20))
    assert set(np.diff(mdp.indptr)) == set(range(1, 21))
    problem = Problem.make(mdp, feats.one_hot(20), pol.tabular(20, 3))
    pa = samplers.problem_arrays(problem)
    us = np.random.default_rng(0).random(2000)
    for row in range(60):
        lo, hi = pa.indptr[row], pa.indptr[row + 1]
        g_lo, g_hi = pa.trans_guide_ptr[row], pa.trans_guide_ptr[row + 1]
        got = _guided_draws(pa.trans_cdf, lo, hi, pa.trans_guide, g_lo, g_hi - g_lo, us)
        np.testing.assert_array_equal(got, lo + _inverse_cdf(pa.trans_cdf[lo:hi], us))
