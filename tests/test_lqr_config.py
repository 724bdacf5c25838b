"""problem.kind = "lqr" in the config: random and file instances, the required radius, ignored keys."""

import numpy as np
import pytest

from a3c_theory import config
from a3c_theory.errors import ValidationError
from a3c_theory.lqr.families import random_lqr
from a3c_theory.lqr.problem import LQRProblem


def _cfg(problem=None, radius=50.0):
    return config.from_dict({"problem": {"kind": "lqr"} | (problem or {}), "algorithm": {"radius": radius}})


def test_random_instance_from_keys():
    cfg = _cfg({"state_dim": 4, "action_dim": 1, "spectral_radius": 0.5, "noise_scale": 0.2, "sigma": 0.3,
                "gamma": 0.8, "seed": 9})
    p = config.build_problem(cfg)
    q = random_lqr(np.random.SeedSequence(9), 4, 1, 0.5, 0.2, 0.8, 0.3)
    assert isinstance(p, LQRProblem) and np.array_equal(p.packed(), q.packed())
    assert config.ignored_keys(cfg) == []


def test_file_instance(tmp_path):
    path = tmp_path / "lqr.npz"
    np.savez(path, A=0.5 * np.eye(2), B=np.eye(2, 1), Q=np.eye(2), R=np.eye(1), W=np.eye(2), Sigma0=np.eye(2),
             K0=np.zeros((1, 2)), gamma=0.7, sigma=0.2)
    p = config.build_problem(_cfg({"path": str(path)}))
    assert (p.state_dim, p.action_dim, p.gamma, p.sigma) == (2, 1, 0.7, 0.2)


def test_radius_is_required():
    with pytest.raises(ValidationError, match="r_max = ∞") as err:
        _cfg(radius=0.0)
    assert err.value.field == "algorithm.radius"


@pytest.mark.parametrize("key,value", [("spectral_radius", 1.0), ("sigma", 0.0), ("noise_scale", -1.0),
                                       ("state_dim", 0)])
def test_out_of_range_keys(key, value):
    with pytest.raises(ValidationError) as err:
        _cfg({key: value})
    assert err.value.field == f"problem.{key}"


def test_lqr_keys_are_ignored_by_finite_kinds():
    cfg = config.from_dict({"problem": {"state_dim": 5}})
    assert config.ignored_keys(cfg) == ["problem.state_dim"]
