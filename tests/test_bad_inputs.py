"""The table of bad-input cases (issue 14): one parametrised test per family, each case a one-line
ValidationError whose message names the file, the array or the key. The bad files are built in tmp_path."""

import io
import os
import time
import zipfile

import numpy as np
import pytest

from a3c_theory import config, engine, sweep
from a3c_theory.errors import ValidationError
from a3c_theory.instances import file_mdp

N_STATES, N_ACTIONS = 3, 2


def _mdp_arrays(**changes) -> dict:
    arrays = {"P": np.full((N_STATES, N_ACTIONS, N_STATES), 1.0 / N_STATES), "reward": np.ones((N_STATES, N_ACTIONS)),
              "gamma": np.float64(0.9), "eta": np.full(N_STATES, 1.0 / N_STATES)}
    arrays.update(changes)
    return arrays


def _savez(path, **arrays):
    np.savez(path, **arrays)
    return path


def _zip_bomb(path):
    """A deflated member ``P.npy`` of 256 MB of zeros (a few hundred kB on disk), plus valid small arrays."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("P.npy", "w", force_zip64=True) as member:
            shape = (4096, 2, 4096)
            np.lib.format.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False, "shape": shape})
            chunk = bytes(1 << 22)
            for _ in range(8 * 4096 * 2 * 4096 // len(chunk)):
                member.write(chunk)
        for name, value in _mdp_arrays(eta=np.full(4096, 1 / 4096), reward=np.zeros((4096, 2))).items():
            if name != "P":
                with archive.open(f"{name}.npy", "w") as member:
                    np.lib.format.write_array(member, np.asarray(value))
    return path


def _forged_header(path):
    """``P.npy`` whose header claims 2e12 float64 (14.6 TiB) followed by 64 bytes."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (2_000_000_000_000,)})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("P.npy", header.getvalue() + bytes(64))
        for name, value in _mdp_arrays().items():
            if name != "P":
                with archive.open(f"{name}.npy", "w") as member:
                    np.lib.format.write_array(member, np.asarray(value))
    return path


def _npy_renamed(path):
    np.save(path.with_suffix(".npy"), np.zeros(3))
    os.replace(path.with_suffix(".npy"), path)
    return path


def _text_file(path):
    path.write_text("P = 1\n")
    return path


def _absorbing(path):
    P = np.zeros((N_STATES, N_ACTIONS, N_STATES))
    for s in range(N_STATES):
        P[s, :, min(s + 1, N_STATES - 1)] = 1.0
    reward = np.ones((N_STATES, N_ACTIONS))
    reward[-1] = 0.0
    return _savez(path, **_mdp_arrays(P=P, reward=reward))


# (builder, extra problem keys, the message, in order: what the error must name)
NPZ_CASES = {
    "zip bomb": (_zip_bomb, {}, r"m\.npz \[P\]: declares \(4096, 2, 4096\) of float64 = 268 MB, above the load "
                                r"limit of 100 MB \(25% of the available memory"),
    "zip bomb, limit from the key": (_zip_bomb, {"max_load_bytes": 50_000_000},
                                     r"m\.npz \[P\]: .* = 268 MB, above the load limit of 50 MB \(problem\.max_load"),
    "header claims 14.6 TiB": (_forged_header, {}, r"m\.npz \[P\]: declares \(2000000000000,\) of float64 = 16 TB, "
                                                   r"above the load limit"),
    "header claims more than the file holds": (_forged_header, {"max_load_bytes": 10**15},
                                               r"m\.npz \[P\]: declares .* = 16 TB, the file holds only 64 bytes"),
    "an .npy renamed .npz": (_npy_renamed, {}, r"problem\.path: .*m\.npz: not an \.npz file"),
    "a text file": (_text_file, {}, r"problem\.path: .*m\.npz: not an \.npz file"),
    "rewards x 1e300": (lambda p: _savez(p, **_mdp_arrays(reward=np.full((N_STATES, N_ACTIONS), 1e300))), {},
                        r"m\.npz \[reward\]: max \|r\| = 1e\+300 .* max \|r\| / \(1 - gamma\) <= 1e\+100"),
    "absorbing zero-reward state, one-hot features": (_absorbing, {"critic_features": "one_hot"},
                                                      r"m\.npz: state 2 is absorbing: .*rank 1 on the recurrent"),
}


@pytest.mark.parametrize("case", NPZ_CASES)
def test_bad_npz_files_are_refused_before_they_are_read(case, tmp_path, monkeypatch):
    """Each bad file is refused in under 2 s (the bomb's 268 MB are never decompressed) with a message naming
    the file and the array; the available memory is pinned at 400 MB (so the default limit is 100 MB)."""
    build, keys, message = NPZ_CASES[case]
    path = build(tmp_path / "m.npz")
    monkeypatch.setattr(file_mdp, "available_memory", lambda: 400_000_000)
    cfg = config.from_dict({"problem": {"kind": "file", "path": str(path), **keys}})
    started = time.perf_counter()
    with pytest.raises(ValidationError, match=message):
        config.build_problem(cfg)
    assert time.perf_counter() - started < 2.0


def _fifo(path):
    os.mkfifo(path)
    return path


def _bom(path):
    path.write_bytes(b"\xef\xbb\xbf[run]\nsamples = 7\n")
    return path


def _spec_load(path):
    from a3c_theory.studies import convergence, spec

    return spec.load(path, convergence.Settings)


CONFIG_FILE_CASES = {
    "a run config that is a FIFO": (config.from_toml, _fifo, r"c\.toml: is not a regular file \(a FIFO, device "
                                                              r"or socket\), expected a TOML config file"),
    "an experiment spec that is a FIFO": (_spec_load, _fifo, r"^c\.toml: is not a regular file \(a FIFO"),
}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
@pytest.mark.parametrize("case", CONFIG_FILE_CASES)
def test_config_paths_must_be_regular_files(case, tmp_path):
    """A FIFO is refused before it is opened (opening it would block until a writer comes)."""
    load, build, message = CONFIG_FILE_CASES[case]
    with pytest.raises(ValidationError, match=message):
        load(build(tmp_path / "c.toml"))


def test_a_byte_order_mark_is_dropped(tmp_path):
    assert config.from_toml(_bom(tmp_path / "c.toml")).run.samples == 7


GRID_CASES = {
    "3 and 3.0 for a float key": (["algorithm.c_alpha=3,3.0"], r"algorithm\.c_alpha: grid values 3 and 3\.0 are "
                                                                r"the same value after validation"),
    "1 and 1.0 for lam": (["run.workers=1,2", "algorithm.lam=1,1.0"], r"algorithm\.lam: grid values 1 and 1\.0"),
    "2 and 2.0 for radius": (["algorithm.radius=2.0,2"], r"algorithm\.radius: grid values 2\.0 and 2 "),
}


@pytest.mark.parametrize("case", GRID_CASES)
def test_grid_values_equal_after_validation_are_refused(case, tmp_path):
    """Before anything touches the disk: out_dir is not created."""
    specs, message = GRID_CASES[case]
    with pytest.raises(ValidationError, match=message):
        sweep.run_sweep(config.from_dict({}).to_dict(), sweep.parse_grid(specs), out_dir=tmp_path / "sweep")
    assert not (tmp_path / "sweep").exists()


def _file_with_phi(tmp_path):
    return _savez(tmp_path / "m.npz", **_mdp_arrays(phi=0.5 * np.eye(N_STATES)))


PROVENANCE_CASES = {
    "one_hot with the file's phi": ({"critic_features": "one_hot"},
                                    r"problem\.critic_features: is set but not used by this run; .*m\.npz \[phi\] "
                                    r"replaces it"),
    "feature_dim with the file's phi": ({"feature_dim": 4},
                                        r"problem\.feature_dim: is set but not used by this run; .*m\.npz \[phi\]"),
}


@pytest.mark.parametrize("case", PROVENANCE_CASES)
def test_keys_a_file_replaces_are_ignored_keys(case, tmp_path):
    """A single run refuses them (naming the key and the file's array); a sweep's runs list them in the
    trace's ignored_keys, and critic_features_used records the file's phi."""
    keys, message = PROVENANCE_CASES[case]
    cfg = config.from_dict({"problem": {"kind": "file", "path": str(_file_with_phi(tmp_path)), **keys},
                            "algorithm": {"radius": 1.0}, "run": {"samples": 4, "snapshots": 2}})
    with pytest.raises(ValidationError, match=message):
        config.refuse_ignored_keys(cfg)
    meta = engine.run(cfg, progress=False).meta
    key = f"problem.{next(iter(keys))}"
    assert meta["ignored_keys"] == key
    assert meta["critic_features_used"] == f"{tmp_path / 'm.npz'} [phi] (d = {N_STATES})"
    runs = sweep.plan_runs(cfg.to_dict(), {"run.seed": [0, 1]}, [0])
    assert sweep.ignored_key_lines(runs) == [f"2 run(s) with problem.path = '{tmp_path / 'm.npz'}' ignore {key}"]


def test_a_run_refuses_a_problem_built_from_another_config():
    base = {"problem": {"n_states": 5, "feature_dim": 2}, "run": {"samples": 4, "snapshots": 2}}
    cfg_a = config.from_dict(base)
    cfg_b = config.from_dict({**base, "problem": {**base["problem"], "seed": 1}})
    with pytest.raises(ValidationError, match=r"^problem: .*built from another config: problem\.seed = 1 \(the config's: 0\)$"):
        engine.run(cfg_a, problem=config.build_problem(cfg_b), progress=False)
    trace = engine.run(cfg_a, problem=config.build_problem(cfg_a), progress=False)
    assert trace.meta["problem_fingerprint"] == config.build_problem(cfg_a).fingerprint()

