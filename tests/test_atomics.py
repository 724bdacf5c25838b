"""The compiled atomics (engine/cpu_atomics.py) and wall clock (engine/clock.py).

The intrinsics can only be called from compiled code, so the small kernels below are jitted here;
they are deterministic checks (no statistics), apart from the thread interleaving they exercise.
"""

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numba
import numpy as np
import pytest

from a3c_theory.engine.cpu_atomics import atomic_fetch_add, atomic_load
from a3c_theory.engine.clock import monotonic_ns

REPO = Path(__file__).resolve().parents[1]


@numba.njit(nogil=True)
def _claim(counter, slot, olds, step):
    """Fetch-add ``step`` to ``counter[slot]`` once per entry of ``olds``, recording each returned value."""
    for i in range(olds.shape[0]):
        olds[i] = atomic_fetch_add(counter, slot, step)


@numba.njit(nogil=True)
def _wait_for(flag, slot, target, max_spins):
    """Spin on an atomic load until ``flag[slot] >= target``; returns the spins used (``max_spins`` if never)."""
    for spins in range(max_spins):
        if atomic_load(flag, slot) >= target:
            return spins
    return max_spins


def test_fetch_add_returns_the_old_value_and_adds():
    counter = np.array([0, 7, 0], dtype=np.int64)
    olds = np.empty(4, np.int64)
    _claim(counter, 1, olds, -3)
    assert olds.tolist() == [7, 4, 1, -2]
    assert counter.tolist() == [0, -5, 0]  # only the addressed element changes


@pytest.mark.parametrize("n_threads", [2, 4])
def test_concurrent_fetch_adds_hand_out_each_value_exactly_once(n_threads):
    """Each call returns a distinct old value and no increment is lost: the returned values of all
    threads together are exactly 0..total−1 and the counter ends at total."""
    per_thread = 200_000
    counter = np.zeros(8, np.int64)
    olds = [np.empty(per_thread, np.int64) for _ in range(n_threads)]
    _claim(counter, 0, olds[0][:1], 0)  # compile before the threads start
    threads = [threading.Thread(target=_claim, args=(counter, 0, o, 1)) for o in olds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = n_threads * per_thread
    assert counter[0] == total
    assert np.array_equal(np.sort(np.concatenate(olds)), np.arange(total))
    for o in olds:  # each thread sees the counter increase
        assert np.all(np.diff(o) > 0)


def test_atomic_load_is_reread_inside_a_loop():
    """A spinning reader sees a value written by another thread (the load is not hoisted)."""
    flag = np.zeros(8, np.int64)
    _wait_for(flag, 0, 0, 1)
    result = []
    reader = threading.Thread(target=lambda: result.append(_wait_for(flag, 0, 1, 10**12)))
    reader.start()
    time.sleep(0.05)
    flag[0] = 1
    reader.join(timeout=30)
    assert not reader.is_alive() and result[0] < 10**12


def test_atomics_reject_non_int64_vectors():
    with pytest.raises(numba.core.errors.TypingError):
        _claim(np.zeros(4, np.float64), 0, np.empty(1, np.int64), 1)


@numba.njit(nogil=True)
def _stamps(clock_id, out):
    for i in range(out.shape[0]):
        out[i] = monotonic_ns(clock_id)


def test_compiled_clock_is_the_python_monotonic_clock():
    out = np.empty(1000, np.int64)
    _stamps(time.CLOCK_MONOTONIC, out[:1])
    before = time.monotonic_ns()
    _stamps(time.CLOCK_MONOTONIC, out)
    after = time.monotonic_ns()
    assert before <= out[0] and out[-1] <= after
    assert np.all(np.diff(out) >= 0)


_CACHED_MODULE = '''
import time
import numba
import numpy as np
from a3c_theory.engine.cpu_atomics import atomic_fetch_add, atomic_load
from a3c_theory.engine.clock import monotonic_ns

@numba.njit(cache=True, nogil=True)
def kernel(counter, clock_id):
    t = monotonic_ns(clock_id)
    atomic_fetch_add(counter, 0, 5)
    return atomic_load(counter, 0), t
'''

_CALLER = '''
import sys, time
import numpy as np
import cached_atomics
c = np.zeros(1, np.int64)
value, t = cached_atomics.kernel(c, time.CLOCK_MONOTONIC)
assert value == 5 and t > 0
stats = cached_atomics.kernel.stats
print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
'''


def test_kernels_using_the_intrinsics_load_from_the_cache_in_a_new_process(tmp_path):
    (tmp_path / "cached_atomics.py").write_text(textwrap.dedent(_CACHED_MODULE))
    env = {"PYTHONPATH": f"{tmp_path}:{REPO}", "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PATH": ""}
    runs = [subprocess.run([sys.executable, "-c", _CALLER], env=env, capture_output=True, text=True, timeout=120)
            for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
    assert runs[0].stdout.split() == ["0", "1"]  # first process compiles and writes the cache
    assert runs[1].stdout.split() == ["1", "0"]  # second process loads it
