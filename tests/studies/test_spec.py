"""studies.spec and the registry: every key of a spec is checked before any run, errors name file and key."""

import dataclasses

import pytest

from a3c_theory import reproduce as rp
from a3c_theory.errors import ValidationError
from a3c_theory.studies import REGISTRY, SPEC_DIR, convergence, rates, registered, spec

GOOD = '[experiment]\ntitle = "t"\nseeds = 2\n[[part]]\ngrid = { "run.workers" = [1, 2] }\n'


@pytest.mark.parametrize("text, field", [
    ('[experiment]\ncolour = 1\n[[part]]\n', "bad.toml:experiment.colour"),
    ('[experiment]\n[[part]]\nsets = { "run.workers" = 2 }\n', "bad.toml:part[0].sets"),
    (GOOD + '[quick]\nseedz = 1\n', "bad.toml:quick.seedz"),
    (GOOD + '[extra]\n', "bad.toml:extra"),
    ('[experiment]\nsettings = { decadez = 2 }\n[[part]]\n', "bad.toml:experiment.settings.decadez"),
    ('[experiment]\nsettings = { decades = -1 }\n[[part]]\n', "bad.toml:experiment.settings.decades"),
    (GOOD + '[quick]\nsettings = { decades = 0 }\n', "bad.toml:quick.settings.decades"),
    ('[experiment]\n[[part]]\nset = { "run.workers" = 0 }\n', "bad.toml:run.workers"),
    ('[experiment]\n[[part]]\ngrid = { "run.wrokers" = [1] }\n', "bad.toml:run.wrokers"),
    (GOOD + '[quick]\ngrid = { "run.delay" = ["none"] }\n', "bad.toml:quick.grid.run.delay"),
    ('[experiment]\ntitle = "no parts"\n', "bad.toml:part"),
    ('[experiment\n', "bad.toml"),
])
def test_every_key_is_checked_and_the_error_names_the_file_and_the_key(tmp_path, text, field):
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(ValidationError) as err:
        spec.load(tmp_path / "bad.toml", rates.Settings)
    assert err.value.field == field


def test_quick_mode_replaces_grid_axes_seeds_and_settings(tmp_path):
    (tmp_path / "s.toml").write_text(GOOD + '[quick]\nseeds = 1\nsettings = { target_fraction = 0.5 }\n'
                                     'set = { "run.samples" = 1000 }\ngrid = { "run.workers" = [1] }\n')
    full = spec.load(tmp_path / "s.toml", convergence.Settings)
    quick = spec.load(tmp_path / "s.toml", convergence.Settings, quick=True)
    assert (full.parts[0].seeds, full.parts[0].grid, full.settings.target_fraction) == (2, {"run.workers": [1, 2]}, 0.9)
    assert (quick.parts[0].seeds, quick.parts[0].grid, quick.settings.target_fraction) == (1, {"run.workers": [1]}, 0.5)
    assert quick.parts[0].value("run.samples") == 1000


def test_every_shipped_spec_loads_in_both_modes():
    for study in registered():
        for quick in (False, True):
            s = spec.load(study.spec_path, study.module.Settings, quick)
            assert s.parts or s.reuse


def test_a_bad_spec_stops_reproduce_before_any_run(tmp_path):
    (tmp_path / "good.toml").write_text(GOOD)
    (tmp_path / "bad.toml").write_text('[experiment]\n[quick]\nseedz = 1\n[[part]]\n')
    out = tmp_path / "out"
    with pytest.raises(ValidationError, match=r"bad\.toml:quick\.seedz"):
        rp.reproduce(out, quick=True, progress=False, registry={"good": "rates", "bad": "rates"}, spec_dir=tmp_path)
    assert not out.exists()


def test_no_experiments_found_is_an_error(tmp_path):
    with pytest.raises(ValidationError, match="no experiments found"):
        registered({})
    with pytest.raises(ValidationError, match="no experiment spec"):
        registered({"missing": "rates"}, spec_dir=tmp_path)


def test_every_registered_study_has_its_spec_inside_the_package():
    assert [s.name for s in registered()] == list(REGISTRY)
    assert all(s.spec_path.parent == SPEC_DIR for s in registered())


def test_quick_output_never_goes_into_the_full_figures_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out, report = rp.output_paths(None, None, quick=True)
    assert out == rp.QUICK_DIR and report == rp.QUICK_DIR / "paper_repro.md"
    assert rp.output_paths(None, None, quick=False) == (rp.FULL_DIR, rp.Path("paper_repro.md"))
    rp.claim_folder(rp.FULL_DIR, rp.Path("paper_repro.md"), quick=False, force=False)
    with pytest.raises(ValidationError, match="--out: --quick never writes into"):
        rp.claim_folder(rp.FULL_DIR, rp.QUICK_DIR / "r.md", quick=True, force=True)
    with pytest.raises(ValidationError, match="--report: --quick never writes into figures"):
        rp.claim_folder(rp.QUICK_DIR, rp.Path("figures/r.md"), quick=True, force=False)
    rp.claim_folder(rp.QUICK_DIR, rp.QUICK_DIR / "r.md", quick=True, force=False)


def test_only_runs_the_chosen_studies_and_those_reusing_their_runs():
    specs = {study.name: spec.load(study.spec_path, study.module.Settings, quick=True) for study in registered()}
    reusing = dataclasses.replace(specs["rates"], reuse=("fig2_markov",))
    assert rp.studies_to_run({**specs, "rates": reusing}, False, ["fig2_markov"]) == {"fig2_markov", "rates"}
    assert rp.studies_to_run(specs, False, ["fig2_markov"]) == {"fig2_markov"}
    assert rp.studies_to_run(specs, False, None) == set(specs)
    assert rp.studies_to_run(specs, True, None) == set()
    with pytest.raises(ValidationError, match="--study"):
        rp.studies_to_run(specs, False, ["nope"])
    with pytest.raises(ValidationError, match="--study"):
        rp.studies_to_run(specs, True, ["rates"])


TINY = ('[experiment]\ntitle = "tiny"\nseeds = 2\n[base]\nalgorithm = { sampling = "iid" }\n'
        'run = { samples = 2000, snapshots = 5 }\n[[part]]\ngrid = { "algorithm.lam" = [0.0, 0.1] }\n')


def test_a_partial_reproduce_runs_one_study_and_redraws_the_other_from_its_runs_table(tmp_path):
    for name in ("first", "second"):
        (tmp_path / f"{name}.toml").write_text(TINY)
    registry, out = {"first": "regularisation", "second": "regularisation"}, tmp_path / "out"
    rp.reproduce(out, jobs=1, progress=False, report_path=tmp_path / "report.md", registry=registry, spec_dir=tmp_path)
    cached = {p: p.stat().st_mtime_ns for p in (out / "_runs").rglob("runs/*.csv")}
    (out / "_runs" / "full" / "first").rename(tmp_path / "moved")  # "first" cannot run again: no cache
    outcomes = rp.reproduce(out, jobs=1, progress=False, report_path=tmp_path / "report.md", registry=registry,
                            spec_dir=tmp_path, only=["second"])
    assert [o.redrawn for o in outcomes] == [True, False]
    assert not (out / "_runs" / "full" / "first").exists()
    assert all(p.stat().st_mtime_ns == t for p, t in cached.items() if "second" in p.parts)
    assert "first ran nothing" in (tmp_path / "report.md").read_text()


def test_redraw_without_runs_tables_fails_before_any_work(tmp_path):
    with pytest.raises(ValidationError, match="--redraw.*fig1_iid__runs.csv.gz"):
        rp.reproduce(tmp_path / "out", redraw=True, progress=False)
    assert not (tmp_path / "out").exists()


def test_a_spec_naming_another_study_type_than_its_registry_line_is_refused(tmp_path):
    (tmp_path / "s.toml").write_text('[experiment]\ntype = "rates"\n' + GOOD.split("\n", 1)[1])
    with pytest.raises(ValidationError, match=r"s\.toml:experiment\.type: names 'rates'"):
        registered({"s": "convergence"}, spec_dir=tmp_path)
    assert [st.module for st in registered({"s": "rates"}, spec_dir=tmp_path)] == [rates]


def test_every_packaged_spec_names_its_study_type():
    for study in registered():
        assert spec.study_type(study.spec_path) == study.module.__name__.rsplit(".", 1)[1]


def test_a_spec_as_a_dict_is_checked_like_a_file():
    with pytest.raises(ValidationError, match=r"spec:experiment\.settings\.decades"):
        spec.load({"experiment": {"settings": {"decades": -1}}, "part": [{}]}, rates.Settings)
    s = spec.load({"experiment": {"name": "mine", "seeds": 2}, "part": [{"grid": {"run.workers": [1, 2]}}]},
                  rates.Settings)
    assert (s.name, s.path, s.parts[0].seeds) == ("mine", None, 2)
