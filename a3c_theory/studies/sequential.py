"""Sequential seeds: more seeds for the cells whose verdict is still open, in rounds, with the stated coverage
kept under the stopping rule.

Round schedule. A cell starts with ``n_0`` seeds. After each round a cell whose verdict is still open gets
seeds up to the next count of the fixed schedule ``n_0, 2n_0, 4n_0, …`` capped at ``cap`` (at least
:data:`MIN_CAP` runs); a decided cell stops. The schedule is fixed before any run, so a cell is looked at
most ``L`` times (``L`` = the schedule's length).

Coverage. Every look computes the cell's interval at the confidence ``1 − (1 − c)/L``: by Bonferroni over the
looks, the probability that *any* of a cell's intervals misses the true value is at most ``1 − c``, whatever
rule decides when to stop (:func:`look_confidence`). A claim that searches over a grid of ``G`` cells
("first sub-linear N", "linear up to N") splits once more, ``1 − (1 − c)/(L·G)``, so that it holds jointly
over the grid.

False verdicts. A decided verdict is false only when its cell's interval missed; so the expected number of
false verdicts in a table is at most the sum of the per-cell miss bounds of its decided cells
(:func:`expected_false_verdicts`), which the report states.

Futility (optional, ``futility = true``). After a look, an open cell whose :func:`seeds_needed` exceeds the
cap, or is not finite, gets no more seeds: the cap could not decide it if its estimate were the truth. This
only stops cells earlier, so the Bonferroni bound above still holds.

Caps per instance. ``caps = { kind = n }`` gives an instance its own cap (and so its own schedule and look
confidence, :meth:`Plan.for_instance`): compute goes where runs are cheap and verdicts open, and each
instance's cells keep their coverage on their own schedule, fixed before any run.

The plan is declared in a study's spec as ``settings.sequential = { initial = 10, cap = 300, ... }``
(:class:`Plan`); a study module that has it and a ``more_seeds`` function gets the rounds from the run
pipeline (:func:`a3c_theory.reproduce.run_parts`).

Seeds needed. For an open cell, :func:`seeds_needed` says how many seeds a two-sided interval at the look's
confidence needs to exclude the threshold with probability ``power``, if the point estimate were the truth:
with the standard error of ``log Ê`` read from the current interval and scaled as ``1/√n``,
``n* = n · ((z_{1−a/2} + z_{power}) · se_n / |log Ê − log t|)²``.
"""

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Annotated, Optional

import numpy as np
from scipy import stats as st

from ..errors import ValidationError
from .study import Range, StudySettings

MIN_CAP = 300
"""The smallest cap on runs per cell (issue "speedup studies that decide")."""

POWER = 0.8


@dataclass(frozen=True)
class Plan(StudySettings):
    """A sequential-seeds plan (module docstring), from a spec's ``settings.sequential`` table."""

    initial: Annotated[int, Range(2, MIN_CAP)] = 10
    """Seeds every config starts with (must equal the spec's ``seeds``)."""
    cap: Annotated[int, Range(MIN_CAP, math.inf)] = MIN_CAP
    """Most seeds per cell."""
    confidence: Annotated[float, Range(0.0, 1.0, lo_open=True, hi_open=True)] = 0.95
    """Coverage of a cell's intervals over all its looks together."""
    rounds: Optional[Annotated[int, Range(0, math.inf)]] = None
    """Most extra rounds (None: up to the cap); fewer looks than the schedule only make intervals conservative."""
    futility: bool = True
    """Stop a cell whose power calculation asks for more than the cap (module docstring)."""
    caps: dict[str, Annotated[int, Range(MIN_CAP, math.inf)]] = field(default_factory=dict)
    """Instance kind -> its own cap (module docstring, "Caps per instance"); a kind not listed: ``cap``."""

    def for_instance(self, kind: str) -> "Plan":
        """The plan of one instance's cells: its cap from ``caps`` (else ``cap``), no further overrides."""
        return dataclasses.replace(self, cap=self.caps.get(kind, self.cap), caps={})

    @property
    def counts(self) -> tuple[int, ...]:
        """The round schedule (:func:`schedule`)."""
        return schedule(self.initial, self.cap)

    @property
    def looks(self) -> int:
        """Looks per cell, ``L`` (the schedule's length)."""
        return len(self.counts)

    def level(self, cells: int = 1) -> float:
        """Confidence of each look's interval, split over ``cells`` more for a claim over a grid
        (:func:`look_confidence`)."""
        return look_confidence(self.confidence, self.looks, cells)

    def wants(self, n: int, needed: float) -> int | None:
        """Seeds an open cell at ``n`` seeds asks for next (the schedule's next count), or None when it stops:
        at the cap, or by futility when ``needed`` (:func:`seeds_needed`) exceeds the cap or is not finite."""
        if self.futility and not (np.isfinite(needed) and needed <= self.cap):
            return None
        return next_count(n, self.counts)

    def text(self) -> str:
        """The plan in words for the report."""
        return (f"sequential seeds: schedule {', '.join(map(str, self.counts))} seeds per cell ({self.looks} looks"
                f"{'' if self.rounds is None else f', at most {self.rounds} extra rounds'}); each look's interval at "
                f"{self.level():.4g} = 1 − (1 − {self.confidence:g})/{self.looks} (Bonferroni over looks, so every "
                f"cell keeps {self.confidence:g} coverage under the stopping rule)"
                + ("; an open cell whose power calculation asks for more than the cap stops (futility)"
                   if self.futility else "")
                + "".join(f"; {kind}: {self.for_instance(kind).text_counts()}" for kind in sorted(self.caps)))

    def text_counts(self) -> str:
        """This plan's schedule and look confidence in words (for an instance's own cap)."""
        return (f"cap {self.cap}, schedule {', '.join(map(str, self.counts))} ({self.looks} looks, each at "
                f"{self.level():.4g})")


def schedule(initial: int, cap: int) -> tuple[int, ...]:
    """Seeds per cell at each look: ``initial · 2^r`` below ``cap``, then ``cap``."""
    if isinstance(initial, bool) or not isinstance(initial, int) or initial < 2:
        raise ValidationError("sequential.initial", f"must be an integer >= 2, got {initial!r}")
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < max(MIN_CAP, initial):
        raise ValidationError("sequential.cap", f"must be an integer >= {max(MIN_CAP, initial)}, got {cap!r}")
    counts = [initial]
    while counts[-1] * 2 < cap:
        counts.append(counts[-1] * 2)
    return tuple(counts) + ((cap,) if counts[-1] != cap else ())


def look_confidence(confidence: float, looks: int, cells: int = 1) -> float:
    """``1 − (1 − confidence)/(looks · cells)``: the confidence of each look's interval (module docstring)."""
    if not 0 < confidence < 1:
        raise ValidationError("confidence", f"must lie in (0, 1), got {confidence!r}")
    if looks < 1 or cells < 1:
        raise ValidationError("looks", f"looks and cells must be >= 1, got {looks}, {cells}")
    return 1.0 - (1.0 - confidence) / (looks * cells)


def next_count(current: int, counts: tuple[int, ...]) -> int | None:
    """The schedule's next seed count after ``current`` (None when the cap is reached)."""
    later = [n for n in counts if n > current]
    return later[0] if later else None


def seeds_needed(value: float, lo: float, hi: float, n: int, threshold: float, confidence: float,
                 power: float = POWER) -> float:
    """Seeds for the interval of a positive ratio to exclude ``threshold`` with probability ``power`` (module
    docstring). ``inf`` when the estimate sits at the threshold; NaN without a finite positive interval."""
    if not (np.isfinite(value) and np.isfinite(lo) and np.isfinite(hi) and value > 0 and 0 < lo < hi):
        return math.nan
    z = st.norm.ppf(0.5 + confidence / 2)
    se = (math.log(hi) - math.log(lo)) / (2 * z)
    distance = abs(math.log(value) - math.log(threshold))
    if distance == 0:
        return math.inf
    return float(math.ceil(n * ((z + st.norm.ppf(power)) * se / distance) ** 2))


def expected_false_verdicts(decided: int, confidence: float, looks: int, cells: int = 1) -> float:
    """Upper bound on the expected number of false verdicts among ``decided`` cells, each interval at
    :func:`look_confidence` (module docstring)."""
    return decided * (1.0 - look_confidence(confidence, looks, cells)) * looks
