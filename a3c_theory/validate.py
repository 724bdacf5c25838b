"""Small argument checks shared by the data objects; each raises ValidationError naming the field."""

import math

import numpy as np

from .errors import ValidationError

PROBABILITY_TOL = 1e-8
"""Allowed |sum - 1| for a probability vector or a row of P."""


def finite_array(field: str, value, dtype=np.float64, ndim: int | None = None) -> np.ndarray:
    """Return ``value`` as a contiguous array, rejecting NaN/inf and a wrong number of dimensions."""
    if np.iscomplexobj(value):
        raise ValidationError(field, "must be real, got complex entries")
    arr = np.ascontiguousarray(value, dtype=dtype)
    if ndim is not None and arr.ndim != ndim:
        raise ValidationError(field, f"must have {ndim} dimension(s), got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValidationError(field, "contains NaN or infinite entries")
    return arr


def probability_vector(field: str, value, size: int) -> np.ndarray:
    """A non-negative vector of length ``size`` summing to 1 within PROBABILITY_TOL."""
    arr = finite_array(field, value, ndim=1)
    if arr.shape != (size,):
        raise ValidationError(field, f"must have shape ({size},), got {arr.shape}")
    if np.any(arr < 0):
        raise ValidationError(field, f"has a negative entry ({arr.min():.3g}); entries must be >= 0")
    total = arr.sum()
    if abs(total - 1.0) > PROBABILITY_TOL:
        raise ValidationError(field, f"must sum to 1 within {PROBABILITY_TOL:g}, sums to {total:.12g}")
    return arr


def open_unit_interval(field: str, value) -> float:
    """A float strictly inside (0, 1)."""
    x = float(value)
    if not (0.0 < x < 1.0) or math.isnan(x):
        raise ValidationError(field, f"must lie in the open interval (0, 1), got {value!r}")
    return x


def positive_int(field: str, value, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer in [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValidationError(field, f"must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "inf" if maximum is None else str(maximum)
        raise ValidationError(field, f"must lie in [{minimum}, {upper}], got {value}")
    return int(value)


def nonnegative_float(field: str, value) -> float:
    """A finite float >= 0."""
    x = float(value)
    if not math.isfinite(x) or x < 0:
        raise ValidationError(field, f"must be a finite number >= 0, got {value!r}")
    return x
