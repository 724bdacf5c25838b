"""``a3c-theory study`` (a3c_theory.experiment.run_study): any study type from a path or a dict, relative
paths from the spec, resumable with more seeds, the c_α pilot, and errors before any run."""

import json
import sys

import numpy as np
import pytest

from a3c_theory import experiment, frames
from a3c_theory.cli import main
from a3c_theory.errors import ValidationError
from a3c_theory.instances.file_mdp import save_npz
from a3c_theory.instances.trap_chain import trap_chain
from a3c_theory.studies import run_study, spec, speedup


def tiny(seeds: int = 1, c_alpha=3.0, path: str = "chain.npz") -> dict:
    """A speedup spec on a 4-state trap chain file: 2 worker counts, 2000 updates."""
    algorithm = {"sampling": "iid", "refresh": 500} | ({} if c_alpha is None else {"c_alpha": c_alpha})
    return {"experiment": {"type": "speedup", "name": "tiny", "seeds": seeds},
            "base": {"problem": {"kind": "file", "path": path}, "algorithm": algorithm,
                     "run": {"mode": "simulated", "delay": "round_robin", "samples": 2000, "snapshots": 10}},
            "part": [{"grid": {"run.workers": [1, 2]}}]}


@pytest.fixture
def chain(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_npz(tmp_path / "chain.npz", trap_chain(n_states=4), np.eye(4))
    return tmp_path


def test_a_dict_spec_writes_figure_summary_and_report_and_returns_the_typed_summary(chain):
    result = run_study(tiny(), chain / "out", progress=False)
    assert isinstance(result.summary, speedup.Summary)
    assert set(result.summary.efficiency["workers"]) == {1, 2}
    for key in ("figure", "summary", "report", "runs", "efficiency", "verdicts"):
        assert result.paths[key].is_file(), key
    text = result.paths["report"].read_text()
    assert "## Claims" in text and "myopia" in text and "linear up to N" in text
    runs = frames.read_csv(result.paths["runs"])
    assert set(runs["instance"]) == {"chain.npz"}  # the one label from the config, not "paper"


def test_adding_seeds_to_a_finished_study_is_a_resume(chain):
    run_study(tiny(seeds=1), chain / "out", progress=False)
    run_study(tiny(seeds=2), chain / "out", progress=False)
    timing = json.loads((chain / "out" / "tiny__timing.json").read_text())
    assert (timing["executed"], timing["runs"]) == (2, 4)  # only seed 1's two runs executed
    assert set(frames.read_csv(chain / "out" / "tiny__runs.csv.gz")["seed"]) == {0, 1}


def test_a_relative_problem_path_is_taken_from_the_spec_file_and_stored_absolute(chain, monkeypatch):
    folder = chain / "specs"
    folder.mkdir()
    save_npz(folder / "here.npz", trap_chain(n_states=3), np.eye(3))
    (folder / "s.toml").write_text('[experiment]\ntype = "speedup"\n[base]\nproblem = { kind = "file", '
                                   'path = "here.npz" }\n[[part]]\ngrid = { "run.workers" = [1, 2] }\n')
    monkeypatch.chdir(chain)  # not the spec's folder
    s = spec.load(folder / "s.toml", speedup.Settings)
    assert s.parts[0].value("problem.path") == str((folder / "here.npz").resolve())


def test_without_c_alpha_a_pilot_with_its_own_seeds_picks_it_and_the_report_says_so(chain):
    result = run_study(tiny(c_alpha=None), chain / "out", progress=False)
    pilot = frames.read_csv(next((chain / "out" / "_runs").rglob("pilot0/results.csv")))
    assert set(pilot["seed"]) == set(experiment.PILOT_SEEDS)
    assert not set(pilot["seed"]) & set(frames.read_csv(result.paths["runs"])["seed"])
    chosen = set(result.summary.efficiency["c_alpha"])
    assert len(chosen) == 1 and chosen <= set(experiment.PILOT_GRID)
    stated = result.paths["report"].read_text()
    assert f"c_α = {chosen.pop():g} on chain.npz, picked by a pilot" in stated
    closed = [float(x.split(": ")[1]) for x in stated.split("per c_α: ")[1].split("; the smallest")[0].split(", ")]
    assert len(closed) == len(experiment.PILOT_GRID) and max(closed) > 0.5  # every pilot run was read
    assert "pilot runs failed" not in stated


def test_the_pilot_picks_the_smallest_c_alpha_within_tolerance_of_the_best():
    assert experiment.pick_c_alpha({1.0: 0.5, 3.0: 0.79, 10.0: 0.8, 30.0: float("nan")}) == 3.0
    assert experiment.pick_c_alpha({1.0: 0.5, 3.0: 0.7}) == 3.0


def test_a_study_type_from_outside_the_package(chain, monkeypatch):
    pkg = chain / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "mystudy.py").write_text("from a3c_theory.studies.speedup import *  # noqa\n"
                                    "from a3c_theory.studies.speedup import Settings, Summary  # noqa\n")
    monkeypatch.syspath_prepend(str(chain))
    spec_dict = tiny()
    spec_dict["experiment"]["type"] = "mypkg.mystudy"
    assert isinstance(run_study(spec_dict, chain / "out", progress=False).summary, speedup.Summary)
    sys.modules.pop("mypkg.mystudy", None)


@pytest.mark.parametrize("change, field, message", [
    (lambda s: s["experiment"].pop("type"), "spec:experiment.type", "is required"),
    (lambda s: s["experiment"].update(type="nosuch"), "spec:experiment.type", "no study module named 'nosuch'"),
    (lambda s: s["experiment"].update(type="a3c_theory.config"), "spec:experiment.type", "lacks Settings"),
    (lambda s: s["experiment"].update(settings={"targets": {"file": [1.5]}}),
     "spec:experiment.settings.targets.file[0]", "must lie in (0, 1]"),
    (lambda s: s["base"]["problem"].update(path="missing.npz"), "problem.path", "file not found"),
])
def test_bad_specs_are_refused_before_any_run(chain, change, field, message):
    spec_dict = tiny()
    change(spec_dict)
    with pytest.raises(ValidationError) as err:
        run_study(spec_dict, chain / "out", progress=False)
    assert err.value.field.startswith(field) and message in str(err.value)
    assert not (chain / "out").exists()


def test_the_cli_runs_a_spec_and_redraws_it(chain, capsys):
    (chain / "s.toml").write_text(
        '[experiment]\ntype = "speedup"\nseeds = 1\n[base]\nproblem = { kind = "file", path = "chain.npz" }\n'
        'algorithm = { c_alpha = 3.0, refresh = 500 }\nrun = { delay = "round_robin", samples = 2000, snapshots = 10 }\n'
        '[[part]]\ngrid = { "run.workers" = [1, 2] }\n')
    assert main(["study", "s.toml", "--out", "o", "--no-progress"]) == 0
    first = (chain / "o" / "s__efficiency.csv").read_text()
    assert main(["study", "s.toml", "--out", "o", "--redraw"]) == 0
    assert (chain / "o" / "s__efficiency.csv").read_text() == first
    assert "report: o/report.md" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # another study's folder is refused
        main(["study", "s.toml", "--out", "o", "--quick"])
