"""Atomic, durable file writes: a crash or an interrupt leaves the old file or the new one, never a mix.

The data go to a temporary file ``.<name>.<random>.tmp`` in the target's folder, are fsynced, and the
temporary file is renamed over the target; the folder is then fsynced so the rename survives a power
loss (POSIX). A temporary file left by a killed process keeps that pattern, so callers can clean it up.
The result gets the mode of a file created by ``open`` (``0o666`` less the user's umask), not mkstemp's 0600.

:func:`check_writable` tests a destination before any work starts, so a long computation is never lost
to an unwritable output path.
"""

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import ValidationError


def write_bytes(path, write) -> Path:
    """Call ``write(binary_file)`` on a temporary file, then move it atomically to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            with contextlib.suppress(AttributeError):  # no fchmod on Windows
                os.fchmod(handle.fileno(), 0o666 & ~_umask())
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as err:  # e.g. a full disk: name the file, keep the old one
        Path(tmp).unlink(missing_ok=True)
        raise OSError(err.errno, err.strerror or str(err), str(path)) from err
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


def _umask() -> int:
    """The process umask (read without changing it where /proc allows)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def path_of(text, field: str) -> Path:
    """``text`` as a Path; an empty one (which Path would read as the working directory) is a ValidationError."""
    if str(text) == "":
        raise ValidationError(field, "is empty; give a folder or file path (use . for the working directory)")
    return Path(text)


def check_writable(path, field: str, folder: bool = False) -> Path:
    """Fail now (ValidationError naming ``field`` and the path) if ``path`` cannot be written later.

    ``folder=True``: ``path`` is an output folder (created if missing); else a file whose folder must
    exist or be creatable. Refused: an empty path (it would mean the working directory), a path through a
    symlink loop, a path whose folder (or one above it) is an existing file, a file path that is a folder.
    A probe file is created and removed in that folder."""
    path = path_of(path, field)
    try:
        path.resolve()
    except RuntimeError:  # pathlib's report of ELOOP
        raise ValidationError(field, f"{path} goes through a symlink loop; remove the loop or choose another path") from None
    target = path if folder else path.parent
    if not folder and path.is_dir():
        raise ValidationError(field, f"{path} is a folder, expected a file path")
    for above in (target, *target.parents):
        if above.exists():
            if not above.is_dir():
                raise ValidationError(field, f"{above} is a file, not a folder, so {path} cannot be written")
            break
    try:
        target.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=target, prefix=".write-check.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise ValidationError(field, f"cannot write to {target}: {err.strerror or err}") from None
    return path
