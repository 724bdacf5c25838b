"""Column tables (dict of equal-length columns) to and from CSV, with atomic writes.

Floats are written in Python's shortest round-trip form (``repr``), so ``read_csv(write_csv(t))`` gives
back the same doubles. On reading, a column whose every cell parses as an integer becomes int64, else one
whose every cell parses as a float (``nan``/``inf`` included) becomes float64, else a column of only
``True``/``False`` becomes bool, else it stays a column of strings. Columns of a header-only file are
empty float64 arrays.
"""

import csv
import io
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from . import atomic
from .errors import ValidationError


def _cell(x) -> str:
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return repr(float(x))
    return str(x)


def _columns(table: Mapping) -> dict:
    """The table's columns as 1-D sequences of one common length."""
    columns = {str(name): np.asarray(col).ravel() if np.ndim(col) else np.asarray([col]) for name, col in table.items()}
    lengths = {name: col.size for name, col in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValidationError("table", f"columns must have equal lengths, got {lengths}")
    return columns


def to_csv_text(table: Mapping) -> str:
    """The CSV text of a column table (header row, then one row per entry)."""
    columns = _columns(table)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*([_cell(x) for x in col.tolist()] for col in columns.values())))
    return buf.getvalue()


def write_csv(table: Mapping, path) -> Path:
    """Write ``table`` to ``path`` atomically: a temporary file in the same folder, then ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic.write_text(path, to_csv_text(table))


def _parse_column(cells: list[str]) -> np.ndarray:
    if not cells:
        return np.array([], dtype=np.float64)
    for kind in (int, float):
        try:
            return np.array([kind(c) for c in cells], dtype=np.int64 if kind is int else np.float64)
        except (ValueError, OverflowError):
            continue
    if set(cells) <= {"True", "False"}:
        return np.array([c == "True" for c in cells])
    return np.array(cells, dtype=str)


def read_csv(path) -> dict[str, np.ndarray]:
    """Read a CSV written by :func:`write_csv` back into a dict of numpy columns (types: module docstring)."""
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise ValidationError("path", f"{path} is empty (no header row)")
    header, body = rows[0], rows[1:]
    bad = [i for i, row in enumerate(body) if len(row) != len(header)]
    if bad:
        raise ValidationError("path", f"{path}: row {bad[0] + 2} has a different number of cells than the header")
    return {name: _parse_column([row[i] for row in body]) for i, name in enumerate(header)}


def concat(tables: Iterable[Mapping]) -> dict[str, np.ndarray]:
    """Stack tables with the same columns (in the first table's order) row-wise."""
    tables = [_columns(t) for t in tables]
    if not tables:
        return {}
    names = list(tables[0])
    for i, t in enumerate(tables[1:], start=1):
        if set(t) != set(names):
            raise ValidationError("tables", f"table {i} has columns {sorted(t)}, expected {sorted(names)}")
    return {name: np.concatenate([t[name] for t in tables]) for name in names}
