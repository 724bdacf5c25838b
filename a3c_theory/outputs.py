"""Output folders that say what they hold, so no command writes over another command's or config's results.

Every folder that ``run`` or ``reproduce`` writes its results into carries a fingerprint file,
``DIR/.a3c-theory.json`` (written atomically), e.g. ``{"format": 1, "command": "reproduce", "kind":
"full"}`` or ``{"format": 1, "command": "run", "config": "<sha256 of the run's config>"}`` (seed included: a run folder
holds one run). A ``reproduce`` fingerprint names only the kind: its sweeps (``DIR/_runs``) refuse another
spec themselves, and extend on more seeds. The file
travels with the folder, so a folder's fingerprint says what it holds wherever it is, wherever the
command runs from and through whichever symlink it is reached.

:func:`claim` is called before any work starts: it refuses a folder whose fingerprint differs from the
command's (another config, another kind of results) or, without a fingerprint, a folder that already holds
files (not written by this tool, or by a version without fingerprints), unless ``force``; then it writes
the command's fingerprint. Hidden entries (``.lock``, temp files) are not counted as results.
"""

import hashlib
import json
from pathlib import Path

from . import atomic
from .errors import ValidationError

FILE = ".a3c-theory.json"
FORMAT = 1


def digest(value) -> str:
    """The sha256 (hex) of ``value``'s canonical JSON (sorted keys): the fingerprint of a config."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def read(folder) -> dict | None:
    """The fingerprint of ``folder``, or None when it has none; an unreadable one is a ValidationError."""
    path = Path(folder) / FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise ValidationError(str(path), f"is not a readable output fingerprint ({err})") from None
    if not isinstance(record, dict):
        raise ValidationError(str(path), "is not an output fingerprint (expected a JSON object)")
    return record


def results(folder) -> list[str]:
    """The names of the non-hidden entries of ``folder`` (none when it does not exist), sorted."""
    folder = Path(folder)
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []


def describe(record: dict) -> str:
    """``full reproduce results``, ``the run of config 1a2b3c4d5e6f``, ..."""
    if record.get("command") == "run":
        return f"the run of config {str(record.get('config'))[:12]}"
    return f"{record.get('kind', '?')} {record.get('command', '?')} results"


def claim(folder, field: str, record: dict, force: bool = False, unmarked_ok: bool = False) -> None:
    """Check that ``folder`` may receive the results ``record`` describes, then write ``record`` as its
    fingerprint. Refused (ValidationError naming ``field`` and the folder) unless ``force``: a fingerprint
    that differs from ``record``; no fingerprint but non-hidden entries (``unmarked_ok`` accepts those)."""
    folder = Path(folder)
    record = {"format": FORMAT, **record}
    held = read(folder)
    if held is None:
        found = results(folder)
        if found and not (unmarked_ok or force):
            listed = ", ".join(found[:3]) + (", ..." if len(found) > 3 else "")
            raise ValidationError(field, f"{folder} already holds files not written by a3c-theory ({listed}); "
                                         "choose an empty or new folder, or pass --force to write into it")
    elif held != record and not force:
        raise ValidationError(field, f"{folder} holds {describe(held)}, not {describe(record)}; choose another "
                                     "folder, or pass --force to overwrite them")
    atomic.write_text(folder / FILE, json.dumps(record, sort_keys=True) + "\n")
