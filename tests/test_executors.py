"""The local executor keeps one process pool between sweeps of a process, stops it when a sweep is abandoned,
and starts a fresh one when the environment that workers inherit has changed.

The tasks are module-level so that spawned workers can import them by name."""

import os
import signal
import time

import pytest

from a3c_theory import executors
from a3c_theory.errors import WorkerDied

PID_TASK = f"{__name__}.pid_task"
DYING_TASK = f"{__name__}.dying_task"


def pid_task(config: dict) -> dict:
    """This worker's pid and its value of EXECUTORS_TEST_TAG, after sleeping ``config['sleep']`` s."""
    time.sleep(config["sleep"])
    return {"pid": os.getpid(), "tag": os.environ.get("EXECUTORS_TEST_TAG")}


def dying_task(config: dict) -> dict:
    """Kill this worker (SIGKILL, as ``kill -9``) when ``config["die"]``: every time, or only on the first
    attempt when ``config["marker"]`` names a file (created then, so the retry finds it); else sleep a little
    and return the run's value."""
    if config.get("die"):
        marker = config.get("marker")
        if marker is None or not os.path.exists(marker):
            if marker is not None:
                open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.2)
    return {"value": config["value"]}


def test_a_killed_worker_is_retried_once_in_a_fresh_pool_and_the_other_runs_complete(tmp_path, capsys):
    runs = [(f"run{i}", {"value": i, "die": i == 2, "marker": str(tmp_path / "died")}) for i in range(6)]
    results = {run_id: (result, error) for run_id, result, error in
               executors.local_results(DYING_TASK, runs, jobs=2)}
    assert set(results) == {f"run{i}" for i in range(6)}
    assert all(error is None for _, error in results.values()), results
    assert {run_id: result["value"] for run_id, (result, _) in results.items()} == {f"run{i}": i for i in range(6)}
    err = capsys.readouterr().err
    assert "run run2 died; retrying it once" in err and "Traceback" not in err


def test_a_run_whose_worker_dies_twice_is_recorded_as_failed(capsys):
    runs = [(f"run{i}", {"value": i, "die": i == 0}) for i in range(3)]
    results = {run_id: (result, error) for run_id, result, error in
               executors.local_results(DYING_TASK, runs, jobs=2)}
    assert isinstance(results["run0"][1], WorkerDied) and "run0" in str(results["run0"][1])
    assert [results[f"run{i}"][0]["value"] for i in (1, 2)] == [1, 2]
    assert capsys.readouterr().err.count("run run0 died; retrying it once") == 1


def _pids(runs: int, sleep: float = 0.3) -> list[int]:
    results = executors.local_results(PID_TASK, [(str(i), {"sleep": sleep}) for i in range(runs)], jobs=2)
    out = []
    for _, result, error in results:
        assert error is None
        out.append(result["pid"])
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_consecutive_sweeps_reuse_the_same_worker_processes():
    first = set(_pids(4))
    second = set(_pids(4))
    assert len(first) == 2 and os.getpid() not in first
    assert second == first


def test_an_abandoned_sweep_stops_its_workers_and_the_next_sweep_starts_a_fresh_pool():
    results = executors.local_results(PID_TASK, [(str(i), {"sleep": 0.2 if i == 0 else 30.0}) for i in range(3)],
                                      jobs=2)
    _, result, _ = next(results)
    started = time.monotonic()
    results.close()  # what Ctrl-C in the driver does to the generator
    assert time.monotonic() - started < 10.0, "closing did not wait for the 30 s runs"
    assert not _alive(result["pid"])
    assert result["pid"] not in set(_pids(2))


def test_a_changed_environment_gets_workers_that_see_it(monkeypatch):
    _pids(2)
    monkeypatch.setenv("EXECUTORS_TEST_TAG", "changed")
    results = list(executors.local_results(PID_TASK, [("0", {"sleep": 0.0})], jobs=2))
    assert results[0][1]["tag"] == "changed"


@pytest.fixture(autouse=True)
def _no_pool_left_behind():
    yield
    executors._stop_pool()
