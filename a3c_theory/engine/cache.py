"""numba's on-disk cache, keyed on every source file of the compiled packages.

numba stamps a cached kernel with a hash of the kernel's own file only. The engine's kernels inline code
from ``samplers.py``, ``rng.py``, ``cpu_atomics.py``, …, and the environment kernels of ``a3c_theory/envs``
inline each other and the engine's xoshiro streams, so an edit there would silently keep running the old
machine code. :func:`install` registers locators for the functions defined in those two packages
(:data:`COMPILED_DIRS`) whose source stamp is the SHA-256 of all their ``*.py`` files (folder, name and
contents): any edit to any of them invalidates every cached kernel on its next load, and nothing else
changes (same cache folders, ``NUMBA_CACHE_DIR`` honoured). Hashing ~15 small files costs well under a
millisecond.

Closures (:func:`cached_closure`, the loops that ``continuous_kernels.loops`` builds per environment): numba keys
a cached closure on its pickled cells, and a pickled dispatcher carries an id drawn afresh in every process, so
``cache=True`` would never hit and would add an index entry per process. :class:`ClosureCache` keys them instead
on the module and name of each function they close over, which must be compiled functions defined in
:data:`COMPILED_DIRS` (so the package-wide stamp covers their source too); each environment's closures get
index files of their own (the environment's tag in their name), so no two environments ever share a data file.
"""

import hashlib
from pathlib import Path

from numba import njit
from numba.core import caching
from numba.core.dispatcher import Dispatcher

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


def closure_cells(py_func) -> str:
    """``module.qualname`` of each function in ``py_func``'s closure, one a line; a TypeError unless every cell
    holds a compiled function defined in :data:`COMPILED_DIRS` (any other cell could change unseen)."""
    names = []
    for name, cell in zip(py_func.__code__.co_freevars, py_func.__closure__ or ()):
        target = cell.cell_contents
        inner = target.py_func if isinstance(target, Dispatcher) else None
        if inner is None or Path(inner.__code__.co_filename).resolve().parent not in COMPILED_DIRS:
            raise TypeError(f"{py_func.__qualname__}: closure cell {name!r} is not a compiled function of "
                            f"{', '.join(str(d) for d in COMPILED_DIRS)}; it cannot be cached safely")
        names.append(f"{inner.__module__}.{inner.__qualname__}")
    return "\n".join(names)


class ClosureCache(caching.FunctionCache):
    """numba's function cache with the closure's cells keyed by :func:`closure_cells` (module docstring)."""

    def _index_key(self, sig, codegen):
        digest = hashlib.sha256
        return (sig, codegen.magic_tuple(), (digest(self._py_func.__code__.co_code).hexdigest(),
                                             digest(closure_cells(self._py_func).encode()).hexdigest()))


def cached_closure(py_func, tag: str, **options):
    """``njit(**options)(py_func)`` cached by :class:`ClosureCache`, its qualname ``tag.name`` (``tag`` names the
    environment: its cache files are its own)."""
    closure_cells(py_func)  # refuse an uncacheable closure before compiling
    py_func.__qualname__ = f"{tag}.{py_func.__name__}"
    dispatcher = njit(**options)(py_func)
    dispatcher._cache = ClosureCache(py_func)
    return dispatcher
