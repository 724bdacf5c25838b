"""Every exact quantity of the A3C-TD(0) analysis for a fixed policy, in pure numpy/scipy (no sampling, no inverse).

Notation (as in the paper (Shen, Zhang, Hong, Chen, arXiv 2012.15511)): ``π = π_θ`` is a probability table of shape (nS, nA); the MDP's row
``i = s·nA + a`` holds ``P[s, a, ·]`` and the expected reward ``r(s, a) = Σ_s' P[s, a, s'] r(s, a, s')``.

- ``P_π[s, s'] = Σ_a π(a|s) P[s, a, s']``, ``r_π(s) = Σ_a π(a|s) r(s, a)``.
- ``V = (I − γP_π)^{-1} r_π``; ``Q(s, a) = r(s, a) + γ Σ_s' P[s, a, s'] V(s')``; ``Adv = Q − V``.
- ``J(θ) = (1−γ) ηᵀV``; ``∇J(θ) = Σ_{s,a} d_θ(s) π(a|s) Adv(s, a) ψ_θ(s, a)``.
- ``d_θᵀ = (1−γ) ηᵀ (I − γP_π)^{-1}``, the stationary law of the actor kernel ``γP_π + (1−γ) 1ηᵀ``.
- ``μ_θ``: the stationary law of ``P_π`` (the critic chain).
- ``R(θ) = −Σ_s η_p(s) KL(π_p(·|s) ‖ π_θ(·|s))``, ``∇R(θ) = Σ_{s,a} η_p(s) π_p(a|s) ψ_θ(s, a)``;
  ``J_λ = J + λR``.
- Linear critic: ``A_θ = Φᵀ D_μ (γP_π − I) Φ``, ``b_θ = Φᵀ D_μ r_π``, ``ω*_θ = −A_θ^{-1} b_θ``,
  ``ε_app = (Σ_s μ_θ(s) (V(s) − φ(s)ᵀω*_θ)²)^{1/2}``.
- ``J* = max_π J`` by policy iteration.

Linear algebra. Every "inverse" above is a linear solve:

- ``V``: ``(I − γP_π) V = r_π``;  ``d_θ``: ``(I − γP_π)ᵀ d = (1−γ) η``.
- ``μ_θ``: the singular system ``(I − P_πᵀ) μ = 0, 1ᵀμ = 1`` is replaced by the equivalent nonsingular one
  ``(I − P_πᵀ + u1ᵀ) μ = u`` with ``u = 1/nS`` (Brauer's rank-one shift moves the eigenvalue 0 of
  ``I − P_π`` to ``uᵀ1 = 1`` and keeps the others, ``1 − λ_i(P_π)``; so the system is nonsingular exactly
  when 1 is a simple eigenvalue of ``P_π``, i.e. the chain has one recurrent class). Its solution has
  ``1ᵀμ = 1`` automatically.

``method="dense"`` (the default for nS ≤ :data:`DENSE_MAX_STATES`) uses LU solves on dense ``P_π``.
``method="sparse"`` builds ``P_π`` as a CSR matrix straight from the MDP's rows (state ``s`` owns the
entries of its nA rows; duplicate successors are summed by every product) and runs restarted GMRES on
matrix-free operators, warm-started from ``x0``, to a relative residual
``‖b − Mx‖₂ ≤ rtol ‖b‖₂`` with ``rtol =`` :data:`ITERATIVE_RTOL`; the true residual is checked after the
solve and :class:`ConvergenceError` is raised if it is not met. Since
``cond_∞(I − γP_π) ≤ (1+γ)/(1−γ)``, the sparse ``V`` and ``d`` are accurate to about
``rtol·(1+γ)/(1−γ)`` relative. A full sparse LU is never used where GMRES converges: on random graphs
it fills in almost completely (about 90% fill-in at 10⁴ states). ``μ_θ`` and ``d_θ`` of a slowly mixing chain, where plain
GMRES stalls, fall back to a sparse direct solve (local chains keep banded factors).

Guarantee for ``μ_θ`` and ``d_θ`` (both paths, checked, else :class:`ConvergenceError`): relative L1
residual at most :data:`DISTRIBUTION_RTOL` = 1e-12. That is a backward error; the forward error of ``μ_θ``
is up to the condition number of the chain times it, and nearly decomposable chains (slowly mixing
garnets: κ₁ ~ 1e13 at 2·10⁴ states) can leave only a few correct digits in the smallest entries.
:func:`stationary_accuracy` estimates it (recorded in each run's ``trace.meta``). A chain with more than
one recurrent class has no unique ``μ_θ``; that is reported as a ValidationError before any solve.

Distributions returned (``μ_θ``, ``d_θ``) have entries below 0 (rounding, ~1e-17) clipped to 0 and are
renormalised, so they can be turned into sampling CDFs directly.
"""

import contextlib
import threading
import warnings
from dataclasses import dataclass
import weakref

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import LinearOperator, gmres, onenormest, splu
from scipy.special import xlogy
from threadpoolctl import threadpool_limits

from .errors import ConditioningWarning, ConvergenceError, ValidationError
from .mdp import FiniteMDP
from .policy import SoftmaxPolicy
from .problem import Problem
from .validate import PROBABILITY_TOL, finite_array, nonnegative_float

DENSE_MAX_STATES = 2000
"""``method="auto"`` uses dense solves up to this many states, sparse GMRES above."""

ITERATIVE_RTOL = 1e-10
"""Relative residual tolerance ``‖b − Mx‖₂ ≤ rtol‖b‖₂`` of the sparse (GMRES) solves."""

OPTIMAL_RTOL = 1e-12
"""Tighter GMRES tolerance for the policy evaluations of policy iteration (J*, V*)."""

GMRES_RESTART = 40
GMRES_MAX_CYCLES = 500
"""Restart length and the most restart cycles of one GMRES solve."""

PLAIN_CYCLES = 5
"""Unpreconditioned GMRES restart cycles tried for μ_θ and d_θ before the sparse direct solve."""

DISTRIBUTION_RTOL = 1e-12
"""Relative L1 residual guaranteed for μ_θ and d_θ on every path (checked after the solve)."""

FORWARD_ERROR_WARN = 1e-6
""":func:`stationary_accuracy` results above this forward-error estimate are warned about."""

_DENSE_P_MAX_ENTRIES = 4_000_000
"""The dense (nS, nA, nS) array of P is cached for the dense path only up to this size (32 MB)."""

METHODS = ("auto", "dense", "sparse")


# --------------------------------------------------------------------------- per-MDP derived arrays
class _Rows:
    """Arrays derived once per MDP: ``P`` as CSR (nS·nA, nS), ``r(s, a)``, the CSR row pointer of ``P_π``
    (state ``s`` owns entries ``indptr[s·nA] : indptr[(s+1)·nA]``), each entry's row ``s·nA + a``, and
    the dense ``P`` (nS, nA, nS) when it is small enough."""

    def __init__(self, mdp: FiniteMDP):
        nS, nA = mdp.n_states, mdp.n_actions
        self.P_sa = mdp.transition_matrix()
        self.r_sa = mdp.expected_reward()
        self.state_ptr = np.ascontiguousarray(mdp.indptr[::nA])
        self.entry_row = np.repeat(np.arange(nS * nA), np.diff(mdp.indptr))
        self.P3 = mdp.dense_P() if nS * nA * nS <= _DENSE_P_MAX_ENTRIES else None


_ROWS_CACHE: "weakref.WeakKeyDictionary[FiniteMDP, _Rows]" = weakref.WeakKeyDictionary()


def _rows(mdp: FiniteMDP) -> _Rows:
    rows = _ROWS_CACHE.get(mdp)
    if rows is None:
        rows = _ROWS_CACHE[mdp] = _Rows(mdp)
    return rows


# --------------------------------------------------------------------------- argument checks
def _use_dense(mdp: FiniteMDP, method: str) -> bool:
    if method not in METHODS:
        raise ValidationError("method", f"must be one of {METHODS}, got {method!r}")
    return method == "dense" or (method == "auto" and mdp.n_states <= DENSE_MAX_STATES)


def _check_pi(mdp: FiniteMDP, pi) -> np.ndarray:
    pi = finite_array("pi", pi, ndim=2)
    if pi.shape != (mdp.n_states, mdp.n_actions):
        raise ValidationError("pi", f"must have shape {(mdp.n_states, mdp.n_actions)}, got {pi.shape}")
    if np.any(pi < 0):
        raise ValidationError("pi", f"has a negative entry ({pi.min():.3g})")
    worst = np.abs(pi.sum(axis=1) - 1.0).max()
    if worst > PROBABILITY_TOL:
        raise ValidationError("pi", f"rows must sum to 1 within {PROBABILITY_TOL:g}, worst |sum−1| = {worst:.3g}")
    return pi


def _check_vector(field: str, x, n: int) -> np.ndarray | None:
    if x is None:
        return None
    x = finite_array(field, x, ndim=1)
    if x.shape != (n,):
        raise ValidationError(field, f"must have shape ({n},), got {x.shape}")
    return x


def _check_phi(mdp: FiniteMDP, Phi) -> np.ndarray:
    Phi = finite_array("critic_features", Phi, ndim=2)
    if Phi.shape[0] != mdp.n_states:
        raise ValidationError("critic_features", f"must have {mdp.n_states} rows, got {Phi.shape[0]}")
    return Phi


# --------------------------------------------------------------------------- P_π, r_π
def _policy_transition(rows: _Rows, pi: np.ndarray, dense: bool):
    """``P_π``: dense ndarray, or CSR with (summed) duplicate entries."""
    nS = pi.shape[0]
    if dense and rows.P3 is not None:
        return np.matmul(pi[:, None, :], rows.P3)[:, 0, :]
    data = rows.P_sa.data * pi.ravel()[rows.entry_row]
    P_pi = sp.csr_matrix((data, rows.P_sa.indices, rows.state_ptr), shape=(nS, nS))
    return P_pi.toarray() if dense else P_pi


def policy_transition(mdp: FiniteMDP, pi, method: str = "auto"):
    """``P_π[s, s'] = Σ_a π(a|s) P[s, a, s']``.

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    pi : array_like, shape (nS, nA)
        The policy table ``π(a|s)`` (rows sum to 1).
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).

    Returns
    -------
    ndarray or scipy.sparse.csr_matrix, shape (nS, nS)
        Dense with the dense method, CSR with the sparse one; rows sum to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from a3c_theory import exact
    >>> from a3c_theory.mdp import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[[0, 1], 0, [0, 1]] = 1; P[[0, 1], 1, [1, 0]] = 1  # stay / switch
    >>> mdp = FiniteMDP.from_dense(P, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.5, np.array([1.0, 0.0]))
    >>> pi = np.full((2, 2), 0.5)                          # the uniform policy
    >>> exact.policy_transition(mdp, pi)
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    dense = _use_dense(mdp, method)
    return _policy_transition(_rows(mdp), _check_pi(mdp, pi), dense)


def _policy_reward(rows: _Rows, pi: np.ndarray) -> np.ndarray:
    """``r_π(s) = Σ_a π(a|s) r(s, a)``."""
    return np.einsum("sa,sa->s", pi, rows.r_sa)


def policy_reward(mdp: FiniteMDP, pi) -> np.ndarray:
    """``r_π(s) = Σ_a π(a|s) Σ_s' P[s, a, s'] r(s, a, s')``.

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    pi : array_like, shape (nS, nA)
        The policy table ``π(a|s)`` (rows sum to 1).

    Returns
    -------
    ndarray, shape (nS,)

    Examples
    --------
    >>> import numpy as np
    >>> from a3c_theory import exact
    >>> from a3c_theory.mdp import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[[0, 1], 0, [0, 1]] = 1; P[[0, 1], 1, [1, 0]] = 1  # stay / switch
    >>> mdp = FiniteMDP.from_dense(P, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.5, np.array([1.0, 0.0]))
    >>> pi = np.full((2, 2), 0.5)                          # the uniform policy
    >>> exact.policy_reward(mdp, pi)
    array([0. , 0.5])
    """
    pi = _check_pi(mdp, pi)
    return _policy_reward(_rows(mdp), pi)


# --------------------------------------------------------------------------- linear solves
def _gmres_attempt(matvec, b, x0, rtol, max_cycles, preconditioner=None) -> tuple[np.ndarray, float]:
    """Restarted GMRES from ``x0``; returns the iterate and its true relative residual ``‖b − Mx‖/‖b‖``."""
    n = b.shape[0]
    op = LinearOperator((n, n), matvec=matvec, dtype=np.float64)
    x, _ = gmres(op, b, x0=x0, rtol=rtol, atol=0.0, restart=GMRES_RESTART, maxiter=max_cycles,
                 M=preconditioner)
    return x, float(np.linalg.norm(b - matvec(x)) / np.linalg.norm(b))


def _gmres(matvec, b: np.ndarray, x0: np.ndarray | None, rtol: float, what: str) -> np.ndarray:
    """Solve ``M x = b`` by restarted GMRES from ``x0``; check ``‖b − Mx‖₂ ≤ rtol‖b‖₂`` on the true residual."""
    if not np.any(b):
        return np.zeros(b.shape[0])
    x, residual = _gmres_attempt(matvec, b, x0, rtol, GMRES_MAX_CYCLES)
    if residual > rtol:
        raise ConvergenceError(f"{what}: GMRES stopped at relative residual {residual:.3g} > rtol {rtol:g}")
    return x


def _as_distribution(x: np.ndarray) -> np.ndarray:
    x = np.maximum(x, 0.0)
    return x / x.sum()


def dense_solve(M: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``M x = b`` by LAPACK's ``dgesv`` from SciPy: the LAPACK that numba's ``np.linalg.solve`` calls, so the
    engine's compiled solves (``engine/small_exact.py``) round as these do on every machine. NumPy bundles
    another OpenBLAS build, which on some CPUs rounds the same solve differently in the last bit.

    Parameters
    ----------
    M : ndarray, shape (n, n)
        A non-singular matrix (a singular one raises ``numpy.linalg.LinAlgError``, as ``np.linalg.solve`` does).
    b : ndarray, shape (n,)
        The right-hand side.

    Returns
    -------
    ndarray, shape (n,)
        ``x = M⁻¹ b``.
    """
    _, _, x, info = sla.lapack.dgesv(M, b)
    if info > 0:
        raise np.linalg.LinAlgError("Singular matrix")
    return x


def _solve_value(P_pi, r_pi, gamma, x0=None, rtol=ITERATIVE_RTOL) -> np.ndarray:
    """``(I − γP_π) V = r_π``."""
    if isinstance(P_pi, np.ndarray):
        M = -gamma * P_pi
        M.flat[:: M.shape[0] + 1] += 1.0
        return dense_solve(M, r_pi)
    return _gmres(lambda x: x - gamma * (P_pi @ x), r_pi, x0, rtol, "value V")


def _direct_solve(M, b: np.ndarray, what: str) -> tuple[np.ndarray, object]:
    """``M x = b`` by sparse LU (SuperLU, COLAMD ordering) plus one step of iterative refinement; returns
    ``(x, lu)``. Used only where GMRES stalls (slowly mixing, local chains, whose LU stays banded)."""
    try:
        lu = splu(sp.csc_matrix(M), permc_spec="COLAMD")
    except RuntimeError as exc:  # exactly singular
        raise ConvergenceError(f"{what}: sparse LU failed ({exc})") from exc
    x = lu.solve(b)
    return x + lu.solve(b - M @ x), lu


def _solve_visitation(P_pi, eta, gamma, x0=None, rtol=ITERATIVE_RTOL) -> np.ndarray:
    """``(I − γP_π)ᵀ d = (1−γ) η``.

    Sparse path: GMRES for at most :data:`PLAIN_CYCLES` restart cycles to ``min(rtol,``
    :data:`DISTRIBUTION_RTOL```)``; if it stalls (γ near 1 on a slowly mixing chain), a sparse direct
    solve. Either way the relative L1 residual ``‖(I − γP_π)ᵀd − (1−γ)η‖₁ / (1−γ)`` is checked against
    :data:`DISTRIBUTION_RTOL` (for uniform η, ``‖·‖₁ ≤ √nS ‖·‖₂`` makes the GMRES criterion imply it)."""
    b = (1.0 - gamma) * eta
    if isinstance(P_pi, np.ndarray):
        M = -gamma * P_pi.T
        M.flat[:: M.shape[0] + 1] += 1.0
        return _as_distribution(dense_solve(M, b))
    P_T = P_pi.T
    n = b.shape[0]
    tol = min(rtol, DISTRIBUTION_RTOL)
    x, _ = _gmres_attempt(lambda x: x - gamma * (P_T @ x), b, x0, tol, PLAIN_CYCLES)
    if _l1_residual(P_T, gamma, x, b) > DISTRIBUTION_RTOL:
        x, _ = _direct_solve(sp.identity(n, format="csc") - gamma * P_T.tocsc(), b, "visitation d_θ")
    residual = _l1_residual(P_T, gamma, x, b)
    if residual > DISTRIBUTION_RTOL:
        raise ConvergenceError(f"visitation d_θ: relative L1 residual {residual:.3g} > {DISTRIBUTION_RTOL:g}")
    return _as_distribution(x)


def _l1_residual(P_T, gamma: float, x: np.ndarray, b: np.ndarray) -> float:
    """``‖x − γP_πᵀx − b‖₁ / ‖b‖₁`` (with ``b = 0``: divided by ``‖x‖₁`` instead)."""
    scale = np.abs(b).sum() if np.any(b) else np.abs(x).sum()
    return float(np.abs(x - gamma * (P_T @ x) - b).sum() / scale)


def recurrent_classes(P_pi) -> list[np.ndarray]:
    """The closed communicating (recurrent) classes of the chain with transition matrix ``P_π`` (dense or
    sparse): strongly connected components of the graph ``s → s'`` (``P_π[s, s'] > 0``) with no edge
    leaving them. ``μ_θ`` is unique exactly when there is one.

    Parameters
    ----------
    P_pi : ndarray or scipy.sparse matrix, shape (nS, nS)
        A transition matrix (:func:`policy_transition`).

    Returns
    -------
    list of ndarray
        The states of each recurrent class, sorted.
    """
    graph = sp.csr_matrix(P_pi > 0) if isinstance(P_pi, np.ndarray) else sp.csr_matrix(P_pi, copy=True)
    graph.sum_duplicates()  # csgraph does not terminate on duplicate entries
    graph.eliminate_zeros()
    n_comp, label = connected_components(graph, directed=True, connection="strong")
    rows = np.repeat(np.arange(graph.shape[0]), np.diff(graph.indptr))
    leaving = label[rows] != label[graph.indices]
    open_classes = np.zeros(n_comp, bool)
    open_classes[label[rows[leaving]]] = True
    return [np.flatnonzero(label == c) for c in np.flatnonzero(~open_classes)]


_ONE_CLASS_SUPPORTS: dict[bytes, np.ndarray | None] = {}
"""Supports of ``P_π`` (:func:`_support_key`) already found to have one recurrent class (its states, None
for all), oldest first;
at most :data:`SUPPORT_MEMORY`. The classes depend only on the support, which a softmax policy (every
``π(a|s) > 0``) leaves unchanged from one θ to the next, so the sampler's refreshes check it once."""
SUPPORT_MEMORY = 64


def _support_key(P_pi) -> bytes:
    """The pattern of ``P_π > 0`` as bytes (dense: packed bits; sparse: the CSR structure of its nonzeros)."""
    if isinstance(P_pi, np.ndarray):
        return b"d" + np.asarray(P_pi.shape).tobytes() + np.packbits(P_pi > 0).tobytes()
    graph = sp.csr_matrix(P_pi, copy=True)
    graph.sum_duplicates()
    graph.eliminate_zeros()
    return b"s" + np.asarray(graph.shape).tobytes() + graph.indptr.tobytes() + graph.indices.tobytes()


def check_unique_stationary(P_pi, field: str = "P") -> np.ndarray | None:
    """Raise ValidationError (naming ``field``) if the chain has more than one recurrent class; else return
    the states of its recurrent class, or None when that is every state (``μ_θ`` vanishes off it).

    Parameters
    ----------
    P_pi : ndarray or scipy.sparse matrix, shape (nS, nS)
        A transition matrix (:func:`policy_transition`).
    field : str
        The field an error names.

    Returns
    -------
    ndarray or None
    """
    key = _support_key(P_pi)
    if key in _ONE_CLASS_SUPPORTS:
        return _ONE_CLASS_SUPPORTS[key]
    classes = recurrent_classes(P_pi)
    if len(classes) > 1:
        examples = ", ".join(f"{{{', '.join(map(str, c[:3]))}{', …' if c.size > 3 else ''}}}" for c in classes[:2])
        raise ValidationError(field, f"the chain has {len(classes)} closed recurrent classes (e.g. states "
                              f"{examples}), so its stationary law μ_θ is not unique")
    recurrent = None if classes[0].size == P_pi.shape[0] else classes[0]
    _ONE_CLASS_SUPPORTS[key] = recurrent
    while len(_ONE_CLASS_SUPPORTS) > SUPPORT_MEMORY:
        del _ONE_CLASS_SUPPORTS[next(iter(_ONE_CLASS_SUPPORTS))]
    return recurrent


def _solve_stationary(P_pi, x0=None, rtol=ITERATIVE_RTOL, solver_cache: dict | None = None) -> np.ndarray:
    """``μᵀP_π = μᵀ``, ``1ᵀμ = 1``, to a relative L1 residual ``‖μ − P_πᵀμ‖₁ ≤`` :data:`DISTRIBUTION_RTOL`
    (checked). More than one recurrent class is a ValidationError (field ``P``).

    Dense path: LU of the Brauer-shifted ``I − P_πᵀ + u1ᵀ``, ``u = 1/nS`` (module docstring).
    Sparse path: GMRES on the shifted system for at most :data:`PLAIN_CYCLES` restart cycles to relative
    2-norm residual ``min(rtol, DISTRIBUTION_RTOL)`` (which implies the L1 bound, Cauchy–Schwarz); random
    graphs mix fast and converge in a few dozen iterations. If it stalls (a slowly mixing chain, e.g. a
    garnet with small ``locality``, whose ``I − P_πᵀ`` has eigenvalues near 0), a direct solve
    (:func:`_stationary_direct`) takes over; ``solver_cache`` (a dict) remembers that for the next call
    at a nearby θ, which then goes straight to the direct solve. The forward error is not bounded by the
    residual on such chains: see :func:`stationary_accuracy`.
    """
    check_unique_stationary(P_pi)
    n = P_pi.shape[0]
    u = np.full(n, 1.0 / n)
    if isinstance(P_pi, np.ndarray):
        M = u[:, None] - P_pi.T
        M.flat[:: n + 1] += 1.0
        return _as_distribution(dense_solve(M, u))
    P_T = P_pi.T
    solver_cache = {} if solver_cache is None else solver_cache
    x = None
    if not solver_cache.get("direct"):
        matvec = lambda x: x - P_T @ x + x.sum() / n  # noqa: E731
        x, _ = _gmres_attempt(matvec, u, x0, min(rtol, DISTRIBUTION_RTOL), PLAIN_CYCLES)
        if _l1_residual(P_T, 1.0, x, np.zeros(n)) <= DISTRIBUTION_RTOL:
            return _as_distribution(x)
    solver_cache["direct"] = True
    mu, _ = _stationary_direct(P_T, x if x is not None else x0)
    residual = _l1_residual(P_T, 1.0, mu, np.zeros(n))
    if residual > DISTRIBUTION_RTOL:
        raise ConvergenceError(f"stationary μ_θ: relative L1 residual {residual:.3g} > {DISTRIBUTION_RTOL:g}")
    return _as_distribution(mu)


def _stationary_direct(P_T, guess=None) -> tuple[np.ndarray, tuple]:
    """``μ`` by fixing ``μ_k = 1`` at one state ``k`` and solving the remaining equations
    ``(I − P_πᵀ)_{−k,−k} x = P_πᵀ[−k, k]`` by sparse LU (no dense row: on a local chain the factors stay
    banded, ~0.1 s at 2·10⁴ states), then dividing by the sum. ``k`` is the largest entry of ``guess``
    (else 0) and is moved to the largest entry of the result until they agree (at most 3 solves; a pivot
    state of tiny mass amplifies rounding). The result is not clipped: on an ill-conditioned chain it can
    hold negative entries of the size of its forward error. Returns ``(μ, (lu, B))``, ``B`` the reduced
    matrix."""
    n = P_T.shape[0]
    k = int(np.argmax(guess)) if guess is not None and np.all(np.isfinite(guess)) else 0
    A = (sp.identity(n, format="csc") - P_T.tocsc()).tocsc()
    for _ in range(3):
        keep = np.concatenate([np.arange(k), np.arange(k + 1, n)])
        B = A[keep][:, keep]
        x, lu = _direct_solve(B, -A[keep][:, [k]].toarray().ravel(), "stationary μ_θ")
        mu = np.empty(n)
        mu[keep], mu[k] = x, 1.0
        mu /= mu.sum()
        if int(np.argmax(mu)) == k:
            break
        k = int(np.argmax(mu))
    return mu, (lu, B)


def stationary_accuracy(mdp: FiniteMDP, pi, method: str = "auto") -> dict:
    """How far the computed ``μ_θ`` can be from the true one, at policy ``pi``.

    Returns ``residual_l1`` (``‖μ − P_πᵀμ‖₁``, ``1ᵀμ = 1``), ``condition_l1`` (an estimate of the 1-norm
    condition number κ₁ of the matrix actually solved: the shifted ``I − P_πᵀ + u1ᵀ`` (dense or GMRES
    path; LAPACK ``gecon``, or Hager–Higham ``onenormest`` with GMRES solves and ``‖M‖₁ ≤ ‖I − P_πᵀ‖₁ + 1``)
    or the reduced ``(I − P_πᵀ)_{−k,−k}`` of the direct path (``onenormest`` with its LU)), ``method``,
    ``clipped_mass`` (the total of the negative entries the direct solve produced and the returned μ
    clips to 0) and ``forward_error_estimate = max(κ₁ · max(residual_l1, ε_mach), clipped_mass)``, the
    first-order estimate of the relative L1 error of μ (an estimate, not a bound). ``residual_l1`` is
    that of the returned (clipped) μ. Nearly decomposable chains (slowly mixing, e.g.
    local garnets) have κ₁ up to ~1e13 at 2·10⁴ states: there μ is accurate to far fewer digits than the
    residual suggests. A ``ConditioningWarning`` is issued when the estimate exceeds
    :data:`FORWARD_ERROR_WARN`.

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP.
    pi : array_like, shape (nS, nA)
        The policy table ``π(a|s)``.
    method : {"auto", "dense", "sparse"}
        As for :func:`stationary_distribution`.

    Returns
    -------
    dict
        ``residual_l1``, ``condition_l1``, ``method``, ``clipped_mass``, ``forward_error_estimate``.
    """
    dense = _use_dense(mdp, method)
    pi = _check_pi(mdp, pi)
    P_pi = _policy_transition(_rows(mdp), pi, dense)
    n = mdp.n_states
    cache: dict = {}
    mu = _solve_stationary(P_pi, solver_cache=cache)
    residual = float(np.abs(mu - P_pi.T @ mu).sum())
    clipped = 0.0
    if dense:
        M = 1.0 / n - P_pi.T
        M.flat[:: n + 1] += 1.0
        lu, _ = sla.lu_factor(M, check_finite=False)
        rcond, _ = sla.lapack.dgecon(lu, np.abs(M).sum(axis=0).max(), norm="1")
        condition, how = 1.0 / rcond, "dense LU of I − P_πᵀ + u1ᵀ"
    elif cache.get("direct"):
        raw, (lu, B) = _stationary_direct(P_pi.T, mu)
        clipped = float(np.clip(-raw, 0.0, None).sum())
        inverse = LinearOperator(B.shape, matvec=lu.solve, rmatvec=lambda x: lu.solve(x, trans="T"),
                                 dtype=np.float64)
        condition = onenormest(inverse) * sp.linalg.norm(B, 1)
        how = "sparse LU of (I − P_πᵀ) without the row and column of argmax μ"
    else:
        P_T = P_pi.T.tocsr()
        P = P_pi.tocsr()
        # κ needs about one digit: loose solves, not checked
        solve = lambda op: lambda b: _gmres_attempt(op, b, None, 1e-6, 4 * PLAIN_CYCLES)[0]  # noqa: E731
        forward = solve(lambda x: x - P_T @ x + x.sum() / n)
        adjoint = solve(lambda y: y - P @ y + np.full(n, y.sum() / n))
        inverse = LinearOperator((n, n), matvec=forward, rmatvec=adjoint, dtype=np.float64)
        norm_M = sp.linalg.norm(sp.identity(n, format="csr") - P_T, 1) + 1.0
        condition, how = onenormest(inverse) * norm_M, "GMRES on I − P_πᵀ + u1ᵀ"
    estimate = float(max(condition * max(residual, np.finfo(float).eps), clipped))
    if estimate > FORWARD_ERROR_WARN:
        warnings.warn(f"μ_θ may be inaccurate: estimated relative forward error {estimate:.2g} "
                      f"(condition number ~{condition:.2g}; a nearly decomposable, slowly mixing chain)",
                      ConditioningWarning, stacklevel=2)
    return {"residual_l1": residual, "condition_l1": float(condition), "clipped_mass": clipped,
            "forward_error_estimate": estimate, "method": how}


def stationary_distribution(mdp: FiniteMDP, pi, method: str = "auto", x0=None,
                            rtol: float = ITERATIVE_RTOL) -> np.ndarray:
    """``μ_θ``: ``μᵀP_π = μᵀ``, ``1ᵀμ = 1`` (stationary law of the critic chain), via the shifted system
    ``(I − P_πᵀ + u1ᵀ) μ = u``.

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    pi : array_like, shape (nS, nA)
        The policy table ``π(a|s)`` (rows sum to 1).
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).
    x0 : array_like, shape (nS,), optional
        Warm start of the sparse solve.
    rtol : float
        Relative residual tolerance of the sparse solve.

    Returns
    -------
    ndarray, shape (nS,)
        A probability vector (relative L1 residual ≤ :data:`DISTRIBUTION_RTOL`).

    Examples
    --------
    >>> import numpy as np
    >>> from a3c_theory import exact
    >>> from a3c_theory.mdp import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[[0, 1], 0, [0, 1]] = 1; P[[0, 1], 1, [1, 0]] = 1  # stay / switch
    >>> mdp = FiniteMDP.from_dense(P, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.5, np.array([1.0, 0.0]))
    >>> pi = np.full((2, 2), 0.5)                          # the uniform policy
    >>> exact.stationary_distribution(mdp, pi)
    array([0.5, 0.5])
    """
    dense = _use_dense(mdp, method)
    pi = _check_pi(mdp, pi)
    x0 = _check_vector("x0", x0, mdp.n_states)
    return _solve_stationary(_policy_transition(_rows(mdp), pi, dense), x0, rtol)


def sampling_laws(mdp: FiniteMDP, pi, mu0=None, d0=None) -> tuple[np.ndarray, np.ndarray]:
    """``(μ_θ, d_θ)`` of :func:`stationary_distribution` and :func:`discounted_visitation` from one ``P_π``
    (the sampler's refresh).

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    pi : array_like, shape (nS, nA)
        The policy table ``π(a|s)`` (rows sum to 1).
    mu0, d0 : array_like, shape (nS,), optional
        Warm starts of the sparse solves.

    Returns
    -------
    tuple of ndarray, each of shape (nS,)
        ``μ_θ`` and ``d_θ``.
    """
    pi = _check_pi(mdp, pi)
    P_pi = _policy_transition(_rows(mdp), pi, _use_dense(mdp, "auto"))
    return _solve_stationary(P_pi, mu0), _solve_visitation(P_pi, mdp.eta, mdp.gamma, d0)


def discounted_visitation(mdp: FiniteMDP, pi, method: str = "auto", x0=None,
                          rtol: float = ITERATIVE_RTOL) -> np.ndarray:
    """``d_θᵀ = (1−γ) ηᵀ (I − γP_π)^{-1}``, i.e. ``(I − γP_π)ᵀ d = (1−γ)η``; it is the stationary law of
    the actor kernel ``γP_π + (1−γ)1ηᵀ``.

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    pi : array_like, shape (nS, nA)
        The policy table ``π(a|s)`` (rows sum to 1).
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).
    x0 : array_like, shape (nS,), optional
        Warm start of the sparse solve.
    rtol : float
        Relative residual tolerance of the sparse solve.

    Returns
    -------
    ndarray, shape (nS,)
        A probability vector.

    Examples
    --------
    >>> import numpy as np
    >>> from a3c_theory import exact
    >>> from a3c_theory.mdp import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[[0, 1], 0, [0, 1]] = 1; P[[0, 1], 1, [1, 0]] = 1  # stay / switch
    >>> mdp = FiniteMDP.from_dense(P, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.5, np.array([1.0, 0.0]))
    >>> pi = np.full((2, 2), 0.5)                          # the uniform policy
    >>> exact.discounted_visitation(mdp, pi)           # η = (1, 0): more weight on the start state
    array([0.75, 0.25])
    """
    dense = _use_dense(mdp, method)
    pi = _check_pi(mdp, pi)
    x0 = _check_vector("x0", x0, mdp.n_states)
    return _solve_visitation(_policy_transition(_rows(mdp), pi, dense), mdp.eta, mdp.gamma, x0, rtol)


def value(mdp: FiniteMDP, pi, method: str = "auto", x0=None, rtol: float = ITERATIVE_RTOL) -> np.ndarray:
    """``V = (I − γP_π)^{-1} r_π`` (a linear solve).

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    pi : array_like, shape (nS, nA)
        The policy table ``π(a|s)`` (rows sum to 1).
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).
    x0 : array_like, shape (nS,), optional
        Warm start of the sparse solve.
    rtol : float
        Relative residual tolerance of the sparse solve.

    Returns
    -------
    ndarray, shape (nS,)

    Examples
    --------
    >>> import numpy as np
    >>> from a3c_theory import exact
    >>> from a3c_theory.mdp import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[[0, 1], 0, [0, 1]] = 1; P[[0, 1], 1, [1, 0]] = 1  # stay / switch
    >>> mdp = FiniteMDP.from_dense(P, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.5, np.array([1.0, 0.0]))
    >>> pi = np.full((2, 2), 0.5)                          # the uniform policy
    >>> exact.value(mdp, pi)
    array([0.25, 0.75])
    """
    dense = _use_dense(mdp, method)
    pi = _check_pi(mdp, pi)
    x0 = _check_vector("x0", x0, mdp.n_states)
    rows = _rows(mdp)
    r_pi = _policy_reward(rows, pi)
    return _solve_value(_policy_transition(rows, pi, dense), r_pi, mdp.gamma, x0, rtol)


def _q_from_value(rows: _Rows, gamma: float, V: np.ndarray) -> np.ndarray:
    return rows.r_sa + gamma * (rows.P_sa @ V).reshape(rows.r_sa.shape)


def q_values(mdp: FiniteMDP, pi, V=None) -> np.ndarray:
    """``Q(s, a) = r(s, a) + γ Σ_s' P[s, a, s'] V(s')`` from the MDP's rows.

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    pi : array_like, shape (nS, nA)
        The policy table ``π(a|s)`` (rows sum to 1).
    V : array_like, shape (nS,), optional
        The values to use (default ``V_π``, :func:`value`).

    Returns
    -------
    ndarray, shape (nS, nA)

    Examples
    --------
    >>> import numpy as np
    >>> from a3c_theory import exact
    >>> from a3c_theory.mdp import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[[0, 1], 0, [0, 1]] = 1; P[[0, 1], 1, [1, 0]] = 1  # stay / switch
    >>> mdp = FiniteMDP.from_dense(P, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.5, np.array([1.0, 0.0]))
    >>> pi = np.full((2, 2), 0.5)                          # the uniform policy
    >>> exact.q_values(mdp, pi)
    array([[0.125, 0.375],
           [1.375, 0.125]])
    """
    V = value(mdp, pi) if V is None else _check_vector("V", V, mdp.n_states)
    return _q_from_value(_rows(mdp), mdp.gamma, V)


def advantage(mdp: FiniteMDP, pi, V=None) -> np.ndarray:
    """``Adv(s, a) = Q(s, a) − V(s)``.

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    pi : array_like, shape (nS, nA)
        The policy table ``π(a|s)`` (rows sum to 1).
    V : array_like, shape (nS,), optional
        The values to use (default ``V_π``).

    Returns
    -------
    ndarray, shape (nS, nA)
        ``Σ_a π(a|s) Adv(s, a) = 0`` in every state.

    Examples
    --------
    >>> import numpy as np
    >>> from a3c_theory import exact
    >>> from a3c_theory.mdp import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[[0, 1], 0, [0, 1]] = 1; P[[0, 1], 1, [1, 0]] = 1  # stay / switch
    >>> mdp = FiniteMDP.from_dense(P, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.5, np.array([1.0, 0.0]))
    >>> pi = np.full((2, 2), 0.5)                          # the uniform policy
    >>> exact.advantage(mdp, pi)
    array([[-0.125,  0.125],
           [ 0.625, -0.625]])
    """
    V = value(mdp, pi) if V is None else _check_vector("V", V, mdp.n_states)
    return q_values(mdp, pi, V) - V[:, None]


def _objective(mdp: FiniteMDP, V: np.ndarray) -> float:
    """``J = (1−γ) ηᵀ V``."""
    return float((1.0 - mdp.gamma) * (mdp.eta @ V))


def objective(mdp: FiniteMDP, pi, method: str = "auto") -> float:
    """``J = (1−γ) ηᵀ V_π`` (normalised as in the slides: J ∈ [min r, max r]).

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    pi : array_like, shape (nS, nA)
        The policy table ``π(a|s)`` (rows sum to 1).
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from a3c_theory import exact
    >>> from a3c_theory.mdp import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[[0, 1], 0, [0, 1]] = 1; P[[0, 1], 1, [1, 0]] = 1  # stay / switch
    >>> mdp = FiniteMDP.from_dense(P, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.5, np.array([1.0, 0.0]))
    >>> pi = np.full((2, 2), 0.5)                          # the uniform policy
    >>> exact.objective(mdp, pi)                        # (1 − 0.5) · V(0)
    0.125
    """
    return _objective(mdp, value(mdp, pi, method))


def _policy_gradient(policy: SoftmaxPolicy, theta, pi, d, Q, V) -> np.ndarray:
    """``∇J(θ) = Σ_{s,a} d_θ(s) π(a|s) (Q(s, a) − V(s)) ψ_θ(s, a)``."""
    return policy.score_sum(theta, d[:, None] * pi * (Q - V[:, None]), pi)


def policy_gradient(mdp: FiniteMDP, policy: SoftmaxPolicy, theta, method: str = "auto") -> np.ndarray:
    """``∇J(θ) = Σ_{s,a} d_θ(s) π(a|s) Adv(s, a) ψ_θ(s, a)`` (policy gradient theorem, no 1/(1−γ)).

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    policy : SoftmaxPolicy
        The softmax parametrisation of ``π_θ``.
    theta : ndarray, shape (policy.dim,)
        The actor parameters ``θ``.
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).

    Returns
    -------
    ndarray, shape (policy.dim,)

    Examples
    --------
    >>> import numpy as np
    >>> from a3c_theory import exact
    >>> from a3c_theory.mdp import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[[0, 1], 0, [0, 1]] = 1; P[[0, 1], 1, [1, 0]] = 1  # stay / switch
    >>> mdp = FiniteMDP.from_dense(P, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.5, np.array([1.0, 0.0]))
    >>> pi = np.full((2, 2), 0.5)                          # the uniform policy
    >>> from a3c_theory.policy import tabular
    >>> exact.policy_gradient(mdp, tabular(2, 2), np.zeros(4))   # θ = 0 is the uniform policy
    array([-0.046875,  0.046875,  0.078125, -0.078125])
    """
    pi = policy.probabilities(theta)
    dense = _use_dense(mdp, method)
    rows = _rows(mdp)
    P_pi = _policy_transition(rows, pi, dense)
    V = _solve_value(P_pi, _policy_reward(rows, pi), mdp.gamma)
    d = _solve_visitation(P_pi, mdp.eta, mdp.gamma)
    return _policy_gradient(policy, theta, pi, d, _q_from_value(rows, mdp.gamma, V), V)


# --------------------------------------------------------------------------- KL regulariser
def _regulariser_from_log(pi_p: np.ndarray, eta_p: np.ndarray, log_pi: np.ndarray) -> float:
    """``R = −Σ_s η_p(s) Σ_a π_p(a|s) (log π_p(a|s) − log π(a|s))`` with ``0·log 0 = 0``."""
    cross = np.multiply(pi_p, log_pi, out=np.zeros(pi_p.shape), where=pi_p > 0)
    return float(-(eta_p @ (xlogy(pi_p, pi_p) - cross).sum(axis=1)))


def regulariser(pi_p, eta_p, pi) -> float:
    """``R(θ) = −Σ_s η_p(s) KL(π_p(·|s) ‖ π_θ(·|s))`` (≤ 0; ``0·log 0 = 0``; −inf if π_θ misses π_p's support).

    Parameters
    ----------
    pi_p : array_like, shape (nS, nA)
        The prior policy ``π_p``.
    eta_p : array_like, shape (nS,)
        The prior states' law ``η_p``.
    pi : array_like, shape (nS, nA)
        The policy table ``π(a|s)`` (rows sum to 1).

    Returns
    -------
    float
    """
    pi = np.asarray(pi, dtype=np.float64)
    pi_p = np.asarray(pi_p, dtype=np.float64)
    if pi_p.shape != pi.shape:
        raise ValidationError("prior_policy", f"must have the shape of pi {pi.shape}, got {pi_p.shape}")
    eta_p = finite_array("prior_states", eta_p, ndim=1)
    if eta_p.shape != (pi.shape[0],):
        raise ValidationError("prior_states", f"must have shape ({pi.shape[0]},), got {eta_p.shape}")
    with np.errstate(divide="ignore"):
        log_pi = np.log(pi)
    return _regulariser_from_log(pi_p, eta_p, log_pi)


def regulariser_gradient(policy: SoftmaxPolicy, theta, pi_p, eta_p, pi=None) -> np.ndarray:
    """``∇R(θ) = Σ_{s,a} η_p(s) π_p(a|s) ψ_θ(s, a)``.

    Parameters
    ----------
    policy : SoftmaxPolicy
        The softmax parametrisation of ``π_θ``.
    theta : ndarray, shape (policy.dim,)
        The actor parameters ``θ``.
    pi_p : array_like, shape (nS, nA)
        The prior policy ``π_p``.
    eta_p : array_like, shape (nS,)
        The prior states' law ``η_p``.
    pi : ndarray, shape (nS, nA), optional
        ``π_θ``, when the caller has it.

    Returns
    -------
    ndarray, shape (policy.dim,)
    """
    eta_p = np.asarray(eta_p, dtype=np.float64)
    return policy.score_sum(theta, eta_p[:, None] * np.asarray(pi_p, dtype=np.float64), pi)


def _log_policy(policy: SoftmaxPolicy, theta) -> tuple[np.ndarray, np.ndarray]:
    """``(π_θ, log π_θ)`` from the logits, with the log computed stably (no log of an underflowed 0)."""
    z = policy.logits(theta)
    z -= z.max(axis=1, keepdims=True)
    pi = np.exp(z)
    total = pi.sum(axis=1, keepdims=True)
    pi /= total
    z -= np.log(total)
    return pi, z


def regularised_objective(problem: Problem, theta, lam: float, method: str = "auto") -> float:
    """``J_λ(θ) = J(θ) + λ R(θ)``.

    Parameters
    ----------
    problem : Problem
        MDP, critic features, softmax policy and KL prior (``prior_policy``, ``prior_states``).
    theta : ndarray, shape (policy.dim,)
        The actor parameters ``θ``.
    lam : float
        The regularisation weight ``λ ≥ 0``.
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).

    Returns
    -------
    float
    """
    lam = nonnegative_float("lam", lam)
    pi, log_pi = _log_policy(problem.policy, theta)
    R = _regulariser_from_log(problem.prior_policy, problem.prior_states, log_pi)
    return objective(problem.mdp, pi, method) + lam * R


def regularised_gradient(problem: Problem, theta, lam: float, method: str = "auto") -> np.ndarray:
    """``∇J_λ(θ) = ∇J(θ) + λ ∇R(θ)``.

    Parameters
    ----------
    problem : Problem
        MDP, critic features, softmax policy and KL prior (``prior_policy``, ``prior_states``).
    theta : ndarray, shape (policy.dim,)
        The actor parameters ``θ``.
    lam : float
        The regularisation weight ``λ ≥ 0``.
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).

    Returns
    -------
    ndarray, shape (policy.dim,)
    """
    lam = nonnegative_float("lam", lam)
    grad = policy_gradient(problem.mdp, problem.policy, theta, method)
    return grad + lam * regulariser_gradient(problem.policy, theta, problem.prior_policy, problem.prior_states)


@dataclass(frozen=True)
class RegularisedOptimum:
    """``J_λ* = max_θ J_λ(θ)`` as found by :func:`regularised_optimum`: ``value`` (the best start's),
    ``theta``, ``grad_norm`` = ``‖∇J_λ(theta)‖₂`` (its certificate of stationarity) and ``spread`` (max − min
    of the values reached from the starts: its certificate that the starts found one maximum)."""

    value: float
    theta: np.ndarray
    grad_norm: float
    spread: float
    starts: int


def _newton_polish(gradient, theta: np.ndarray, grad_tol: float, steps: int = 5, h: float = 1e-5) -> np.ndarray:
    """Newton steps ``θ ← θ − H⁻¹∇`` (a solve) with ``H`` the symmetrised central difference of the exact
    gradient, kept while they shrink ``‖∇‖``: L-BFGS stalls on rounding of ``J_λ`` near 1e-9, Newton on the
    gradient does not."""
    g = gradient(theta)
    for _ in range(steps):
        if np.linalg.norm(g) <= grad_tol:
            break
        eye = np.eye(theta.size) * h
        H = np.stack([(gradient(theta + e) - gradient(theta - e)) / (2 * h) for e in eye], axis=1)
        step = np.linalg.lstsq((H + H.T) / 2, -g, rcond=None)[0]
        g_new = gradient(theta + step)
        if not np.linalg.norm(g_new) < np.linalg.norm(g):
            break
        theta, g = theta + step, g_new
    return theta


def regularised_optimum(problem: Problem, lam: float, starts: int = 3, seed: int = 0,
                        grad_tol: float = 1e-10) -> RegularisedOptimum:
    """``J_λ* = max_θ J_λ(θ)``, ``J_λ = J + λR``, for ``λ > 0``, by exact-gradient ascent (L-BFGS on
    ``−J_λ`` with :func:`regularised_gradient`) from θ = 0 and ``starts − 1`` seeded N(0, 3²) starts.

    ``J_λ`` is not concave in θ and has no soft-Bellman closed form (``R`` is a reverse KL under a fixed
    ``η_p``), so the value comes with two certificates: ``‖∇J_λ‖ ≤ grad_tol`` at the returned θ (else a
    ``ConvergenceError``), and the spread of the values over the starts. With λ > 0, ``R → −∞`` wherever
    π_θ leaves the prior's support, so the maximum is attained; at λ = 0 it is not (use
    :func:`optimal_objective`).

    Parameters
    ----------
    problem : Problem
        MDP, softmax policy and KL prior.
    lam : float
        ``λ > 0``.
    starts : int
        Starting points of the ascent (θ = 0 first).
    seed : int
        Seed of the random starts.
    grad_tol : float
        The ``‖∇J_λ‖`` the returned maximiser must reach.

    Returns
    -------
    RegularisedOptimum
        The value, its maximiser, ``‖∇J_λ‖`` there and the spread over the starts.
    """
    from scipy.optimize import minimize

    lam = nonnegative_float("lam", lam)
    if lam == 0:
        raise ValidationError("lam", "J_0* = J* is not attained by a softmax θ: use optimal_objective")
    if starts < 1:
        raise ValidationError("starts", f"must be at least 1, got {starts}")

    def negative(theta):
        return -regularised_objective(problem, theta, lam), -regularised_gradient(problem, theta, lam)

    rng = np.random.default_rng(seed)
    found = []
    for i in range(starts):
        theta0 = np.zeros(problem.policy.dim) if i == 0 else rng.normal(0.0, 3.0, problem.policy.dim)
        res = minimize(negative, theta0, jac=True, method="L-BFGS-B",
                       options={"gtol": grad_tol / 10, "ftol": 0.0, "maxiter": 20_000, "maxcor": 30})
        theta = _newton_polish(lambda th: regularised_gradient(problem, th, lam), res.x, grad_tol)
        found.append((regularised_objective(problem, theta, lam), theta))
    values = [v for v, _ in found]
    value, theta = max(found, key=lambda f: f[0])
    grad_norm = float(np.linalg.norm(regularised_gradient(problem, theta, lam)))
    if not grad_norm <= grad_tol:
        raise ConvergenceError(f"J_lambda* (lam = {lam:g}): ‖∇J_λ‖ = {grad_norm:.3g} > {grad_tol:g} after L-BFGS")
    return RegularisedOptimum(float(value), theta, grad_norm, float(max(values) - min(values)), starts)


# --------------------------------------------------------------------------- linear critic
def _critic_matrices(P_pi, r_pi, Phi, mu, gamma) -> tuple[np.ndarray, np.ndarray]:
    weighted = mu[:, None] * Phi
    A = weighted.T @ (gamma * (P_pi @ Phi) - Phi)
    return np.asarray(A), weighted.T @ r_pi


def _td_solution(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``ω* = −A^{-1} b``; a singular ``A`` (μ_θ puts no mass where some feature lives) is reported."""
    try:
        return -dense_solve(A, b)
    except np.linalg.LinAlgError as exc:
        raise ValidationError(
            "critic_features", "A_θ is singular (μ_θ vanishes on the support of a feature): ω*_θ is undefined"
        ) from exc


def critic_matrices(mdp: FiniteMDP, Phi, pi, mu=None, method: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """``A_θ = Φᵀ D_μ (γP_π − I) Φ`` and ``b_θ = Φᵀ D_μ r_π``, so ``E[δ(x, ω)φ(s)] = A_θω + b_θ``
    for ``s ~ μ``, ``a ~ π``, ``s' ~ P``.

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    Phi : array_like, shape (nS, d)
        Critic features ``φ(s)ᵀ`` as rows, ``‖φ(s)‖₂ ≤ 1``.
    pi : array_like, shape (nS, nA)
        The policy table ``π(a|s)`` (rows sum to 1).
    mu : array_like, shape (nS,), optional
        The critic states' law: default ``μ_θ``; pass ``d_θ`` for the shared-transition (ICLR 2021)
        variant, whose critic states follow ``d_θ``.
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).

    Returns
    -------
    A : ndarray, shape (d, d)
    b : ndarray, shape (d,)

    Examples
    --------
    >>> import numpy as np
    >>> from a3c_theory import exact
    >>> from a3c_theory.mdp import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[[0, 1], 0, [0, 1]] = 1; P[[0, 1], 1, [1, 0]] = 1  # stay / switch
    >>> mdp = FiniteMDP.from_dense(P, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.5, np.array([1.0, 0.0]))
    >>> pi = np.full((2, 2), 0.5)                          # the uniform policy
    >>> A, b = exact.critic_matrices(mdp, np.eye(2), pi)
    >>> A
    array([[-0.375,  0.125],
           [ 0.125, -0.375]])
    """
    dense = _use_dense(mdp, method)
    pi = _check_pi(mdp, pi)
    Phi = _check_phi(mdp, Phi)
    rows = _rows(mdp)
    P_pi = _policy_transition(rows, pi, dense)
    mu = _solve_stationary(P_pi) if mu is None else _check_vector("mu", mu, mdp.n_states)
    return _critic_matrices(P_pi, _policy_reward(rows, pi), Phi, mu, mdp.gamma)


def td_fixed_point(mdp: FiniteMDP, Phi, pi, method: str = "auto") -> np.ndarray:
    """``ω*_θ = −A_θ^{-1} b_θ`` (a d×d solve): the TD(0) fixed point under ``μ_θ``.

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    Phi : array_like, shape (nS, d)
        Critic features ``φ(s)ᵀ`` as rows, ``‖φ(s)‖₂ ≤ 1``.
    pi : array_like, shape (nS, nA)
        The policy table ``π(a|s)`` (rows sum to 1).
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).

    Returns
    -------
    ndarray, shape (d,)

    Examples
    --------
    >>> import numpy as np
    >>> from a3c_theory import exact
    >>> from a3c_theory.mdp import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[[0, 1], 0, [0, 1]] = 1; P[[0, 1], 1, [1, 0]] = 1  # stay / switch
    >>> mdp = FiniteMDP.from_dense(P, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.5, np.array([1.0, 0.0]))
    >>> pi = np.full((2, 2), 0.5)                          # the uniform policy
    >>> exact.td_fixed_point(mdp, np.eye(2), pi)       # one-hot features: ω* = V
    array([0.25, 0.75])
    """
    return _td_solution(*critic_matrices(mdp, Phi, pi, method=method))


def _approximation_error(mu: np.ndarray, V: np.ndarray, Phi: np.ndarray, w_star: np.ndarray) -> float:
    """``ε_app = (Σ_s μ(s) (V(s) − φ(s)ᵀω*)²)^{1/2}``."""
    err = V - Phi @ w_star
    return float(np.sqrt(mu @ err**2))


def approximation_error(mdp: FiniteMDP, Phi, pi, method: str = "auto") -> float:
    """``ε_app(θ) = (Σ_s μ_θ(s) (V(s) − φ(s)ᵀω*_θ)²)^{1/2}``.

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    Phi : array_like, shape (nS, d)
        Critic features ``φ(s)ᵀ`` as rows, ``‖φ(s)‖₂ ≤ 1``.
    pi : array_like, shape (nS, nA)
        The policy table ``π(a|s)`` (rows sum to 1).
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).

    Returns
    -------
    float
        0 when the features hold ``V_π`` exactly (one-hot features).

    Examples
    --------
    >>> import numpy as np
    >>> from a3c_theory import exact
    >>> from a3c_theory.mdp import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[[0, 1], 0, [0, 1]] = 1; P[[0, 1], 1, [1, 0]] = 1  # stay / switch
    >>> mdp = FiniteMDP.from_dense(P, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.5, np.array([1.0, 0.0]))
    >>> pi = np.full((2, 2), 0.5)                          # the uniform policy
    >>> exact.approximation_error(mdp, np.full((2, 1), 0.5), pi)   # one constant feature
    0.25
    """
    dense = _use_dense(mdp, method)
    pi = _check_pi(mdp, pi)
    Phi = _check_phi(mdp, Phi)
    rows = _rows(mdp)
    P_pi = _policy_transition(rows, pi, dense)
    r_pi = _policy_reward(rows, pi)
    mu = _solve_stationary(P_pi)
    w_star = _td_solution(*_critic_matrices(P_pi, r_pi, Phi, mu, mdp.gamma))
    return _approximation_error(mu, _solve_value(P_pi, r_pi, mdp.gamma), Phi, w_star)


def critic_direction_mean(mdp: FiniteMDP, Phi, pi, w, mu=None, method: str = "auto") -> np.ndarray:
    """``E[g(x, ω)] = A_θω + b_θ`` with ``g = δ(x, ω)φ(s)``, ``s ~ μ``, ``a ~ π``, ``s' ~ P``. Zero at
    ``ω = ω*_θ``.

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    Phi : array_like, shape (nS, d)
        Critic features ``φ(s)ᵀ`` as rows, ``‖φ(s)‖₂ ≤ 1``.
    pi : array_like, shape (nS, nA)
        The policy table ``π(a|s)`` (rows sum to 1).
    w : array_like, shape (d,)
        The critic parameters ``ω``.
    mu : array_like, shape (nS,), optional
        The critic states' law (default ``μ_θ``; ``d_θ`` for the shared-transition variant).
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).

    Returns
    -------
    ndarray, shape (d,)
    """
    Phi = _check_phi(mdp, Phi)
    w = _check_vector("w", w, Phi.shape[1])
    A, b = critic_matrices(mdp, Phi, pi, mu, method)
    return A @ w + b


def actor_direction_mean(problem: Problem, theta, w, method: str = "auto") -> np.ndarray:
    """``E[v] = E[δ(x̂, ω) ψ_θ(ŝ, â)]`` for ``ŝ ~ d_θ``, ``â ~ π_θ``, ``ŝ' ~ P`` in closed form:

        Σ_{s,a} d_θ(s) π(a|s) (r(s, a) + γ (PΦω)(s, a) − φ(s)ᵀω) ψ_θ(s, a).

    With an exact critic (``Φω = V``) the bracket is ``Adv(s, a)`` and this equals ``∇J(θ)``. The
    shared-transition (ICLR 2021) variant draws ``ŝ`` from the same law ``d_θ``, so its actor mean is
    the same expression.

    Parameters
    ----------
    problem : Problem
        MDP, critic features and softmax policy.
    theta : ndarray, shape (policy.dim,)
        The actor parameters ``θ``.
    w : array_like, shape (d,)
        The critic parameters ``ω``.
    method : {"auto", "dense", "sparse"}
        As for :func:`value`.

    Returns
    -------
    ndarray, shape (policy.dim,)
    """
    mdp, Phi = problem.mdp, problem.critic_features
    w = _check_vector("w", w, Phi.shape[1])
    pi = problem.policy.probabilities(theta)
    rows = _rows(mdp)
    d = _solve_visitation(_policy_transition(rows, pi, _use_dense(mdp, method)), mdp.eta, mdp.gamma)
    v_hat = Phi @ w
    delta = _q_from_value(rows, mdp.gamma, v_hat) - v_hat[:, None]
    return problem.policy.score_sum(theta, d[:, None] * pi * delta, pi)


def _theory_radius(r_max: float, A: np.ndarray) -> float:
    lam_min = np.linalg.eigvalsh(-0.5 * (A + A.T))[0]
    if lam_min <= 0.0:
        raise ValidationError(
            "algorithm.radius", "the theory default r_max/λ_min(−A_θ) is undefined: the symmetric part of "
            f"−A_θ is not positive definite (λ_min = {lam_min:.3g}); set a positive radius"
        )
    return r_max / lam_min


def theory_radius(problem: Problem, theta, method: str = "auto") -> float:
    """``R_ω = r_max / λ_min(−A_θ)``, ``λ_min`` the smallest eigenvalue of the symmetric part
    ``−(A_θ + A_θᵀ)/2``. Since ``‖b_θ‖₂ ≤ r_max`` (‖φ‖ ≤ 1, μ a distribution), ``‖ω*_θ‖₂ ≤ R_ω``.
    Raises ValidationError (field ``algorithm.radius``) if ``−A_θ`` is not positive definite.

    Parameters
    ----------
    problem : Problem
        MDP, critic features, softmax policy and KL prior (``prior_policy``, ``prior_states``).
    theta : ndarray, shape (policy.dim,)
        The actor parameters ``θ``.
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).

    Returns
    -------
    float
    """
    pi = problem.policy.probabilities(theta)
    A, _ = critic_matrices(problem.mdp, problem.critic_features, pi, method=method)
    return _theory_radius(problem.mdp.r_max, A)


# --------------------------------------------------------------------------- optimal control
def _policy_iteration(mdp: FiniteMDP, dense: bool) -> tuple[np.ndarray, np.ndarray]:
    """Howard's policy iteration: exact evaluation, greedy improvement; an action is replaced only when
    another is better by more than ``1e-12·max|Q|`` (so near-ties cannot cycle). Returns (actions, V*)."""
    rows = _rows(mdp)
    nS = mdp.n_states
    states = np.arange(nS)
    actions = rows.r_sa.argmax(axis=1)
    V = None
    for _ in range(10 * nS * mdp.n_actions + 10):
        pi = np.zeros((nS, mdp.n_actions))
        pi[states, actions] = 1.0
        P_pi = _policy_transition(rows, pi, dense)
        V = _solve_value(P_pi, rows.r_sa[states, actions], mdp.gamma, x0=V, rtol=OPTIMAL_RTOL)
        Q = _q_from_value(rows, mdp.gamma, V)
        best = Q.argmax(axis=1)
        improves = Q[states, best] > Q[states, actions] + 1e-12 * np.abs(Q).max()
        if not improves.any():
            return actions, V
        actions = np.where(improves, best, actions)
    raise ConvergenceError("policy iteration did not stabilise")  # unreachable: PI is finite


def optimal_policy(mdp: FiniteMDP, method: str = "auto") -> np.ndarray:
    """A deterministic optimal policy, by policy iteration.

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).

    Returns
    -------
    ndarray, shape (nS, nA)
        A 0/1 table.

    Examples
    --------
    >>> import numpy as np
    >>> from a3c_theory import exact
    >>> from a3c_theory.mdp import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[[0, 1], 0, [0, 1]] = 1; P[[0, 1], 1, [1, 0]] = 1  # stay / switch
    >>> mdp = FiniteMDP.from_dense(P, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.5, np.array([1.0, 0.0]))
    >>> pi = np.full((2, 2), 0.5)                          # the uniform policy
    >>> exact.optimal_policy(mdp)                       # switch to state 1, then stay
    array([[0., 1.],
           [1., 0.]])
    """
    actions, _ = _policy_iteration(mdp, _use_dense(mdp, method))
    table = np.zeros((mdp.n_states, mdp.n_actions))
    table[np.arange(mdp.n_states), actions] = 1.0
    return table


def optimal_value(mdp: FiniteMDP, method: str = "auto") -> np.ndarray:
    """``V*``, satisfying the Bellman optimality equation ``V* = max_a (r + γPV*)``.

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).

    Returns
    -------
    ndarray, shape (nS,)

    Examples
    --------
    >>> import numpy as np
    >>> from a3c_theory import exact
    >>> from a3c_theory.mdp import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[[0, 1], 0, [0, 1]] = 1; P[[0, 1], 1, [1, 0]] = 1  # stay / switch
    >>> mdp = FiniteMDP.from_dense(P, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.5, np.array([1.0, 0.0]))
    >>> pi = np.full((2, 2), 0.5)                          # the uniform policy
    >>> exact.optimal_value(mdp)
    array([1., 2.])
    """
    return _policy_iteration(mdp, _use_dense(mdp, method))[1]


def optimal_objective(mdp: FiniteMDP, method: str = "auto") -> float:
    """``J* = max_π J(π) = (1−γ) ηᵀV*``.

    Parameters
    ----------
    mdp : FiniteMDP
        The MDP (``P``, rewards, ``γ``, ``η``).
    method : {"auto", "dense", "sparse"}
        Dense LU solves, sparse GMRES, or dense up to :data:`DENSE_MAX_STATES` states (module docstring).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from a3c_theory import exact
    >>> from a3c_theory.mdp import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[[0, 1], 0, [0, 1]] = 1; P[[0, 1], 1, [1, 0]] = 1  # stay / switch
    >>> mdp = FiniteMDP.from_dense(P, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.5, np.array([1.0, 0.0]))
    >>> pi = np.full((2, 2), 0.5)                          # the uniform policy
    >>> exact.optimal_objective(mdp)
    0.5
    """
    return _objective(mdp, optimal_value(mdp, method))


# --------------------------------------------------------------------------- evaluator
@contextlib.contextmanager
def single_thread_blas():
    """Limit BLAS to one thread inside the block (``threadpoolctl``). The solves here are small (100×100 LU:
    ~0.1 ms); on a loaded 2-core machine a multi-threaded BLAS made them ~20× slower, and threads mode calls
    LAPACK from several worker threads at once. Nested blocks cost nothing (the limit is set once, by the
    outermost: finding the BLAS libraries takes ~2 ms).

    Parameters
    ----------
    None

    Returns
    -------
    contextlib.AbstractContextManager
        A context manager; BLAS is limited inside its block.
    """
    global _blas_depth
    with _blas_lock:
        outer = _blas_depth == 0
        _blas_depth += 1
    try:
        if outer:
            with threadpool_limits(limits=1, user_api="blas"):
                yield
        else:
            yield
    finally:
        with _blas_lock:
            _blas_depth -= 1


_blas_lock = threading.Lock()
_blas_depth = 0


@dataclass(frozen=True)
class ExactState:
    """Every exact array at one θ (see the module docstring)."""

    pi: np.ndarray
    log_pi: np.ndarray
    P_pi: object
    r_pi: np.ndarray
    V: np.ndarray
    Q: np.ndarray
    d: np.ndarray
    mu: np.ndarray


class Evaluator:
    """Exact metrics of one problem at many θ: caches ``J*`` (computed on first use) and, on the sparse
    path, warm-starts the GMRES solves for ``V``, ``d_θ``, ``μ_θ`` from the previous call's solutions
    (so nearby θ along a trajectory cost a few iterations). On the dense path ``V`` and ``d_θ`` share one
    LU factorisation of ``I − γP_π``."""

    def __init__(self, problem: Problem, method: str = "auto", rtol: float = ITERATIVE_RTOL):
        self.problem = problem
        self.method = method
        self.rtol = rtol
        self._dense = _use_dense(problem.mdp, method)
        self._rows = _rows(problem.mdp)
        self._J_star = None
        self._warm = (None, None, None)
        self._ilu_cache = {}

    @property
    def J_star(self) -> float:
        """``J*`` (policy iteration, computed once)."""
        if self._J_star is None:
            self._J_star = optimal_objective(self.problem.mdp, "dense" if self._dense else "sparse")
        return self._J_star

    def state(self, theta) -> ExactState:
        """``π, log π, P_π, r_π, V, Q, d_θ, μ_θ`` at ``θ``."""
        mdp, rows = self.problem.mdp, self._rows
        gamma = mdp.gamma
        pi, log_pi = _log_policy(self.problem.policy, theta)
        P_pi = _policy_transition(rows, pi, self._dense)
        r_pi = _policy_reward(rows, pi)
        if self._dense:
            M = -gamma * P_pi
            M.flat[:: M.shape[0] + 1] += 1.0
            lu = sla.lu_factor(M, check_finite=False)
            V = sla.lu_solve(lu, r_pi, check_finite=False)
            d = _as_distribution(sla.lu_solve(lu, (1.0 - gamma) * mdp.eta, trans=1, check_finite=False))
            mu = _solve_stationary(P_pi)
        else:
            V0, d0, mu0 = self._warm
            V = _solve_value(P_pi, r_pi, gamma, V0, self.rtol)
            d = _solve_visitation(P_pi, mdp.eta, gamma, d0, self.rtol)
            mu = _solve_stationary(P_pi, mu0, self.rtol, self._ilu_cache)
            self._warm = (V, d, mu)
        Q = _q_from_value(rows, gamma, V)
        return ExactState(pi, log_pi, P_pi, r_pi, V, Q, d, mu)

    @property
    def stateless(self) -> bool:
        """Whether every result is a function of the arguments alone: the dense path (the sparse one
        warm-starts its solves from the previous call's solutions)."""
        return self._dense

    def metrics(self, theta, w, lam: float = 0.0) -> dict:
        """Scalars at ``(θ, ω)``: ``J``, ``R``, ``J_lambda`` = J + λR, ``J_star``, ``gap`` = J* − J (clipped
        at 0 against rounding, ~1e-15, at an optimal θ),
        ``grad_norm_sq`` = ‖∇J‖², ``grad_lambda_norm_sq`` = ‖∇J + λ∇R‖², ``critic_gap`` = ‖ω − ω*_θ‖₂,
        ``eps_app`` = ε_app(θ). Each quantity by the same private function as the public one of its name
        (``objective``, ``policy_gradient``, ``regulariser``, ``regulariser_gradient``, ``td_fixed_point``,
        ``approximation_error``), on the arrays of :meth:`state`: :meth:`with_critic` of
        :meth:`policy_metrics`."""
        theta = self.problem.policy.check_theta(theta)
        w = _check_vector("w", w, self.problem.critic_dim)
        return self.with_critic(*self.policy_metrics(theta, lam), w)

    def policy_metrics(self, theta, lam: float = 0.0) -> tuple[dict, np.ndarray]:
        """What :meth:`metrics` computes from ``θ`` alone: ``(values, ω*_θ)``, ``values`` = every scalar but
        ``critic_gap``, and the TD fixed point ``ω*_θ`` it is measured from (a seed batch reuses them at
        ``θ_0``, ``pipeline.run_batch``)."""
        problem, mdp = self.problem, self.problem.mdp
        theta = problem.policy.check_theta(theta)
        lam = nonnegative_float("lam", lam)
        J_star = self.J_star
        st = self.state(theta)
        policy, pi = problem.policy, st.pi
        J = _objective(mdp, st.V)
        grad = _policy_gradient(policy, theta, pi, st.d, st.Q, st.V)
        R = _regulariser_from_log(problem.prior_policy, problem.prior_states, st.log_pi)
        if lam:
            grad_lam = grad + lam * regulariser_gradient(policy, theta, problem.prior_policy, problem.prior_states, pi)
        else:
            grad_lam = grad
        Phi = problem.critic_features
        w_star = _td_solution(*_critic_matrices(st.P_pi, st.r_pi, Phi, st.mu, mdp.gamma))
        return {
            "J": J,
            "R": R,
            "J_lambda": J + lam * R,
            "J_star": J_star,
            "gap": max(J_star - J, 0.0),
            "grad_norm_sq": float(grad @ grad),
            "grad_lambda_norm_sq": float(grad_lam @ grad_lam),
            "eps_app": _approximation_error(st.mu, st.V, Phi, w_star),
        }, w_star

    @staticmethod
    def with_critic(values: dict, w_star: np.ndarray, w: np.ndarray) -> dict:
        """:meth:`metrics` at ``ω`` from :meth:`policy_metrics`' ``(values, ω*_θ)``: ``critic_gap = ‖ω − ω*_θ‖₂``
        added, in :meth:`metrics`' key order (before ``eps_app``)."""
        out = {key: value for key, value in values.items() if key != "eps_app"}
        out["critic_gap"] = float(np.linalg.norm(w - w_star))
        out["eps_app"] = values["eps_app"]
        return out
