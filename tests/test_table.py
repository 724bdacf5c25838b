"""CSV tables: exact round trip of floats, type inference, atomic writes, concatenation."""

import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from a3c_theory import table as T
from a3c_theory.errors import ValidationError


@settings(max_examples=40, deadline=None)
@given(floats=st.lists(st.floats(allow_nan=False), min_size=1, max_size=20), data=st.data())
def test_round_trip_is_exact(tmp_path_factory, floats, data):
    n = len(floats)
    ints = data.draw(st.lists(st.integers(-2**62, 2**62), min_size=n, max_size=n))
    words = data.draw(st.lists(st.sampled_from(["iid", "markov", "a,b", 'say "hi"']), min_size=n, max_size=n))
    table = {"x": np.array(floats), "k": np.array(ints, dtype=np.int64), "name": words}
    path = T.write_csv(table, tmp_path_factory.mktemp("t") / "out.csv")
    back = T.read_csv(path)
    assert list(back) == ["x", "k", "name"]
    np.testing.assert_array_equal(back["x"], table["x"])  # bit-exact doubles
    assert back["k"].dtype == np.int64 and np.array_equal(back["k"], table["k"])
    assert back["name"].tolist() == words


def test_types_and_special_values(tmp_path):
    table = {"f": [1.5, np.nan, np.inf], "i": np.array([1, 2, 3], dtype=np.int32), "b": [True, False, True],
             "s": ["1", "x", "2"], "npf": [np.float64(0.1), np.float32(2.0), 3]}
    back = T.read_csv(T.write_csv(table, tmp_path / "t.csv"))
    assert back["f"].dtype == np.float64 and np.isnan(back["f"][1]) and back["f"][2] == np.inf
    assert back["i"].dtype == np.int64 and back["b"].dtype == bool and back["b"].tolist() == [True, False, True]
    assert back["s"].tolist() == ["1", "x", "2"]
    assert back["npf"].tolist() == [0.1, 2.0, 3.0]
    assert "np.float64" not in (tmp_path / "t.csv").read_text()


def test_write_is_atomic_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "sub" / "t.csv"
    T.write_csv({"a": [1, 2]}, path)
    old = path.read_text()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        T.write_csv({"a": [3, 4, 5]}, path)
    assert path.read_text() == old  # the old file is untouched
    assert sorted(p.name for p in path.parent.iterdir()) == ["t.csv"]  # the temporary was removed


def test_unequal_columns_and_bad_files_rejected(tmp_path):
    with pytest.raises(ValidationError) as info:
        T.write_csv({"a": [1, 2], "b": [1]}, tmp_path / "t.csv")
    assert info.value.field == "table" and not (tmp_path / "t.csv").exists()
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValidationError):
        T.read_csv(tmp_path / "empty.csv")
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3\n")
    with pytest.raises(ValidationError, match="row 3"):
        T.read_csv(tmp_path / "ragged.csv")
    (tmp_path / "header.csv").write_text("a,b\n")
    assert T.read_csv(tmp_path / "header.csv")["a"].size == 0


def test_concat():
    joined = T.concat([{"a": [1, 2], "b": [0.5, 1.5]}, {"b": [2.5], "a": [3]}])
    assert joined["a"].tolist() == [1, 2, 3] and joined["b"].tolist() == [0.5, 1.5, 2.5]
    assert T.concat([]) == {}
    with pytest.raises(ValidationError) as info:
        T.concat([{"a": [1]}, {"c": [1]}])
    assert info.value.field == "tables"
