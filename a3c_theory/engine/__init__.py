"""The compiled A3C-TD(0) engine (numba code lives here and, for CartPole, in ``a3c_theory.envs``).

- :mod:`.equations`: the update equations as scalar helpers; :mod:`.rng`: inline xoshiro256+ streams;
  :mod:`.samplers`: per-sample primitives and the one-sample estimators; :mod:`.kernels`: update
  application, simulated-delay and synchronous loops; :mod:`.delays`: delay schedules and compute-time
  models; :mod:`.run_setup`: initial state, seeds, run metadata and the per-environment
  ``EnvKernels``; :mod:`.runner`, :mod:`.threads`: the Python drivers; :mod:`.targets`: online hitting
  times (checks, and the fine grid of a bracket searched on copies the kernels take), with :mod:`.small_exact`'s compiled ``J(θ)`` for small instances.
- linear-quadratic problems (``problem.kind = "lqr"``, Gaussian policies): :mod:`.lqr_samplers` (Gaussian
  score, quadratic features, exact μ_K / d_K draws), :mod:`.lqr_setup` (initial gain, option-1 laws, the
  instability check); CartPole: :mod:`.cartpole_samplers`, :mod:`.cartpole_setup`. Both run the loops that
  :mod:`.continuous_kernels` builds from their sampler module and start as :mod:`.continuous_setup` says. The
  drivers, schedules, recorder and metadata are shared.

``run(cfg) -> Trace`` runs a validated :class:`a3c_theory.config.Config`; ``warm_up()`` compiles (or
loads from numba's cache) every kernel.

Equation index (where each equation of the paper's algorithm and analysis is computed):

<!-- equation-index:start -->
| equation (paper, Algorithm 1 and its analysis) | where |
|---|---|
| TD error `δ(x, ω) = r + γφ(s')ᵀω − φ(s)ᵀω` (n-step: `Σ_{i<n} γ^i r_{i+1} + γ^n φ(s_n)ᵀω − φ(s)ᵀω`) | `a3c_theory.engine.equations.td_error`; in the kernels `a3c_theory.engine.samplers.nstep_target` and `a3c_theory.engine.samplers.draw_update` |
| critic step `ω_{k+1} = Π_R(ω_k + β_k δ φ(s))` | `a3c_theory.engine.equations.critic_step`, applied by `a3c_theory.engine.kernels.add_update` |
| actor step `θ_{k+1} = θ_k + α_k (δ̂ ψ_θ(ŝ, â) + λ ψ_θ(s^p, a^p))` | `a3c_theory.engine.equations.actor_coefficient` (coefficients of `v`, in `a3c_theory.engine.samplers.draw_update`), applied by `a3c_theory.engine.kernels.add_update` |
| score `ψ_θ(s, a) = Σ_b (1[b = a] − π_θ(b│s)) f(s, b)` | `a3c_theory.policy.SoftmaxPolicy.score` |
| projection `Π_R(ω) = ω · min(1, R / ‖ω‖₂)` | `a3c_theory.engine.kernels.project` |
| delayed update: computed from `(θ, ω)_{k−τ_k}`, added to `(θ, ω)_k` | `a3c_theory.engine.equations.delayed_apply`; schedules of `τ_k`: `a3c_theory.engine.delays.make_schedule`; loop: `a3c_theory.engine.kernels.simulated_chunk` |
| step sizes `α_k = c_α/(1+k)^{σ_α}`, `β_k = c_β/(1+k)^{σ_β}` | `a3c_theory.engine.kernels.step_sizes` |
| sampling: option 1 (`s ~ μ_θ`, `ŝ ~ d_θ`), option 2 (chains; actor kernel `γP + (1−γ)η`) | `a3c_theory.engine.samplers.draw_update`, `a3c_theory.engine.samplers.restart_or_follow` |
| A2C rounds (averaged synchronous update) | `a3c_theory.engine.kernels.sync_chunk` |
| `P_π`, `r_π` | `a3c_theory.exact.policy_transition`, `a3c_theory.exact.policy_reward` |
| `μ_θ` (stationary law of `P_π`) | `a3c_theory.exact.stationary_distribution` |
| `d_θᵀ = (1−γ) ηᵀ (I − γP_π)^{-1}` | `a3c_theory.exact.discounted_visitation` |
| `V`, `Q`, `Adv = Q − V` | `a3c_theory.exact.value`, `a3c_theory.exact.q_values`, `a3c_theory.exact.advantage` |
| `J(θ) = (1−γ) ηᵀV` | `a3c_theory.exact.objective` |
| `∇J(θ) = E_{s~d_θ, a~π_θ}[ψ_θ(s, a) Adv(s, a)]` | `a3c_theory.exact.policy_gradient` |
| `R(θ)`, `∇R(θ)`, `J_λ = J + λR`, `∇J_λ` | `a3c_theory.exact.regulariser`, `a3c_theory.exact.regulariser_gradient`, `a3c_theory.exact.regularised_objective`, `a3c_theory.exact.regularised_gradient` |
| `J* = max_π J` | `a3c_theory.exact.optimal_objective` |
| `A_θ = Φᵀ D_μ (γP_π − I) Φ`, `b_θ = Φᵀ D_μ r_π` | `a3c_theory.exact.critic_matrices` |
| `ω*_θ = −A_θ^{-1} b_θ`, `ε_app(θ)` | `a3c_theory.exact.td_fixed_point`, `a3c_theory.exact.approximation_error` |
| `E[g] = A_θω + b_θ`, `E[v]` | `a3c_theory.exact.critic_direction_mean`, `a3c_theory.exact.actor_direction_mean` |
| `R_ω = r_max / λ_min(−A_θ)` | `a3c_theory.exact.theory_radius` |
| all metrics at once along a run | `a3c_theory.exact.Evaluator.metrics` (the same private functions), `a3c_theory.evaluate.evaluate` |
| the whole algorithm in readable NumPy (spec, test oracle, bench baseline) | `a3c_theory.reference.run_async`, `a3c_theory.reference.run_sync` |
| speedup (paper eq. 1) `T(1) / (T(N)/N)` | `a3c_theory.studies.time_to_target.compare` |
| linear-quadratic problems (issue 17): Gaussian score `ψ_K(x, u) = −(u + Kx)xᵀ/σ²`, `v = δ̂ ψ_K(x̂, û)`, `g = δ φ(x)` with `φ(x) = [svec(xxᵀ); 1]`, KL prior `∇R(K) = −(K − K_p)Σ_0/σ²` in closed form | `a3c_theory.engine.lqr_samplers.draw_update`, applied by `a3c_theory.engine.lqr_samplers.add_update` |
| linear-quadratic sampling: option 1 (`x ~ μ_K = N(0, Σ_K)`, `x̂ ~ d_K` exactly), option 2 (chains; actor kernel `γP + (1−γ)η`) | `a3c_theory.engine.lqr_samplers.draw_update`, `a3c_theory.engine.lqr_samplers.visitation_draw`, `a3c_theory.engine.lqr_samplers.restart_or_follow`; laws `a3c_theory.engine.lqr_setup.LQRSamplingLaws` |
| instability `ρ(A − BK) ≥ 1`: outcome "diverged at k" | `a3c_theory.engine.lqr_setup.lqr_env_kernels` |
<!-- equation-index:end -->
"""

from .cache import install as _install_cache_locators

_install_cache_locators()  # before any kernel module is imported: the cache follows every engine source

from .runner import run  # noqa: E402

__all__ = ["run", "warm_up"]


def warm_up() -> None:
    """Compile or load every kernel signature the engine uses: tabular and linear actors, i.i.d. and
    Markovian sampling, exogenous and event-driven schedules, sync rounds, Hogwild threads, the estimator loop,
    the targets' compiled ``J``; and the same loops on a linear-quadratic problem."""
    import numpy as np

    from .. import config
    from .samplers import IID, problem_arrays, update_means

    tiny = {"problem": {"n_states": 4, "n_actions": 2, "feature_dim": 2}, "algorithm": {"radius": 10.0},
            "run": {"samples": 8, "snapshots": 2}}
    variants = [
        {},
        {"run": {"delay": "exponential", "workers": 2}},
        {"run": {"mode": "sync", "workers": 2}, "targets": {"gap": [0.5]}},
        {"problem": {"actor": "linear", "actor_dim": 3}, "algorithm": {"sampling": "markov"}},
        {"problem": {"actor": "linear", "actor_dim": 3}, "run": {"mode": "sync", "delay": "straggler"}},
        {"run": {"mode": "threads", "workers": 2, "batch": 4}},
        {"problem": {"actor": "linear", "actor_dim": 3}, "algorithm": {"sampling": "markov"},
         "run": {"mode": "threads", "workers": 2}},
    ]
    for extra in variants:
        merged = {section: {**tiny.get(section, {}), **extra.get(section, {})} for section in config.SCHEMA}
        cfg = config.from_dict(merged)
        run(cfg, progress=False)
        if extra.get("algorithm", {}).get("sampling") != "markov":
            problem = config.build_problem(cfg)
            update_means(problem_arrays(problem), np.zeros(problem.policy.dim), np.zeros(problem.critic_dim),
                         IID, 1, np.ones((1, 4), np.uint64), 1, 1, 0)
    _warm_up_lqr()


def _warm_up_lqr() -> None:
    """The linear-quadratic loops (``continuous_kernels.loops(lqr_samplers)``) and their estimator loop."""
    import numpy as np

    from .. import config
    from .lqr_samplers import lqr_arrays, update_means
    from .samplers import IID

    tiny = {"problem": {"kind": "lqr", "state_dim": 2, "action_dim": 1},
            "algorithm": {"radius": 10.0, "c_alpha": 1e-3, "c_beta": 1e-3}, "run": {"samples": 8, "snapshots": 2}}
    for section, extra in (("run", {}), ("run", {"mode": "sync", "workers": 2}),
                           ("run", {"mode": "threads", "workers": 2})):
        cfg = config.from_dict({**tiny, section: {**tiny[section], **extra}})
        run(cfg, progress=False)
    problem = config.build_problem(cfg)
    update_means(lqr_arrays(problem), problem.K0, np.zeros(4), IID, np.ones((1, 4), np.uint64), 1, 1, 0)
