"""Trace: save/load round trip, atomic files, metadata, shape checks."""

import json

import numpy as np
import pytest

from a3c_theory import config, trace as trace_module
from a3c_theory.errors import ValidationError
from a3c_theory.trace import Trace


def _example(n=4, dim=6, d=3, workers=2) -> Trace:
    rng = np.random.default_rng(0)
    k = np.array([0, 1, 10, 100])[:n]
    spw = np.column_stack([k - k // 2, k // 2])
    return Trace(config=config.from_dict({}).to_dict(), k=k, theta=rng.normal(size=(n, dim)),
                 w=rng.normal(size=(n, d)), time_s=k / 2.0, samples_per_worker=spw[:, :workers],
                 delay_counts=np.array([60, 30, 10]), meta={"seed": 3, "radius": np.float64(2.5),
                                                             "machine": trace_module.machine_description(),
                                                             "counts": np.arange(3)})


def test_save_load_round_trip(tmp_path):
    tr = _example()
    tr.save(tmp_path / "run")
    back = Trace.load(tmp_path / "run")
    for name in trace_module.ARRAY_FIELDS:
        np.testing.assert_array_equal(getattr(back, name), getattr(tr, name))
        assert getattr(back, name).dtype == getattr(tr, name).dtype
    assert back.config == tr.config
    assert back.meta["radius"] == 2.5 and back.meta["seed"] == 3 and back.meta["counts"] == [0, 1, 2]
    assert back.n_workers == 2


def test_save_leaves_only_the_two_files(tmp_path):
    _example().save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.json", "trace.npz"]
    info = json.loads((tmp_path / "trace.json").read_text())
    assert set(info) == {"config", "meta"}


def test_failed_save_keeps_the_previous_trace(tmp_path):
    first = _example()
    first.save(tmp_path)
    broken = _example()
    broken.meta["bad"] = object()  # not JSON-serialisable: the JSON write fails
    with pytest.raises(TypeError):
        broken.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.json", "trace.npz"]
    assert "bad" not in Trace.load(tmp_path).meta


def test_load_of_a_missing_trace_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        Trace.load(tmp_path / "nothing")


def test_machine_description_fields():
    m = trace_module.machine_description()
    assert {"cores", "cpu", "python", "numpy", "numba"} <= set(m)
    assert m["numpy"] == np.__version__
    m["cores"] = -1  # each call returns its own dict of the once-read description
    assert trace_module.machine_description()["cores"] != -1


@pytest.mark.parametrize("change, field", [
    ({"k": np.array([0, 5, 5, 9])}, "trace.k"),
    ({"theta": np.zeros((3, 6))}, "trace.theta"),
    ({"time_s": np.zeros(5)}, "trace.time_s"),
    ({"samples_per_worker": np.zeros(4)}, "trace.samples_per_worker"),
])
def test_inconsistent_shapes_are_rejected(change, field):
    tr = _example()
    fields = {name: getattr(tr, name) for name in trace_module.ARRAY_FIELDS}
    fields.update(change)
    with pytest.raises(ValidationError) as err:
        Trace(config=tr.config, meta={}, **fields)
    assert err.value.field == field
