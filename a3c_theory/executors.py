"""Executors for sweep runs: a local process pool or a Ray cluster.

Both executors take the task (a dotted name ``"package.module.function"`` or a picklable module-level
function) and a list of ``(run_id, config)`` pairs, and yield ``(run_id, table, error)`` in completion
order, where exactly one of ``table`` / ``error`` is None. They never touch the output folder: the
driver (:mod:`a3c_theory.sweep`) writes every result, so both executors produce identical files.

Closing the generator early (Ctrl-C in the driver, or an exception while writing) cancels the runs not
yet finished and stops the workers; results already yielded are unaffected.

This module imports only the standard library at load time: a spawned worker must be able to pin its
thread counts (``THREAD_ENV``) before NumPy or numba are first imported by the task.
"""

import atexit
import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .errors import ValidationError, WorkerDied

THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}
"""Set in every worker so that J concurrent runs use J cores, not J × (BLAS or numba threads)."""

RAY_INSTALL_HINT = "pip install 'a3c-theory[ray]'"
RAY_POLL_S = 0.5
"""ray.wait timeout, so that Ctrl-C reaches the driver promptly."""


def resolve_task(task, field: str = "task"):
    """The callable behind a dotted name (``"module.function"``), or ``task`` itself if callable."""
    if callable(task):
        return task
    module_name, _, attribute = str(task).rpartition(".")
    if not module_name:
        raise ValidationError(field, f"expected a dotted name 'module.function', got {task!r}")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as err:
        raise ValidationError(field, f"cannot import {task!r}: {err}") from err


def run_task(task, config: dict):
    """Worker side of one run: pin thread counts, then call ``task(config)``."""
    os.environ.update(THREAD_ENV)
    return resolve_task(task)(config)


PARENT_POLL_S = 1.0
"""How often a pool worker checks that the driver is still alive."""


def _init_local_worker(driver_pid: int, started) -> None:
    global _STARTED
    _STARTED = started
    # The driver owns Ctrl-C: it cancels pending runs and stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(THREAD_ENV)
    threading.Thread(target=_exit_with_driver, args=(driver_pid,), name="a3c-driver-watch", daemon=True).start()


def _exit_with_driver(driver_pid: int) -> None:
    """End this worker once the driver is gone (killed: SIGKILL leaves no chance to stop the pool), so no
    idle worker, and then no resource tracker, outlives it. A dead parent's children are re-parented."""
    while os.getppid() == driver_pid:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def _run_local(task, config: dict, run_id: str):
    """Pool side of one run: say which process runs it (:data:`_STARTED`), then :func:`run_task`."""
    if _STARTED is not None:
        _STARTED.put((run_id, os.getpid()))
    return run_task(task, config)


_STARTED = None
"""In a pool worker: the queue on which it announces ``(run_id, pid)`` as it starts a run."""


def local_results(task, runs: list[tuple[str, dict]], jobs: int, address=None):
    """Run ``task`` on each config in a pool of ``jobs`` spawned processes (``jobs == 1``: in this process);
    yield results as they complete.

    ``spawn`` (not ``fork``) gives each worker a fresh interpreter: no inherited locks, threads or
    file descriptors (the sweep's lock file), and thread settings that take effect before NumPy loads.

    At most ``jobs`` runs are in flight. A worker that dies (``kill -9``, out of memory, a crash) breaks
    the pool: the runs that were in flight go back to the front of the queue and run again in a fresh pool,
    the others go on, and a line on stderr names the run whose worker died. That run is retried once: if
    its worker dies again it is yielded as failed with a :class:`WorkerDied` error.
    """
    del address  # only meaningful for Ray
    if jobs == 1:  # no pool to start: run in this process, one run at a time (threads-mode timings stay clean)
        for run_id, config in runs:
            try:
                yield run_id, resolve_task(task)(config), None
            except Exception as error:  # noqa: BLE001 - reported per run, like the pool does
                yield run_id, None, error
        return
    queue = list(runs)
    queue.reverse()  # pop() takes the next run in order
    deaths: dict[str, int] = {}
    pid_of: dict[str, int] = {}
    futures = {}
    try:
        while queue or futures:
            executor, started = _pool(jobs)
            while queue and len(futures) < jobs:
                run_id, config = queue.pop()
                futures[executor.submit(_run_local, task, config, run_id)] = (run_id, config)
            processes = dict(executor._processes or {})  # the pool forgets them once broken
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            _drain(started, pid_of)  # every turn: a full pipe would block the workers' announcements
            broken = [f for f in done if isinstance(f.exception(), BrokenProcessPool)]
            for future in done:
                if future not in broken:
                    run_id, _ = futures.pop(future)
                    error = future.exception()
                    yield run_id, (None if error else future.result()), error
            if broken:
                for future in futures:  # every run still in flight failed with the pool
                    wait([future])
                lost = [futures.pop(f) for f in list(futures)]
                _drain(started, pid_of)
                yield from _after_worker_death(lost, _dead_runs(pid_of, processes, lost), deaths, queue)
    finally:
        if futures:
            _stop_pool()


def _drain(started, pid_of: dict) -> None:
    """Move the workers' ``(run_id, pid)`` announcements from the queue into ``pid_of``."""
    while not started.empty():
        run_id, pid = started.get()
        pid_of[run_id] = pid


def _dead_runs(pid_of: dict, processes: dict, lost: list) -> set[str]:
    """The runs among ``lost`` whose worker died (not one the broken pool stopped), from the workers'
    announcements ``pid_of``; all of ``lost`` when that cannot be told."""
    for process in processes.values():
        process.join(timeout=PARENT_POLL_S)
    dead = {pid for pid, process in processes.items() if process.exitcode not in (None, -signal.SIGTERM)}
    named = {run_id for run_id, _ in lost if pid_of.get(run_id) in dead}
    return named or {run_id for run_id, _ in lost}


def _after_worker_death(lost: list, dead: set[str], deaths: dict, queue: list):
    """Requeue the runs ``lost`` with a broken pool (first in line); yield as failed a run whose worker died
    for the second time."""
    for run_id, config in reversed(lost):
        if run_id in dead:
            deaths[run_id] = deaths.get(run_id, 0) + 1
            if deaths[run_id] > 1:
                yield run_id, None, WorkerDied(f"the worker process running run {run_id} died again on its "
                                               "retry; it is recorded as failed")
                continue
            print(f"the worker process running run {run_id} died; retrying it once in a fresh pool",
                  file=sys.stderr)
        queue.append((run_id, config))


_POOLS: dict[tuple, tuple] = {}
"""The live pool (at most one) and the queue its workers announce their runs on, kept between sweeps of
one process: ``reproduce`` runs many small sweeps, and starting fresh interpreters that load numba for each
would cost seconds per sweep. It is keyed on the job count and the driver's environment, which spawned
workers inherit only when they start."""


def _pool(jobs: int) -> tuple[ProcessPoolExecutor, object]:
    key = (jobs, tuple(sorted(os.environ.items())))
    if key not in _POOLS or getattr(_POOLS[key][0], "_broken", False):  # a dead worker breaks a pool for good
        _stop_pool()
        context = multiprocessing.get_context("spawn")
        started = context.SimpleQueue()
        _POOLS[key] = (ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_local_worker,
                                           initargs=(os.getpid(), started)), started)
    return _POOLS[key]


def _stop_pool() -> None:
    """Cancel what is pending and end the workers at once (a run in progress is abandoned)."""
    for executor, _ in _POOLS.values():
        # Python 3.14 has executor.terminate_workers(); before that, _processes is the only handle.
        workers = list((executor._processes or {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            process.terminate()
        for process in workers:
            process.join()
    _POOLS.clear()


@atexit.register
def _close_pool() -> None:
    for executor, _ in _POOLS.values():
        executor.shutdown(wait=True)
    _POOLS.clear()


def import_ray():
    """Import Ray, or explain which extra to install."""
    try:
        import ray
    except ImportError as err:
        raise ValidationError("executor", f"executor 'ray' needs Ray, which is not installed: {RAY_INSTALL_HINT}") from err
    return ray


def _local_code_search_path() -> list[str]:
    """The driver's import path, for workers of a Ray instance started on this machine."""
    return [os.path.abspath(p or os.curdir) for p in sys.path if os.path.isdir(p or os.curdir)]


def ray_results(task, runs: list[tuple[str, dict]], jobs: int | None, address: str | None = None):
    """Submit each run as a Ray task (1 CPU each); yield results as ``ray.wait`` reports them.

    ``address=None`` starts a local Ray instance with ``num_cpus=jobs`` whose workers see the driver's
    ``sys.path`` (so a source checkout works without installing); it is shut down at the end. With an
    address, the package must be importable on the cluster's nodes, and ``jobs`` (if given) caps the
    number of runs in flight. A Ray session already initialised by the caller is used and left running.
    """
    ray = import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        if address is None:
            ray.init(num_cpus=jobs, include_dashboard=False,
                     job_config=ray.job_config.JobConfig(code_search_path=_local_code_search_path()))
        else:
            ray.init(address=address)
    remote_task = ray.remote(num_cpus=1)(run_task)
    cap = len(runs) if jobs is None or address is None else jobs
    queue = list(runs)
    queue.reverse()
    pending = {}
    try:
        while queue or pending:
            while queue and len(pending) < cap:
                run_id, config = queue.pop()
                pending[remote_task.remote(task, config)] = run_id
            done, _ = ray.wait(list(pending), num_returns=1, timeout=RAY_POLL_S)
            for ref in done:
                run_id = pending.pop(ref)
                try:
                    table = ray.get(ref)
                except Exception as error:  # noqa: BLE001 - a failed run is reported, the others go on
                    yield run_id, None, error
                else:
                    yield run_id, table, None
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        if started_here:
            ray.shutdown()


EXECUTORS = {"local": local_results, "ray": ray_results}
