"""The instance kinds of ``problem.kind``: built by ``config.build_problem``, their keys validated."""

import numpy as np
import pytest

from a3c_theory import config, exact
from a3c_theory.errors import ValidationError
from a3c_theory.instances import file_mdp, garnets, trap_chain
from a3c_theory.mdp import garnet


def _build(**problem):
    return config.build_problem(config.from_dict({"problem": problem}))


def test_trap_chain_kind():
    problem = _build(kind="trap_chain", n_states=6, slip=0.2, restart=0.1, small_reward=0.2, large_reward=3.0,
                     critic_features="one_hot")
    expected = trap_chain.trap_chain(6, 0.2, 0.1, 0.2, 3.0, 0.9)
    np.testing.assert_array_equal(problem.mdp.prob, expected.prob)
    np.testing.assert_array_equal(problem.mdp.reward, expected.reward)
    assert problem.critic_dim == 6 and problem.mdp.n_actions == 2


def test_garnet_kinds_are_seeded():
    a = _build(kind="drift_ring", n_states=50, n_actions=3, branching=3, locality=2, drift=2, feature_dim=4, seed=7)
    b = _build(kind="drift_ring", n_states=50, n_actions=3, branching=3, locality=2, drift=2, feature_dim=4, seed=7)
    np.testing.assert_array_equal(a.mdp.next_state, b.mdp.next_state)
    np.testing.assert_array_equal(a.mdp.reward, b.mdp.reward)
    c = _build(kind="sparse_garnet", n_states=50, n_actions=3, branching=3, reward_fraction=0.1, feature_dim=4)
    assert set(np.unique(c.mdp.reward)) <= {0.0, 1.0} and c.mdp.reward.max() == 1.0


def test_drift_ring_needs_a_width():
    with pytest.raises(ValidationError, match="^problem.locality:"):
        config.from_dict({"problem": {"kind": "drift_ring"}})


def test_string_keys_must_be_strings():
    with pytest.raises(ValidationError, match="^problem.env: must be a string"):
        config.from_dict({"problem": {"kind": "gymnasium", "env": 3}})


def test_file_kind_needs_a_path_and_resolves_it_relative_to_the_config(tmp_path, monkeypatch):
    with pytest.raises(ValidationError, match="^problem.path:"):
        config.from_dict({"problem": {"kind": "file"}})
    mdp = garnet(0, 12, 2, 3)
    (tmp_path / "sub").mkdir()
    file_mdp.save_npz(tmp_path / "sub" / "m.npz", mdp, np.eye(12)[:, :3] * 0.5)
    (tmp_path / "sub" / "run.toml").write_text('[problem]\nkind = "file"\npath = "m.npz"\n')
    monkeypatch.chdir(tmp_path)  # the path is taken relative to the config file, not to the cwd
    cfg = config.from_toml("sub/run.toml")
    problem = config.build_problem(cfg)
    np.testing.assert_array_equal(problem.mdp.prob, mdp.prob)
    assert problem.critic_dim == 3  # the file's phi wins over problem.critic_features


def test_gymnasium_kind():
    problem = _build(kind="gymnasium", env="FrozenLake-v1", map_name="4x4", gamma=0.95, critic_features="one_hot")
    assert problem.mdp.n_states == 11 and problem.mdp.gamma == 0.95
    assert exact.optimal_objective(problem.mdp) > 0
    with pytest.raises(ValidationError, match="^problem.map_name:"):
        config.from_dict({"problem": {"kind": "gymnasium", "env": "Taxi-v4", "map_name": "8x8"}})


def test_sparse_garnet_matches_its_generator():
    cfg = config.from_dict({"problem": {"kind": "sparse_garnet", "n_states": 30, "n_actions": 2, "branching": 3,
                                        "distractor": 0.5, "seed": 3}})
    mdp_seed = np.random.SeedSequence(3).spawn(3)[0]
    expected = garnets.sparse_garnet(mdp_seed, 30, 2, 3, 0.05, 0.5, 0.9)
    np.testing.assert_array_equal(config.build_problem(cfg).mdp.reward, expected.reward)


@pytest.mark.parametrize("problem, key", [({"kind": "trap_chain", "n_actions": 3}, "problem.n_actions"),
                                          ({"kind": "gymnasium", "n_states": 16}, "problem.n_states"),
                                          ({"kind": "file", "path": "m.npz", "gamma": 0.5}, "problem.gamma")])
def test_sizes_and_gamma_that_come_from_the_source_are_ignored_keys(problem, key):
    assert key in config.ignored_keys(config.from_dict({"problem": problem}))
