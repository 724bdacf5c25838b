"""An MDP from a ``.npz`` file (``numpy.savez``), validated array by array.

Arrays (names are exact; anything else in the file is an error):

- the transition, in one of two forms:
  - ``P`` of shape (nS, nA, nS), rows ``P[s, a, :]`` summing to 1; or
  - the sparse rows of :class:`a3c_theory.mdp.FiniteMDP`: ``indptr`` (nS·nA + 1,), ``next_state`` and
    ``prob`` (nnz,), where row ``s·nA + a`` holds entries ``indptr[i]:indptr[i+1]``; the sparse form also
    needs the scalar ``n_states`` (the number of actions is then ``(len(indptr) − 1) / n_states``);
- ``reward``: (nS, nA) or (nS, nA, nS) with ``P``; (nS, nA) or one per entry (nnz,) with sparse rows;
- ``gamma``: a scalar in (0, 1); ``eta``: (nS,), the initial distribution;
- optional ``phi`` (nS, d): the critic features (rows of norm ≤ 1, full column rank). Without it the
  config's ``problem.critic_features`` decides; with it, that key and ``feature_dim`` are ignored keys
  (``config.SUPPLIED_BY_FILE``).

Every error names the file and the array: ``my_mdp.npz [reward]: must have shape ...``.

Loading is bounded: :func:`read_headers` reads each member's ``.npy`` header (zip directory + a few bytes,
nothing decompressed beyond it) and the declared sizes are checked against the limit (``problem.max_load_bytes``;
default :data:`LOAD_SHARE` of the available memory) before any array is read. Rewards are bounded by
``r_max / (1 − γ) ≤`` :data:`MAX_RETURN`, so that V, J, A_θ and ω* (and their squares) stay finite.
"""

import math
from dataclasses import dataclass
from pathlib import Path
import zipfile

import numpy as np
from numpy.lib import format as npy_format

from ..errors import ValidationError
from ..features import check_critic_features
from ..mdp import FiniteMDP
from ..resources import available_memory, describe_bytes

DENSE_ARRAYS = {"P"}
SPARSE_ARRAYS = {"indptr", "next_state", "prob", "n_states"}
COMMON_ARRAYS = {"reward", "gamma", "eta"}
OPTIONAL_ARRAYS = {"phi"}

LOAD_SHARE = 0.25
"""Default load limit: this share of the available memory (``resources.available_memory``)."""

MAX_RETURN = 1e100
"""Largest allowed ``max |r| / (1 − γ)``: values and returns stay below it, their squares below 1e200."""


@dataclass(frozen=True, eq=False)
class FileMDP:
    """A loaded file: the MDP and its critic features (None when the file has no ``phi``)."""

    mdp: FiniteMDP
    critic_features: np.ndarray | None


def _scalar(path: str, name: str, arrays: dict) -> float:
    value = arrays[name]
    if value.shape != () or value.dtype.kind not in "iuf":
        raise ValidationError(f"{path} [{name}]", f"must be a real scalar, got shape {value.shape} of {value.dtype}")
    return value.item()


def load_limit(max_bytes: int = 0) -> int | None:
    """The load limit in bytes: ``max_bytes`` if positive, else :data:`LOAD_SHARE` of the available memory
    (None when that is unknown)."""
    if max_bytes > 0:
        return int(max_bytes)
    have = available_memory()
    return None if have is None else int(LOAD_SHARE * have)


def read_headers(path) -> dict[str, tuple[tuple, np.dtype, int, int]]:
    """``{array name: (shape, dtype, declared bytes, stored bytes)}`` from the ``.npy`` headers of an ``.npz``
    file, without decompressing any array (stored bytes: the member's uncompressed size after its header,
    from the zip directory). A file that is not a zip of ``.npy`` members is "not an .npz file"."""
    path = str(path)
    if not Path(path).is_file():
        raise ValidationError("problem.path", f"{path}: " + ("not a regular file" if Path(path).exists()
                                                             else "file not found"))
    if not zipfile.is_zipfile(path):
        raise ValidationError("problem.path", f"{path}: not an .npz file (not a zip archive of .npy arrays)")
    headers = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    raise ValidationError("problem.path", f"{path}: not an .npz file (member {info.filename!r} "
                                          "is not an .npy array)")
                name = info.filename[: -len(".npy")]
                with archive.open(info) as member:
                    version = npy_format.read_magic(member)
                    if version == (1, 0):
                        shape, _, dtype = npy_format.read_array_header_1_0(member)
                    elif version == (2, 0):
                        shape, _, dtype = npy_format.read_array_header_2_0(member)
                    else:
                        raise ValueError(f"unsupported .npy format version {version}")
                    stored = info.file_size - member.tell()
                if dtype.hasobject:
                    raise ValidationError(f"{path} [{name}]", f"must be numeric, got dtype {dtype}")
                headers[name] = (shape, dtype, math.prod(shape) * dtype.itemsize, stored)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
        raise ValidationError("problem.path", f"{path}: not a readable .npz file ({err})") from None
    return headers


def _check_sizes(path: str, headers: dict, max_bytes: int) -> None:
    """Every declared array, and their total, within :func:`load_limit`; each member holds what it declares."""
    limit = load_limit(max_bytes)
    how = "problem.max_load_bytes" if max_bytes > 0 else (f"{LOAD_SHARE:.0%} of the available memory; raise it "
                                                          "with problem.max_load_bytes")
    for name, (shape, dtype, declared, stored) in headers.items():
        if limit is not None and declared > limit:
            raise ValidationError(f"{path} [{name}]", f"declares {shape} of {dtype} = {describe_bytes(declared)}, "
                                  f"above the load limit of {describe_bytes(limit)} ({how})")
        if declared > stored:
            raise ValidationError(f"{path} [{name}]", f"declares {shape} of {dtype} = {describe_bytes(declared)}, "
                                  f"the file holds only {describe_bytes(stored)} of it")
    total = sum(declared for _, _, declared, _ in headers.values())
    if limit is not None and total > limit:
        raise ValidationError("problem.path", f"{path}: its arrays declare {describe_bytes(total)} in all, above "
                              f"the load limit of {describe_bytes(limit)} ({how})")


def load_npz(path, max_bytes: int = 0) -> FileMDP:
    """Read and validate a file in the format of the module docstring; ``max_bytes`` (> 0) replaces the
    default load limit (:func:`load_limit`)."""
    path = str(path)
    headers = read_headers(path)
    names = set(headers)
    unknown = names - DENSE_ARRAYS - SPARSE_ARRAYS - COMMON_ARRAYS - OPTIONAL_ARRAYS
    if unknown:
        raise ValidationError(f"{path} [{sorted(unknown)[0]}]", "unknown array; allowed: P or indptr/next_state/"
                              "prob/n_states, reward, gamma, eta, phi")
    sparse = bool(names & SPARSE_ARRAYS)
    if sparse and "P" in names:
        raise ValidationError(f"{path} [P]", "give either P or the sparse rows (indptr, next_state, prob), not both")
    needed = COMMON_ARRAYS | (SPARSE_ARRAYS if sparse else DENSE_ARRAYS)
    missing = sorted(needed - names)
    if missing:
        raise ValidationError(f"{path} [{missing[0]}]", "missing array")
    _check_sizes(path, headers, max_bytes)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
        raise ValidationError("problem.path", f"{path}: not a readable .npz file ({err})") from None
    for name, value in arrays.items():
        if value.dtype.kind not in "biuf":
            raise ValidationError(f"{path} [{name}]", f"must be numeric, got dtype {value.dtype}")
    gamma = _scalar(path, "gamma", arrays)
    try:
        if sparse:
            mdp = _from_sparse(path, arrays, gamma)
        else:
            mdp = FiniteMDP.from_dense(arrays["P"], arrays["reward"], gamma, arrays["eta"])
        _check_rewards(path, mdp)
        phi = check_critic_features(arrays["phi"], mdp.n_states) if "phi" in arrays else None
    except ValidationError as err:
        if err.field.startswith(f"{path} ["):  # already names the file and the array
            raise
        field = "prob" if sparse and err.field == "P" else ("phi" if err.field == "critic_features" else err.field)
        message = str(err)[len(err.field) + 2:]
        raise ValidationError(f"{path} [{field}]", message) from None
    return FileMDP(mdp, phi)


def _check_rewards(path: str, mdp: FiniteMDP) -> None:
    r_max = float(np.abs(mdp.reward).max(initial=0.0))
    if r_max > MAX_RETURN * (1.0 - mdp.gamma):
        raise ValidationError(f"{path} [reward]", f"max |r| = {r_max:.3g} with gamma = {mdp.gamma:g}: must satisfy "
                              f"max |r| / (1 - gamma) <= {MAX_RETURN:g}, i.e. max |r| <= "
                              f"{MAX_RETURN * (1.0 - mdp.gamma):.3g}, so that V, J, A_θ and ω* stay finite")


def _from_sparse(path: str, arrays: dict, gamma: float) -> FiniteMDP:
    n_states = _scalar(path, "n_states", arrays)
    if not float(n_states).is_integer() or n_states < 1:
        raise ValidationError(f"{path} [n_states]", f"must be a positive integer, got {n_states!r}")
    n_states = int(n_states)
    indptr = arrays["indptr"]
    if indptr.ndim != 1 or (indptr.size - 1) % n_states or indptr.size < 2:
        raise ValidationError(f"{path} [indptr]", f"must have length nS*nA + 1 with nS = {n_states}, "
                              f"got shape {indptr.shape}")
    n_actions = (indptr.size - 1) // n_states
    reward = arrays["reward"]
    if reward.shape == (n_states, n_actions):  # one reward per (s, a): repeat it over the row's entries
        counts = np.diff(indptr.astype(np.int64))
        if np.any(counts < 0):
            raise ValidationError(f"{path} [indptr]", "must be non-decreasing")
        reward = np.repeat(reward.ravel(), counts)
    elif reward.ndim != 1:
        raise ValidationError(f"{path} [reward]", f"must have shape ({n_states}, {n_actions}) or one entry per "
                              f"transition entry, got {reward.shape}")
    return FiniteMDP.from_rows(n_states, n_actions, indptr, arrays["next_state"], arrays["prob"], reward, gamma,
                               arrays["eta"])


def save_npz(path, mdp: FiniteMDP, critic_features=None) -> None:
    """Write ``mdp`` (sparse rows, one reward per entry) and optional ``phi`` in the format of this module."""
    arrays = {"n_states": np.int64(mdp.n_states), "indptr": mdp.indptr, "next_state": mdp.next_state,
              "prob": mdp.prob, "reward": mdp.reward, "gamma": np.float64(mdp.gamma), "eta": mdp.eta}
    if critic_features is not None:
        arrays["phi"] = np.asarray(critic_features, dtype=np.float64)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
