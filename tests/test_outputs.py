"""Output fingerprints: a folder takes the results its fingerprint names (resume), refuses others and files
without a fingerprint unless forced, and an unreadable fingerprint is named."""

import pytest

from a3c_theory import outputs
from a3c_theory.errors import ValidationError

RUN_A = {"command": "run", "config": outputs.digest({"run": {"seed": 0}})}
RUN_B = {"command": "run", "config": outputs.digest({"run": {"seed": 1}})}


def test_digest_is_canonical():
    assert outputs.digest({"a": 1, "b": [2]}) == outputs.digest({"b": [2], "a": 1}) != outputs.digest({"a": 2, "b": [2]})


def test_a_folder_takes_its_own_results_again_and_refuses_others_unless_forced(tmp_path):
    outputs.claim(tmp_path / "new", "--out", RUN_A)  # a folder that does not exist yet
    assert outputs.read(tmp_path / "new") == {"format": outputs.FORMAT, **RUN_A}
    outputs.claim(tmp_path / "new", "--out", RUN_A)
    with pytest.raises(ValidationError, match=r"--out: .*new holds the run of config \w{12}, not the run of config"):
        outputs.claim(tmp_path / "new", "--out", RUN_B)
    outputs.claim(tmp_path / "new", "--out", RUN_B, force=True)
    assert outputs.read(tmp_path / "new")["config"] == RUN_B["config"]


def test_files_without_a_fingerprint_are_refused_unless_accepted(tmp_path):
    (tmp_path / "metrics.csv").write_text("x\n")
    (tmp_path / ".hidden").write_text("")
    assert outputs.results(tmp_path) == ["metrics.csv"]
    with pytest.raises(ValidationError, match=r"already holds files not written by a3c-theory \(metrics.csv\)"):
        outputs.claim(tmp_path, "--out", RUN_A)
    outputs.claim(tmp_path, "--out", RUN_A, unmarked_ok=True)
    assert outputs.read(tmp_path)["command"] == "run"


def test_an_unreadable_fingerprint_is_named(tmp_path):
    (tmp_path / outputs.FILE).write_text("{not json")
    with pytest.raises(ValidationError, match=r"\.a3c-theory\.json: is not a readable output fingerprint"):
        outputs.read(tmp_path)
