"""What a run records: parameter snapshots at log-spaced global counts, per-worker sample counts, clock,
delay histogram, and metadata (config, seed, versions, machine).

Saved as a folder with ``trace.npz`` (arrays) and ``trace.json`` (config and metadata). Each file is
written to a temporary name in the same folder and moved into place with ``os.replace``; the JSON is
written last, so a folder with a ``trace.json`` holds a complete trace.
"""

import functools
import json
import os
import platform
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import atomic
from .divergence import Divergence, from_meta
from .errors import ValidationError

ARRAY_FIELDS = ("k", "theta", "w", "time_s", "samples_per_worker", "delay_counts")
NPZ_NAME = "trace.npz"
JSON_NAME = "trace.json"


@dataclass(eq=False)
class Trace:
    """Snapshots of one run (n snapshots, N workers).

    - ``config``: ``Config.to_dict()``;
    - ``k``: int64[n], global update counts (``k[0] = 0``, ``k[-1] = K``, increasing);
    - ``theta``: float64[n, dθ]; ``w``: float64[n, d]: the parameters after ``k`` updates;
    - ``time_s``: float64[n], wall clock (threads mode) or simulated clock (simulated, sync) at ``k``;
    - ``samples_per_worker``: int64[n, N], updates applied from each worker up to ``k`` (rows sum to ``k``);
    - ``delay_counts``: int64[m], ``delay_counts[τ]`` = number of updates applied with delay τ (sums to K);
    - ``meta``: dict (JSON-serialisable): seed entropy, versions, machine, clock kind, radius, …, and the
      outcome (:mod:`a3c_theory.divergence`): a run that diverged at ``k`` keeps only its snapshots before
      ``k`` (then ``k[-1] < K``).
    """

    config: dict
    k: np.ndarray
    theta: np.ndarray
    w: np.ndarray
    time_s: np.ndarray
    samples_per_worker: np.ndarray
    delay_counts: np.ndarray
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.k = np.asarray(self.k, dtype=np.int64)
        self.theta = np.asarray(self.theta, dtype=np.float64)
        self.w = np.asarray(self.w, dtype=np.float64)
        self.time_s = np.asarray(self.time_s, dtype=np.float64)
        self.samples_per_worker = np.asarray(self.samples_per_worker, dtype=np.int64)
        self.delay_counts = np.asarray(self.delay_counts, dtype=np.int64)
        n = self.k.shape[0]
        if self.k.ndim != 1 or n < 1:
            raise ValidationError("trace.k", f"must be a non-empty 1-D array, got shape {self.k.shape}")
        if np.any(np.diff(self.k) <= 0):
            raise ValidationError("trace.k", "must be strictly increasing")
        for name in ("theta", "w", "samples_per_worker"):
            arr = getattr(self, name)
            if arr.ndim != 2 or arr.shape[0] != n:
                raise ValidationError(f"trace.{name}", f"must have shape (n_snapshots={n}, ·), got {arr.shape}")
        if self.time_s.shape != (n,):
            raise ValidationError("trace.time_s", f"must have shape ({n},), got {self.time_s.shape}")
        if self.delay_counts.ndim != 1:
            raise ValidationError("trace.delay_counts", f"must be 1-D, got shape {self.delay_counts.shape}")

    @property
    def divergence(self) -> Divergence | None:
        """Where the run left the floats (``meta["outcome"] == "diverged"``), or None."""
        return from_meta(self.meta)

    @property
    def n_workers(self) -> int:
        return self.samples_per_worker.shape[1]

    def save(self, directory) -> Path:
        """Write ``trace.npz`` then ``trace.json`` into ``directory`` (created if needed), atomically."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {name: getattr(self, name) for name in ARRAY_FIELDS}
        atomic.write_bytes(directory / NPZ_NAME, lambda fh: np.savez(fh, **arrays))
        text = json.dumps({"config": self.config, "meta": self.meta}, indent=2, sort_keys=True, default=_jsonable)
        atomic.write_text(directory / JSON_NAME, text)
        return directory

    @classmethod
    def load(cls, directory) -> "Trace":
        """Read a trace written by :meth:`save`."""
        directory = Path(directory)
        if not (directory / JSON_NAME).exists():
            raise FileNotFoundError(2, "no trace here", str(directory / JSON_NAME))
        json_path, npz_path = directory / JSON_NAME, directory / NPZ_NAME
        try:
            info = json.loads(json_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as err:  # empty, truncated or not JSON
            raise ValidationError(str(json_path), f"is not a readable trace JSON file ({err})") from None
        if not isinstance(info, dict):
            raise ValidationError(str(json_path), "must hold a JSON object with 'config' and 'meta'")
        for section in ("config", "meta"):
            if not isinstance(info.get(section), dict):
                raise ValidationError(str(json_path), f"lacks the '{section}' section")
        try:
            with np.load(npz_path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in ARRAY_FIELDS if name in data.files}
        except FileNotFoundError:
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:  # empty or truncated archive
            raise ValidationError(str(npz_path), f"is not a readable trace archive ({err})") from None
        missing = [name for name in ARRAY_FIELDS if name not in arrays]
        if missing:
            raise ValidationError(str(npz_path), f"lacks the array(s) {', '.join(missing)}")
        return cls(config=info["config"], meta=info["meta"], **arrays)


def _jsonable(obj):
    """JSON fallback for numpy scalars and arrays in ``meta``."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def machine_description() -> dict:
    """Cores, CPU model, platform and the versions of Python, numpy and numba (a new dict each call; read
    once per process, :func:`_machine`)."""
    return dict(_machine())


@functools.cache
def _machine() -> dict:
    import numba

    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
    }
