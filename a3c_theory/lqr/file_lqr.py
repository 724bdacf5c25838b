"""A linear-quadratic problem from an ``.npz`` file (``numpy.savez``), validated array by array.

Arrays (names are exact; anything else in the file is an error): ``A`` (n, n), ``B`` (n, m), ``Q`` (n, n)
⪰ 0, ``R`` (m, m) ≻ 0, ``W`` (n, n) ⪰ 0, ``Sigma0`` (n, n) ≻ 0, ``K0`` (m, n) with ρ(A − B K0) < 1, optional
``K_prior`` (m, n) (default 0), and scalars ``gamma`` ∈ (0, 1) and ``sigma`` > 0. The file is read with
``allow_pickle=False``. Every error names the file and the array: ``my_lqr.npz [Q]: must be ...``.
"""

import zipfile
from pathlib import Path

import numpy as np

from ..errors import ValidationError
from .problem import LQRProblem

REQUIRED_ARRAYS = ("A", "B", "Q", "R", "W", "Sigma0", "K0", "gamma", "sigma")
OPTIONAL_ARRAYS = ("K_prior",)


def load_lqr(path) -> LQRProblem:
    """Load and validate (module docstring)."""
    path = Path(path)
    field = str(path)
    if not path.is_file():
        raise ValidationError(field, "no such file")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise ValidationError(field, f"is not a readable .npz file without pickled objects ({exc})") from None
    missing = [k for k in REQUIRED_ARRAYS if k not in arrays]
    if missing:
        raise ValidationError(field, f"missing array(s) {', '.join(missing)}")
    unknown = sorted(set(arrays) - set(REQUIRED_ARRAYS) - set(OPTIONAL_ARRAYS))
    if unknown:
        raise ValidationError(field, f"unknown array(s) {', '.join(unknown)}; allowed: "
                              f"{', '.join(REQUIRED_ARRAYS + OPTIONAL_ARRAYS)}")
    scalars = {}
    for key in ("gamma", "sigma"):
        value = arrays[key]
        if value.shape != () or value.dtype.kind not in "fiu":
            raise ValidationError(f"{path.name} [{key}]", f"must be a real scalar, got shape {value.shape} "
                                  f"dtype {value.dtype}")
        scalars[key] = float(value)
    for key in ("A", "B", "Q", "R", "W", "Sigma0", "K0", "K_prior"):
        if key in arrays and arrays[key].dtype.kind not in "fiu":
            raise ValidationError(f"{path.name} [{key}]", f"must hold real numbers, got dtype {arrays[key].dtype}")
    return LQRProblem.make(arrays["A"], arrays["B"], arrays["Q"], arrays["R"], arrays["W"], arrays["Sigma0"],
                           K0=arrays["K0"], K_prior=arrays.get("K_prior"), gamma=scalars["gamma"],
                           sigma=scalars["sigma"], prefix=path.name)
