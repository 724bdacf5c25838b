"""numba's on-disk cache for the environment kernels, keyed on every source they inline.

numba stamps a cached kernel with a hash of its own file only. The kernels here inline each other
(``fourier.py`` calls ``cartpole.py``) and the engine's xoshiro streams (``a3c_theory/engine/rng.py``),
so, as for the engine (:mod:`a3c_theory.engine.cache`), functions defined in this package get a source
stamp that is the SHA-256 of all ``*.py`` files of ``a3c_theory/envs`` together with the engine's
:func:`~a3c_theory.engine.cache.sources_stamp`: an edit to any of them recompiles every cached
environment kernel on its next load.
"""

import hashlib
from pathlib import Path

from numba.core import caching

from ..engine.cache import sources_stamp as engine_stamp

ENVS_DIR = Path(__file__).resolve().parent


def sources_stamp() -> bytes:
    """SHA-256 over this package's ``*.py`` files (sorted by name) and the engine's stamp."""
    digest = hashlib.sha256(engine_stamp())
    for path in sorted(ENVS_DIR.glob("*.py")):
        st = path.stat()
        digest.update(path.name.encode())
        digest.update(caching._hash_source_file(str(path), st.st_mtime, st.st_size))
    return digest.digest()


class _EnvsStamp:
    """Mixin: only for functions defined in this package; stamp = :func:`sources_stamp`."""

    @classmethod
    def from_function(cls, py_func, py_file):
        if Path(py_file).resolve().parent != ENVS_DIR:
            return None
        return super().from_function(py_func, py_file)

    def get_source_stamp(self):
        return sources_stamp()


class EnvsUserProvidedLocator(_EnvsStamp, caching.UserProvidedCacheLocator):
    """``NUMBA_CACHE_DIR`` set: numba's user-provided folder, package-wide stamp."""


class EnvsInTreeLocator(_EnvsStamp, caching.InTreeCacheLocator):
    """The package's ``__pycache__``, package-wide stamp."""


def install() -> None:
    """Put the locators first in numba's list (idempotent); must run before any kernel is defined."""
    classes = caching.CacheImpl._locator_classes
    for locator in (EnvsInTreeLocator, EnvsUserProvidedLocator):
        if locator not in classes:
            classes.insert(0, locator)
