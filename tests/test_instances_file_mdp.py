"""File MDPs: a round trip keeps every exact quantity, and each malformed array is named in the error."""

import numpy as np
import pytest

from a3c_theory import exact
from a3c_theory import features as feats
from a3c_theory.errors import ValidationError
from a3c_theory.instances import file_mdp
from a3c_theory.mdp import garnet, paper_mdp
from a3c_theory.problem import Problem


def _dense_arrays():
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(4), size=(4, 2))
    return {"P": P, "reward": rng.uniform(size=(4, 2)), "gamma": np.float64(0.9), "eta": np.full(4, 0.25)}


def _write(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_round_trip_keeps_the_exact_quantities(tmp_path):
    mdp = garnet(1, 20, 3, 4, gamma=0.85)
    Phi = feats.random_features(2, 20, 5)
    file_mdp.save_npz(tmp_path / "g.npz", mdp, Phi)
    loaded = file_mdp.load_npz(tmp_path / "g.npz")
    np.testing.assert_array_equal(loaded.critic_features, Phi)
    pi = np.full((20, 3), 1 / 3)
    for quantity in (exact.value, exact.stationary_distribution, exact.discounted_visitation):
        np.testing.assert_array_equal(quantity(loaded.mdp, pi), quantity(mdp, pi))
    assert exact.optimal_objective(loaded.mdp) == exact.optimal_objective(mdp)
    assert exact.approximation_error(loaded.mdp, Phi, pi) == exact.approximation_error(mdp, Phi, pi)


def test_dense_form_with_transition_rewards(tmp_path):
    mdp = paper_mdp(3, 5, 2, reward="transition")
    arrays = {"P": mdp.dense_P(), "reward": np.random.default_rng(1).uniform(size=(5, 2, 5)), "gamma": 0.7,
              "eta": mdp.eta}
    loaded = file_mdp.load_npz(_write(tmp_path / "d.npz", **arrays)).mdp
    np.testing.assert_allclose(loaded.expected_reward(), np.einsum("sat,sat->sa", arrays["P"], arrays["reward"]))
    assert loaded.gamma == 0.7 and file_mdp.load_npz(tmp_path / "d.npz").critic_features is None


def test_sparse_form_with_state_action_rewards(tmp_path):
    mdp = garnet(4, 6, 2, 2)
    r_sa = np.arange(12.0).reshape(6, 2)
    path = _write(tmp_path / "s.npz", n_states=6, indptr=mdp.indptr, next_state=mdp.next_state, prob=mdp.prob,
                  reward=r_sa, gamma=0.9, eta=mdp.eta)
    np.testing.assert_allclose(file_mdp.load_npz(path).mdp.expected_reward(), r_sa)
    usable = Problem.make(file_mdp.load_npz(path).mdp, feats.one_hot(6))
    assert usable.mdp.n_actions == 2


BAD_DENSE = [
    ("P", {"P": np.full((4, 2, 3), 1 / 3)}),                                      # wrong shape
    ("P", {"P": np.full((4, 2, 4), 0.3)}),                                        # rows do not sum to 1
    ("reward", {"reward": np.zeros((4, 3))}),                                     # wrong shape
    ("reward", {"reward": np.full((4, 2), np.nan)}),                              # NaN
    ("gamma", {"gamma": np.float64(1.0)}),                                        # outside (0, 1)
    ("gamma", {"gamma": np.array([0.9, 0.9])}),                                   # not a scalar
    ("eta", {"eta": np.array([0.5, 0.5, 0.5, -0.5])}),                            # negative entry
    ("eta", {"eta": np.full(3, 1 / 3)}),                                          # wrong length
    ("phi", {"phi": np.full((4, 2), 1.0)}),                                       # norms above 1
    ("phi", {"phi": np.ones((3, 1)) * 0.5}),                                      # wrong number of rows
    ("extra", {"extra": np.zeros(2)}),                                            # unknown array
    ("P", {"P": np.array(["a", "b"])}),                                           # not numeric
]


@pytest.mark.parametrize("name, change", BAD_DENSE, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD_DENSE)])
def test_each_malformed_dense_array_is_named(tmp_path, name, change):
    arrays = _dense_arrays() | change
    path = _write(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValidationError, match=rf"bad\.npz \[{name}\]: "):
        file_mdp.load_npz(path)


def _sparse_arrays():
    mdp = garnet(4, 6, 2, 2)
    return {"n_states": 6, "indptr": mdp.indptr, "next_state": mdp.next_state, "prob": mdp.prob,
            "reward": mdp.reward, "gamma": 0.9, "eta": mdp.eta}


BAD_SPARSE = [
    ("indptr", {"indptr": np.arange(0, 26, 2)[:-1]}),                   # length not nS*nA + 1
    ("next_state", {"next_state": np.full(24, 6)}),                     # out of range
    ("prob", {"prob": np.full(24, 0.4)}),                               # rows do not sum to 1
    ("reward", {"reward": np.zeros(23)}),                               # wrong number of entries
    ("n_states", {"n_states": 2.5}),                                    # not an integer
    ("P", {"P": np.zeros((6, 2, 6))}),                                  # both forms given
]


@pytest.mark.parametrize("name, change", BAD_SPARSE, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD_SPARSE)])
def test_each_malformed_sparse_array_is_named(tmp_path, name, change):
    path = _write(tmp_path / "bad.npz", **(_sparse_arrays() | change))
    with pytest.raises(ValidationError, match=rf"bad\.npz \[{name}\]: "):
        file_mdp.load_npz(path)


def test_missing_array_and_unreadable_file(tmp_path):
    arrays = _dense_arrays()
    del arrays["eta"]
    with pytest.raises(ValidationError, match=r"bad\.npz \[eta\]: missing array"):
        file_mdp.load_npz(_write(tmp_path / "bad.npz", **arrays))
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(ValidationError, match=r"^problem.path: .*junk.npz: not an \.npz file"):
        file_mdp.load_npz(tmp_path / "junk.npz")
    with pytest.raises(ValidationError, match="^problem.path: .*nope.npz: file not found"):
        file_mdp.load_npz(tmp_path / "nope.npz")
