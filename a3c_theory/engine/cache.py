"""numba's on-disk cache, keyed on every engine source file.

numba stamps a cached kernel with a hash of the kernel's own file only. The kernels inline code from
``samplers.py``, ``rng.py``, ``atomics.py``, …, so an edit there would silently keep running the old
machine code. :func:`install` registers locators for the functions defined in this package whose source
stamp is the SHA-256 of all ``*.py`` files of ``a3c_theory/engine`` (names and contents): any edit to any
engine file invalidates every cached kernel on its next load, and nothing else changes (same cache
folders, ``NUMBA_CACHE_DIR`` honoured). Hashing ~10 small files costs well under a millisecond.
"""

import hashlib
from pathlib import Path

from numba.core import caching

ENGINE_DIR = Path(__file__).resolve().parent


def sources_stamp() -> bytes:
    """SHA-256 over the engine's ``*.py`` files (sorted by name): each name and its content hash."""
    digest = hashlib.sha256()
    for path in sorted(ENGINE_DIR.glob("*.py")):
        st = path.stat()
        digest.update(path.name.encode())
        digest.update(caching._hash_source_file(str(path), st.st_mtime, st.st_size))
    return digest.digest()


class _EngineStamp:
    """Mixin: only for functions defined in the engine package; stamp = :func:`sources_stamp`."""

    @classmethod
    def from_function(cls, py_func, py_file):
        if Path(py_file).resolve().parent != ENGINE_DIR:
            return None
        return super().from_function(py_func, py_file)

    def get_source_stamp(self):
        return sources_stamp()


class EngineUserProvidedLocator(_EngineStamp, caching.UserProvidedCacheLocator):
    """``NUMBA_CACHE_DIR`` set: numba's user-provided folder, engine-wide stamp."""


class EngineInTreeLocator(_EngineStamp, caching.InTreeCacheLocator):
    """The package's ``__pycache__``, engine-wide stamp."""


def install() -> None:
    """Put the engine locators first in numba's list (idempotent); must run before any kernel is defined."""
    classes = caching.CacheImpl._locator_classes
    for locator in (EngineInTreeLocator, EngineUserProvidedLocator):
        if locator not in classes:
            classes.insert(0, locator)
