"""The command line: every input a user can type or hand in ends, if bad, in one line
``a3c-theory: error: <file or field>: <reason>`` with exit status 2, before any work starts."""

import json
from pathlib import Path

import numpy as np
import pytest

from a3c_theory import cli
from a3c_theory.trace import JSON_NAME, NPZ_NAME, Trace


def run_cli(argv, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    return exit_info.value.code, capsys.readouterr().err


def assert_one_line_error(code: int, err: str, *names: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("a3c-theory: error:")]
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    for name in names:
        assert name in lines[0], (name, lines[0])


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("content, names", [
    (None, ["is a folder"]),                                   # the config path is a directory
    (b"\xff\xfe[problem]\n", ["UTF-8"]),                       # not UTF-8
    (b"problem = 5\n", ["problem", "table"]),                  # a section that is a scalar
    (b"[run]\ntau = 3\nmax_delay = 'x'\n", ["run.max_delay"]),
])
def test_bad_config_files_get_one_line_errors(tmp_path, capsys, content, names):
    path = tmp_path / "cfg" if content is None else write(tmp_path / "cfg.toml", content)
    path.mkdir() if content is None else None
    code, err = run_cli(["run", str(path), "--out", str(tmp_path / "out")], capsys)
    assert_one_line_error(code, err, str(path) if content is None or b"\xff" in content else "", *names)


def saved_trace(folder: Path) -> Path:
    n = 2
    Trace(config={"problem": {}, "algorithm": {}, "run": {}}, k=np.arange(n), theta=np.zeros((n, 3)),
          w=np.zeros((n, 2)), time_s=np.arange(n, dtype=float), samples_per_worker=np.arange(n)[:, None],
          delay_counts=np.ones(1), meta={}).save(folder)
    return folder


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _drop_array(path: Path) -> None:
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files if name != "theta"}
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _drop_section(path: Path) -> None:
    info = json.loads(path.read_text())
    del info["meta"]
    path.write_text(json.dumps(info))


@pytest.mark.parametrize("name, damage, words", [
    (NPZ_NAME, _truncate, ["not a readable"]),
    (NPZ_NAME, lambda p: p.write_bytes(b""), ["not a readable"]),
    (JSON_NAME, _truncate, ["not a readable"]),
    (JSON_NAME, lambda p: p.write_bytes(b""), ["not a readable"]),
    (NPZ_NAME, _drop_array, ["theta"]),
    (JSON_NAME, _drop_section, ["meta"]),
])
def test_damaged_traces_get_one_line_errors_naming_the_file(tmp_path, capsys, name, damage, words):
    folder = saved_trace(tmp_path / "trace")
    damage(folder / name)
    code, err = run_cli(["evaluate", str(folder)], capsys)
    assert_one_line_error(code, err, str(folder / name), *words)


def test_unwritable_outputs_are_refused_before_any_work(tmp_path, capsys):
    blocker = write(tmp_path / "file", b"x")
    config = write(tmp_path / "cfg.toml", b"[run]\nsamples = 10000000000000\n")  # would run for days
    code, err = run_cli(["run", str(config), "--out", str(blocker / "out")], capsys)
    assert_one_line_error(code, err, "--out", str(blocker))
    code, err = run_cli(["bench", "--quick", "--json", str(blocker / "bench.json")], capsys)
    assert_one_line_error(code, err, "--json", str(blocker))


@pytest.fixture
def interrupted_runs(monkeypatch):
    """Every run is interrupted (Ctrl-C) as soon as it starts."""
    from a3c_theory import pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run_one", interrupted)


def test_interrupted_run_says_that_nothing_was_kept(tmp_path, capsys, interrupted_runs):
    config = write(tmp_path / "cfg.toml", b"")
    assert cli.main(["run", str(config), "--out", str(tmp_path / "out")]) == 130
    err = capsys.readouterr().err
    assert "nothing was saved" in err and "resume" not in err


def test_long_run_prints_its_estimated_time_before_starting(tmp_path, capsys, interrupted_runs):
    config = write(tmp_path / "cfg.toml", b"[run]\nsamples = 1000000000000\n")
    assert cli.main(["run", str(config), "--out", str(tmp_path / "out")]) == 130
    err = capsys.readouterr().err
    assert "estimated to take about" in err and "days" in err


def test_ignored_key_in_a_single_run_is_an_error(tmp_path, capsys):
    config = write(tmp_path / "cfg.toml", b"[run]\ntau = 3\n")
    code, err = run_cli(["run", str(config), "--out", str(tmp_path / "out")], capsys)
    assert_one_line_error(code, err, "run.tau", "run.delay = 'constant'")


def test_usage_banner_only_for_command_line_errors(tmp_path, capsys):
    config = write(tmp_path / "cfg.toml", b"[run]\nworkers = 0\n")
    code, err = run_cli(["diagnose", str(config)], capsys)
    assert_one_line_error(code, err, "run.workers")
    assert "usage:" not in err
    code, err = run_cli(["diagnose"], capsys)  # argparse: a missing argument
    assert code == 2 and "usage: a3c-theory diagnose" in err


def _readme_file_example(folder: Path) -> Path:
    """The README's .npz example, run as written in ``folder``, and the config the README describes."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**MDP files.**"):]
    code = section[section.index("```python\n") + len("```python\n"):section.index("```\n", section.index("```python"))]
    assert 'np.savez("my_mdp.npz"' in code
    exec(compile(code, "README.md", "exec"), {})
    return write(folder / "my.toml", b'[problem]\nkind = "file"\npath = "my_mdp.npz"\n')


def test_readme_file_example_diagnoses_as_written_and_states_its_feature_dim(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = _readme_file_example(tmp_path)
    assert cli.main(["diagnose", str(config)]) == 0
    captured = capsys.readouterr()
    assert "critic feature dimension 3" in captured.out
    assert "a3c-theory: note: problem.feature_dim = 3: the default 10 exceeds the 3 states" in captured.err
    code, err = run_cli(["diagnose", str(config), "--set", "problem.feature_dim=10"], capsys)  # given: an error
    assert_one_line_error(code, err, "problem.feature_dim", "must be <= n_states (3")


def test_readme_file_example_runs_and_its_trace_records_the_resolved_default(tmp_path, capsys, monkeypatch):
    from a3c_theory import frames

    monkeypatch.chdir(tmp_path)
    config = _readme_file_example(tmp_path)
    assert cli.main(["run", str(config), "--set", "run.samples=2000", "--out", "out", "--no-progress"]) == 0
    assert "note: problem.feature_dim = 3" in capsys.readouterr().err
    trace = Trace.load(tmp_path / "out")
    assert trace.config["problem"]["feature_dim"] == 3 and "min(10, n_states)" in trace.meta["config_notes"]
    assert "min(10, n_states)" in frames.read_csv(tmp_path / "out" / "meta.csv")["config_notes"].iloc[0]


def test_sweep_takes_set_and_refuses_a_key_given_with_both_set_and_grid(tmp_path, capsys, monkeypatch):
    from a3c_theory import sweep
    from a3c_theory.instances import diagnose

    seen = {}
    monkeypatch.setattr(sweep, "run_sweep", lambda base, grid, **kwargs: seen.update(base=base, grid=grid) or "t.csv")
    monkeypatch.setattr(diagnose, "sweep_diagnostics", lambda base, grid: [])
    config = write(tmp_path / "cfg.toml", b"[run]\nworkers = 2\n")
    argv = ["sweep", str(config), "--grid", "run.seed=0,1", "--out", str(tmp_path / "sw"), "--no-progress"]
    assert cli.main(argv + ["--set", "algorithm.c_alpha=3", "--set", "run.mode=sync"]) == 0
    assert seen["base"]["algorithm"]["c_alpha"] == 3.0 and seen["base"]["run"]["mode"] == "sync"
    assert seen["grid"] == {"run.seed": [0, 1]}
    code, err = run_cli(argv + ["--set", "run.seed=4"], capsys)
    assert_one_line_error(code, err, "run.seed", "both --set and --grid")


def test_store_tables_runs_alone(tmp_path, capsys):
    code, err = run_cli(["reproduce", "--store-tables", "--redraw", "--out", str(tmp_path)], capsys)
    assert_one_line_error(code, err, "--store-tables", "without --redraw or --study")
