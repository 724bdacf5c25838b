"""The environment kernels' numba cache follows every source they inline: editing ``cartpole.py`` takes
effect in the cached evaluation kernel of ``fourier.py`` on the next run, with no cache clearing."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "a3c_theory"

PROBE = """
import numpy as np
from a3c_theory.envs import fourier
theta = np.zeros((2, 1))
theta[0, 0] = 1e3  # always left
print(int(fourier.evaluate(theta, 0, 20, seed=0).returns.sum()))
"""

LIMIT = "X_THRESHOLD = 2.4"


def _always_left_total(root: Path) -> int:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NUMBA_CACHE")}
    env["PYTHONPATH"] = str(root)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=root, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip())


def test_editing_cartpole_recompiles_the_cached_evaluation_kernel(tmp_path):
    copy = tmp_path / "a3c_theory"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    original = _always_left_total(tmp_path)  # compiles and writes the cache
    assert original > 20  # always-left episodes last about 9 steps, ended by |θ| > 12°
    assert any((copy / "envs" / "__pycache__").glob("fourier.episode_returns*.nbi"))
    source = copy / "envs" / "cartpole.py"
    text = source.read_text()
    assert LIMIT in text
    source.write_text(text.replace(LIMIT, "X_THRESHOLD = -1.0"))  # every state is past the cart's limit
    assert _always_left_total(tmp_path) == 20  # each episode ends after its first step: the edit is in
