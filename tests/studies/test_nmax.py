"""studies.nmax on synthetic runs: levels from pilot seeds never judged, online hitting times or snapshots,
N*(K) and N_max(K), the verdict rules (exponent against the theorem's regime, cells inside the regime,
mixing contrast), and its Settings."""

import numpy as np
import pandas as pd
import pytest

from a3c_theory import config
from a3c_theory.engine.targets import target_name
from a3c_theory.errors import ValidationError
from a3c_theory.studies import efficiency as ef
from a3c_theory.studies import nmax
from a3c_theory.studies.study import Results
from synthetic import runs

CONFIGS = tuple(config.from_dict(c).to_dict() for c in (
    {"problem": {"kind": "trap_chain", "n_states": 6, "critic_features": "one_hot"}},
    {"problem": {"kind": "drift_ring", "n_states": 20, "n_actions": 2, "branching": 2, "locality": 1,
                 "critic_features": "one_hot"}}))
HORIZONS = [10.0, 100.0, 1000.0]


def _pilot(seeds: int = 3) -> pd.DataFrame:
    """One-worker trap-chain runs with the pilot's seeds (1000, 1001, ...): the curves of seeds 0, 1, ..."""
    pilot = runs(seeds=seeds, workers=[1], kind=["trap_chain"], sampling=["iid", "markov"], **{"problem.locality": [1]})
    pilot["seed"] += 1000
    pilot["run_id"] = "pilot-" + pilot["run_id"]
    return pilot


def results(judged: pd.DataFrame | None = None, meta: pd.DataFrame | None = None, **settings) -> Results:
    """Judged runs (every N linear: J(k) does not depend on N) of both kinds, the pilot, no online hits."""
    judged = runs(workers=[1, 2, 4, 8], kind=["trap_chain", "drift_ring"], sampling=["iid", "markov"],
                  **{"problem.locality": [1, 8]}) if judged is None else judged
    table = pd.concat([judged, _pilot()], ignore_index=True)
    return Results("nmax", "t", table, nmax.Settings(**{"horizons": HORIZONS, **settings}),
                   meta=pd.DataFrame({"run_id": []}) if meta is None else meta, configs=CONFIGS, cores=2)


def test_every_n_linear_gives_the_grid_bound_and_levels_come_from_the_pilot():
    summary = nmax.summarise(results())
    assert set(summary.nmax["n_max"]) == {8} and set(summary.nmax["censored"]) == {"above"}
    pilot = ef.curves_per_run(_pilot())
    for (sampling, metric), g in summary.nmax.groupby(["sampling", "metric"]):
        column = next(c for c, (label, _, _) in nmax.METRICS.items() if label == metric)
        p = pilot[pilot["sampling"] == sampling]
        assert list(g["pilot_level"]) == [ef.level_at(list(zip(p["k"], p[column])), K) for K in HORIZONS]
        assert list(g["level"]) == [ef.round_level(v) for v in g["pilot_level"]]
    assert set(summary.fits["pilot_seeds"]) == {3} and set(summary.fits["seeds"]) == {3}
    assert summary.tables and nmax.claims(summary)


def test_adding_judged_seeds_never_moves_a_level():
    """The levels come from the pilot only: judged runs with other (slower) seeds leave them where they were."""
    before = nmax.summarise(results())
    slower = runs(seeds=6, workers=[1, 2, 4, 8], kind=["trap_chain"], sampling=["iid", "markov"],
                  **{"problem.locality": [1]})
    after = nmax.summarise(results(judged=slower))
    first = before.nmax[before.nmax["sampling"] == "iid"]["level"].to_numpy()
    assert np.array_equal(first, after.nmax[after.nmax["sampling"] == "iid"]["level"].to_numpy())
    assert set(after.fits["seeds"]) == {6}


def test_pilot_seeds_must_be_present_and_one_worker_only():
    judged = runs(workers=[1, 2], kind=["trap_chain"], sampling=["iid"], **{"problem.locality": [1]})
    with pytest.raises(ValidationError, match="pilot_first_seed: no one-worker pilot runs of 'iid'"):
        nmax.summarise(Results("nmax", "t", judged, nmax.Settings(horizons=HORIZONS), configs=CONFIGS))
    with pytest.raises(ValidationError, match="pilot_first_seed: the pilot's seeds .* must hold one-worker runs"):
        nmax.summarise(results(pilot_first_seed=0, pilot_last_seed=1000))
    with pytest.raises(ValidationError, match="pilot_last_seed: must be >= pilot_first_seed"):
        nmax.summarise(results(pilot_first_seed=10, pilot_last_seed=5))


def _online_meta(judged: pd.DataFrame, levels: dict, hit) -> pd.DataFrame:
    """Metadata recording online targets for every judged run: ``hit(workers, seed, K)`` gives the hitting
    time (NaN: never reached) of the level of horizon K."""
    rows = []
    for (rid, n, seed, sampling), _ in judged.groupby(["run_id", "workers", "seed", "sampling"]):
        row = {"run_id": rid, "hit_horizon": 1e5, "updates_run": 1e5}
        for kind, per_option in levels.items():
            for K, lev in zip(HORIZONS, per_option[sampling]):
                name = target_name(kind, lev)
                row[f"target_levels_{name}"] = lev
                row[f"hits_{name}"] = hit(n, seed, K)
        rows.append(row)
    return pd.DataFrame(rows)


def _levels() -> dict:
    pilot = ef.curves_per_run(_pilot())
    out = {}
    for column, (_, kind, _) in nmax.METRICS.items():
        out[kind] = {s: nmax.pilot_levels(pilot[pilot["sampling"] == s], column, HORIZONS)[0] for s in ("iid", "markov")}
    return out


def test_online_hitting_times_are_judged_and_a_stale_level_is_refused():
    """Online hits T(N) = K·(1 + (N − 1)/4) (E(8) = 0.36): N_max = 2 at every K, from the metadata, not the
    snapshots (whose J(k) would make every N linear); a spec whose targets miss the pilot's level is refused."""
    judged = runs(seeds=12, workers=[1, 2, 4, 8], kind=["trap_chain"], sampling=["iid", "markov"],
                  **{"problem.locality": [1]})
    rng = np.random.default_rng(0)
    noise = {s: 1 + 0.02 * rng.standard_normal() for s in range(12)}
    meta = _online_meta(judged, _levels(), lambda n, s, K: K * (1 + (n - 1) / 4) * noise[s])
    summary = nmax.summarise(results(judged=judged, meta=meta))
    assert set(summary.nmax["n_max"]) == {2}
    stale = {kind: {s: [v * 1.01 for v in levels] for s, levels in per.items()} for kind, per in _levels().items()}
    with pytest.raises(ValidationError, match=r"targets.gap: the judged iid runs did not all record the pilot's level"):
        nmax.summarise(results(judged=judged, meta=_online_meta(judged, stale, lambda n, s, K: K)))


def test_exponent_verdict_against_the_theorems_regime():
    assert nmax.exponent_verdict(0.5, 0.9, True).startswith("consistent (steeper")
    assert nmax.exponent_verdict(0.1, 0.3, True) == "consistent (interval contains 1/5)"
    assert nmax.exponent_verdict(0.05, 0.15, True).startswith("contradicted")
    assert nmax.exponent_verdict(0.05, 0.15, False).startswith(ef.OUTSIDE)  # never "contradicted" outside
    assert nmax.exponent_verdict(np.nan, np.nan, True).startswith("undetermined")


def test_regime_verdict_from_the_per_horizon_verdicts():
    assert nmax.regime_verdict(["consistent", "consistent (sub-linear from N = 64: outside ...)"]) == "consistent"
    assert nmax.regime_verdict(["consistent", "contradicted"]) == "contradicted"
    assert nmax.regime_verdict(["consistent", ef.UNDETERMINED]) == ef.UNDETERMINED
    assert nmax.regime_verdict([ef.OUTSIDE]) == ef.UNDETERMINED


def test_mixing_verdict_needs_the_contrast_interval_to_exclude_one():
    mixing = pd.DataFrame({"value": [8, 8, 1, 1], "workers": [1, 64, 1, 64],
                           "verdict": [ef.LINEAR, ef.LINEAR, ef.LINEAR, ef.SUBLINEAR],
                           "efficiency": [1.0, 0.9, 1.0, 0.4]})
    contrast = lambda lo, hi: pd.DataFrame({"lo": [lo], "hi": [hi]})
    assert nmax.mixing_verdict(mixing, {8: 0.85, 1: 0.99}, contrast(0.3, 0.6)) == "consistent"
    assert nmax.mixing_verdict(mixing, {8: 0.85, 1: 0.99}, contrast(0.3, 1.6)) == "undetermined"  # overlapping
    assert nmax.mixing_verdict(mixing, {8: 0.99, 1: 0.85}, contrast(1.2, 2.0)) == "contradicted"
    assert nmax.mixing_verdict(mixing, {8: 0.99, 1: 0.85}, contrast(0.5, 2.0)) == "undetermined"


def test_mixing_contrast_on_members_with_known_efficiencies():
    """Drift-ring members whose runs do not depend on N (E = 1 for both): the ratio is 1, inside its interval."""
    summary = nmax.summarise(results())
    c = summary.mixing_contrast.iloc[0]
    assert c["workers"] == 8 and c["ratio"] == pytest.approx(1.0) and c["lo"] <= 1.0 <= c["hi"]


def test_horizons_and_pilot_seeds_are_checked():
    assert nmax.Settings(horizons=[1000, 10, 100]).horizons == (10.0, 100.0, 1000.0)
    with pytest.raises(ValidationError, match="horizons: must be a list of at least 3"):
        nmax.Settings(horizons=[10, 1000])
    with pytest.raises(ValidationError, match="horizons: must span a factor of at least 100"):
        nmax.Settings(horizons=[10, 20, 30])
    with pytest.raises(ValidationError, match=r"horizons\[0\]: must lie in \(0, inf\]"):
        nmax.Settings(horizons=[0, 10, 1000])
    with pytest.raises(ValidationError, match=r"mixing_target: must lie in \(0, 1\]"):
        nmax.Settings(mixing_target=2)
    with pytest.raises(ValidationError, match=r"pilot_first_seed: must lie in \[0, inf\]"):
        nmax.Settings(pilot_first_seed=-1)


def test_the_packaged_spec_gives_nmax_its_own_seeds():
    """The pilot and the judged runs have their own seed ranges (first_seed), disjoint from each other and from
    the speedup study's seeds 0..9, and the pilot's range is the one the settings name."""
    from importlib.resources import files

    from a3c_theory.studies import spec
    s = spec.load(files("a3c_theory.studies") / "nmax.toml", nmax.Settings)
    trap = [p for p in s.parts if p.value("problem.kind") == "trap_chain"]
    pilot = [p for p in trap if "run.workers" not in p.grid and p.value("run.workers") == 1]
    judged = [p for p in trap if p not in pilot]
    assert pilot and judged
    in_pilot = lambda seed: s.settings.pilot_first_seed <= seed <= s.settings.pilot_last_seed
    assert all(in_pilot(x) for p in pilot for x in p.seed_list)
    assert not any(in_pilot(x) or x < 10 for p in judged for x in p.seed_list)
    with pytest.raises(ValidationError, match=r"part\[0\].first_seed: must be an integer >= 0"):
        spec.load({"experiment": {"type": "nmax"}, "part": [{"first_seed": -1}]}, nmax.Settings)


def test_stored_rows_give_the_summary_of_every_row():
    """Pilot runs keep the rows around each horizon K, judged runs with online hitting times their first and
    last snapshots, judged runs without them every row, the mixing family the rows of its first crossing; the
    summary tables from the stored rows are the full ones exactly."""
    from a3c_theory import report
    judged = runs(seeds=6, workers=[1, 2, 4, 8], kind=["trap_chain"], sampling=["iid", "markov"],
                  **{"problem.locality": [1]})
    family = runs(workers=[1, 2, 4, 8], kind=["drift_ring"], sampling=["markov"], **{"problem.locality": [1, 8]})
    online = judged[judged["seed"] > 0]  # seed 0's runs have no online hits: costed from their snapshots
    meta = _online_meta(online, _levels(), lambda n, s, K: K * (1 + (n - 1) / 4) * (1 + 0.03 * s))
    full = results(judged=pd.concat([judged, family], ignore_index=True), meta=meta)
    kept = nmax.stored_rows(full)
    per_run = kept.groupby("run_id").size()
    snapshots = full.runs.groupby("run_id").size()
    pilot = [rid for rid in per_run.index if rid.startswith("pilot-")]
    assert (per_run[online["run_id"].unique()] == 2).all()
    assert (per_run[judged.loc[judged["seed"] == 0, "run_id"].unique()] == snapshots.iloc[0]).all()
    assert per_run[pilot].max() <= 2 + 2 * len(HORIZONS) and per_run[family["run_id"].unique()].max() <= 4
    trimmed = Results("nmax", "t", kept, full.settings, full.meta, full.configs, cores=2)
    assert nmax.stored_rows(trimmed).equals(kept)
    a, b = report.dataframe_fields(nmax.summarise(full)), report.dataframe_fields(nmax.summarise(trimmed))
    assert a.keys() == b.keys() and all(a[name].equals(b[name]) for name in a)
    assert len(a["mixing"]) and len(a["nmax"])
