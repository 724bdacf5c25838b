"""numba's cache follows every engine source: editing a file that a cached kernel only inlines
(``rng.py`` inside the delay kernel of ``delays.py``) takes effect on the next run, with no cache clearing."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "a3c_theory"

PROBE = """
import numpy as np
from a3c_theory.engine import delays
schedule = delays.LookaheadSchedule("uniform", 2, 0, 5, np.random.SeedSequence(0), 64)
print(int(schedule.next_chunk(0, 64).delays[:64].sum()))
"""

UNIFORM = "return np.float64(np.int64(x >> np.uint64(11))) * _TWO_POW_MINUS_53, s0, s1, s2, s3"


def _delay_sum(root: Path) -> int:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NUMBA_CACHE")}
    env["PYTHONPATH"] = str(root)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=root, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip())


def test_editing_an_inlined_dependency_recompiles_the_cached_kernel(tmp_path):
    copy = tmp_path / "a3c_theory"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    original = _delay_sum(tmp_path)  # compiles and writes the cache
    assert original > 0  # uniform delays on {0, ..., 5}
    assert any((copy / "engine" / "__pycache__").glob("delays.lookahead_chunk*.nbi"))
    rng = copy / "engine" / "rng.py"
    source = rng.read_text()
    assert UNIFORM in source
    rng.write_text(source.replace(UNIFORM, UNIFORM.replace("_TWO_POW_MINUS_53,", "0.0,")))  # u = 0 always
    assert _delay_sum(tmp_path) == 0  # every delay min(⌊0·6⌋, 5) = 0: the edit is compiled in
