"""FiniteMDP: validation (each error names its field), constructors, generators, memory."""

import numpy as np
import pytest

from a3c_theory import mdp as M
from a3c_theory.errors import ValidationError
from a3c_theory.validate import PROBABILITY_TOL


def _random_dense(seed=0, nS=4, nA=3):
    rng = np.random.default_rng(seed)
    P = rng.uniform(size=(nS, nA, nS))
    P /= P.sum(axis=2, keepdims=True)
    return P, rng.uniform(size=(nS, nA, nS)), np.full(nS, 1.0 / nS)


def _raises(field, fn, *args, match=None, **kwargs):
    with pytest.raises(ValidationError) as info:
        fn(*args, **kwargs)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    if match is not None:
        assert match in str(info.value)
    return info.value


# ------------------------------------------------------------------ validation of from_dense
def test_row_sum_tolerance_is_probability_tol():
    """Rows off by 100·tol are rejected naming P and the row; rows off by tol/100 are accepted."""
    P, r, eta = _random_dense()
    bad = P.copy()
    bad[2, 1] *= 1.0 + 100 * PROBABILITY_TOL
    err = _raises("P", M.FiniteMDP.from_dense, bad, r, 0.9, eta, match="row (s=2, a=1)")
    assert "sum to 1" in str(err)
    ok = P.copy()
    ok[2, 1] *= 1.0 + PROBABILITY_TOL / 100
    M.FiniteMDP.from_dense(ok, r, 0.9, eta)


def test_negative_and_nan_entries_of_P_rejected():
    P, r, eta = _random_dense()
    neg = P.copy()
    neg[1, 0, 3] = -0.1
    neg[1, 0, 2] += 0.1
    _raises("P", M.FiniteMDP.from_dense, neg, r, 0.9, eta, match="negative")
    nan = P.copy()
    nan[0, 0, 0] = np.nan
    _raises("P", M.FiniteMDP.from_dense, nan, r, 0.9, eta, match="NaN")


def test_nan_reward_rejected():
    P, r, eta = _random_dense()
    r[0, 0, 0] = np.inf
    _raises("reward", M.FiniteMDP.from_dense, P, r, 0.9, eta, match="NaN or infinite")


@pytest.mark.parametrize("gamma", [0.0, 1.0, -0.5, 1.5, float("nan")])
def test_gamma_outside_open_unit_interval(gamma):
    P, r, eta = _random_dense()
    _raises("gamma", M.FiniteMDP.from_dense, P, r, gamma, eta, match="(0, 1)")


@pytest.mark.parametrize("eta, match", [
    (np.array([0.5, 0.5, 0.5, -0.5]), "negative"),
    (np.array([0.3, 0.3, 0.3, 0.3]), "sum to 1"),
    (np.array([0.5, 0.5]), "shape"),
    (np.array([np.nan, 0.5, 0.25, 0.25]), "NaN"),
])
def test_eta_must_be_a_distribution(eta, match):
    P, r, _ = _random_dense()
    _raises("eta", M.FiniteMDP.from_dense, P, r, 0.9, eta, match=match)


def test_shape_mismatches():
    P, r, eta = _random_dense()
    _raises("P", M.FiniteMDP.from_dense, P[:, :, :3], r, 0.9, eta, match="shape")
    _raises("P", M.FiniteMDP.from_dense, P[0], r, 0.9, eta, match="dimension")
    _raises("reward", M.FiniteMDP.from_dense, P, r[:, :2], 0.9, eta, match="shape")


# ------------------------------------------------------------------ validation of from_rows
def _rows_args():
    m = M.garnet(0, 6, 2, 3)
    return dict(n_states=6, n_actions=2, indptr=m.indptr.copy(), next_state=m.next_state.copy(),
                prob=m.prob.copy(), reward=m.reward.copy(), gamma=0.9, eta=m.eta.copy())


def test_from_rows_validation():
    args = _rows_args()
    M.FiniteMDP.from_rows(**args)
    bad = dict(args, indptr=args["indptr"][:-1])
    _raises("indptr", M.FiniteMDP.from_rows, **bad)
    bad = dict(args, next_state=np.where(args["next_state"] == 0, 6, args["next_state"]))
    _raises("next_state", M.FiniteMDP.from_rows, **bad, match="[0, 5]")
    bad = dict(args, reward=args["reward"][:-1])
    _raises("reward", M.FiniteMDP.from_rows, **bad, match="entries")
    prob = args["prob"].copy()
    prob[4] += 0.01
    _raises("P", M.FiniteMDP.from_rows, **dict(args, prob=prob), match="row (s=0, a=1)")
    _raises("n_states", M.FiniteMDP.from_rows, **dict(args, n_states=0))


def test_generator_arguments_validated():
    _raises("branching", M.garnet, 0, 5, 2, 6)
    _raises("locality", M.garnet, 0, 50, 2, 10, locality=2, match="2*locality+1")
    _raises("n_actions", M.paper_mdp, 0, 5, 0)


# ------------------------------------------------------------------ constructors and views
def test_dense_and_sparse_constructors_agree():
    """A garnet's rows written out densely and read back by from_dense give identical arrays."""
    m = M.garnet(3, 12, 3, 4)
    r3 = np.zeros((12, 3, 12))
    rows = np.repeat(np.arange(36), np.diff(m.indptr))
    r3.reshape(36, 12)[rows, m.next_state] = m.reward
    d = M.FiniteMDP.from_dense(m.dense_P(), r3, m.gamma, m.eta)
    for name in ("indptr", "next_state", "prob", "reward", "cdf", "eta", "eta_cdf"):
        np.testing.assert_array_equal(getattr(d, name), getattr(m, name), err_msg=name)
    assert (d.n_states, d.n_actions, d.gamma) == (m.n_states, m.n_actions, m.gamma)


def test_views_match_dense_arrays():
    P, r, eta = _random_dense(1)
    m = M.FiniteMDP.from_dense(P, r, 0.8, eta)
    np.testing.assert_allclose(m.dense_P(), P, rtol=0, atol=1e-15)
    np.testing.assert_allclose(m.expected_reward(), (P * r).sum(axis=2), rtol=1e-13)
    assert m.r_max == pytest.approx(np.abs(r).max())
    last = m.indptr[1:] - 1
    assert np.all(m.cdf[last] == 1.0) and np.all(np.diff(m.cdf.reshape(-1, 4), axis=1) >= 0)
    assert m.with_gamma(0.5).gamma == 0.5 and m.gamma == 0.8
    # (nS, nA) reward form is broadcast over s'
    m2 = M.FiniteMDP.from_dense(P, r[:, :, 0], 0.8, eta)
    np.testing.assert_allclose(m2.expected_reward(), r[:, :, 0], rtol=1e-13)


def test_make_ergodic_moves_terminal_mass_to_eta():
    P, _, _ = _random_dense(2, nS=5)
    eta = np.array([0.5, 0.5, 0.0, 0.0, 0.0])
    terminal = np.array([False, False, False, True, True])
    Q = M.make_ergodic(P, terminal, eta)
    assert np.all(Q[:, :, terminal] == 0)
    np.testing.assert_allclose(Q.sum(axis=2), 1.0, atol=1e-14)
    moved = P[:, :, terminal].sum(axis=2)
    np.testing.assert_allclose(Q[:, :, 0], P[:, :, 0] + 0.5 * moved, atol=1e-15)
    _raises("terminal", M.make_ergodic, P, terminal[:3], eta)


# ------------------------------------------------------------------ generators
def test_paper_mdp_is_seeded_and_dense():
    a, b, c = M.paper_mdp(7, 20, 3), M.paper_mdp(7, 20, 3), M.paper_mdp(8, 20, 3)
    np.testing.assert_array_equal(a.prob, b.prob)
    assert not np.array_equal(a.prob, c.prob)
    assert a.indptr[-1] == 20 * 3 * 20
    np.testing.assert_allclose(a.eta, 1 / 20)


@pytest.mark.parametrize("locality", [None, 3])
def test_garnet_structure(locality):
    nS, nA, k = 200, 4, 5
    m = M.garnet(11, nS, nA, k, locality=locality)
    succ = m.next_state.reshape(nS * nA, k)
    assert np.all(np.diff(np.sort(succ, axis=1), axis=1) > 0), "successors must be distinct"
    np.testing.assert_allclose(m.prob.reshape(-1, k).sum(axis=1), 1.0, atol=1e-12)
    assert np.all(m.prob > 0)
    if locality is not None:
        origin = np.repeat(np.arange(nS), nA)[:, None]
        ring = np.minimum((succ - origin) % nS, (origin - succ) % nS)
        assert ring.max() <= locality
    else:
        assert np.ptp(succ) > nS // 2  # successors spread over the whole state space


@pytest.mark.slow
def test_large_garnet_memory():
    """100,000 states, 5 actions, branching 10: 5e6 entries, well under 1 GB (~2 s to build)."""
    m = M.garnet(0, 100_000, 5, 10)
    assert m.nbytes() < 1e9
    assert m.indptr[-1] == 5_000_000
    print(f"100k-state garnet: {m.nbytes() / 1e6:.0f} MB")
