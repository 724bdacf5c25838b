"""Exact calculus (DESIGN.md §1): every quantity checked against its defining property or an independent
computation written out in the test (finite differences, truncated series, explicit triple sums)."""

import warnings

import numpy as np
import pytest
from hypothesis import Phase, given, settings, strategies as st

from a3c_theory import config
from a3c_theory import exact as ex
from a3c_theory import features as F
from a3c_theory import mdp as M
from a3c_theory import policy as P
from a3c_theory.errors import ConditioningWarning, ValidationError
from a3c_theory.mdp import FiniteMDP
from a3c_theory.problem import Problem, garnet_problem, paper_problem

NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
"""Failures are reported as drawn, unshrunk: shrinking these float-heavy examples can take minutes."""

FD_STEP = 1e-3
FD_TOL = 1e-9
"""Five-point central differences ``[f(−2h) − 8f(−h) + 8f(h) − f(2h)]/(12h)``: rounding error
≈ (18/12)·ε·|f|/h ≈ 3.3e-13 for |f| ≤ 1 (rewards in [−1, 1] so |J| ≤ 1, and |R| ≲ 10 here), truncation
h⁴/30·|f⁽⁵⁾| ≈ 3e-14·|f⁽⁵⁾|. Measured worst case over 300 random instances: 1e-12, so 1e-9 leaves a
1000× margin while a wrong factor (e.g. a missing 1−γ, which changes ∇J by ≥ 5 %) fails by orders of
magnitude."""


# ----------------------------------------------------------------------------- random instances
def _instance(seed, nS, nA, gamma, kind="tabular", critic="random"):
    """A dense random MDP (some zero transitions, rewards r(s,a,s') in [−1, 1], random η), random prior,
    and the dense arrays (P, r) the test uses for its independent computations."""
    rng = np.random.default_rng(seed)
    Pm = rng.uniform(size=(nS, nA, nS)) * (rng.uniform(size=(nS, nA, nS)) < 0.7)
    Pm[np.arange(nS), :, (np.arange(nS) + 1) % nS] += 1e-3  # a ring: irreducible, so μ_θ > 0 everywhere
    Pm /= Pm.sum(axis=2, keepdims=True)
    r = rng.uniform(-1, 1, size=(nS, nA, nS))
    mdp = M.FiniteMDP.from_dense(Pm, r, gamma, rng.dirichlet(np.ones(nS)))
    policy = P.tabular(nS, nA) if kind == "tabular" else P.linear(rng.uniform(-1, 1, size=(nS, nA, 3)))
    Phi = F.one_hot(nS) if critic == "one_hot" else F.random_features(seed, nS, max(1, nS // 2))
    problem = Problem.make(mdp, Phi, policy, rng.dirichlet(np.ones(nA), size=nS), rng.dirichlet(np.ones(nS)))
    theta = 2.0 * rng.normal(size=policy.dim)
    return problem, theta, Pm, r


def _fd(f, theta, h=FD_STEP):
    g = np.empty(theta.size)
    for i in range(theta.size):
        e = np.zeros(theta.size)
        e[i] = h
        g[i] = (f(theta - 2 * e) - 8 * f(theta - e) + 8 * f(theta + e) - f(theta + 2 * e)) / (12 * h)
    return g


def _P_pi(Pm, pi):
    return np.einsum("sa,sat->st", pi, Pm)


small_instances = dict(
    seed=st.integers(0, 2**31), nS=st.integers(2, 8), nA=st.integers(2, 4), gamma=st.floats(0.5, 0.95),
    kind=st.sampled_from(["tabular", "linear"]),
)


# ----------------------------------------------------------------------------- gradients
@settings(max_examples=40, deadline=None, phases=NO_SHRINK)
@given(**small_instances, lam=st.floats(0.0, 2.0))
def test_gradients_equal_finite_differences(seed, nS, nA, gamma, kind, lam):
    problem, theta, _, _ = _instance(seed, nS, nA, gamma, kind)
    mdp, pol = problem.mdp, problem.policy
    J = lambda t: ex.objective(mdp, pol.probabilities(t))  # noqa: E731
    R = lambda t: ex.regulariser(problem.prior_policy, problem.prior_states, pol.probabilities(t))  # noqa: E731
    np.testing.assert_allclose(ex.policy_gradient(mdp, pol, theta), _fd(J, theta), rtol=0, atol=FD_TOL)
    np.testing.assert_allclose(ex.regulariser_gradient(pol, theta, problem.prior_policy, problem.prior_states),
                               _fd(R, theta), rtol=0, atol=FD_TOL)
    Jl = lambda t: ex.regularised_objective(problem, t, lam)  # noqa: E731
    np.testing.assert_allclose(ex.regularised_gradient(problem, theta, lam), _fd(Jl, theta),
                               rtol=0, atol=FD_TOL * (1 + lam))


# ----------------------------------------------------------------------------- distributions and values
@settings(max_examples=40, deadline=None, phases=NO_SHRINK)
@given(**small_instances)
def test_mu_d_and_V_satisfy_their_definitions(seed, nS, nA, gamma, kind):
    problem, theta, Pm, r = _instance(seed, nS, nA, gamma, kind)
    mdp = problem.mdp
    pi = problem.policy.probabilities(theta)
    Ppi = _P_pi(Pm, pi)
    r_pi = np.einsum("sa,sat,sat->s", pi, Pm, r)
    np.testing.assert_allclose(ex.policy_transition(mdp, pi), Ppi, rtol=0, atol=1e-15)
    np.testing.assert_allclose(ex.policy_reward(mdp, pi), r_pi, rtol=0, atol=1e-14)

    mu = ex.stationary_distribution(mdp, pi)
    assert np.all(mu >= 0) and mu.sum() == pytest.approx(1.0, abs=1e-14)
    np.testing.assert_allclose(mu @ Ppi, mu, rtol=0, atol=1e-13)

    d = ex.discounted_visitation(mdp, pi)
    actor_kernel = gamma * Ppi + (1 - gamma) * np.outer(np.ones(nS), mdp.eta)
    np.testing.assert_allclose(d @ actor_kernel, d, rtol=0, atol=1e-13)
    series, row = np.zeros(nS), mdp.eta.copy()
    for t in range(int(np.ceil(np.log(1e-17) / np.log(gamma)))):  # γ^T < 1e-17
        series += (1 - gamma) * gamma**t * row
        row = row @ Ppi
    np.testing.assert_allclose(d, series, rtol=0, atol=1e-13)

    V = ex.value(mdp, pi)
    np.testing.assert_allclose(V, r_pi + gamma * Ppi @ V, rtol=0, atol=1e-12)  # Bellman equation
    Q = ex.q_values(mdp, pi)
    np.testing.assert_allclose(Q, np.einsum("sat,sat->sa", Pm, r + gamma * V[None, None, :]), atol=1e-12)
    adv = ex.advantage(mdp, pi)
    np.testing.assert_allclose((pi * adv).sum(axis=1), 0.0, atol=1e-12)
    assert ex.objective(mdp, pi) == pytest.approx((1 - gamma) * mdp.eta @ V, abs=1e-14)


# ----------------------------------------------------------------------------- linear critic
@settings(max_examples=30, deadline=None, phases=NO_SHRINK)
@given(**small_instances)
def test_critic_matrices_are_the_mean_td_update(seed, nS, nA, gamma, kind):
    """A_θω + b_θ equals the explicit triple sum Σ_{s,a,s'} μ(s)π(a|s)P[s,a,s'] δ φ(s), and vanishes at ω*."""
    problem, theta, Pm, r = _instance(seed, nS, nA, gamma, kind)
    mdp, Phi = problem.mdp, problem.critic_features
    pi = problem.policy.probabilities(theta)
    w = np.random.default_rng(seed).normal(size=Phi.shape[1])
    for mu in (ex.stationary_distribution(mdp, pi), ex.discounted_visitation(mdp, pi)):  # iid and shared
        v = Phi @ w
        delta = r + gamma * v[None, None, :] - v[:, None, None]
        explicit = np.einsum("s,sa,sat,sat,sd->d", mu, pi, Pm, delta, Phi)
        np.testing.assert_allclose(ex.critic_direction_mean(mdp, Phi, pi, w, mu=mu), explicit, atol=1e-12)
    A, b = ex.critic_matrices(mdp, Phi, pi)
    w_star = ex.td_fixed_point(mdp, Phi, pi)
    np.testing.assert_allclose(A @ w_star + b, 0.0, atol=1e-10 * (1 + np.abs(w_star).max()))
    np.testing.assert_allclose(ex.critic_direction_mean(mdp, Phi, pi, w_star), 0.0,
                               atol=1e-10 * (1 + np.abs(w_star).max()))
    assert np.linalg.norm(b) <= mdp.r_max + 1e-12  # ‖b‖ ≤ r_max since ‖φ‖ ≤ 1


@settings(max_examples=30, deadline=None, phases=NO_SHRINK)
@given(**small_instances)
def test_one_hot_critic_is_exact(seed, nS, nA, gamma, kind):
    """Tabular features: Φω* = V, ε_app = 0, and the actor mean at ω = V is the policy gradient."""
    problem, theta, _, _ = _instance(seed, nS, nA, gamma, kind, critic="one_hot")
    mdp, Phi = problem.mdp, problem.critic_features
    pi = problem.policy.probabilities(theta)
    V = ex.value(mdp, pi)
    np.testing.assert_allclose(Phi @ ex.td_fixed_point(mdp, Phi, pi), V, rtol=0, atol=1e-10)
    assert ex.approximation_error(mdp, Phi, pi) < 1e-10
    np.testing.assert_allclose(ex.actor_direction_mean(problem, theta, V),
                               ex.policy_gradient(mdp, problem.policy, theta), rtol=0, atol=1e-12)


@settings(max_examples=30, deadline=None, phases=NO_SHRINK)
@given(**small_instances)
def test_actor_direction_mean_is_the_explicit_expectation(seed, nS, nA, gamma, kind):
    problem, theta, Pm, r = _instance(seed, nS, nA, gamma, kind)
    mdp, Phi, pol = problem.mdp, problem.critic_features, problem.policy
    pi = pol.probabilities(theta)
    w = np.random.default_rng(seed + 1).normal(size=Phi.shape[1])
    d = ex.discounted_visitation(mdp, pi)
    v = Phi @ w
    delta_mean = np.einsum("sat,sat->sa", Pm, r + gamma * v[None, None, :]) - v[:, None]
    explicit = sum(d[s] * pi[s, a] * delta_mean[s, a] * pol.score(theta, s, a)
                   for s in range(nS) for a in range(nA))
    np.testing.assert_allclose(ex.actor_direction_mean(problem, theta, w), explicit, rtol=1e-10, atol=1e-12)


def test_approximation_error_definition():
    problem, theta, _, _ = _instance(5, 8, 3, 0.9)
    mdp, Phi = problem.mdp, problem.critic_features
    pi = problem.policy.probabilities(theta)
    mu, V, w = ex.stationary_distribution(mdp, pi), ex.value(mdp, pi), ex.td_fixed_point(mdp, Phi, pi)
    assert ex.approximation_error(mdp, Phi, pi) == pytest.approx(np.sqrt(mu @ (V - Phi @ w) ** 2), rel=1e-12)
    assert ex.approximation_error(mdp, Phi, pi) > 1e-3  # 4 features cannot represent V on 8 states


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_paper_instance_A_is_negative_definite(seed):
    """The symmetric part of A_θ is negative definite at θ = 0 and at random θ; the theory radius
    r_max/λ_min(−A_θ) bounds ‖ω*_θ‖."""
    problem = paper_problem(seed)
    rng = np.random.default_rng(seed)
    for theta in (np.zeros(problem.policy.dim), 3.0 * rng.normal(size=problem.policy.dim)):
        pi = problem.policy.probabilities(theta)
        A, _ = ex.critic_matrices(problem.mdp, problem.critic_features, pi)
        eigs = np.linalg.eigvalsh(0.5 * (A + A.T))
        print(f"paper_problem({seed}): largest eigenvalue of sym(A_θ) = {eigs[-1]:.4g}, smallest {eigs[0]:.4g}")
        assert eigs[-1] < 0
        radius = ex.theory_radius(problem, theta)
        assert radius == pytest.approx(problem.mdp.r_max / -eigs[-1], rel=1e-10)
        assert np.linalg.norm(ex.td_fixed_point(problem.mdp, problem.critic_features, pi)) <= radius


def test_singular_A_is_reported():
    """All transitions go to state 0, so μ = e_0; a feature living on state 1 gives A_θ = 0."""
    Pm = np.zeros((2, 2, 2))
    Pm[:, :, 0] = 1.0
    mdp = M.FiniteMDP.from_dense(Pm, np.ones((2, 2)), 0.9, [0.5, 0.5])
    problem = Problem.make(mdp, np.array([[0.0], [1.0]]))
    with pytest.raises(ValidationError) as info:
        ex.theory_radius(problem, np.zeros(4))
    assert info.value.field == "algorithm.radius" and "positive definite" in str(info.value)
    with pytest.raises(ValidationError) as info:
        ex.td_fixed_point(mdp, problem.critic_features, np.full((2, 2), 0.5))
    assert info.value.field == "critic_features" and "singular" in str(info.value)


# ----------------------------------------------------------------------------- optimal control
@settings(max_examples=30, deadline=None, phases=NO_SHRINK)
@given(seed=st.integers(0, 2**31), nS=st.integers(2, 8), nA=st.integers(2, 4), gamma=st.floats(0.5, 0.95))
def test_optimal_policy_and_bellman_optimality(seed, nS, nA, gamma):
    problem, _, Pm, r = _instance(seed, nS, nA, gamma)
    mdp = problem.mdp
    J_star = ex.optimal_objective(mdp)
    V_star = ex.optimal_value(mdp)
    Q_star = np.einsum("sat,sat->sa", Pm, r + gamma * V_star[None, None, :])
    assert np.abs(Q_star.max(axis=1) - V_star).max() < 1e-10  # Bellman optimality residual
    opt = ex.optimal_policy(mdp)
    assert set(np.unique(opt)) <= {0.0, 1.0} and np.all(opt.sum(axis=1) == 1)
    assert ex.objective(mdp, opt) == pytest.approx(J_star, abs=1e-12)
    rng = np.random.default_rng(seed)
    for _ in range(20):
        pi = rng.dirichlet(np.full(nA, 0.3), size=nS)
        assert ex.objective(mdp, pi) <= J_star + 1e-12


# ----------------------------------------------------------------------------- dense vs sparse
@pytest.fixture(scope="module")
def garnet300():
    problem = garnet_problem(4, 300, 4, 6, feature_dim=8)
    theta = np.random.default_rng(0).normal(size=problem.policy.dim)
    return problem, theta


SPARSE_TOL = 1e-7
"""GMRES stops at relative residual ITERATIVE_RTOL = 1e-10; the solution error is at most cond(M) times
that, with cond ≲ (1+γ)/(1−γ)·√nS ≈ 330 here, so ≤ 3.3e-8 relative."""


def test_dense_and_sparse_paths_agree(garnet300):
    problem, theta = garnet300
    mdp, Phi = problem.mdp, problem.critic_features
    pi = problem.policy.probabilities(theta)
    Pd, Ps = ex.policy_transition(mdp, pi, "dense"), ex.policy_transition(mdp, pi, "sparse")
    np.testing.assert_allclose(Ps.toarray(), Pd, rtol=0, atol=1e-15)
    for fn in (ex.value, ex.stationary_distribution, ex.discounted_visitation):
        dense, sparse = fn(mdp, pi, "dense"), fn(mdp, pi, "sparse")
        np.testing.assert_allclose(sparse, dense, rtol=SPARSE_TOL, err_msg=fn.__name__)
    for dense, sparse in zip(ex.critic_matrices(mdp, Phi, pi, method="dense"),
                             ex.critic_matrices(mdp, Phi, pi, method="sparse")):
        np.testing.assert_allclose(sparse, dense, rtol=SPARSE_TOL, atol=1e-12)
    g_dense = ex.policy_gradient(mdp, problem.policy, theta, "dense")
    g_sparse = ex.policy_gradient(mdp, problem.policy, theta, "sparse")
    assert np.linalg.norm(g_sparse - g_dense) <= SPARSE_TOL * np.linalg.norm(g_dense)
    assert ex.optimal_objective(mdp, "sparse") == pytest.approx(ex.optimal_objective(mdp, "dense"), rel=1e-10)


def test_warm_started_sparse_evaluator_agrees_with_dense(garnet300):
    problem, theta = garnet300
    dense, sparse = ex.Evaluator(problem, "dense"), ex.Evaluator(problem, "sparse")
    rng = np.random.default_rng(1)
    w = rng.normal(size=problem.critic_dim)
    for step in range(3):  # later calls start from the previous solutions
        theta = theta + 0.01 * rng.normal(size=theta.size)
        a, b = dense.metrics(theta, w, 0.5), sparse.metrics(theta, w, 0.5)
        for key in a:
            assert b[key] == pytest.approx(a[key], rel=SPARSE_TOL, abs=1e-12), key


def test_gmres_failure_raises(garnet300, monkeypatch):
    problem, theta = garnet300
    monkeypatch.setattr(ex, "GMRES_RESTART", 1)
    monkeypatch.setattr(ex, "GMRES_MAX_CYCLES", 1)
    pi = problem.policy.probabilities(theta)
    with pytest.raises(ex.ConvergenceError, match="residual"):
        ex.value(problem.mdp, pi, "sparse")


# ----------------------------------------------------------------------------- regulariser
def test_regulariser_values():
    pi_p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    eta_p = np.array([0.25, 0.75])
    assert ex.regulariser(pi_p, eta_p, pi_p) == 0.0  # KL(π‖π) = 0, with 0·log 0 = 0
    pi = np.array([[0.25, 0.25, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    kl0 = 0.5 * np.log(0.5 / 0.25) * 2
    kl1 = sum(p * np.log(p / (1 / 3)) for p in (0.2, 0.3, 0.5))
    assert ex.regulariser(pi_p, eta_p, pi) == pytest.approx(-(0.25 * kl0 + 0.75 * kl1), rel=1e-14)
    assert ex.regulariser(pi_p, eta_p, np.array([[1.0, 0.0, 0.0], pi[1]])) == -np.inf


# ----------------------------------------------------------------------------- evaluator
def test_evaluator_metrics_match_the_functions():
    problem, theta, _, _ = _instance(9, 7, 3, 0.85, "linear")
    mdp, Phi, pol = problem.mdp, problem.critic_features, problem.policy
    w = np.array([0.3, -0.2, 0.1])
    lam = 0.7
    m = ex.Evaluator(problem).metrics(theta, w, lam)
    pi = pol.probabilities(theta)
    J = ex.objective(mdp, pi)
    R = ex.regulariser(problem.prior_policy, problem.prior_states, pi)
    grad_l = ex.regularised_gradient(problem, theta, lam)
    expected = {
        "J": J, "R": R, "J_lambda": J + lam * R, "J_star": ex.optimal_objective(mdp),
        "gap": ex.optimal_objective(mdp) - J,
        "grad_norm_sq": np.sum(ex.policy_gradient(mdp, pol, theta) ** 2), "grad_lambda_norm_sq": grad_l @ grad_l,
        "critic_gap": np.linalg.norm(w - ex.td_fixed_point(mdp, Phi, pi)),
        "eps_app": ex.approximation_error(mdp, Phi, pi),
    }
    assert set(m) == set(expected)
    for key, val in expected.items():
        assert m[key] == pytest.approx(val, rel=1e-10, abs=1e-14), key
    assert m["gap"] >= 0 and m["R"] <= 0


def test_policy_metrics_with_critic_are_metrics_bit_for_bit():
    problem, theta, _, _ = _instance(9, 7, 3, 0.85, "linear")
    evaluator = ex.Evaluator(problem)
    assert evaluator.stateless and not ex.Evaluator(problem, "sparse").stateless
    values, w_star = evaluator.policy_metrics(theta, 0.7)
    assert "critic_gap" not in values
    for w in (np.zeros(3), np.array([0.3, -0.2, 0.1])):
        m = evaluator.metrics(theta, w, 0.7)
        assert list(evaluator.with_critic(values, w_star, w).items()) == list(m.items())  # values and key order
    assert m["critic_gap"] == float(np.linalg.norm(w - w_star))


# ----------------------------------------------------------------------------- validation
def test_bad_arguments_name_their_field():
    problem, theta, _, _ = _instance(0, 4, 2, 0.9)
    mdp = problem.mdp
    pi = problem.policy.probabilities(theta)
    cases = [
        ("method", lambda: ex.value(mdp, pi, method="lu")),
        ("pi", lambda: ex.value(mdp, pi[:, :1])),
        ("pi", lambda: ex.stationary_distribution(mdp, pi * 1.1)),
        ("pi", lambda: ex.discounted_visitation(mdp, np.where(pi > 0.5, np.nan, pi))),
        ("x0", lambda: ex.value(mdp, pi, "sparse", x0=np.zeros(3))),
        ("w", lambda: ex.critic_direction_mean(mdp, problem.critic_features, pi, np.zeros(7))),
        ("critic_features", lambda: ex.td_fixed_point(mdp, np.eye(3), pi)),
        ("lam", lambda: ex.regularised_objective(problem, theta, -1.0)),
        ("theta", lambda: ex.Evaluator(problem).metrics(theta[:-1], np.zeros(2))),
        ("w", lambda: ex.Evaluator(problem).metrics(theta, np.zeros(3))),
    ]
    for field, call in cases:
        with pytest.raises(ValidationError) as info:
            call()
        assert info.value.field == field, (field, str(info.value))


# ----------------------------------------------------------------------------- non-ergodic and slow chains
def two_closed_classes():
    """States {0, 1} and {2, 3} never reach each other: two recurrent classes, no unique μ."""
    P = np.zeros((4, 1, 4))
    P[0, 0, 1] = P[1, 0, 0] = P[2, 0, 3] = P[3, 0, 2] = 1.0
    return FiniteMDP.from_dense(P, np.ones((4, 1)), 0.9, np.full(4, 0.25))


@pytest.mark.parametrize("method", ["dense", "sparse"])
def test_several_recurrent_classes_are_refused_on_both_paths(method):
    mdp = two_closed_classes()
    with pytest.raises(ValidationError, match="2 closed recurrent classes") as info:
        ex.stationary_distribution(mdp, np.ones((4, 1)), method)
    assert info.value.field == "P"


@pytest.mark.parametrize("method", ["dense", "sparse"])
def test_a_policy_that_splits_the_chain_is_refused_after_one_that_did_not(method):
    """Action 0 keeps {0, 1} and {2, 3} apart, action 1 joins them. The check is remembered per support of
    P_π: a policy with π(1|s) > 0 passes, and a later one with π(1|s) = 0 (same shape, smaller support)
    must still be refused."""
    P = np.zeros((4, 2, 4))
    P[0, 0, 1] = P[1, 0, 0] = P[2, 0, 3] = P[3, 0, 2] = 1.0
    P[:, 1, :] = 0.25
    mdp = FiniteMDP.from_dense(P, np.ones((4, 2)), 0.9, np.full(4, 0.25))
    mixed = np.full((4, 2), 0.5)
    for _ in range(2):
        assert np.isclose(ex.stationary_distribution(mdp, mixed, method).sum(), 1.0)
    with pytest.raises(ValidationError, match="2 closed recurrent classes"):
        ex.stationary_distribution(mdp, np.array([[1.0, 0.0]] * 4), method)


def test_garnet_with_one_action_and_one_successor_is_refused_at_problem_time():
    cfg = config.from_dict({"problem": {"kind": "garnet", "n_actions": 1, "branching": 1}})
    with pytest.raises(ValidationError, match="closed recurrent classes") as info:
        config.build_problem(cfg)
    assert info.value.field == "problem"


def test_slowly_mixing_garnet_meets_the_l1_residual_and_reports_its_conditioning():
    """A ring-local garnet (locality 2, γ = 0.99) stalls plain GMRES; the direct fallback must reach a
    relative L1 residual ≤ 1e-12 for μ_θ and d_θ, and stationary_accuracy must report the conditioning
    (a κ₁ far above the fast-mixing ~10, with a warning once the estimate passes 1e-6)."""
    problem = garnet_problem(2, 3000, 3, 4, gamma=0.99, locality=2)
    mdp = problem.mdp
    pi = problem.policy.probabilities(np.random.default_rng(0).normal(size=problem.policy.dim))
    P = ex.policy_transition(mdp, pi, "sparse")
    cache = {}
    mu = ex._solve_stationary(P, solver_cache=cache)
    assert cache.get("direct")
    assert np.abs(mu - P.T @ mu).sum() <= ex.DISTRIBUTION_RTOL
    d = ex.discounted_visitation(mdp, pi, "sparse")
    assert np.abs(d - mdp.gamma * (P.T @ d) - (1 - mdp.gamma) * mdp.eta).sum() <= ex.DISTRIBUTION_RTOL * (1 - mdp.gamma)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        acc = ex.stationary_accuracy(mdp, pi, "sparse")
    assert acc["residual_l1"] <= ex.DISTRIBUTION_RTOL
    assert acc["condition_l1"] > 1e6
    assert (acc["forward_error_estimate"] > ex.FORWARD_ERROR_WARN) == any(
        issubclass(w.category, ConditioningWarning) for w in caught)
    fast = garnet_problem(2, 3000, 3, 4, gamma=0.99)
    assert ex.stationary_accuracy(fast.mdp, pi, "sparse")["condition_l1"] < 1e3


def _plain_regularised_objective(problem, theta, lam):
    """J_λ = (1−γ) ηᵀ(I − γP_π)^{-1} r_π − λ Σ_s η_p(s) KL(π_p ‖ π_θ), written out in NumPy."""
    mdp = problem.mdp
    z = theta.reshape(mdp.n_states, mdp.n_actions)
    pi = np.exp(z - z.max(1, keepdims=True))
    pi /= pi.sum(1, keepdims=True)
    P_pi, r_pi = _P_pi(mdp.dense_P(), pi), (pi * mdp.expected_reward()).sum(1)
    V = np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * P_pi, r_pi)
    kl = (problem.prior_policy * (np.log(problem.prior_policy) - np.log(pi))).sum(1)
    return (1 - mdp.gamma) * mdp.eta @ V - lam * problem.prior_states @ kl


@pytest.mark.parametrize("lam", [0.05, 0.5])
def test_regularised_optimum_is_the_maximum_that_a_separate_search_finds(lam):
    """J_λ* of a 4×3 instance against Nelder–Mead on the plain-NumPy J_λ from 6 seeded starts (tolerance
    1e-8 on the value, deterministic), and no seeded perturbation of θ* (1000 of them, size 1e-3) beats it."""
    from scipy.optimize import minimize

    problem = paper_problem(3, n_states=4, n_actions=3, feature_dim=2)
    best = ex.regularised_optimum(problem, lam)
    assert best.grad_norm <= 1e-10 and best.spread < 1e-9
    assert best.value == pytest.approx(ex.regularised_objective(problem, best.theta, lam), abs=1e-14)
    rng = np.random.default_rng(7)
    searched = max(-minimize(lambda th: -_plain_regularised_objective(problem, th, lam), rng.normal(0, 2, 12),
                             method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 40_000,
                                                            "maxfev": 40_000}).fun for _ in range(6))
    assert best.value == pytest.approx(searched, abs=1e-8)
    perturbed = [_plain_regularised_objective(problem, best.theta + 1e-3 * rng.normal(size=12), lam)
                 for _ in range(1000)]
    assert max(perturbed) <= best.value + 1e-13


def test_regularised_optimum_refuses_lam_zero():
    with pytest.raises(ValidationError, match="lam"):
        ex.regularised_optimum(paper_problem(0, n_states=3, n_actions=2, feature_dim=2), 0.0)
