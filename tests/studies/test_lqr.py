"""studies.lqr (continuous actions): the summary on hand-made runs tables with known answers (E(N) exact, a
diverged run counted as never reaching a target, convergence and critic verdicts by the stated rules), the
"Continuous actions" section of the report, and a --quick reproduce of the study with its redraw."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from a3c_theory import config
from a3c_theory import reproduce as rp
from a3c_theory.errors import ValidationError
from a3c_theory.studies import efficiency as ef
from a3c_theory.studies import lqr, plotting
from a3c_theory.studies.study import Results

K = np.linspace(0, 10_000, 101)  # snapshots every 100 updates: the crossings below are exact interpolations
RATE = {1: 1000.0, 4: 2000.0, 16: 1000.0}
"""Updates until a run has closed 95% of its gap (per N): N = 4 needs twice the samples -> E(4) = 0.5."""
INSTANCE = config.from_dict({"problem": {"kind": "lqr", "state_dim": 2, "action_dim": 1, "seed": 1},
                             "algorithm": {"radius": 40.0}}).to_dict()


def _run(run_id, workers, seed, sampling, rate, outcome="finished", stop=None):
    """A run whose gap fraction closed is 0.95 · min(1, k / rate) (linear between snapshots, so the
    samples to close f of the gap are f · rate / 0.95 exactly) and whose critic gap falls from 20 to 0.2."""
    k = K if stop is None else K[K <= stop]
    closed = 0.95 * np.minimum(1.0, k / rate)
    return pd.DataFrame({"run_id": run_id, "seed": seed, "workers": workers, "sampling": sampling,
                         "instance": "lqr", "problem.spectral_radius": 0.9, "algorithm.c_alpha": 1e-3,
                         "mode": "simulated", "delay": "round_robin", "outcome": outcome,
                         "samples": k.astype(int), "k": k.astype(int), "J": -3.0 + closed, "gap": 1.0 - closed,
                         "critic_gap": 20.0 * np.exp(-k * np.log(100) / K[-1])})


def results(diverge=True) -> Results:
    """5 seeds × N ∈ {1, 4, 16} × i.i.d./Markovian; run (i.i.d., N = 16, seed 0) diverged at k = 5000 after
    its curve had already reached every target."""
    tables, meta = [], []
    for sampling in ("iid", "markov"):
        for n, rate in RATE.items():
            for seed in range(5):
                rid = f"{sampling}-{n}-{seed}"
                bad = diverge and (sampling, n, seed) == ("iid", 16, 0)
                tables.append(_run(rid, n, seed, sampling, rate * (1 + 0.1 * seed), "diverged" if bad else "finished",
                                   5000 if bad else None))
                meta.append({"run_id": rid, "outcome": "diverged" if bad else "finished",
                             "diverged_at": 5050.0 if bad else np.nan})
    settings = lqr.Settings(targets=(0.5, 0.8), convergence_workers=(1, 4, 16), speedup_workers=(1, 4, 16))
    return Results("lqr", "test lqr", pd.concat(tables, ignore_index=True), settings, pd.DataFrame(meta),
                   configs=(INSTANCE,), cores=2)


def _cells(summary, sampling, target):
    e = summary.efficiency
    return e[(e["sampling"] == sampling) & (e["target"] == target)].set_index("workers")


def test_efficiency_is_exact_and_a_diverged_run_never_reaches_a_target():
    summary = lqr.summarise(results())
    for sampling in ("iid", "markov"):
        for target in ("gap 50%", "gap 80%"):
            cells = _cells(summary, sampling, target)
            assert cells.loc[4, "efficiency"] == pytest.approx(0.5, rel=1e-12)  # T(4) = 2 T(1) for every seed
            assert cells.loc[4, "verdict"] == ef.SUBLINEAR
            assert cells.loc[16, "efficiency"] == pytest.approx(1.0, rel=1e-12)
    iid = _cells(summary, "iid", "gap 50%")
    assert iid.loc[16, "censored"] == 1 and iid.loc[16, "n"] == 4  # its snapshots crossed 50% at k = 526
    assert _cells(summary, "markov", "gap 50%").loc[16, "censored"] == 0
    v = summary.verdicts.set_index(["sampling", "target"])
    assert v.loc[("iid", "gap 50%"), "linear_up_to"] == 1 and v.loc[("iid", "gap 50%"), "first_sublinear"] == 4


def test_finals_divergences_and_claims_follow_the_stated_rules():
    summary = lqr.summarise(results())
    final = summary.final.set_index(["sampling", "workers"])
    assert final.loc[("iid", 16), "diverged"] == 1 and final.loc[("iid", 16), "diverged_at"] == "5050"
    assert final.loc[("iid", 16), "closed_n"] == 4  # the diverged run is left out of the means
    assert final.loc[("markov", 1), "closed"] == pytest.approx(0.95)
    claims = lqr.claims(summary)
    assert claims and all(c.section == lqr.SECTION for c in claims)
    by_name = {c.artifact: c for c in claims}
    label = "lqr (spectral_radius=0.9)"
    assert by_name[f"{label}, Markovian: J vs samples"].verdict == "reproduced"  # 0.95 >= 0.9, none diverged
    assert by_name[f"{label}, i.i.d.: J vs samples"].verdict == "partly: 1 of 15 runs diverged"
    assert by_name[f"{label}, i.i.d.: critic gap"].verdict == "reproduced"  # 0.2 / 20 < 0.1
    assert by_name[f"{label}, i.i.d.: speedup"].verdict == "contradicted"  # sub-linear at N = 4, inside the regime
    assert "rho(A - B K0)" in by_name[f"{label}, i.i.d.: speedup"].notes  # the instance's diagnostics beside it
    strict = lqr.summarise(dataclasses.replace(results(diverge=False),
                                               settings=lqr.Settings(closed_fraction=0.96)))
    assert {c.verdict for c in lqr.claims(strict) if c.artifact.endswith("J vs samples")} == \
        {"partly: closes less than 96% at N = 1, 4, 16"}
    shares = {x.setting: x.estimate for x in lqr.numbers(summary) if x.quantity == "LQR share of runs that diverged"}
    assert shares[f"{label}, i.i.d., N=16"].value == pytest.approx(0.2)
    assert shares[f"{label}, i.i.d., N=16"].interval == "Clopper-Pearson"


def test_the_figure_and_the_report_section(tmp_path):
    res = results()
    summary = lqr.summarise(res)
    with plotting.styled():
        lqr.draw(res, summary, tmp_path / "lqr.png")
    assert (tmp_path / "lqr.png").stat().st_size > 10_000
    from a3c_theory import report
    outcome = report.Outcome("lqr", "lqr", summary, lqr.numbers(summary), lqr.claims(summary), "runs", 1.0)
    text = report.paper_repro_markdown([outcome], "figures", 1.0, quick=True)
    artifacts, section = text.split("## Artifacts", 1)[1].split(f"## {lqr.SECTION}", 1)
    assert "speedup" not in artifacts.split("| Atari figures |")[0]  # the lqr rows live under their own heading
    rows = section.split("\n## ", 1)[0]  # the section's claims table, before the verdict table's heading
    assert rows.count("| lqr (spectral_radius=0.9)") == len(lqr.claims(summary)) - 1


def test_instances_must_differ_through_grid_axes():
    res = results()
    other = {**INSTANCE, "problem": {**INSTANCE["problem"], "spectral_radius": 0.5}}
    with pytest.raises(ValidationError, match="part.set"):
        lqr.summarise(dataclasses.replace(res, configs=(INSTANCE, other)))
    with pytest.raises(ValidationError, match="targets"):
        lqr.Settings(targets=(0.0,))


def test_quick_reproduce_and_its_redraw_give_the_same_numbers(tmp_path):
    """The study's own spec with --quick (2 seeds, 20k updates) through reproduce, then --redraw from the
    tables it wrote: the same summary rows."""
    out, md = tmp_path / "q", tmp_path / "q" / "paper_repro.md"
    kw = dict(quick=True, jobs=1, progress=False, report_path=md, registry={"lqr": "lqr"})
    (ran,) = rp.reproduce(out, **kw)
    first = pd.read_csv(out / "summary.csv")
    assert f"## {lqr.SECTION}" in md.read_text()
    assert set(first["study"]) == {"lqr"} and (first["quantity"] == "LQR efficiency E(N) = Speedup(N)/N").any()
    (redrawn,) = rp.reproduce(out, redraw=True, **kw)
    assert redrawn.redrawn and not ran.redrawn
    pd.testing.assert_frame_equal(pd.read_csv(out / "summary.csv"), first)
