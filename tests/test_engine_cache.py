"""numba's cache follows every source of the compiled packages: editing a file that a cached kernel only
inlines (``rng.py`` inside the delay kernel of ``delays.py``; ``cartpole.py`` inside the evaluation kernel
of ``envs/fourier.py``; ``cartpole_samplers.py`` inside the loops that ``continuous_kernels`` builds as
closures) takes effect on the next run, with no cache clearing; the closures are loaded from the cache in a
new process, each environment from files of its own; a closure over anything but a compiled function of the
package is refused."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from numba import njit

from a3c_theory.engine.cache import cached_closure

PACKAGE = Path(__file__).resolve().parent.parent / "a3c_theory"

DELAY_PROBE = """
import numpy as np
from a3c_theory.engine import delays
schedule = delays.LookaheadSchedule("uniform", 2, 0, 5, np.random.SeedSequence(0), 64)
print(int(schedule.next_chunk(0, 64).delays[:64].sum()))
"""

CARTPOLE_PROBE = """
import numpy as np
from a3c_theory.envs import fourier
theta = np.zeros((2, 1))
theta[0, 0] = 1e3  # always left
print(int(fourier.evaluate(theta, 0, 20, seed=0).returns.sum()))
"""

LOOP_PROBE = """
import numpy as np
from a3c_theory import config
from a3c_theory.engine import cartpole_samplers, continuous_kernels, run
cfg = config.from_dict({"problem": {"kind": "cartpole", "fourier_order": 1},
                        "algorithm": {"sampling": "markov", "radius": 50.0}, "run": {"samples": 50, "snapshots": 6}})
trace = run(cfg, progress=False)
hits = sum(continuous_kernels.loops(cartpole_samplers).simulated_chunk.stats.cache_hits.values())
print(int(np.count_nonzero(trace.w[-1])), hits)
"""

LIMIT = "X_THRESHOLD = 2.4"

CRITIC_STEP = "w[c] += b * pend_f[slot, 2 + c]"

UNIFORM = "return np.float64(np.int64(x >> np.uint64(11))) * _TWO_POW_MINUS_53, s0, s1, s2, s3"


def _probe(root: Path, code: str) -> int:
    """The integer that ``code`` prints, run in a fresh interpreter on the package copy under ``root``."""
    return _probe_ints(root, code)[0]


def _probe_ints(root: Path, code: str) -> list[int]:
    """The integers that ``code`` prints, run in a fresh interpreter on the package copy under ``root``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NUMBA_CACHE")}
    env["PYTHONPATH"] = str(root)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    return [int(x) for x in out.stdout.split()]


def test_editing_an_inlined_dependency_recompiles_the_cached_kernel(tmp_path):
    copy = tmp_path / "a3c_theory"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    original = _probe(tmp_path, DELAY_PROBE)  # compiles and writes the cache
    assert original > 0  # uniform delays on {0, ..., 5}
    assert any((copy / "engine" / "__pycache__").glob("delays.lookahead_chunk*.nbi"))
    rng = copy / "engine" / "rng.py"
    source = rng.read_text()
    assert UNIFORM in source
    rng.write_text(source.replace(UNIFORM, UNIFORM.replace("_TWO_POW_MINUS_53,", "0.0,")))  # u = 0 always
    assert _probe(tmp_path, DELAY_PROBE) == 0  # every delay min(⌊0·6⌋, 5) = 0: the edit is compiled in


def test_editing_cartpole_recompiles_the_cached_evaluation_kernel(tmp_path):
    copy = tmp_path / "a3c_theory"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    original = _probe(tmp_path, CARTPOLE_PROBE)  # compiles and writes the cache
    assert original > 20  # always-left episodes last about 9 steps, ended by |θ| > 12°
    assert any((copy / "envs" / "__pycache__").glob("fourier.episode_returns*.nbi"))
    source = copy / "envs" / "cartpole.py"
    text = source.read_text()
    assert LIMIT in text
    source.write_text(text.replace(LIMIT, "X_THRESHOLD = -1.0"))  # every state is past the cart's limit
    assert _probe(tmp_path, CARTPOLE_PROBE) == 20  # each episode ends after its first step: the edit is in


def test_editing_a_sampler_recompiles_the_cached_continuous_loops(tmp_path):
    copy = tmp_path / "a3c_theory"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    nonzero, hits = _probe_ints(tmp_path, LOOP_PROBE)  # compiles and writes the cache
    assert nonzero > 0 and hits == 0  # the critic moved
    assert any((copy / "engine" / "__pycache__").glob("continuous_kernels.cartpole_samplers.simulated_chunk*.nbi"))
    assert _probe_ints(tmp_path, LOOP_PROBE) == [nonzero, 1]  # a new process loads the closure from the cache
    samplers = copy / "engine" / "cartpole_samplers.py"
    text = samplers.read_text()
    assert CRITIC_STEP in text
    samplers.write_text(text.replace(CRITIC_STEP, CRITIC_STEP.replace("+= b *", "+= 0.0 * b *")))
    assert _probe_ints(tmp_path, LOOP_PROBE) == [0, 0]  # ω never moves: the edit is compiled in, not loaded


def test_a_closure_over_an_uncompiled_function_is_refused():
    def plain(x):
        return x

    def loop(x):
        return plain(x)

    with pytest.raises(TypeError, match="closure cell 'plain' is not a compiled function"):
        cached_closure(loop, "test")
    outside = njit(plain)  # compiled, but defined outside the package: its edits would not be stamped

    def loop2(x):
        return outside(x)

    with pytest.raises(TypeError, match="closure cell 'outside'"):
        cached_closure(loop2, "test")
