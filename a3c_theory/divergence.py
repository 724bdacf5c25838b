"""Divergence as an outcome: the first count at which a run's state or metrics stop being finite numbers.

Config bounds (``config.SCHEMA``: ``algorithm.lam``, ``c_alpha``, ``c_beta``) keep every exact quantity finite
for valid input; a run that still produces a non-finite value in ``θ``, ``ω`` or a metric row does not fail
and does not report numbers past that point: it ends with the outcome ``"diverged at k"`` naming the quantity.
The drivers check ``θ`` and ``ω`` between compiled chunks (never inside the kernels), ``evaluate`` checks each
metric row. The same record serves any run whose iterates leave the floats, and a linear-quadratic run whose gain leaves
the stabilising set (quantity :data:`UNSTABLE_GAIN`, checked by the drivers after every chunk).

Recorded in ``trace.meta`` and in a run's flat metadata (a sweep's ``runs.csv``) as :data:`FIELDS`:
``outcome`` (``"finished"`` or ``"diverged"``), ``diverged_at`` (the count k, None when finished) and
``diverged_quantity`` (``"theta"``, ``"w"`` or a metric column; None when finished).
"""

import math
from dataclasses import dataclass

import numpy as np

FINISHED = "finished"
DIVERGED = "diverged"
FIELDS = ("outcome", "diverged_at", "diverged_quantity")
UNSTABLE_GAIN = "unstable_gain"
"""``diverged_quantity`` of a linear-quadratic run whose gain K left the stabilising set ρ(A − BK) < 1: K is
still finite, but μ_K and the critic's TD fixed point no longer exist (and beyond √γ ρ ≥ 1, J = −∞)."""


@dataclass(frozen=True)
class Divergence:
    """A run that left the floats: at update count ``k``, ``quantity`` held a non-finite value."""

    k: int
    quantity: str

    def message(self) -> str:
        if self.quantity == UNSTABLE_GAIN:
            return f"diverged at k = {self.k}: the gain K left the stabilising set (rho(A - BK) >= 1)"
        return f"diverged at k = {self.k}: {self.quantity} is not finite"


def first_non_finite(k: int, **arrays) -> Divergence | None:
    """``Divergence(k, name)`` for the first of ``arrays`` (arrays or numbers, by keyword order) holding a NaN
    or ±inf, else None."""
    for name, array in arrays.items():
        if not _finite(array):
            return Divergence(int(k), name)
    return None


def _finite(x) -> bool:
    """Whether ``x`` (a number or an array) holds no NaN and no ±inf: ``math.isfinite`` for a float (a metric
    row's values; a tenth of the NumPy call's cost), else ``np.isfinite(x).all()`` (the method: half the cost
    of ``np.all``, once per chunk of a run)."""
    if isinstance(x, float):
        return math.isfinite(x)
    return bool(np.isfinite(x).all())


def meta_fields(divergence: Divergence | None) -> dict:
    """The :data:`FIELDS` of a run's metadata."""
    if divergence is None:
        return {"outcome": FINISHED, "diverged_at": None, "diverged_quantity": None}
    return {"outcome": DIVERGED, "diverged_at": divergence.k, "diverged_quantity": divergence.quantity}


def from_meta(meta: dict) -> Divergence | None:
    """The divergence recorded in ``meta`` (:func:`meta_fields`), or None (finished, or recorded before
    outcomes were)."""
    if meta.get("outcome") != DIVERGED:
        return None
    return Divergence(int(meta["diverged_at"]), str(meta["diverged_quantity"]))
