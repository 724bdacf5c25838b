"""LQRProblem validation (each bad array named), random families and the .npz loader."""

import numpy as np
import pytest

from a3c_theory.errors import ValidationError
from a3c_theory.lqr.families import random_lqr
from a3c_theory.lqr.file_lqr import load_lqr
from a3c_theory.lqr.problem import LQRProblem, spectral_radius


def _arrays():
    n, m = 3, 2
    return dict(A=0.5 * np.eye(n), B=np.ones((n, m)), Q=np.eye(n), R=np.eye(m), W=0.1 * np.eye(n),
                Sigma0=np.eye(n), K0=np.zeros((m, n)), K_prior=np.zeros((m, n)), gamma=0.9, sigma=0.5)


def _asym(n):
    X = np.eye(n)
    X[0, 1] = 0.5
    return X


BAD = [
    ("A", np.ones((3, 2)), "A: must be square"),
    ("A", np.full((3, 3), np.nan), "A: contains NaN"),
    ("B", np.ones((2, 2)), "B: must have shape (3, m)"),
    ("Q", np.eye(2), "Q: must have shape (3, 3)"),
    ("Q", _asym(3), "Q: must be symmetric"),
    ("Q", -np.eye(3), "Q: must be positive semidefinite"),
    ("R", np.zeros((2, 2)), "R: must be positive definite"),
    ("R", _asym(2), "R: must be symmetric"),
    ("W", np.diag([1.0, -1.0, 1.0]), "W: must be positive semidefinite"),
    ("Sigma0", np.diag([1.0, 0.0, 1.0]), "Sigma0: must be positive definite"),
    ("K0", np.zeros((3, 2)), "K0: must have shape (2, 3)"),
    ("K_prior", np.zeros((2, 2)), "K_prior: must have shape (2, 3)"),
    ("gamma", 1.0, "gamma: must lie in the open interval (0, 1)"),
    ("sigma", 0.0, "sigma: must be a finite number > 0"),
    ("sigma", np.inf, "sigma: must be a finite number > 0"),
]


@pytest.mark.parametrize("field,value,message", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_array_is_named(field, value, message):
    arrays = _arrays() | {field: value}
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        LQRProblem.make(**arrays)
    assert err.value.field == field


def test_unstable_K0_refused_with_radius():
    # ρ(A − BK0) = 1.2 ≥ 1 although √0.9 · 1.2 = 1.14: refused on the undiscounted radius
    arrays = _arrays() | {"A": 1.2 * np.eye(3), "B": np.zeros((3, 2)) + 1e-3 * np.eye(3, 2)}
    K0 = np.zeros((2, 3))
    rho = spectral_radius(arrays["A"] - arrays["B"] @ K0)
    with pytest.raises(ValidationError, match=f"spectral radius of A − B K0 is {rho:.6g}") as err:
        LQRProblem.make(**arrays)
    assert err.value.field == "K0"


def test_undiscounted_condition_not_only_discounted():
    # √γ ρ = √0.5 · 1.1 < 1 (J finite) but ρ = 1.1 ≥ 1: still refused
    arrays = _arrays() | {"A": 1.1 * np.eye(3), "B": np.zeros((3, 2)), "gamma": 0.5}
    with pytest.raises(ValidationError, match="1.1"):
        LQRProblem.make(**arrays)


def test_random_family_is_seeded_and_stable():
    p = random_lqr(3, 4, 2, spectral_radius=0.95, noise_scale=0.2)
    q = random_lqr(3, 4, 2, spectral_radius=0.95, noise_scale=0.2)
    assert (p.state_dim, p.action_dim) == (4, 2)
    assert np.array_equal(p.packed(), q.packed()) and p.fingerprint() == q.fingerprint()
    assert spectral_radius(p.A) == pytest.approx(0.95, rel=1e-12)
    assert np.array_equal(p.W, 0.2 ** 2 * np.eye(4))
    assert random_lqr(4, 4, 2).fingerprint() != p.fingerprint()


@pytest.mark.parametrize("kwargs,field", [({"spectral_radius": 1.0}, "problem.spectral_radius"),
                                          ({"noise_scale": -1.0}, "problem.noise_scale"),
                                          ({"state_dim": 0}, "problem.state_dim"),
                                          ({"action_dim": 0}, "problem.action_dim")])
def test_random_family_arguments_checked(kwargs, field):
    args = {"state_dim": 2, "action_dim": 1} | kwargs
    with pytest.raises(ValidationError) as err:
        random_lqr(0, **args)
    assert err.value.field == field


def test_packed_layout():
    p = LQRProblem.make(**_arrays())
    packed = p.packed()
    n, m = 3, 2
    assert packed.size == 4 * n * n + 3 * n * m + m * m + 2  # A, Q, W, Σ0; B, K0, K_p; R; γ, σ
    assert packed[-2:].tolist() == [0.9, 0.5] and np.array_equal(packed[:9], p.A.ravel())


def test_npz_roundtrip(tmp_path):
    arrays = _arrays() | {"K_prior": np.full((2, 3), 0.1)}
    path = tmp_path / "inst.npz"
    np.savez(path, **arrays)
    p = load_lqr(path)
    assert np.array_equal(p.K_prior, arrays["K_prior"]) and p.gamma == 0.9 and p.sigma == 0.5
    arrays.pop("K_prior")
    np.savez(path, **arrays)
    assert np.array_equal(load_lqr(path).K_prior, np.zeros((2, 3)))


@pytest.mark.parametrize("change,field,message", [
    ({"Q": -np.eye(3)}, "inst.npz [Q]", "positive semidefinite"),
    ({"K0": np.ones((2, 3))}, "inst.npz [K0]", "spectral radius"),
    ({"gamma": np.array([0.9, 0.9])}, "inst.npz [gamma]", "real scalar"),
    ({"A": np.array([["a"] * 3] * 3)}, "inst.npz [A]", "real numbers"),
    ({"extra": np.eye(3)}, "inst.npz", "unknown array"),
    ({"W": None}, "inst.npz", "missing array"),
    ({"R": np.array([object()] * 4, dtype=object)}, "inst.npz", "pickled"),
])
def test_npz_errors_name_file_and_array(tmp_path, change, field, message):
    arrays = _arrays() | change
    arrays = {k: v for k, v in arrays.items() if v is not None}
    path = tmp_path / "inst.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValidationError, match=message) as err:
        load_lqr(path)
    assert err.value.field.endswith(field)
