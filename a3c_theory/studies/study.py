"""The types every study shares: the contract a study module satisfies (:class:`StudyModule`), its
settings and summary bases (:class:`StudySettings`, :class:`StudySummary`), what it is given
(:class:`Results`) and what it hands to the report (:class:`Number`, :class:`Claim`). The contract is
described in :mod:`a3c_theory.studies`.

Settings are validated in one place, from their type hints: a field annotated
``Annotated[float, Range(0, 1, lo_open=True)]`` must be a number in (0, 1]; ``tuple[float, ...]`` takes a
TOML list (stored as a tuple); ``dict[str, X]`` a table whose values are checked as ``X``; ``Literal[...]``
one of its values; ``Items(min_len, span, sort)`` constrains a sequence; a :class:`StudySettings` subclass
takes a table of its own fields (checked alike, e.g. ``sequential.Plan``). A bad value raises
``ValidationError(<field>[.<key>], "must ..., got ...")``, naming the allowed range.
"""

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, runtime_checkable

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
    and notes. The report adds the command and the runs. ``section``: the heading of ``paper_repro.md`` the row
    goes under (empty: the paper's artifacts table; e.g. ``"Continuous actions"``)."""

    artifact: str
    claim: str
    where: str
    number: str
    verdict: str
    notes: str = ""
    section: str = ""


@dataclass(frozen=True)
class Range:
    """Allowed values of a number: ``lo ≤ x ≤ hi``, each end open when ``lo_open`` / ``hi_open``."""

    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False

    def text(self) -> str:
        return f"{'(' if self.lo_open else '['}{self.lo:g}, {self.hi:g}{')' if self.hi_open else ']'}"

    def holds(self, x: float) -> bool:
        return (x > self.lo if self.lo_open else x >= self.lo) and (x < self.hi if self.hi_open else x <= self.hi)


@dataclass(frozen=True)
class Items:
    """Constraints on a sequence setting: at least ``min_len`` items, ``max/min ≥ span`` (when given), stored
    sorted when ``sort``."""

    min_len: int = 1
    span: float | None = None
    sort: bool = False


FRACTION = Range(0.0, 1.0, lo_open=True)
"""A fraction of the gap: (0, 1]."""
POSITIVE = Range(0.0, math.inf, lo_open=True)
"""A positive number: (0, inf)."""
Fraction = Annotated[float, FRACTION]
Positive = Annotated[float, POSITIVE]


def _type_text(hint) -> str:
    return getattr(hint, "__name__", str(hint))


def check_value(value, hint, where: str):
    """``value`` checked against the type hint ``hint`` (module docstring) and normalised (lists to tuples,
    ints to floats where a float is asked for); a ValidationError naming ``where`` otherwise."""
    meta = ()
    if typing.get_origin(hint) is Annotated:
        hint, *meta = typing.get_args(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    rng = next((m for m in meta if isinstance(m, Range)), None)
    items = next((m for m in meta if isinstance(m, Items)), Items())
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (hint,) = [a for a in args if a is not type(None)]
        return check_value(value, Annotated[(hint, *meta)] if meta else hint, where)
    if origin is Literal:
        if value not in args:
            raise ValidationError(where, f"must be one of {list(args)}, got {value!r}")
        return value
    if isinstance(hint, type) and issubclass(hint, StudySettings):
        if isinstance(value, hint):
            return value
        if not isinstance(value, dict):
            raise ValidationError(where, f"must be a table of {sorted(f.name for f in dataclasses.fields(hint))}, "
                                         f"got {value!r}")
        return settings_from(hint, value, where)
    if hint is bool:
        if not isinstance(value, bool):
            raise ValidationError(where, f"must be true or false, got {value!r}")
        return value
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (hint is int and not isinstance(value, int)):
            raise ValidationError(where, f"must be {'an integer' if hint is int else 'a number'}"
                                         f"{' in ' + rng.text() if rng else ''}, got {value!r}")
        if math.isnan(value) or (rng is not None and not rng.holds(value)):
            raise ValidationError(where, f"must lie in {rng.text() if rng else '(-inf, inf)'}, got {value!r}")
        return hint(value)
    if hint is str:
        if not isinstance(value, str):
            raise ValidationError(where, f"must be a string, got {value!r}")
        return value
    if origin is tuple:
        item = Annotated[(args[0], *meta)] if meta else args[0]
        if not isinstance(value, (list, tuple)) or len(value) < items.min_len:
            raise ValidationError(where, f"must be a list of at least {items.min_len} {_type_text(args[0])}"
                                         f"{' in ' + rng.text() if rng else ''}, got {value!r}")
        out = tuple(check_value(v, item, f"{where}[{i}]") for i, v in enumerate(value))
        if items.sort:
            out = tuple(sorted(out))
        if items.span is not None and max(out) < items.span * min(out):
            raise ValidationError(where, f"must span a factor of at least {items.span:g}, got {min(out):g}–{max(out):g}")
        return out
    if origin is dict:
        if not isinstance(value, dict):
            raise ValidationError(where, f"must be a table of {_type_text(args[1])}, got {value!r}")
        item = Annotated[(args[1], *meta)] if meta else args[1]
        return {str(k): check_value(v, item, f"{where}.{k}") for k, v in value.items()}
    raise TypeError(f"{where}: settings type {hint!r} is not supported by study.check_value")


@dataclass(frozen=True)
class StudySettings:
    """Base of every study's ``Settings``: a frozen dataclass whose fields are validated from their type
    hints (module docstring) when it is built. Subclasses declare fields only; no ``__post_init__``."""

    def __post_init__(self):
        hints = typing.get_type_hints(type(self), include_extras=True)
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, check_value(getattr(self, f.name), hints[f.name], f.name))


@dataclass(frozen=True, kw_only=True)
class StudySummary:
    """Base of every study's ``Summary`` (its own typed fields come first). The optional fields the report
    reads: ``choices`` ((item, our choice) pairs, listed under "Choices the paper leaves open"), ``tables``
    ((title, markdown lines), printed after the artifacts) and ``defaults`` (what the study chose for the
    spec where it left things out, stated in the study report)."""

    choices: tuple[tuple[str, str], ...] = ()
    tables: tuple[tuple[str, tuple[str, ...]], ...] = ()
    defaults: tuple[str, ...] = ()


@runtime_checkable
class StudyModule(Protocol):
    """What a study module provides (:mod:`a3c_theory.studies` describes each item)."""

    Settings: type
    SAMPLE_SPEEDUP_VERDICT: bool

    def summarise(self, results: "Results") -> StudySummary: ...

    def draw(self, results: "Results", summary: StudySummary, path: Path) -> None: ...

    def numbers(self, summary: StudySummary) -> list["Number"]: ...

    def claims(self, summary: StudySummary) -> list["Claim"]: ...


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


@dataclass(frozen=True)
class NewConfig:
    """A config the runs do not have yet, for :class:`SequentialStudy`: the config (part and grid point) of the
    run ``like`` with the grid values ``changes`` (``((grid key, value), ...)``) in place of its own."""

    like: str
    changes: tuple


@runtime_checkable
class SequentialStudy(Protocol):
    """A study module that takes sequential seeds (:mod:`sequential`): its ``Settings`` has a ``sequential``
    field (a :class:`sequential.Plan` or None) and it says, from the runs so far, which configs need more.

    ``more_seeds(results)`` returns ``{config: seeds}``: for each config (part and grid point) that should
    have more seeds, the id of one of its runs (or a :class:`NewConfig`, for a grid point the part's grid does
    not hold yet) and the number of seeds it should have in all (the part's seeds
    ``first_seed … first_seed + seeds − 1``). It depends only on the runs, so a rerun from cached runs
    asks for the same seeds.
    The run pipeline (:func:`a3c_theory.reproduce.run_parts`) runs them and asks again, until it asks for
    nothing new."""

    def more_seeds(self, results: "Results") -> dict: ...
