"""The Ray executor gives the same files and table as the local executor (one local Ray instance, ~3 s).

Ray leaves a session folder under its temp root and, the first time, an auth token in ~/.ray: the
fixture points the temp root at a private folder and removes both afterwards.
"""

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'a3c-theory[ray]')")

from a3c_theory import sweep  # noqa: E402
from test_sweep import BASE, TASK  # noqa: E402

TOKEN = Path.home() / ".ray" / "auth_token"


@pytest.fixture(scope="module")
def ray_temp_root():
    """A private RAY_TMPDIR (short: Ray puts unix sockets under it), removed with any token Ray created."""
    token_existed, ray_home_existed = TOKEN.exists(), TOKEN.parent.exists()
    root = tempfile.mkdtemp(prefix="rt")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_TMPDIR", root)
        yield Path(root)
    if ray.is_initialized():
        ray.shutdown()
    shutil.rmtree(root, ignore_errors=True)
    if not token_existed:
        TOKEN.unlink(missing_ok=True)
    if not ray_home_existed and TOKEN.parent.exists() and not any(TOKEN.parent.iterdir()):
        TOKEN.parent.rmdir()


def test_ray_executor_matches_local_executor(tmp_path, ray_temp_root):
    grid = {"x.a": [1, 2], "x.b": [0.5, 1.5]}
    local = sweep.run_sweep(BASE, grid, seeds=1, out_dir=tmp_path / "local", jobs=2, task=TASK, validate=None,
                            progress=False)
    remote = sweep.run_sweep(BASE, grid, seeds=1, out_dir=tmp_path / "ray", jobs=2, executor="ray", task=TASK,
                             validate=None, progress=False)
    assert remote.read_bytes() == local.read_bytes()
    assert len(remote.read_text().splitlines()) == 1 + 4 * 3
    local_runs = sorted(p.name for p in (tmp_path / "local" / "runs").iterdir())
    assert local_runs == sorted(p.name for p in (tmp_path / "ray" / "runs").iterdir()) and len(local_runs) == 8
    assert not ray.is_initialized(), "the sweep must shut down the Ray instance it started"
    assert any(ray_temp_root.rglob("session_*")), "Ray did not use the private temp root"


def test_a_study_with_sequential_rounds_runs_the_same_on_ray_as_locally(tmp_path, ray_temp_root):
    """A speedup spec whose open cells take one sequential round (trap chain, N = 1 and 4, 2 initial seeds):
    through the Ray executor it runs the same runs, rounds included, and gives the same cells as the local
    process pool (simulated runs are bit-for-bit reproducible from their seed)."""
    from a3c_theory.experiment import run_study
    spec = {"experiment": {"type": "speedup", "seeds": 2,
                           "settings": {"targets": {"trap_chain": [0.5]}, "grad_targets": [0.3],
                                        "default_c_alpha": {"trap_chain": 3.0},
                                        "sequential": {"initial": 2, "cap": 300, "rounds": 1, "futility": False}}},
            "base": {"problem": {"kind": "trap_chain", "n_states": 6, "critic_features": "one_hot"},
                     "algorithm": {"c_alpha": 3.0},
                     "run": {"mode": "simulated", "delay": "round_robin", "samples": 3000, "snapshots": 20},
                     "targets": {"gap": [0.5], "avg_grad": [0.3], "after_last": "stop"}},
            "part": [{"grid": {"run.workers": [1, 4], "algorithm.sampling": ["iid"]}}]}
    local = run_study(spec, tmp_path / "local", jobs=2, progress=False)
    remote = run_study(spec, tmp_path / "ray", jobs=2, executor="ray", progress=False)
    columns = ["workers", "target", "runs", "efficiency", "lo", "hi", "verdict"]
    pd.testing.assert_frame_equal(remote.summary.efficiency[columns], local.summary.efficiency[columns])
    assert local.summary.efficiency["runs"].max() == 4  # the round ran: 2 initial seeds, then 4
    assert not ray.is_initialized(), "the study must shut down the Ray instance it started"
