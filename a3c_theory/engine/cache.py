"""numba's on-disk cache, keyed on every source file of the compiled packages.

numba stamps a cached kernel with a hash of the kernel's own file only. The engine's kernels inline code
from ``samplers.py``, ``rng.py``, ``cpu_atomics.py``, …, and the environment kernels of ``a3c_theory/envs``
inline each other and the engine's xoshiro streams, so an edit there would silently keep running the old
machine code. :func:`install` registers locators for the functions defined in those two packages
(:data:`COMPILED_DIRS`) whose source stamp is the SHA-256 of all their ``*.py`` files (folder, name and
contents): any edit to any of them invalidates every cached kernel on its next load, and nothing else
changes (same cache folders, ``NUMBA_CACHE_DIR`` honoured). Hashing ~15 small files costs well under a
millisecond.
"""

import hashlib
from pathlib import Path

from numba.core import caching

ENGINE_DIR = Path(__file__).resolve().parent
COMPILED_DIRS = (ENGINE_DIR, ENGINE_DIR.parent / "envs")
"""The packages that hold numba code: the engine and the environments beyond finite MDPs."""


def sources_stamp() -> bytes:
    """SHA-256 over the ``*.py`` files of :data:`COMPILED_DIRS` (sorted by name): each folder and name, and
    its content hash."""
    digest = hashlib.sha256()
    for folder in COMPILED_DIRS:
        for path in sorted(folder.glob("*.py")):
            st = path.stat()
            digest.update(f"{folder.name}/{path.name}".encode())
            digest.update(caching._hash_source_file(str(path), st.st_mtime, st.st_size))
    return digest.digest()


class _CompiledStamp:
    """Mixin: only for functions defined in :data:`COMPILED_DIRS`; stamp = :func:`sources_stamp`."""

    @classmethod
    def from_function(cls, py_func, py_file):
        if Path(py_file).resolve().parent not in COMPILED_DIRS:
            return None
        return super().from_function(py_func, py_file)

    def get_source_stamp(self):
        return sources_stamp()


class CompiledUserProvidedLocator(_CompiledStamp, caching.UserProvidedCacheLocator):
    """``NUMBA_CACHE_DIR`` set: numba's user-provided folder, package-wide stamp."""


class CompiledInTreeLocator(_CompiledStamp, caching.InTreeCacheLocator):
    """The package's ``__pycache__``, package-wide stamp."""


def install() -> None:
    """Put the locators first in numba's list (idempotent); must run before any kernel is defined."""
    classes = caching.CacheImpl._locator_classes
    for locator in (CompiledInTreeLocator, CompiledUserProvidedLocator):
        if locator not in classes:
            classes.insert(0, locator)
