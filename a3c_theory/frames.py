"""Tidy tables (pandas DataFrames) on disk: CSV always, Parquet beside it where ``pyarrow`` is installed.

CSV is written without the index, missing values as ``nan``; :func:`read_csv` reads it back with the same
dtypes and values (int64, float64 bit for bit, inf and nan included, bool, strings, the empty string kept).
Every file is written atomically (:mod:`a3c_theory.atomic`).
"""

import importlib.util
from pathlib import Path

import pandas as pd

from . import atomic

NA = "nan"


def has_parquet() -> bool:
    """Whether ``pyarrow`` (the optional extra ``parquet``) is importable."""
    return importlib.util.find_spec("pyarrow") is not None


def to_csv_text(frame: pd.DataFrame) -> str:
    """The CSV text of ``frame`` (header row, then one row per record; no index)."""
    return frame.to_csv(index=False, na_rep=NA, lineterminator="\n")


def read_csv(path) -> pd.DataFrame:
    """A CSV written by :func:`write` back as a DataFrame with the dtypes it had."""
    return pd.read_csv(path, keep_default_na=False, na_values=[NA])


def write(frame: pd.DataFrame, path, parquet: bool | None = None) -> Path:
    """Write ``frame`` to the CSV ``path`` and, when ``parquet`` (default: where pyarrow is installed), to
    ``path`` with suffix ``.parquet``; both atomically. Returns the CSV path."""
    path = Path(path)
    atomic.write_text(path, to_csv_text(frame))
    if has_parquet() if parquet is None else parquet:
        atomic.write_bytes(path.with_suffix(".parquet"), lambda handle: frame.to_parquet(handle, index=False))
    return path
