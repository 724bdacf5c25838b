"""The types every study shares: what it is given (:class:`Results`) and what it hands to the report
(:class:`Number`, :class:`Claim`). The contract itself is written in :mod:`a3c_theory.studies`."""

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import ValidationError
from .stats import Estimate


@dataclass(frozen=True)
class Results:
    """The runs of one study and what it was asked for.

    ``runs``: one row per snapshot of one run (the metric columns of ``evaluate`` plus the run-level columns
    ``run_id, seed, workers, mode, delay, horizon, sampling, lam, kind, locality, instance`` and the grid
    columns under their dotted names); ``settings``: the module's validated ``Settings``; ``meta``: one row
    per run, ``run_id`` then the run's metadata (``pipeline.run_one``: ``radius``, ``mean_delay``,
    ``sampling_law_bias_tv_mu_mean``, timings, versions, ...; empty for runs tables written before runs kept
    it); ``configs``: the resolved base config (nested dict) of each ``[[part]]``; ``cores``:
    ``os.cpu_count()`` of this machine.
    """

    name: str
    title: str
    runs: pd.DataFrame
    settings: Any
    meta: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"run_id": []}))
    configs: tuple = ()
    quick: bool = False
    cores: int = 1

    @property
    def run_cores(self) -> int:
        """CPU cores of the machine the runs ran on (their metadata), else of this machine."""
        if "machine_cores" in self.meta.columns and self.meta["machine_cores"].notna().any():
            return int(self.meta["machine_cores"].max())
        return int(self.cores)


@dataclass(frozen=True)
class Number:
    """One row of ``summary.csv``: a quantity at a setting, with its estimate. ``setting`` is a label for
    readers (``"N=4"``); code never reads numbers back from it."""

    quantity: str
    setting: str
    estimate: Estimate
    unit: str = ""


@dataclass(frozen=True)
class Claim:
    """One row of the paper-artifact table in ``paper_repro.md``: the artifact, the claim, where it is drawn
    (file and panel), our number (text built from the summary), the verdict by the study's stated rule,
    and notes. The report adds the command and the runs."""

    artifact: str
    claim: str
    where: str
    number: str
    verdict: str
    notes: str = ""


def settings_from(cls, given: dict, where: str):
    """``cls(**given)`` for a settings dataclass, every key checked: an unknown key, a value of the wrong
    type or out of range raises a ValidationError naming ``where.<key>``."""
    names = {f.name for f in dataclasses.fields(cls)}
    for key in given:
        if key not in names:
            raise ValidationError(f"{where}.{key}", f"unknown setting; expected one of {sorted(names)}")
    try:
        return cls(**given)
    except ValidationError as err:
        raise ValidationError(f"{where}.{err.field}", str(err)[len(err.field) + 2:]) from None


def column_names(value, field: str) -> tuple:
    """A settings value naming run columns (a list or tuple of strings) as a tuple; ValidationError naming
    ``field`` when it is empty or not strings."""
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(c, str) for c in value):
        raise ValidationError(field, f"must be a non-empty list of run columns, got {value!r}")
    return tuple(value)


def numbers_table(study: str, numbers: list[Number]) -> pd.DataFrame:
    """The summary rows of one study as a DataFrame (columns study, quantity, setting, value, lo, hi, n,
    interval, unit)."""
    return pd.DataFrame([{"study": study, "quantity": x.quantity, "setting": x.setting,
                          "value": x.estimate.value, "lo": x.estimate.lo, "hi": x.estimate.hi,
                          "n": x.estimate.n, "interval": x.estimate.interval, "unit": x.unit} for x in numbers],
                        columns=["study", "quantity", "setting", "value", "lo", "hi", "n", "interval", "unit"])


def by_workers(quantity: str, estimates: dict[int, Estimate], unit: str = "") -> list[Number]:
    """One :class:`Number` per worker count, labelled ``N=<n>``."""
    return [Number(quantity, f"N={n}", est, unit) for n, est in sorted(estimates.items())]


def listing(estimates: dict[int, Estimate], fmt) -> str:
    """``N=1 1 [1, 1], N=4 3.9 [3.1, 4.6]``: estimates by worker count for the report."""
    return ", ".join(f"N={n} {fmt(est)}" for n, est in sorted(estimates.items())) or "n/a"


def no_interval(value: float, n: int) -> Estimate:
    """A number without an interval (a median over runs of an exactly computed quantity)."""
    nan = float("nan")
    return Estimate(float(value), nan, nan, int(n), "none (exact)")
