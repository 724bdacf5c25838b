"""report: summary tables and paper_repro.md built from the studies' typed summaries."""

import json

from a3c_theory import frames, report
from a3c_theory import reproduce as rp
from a3c_theory.studies import regularisation
from a3c_theory.studies.study import Results
from synthetic import runs
from test_spec import TINY


def _outcome() -> report.Outcome:
    instance = {"problem": {"kind": "paper", "seed": 0, "n_states": 4, "n_actions": 3, "feature_dim": 2}}
    results = Results("regularisation", "t", runs(lam=[0.0, 0.1]), regularisation.Settings(), configs=(instance,))
    summary = regularisation.summarise(results)
    return report.Outcome("regularisation", "regularisation", summary, regularisation.numbers(summary),
                          regularisation.claims(summary), "3 seeds × 2 configs", 1.5)


def test_summary_table_holds_every_number_with_its_interval_method(tmp_path):
    outcome = _outcome()
    table = report.summary_table([outcome])
    assert list(table.columns) == ["study", "quantity", "setting", "value", "lo", "hi", "n", "interval", "unit"]
    assert len(table) == len(outcome.numbers) == 6  # final gap, ‖∇J_λ‖² and J_λ* − J_λ for two λ
    assert set(table["interval"]) == {"percentile bootstrap"}
    assert (table["lo"] >= 0).all()  # non-negative quantities keep their sign
    report.write(tmp_path, tmp_path / "paper_repro.md", [outcome], 2.0, quick=True)
    assert frames.read_csv(tmp_path / "summary.csv").equals(table)


def test_paper_repro_has_one_row_per_claim_and_the_study_table(tmp_path):
    outcome = _outcome()
    text = report.paper_repro_markdown([outcome], "figures", 2.0, quick=True)
    assert "**Quick mode" in text
    assert "| regularisation | `a3c_theory.studies.regularisation` | [regularisation.png](figures/regularisation.png)" in text
    assert len(outcome.claims) == 2  # convergence to J_λ*, and the gap J* − J growing with λ
    for claim in outcome.claims:
        row = next(line for line in text.splitlines() if line.startswith(f"| {claim.artifact} |"))
        assert claim.verdict in row and "`a3c-theory reproduce --quick` → `regularisation.png`" in row
    assert "| Atari figures |" in text


def _row(text: str, study: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"| {study} |"))


def test_the_run_time_is_the_one_measured_when_the_runs_were_executed_not_the_redraws(tmp_path):
    """A --quick reproduce stores the study's run time beside its runs table; a later --redraw and a later
    reproduce that finds every run cached report that stored time (here replaced by a marker value, so no
    time of those invocations can match it); without the file the report says "not recorded"."""
    (tmp_path / "tiny.toml").write_text(TINY)
    out, md = tmp_path / "out", tmp_path / "report.md"

    def reproduce(**kw):
        return rp.reproduce(out, quick=True, jobs=1, progress=False, report_path=md, registry={"tiny": "regularisation"},
                            spec_dir=tmp_path, **kw)

    (first,) = reproduce()
    timing = out / "tiny__timing.json"
    stored = rp.read_run_time(timing)
    assert first.run_time == stored and (stored.executed, stored.runs) == (4, 4) and 0 < stored.seconds <= first.seconds
    timing.write_text(json.dumps({**json.loads(timing.read_text()), "seconds": 1234.5}))
    for kw in ({"redraw": True}, {}):
        (again,) = reproduce(**kw)
        assert again.run_time.seconds == 1234.5 and again.seconds < 1234.5
        cell = "1234.5 s on"
        assert cell in _row(md.read_text(), "tiny") and cell in _row((out / "summary.md").read_text(), "tiny")
    assert "(redrawn)" not in _row(md.read_text(), "tiny")
    timing.unlink()
    (old,) = reproduce(redraw=True)
    assert old.run_time is None and "| not recorded |" in _row(md.read_text(), "tiny")
    assert "| not recorded |" in _row((out / "summary.md").read_text(), "tiny")
