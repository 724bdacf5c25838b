"""Bad output cases, one parametrised test per family: a command never writes over results that are not its
own, and never redraws from a table that lost rows. Each refusal is a one-line ValidationError (exit status
2 on the command line) naming the field or the file, raised before any work: here every first step of the
work (a run, a sweep's diagnostics and runs, reproduce's instance diagnostics) raises :class:`WorkStarted` instead."""

import gzip
import json
import os
import shutil
from pathlib import Path

import pytest

from a3c_theory import cli, pipeline, sweep
from a3c_theory import reproduce as rp
from a3c_theory.errors import ValidationError
from a3c_theory.instances import diagnose

REPO = Path(__file__).resolve().parents[1]
STUDY = "fig1_iid"
REGISTRY = {STUDY: "convergence"}
"""One committed study (the smallest tables) is enough for every table case."""


class WorkStarted(Exception):
    """The work began: the guard under test did not stop the command first."""


@pytest.fixture
def no_work(monkeypatch):
    def started(*args, **kwargs):
        raise WorkStarted

    monkeypatch.setattr(pipeline, "run_one", started)
    monkeypatch.setattr(sweep, "_execute", started)
    monkeypatch.setattr(diagnose, "sweep_diagnostics", started)
    monkeypatch.setattr(rp, "diagnostics", started)


def refused(argv, capsys) -> str:
    """The one error line of ``a3c-theory ARGV`` (exit status 2)."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("a3c-theory: error:")]
    assert exit_info.value.code == 2 and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def full_results(folder: Path) -> Path:
    """A folder holding the committed full results of :data:`STUDY` (fingerprint, runs/meta tables, manifest)."""
    folder.mkdir(parents=True)
    for name in (".a3c-theory.json", f"{STUDY}__runs.csv.gz", f"{STUDY}__meta.csv.gz", f"{STUDY}__manifest.json"):
        shutil.copy(REPO / "figures" / name, folder / name)
    return folder


# ----------------------------------------------------------------------------------------------------
# Quick output over full results, full over quick: decided by the folder's fingerprint, from any cwd


@pytest.mark.parametrize("spelling", ["relative", "absolute", "symlink"])
@pytest.mark.parametrize("redraw, force", [(False, False), (True, False), (False, True)])
def test_quick_output_never_lands_on_full_results_from_another_folder(tmp_path, monkeypatch, no_work, spelling,
                                                                      redraw, force):
    figures = full_results(tmp_path / "clone" / "figures")
    (tmp_path / "clone" / "examples").mkdir()
    monkeypatch.chdir(tmp_path / "clone" / "examples")
    out = {"relative": "../figures", "absolute": str(figures), "symlink": "link"}[spelling]
    os.symlink(figures, "link")
    with pytest.raises(ValidationError, match=r"--out: --quick never writes into .*full results"):
        rp.reproduce(out, quick=True, redraw=redraw, progress=False, registry=REGISTRY,
                     **({"force": True} if force else {}))
    assert (figures / f"{STUDY}__runs.csv.gz").read_bytes() == (REPO / "figures" / f"{STUDY}__runs.csv.gz").read_bytes()


@pytest.mark.parametrize("held, quick, force, allowed", [
    ("quick", False, False, False),   # full over quick: only when asked
    ("quick", False, True, True),
    ("run", False, False, False),     # another command's folder
    ("run", True, False, False),
    ("run", True, True, True),
    ("none", True, False, False),     # files without a fingerprint
    ("none", True, True, True),
    ("none", False, False, True),     # full tables written before fingerprints
    ("quick", True, False, True),     # resuming one's own kind
    ("full", False, False, True),
])
def test_reproduce_takes_a_folder_of_other_results_only_when_asked(tmp_path, no_work, held, quick, force, allowed):
    out = tmp_path / "out"
    out.mkdir()
    record = {"format": 1, "command": "run", "config": "0" * 64} if held == "run" else \
        {"format": 1, "command": "reproduce", "kind": held}
    if held == "none":
        (out / f"{STUDY}__runs.csv").write_text("run_id\n")
    else:
        (out / ".a3c-theory.json").write_text(json.dumps(record))
    call = lambda: rp.reproduce(out, quick=quick, force=force, progress=False, registry=REGISTRY,  # noqa: E731
                                report_path=tmp_path / "r.md")
    if allowed:
        with pytest.raises(WorkStarted):
            call()
    else:
        with pytest.raises(ValidationError, match=r"--out: .* holds .*(--force|full results)"):
            call()


# ----------------------------------------------------------------------------------------------------
# run --out and sweep --out over another config's results or foreign files


CONFIG_A = b"[run]\nsamples = 2000\nsnapshots = 3\n"
CONFIG_B = b"[run]\nsamples = 3000\nsnapshots = 3\n"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> tuple[Path, Path]:
    """A folder written by a real ``a3c-theory run`` of config A, and that config."""
    root = tmp_path_factory.mktemp("run")
    (root / "a.toml").write_bytes(CONFIG_A)
    assert cli.main(["run", str(root / "a.toml"), "--out", str(root / "out"), "--no-progress"]) == 0
    return root / "out", root / "a.toml"


@pytest.mark.parametrize("config, force, allowed", [
    (CONFIG_B, False, False),   # another config
    (CONFIG_B, True, True),     # ... when asked
    (CONFIG_A, False, True),    # the same config again
])
def test_run_out_over_another_configs_run_is_refused(tmp_path, capsys, run_folder, no_work, config, force, allowed):
    out = shutil.copytree(run_folder[0], tmp_path / "out")
    path = tmp_path / "cfg.toml"
    path.write_bytes(config)
    argv = ["run", str(path), "--out", str(out)] + (["--force"] if force else [])
    if allowed:
        with pytest.raises(WorkStarted):
            cli.main(argv)
    else:
        line = refused(argv, capsys)
        assert "--out" in line and str(out) in line and "holds the run of config" in line


@pytest.mark.parametrize("command", ["run", "sweep", "reproduce"])
@pytest.mark.parametrize("foreign", ["metrics.csv", "results.csv", "notes.txt"])
def test_a_folder_of_unrelated_files_is_refused(tmp_path, capsys, no_work, command, foreign):
    out = tmp_path / "out"
    out.mkdir()
    (out / foreign).write_text("a,b\n1,2\n")
    (tmp_path / "cfg.toml").write_bytes(CONFIG_A)
    argv = {"run": ["run", str(tmp_path / "cfg.toml")], "sweep": ["sweep", str(tmp_path / "cfg.toml")],
            "reproduce": ["reproduce", "--quick"]}[command] + ["--out", str(out)]
    line = refused(argv, capsys)
    assert str(out) in line and foreign in line
    assert (out / foreign).read_text() == "a,b\n1,2\n"


# ----------------------------------------------------------------------------------------------------
# Output paths: empty, symlink loops, a file where a folder must be, --report under a file


def _argv(command: str, tmp_path: Path, out: str, report: str | None = None) -> list[str]:
    (tmp_path / "cfg.toml").write_bytes(CONFIG_A)
    head = {"run": ["run", str(tmp_path / "cfg.toml")], "sweep": ["sweep", str(tmp_path / "cfg.toml")],
            "reproduce": ["reproduce", "--quick"]}[command]
    return head + ["--out", out] + (["--report", report] if report is not None else [])


@pytest.mark.parametrize("command", ["run", "sweep", "reproduce", "diagnose"])
def test_empty_out_is_an_error(tmp_path, monkeypatch, capsys, no_work, command):
    monkeypatch.chdir(tmp_path)
    if command == "diagnose":
        (tmp_path / "cfg.toml").write_bytes(CONFIG_A)
        line = refused(["diagnose", "cfg.toml", "--json", ""], capsys)
    else:
        line = refused(_argv(command, tmp_path, ""), capsys)
    assert f"{'--json' if command == 'diagnose' else '--out'}: is empty" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cfg.toml"]


@pytest.mark.parametrize("command, field", [("run", "--out"), ("sweep", "--out"), ("reproduce", "--out"),
                                            ("reproduce", "--report")])
def test_symlink_loop_is_named(tmp_path, capsys, no_work, command, field):
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    out, report = (str(loop), None) if field == "--out" else (str(tmp_path / "out"), str(loop / "r.md"))
    line = refused(_argv(command, tmp_path, out, report), capsys)
    assert f"{field}: " in line and "symlink loop" in line and "File exists" not in line


@pytest.mark.parametrize("command, field", [("run", "--out"), ("sweep", "--out"), ("reproduce", "--out"),
                                            ("reproduce", "--report")])
def test_a_file_where_a_folder_must_be_is_named(tmp_path, capsys, no_work, command, field):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    out, report = (str(blocker / "out"), None) if field == "--out" else (str(tmp_path / "out"), str(blocker / "r.md"))
    line = refused(_argv(command, tmp_path, out, report), capsys)
    assert f"{field}: {blocker} is a file, not a folder" in line


def test_report_under_a_file_fails_before_the_redraw(tmp_path, no_work):
    figures = full_results(tmp_path / "figures")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ValidationError, match="--report: .*afile is a file, not a folder"):
        rp.reproduce(figures, redraw=True, progress=False, registry=REGISTRY, report_path=tmp_path / "afile" / "r.md")
    with pytest.raises(WorkStarted):  # a report in a folder that does not exist yet is fine
        rp.reproduce(figures, redraw=True, progress=False, registry=REGISTRY, report_path=tmp_path / "new" / "r.md")


# ----------------------------------------------------------------------------------------------------
# Tables that lost rows: a redraw names the file and the missing or partial runs


def _cut_at_line(path: Path, share: float) -> None:
    lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    path.write_bytes(gzip.compress(b"".join(lines[:int(len(lines) * share)])))


def _cut_mid_row(path: Path, share: float) -> None:
    """The table's text cut inside a field, compressed again (a cut stream: tests/test_frames.py)."""
    data = gzip.decompress(path.read_bytes())
    cut = int(len(data) * share)
    while data[cut - 1:cut] in (b"\n", b","):  # inside a field
        cut += 1
    path.write_bytes(gzip.compress(data[:cut]))


def _drop_manifest(folder: Path) -> None:
    (folder / f"{STUDY}__manifest.json").unlink()


@pytest.mark.parametrize("table, damage, words", [
    ("runs", lambda p: _cut_at_line(p, 0.6), r"runs missing \(.*seed.*\); partial runs"),
    ("runs", lambda p: _cut_at_line(p, 0.999), r"partial runs .*\(\d+ of \d+ rows\)"),
    ("runs", lambda p: _cut_mid_row(p, 0.5), r"runs missing .*partial runs"),
    ("runs", lambda p: _cut_mid_row(p, 0.99999), r"partial runs"),
    ("meta", lambda p: _cut_at_line(p, 0.5), r"runs missing"),
    ("meta", lambda p: _cut_mid_row(p, 0.7), r"runs missing|partial runs|rows differ"),
], ids=["runs-line-60%", "runs-line-99.9%", "runs-mid-row-50%", "runs-mid-row-end", "meta-line-50%",
        "meta-mid-row-70%"])
def test_redraw_refuses_a_table_that_lost_rows(tmp_path, no_work, table, damage, words):
    figures = full_results(tmp_path / "figures")
    path = figures / f"{STUDY}__{table}.csv.gz"
    damage(path)
    with pytest.raises(ValidationError, match=rf"^{path}: is not the table that was written .*{words}"):
        rp.reproduce(figures, redraw=True, progress=False, registry=REGISTRY, report_path=tmp_path / "r.md")


@pytest.mark.parametrize("share", [0.6, 0.3])
def test_redraw_without_manifest_refuses_runs_the_meta_table_lists_but_the_runs_table_lacks(tmp_path, no_work, share):
    figures = full_results(tmp_path / "figures")
    _drop_manifest(figures)
    _cut_at_line(figures / f"{STUDY}__runs.csv.gz", share)
    with pytest.raises(ValidationError, match=rf"^{figures / (STUDY + '__runs.csv.gz')}: lacks \d+ runs that "
                                              rf"{STUDY}__meta.csv.gz lists \(fig1_iid/part0/"):
        rp.reproduce(figures, redraw=True, progress=False, registry=REGISTRY, report_path=tmp_path / "r.md")


def test_whole_committed_tables_pass_the_checks(tmp_path, no_work):
    figures = full_results(tmp_path / "figures")
    with pytest.raises(WorkStarted):
        rp.reproduce(figures, redraw=True, progress=False, registry=REGISTRY, report_path=tmp_path / "r.md")
