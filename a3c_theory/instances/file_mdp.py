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
  config's ``problem.critic_features`` decides.

Every error names the file and the array: ``my_mdp.npz [reward]: must have shape ...``.
"""

from dataclasses import dataclass
from pathlib import Path
import zipfile

import numpy as np

from ..errors import ValidationError
from ..features import check_critic_features
from ..mdp import FiniteMDP

DENSE_ARRAYS = {"P"}
SPARSE_ARRAYS = {"indptr", "next_state", "prob", "n_states"}
COMMON_ARRAYS = {"reward", "gamma", "eta"}
OPTIONAL_ARRAYS = {"phi"}


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


def load_npz(path) -> FileMDP:
    """Read and validate a file in the format of the module docstring."""
    path = str(path)
    if not Path(path).is_file():
        raise ValidationError("problem.path", f"{path}: file not found")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
        raise ValidationError("problem.path", f"{path}: not a readable .npz file ({err})") from None
    names = set(arrays)
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
    for name, value in arrays.items():
        if value.dtype.kind not in "biuf":
            raise ValidationError(f"{path} [{name}]", f"must be numeric, got dtype {value.dtype}")
    gamma = _scalar(path, "gamma", arrays)
    try:
        if sparse:
            mdp = _from_sparse(path, arrays, gamma)
        else:
            mdp = FiniteMDP.from_dense(arrays["P"], arrays["reward"], gamma, arrays["eta"])
        phi = check_critic_features(arrays["phi"], mdp.n_states) if "phi" in arrays else None
    except ValidationError as err:
        if err.field.startswith(f"{path} ["):  # already names the file and the array
            raise
        field = "prob" if sparse and err.field == "P" else ("phi" if err.field == "critic_features" else err.field)
        message = str(err)[len(err.field) + 2:]
        raise ValidationError(f"{path} [{field}]", message) from None
    return FileMDP(mdp, phi)


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
