"""Tidy tables (pandas DataFrames) on disk: CSV always, Parquet beside it where ``pyarrow`` is installed.

CSV is written without the index, missing values as ``nan``; :func:`read_csv` reads it back with the same
dtypes and values (int64, float64 bit for bit, inf and nan included, bool, strings, the empty string kept).
A path ending in ``.gz`` is gzip-compressed CSV (header without a timestamp, so the same table gives the
same bytes); it needs nothing beyond the standard library, and pandas reads it directly. Every file is
written atomically (:mod:`a3c_theory.atomic`).

A set of tables that belong together (a study's runs and metadata tables) can be sealed by a manifest,
:func:`write_manifest`: per table its sha256, row count and rows per ``run_id``. :func:`check_manifest`
then refuses a table that changed, naming the file and the runs that are missing or partial.
"""

import csv
import gzip
import hashlib
import io
import importlib.util
import json
from collections import Counter
from pathlib import Path

import pandas as pd

from . import atomic
from .errors import ValidationError

MANIFEST_FORMAT = 1

NA = "nan"


def has_parquet() -> bool:
    """Whether ``pyarrow`` (the optional extra ``parquet``) is importable."""
    return importlib.util.find_spec("pyarrow") is not None


def to_csv_text(frame: pd.DataFrame) -> str:
    """The CSV text of ``frame`` (header row, then one row per record; no index)."""
    return frame.to_csv(index=False, na_rep=NA, lineterminator="\n")


GZIP_LEVEL = 6


def is_compressed(path) -> bool:
    """Whether ``path`` names a gzip-compressed CSV (suffix ``.gz``)."""
    return Path(path).suffix == ".gz"


def read_csv(path) -> pd.DataFrame:
    """A CSV (or ``.csv.gz``) written by :func:`write` back as a DataFrame with the dtypes it had. A
    compressed file that is cut or damaged is a ValidationError naming it."""
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[NA])
    except (EOFError, OSError) as err:  # (gzip.BadGzipFile is an OSError)
        if not is_compressed(path) or isinstance(err, FileNotFoundError):
            raise
        raise ValidationError(str(path), f"is not a readable gzip-compressed table ({err})") from None


def _gzip_bytes(text: str) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=GZIP_LEVEL, mtime=0, filename="") as handle:
        handle.write(text.encode("utf-8"))
    return buffer.getvalue()


def write(frame: pd.DataFrame, path, parquet: bool | None = None) -> Path:
    """Write ``frame`` to the CSV ``path`` (gzip-compressed when it ends in ``.gz``) and, when ``parquet``
    (default: where pyarrow is installed), to ``path`` with suffix ``.parquet``; all atomically. Returns
    the CSV path."""
    path = Path(path)
    if is_compressed(path):
        data = _gzip_bytes(to_csv_text(frame))
        atomic.write_bytes(path, lambda handle: handle.write(data))
    else:
        atomic.write_text(path, to_csv_text(frame))
    if has_parquet() if parquet is None else parquet:
        atomic.write_bytes(path.with_suffix(".parquet"), lambda handle: frame.to_parquet(handle, index=False))
    return path


def run_rows(path) -> Counter:
    """Complete rows (as wide as the header) per value of the ``run_id`` column of the CSV ``path``; read
    with the csv module, so a table cut mid-row is still counted. Empty when there is no ``run_id`` column."""
    opener = gzip.open if is_compressed(path) else open
    found = Counter()
    with opener(path, "rt", newline="", encoding="utf-8", errors="replace") as handle:
        rows = csv.reader(handle)
        try:
            header = next(rows, [])
            if "run_id" not in header:
                return Counter()
            column = header.index("run_id")
            for row in rows:
                if len(row) == len(header):
                    found[row[column]] += 1
        except (EOFError, gzip.BadGzipFile):  # a compressed table cut short: the rows read so far
            pass
    return found


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(path, tables) -> Path:
    """Write the manifest ``path`` (JSON) of the CSV files ``tables`` (in ``path``'s folder): per file name
    its ``sha256``, ``rows`` and ``runs`` (complete rows per run id, :func:`run_rows`). Atomic."""
    path = Path(path)
    entries = {}
    for table in map(Path, tables):
        runs = run_rows(table)
        entries[table.name] = {"sha256": _sha256(table), "rows": sum(runs.values()), "runs": dict(runs)}
    return atomic.write_text(path, json.dumps({"format": MANIFEST_FORMAT, "tables": entries}, indent=1) + "\n")


def check_manifest(path) -> None:
    """Check every table the manifest ``path`` lists against it; ValidationError naming the first table
    that is missing or changed, with the runs it lost rows of (missing: no complete row left; partial:
    fewer rows than written)."""
    path = Path(path)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        tables = manifest["tables"]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError) as err:
        raise ValidationError(str(path), f"is not a readable table manifest ({err!r})") from None
    for name, entry in tables.items():
        table = path.parent / name
        if not table.is_file():
            raise ValidationError(str(table), f"is missing (listed in {path.name})")
        if _sha256(table) == entry["sha256"]:
            continue
        found = run_rows(table)
        missing = [rid for rid in entry["runs"] if not found.get(rid)]
        partial = [f"{rid} ({found[rid]} of {n} rows)" for rid, n in entry["runs"].items() if 0 < found.get(rid, 0) < n]
        lost = [f"{len(missing)} of {len(entry['runs'])} runs missing ({_listed(missing)})"] if missing else []
        lost += [f"partial runs {_listed(partial)}"] if partial else []
        what = "; ".join(lost) if lost else "its rows differ from those written"
        raise ValidationError(str(table), f"is not the table that was written ({path.name} has another checksum): "
                                          f"{what}")


def _listed(items: list, most: int = 5) -> str:
    return ", ".join(items[:most]) + (f", ... ({len(items) - most} more)" if len(items) > most else "")
