"""Tidy tables on disk: CSV read back with the same dtypes and values; Parquet beside it with pyarrow."""

import numpy as np
import pandas as pd
import pytest

from a3c_theory import frames
from a3c_theory.errors import ValidationError


def awkward_frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({
        "k": np.array([0, 3, 2**62], np.int64),
        "x": rng.random(3) * 1e-300,  # needs all 17 digits to round-trip
        "special": [np.nan, np.inf, -np.inf],
        "third": [0.1 + 0.2, 1 / 3, -0.0],
        "label": ["none", "", "NA"],  # words pandas would take for missing values by default
        "flag": [True, False, True],
    })


def test_csv_round_trip_keeps_dtypes_and_values(tmp_path):
    frame = awkward_frame()
    path = frames.write(frame, tmp_path / "t.csv", parquet=False)
    back = frames.read_csv(path)
    assert back.dtypes.to_dict() == frame.dtypes.to_dict()
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    assert np.signbit(back["third"].iloc[2])
    assert not (tmp_path / "t.parquet").exists()


def test_parquet_written_beside_the_csv_when_pyarrow_is_installed(tmp_path):
    pytest.importorskip("pyarrow")
    frame = awkward_frame()
    frames.write(frame, tmp_path / "t.csv")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), frame, check_exact=True)


def test_evaluate_table_round_trips(tmp_path):
    from a3c_theory import config
    from a3c_theory.evaluate import COLUMNS
    from a3c_theory.pipeline import run_one

    cfg = config.from_dict({"problem": {"n_states": 6, "n_actions": 2, "feature_dim": 2},
                            "run": {"samples": 500, "snapshots": 5}})
    table = run_one(cfg).table
    assert list(table.columns) == list(COLUMNS)
    assert table["k"].dtype == np.int64 and table["J"].dtype == np.float64
    back = frames.read_csv(frames.write(table, tmp_path / "m.csv"))
    pd.testing.assert_frame_equal(back, table, check_exact=True)


def test_a_manifest_seals_its_tables_and_names_the_runs_a_table_lost(tmp_path):
    runs = pd.DataFrame({"run_id": ["a", "a", "b", "b", "c"], "x": [0.5, 1.5, 2.5, 3.5, 4.5]})
    meta = pd.DataFrame({"run_id": ["a", "b", "c"], "seconds": [1.0, 2.0, 3.0]})
    tables = [frames.write(runs, tmp_path / "s__runs.csv"), frames.write(meta, tmp_path / "s__meta.csv")]
    manifest = frames.write_manifest(tmp_path / "s__manifest.json", tables)
    frames.check_manifest(manifest)  # whole tables pass
    assert frames.run_rows(tables[0]) == {"a": 2, "b": 2, "c": 1}
    text = tables[0].read_text()
    tables[0].write_text(text[:text.index("b,3.5")] + "b")  # the last run gone, a row of b cut mid-row
    with pytest.raises(ValidationError, match=r"s__runs.csv: .*1 of 3 runs missing \(c\); partial runs b \(1 of 2"):
        frames.check_manifest(manifest)
    tables[0].write_text(text.replace("0.5", "0.25"))  # as many rows, another number
    with pytest.raises(ValidationError, match="s__runs.csv: .*its rows differ from those written"):
        frames.check_manifest(manifest)
    tables[0].unlink()
    with pytest.raises(ValidationError, match=r"s__runs.csv: is missing \(listed in s__manifest.json\)"):
        frames.check_manifest(manifest)


def test_compressed_csv_round_trips_and_gives_the_same_bytes_for_the_same_table(tmp_path):
    frame = awkward_frame()
    first = frames.write(frame, tmp_path / "t.csv.gz", parquet=False)
    pd.testing.assert_frame_equal(frames.read_csv(first), frame, check_exact=True)
    again = frames.write(frame, tmp_path / "u.csv.gz", parquet=False)
    assert first.read_bytes() == again.read_bytes()  # no timestamp or file name in the gzip header
    assert first.read_bytes()[:2] == b"\x1f\x8b"


def test_a_manifest_names_the_runs_a_cut_compressed_table_lost(tmp_path):
    rng = np.random.default_rng(3)
    runs = pd.DataFrame({"run_id": np.repeat([f"run{i}" for i in range(40)], 50), "x": rng.random(2000)})
    table = frames.write(runs, tmp_path / "s__runs.csv.gz", parquet=False)
    manifest = frames.write_manifest(tmp_path / "s__manifest.json", [table])
    frames.check_manifest(manifest)
    assert frames.run_rows(table) == {f"run{i}": 50 for i in range(40)}
    data = table.read_bytes()
    table.write_bytes(data[: len(data) // 2])  # cut mid-stream: the later runs are gone
    with pytest.raises(ValidationError, match=r"s__runs.csv.gz: .*of 40 runs missing \(run\d\d"):
        frames.check_manifest(manifest)
    with pytest.raises(ValidationError, match=r"s__runs.csv.gz: is not a readable gzip-compressed table"):
        frames.read_csv(table)
