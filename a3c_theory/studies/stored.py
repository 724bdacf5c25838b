"""Which snapshot rows of a runs table a study stores: the rows its summary reads, so that a redraw from
the stored table gives the same numbers bit for bit (a study module's optional ``stored_rows``, applied by
``reproduce.finish`` before it summarises).

A study picks, per run, positions in the run's rows sorted by ``samples`` (stably, as
:func:`stats.run_arrays` orders them), from what its computations read:

* :func:`ends`: the first and the last snapshot (``y_0`` of a normalisation such as ``1 − gap/gap_0``, the
  run's horizon ``k[-1]``);
* :func:`around`: for ``np.interp(x, k, y)`` at each point ``x``, the rows with the largest ``k ≤ x`` and
  the smallest ``k > x`` (with every row tied with either), the only rows the interpolation reads, so it
  gives the same value on the kept rows;
* :func:`crossing`: for :func:`stats.first_crossing` of a level, the first row at or past the level and the
  one before it: every earlier row lies below the level, so on the kept rows the first crossing is the same
  row, interpolated between the same two rows.

:func:`keep` applies the choice (None: every row of that run) and returns the kept rows in the table's own
order, so every groupby and every sort of the summary meets them in the same order.
"""

import numpy as np
import pandas as pd

from . import stats


def ends(k: np.ndarray) -> np.ndarray:
    """Positions of the first and the last snapshot."""
    return np.unique([0, len(k) - 1])


def around(k: np.ndarray, points) -> np.ndarray:
    """Positions of the rows ``np.interp(x, k, ·)`` reads for every ``x`` in ``points`` (``k`` sorted): the last
    row with ``k ≤ x`` and the next one, each with every row of the same ``k`` (the first row when ``x <
    k[0]``, the last when ``x ≥ k[-1]``)."""
    k = np.asarray(k, float)
    x = np.asarray(list(points), float)
    below = np.clip(np.searchsorted(k, x, side="right") - 1, 0, len(k) - 1)
    values = np.unique(np.r_[k[below], k[np.minimum(below + 1, len(k) - 1)]])
    return np.flatnonzero(np.isin(k, values))


def crossing(y: np.ndarray, level: float, decreasing: bool = False) -> np.ndarray:
    """Positions :func:`stats.first_crossing` reads for ``y ≥ level`` (``y ≤ level`` when ``decreasing``): the
    first row past the level and the one before it; none when ``y`` never gets there (the first row alone
    then gives ``+inf`` as well)."""
    y = np.asarray(y, float)
    past = np.flatnonzero(y <= level if decreasing else y >= level)
    return np.unique([max(int(past[0]) - 1, 0), int(past[0])]) if past.size else np.array([], int)


def keep(runs: pd.DataFrame, choose, columns=()) -> pd.DataFrame:
    """The rows of ``runs`` that ``choose(first, k, arrays)`` keeps, in ``runs``' order. Per run, ``first`` is
    its first row by ``samples`` (a Series: the run-level columns), ``k`` its ``samples`` sorted, ``arrays``
    each of ``columns`` as a float array in that order; ``choose`` returns positions into them, or None to keep
    every row of the run."""
    stats.need(runs, "run_id", "samples", *columns)
    order = pd.factorize(runs["run_id"])[0]
    rows = np.lexsort((runs["samples"].to_numpy(float), order))  # stats.run_arrays' order
    starts = np.r_[0, np.flatnonzero(np.diff(order[rows])) + 1]
    stops = np.r_[starts[1:], len(rows)]
    k = runs["samples"].to_numpy(float)[rows]
    values = {c: runs[c].to_numpy(float)[rows] for c in columns}
    firsts = runs.iloc[rows[starts]]
    kept = np.zeros(len(runs), bool)
    for (_, first), a, b in zip(firsts.iterrows(), starts, stops):
        chosen = choose(first, k[a:b], {c: v[a:b] for c, v in values.items()})
        kept[rows[a:b] if chosen is None else rows[a + np.asarray(chosen, int)]] = True
    return runs[kept]
