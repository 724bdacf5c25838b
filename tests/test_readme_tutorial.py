"""The README's "Check a claim on your own MDP" runs as written: its Python blocks are executed, its TOML
blocks (``# file: NAME`` on the first line) written, its ``a3c-theory`` commands run (``study`` with
``--quick``), in a fresh folder; the study then has a verdict table and a figure."""

import shlex
from pathlib import Path

from a3c_theory.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Check a claim on your own MDP"


def blocks() -> list[tuple[str, str]]:
    """``(language, text)`` of every fenced block of the tutorial section, in order."""
    text = README.read_text(encoding="utf-8").split(SECTION, 1)[1].split("\n## ", 1)[0]
    pieces = text.split("```")
    return [(body.split("\n", 1)[0].strip(), body.split("\n", 1)[1]) for body in pieces[1::2]]


def test_the_tutorial_has_the_four_steps():
    kinds = [lang for lang, _ in blocks()]
    assert kinds.count("python") >= 1 and kinds.count("toml") >= 2 and kinds.count("bash") >= 2


def test_the_tutorial_runs_as_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    commands = []
    for lang, body in blocks():
        if lang == "python":
            exec(compile(body, "README tutorial", "exec"), {})
        elif lang == "toml":
            first, rest = body.split("\n", 1)
            assert first.startswith("# file: "), first
            (tmp_path / first.removeprefix("# file: ").strip()).write_text(rest)
        elif lang == "bash":
            for line in body.splitlines():
                if line.startswith("a3c-theory "):
                    args = shlex.split(line)[1:]
                    if args[0] == "study":
                        args += ["--quick", "--no-progress"]
                    commands.append(args[0])
                    assert main(args) == 0, line
    assert commands == ["diagnose", "study"]
    assert "myopia" in capsys.readouterr().out
    out = tmp_path / "runs" / "studies" / "ladder_speedup-quick"
    assert (out / "ladder_speedup.png").read_bytes()[:4] == b"\x89PNG"
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| instance | sampling | delays | c_α | target |" in report and "linear up to N" in report
    assert "picked by a pilot" in report
