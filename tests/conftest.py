"""Session-wide test set-up: headless plotting, single-threaded BLAS, and one numba warm-up."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def compiled_engine():
    """Compile (or load from cache) every numba kernel once per test session."""
    try:
        from a3c_theory.engine import warm_up
    except ImportError:  # engine not importable: the engine tests will fail on their own
        return
    warm_up()
