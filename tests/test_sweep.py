"""Sweep runner: grid parsing, run ids, the tidy table, resume after SIGKILL / Ctrl-C, extension, bad input.

The tasks below are module-level (so spawned workers can import them by name) and deterministic: their
expected output is written out here independently of the sweep code.
"""

import fcntl
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from a3c_theory import sweep
from a3c_theory.errors import ValidationError

TESTS_DIR = Path(__file__).resolve().parent
REPO_DIR = TESTS_DIR.parent
BASE = {"x": {"a": 0, "b": 0.0, "label": "base"}, "run": {"seed": 0, "samples": 10}}
TASK = f"{__name__}.tiny_task"
LOGGED_TASK = f"{__name__}.logged_task"
N_ROWS = 3


def tiny_task(config: dict) -> dict:
    """value = 10 a + b + seed/100 + k, for k = 0, 1, 2."""
    a, b, seed = config["x"]["a"], config["x"]["b"], config["run"]["seed"]
    k = np.arange(N_ROWS)
    return {"k": k, "value": 10.0 * a + b + seed / 100.0 + k}


def logged_task(config: dict) -> dict:
    """tiny_task after sleeping SWEEP_TEST_SLEEP s (30 s if a == SWEEP_TEST_SLOW_A); then appends
    '<tag> <a> <b> <seed>' to SWEEP_TEST_LOG (one O_APPEND write, so lines from processes never mix)."""
    slow = os.environ.get("SWEEP_TEST_SLOW_A") == str(config["x"]["a"])
    time.sleep(30.0 if slow else float(os.environ.get("SWEEP_TEST_SLEEP", "0")))
    if os.environ.get("SWEEP_TEST_FAIL_A") == str(config["x"]["a"]):
        raise RuntimeError("planned failure")
    result = tiny_task(config)
    line = f"{os.environ.get('SWEEP_TEST_TAG', '-')} {config['x']['a']} {config['x']['b']} {config['run']['seed']}\n"
    fd = os.open(os.environ["SWEEP_TEST_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
    return result


def invalid_task(config: dict) -> dict:
    """tiny_task, except that a = 2 is refused with a ValidationError (as a bad config value is)."""
    if config["x"]["a"] == 2:
        raise ValidationError("x.a", "must not be 2, got 2")
    return tiny_task(config)


def pid_task(config: dict) -> dict:
    """Write this worker's pid into SWEEP_TEST_PIDS/<pid>, then sleep 60 s (a long run)."""
    (Path(os.environ["SWEEP_TEST_PIDS"]) / str(os.getpid())).touch()
    time.sleep(60.0)
    return tiny_task(config)


def read_log(path: Path) -> list[tuple[str, str]]:
    """(tag, run id) per logged execution."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        tag, a, b, seed = line.split()
        out.append((tag, f"x.a={a}__x.b={b}__seed={seed}"))
    return out


@pytest.fixture
def log_env(tmp_path, monkeypatch):
    log = tmp_path / "executions.log"
    monkeypatch.setenv("SWEEP_TEST_LOG", str(log))
    monkeypatch.setenv("SWEEP_TEST_SLEEP", "0")
    return log


# --------------------------------------------------------------------------------------------------
# Grid parsing and run ids


def test_parse_grid_reads_toml_values_and_bare_words():
    schema = {"run": {"workers": 1}, "algorithm": {"sampling": "iid"}, "x": {"f": 0.0, "s": ""}}
    grid = sweep.parse_grid(["run.workers=1,2,4", "algorithm.sampling=iid,markov", "x.f=0.5, 1e-3, true",
                             'x.s="a,b",c'], schema=schema)
    assert grid == {"run.workers": [1, 2, 4], "algorithm.sampling": ["iid", "markov"],
                    "x.f": [0.5, 0.001, True], "x.s": ["a,b", "c"]}
    assert [type(v) for v in grid["run.workers"]] == [int, int, int]


def test_parse_grid_checks_keys_against_the_run_config_schema_by_default():
    assert sweep.parse_grid(["run.workers=1,2", "algorithm.sampling=iid,markov"]) == \
        {"run.workers": [1, 2], "algorithm.sampling": ["iid", "markov"]}
    with pytest.raises(ValidationError) as info:
        sweep.parse_grid(["run.workers=1,2", "run.wrokers=4"])
    assert info.value.field == "run.wrokers" and "not a config key" in str(info.value)


@pytest.mark.parametrize("specs, field, words", [
    (["x.nope=1,2"], "x.nope", "not a config key"),
    (["x=1"], "x", "section"),
    (["x.a="], "x.a", "no values"),
    (["x.a=1,1"], "x.a", "coincide"),
    (['x.a=1,"1"'], "x.a", "coincide"),
    (["x.a"], "grid", "SECTION.KEY="),
    (["x.a=1", "x.a=2"], "x.a", "twice"),
    (["x.a=1,,2"], "x.a", "cannot read"),
    (["x.a=[1,2]"], "x.a", "booleans, integers, floats or strings"),
    (["x.a=nan"], "x.a", "NaN"),
])
def test_parse_grid_rejects_bad_input_naming_the_field(specs, field, words):
    with pytest.raises(ValidationError) as info:
        sweep.parse_grid(specs, schema=BASE)
    assert info.value.field == field
    assert words in str(info.value)


@pytest.mark.parametrize("text", ["4", "0.5", "true", '"a,b"', "markov", "FrozenLake-v1", "data/my mdp.npz", '""'])
def test_grid_values_and_set_values_follow_one_rule(text):
    """Each --grid value is read as --set reads its value (a3c_theory.overrides)."""
    from a3c_theory import config

    assert sweep.parse_grid([f"problem.path={text}"])["problem.path"] == [config.parse_override(f"problem.path={text}")[2]]


@pytest.mark.parametrize("spec", ['x.a="open', "x.a=1,[2", "x.a=1, "])
def test_grid_values_that_are_malformed_toml_are_refused(spec):
    with pytest.raises(ValidationError, match="cannot read value") as info:
        sweep.parse_grid([spec], schema=BASE)
    assert info.value.field == "x.a"


def test_run_ids_are_readable_filesystem_safe_and_deterministic():
    assert sweep.run_id({"run.workers": 4, "algorithm.sampling": "markov"}, 3) == \
        "run.workers=4__algorithm.sampling=markov__seed=3"
    assert sweep.run_id({"x.s": "a/b c", "x.f": 0.5, "x.t": True}, 0) == "x.s=a%2Fb%20c__x.f=0.5__x.t=true__seed=0"
    long_a = sweep.run_id({"x.s": "v" * 300}, 0)
    long_b = sweep.run_id({"x.s": "v" * 299 + "w"}, 0)
    assert len(long_a) <= sweep.MAX_RUN_ID_CHARS and long_a.startswith("x.s=vvv")
    assert long_a != long_b and long_a == sweep.run_id({"x.s": "v" * 300}, 0)


# --------------------------------------------------------------------------------------------------
# A tiny sweep end to end


def expected_rows(a_values, b_values, seeds):
    """The table an uninterrupted sweep must produce, in sweep order, computed from tiny_task's formula."""
    rows = []
    for a in a_values:
        for b in b_values:
            for seed in seeds:
                for k in range(N_ROWS):
                    rows.append((f"x.a={a}__x.b={b}__seed={seed}", a, b, seed, k, 10.0 * a + b + seed / 100 + k))
    return rows


def test_tiny_grid_gives_tidy_table_with_unique_readable_ids(tmp_path):
    pd = pytest.importorskip("pandas")
    path = sweep.run_sweep(BASE, {"x.a": [1, 2], "x.b": [0.5, 1.5]}, seeds=2, out_dir=tmp_path / "sw", jobs=2,
                           task=TASK, validate=None, progress=False)
    assert path == tmp_path / "sw" / "results.csv"
    table = pd.read_csv(path)
    assert list(table.columns) == ["run_id", "x.a", "x.b", "seed", "k", "value"]
    assert list(table.itertuples(index=False, name=None)) == expected_rows([1, 2], [0.5, 1.5], [0, 1])
    ids = [f.stem for f in sorted((tmp_path / "sw" / "runs").glob("*.csv"))]
    assert len(ids) == 8 == len(set(ids)) == table["run_id"].nunique()
    record = json.loads((tmp_path / "sw" / "runs" / "x.a=2__x.b=0.5__seed=1.json").read_text())
    assert record["config"]["x"] == {"a": 2, "b": 0.5, "label": "base"}
    assert record["config"]["run"] == {"seed": 1, "samples": 10}
    manifest = json.loads((tmp_path / "sw" / "manifest.json").read_text())
    assert manifest["grid"] == {"x.a": [1, 2], "x.b": [0.5, 1.5]} and manifest["seeds"] == [0, 1]


def test_seed_axis_in_grid_replaces_seed_range(tmp_path):
    pd = pytest.importorskip("pandas")
    path = sweep.run_sweep(BASE, {"x.a": [3], "run.seed": [7, 5]}, out_dir=tmp_path, jobs=1, task=TASK,
                           validate=None, progress=False)
    assert list(pd.read_csv(path)["run_id"].unique()) == ["x.a=3__seed=7", "x.a=3__seed=5"]


# --------------------------------------------------------------------------------------------------
# Resume, extension, manifest conflicts, failures


def test_rerun_skips_finished_runs_and_extends_consistently(tmp_path, log_env):
    out = tmp_path / "sw"
    first = sweep.run_sweep(BASE, {"x.a": [1], "x.b": [0.5]}, seeds=2, out_dir=out, jobs=1, task=LOGGED_TASK,
                            validate=None, progress=False)
    first_bytes = first.read_bytes()
    assert len(read_log(log_env)) == 2
    sweep.run_sweep(BASE, {"x.a": [1], "x.b": [0.5]}, seeds=2, out_dir=out, jobs=1, task=LOGGED_TASK,
                    validate=None, progress=False)
    assert len(read_log(log_env)) == 2, "an identical re-run must execute nothing"
    assert first.read_bytes() == first_bytes
    # More values and seeds, keys in another order: only the new runs execute; the table covers the union.
    path = sweep.run_sweep(BASE, {"x.b": [0.5], "x.a": [2, 1]}, seeds=3, out_dir=out, jobs=2, task=LOGGED_TASK,
                           validate=None, progress=False)
    executed = [rid for _, rid in read_log(log_env)]
    assert len(executed) == len(set(executed)) == 6
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["grid"] == {"x.a": [1, 2], "x.b": [0.5]} and manifest["seeds"] == [0, 1, 2]
    ids = [line.split(",")[0] for line in path.read_text().splitlines()[1::N_ROWS]]
    assert ids == [f"x.a={a}__x.b=0.5__seed={s}" for a in (1, 2) for s in (0, 1, 2)]


def test_rerun_with_incompatible_definition_is_refused(tmp_path, log_env):
    out = tmp_path / "sw"
    grid = {"x.a": [1], "x.b": [0.5]}
    sweep.run_sweep(BASE, grid, out_dir=out, jobs=1, task=LOGGED_TASK, validate=None, progress=False)
    changes = [
        (dict(grid={**grid, "x.label": ["z"]}), "grid keys"),
        (dict(base={**BASE, "x": {**BASE["x"], "label": "other"}}), "x.label ('base' vs 'other')"),
        (dict(task=TASK), "task"),
    ]
    for change, words in changes:
        with pytest.raises(ValidationError) as info:
            sweep.run_sweep(change.get("base", BASE), change.get("grid", grid), out_dir=out, jobs=1,
                            task=change.get("task", LOGGED_TASK), validate=None, progress=False)
        assert info.value.field == "out_dir" and words in str(info.value)
    assert len(read_log(log_env)) == 1


def test_failed_run_is_reported_others_kept_and_retried(tmp_path, log_env, monkeypatch):
    out = tmp_path / "sw"
    monkeypatch.setenv("SWEEP_TEST_FAIL_A", "2")
    with pytest.raises(RuntimeError, match=r"1 of 3 runs failed \(x.a=2__x.b=0.5__seed=0\)"):
        sweep.run_sweep(BASE, {"x.a": [1, 2, 3], "x.b": [0.5]}, out_dir=out, jobs=1, task=LOGGED_TASK,
                        validate=None, progress=False)
    assert sorted(p.stem for p in (out / "runs").glob("*.csv")) == ["x.a=1__x.b=0.5__seed=0", "x.a=3__x.b=0.5__seed=0"]
    assert not (out / "results.csv").exists()
    monkeypatch.delenv("SWEEP_TEST_FAIL_A")
    sweep.run_sweep(BASE, {"x.a": [1, 2, 3], "x.b": [0.5]}, out_dir=out, jobs=1, task=LOGGED_TASK,
                    validate=None, progress=False)
    assert sorted(rid for _, rid in read_log(log_env)) == [f"x.a={a}__x.b=0.5__seed=0" for a in (1, 2, 3)]


def test_concurrent_sweep_into_same_folder_is_refused(tmp_path):
    out = tmp_path / "sw"
    out.mkdir()
    with open(out / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(ValidationError, match="another sweep is running"):
            sweep.run_sweep(BASE, {"x.a": [1]}, out_dir=out, jobs=1, task=TASK, validate=None, progress=False)
    assert not (out / "runs").exists()


# --------------------------------------------------------------------------------------------------
# Interrupts: SIGKILL and Ctrl-C in a subprocess, then resume

GRID = {"x.a": [1, 2, 3], "x.b": [0.5]}
SEEDS = 4
ALL_IDS = {f"x.a={a}__x.b=0.5__seed={s}" for a in (1, 2, 3) for s in range(SEEDS)}


def start_sweep_process(out: Path, log: Path, tag: str, slow_a: int | None = None) -> subprocess.Popen:
    # Restore Python's Ctrl-C handler: a test runner started as a background job inherits SIGINT ignored,
    # and the child would inherit that too, whereas the test plays a terminal's Ctrl-C to a foreground sweep.
    script = textwrap.dedent(f"""
        import signal, sys
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.path[:0] = [{str(TESTS_DIR)!r}, {str(REPO_DIR)!r}]
        from a3c_theory import sweep
        sweep.run_sweep({BASE!r}, {GRID!r}, seeds={SEEDS}, out_dir={str(out)!r}, jobs=2,
                        task="test_sweep.logged_task", validate=None, progress=False)
    """)
    env = {**os.environ, "SWEEP_TEST_LOG": str(log), "SWEEP_TEST_SLEEP": "0.4", "SWEEP_TEST_TAG": tag,
           "SWEEP_TEST_SLOW_A": str(slow_a)}
    return subprocess.Popen([sys.executable, "-c", script], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def count_finished(out: Path) -> int:
    return len(list((out / "runs").glob("*.csv"))) if (out / "runs").exists() else 0


def wait_for_finished_runs(out: Path, count: int, process: subprocess.Popen, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while count_finished(out) < count:
        assert process.poll() is None, process.stdout.read().decode()
        assert time.monotonic() < deadline, "sweep subprocess made no progress"
        time.sleep(0.02)


def assert_no_corrupt_file(out: Path) -> set[str]:
    """Every run file is complete; returns the finished run ids."""
    pd = pytest.importorskip("pandas")
    finished = set()
    for path in (out / "runs").iterdir():
        if path.suffix == ".csv":
            table = pd.read_csv(path)
            assert list(table.columns) == ["run_id", "x.a", "x.b", "seed", "k", "value"] and len(table) == N_ROWS
            assert json.loads(path.with_suffix(".json").read_text())["run_id"] == path.stem
            finished.add(path.stem)
    return finished


@pytest.fixture(scope="module")
def reference_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    return sweep.run_sweep(BASE, GRID, seeds=SEEDS, out_dir=out, jobs=2, task=TASK, validate=None,
                           progress=False).read_bytes()


def resume_and_check(out: Path, log: Path, finished_before: set[str], reference: bytes, monkeypatch) -> None:
    monkeypatch.setenv("SWEEP_TEST_LOG", str(log))
    monkeypatch.setenv("SWEEP_TEST_TAG", "second")
    monkeypatch.setenv("SWEEP_TEST_SLEEP", "0")
    path = sweep.run_sweep(BASE, GRID, seeds=SEEDS, out_dir=out, jobs=2, task=LOGGED_TASK, validate=None,
                           progress=False)
    second = [rid for tag, rid in read_log(log) if tag == "second"]
    first = {rid for tag, rid in read_log(log) if tag == "first"}
    assert finished_before <= first
    assert len(second) == len(set(second)), "a run completed twice in the resumed sweep"
    assert set(second) == ALL_IDS - finished_before, "finished runs were re-executed, or some run was skipped"
    assert path.read_bytes() == reference
    assert not [p for p in out.rglob("*.tmp")]


def test_sigkill_then_rerun_completes_without_duplicates(tmp_path, reference_results, monkeypatch):
    pd = pytest.importorskip("pandas")
    out, log = tmp_path / "sw", tmp_path / "executions.log"
    process = start_sweep_process(out, log, "first")
    try:
        wait_for_finished_runs(out, 3, process)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    finished = assert_no_corrupt_file(out)
    assert 3 <= len(finished) < len(ALL_IDS), "the kill should land mid-sweep"
    assert not (out / "results.csv").exists()
    leftover = out / "runs" / ".x.a=9__x.b=0.5__seed=0.csv.k3j_9zq1.tmp"  # as a kill mid-write leaves
    leftover.write_text("run_id,x.a\nhalf a ro")
    resume_and_check(out, log, finished, reference_results, monkeypatch)
    assert not leftover.exists()
    pd.testing.assert_frame_equal(pd.read_csv(out / "results.csv"), pd.read_csv(io.BytesIO(reference_results)))


def test_ctrl_c_keeps_finished_runs_and_leaves_no_corrupt_file(tmp_path, reference_results, monkeypatch):
    out, log = tmp_path / "sw", tmp_path / "executions.log"
    process = start_sweep_process(out, log, "first", slow_a=2)  # runs 5.. take 30 s: Ctrl-C must not wait
    try:
        wait_for_finished_runs(out, SEEDS, process)
        time.sleep(0.2)  # let the two slow runs start
        os.killpg(process.pid, signal.SIGINT)  # what a terminal sends to the whole foreground group
        started = time.monotonic()
        output = process.communicate(timeout=30)[0].decode()
        stop_s = time.monotonic() - started
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode != 0 and "KeyboardInterrupt" in output
    assert stop_s < 10.0, f"Ctrl-C took {stop_s:.1f} s to stop the sweep"
    finished = assert_no_corrupt_file(out)
    assert finished == {f"x.a=1__x.b=0.5__seed={s}" for s in range(SEEDS)}
    assert not [p for p in out.rglob("*.tmp")], "a temp file survived Ctrl-C"
    resume_and_check(out, log, finished, reference_results, monkeypatch)


# --------------------------------------------------------------------------------------------------
# Bad input is rejected before any run starts


@pytest.mark.parametrize("kwargs, field", [
    (dict(grid={"x.zzz": [1]}), "x.zzz"),
    (dict(grid={"x.a": []}), "x.a"),
    (dict(seeds=0), "seeds"),
    (dict(jobs=0), "jobs"),
    (dict(executor="dask"), "executor"),
    (dict(address="ray://head:10001"), "address"),
    (dict(seeds=2, grid={"run.seed": [1, 2]}), "seeds"),
    (dict(task="test_sweep.no_such_task"), "task"),
    (dict(validate=f"{__name__}.reject_a_equal_2"), "x.a"),
])
def test_bad_arguments_are_rejected_before_any_run(tmp_path, kwargs, field):
    args = dict(base_config=BASE, grid={"x.a": [1, 2]}, seeds=1, out_dir=tmp_path / "sw", jobs=1, task=TASK,
                validate=None, progress=False)
    args.update(kwargs)
    with pytest.raises(ValidationError) as info:
        sweep.run_sweep(**args)
    assert info.value.field == field
    assert not (tmp_path / "sw").exists()


def reject_a_equal_2(config: dict) -> None:
    if config["x"]["a"] == 2:
        raise ValidationError("x.a", "must not be 2 (test validator)")


def test_missing_ray_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` raise ImportError
    with pytest.raises(ValidationError, match=r"pip install 'a3c-theory\[ray\]'") as info:
        sweep.run_sweep(BASE, {"x.a": [1]}, out_dir=tmp_path / "sw", executor="ray", task=TASK, validate=None,
                        progress=False)
    assert info.value.field == "executor"
    assert not (tmp_path / "sw").exists()


# --------------------------------------------------------------------------------------------------
# A tiny real sweep: config → engine → evaluate, through the default task and validator


def tiny_run_config() -> dict:
    from a3c_theory import config

    return config.from_dict({"problem": {"n_states": 8, "n_actions": 2, "feature_dim": 3},
                             "run": {"samples": 3000, "snapshots": 4}}).to_dict()


def test_real_sweep_runs_engine_and_exact_evaluation(tmp_path):
    pd = pytest.importorskip("pandas")
    from a3c_theory.evaluate import COLUMNS

    base = tiny_run_config()
    grid = sweep.parse_grid(["run.workers=1,2", "algorithm.sampling=iid,markov"])
    path = sweep.run_sweep(base, grid, seeds=1, out_dir=tmp_path, jobs=1, progress=False)
    table = pd.read_csv(path)
    assert list(table.columns) == ["run_id", "run.workers", "algorithm.sampling", "seed", *COLUMNS]
    ids = list(table["run_id"].unique())
    assert ids == [f"run.workers={n}__algorithm.sampling={s}__seed=0" for n in (1, 2) for s in ("iid", "markov")]
    for _, run in table.groupby("run_id", sort=False):
        assert run["k"].iloc[0] == 0 and run["k"].iloc[-1] == 3000 and run["k"].is_monotonic_increasing
    assert np.isfinite(table[["J", "gap", "critic_gap"]].to_numpy()).all()
    # The simulated-delay engine is reproducible from its seed: the stored rows equal a direct call on the
    # stored config, which is the base config with the run's grid values.
    rid = "run.workers=2__algorithm.sampling=markov__seed=0"
    stored_config = json.loads((tmp_path / "runs" / f"{rid}.json").read_text())["config"]
    assert stored_config == {**base, "run": {**base["run"], "workers": 2, "seed": 0},
                             "algorithm": {**base["algorithm"], "sampling": "markov"}}
    direct = sweep.execute_one(stored_config)
    assert direct.trace is None
    stored = table[table["run_id"] == rid]
    for name in COLUMNS:
        np.testing.assert_array_equal(stored[name].to_numpy(), direct.table[name].to_numpy(), err_msg=name)
    # The per-run table keeps each run's metadata: the theory radius at θ_0 = 0 (recomputed here from the
    # exact module), delays (delay "none": all 0), and the sampling-law bias only for i.i.d. runs.
    from a3c_theory import config, exact, frames

    runs = frames.read_csv(tmp_path / "runs.csv")
    assert list(runs["run_id"]) == ids and list(runs.columns[:4]) == ["run_id", "run.workers", "algorithm.sampling",
                                                                       "seed"]
    problem = config.build_problem(config.from_dict(stored_config))
    np.testing.assert_allclose(runs["radius"], exact.theory_radius(problem, np.zeros(problem.policy.dim)),
                               rtol=1e-12)
    assert (runs["radius_source"] == "theory").all() and (runs["max_delay"] == 0).all()
    assert (runs["mean_delay"] == 0.0).all() and (runs["engine_seconds"] > 0).all()
    iid = runs["algorithm.sampling"] == "iid"
    assert np.isfinite(runs.loc[iid, "sampling_law_bias_tv_mu_mean"]).all()
    assert runs.loc[~iid, "sampling_law_bias_tv_mu_mean"].isna().all()
    assert (runs.loc[iid, "sampling_law_bias_refresh"] == base["algorithm"]["refresh"]).all()


def test_default_validator_rejects_a_bad_grid_value_before_any_run(tmp_path):
    with pytest.raises(ValidationError) as info:
        sweep.run_sweep(tiny_run_config(), {"run.workers": [1, 0]}, out_dir=tmp_path / "sw", jobs=1,
                        progress=False)
    assert info.value.field == "run.workers" and "got 0" in str(info.value)
    assert not (tmp_path / "sw").exists()


def test_a_run_failing_validation_in_the_pool_fails_alone_with_its_message(tmp_path, capsys):
    out = tmp_path / "sw"
    with pytest.raises(RuntimeError, match=r"1 of 3 runs failed .*x\.a: must not be 2") as info:
        sweep.run_sweep(BASE, {"x.a": [1, 2, 3]}, out_dir=out, jobs=2, task=f"{__name__}.invalid_task",
                        validate=None, progress=False)
    assert "BrokenProcessPool" not in str(info.value)
    assert sorted(p.stem for p in (out / "runs").glob("*.csv")) == ["x.a=1__seed=0", "x.a=3__seed=0"]
    printed = capsys.readouterr().err
    assert "run x.a=2__seed=0 failed:" in printed and "x.a: must not be 2, got 2" in printed


def test_corrupt_manifest_is_reported_naming_the_file(tmp_path):
    out = tmp_path / "sw"
    out.mkdir()
    (out / "manifest.json").write_text('{"format": 1, "task": ')
    with pytest.raises(ValidationError) as info:
        sweep.run_sweep(BASE, {"x.a": [1]}, out_dir=out, jobs=1, task=TASK, validate=None, progress=False)
    assert info.value.field == str(out / "manifest.json") and "not a readable sweep manifest" in str(info.value)


@pytest.mark.parametrize("first", [True, False])
def test_garbage_run_csv_is_reported_naming_that_file(tmp_path, first):
    out = tmp_path / "sw"
    sweep.run_sweep(BASE, {"x.a": [1, 2]}, out_dir=out, jobs=1, task=TASK, validate=None, progress=False)
    bad = out / "runs" / ("x.a=1__seed=0.csv" if first else "x.a=2__seed=0.csv")
    bad.write_bytes(b"\x00\x13garbage,,\n1,2\n")
    with pytest.raises(ValidationError) as info:
        sweep.collect_results(out)
    assert info.value.field == str(bad) and "delete it" in str(info.value)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")  # a zombie has exited (its new parent may not reap it)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_pool_workers_exit_when_the_driver_is_killed(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    script = textwrap.dedent(f"""
        from a3c_theory import sweep
        if __name__ == "__main__":
            sweep.run_sweep({BASE!r}, {{"x.a": [1, 2]}}, out_dir={str(tmp_path / "sw")!r}, jobs=2,
                            task="test_sweep.pid_task", validate=None, progress=False)
    """)
    env = {**os.environ, "PYTHONPATH": f"{REPO_DIR}{os.pathsep}{TESTS_DIR}", "SWEEP_TEST_PIDS": str(pids)}
    driver = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        deadline = time.monotonic() + 60
        while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = [int(p.name) for p in pids.iterdir()]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    finally:
        driver.kill()
        driver.wait()
    deadline = time.monotonic() + 10  # PARENT_POLL_S = 1 s, plus interpreter shutdown
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    survivors = [pid for pid in workers if _alive(pid)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert not survivors


def test_progress_without_a_terminal_is_one_line_per_finished_run(tmp_path, capsys):
    sweep.run_sweep(BASE, {"x.a": [1, 2]}, out_dir=tmp_path / "sw", jobs=1, task=TASK, validate=None,
                    progress=True)
    err = capsys.readouterr().err  # pytest's capture is not a terminal
    assert "\r" not in err
    assert err.splitlines() == ["sweep: 1/2 runs done (x.a=1__seed=0)", "sweep: 2/2 runs done (x.a=2__seed=0)"]
