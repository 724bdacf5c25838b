"""Instance diagnostics at ``θ_0 = 0``: can this instance tell A3C apart from a bandit solver?

With ``π = π_{θ_0}`` (the uniform policy for either parametrisation) and every exact quantity from
:mod:`a3c_theory.exact`:

- ``J0 = J(π)``, ``J_star = J*``.
- ``myopia = (J(π_g) − J(π)) / (J* − J(π))`` with the deterministic greedy-reward policy
  ``π_g(s) = argmax_a r̄(s, a)``, ``r̄(s, a) = Σ_s' P[s, a, s'] r(s, a, s')``. 1: the greedy action closes the
  whole gap (a contextual bandit; a stale gradient points the same way as a fresh one); < 0: the greedy
  action is a trap. Undefined (NaN, ``null`` in JSON) when ``J* − J(π) ≤ 1e-12 max(1, |J*|)``.
- ``greedy_optimal_fraction``: the share of states where ``π_g(s)`` is an optimal action, i.e.
  ``Q*(s, π_g(s)) ≥ max_a Q*(s, a) − 1e-9 max|Q*|``.
- ``lambda2_critic = |λ₂(P_π)|``, the second-largest eigenvalue modulus of ``P_π`` (1 counted once).
  ``lambda2_actor = |λ₂(γP_π + (1−γ)1ηᵀ)| = γ |λ₂(P_π)|``: by Brauer's theorem (``P_π 1 = 1``, so the
  rank-one term ``(1−γ)1ηᵀ`` moves only the eigenvalue γ of ``γP_π`` to ``γ + (1−γ)ηᵀ1 = 1``) the other
  eigenvalues of the actor kernel are ``γλ_i(P_π)``. The tests check this against a direct eigen-solve.
  Mixing-time estimates ``t_mix ≈ 1 / (1 − |λ₂|)`` (inf when ``|λ₂| = 1``).
- ``tv_mu_d = ½ Σ_s |μ_θ(s) − d_θ(s)|``.
- ``eps_app = ε_app(θ_0)``; ``max_eig_sym_A = λ_max((A_θ + A_θᵀ)/2)`` (the theory needs it < 0).
- ``theory_radius = r_max / λ_min(−A_θ)`` (None when ``−A_θ`` is not positive definite); ``radius`` is
  the radius a run uses (``algorithm.radius``, or the theory radius when that is 0);
  ``w_star_norm = ‖ω*_θ0‖₂``; ``radius_binds`` is true when ``‖ω*_θ0‖₂ ≥`` :data:`BIND_FRACTION` ``· radius``:
  the projection is then close to cutting the critic's target off at the start of the run.
- ``mu_condition``, ``mu_forward_error``: the 1-norm condition number of the μ_θ solve and the estimated
  relative L1 forward error of μ_θ (``exact.stationary_accuracy``; a ``ConditioningWarning`` above 1e-6).
  A nearly decomposable (slowly mixing) chain has a tiny residual and yet a large forward error.
- ``n_states``, ``n_actions``, ``feature_dim``.

Step sizes (when ``c_alpha`` is known: a config's ``algorithm.c_alpha``, or the ``c_alpha`` argument), from the
start of a run, ``θ_0 = 0``, ``ω_0 = 0`` and ``α_0 = c_α``. With ``ω_0 = 0`` the first TD errors are the
rewards, so the first actor updates ``α_k r ψ_0(ŝ, â)`` ascend the immediate reward, not ``J``:

- ``one_update_logit_step`` ``Δ_1 = c_α · r_max · G`` bounds how far one first update moves the logit gap
  between two actions of any state: ``G = 1`` for the tabular actor (the update raises the sampled logit by
  ``(1 − 1/nA) α_0 r`` and lowers the others by ``α_0 r / nA``), ``G = 2 max_{s,b} ‖f(s, b) − f̄(s)‖₂²`` for a
  linear one (``f̄(s)`` the mean feature of ``s``; Cauchy–Schwarz). ``one_update_max_prob``
  ``p_1 = e^{Δ_1} / (e^{Δ_1} + nA − 1)``: no action can have a larger probability after that update, and
  (tabular) the sampled action of the largest ``|r|`` has it. **Warning** when ``p_1 ≥``
  :data:`SATURATION_PROB`: one sample makes its state's choice nearly deterministic before the critic has
  learned anything.
- ``J_startup = J(π_s)``, ``θ_s = c_α Σ_{s,a} r̄(s, a) ψ_0(s, a)``: one such first update for every
  state-action pair, with its mean reward (tabular: ``π_s(·|s) ∝ exp(c_α r̄(s, ·))``).
  ``startup_share = (J(π_s) − J0) / (J(π_g) − J0)``, the share of the greedy policy's change in ``J`` that
  these start-up steps already make. **Warning** when ``myopia < 0`` (the greedy-reward policy is a trap)
  and ``startup_share ≥`` :data:`TRAP_SHARE`: the first steps land in a policy that the greedy trap explains.
  On the 6-state trap chain (one-hot critic) ``startup_share`` is 0.15 at c_α = 1, 0.40 at 3, 0.88 at 10 and
  1.01 at 30, and ``p_1`` 0.75, 0.964, 0.99998 and 1 − 5e-15.

Eigenvalues: dense ``numpy.linalg.eigvals`` up to :data:`EIG_DENSE_MAX_STATES` states. Above, ARPACK
(``scipy.sparse.linalg.eigs``, relative tolerance :data:`ARPACK_TOL`) finds the largest-modulus eigenvalues
of the deflated operator ``P_π − 1μ_θᵀ``, whose spectrum is ``{0} ∪ {λ_i(P_π), i ≥ 2}`` (Brauer again, with
``μ_θᵀ1 = 1``). On a fast-mixing random garnet many eigenvalues share nearly the top modulus, so that
value is only good to a few per cent (10⁴-state garnet: 0.191 at this tolerance, 0.192 at 1e-10, which
took 12 s); the mixing time ~1.2 steps is unaffected. When ARPACK does not converge within
:data:`ARPACK_MAX_RESTARTS` restarts (slowly mixing rings, whose top eigenvalues cluster near the unit
circle), ``|λ₂|`` is estimated by the power method on the deflated operator, as the geometric mean growth
``exp(mean_t log ‖A x_t‖)`` over the second half of :data:`POWER_STEPS` normalised steps: a lower
estimate whose error shrinks like 1/POWER_STEPS (``eig_method = "power"``; on a 1000-state drift ring it
gave 0.99965 after 2000 steps against 0.99992 dense, so there read the mixing time as a lower bound).
"""

import itertools
import math
import time
from dataclasses import asdict, dataclass, replace

import numpy as np
import scipy.sparse.linalg as sla

from .. import exact
from ..errors import ValidationError
from ..problem import Problem

EIG_DENSE_MAX_STATES = 1000
"""Dense eigenvalues up to this many states (a 1000×1000 non-symmetric eig takes ~1 s here), ARPACK above."""

ARPACK_TOL = 1e-4
ARPACK_MAX_RESTARTS = 300
POWER_STEPS = 5000
"""ARPACK's relative tolerance and restart limit; steps of the power-method fallback (module docstring)."""

BIND_FRACTION = 0.5
"""``radius_binds`` when ``‖ω*_θ0‖₂`` reaches this fraction of the radius."""

MYOPIA_WARNING = 0.9
"""``discrimination_warning`` fires when every instance of a speedup study has myopia at least this."""

SATURATION_PROB = 0.99
"""Step-size warning: one update can give an action at least this probability (module docstring)."""

TRAP_SHARE = 0.5
"""Step-size warning: on a trap (myopia < 0), the start-up steps make at least this share of the greedy
policy's loss in J (module docstring)."""

GAP_TOL = 1e-12
OPTIMAL_ACTION_TOL = 1e-9


@dataclass(frozen=True)
class Diagnostics:
    """The numbers of the module docstring; :meth:`to_dict` gives the JSON form (non-finite → None)."""

    J0: float
    J_star: float
    J_greedy: float
    myopia: float
    greedy_optimal_fraction: float
    lambda2_critic: float
    mixing_time_critic: float
    lambda2_actor: float
    mixing_time_actor: float
    tv_mu_d: float
    eps_app: float
    max_eig_sym_A: float
    theory_radius: float | None
    radius: float | None
    w_star_norm: float
    radius_binds: bool | None
    mu_condition: float
    mu_forward_error: float
    n_states: int
    n_actions: int
    feature_dim: int
    eig_method: str
    seconds: float
    c_alpha: float | None = None
    one_update_logit_step: float | None = None
    one_update_max_prob: float | None = None
    J_startup: float | None = None
    startup_share: float | None = None

    def to_dict(self) -> dict:
        return json_ready(self)


def json_ready(record) -> dict:
    """A diagnostics dataclass as a dict for JSON: every non-finite float becomes None."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(record).items()}


def second_eigenvalue_modulus(P_pi, mu: np.ndarray) -> tuple[float, str]:
    """``|λ₂(P_π)|`` and the method used (module docstring). ``mu`` is ``μ_θ``, used only for the deflation."""
    n = P_pi.shape[0]
    if n <= EIG_DENSE_MAX_STATES:
        dense = P_pi.toarray() if hasattr(P_pi, "toarray") else np.asarray(P_pi)
        moduli = np.sort(np.abs(np.linalg.eigvals(dense)))[::-1]
        return float(min(moduli[1], 1.0)), "dense"
    ones = np.ones(n)

    def apply(x):
        return P_pi @ x - ones * (mu @ x)

    deflated = sla.LinearOperator((n, n), matvec=apply, dtype=np.float64)
    try:
        values = sla.eigs(deflated, k=2, which="LM", tol=ARPACK_TOL, ncv=30, maxiter=ARPACK_MAX_RESTARTS,
                          return_eigenvectors=False)
        return float(min(np.abs(values).max(), 1.0)), "arpack"
    except sla.ArpackNoConvergence:
        pass
    x = np.random.default_rng(0).normal(size=n)
    logs = np.empty(POWER_STEPS)
    for t in range(POWER_STEPS):
        x = apply(x)
        norm = np.linalg.norm(x)
        logs[t] = math.log(norm)
        x /= norm
    return float(min(math.exp(logs[POWER_STEPS // 2:].mean()), 1.0)), "power"


def _deterministic(actions: np.ndarray, n_actions: int) -> np.ndarray:
    table = np.zeros((actions.size, n_actions))
    table[np.arange(actions.size), actions] = 1.0
    return table


def _mixing_time(lam2: float) -> float:
    return math.inf if lam2 >= 1.0 else 1.0 / (1.0 - lam2)


def diagnose(cfg_or_problem, radius: float | None = None, c_alpha: float | None = None) -> Diagnostics:
    """Diagnostics of a :class:`~a3c_theory.problem.Problem` or a :class:`~a3c_theory.config.Config` at
    ``θ_0 = 0``. ``radius`` and ``c_alpha`` (a Problem only) are the projection radius and actor step size
    constant a run would use; default the theory radius, and no step-size numbers. A config takes them from
    ``algorithm.radius`` (0 = theory radius) and ``algorithm.c_alpha``. A config of ``problem.kind = "lqr"``
    gets :func:`a3c_theory.lqr.diagnose.diagnose_lqr` (an ``LQRDiagnostics``: no myopia, no mixing of a
    finite chain)."""
    start = time.perf_counter()
    if isinstance(cfg_or_problem, Problem):
        problem = cfg_or_problem
    else:
        from ..config import build_problem

        problem = build_problem(cfg_or_problem)
        if cfg_or_problem.problem.kind == "lqr":
            from ..lqr.diagnose import diagnose_lqr

            return diagnose_lqr(problem, cfg_or_problem.algorithm.radius)
        radius = cfg_or_problem.algorithm.radius or None
        c_alpha = cfg_or_problem.algorithm.c_alpha
    if radius is not None and not radius > 0:
        raise ValidationError("radius", f"must be > 0, got {radius!r}")
    mdp, Phi, policy = problem.mdp, problem.critic_features, problem.policy
    theta = np.zeros(policy.dim)
    pi = policy.probabilities(theta)
    states = np.arange(mdp.n_states)
    with exact.single_thread_blas():
        J0 = exact.objective(mdp, pi)
        Q_star = exact.q_values(mdp, pi, V=exact.optimal_value(mdp))  # V* by policy iteration, once
        J_star = exact.objective(mdp, _deterministic(Q_star.argmax(axis=1), mdp.n_actions))
        greedy_actions = mdp.expected_reward().argmax(axis=1)
        J_greedy = exact.objective(mdp, _deterministic(greedy_actions, mdp.n_actions))
        gap = J_star - J0
        myopia = (J_greedy - J0) / gap if gap > GAP_TOL * max(1.0, abs(J_star)) else math.nan
        best = Q_star.max(axis=1)
        chosen = Q_star[states, greedy_actions]
        optimal_fraction = float(np.mean(chosen >= best - OPTIMAL_ACTION_TOL * np.abs(Q_star).max()))

        P_pi = exact.policy_transition(mdp, pi)
        mu = exact.stationary_distribution(mdp, pi)
        d = exact.discounted_visitation(mdp, pi)
        lam2, eig_method = second_eigenvalue_modulus(P_pi, mu)
        A, _ = exact.critic_matrices(mdp, Phi, pi, mu=mu)
        max_eig = float(np.linalg.eigvalsh(0.5 * (A + A.T))[-1])
        w_norm = float(np.linalg.norm(exact.td_fixed_point(mdp, Phi, pi)))
        eps_app = exact.approximation_error(mdp, Phi, pi)
        accuracy = exact.stationary_accuracy(mdp, pi)  # warns (ConditioningWarning) above 1e-6
        try:
            R_theory = exact.theory_radius(problem, theta)
        except ValidationError:
            R_theory = None
        startup = {} if c_alpha is None else start_up(problem, c_alpha, J0, J_greedy)
    radius = radius if radius is not None else R_theory
    lam2_actor = mdp.gamma * lam2
    return Diagnostics(
        J0=J0, J_star=J_star, J_greedy=J_greedy, myopia=float(myopia), greedy_optimal_fraction=optimal_fraction,
        lambda2_critic=lam2, mixing_time_critic=_mixing_time(lam2),
        lambda2_actor=lam2_actor, mixing_time_actor=_mixing_time(lam2_actor),
        tv_mu_d=float(0.5 * np.abs(mu - d).sum()), eps_app=eps_app, max_eig_sym_A=max_eig,
        theory_radius=R_theory, radius=radius, w_star_norm=w_norm,
        radius_binds=None if radius is None else bool(w_norm >= BIND_FRACTION * radius),
        mu_condition=float(accuracy["condition_l1"]), mu_forward_error=float(accuracy["forward_error_estimate"]),
        n_states=mdp.n_states, n_actions=mdp.n_actions, feature_dim=problem.critic_dim,
        eig_method=eig_method, seconds=time.perf_counter() - start, **startup,
    )


def start_up(problem: Problem, c_alpha: float, J0: float, J_greedy: float) -> dict:
    """The step-size numbers of the module docstring at ``c_α = c_alpha``: ``c_alpha``,
    ``one_update_logit_step``, ``one_update_max_prob``, ``J_startup``, ``startup_share`` (NaN when
    ``J(π_g) = J0``). ``J0``, ``J_greedy``: ``J(θ_0)`` and the greedy-reward policy's ``J``."""
    if not c_alpha > 0:
        raise ValidationError("c_alpha", f"must be > 0, got {c_alpha!r}")
    mdp, policy = problem.mdp, problem.policy
    theta0 = np.zeros(policy.dim)
    if policy.is_tabular:
        spread = 1.0
    else:
        centred = policy.actor_features - policy.actor_features.mean(axis=1, keepdims=True)
        spread = 2.0 * float(np.max(np.einsum("sbd,sbd->sb", centred, centred)))
    step = c_alpha * float(np.abs(mdp.reward).max(initial=0.0)) * spread
    max_prob = 1.0 / (1.0 + (mdp.n_actions - 1) * math.exp(-step))
    pi0 = policy.probabilities(theta0)
    J_startup = exact.objective(mdp, policy.probabilities(c_alpha * policy.score_sum(theta0, mdp.expected_reward(),
                                                                                     pi0)))
    loss = J_greedy - J0
    share = (J_startup - J0) / loss if abs(loss) > GAP_TOL * max(1.0, abs(J0)) else math.nan
    return dict(c_alpha=float(c_alpha), one_update_logit_step=step, one_update_max_prob=max_prob,
                J_startup=float(J_startup), startup_share=float(share))


def step_size_warnings(d) -> list[str]:
    """The warnings of the module docstring for :class:`Diagnostics` ``d`` (none without ``c_alpha``)."""
    if d.c_alpha is None:
        return []
    out = []
    if d.one_update_max_prob >= SATURATION_PROB:
        out.append(f"warning: at c_alpha = {d.c_alpha:g} one actor update can give an action probability "
                   f"{d.one_update_max_prob:.6g} (from 1/{d.n_actions}; logit step c_alpha * r_max * G = "
                   f"{d.one_update_logit_step:.3g}): single samples fix the policy before the critic learns; "
                   "consider a smaller algorithm.c_alpha")
    if d.myopia < 0 and d.startup_share >= TRAP_SHARE:
        out.append(f"warning: at c_alpha = {d.c_alpha:g} the first updates (critic at 0, so they follow the "
                   f"immediate reward) already make {d.startup_share:.0%} of the greedy trap's loss in J "
                   f"({_fmt(d.J0)} -> {_fmt(d.J_startup)}; greedy policy {_fmt(d.J_greedy)}): runs can fall "
                   "into the trap; consider a smaller algorithm.c_alpha")
    return out


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if math.isfinite(value) else ("n/a" if math.isnan(value) else "inf")
    return str(value)


EPS_APP_FLOOR = 1e-12
"""ε_app and TV(μ, d) below this are rounding of the solves (one-hot features give ε_app 1e-18 to 1e-15, and a
chain whose μ_θ equals d_θ a TV of 1e-17 to 1e-16, by machine and BLAS kernel): they are printed as ``< 1e-12``,
never as a digit string that changes from one machine to the next."""


def format_eps_app(value, digits: int = 4) -> str:
    """ε_app (or TV(μ, d)) for print: ``< 1e-12`` below :data:`EPS_APP_FLOOR`, else ``digits`` significant digits."""
    return f"< {EPS_APP_FLOOR:g}" if value is not None and 0 <= value < EPS_APP_FLOOR else _fmt(value, digits)


def summary_line(d, label: str | None = None) -> str:
    """The one-line form of an instance's diagnostics, used wherever one line is printed (reproduce, study
    reports, sweeps, the studies' claims): ``[label: ]myopia …, |λ2| critic … / actor …, TV(μ, d) …,
    ε_app …`` (3 significant digits). ``d``: a :class:`Diagnostics`, its :meth:`~Diagnostics.to_dict`, or any
    mapping with those keys (a row of a diagnostics table); a missing or non-finite value reads n/a. An
    ``LQRDiagnostics`` gets :func:`a3c_theory.lqr.diagnose.lqr_summary_line`."""
    from ..lqr.diagnose import LQRDiagnostics, lqr_summary_line

    if isinstance(d, LQRDiagnostics):
        return (f"{label}: " if label else "") + lqr_summary_line(d)
    if isinstance(d, Diagnostics):
        d = asdict(d)
    else:
        d = dict(d)

    def g(key):
        v = d.get(key)
        return "n/a" if v is None or not np.isfinite(v) else f"{v:.3g}"
    return ((f"{label}: " if label else "")
            + f"myopia {g('myopia')}, |λ2| critic {g('lambda2_critic')} / actor {g('lambda2_actor')}, "
            f"TV(μ, d) {format_eps_app(d.get('tv_mu_d'), 3)}, ε_app {format_eps_app(d.get('eps_app'), 3)}")


def format_report(diag: Diagnostics) -> str:
    """The human-readable report: one line per number, with what it means."""
    d = diag
    lines = [
        f"instance: {d.n_states} states, {d.n_actions} actions, critic feature dimension {d.feature_dim}",
        f"J(theta_0)                 {_fmt(d.J0)}",
        f"J*                         {_fmt(d.J_star)}",
        f"myopia                     {_fmt(d.myopia)}   (share of J* - J0 closed by argmax_a r(s,a); "
        "1 = contextual bandit, < 0 = trap)",
        f"greedy optimal in          {_fmt(d.greedy_optimal_fraction)} of states",
        f"|lambda2| critic chain     {_fmt(d.lambda2_critic)}   (mixing time ~ {_fmt(d.mixing_time_critic)} steps)",
        f"|lambda2| actor chain      {_fmt(d.lambda2_actor)}   (mixing time ~ {_fmt(d.mixing_time_actor)} steps)",
        f"TV(mu, d)                  {format_eps_app(d.tv_mu_d)}   (how different Markovian and discounted sampling are)",
        f"eps_app                    {format_eps_app(d.eps_app)}",
        f"max eig sym(A)             {_fmt(d.max_eig_sym_A)}   (the theory needs < 0)",
        f"mu forward error (est.)    {_fmt(d.mu_forward_error)}   (condition number {_fmt(d.mu_condition)}; "
        "a tiny residual does not make mu accurate when this is large)",
        f"theory radius              {_fmt(d.theory_radius)}",
        f"radius used                {_fmt(d.radius)}   (||w*_theta0|| = {_fmt(d.w_star_norm)}, "
        f"projection may bind: {_fmt(d.radius_binds)})",
    ]
    if d.c_alpha is not None:
        lines.append(f"first updates at c_alpha {_fmt(d.c_alpha)}: one update gives an action up to probability "
                     f"{_fmt(d.one_update_max_prob, 6)}; start-up policy J {_fmt(d.J_startup)} "
                     f"({_fmt(d.startup_share, 3)} of the greedy policy's change)")
    if d.myopia >= MYOPIA_WARNING:
        lines.append(f"warning: myopia >= {MYOPIA_WARNING}: a speedup study on this instance cannot discriminate")
    lines += step_size_warnings(d)
    lines.append(f"({d.eig_method} eigenvalues, {d.seconds:.2f} s)")
    return "\n".join(lines)


def discrimination_warning(diagnostics_list) -> str | None:
    """One line when a verdict-drawing study uses only instances with ``myopia ≥`` :data:`MYOPIA_WARNING`
    (a NaN myopia — no gap to close — counts as myopic), else None. Accepts Diagnostics or their dicts. Myopia
    is a finite-MDP notion: a list with a linear-quadratic instance (no ``myopia``) gets no warning."""
    if any(not isinstance(d, dict) and not hasattr(d, "myopia") for d in diagnostics_list):
        return None
    values = [d["myopia"] if isinstance(d, dict) else d.myopia for d in diagnostics_list]
    values = [math.nan if v is None else v for v in values]
    if not values or not all(math.isnan(v) or v >= MYOPIA_WARNING for v in values):
        return None
    shown = ", ".join(_fmt(v, 3) for v in values)
    return (f"warning: every instance of this study has myopia >= {MYOPIA_WARNING} ({shown}): the greedy-reward "
            "policy nearly solves it, so its speedup verdicts cannot discriminate (see `a3c-theory diagnose`)")


def sweep_diagnostics(base_config: dict, grid: dict) -> list[str]:
    """Lines a sweep prints before it runs: one per distinct instance of the grid (its myopia, mixing and
    TV); the :func:`step_size_warnings` of each instance at each ``algorithm.c_alpha`` of the grid (or of the
    base config); and, when the sweep varies ``run.workers`` (a speedup study), :func:`discrimination_warning`."""
    from ..config import build_problem, from_dict

    problem_axes = {key: values for key, values in grid.items() if key.startswith("problem.")}
    lines, found = [], []
    for values in itertools.product(*problem_axes.values()):
        config = {section: dict(keys) for section, keys in base_config.items()}
        for key, value in zip(problem_axes, values):
            config.setdefault("problem", {})[key.split(".", 1)[1]] = value
        cfg = from_dict(config)
        problem = build_problem(cfg)
        where = ", ".join(f"{key}={value}" for key, value in zip(problem_axes, values)) or "instance"
        if cfg.problem.kind == "lqr":  # no myopia or step-size start-up numbers: a3c_theory.lqr.diagnose
            from ..lqr.diagnose import diagnose_lqr, lqr_summary_line

            lines.append(f"{where}: " + lqr_summary_line(diagnose_lqr(problem, cfg.algorithm.radius)))
            continue
        diag = diagnose(problem, radius=cfg.algorithm.radius or None)
        found.append(diag)
        lines.append(summary_line(diag, where))
        for c_alpha in grid.get("algorithm.c_alpha", [cfg.algorithm.c_alpha]):
            checked = from_dict({**config, "algorithm": {**config.get("algorithm", {}), "c_alpha": c_alpha}})
            at_c = replace(diag, **start_up(problem, checked.algorithm.c_alpha, diag.J0, diag.J_greedy))
            lines += [f"warning: {where}: {line.removeprefix('warning: ')}" for line in step_size_warnings(at_c)]
    warning = discrimination_warning(found) if "run.workers" in grid and found else None
    return lines + ([warning] if warning else [])


def diagnostics_table(configs):
    """A DataFrame of the diagnostics at θ_0 (:func:`diagnose`) of each distinct problem in ``configs`` (run
    configs as nested dicts), one row per problem with the problem keys that tell instances apart."""
    import pandas as pd

    from ..config import from_dict

    rows, seen = [], set()
    for base in configs:
        key = tuple(sorted(base["problem"].items()))
        if key in seen:
            continue
        seen.add(key)
        d = diagnose(from_dict(base))
        rows.append({"instance": base["problem"]["kind"], "n_states": d.n_states, "n_actions": d.n_actions,
                     "myopia": d.myopia, "lambda2_critic": d.lambda2_critic, "lambda2_actor": d.lambda2_actor,
                     "tv_mu_d": d.tv_mu_d, "eps_app": d.eps_app, "J0": d.J0, "J_star": d.J_star,
                     **{f"problem.{k}": v for k, v in base["problem"].items()
                        if k in ("restart", "slip", "gamma", "map_name", "critic_features", "n_states", "locality")}})
    return pd.DataFrame(rows)
