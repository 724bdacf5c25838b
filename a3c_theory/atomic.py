"""Atomic, durable file writes: a crash or an interrupt leaves the old file or the new one, never a mix.

The data go to a temporary file ``.<name>.<random>.tmp`` in the target's folder, are fsynced, and the
temporary file is renamed over the target; the folder is then fsynced so the rename survives a power
loss (POSIX). A temporary file left by a killed process keeps that pattern, so callers can clean it up.
"""

import contextlib
import os
import tempfile
from pathlib import Path


def write_bytes(path, write) -> Path:
    """Call ``write(binary_file)`` on a temporary file, then move it atomically to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError, AttributeError):  # make the rename durable (POSIX only)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    return path


def write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8, newlines untranslated) atomically to ``path``."""
    return write_bytes(path, lambda handle: handle.write(text.encode("utf-8")))
