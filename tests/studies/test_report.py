"""report: summary tables and paper_repro.md built from the studies' typed summaries."""

from a3c_theory import frames, report
from a3c_theory.studies import regularisation
from a3c_theory.studies.study import Results
from synthetic import runs


def _outcome() -> report.Outcome:
    results = Results("regularisation", "t", runs(lam=[0.0, 0.1]), regularisation.Settings())
    summary = regularisation.summarise(results)
    return report.Outcome("regularisation", "regularisation", summary, regularisation.numbers(summary),
                          regularisation.claims(summary), "3 seeds × 2 configs", 1.5)


def test_summary_table_holds_every_number_with_its_interval_method(tmp_path):
    outcome = _outcome()
    table = report.summary_table([outcome])
    assert list(table.columns) == ["study", "quantity", "setting", "value", "lo", "hi", "n", "interval", "unit"]
    assert len(table) == len(outcome.numbers) == 4  # final gap and final ‖∇J_λ‖² for two λ
    assert set(table["interval"]) == {"percentile bootstrap"}
    assert (table["lo"] >= 0).all()  # non-negative quantities keep their sign
    report.write(tmp_path, tmp_path / "paper_repro.md", [outcome], 2.0, quick=True)
    assert frames.read_csv(tmp_path / "summary.csv").equals(table)


def test_paper_repro_has_one_row_per_claim_and_the_study_table(tmp_path):
    outcome = _outcome()
    text = report.paper_repro_markdown([outcome], "figures", 2.0, quick=True)
    assert "**Quick mode" in text
    assert "| regularisation | `a3c_theory.studies.regularisation` | [regularisation.png](figures/regularisation.png)" in text
    (claim,) = outcome.claims
    row = next(line for line in text.splitlines() if line.startswith(f"| {claim.artifact}"))
    assert claim.verdict in row and "`a3c-theory reproduce --quick` → `regularisation.png`" in row
    assert "| Gym / Atari figures |" in text
