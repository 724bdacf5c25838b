"""The engine on linear-quadratic problems (engine/lqr_samplers.py, lqr_setup.py; loops of continuous_kernels.py):
delayed updates against a plain-NumPy reference fed the same xoshiro streams, the modes against each other bit for
bit, the instability outcome, ``a3c-theory run`` end to end, and the acceptance check of issue 17: J(K0) and
‖∇J(K0)‖² of an unseen .npz file, computed here independently (plain NumPy, not a3c_theory.lqr.exact),
against row k = 0 of metrics.csv to 1e-8 relative. Unbiasedness of the sampled directions:
tests/test_lqr_samplers.py."""

import math

import numpy as np
import pandas as pd
import pytest

from a3c_theory import cli, config, divergence
from a3c_theory.engine import lqr_setup, run
from a3c_theory.engine.rng import seed_states
from a3c_theory.errors import ValidationError
from a3c_theory.engine.run_setup import prepare_run
from a3c_theory.lqr import critic, exact
from a3c_theory.pipeline import run_one
from a3c_theory.reference import XoshiroPlus, constant_schedule


def _cfg(run=None, algorithm=None, problem=None):
    base = {"problem": {"kind": "lqr", "state_dim": 3, "action_dim": 2, "seed": 4, "noise_scale": 0.3},
            "algorithm": {"radius": 50.0, "c_alpha": 0.0005, "c_beta": 0.01, "refresh": 1},
            "run": {"samples": 200, "snapshots": 201}}
    for section, extra in (("run", run), ("algorithm", algorithm), ("problem", problem)):
        base[section].update(extra or {})
    return config.from_dict(base)


# ----------------------------------------------------------------------------- plain-NumPy reference
class _Normals:
    """``rng.standard_normal`` of the engine on a :class:`XoshiroPlus` stream (Box–Muller, one of the pair)."""

    def __init__(self, state):
        self.rng = XoshiroPlus(state)

    def uniform(self):
        return self.rng.uniform()

    def normals(self, size):
        out = np.empty(size)
        for i in range(size):
            u1, u2 = self.rng.uniform(), self.rng.uniform()
            out[i] = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
        return out


def _reference_run(problem, alg, schedule, states):
    """A3C on ``problem`` with ``schedule[k] = (worker, r_k)``: the issue's update written out in NumPy, drawing
    the engine's normals and uniforms in the engine's order (lqr_samplers docstring). Option-1 laws are exact
    at the parameters read (refresh 1). Returns every K_k (flattened) and ω_k."""
    n, m, g, sig = problem.state_dim, problem.action_dim, problem.gamma, problem.sigma
    root0, W_root = exact.psd_sqrt(problem.Sigma0), exact.psd_sqrt(problem.W)
    rngs = [_Normals(s) for s in states]
    chains = {}
    for i, rng in enumerate(rngs):
        chains["critic", i] = root0 @ rng.normals(n)
        chains["actor", i] = root0 @ rng.normals(n)

    def step(x, K, rng):
        u = -K @ x + sig * rng.normals(m)
        nxt = problem.A @ x + problem.B @ u + W_root @ rng.normals(n)
        return u, -(x @ problem.Q @ x + u @ problem.R @ u), nxt

    def restart(nxt, rng):
        return nxt if rng.uniform() < g else root0 @ rng.normals(n)

    thetas, ws = [problem.K0.ravel().copy()], [np.zeros(critic.feature_dim(n))]
    for k, (worker, read) in enumerate(schedule):
        K, w, rng = thetas[read].reshape(m, n), ws[read], rngs[worker]
        samples = []
        for part in range(1 if alg.sampling == "shared" else 2):
            if alg.sampling == "iid" and part == 0:
                x = exact.psd_sqrt(exact.stationary_covariance(problem, K)) @ rng.normals(n)
            elif alg.sampling == "iid":
                x = root0 @ rng.normals(n)
                while rng.uniform() < g:
                    x = step(x, K, rng)[2]
            else:
                x = chains["critic" if part == 0 else "actor", worker]
            u, r, nxt = step(x, K, rng)
            delta = r + g * critic.features(nxt) @ w - critic.features(x) @ w
            samples.append((x, u, delta))
            if alg.sampling == "markov" and part == 0:
                chains["critic", worker] = nxt
            elif alg.sampling == "markov" or alg.sampling == "shared":
                chains["actor" if part else "critic", worker] = restart(nxt, rng)
        (x, _, delta), (xh, uh, delta_h) = samples[0], samples[-1]
        score = -np.outer(uh + K @ xh, xh) / sig ** 2  # ∇_K log N(u; −Kx, σ²I)
        direction = delta_h * score + alg.lam * exact.prior_gradient(problem, K)
        alpha = alg.c_alpha / (1 + k) ** alg.sigma_alpha
        beta = alg.c_beta / (1 + k) ** alg.sigma_beta
        w_new = ws[-1] + beta * delta * critic.features(x)
        norm = np.linalg.norm(w_new)
        ws.append(w_new * min(1.0, alg.radius / norm))
        thetas.append(thetas[-1] + alpha * direction.ravel())
    return np.array(thetas), np.array(ws)


def _states(cfg):
    return seed_states(np.random.SeedSequence(cfg.run.seed).spawn(3)[0], cfg.run.workers)


@pytest.mark.parametrize("run_section, algorithm", [
    ({"delay": "constant", "tau": 3, "workers": 2}, {"sampling": "iid", "lam": 0.3}),
    ({"delay": "constant", "tau": 4, "workers": 1}, {"sampling": "markov", "radius": 5.0}),
    ({"delay": "round_robin", "workers": 3}, {"sampling": "markov", "lam": 0.1}),
    ({"delay": "none", "workers": 2}, {"sampling": "shared"}),
])
def test_delayed_updates_match_the_reference(run_section, algorithm):
    """Update k is drawn from (K, ω) of step max(0, k − τ) and applied to those of step k; the critic radius
    binds in the second case."""
    cfg = _cfg(run=run_section, algorithm=algorithm)
    tau = {"constant": cfg.run.tau, "round_robin": cfg.run.workers - 1, "none": 0}[cfg.run.delay]
    trace = run(cfg, progress=False)
    assert trace.meta["outcome"] == "finished"
    thetas, ws = _reference_run(config.build_problem(cfg), cfg.algorithm,
                                constant_schedule(cfg.run.samples, cfg.run.workers, tau), _states(cfg))
    np.testing.assert_allclose(trace.theta, thetas, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(trace.w, ws, rtol=1e-9, atol=1e-11)
    if cfg.algorithm.radius == 5.0:
        assert trace.meta["projections"] > 0


def test_reference_check_detects_a_wrong_delay():
    """Power check: the same run against a reference one step less stale does not match."""
    cfg = _cfg(run={"delay": "constant", "tau": 3, "workers": 1}, algorithm={"sampling": "markov"})
    trace = run(cfg, progress=False)
    thetas, _ = _reference_run(config.build_problem(cfg), cfg.algorithm, constant_schedule(200, 1, 2), _states(cfg))
    assert not np.allclose(trace.theta, thetas, rtol=1e-9, atol=1e-11)


# ----------------------------------------------------------------------------- modes against each other
@pytest.mark.parametrize("sampling, lam", [("iid", 0.0), ("markov", 0.2), ("shared", 0.0)])
def test_one_thread_and_one_worker_a2c_match_simulated_mode_bit_for_bit(sampling, lam):
    common = {"run": {"samples": 3000, "snapshots": 20}, "algorithm": {"sampling": sampling, "lam": lam,
                                                                       "refresh": 50}}
    traces = [run(_cfg(run={**common["run"], "mode": mode}, algorithm=common["algorithm"]), progress=False)
              for mode in ("simulated", "threads", "sync")]
    for other in traces[1:]:
        np.testing.assert_array_equal(other.k, traces[0].k)
        np.testing.assert_array_equal(other.theta, traces[0].theta)
        np.testing.assert_array_equal(other.w, traces[0].w)


def test_hogwild_and_event_driven_runs_are_consistent():
    """Two Hogwild threads: an exact counter and every delay recorded; a random-delay simulated run is
    reproducible from its seed."""
    cfg = _cfg(run={"mode": "threads", "workers": 2, "samples": 4000, "snapshots": 10},
               algorithm={"sampling": "markov"})
    trace = run(cfg, progress=False)
    assert trace.meta["counter_final"] == 4000 and trace.meta["counter_error"] == 0
    assert trace.delay_counts.sum() == 4000 and trace.meta["outcome"] == "finished"
    cfg = _cfg(run={"delay": "exponential", "workers": 4, "samples": 2000, "snapshots": 10}, algorithm={"refresh": 50})
    first, second = run(cfg, progress=False), run(cfg, progress=False)
    np.testing.assert_array_equal(first.theta, second.theta)
    assert first.meta["mean_delay"] > 1


def test_run_starts_at_K0_and_records_the_lqr_metadata():
    cfg = _cfg(algorithm={"refresh": 10})
    problem = config.build_problem(cfg)
    trace = run(cfg, progress=False)
    np.testing.assert_array_equal(trace.theta[0], problem.K0.ravel())
    meta = trace.meta
    assert meta["critic_features_used"] == "quadratic [svec(x x^T); 1] (d = 7)" and meta["radius"] == 50.0
    assert meta["sampling_law_bias"]["refreshes"] == 20 and 0 < meta["sampling_law_bias"]["tv_mu_max"] < 1
    assert "upper bounds" in meta["sampling_law_tv"] and meta["rho_K0"] < 1


def test_sampling_law_bounds():
    """The d_K bound from stationary covariances equals the mixture over the direct C_t recursion, and the
    Gaussian bound lies above the exact TV of N(0, 1) and N(0, s²) (density crossing at ±c)."""
    problem = config.build_problem(_cfg())
    K1, K2 = problem.K0, problem.K0 + 0.02
    S1, S2 = exact.stationary_covariance(problem, K1), exact.stationary_covariance(problem, K2)
    t_max = math.ceil(math.log(lqr_setup.TAIL) / math.log(problem.gamma)) - 1
    C1, C2 = exact.visitation_covariances(problem, K1, t_max), exact.visitation_covariances(problem, K2, t_max)
    direct = (1 - problem.gamma) * problem.gamma ** np.arange(t_max + 1) @ lqr_setup.gaussian_tv_bound(C1, C2)
    assert lqr_setup.visitation_tv_bound(problem, K1, S1, K2, S2) == pytest.approx(
        direct + problem.gamma ** (t_max + 1), rel=1e-9)
    for s in (1.01, 1.5, 4.0):
        c = s * math.sqrt(2 * math.log(s) / (s * s - 1))
        tv = math.erf(c / math.sqrt(2)) - math.erf(c / (s * math.sqrt(2)))
        assert tv <= lqr_setup.gaussian_tv_bound(np.eye(1), s * s * np.eye(1)) <= 1
    assert lqr_setup.gaussian_tv_bound(S1, S1) == 0.0


def test_nstep_is_refused():
    with pytest.raises(ValidationError, match="TD\\(0\\)") as err:
        prepare_run(_cfg(algorithm={"sampling": "markov", "n_step": 2}))
    assert err.value.field == "algorithm.n_step"


# ----------------------------------------------------------------------------- instability
def test_a_gain_that_leaves_the_stabilising_set_ends_the_run():
    """Large actor steps push K out of ρ(A − BK) < 1: the run stops at the end of that chunk (snapshots at
    every count here) with the outcome "diverged at k"; no row after it, every reported row is finite."""
    cfg = _cfg(problem={"state_dim": 2, "action_dim": 1, "seed": 0, "noise_scale": 0.1},
               algorithm={"sampling": "shared", "c_alpha": 0.01, "c_beta": 0.05, "radius": 100.0},
               run={"samples": 30, "snapshots": 31})
    result = run_one(cfg)
    problem = config.build_problem(cfg)
    assert result.divergence == divergence.Divergence(6, divergence.UNSTABLE_GAIN)
    assert "left the stabilising set" in result.divergence.message()
    assert list(result.table["k"]) == list(range(6))
    assert np.all(np.isfinite(result.table[["J", "gap", "critic_gap"]].to_numpy()))
    assert all(exact.spectral_radius(problem.closed_loop(th.reshape(1, 2))) < 1 for th in result.trace.theta)


def test_instability_check_names_the_gain_and_non_finite_values():
    setup = prepare_run(_cfg())
    check = setup.kernels.diverged
    assert check(3, setup.theta, setup.w) is None
    assert check(3, 100 * np.ones(6), setup.w) == divergence.Divergence(3, divergence.UNSTABLE_GAIN)
    assert check(3, np.full(6, np.nan), setup.w) == divergence.Divergence(3, "theta")


def test_laws_are_kept_at_an_unstable_gain():
    """A Hogwild refresh can read an unstable K before the divergence check ends the run: no error, the laws
    in use stay."""
    setup = prepare_run(_cfg())
    laws = lqr_setup.LQRSamplingLaws(setup)
    laws.refresh()
    before = setup.arrays.mu_sqrt.copy(), setup.arrays.K_law.copy()
    setup.theta[:] = 100.0
    laws.refresh()
    np.testing.assert_array_equal(setup.arrays.mu_sqrt, before[0])
    np.testing.assert_array_equal(setup.arrays.K_law, before[1])
    assert laws.tv_mu == []


def test_threads_stop_at_an_unstable_gain():
    cfg = _cfg(problem={"state_dim": 2, "action_dim": 1, "seed": 0, "noise_scale": 0.1},
               algorithm={"sampling": "shared", "c_alpha": 0.01, "c_beta": 0.05, "radius": 100.0},
               run={"mode": "threads", "workers": 2, "samples": 100_000, "snapshots": 20})
    trace = run(cfg, progress=False)
    assert trace.meta["outcome"] == "diverged"
    assert trace.meta["diverged_quantity"] in (divergence.UNSTABLE_GAIN, "theta", "w")
    assert trace.k[-1] < 100_000


# ----------------------------------------------------------------------------- the command line, acceptance
def _random_instance_file(path, seed=20261202):
    """An .npz instance the project has never seen: n = 3, m = 2, dense random arrays, a non-zero K0 and K_p."""
    rng = np.random.default_rng(seed)
    n, m = 3, 2
    G = rng.standard_normal((n, n))
    A = 0.8 * G / np.max(np.abs(np.linalg.eigvals(G)))
    B = rng.standard_normal((n, m))

    def spd(k, floor):
        M = rng.standard_normal((k, k))
        return M @ M.T / k + floor * np.eye(k)

    K0 = 0.05 * rng.standard_normal((m, n))
    assert np.max(np.abs(np.linalg.eigvals(A - B @ K0))) < 1
    np.savez(path, A=A, B=B, Q=spd(n, 0.1), R=spd(m, 0.5), W=0.04 * spd(n, 0.0), Sigma0=spd(n, 0.2), K0=K0,
             K_prior=0.1 * rng.standard_normal((m, n)), gamma=np.float64(0.93), sigma=np.float64(0.7))


def _independent_objective(d, K):
    """J(K) from the issue's formulas in plain NumPy (vectorised Lyapunov solve with Kronecker products, no
    a3c_theory code); works on complex K for the complex-step derivative."""
    A, B, Q, R, W, S0, g, s = (d[k] for k in ("A", "B", "Q", "R", "W", "Sigma0", "gamma", "sigma"))
    n = A.shape[0]
    L = A - B @ K
    # P = Q + KᵀRK + γ LᵀPL  ⇔  (I − γ Lᵀ ⊗ Lᵀ) vec P = vec(Q + KᵀRK)  (row-major vec)
    rhs = (Q + K.T @ R @ K).ravel()
    P = np.linalg.solve(np.eye(n * n) - g * np.kron(L.T, L.T), rhs).reshape(n, n)
    b = (g * np.trace(P @ (W + s ** 2 * B @ B.T)) + s ** 2 * np.trace(R)) / (1 - g)
    return -(1 - g) * (np.trace(P @ S0) + b)


def test_acceptance_J_and_gradient_of_an_unseen_file_match_row_zero_of_run(tmp_path):
    """Issue 17 acceptance: independent J(K0), and ‖∇J(K0)‖² by complex-step differentiation of the
    independent J (exact to rounding, no closed-form gradient involved), against metrics.csv row k = 0."""
    path = tmp_path / "unseen.npz"
    _random_instance_file(path)
    toml = tmp_path / "lqr.toml"
    toml.write_text('[problem]\nkind = "lqr"\npath = "unseen.npz"\n\n[algorithm]\nradius = 100.0\n'
                    'c_alpha = 0.001\nc_beta = 0.01\nlam = 0.1\n\n[run]\nsamples = 2000\nsnapshots = 5\n')
    out = tmp_path / "out"
    assert cli.main(["run", str(toml), "--out", str(out), "--no-progress"]) == 0
    row = pd.read_csv(out / "metrics.csv").iloc[0]
    assert row["k"] == 0
    with np.load(path) as data:
        d = {key: data[key] for key in data.files}
    K0 = d["K0"]
    J0 = _independent_objective(d, K0).real
    h = 1e-30
    grad = np.zeros_like(K0)
    for idx in np.ndindex(*K0.shape):
        E = np.zeros_like(K0, dtype=complex)
        E[idx] = 1j * h
        grad[idx] = _independent_objective(d, K0 + E).imag / h
    assert abs(row["J"] - J0) <= 1e-8 * abs(J0)
    assert abs(row["grad_norm_sq"] - np.sum(grad ** 2)) <= 1e-8 * np.sum(grad ** 2)
    assert row["grad_norm_sq"] > 1e-3  # a non-trivial gradient
    meta = pd.read_csv(out / "meta.csv").iloc[0]
    assert meta["outcome"] == "finished" and meta["radius_source"] == "config"


def test_cli_run_on_a_random_family_config(tmp_path, capsys):
    toml = tmp_path / "lqr.toml"
    toml.write_text('[problem]\nkind = "lqr"\nstate_dim = 2\naction_dim = 1\n\n[algorithm]\nradius = 100.0\n'
                    'c_alpha = 0.003\nc_beta = 0.02\nsampling = "markov"\n\n[run]\nsamples = 20000\n'
                    'snapshots = 8\nworkers = 2\ndelay = "round_robin"\n')
    assert cli.main(["run", str(toml), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    assert "final: k=20000" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "o" / "metrics.csv")
    assert list(table["k"])[-1] == 20000 and table["gap"].iloc[-1] < table["gap"].iloc[0]
    assert np.all(np.isfinite(table[["avg_grad_norm_sq", "avg_critic_gap_sq"]].to_numpy()))
    assert cli.main(["evaluate", str(tmp_path / "o"), "--out", str(tmp_path / "again.csv")]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again.csv"), table)


def test_cli_sweep_on_an_lqr_config_prints_its_diagnostics_and_runs(tmp_path, capsys):
    """A sweep diagnoses an lqr instance with a3c_theory.lqr.diagnose (no finite-MDP myopia or start-up
    warnings) and runs its grid."""
    toml = tmp_path / "lqr.toml"
    toml.write_text('[problem]\nkind = "lqr"\nstate_dim = 2\naction_dim = 1\n\n[algorithm]\nradius = 100.0\n'
                    'c_alpha = 0.003\nc_beta = 0.02\nsampling = "markov"\n\n[run]\nsamples = 2000\nsnapshots = 4\n')
    out = tmp_path / "sweep"
    assert cli.main(["sweep", str(toml), "--grid", "run.workers=1,2", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "instance: linear-quadratic, rho(A - B K0)" in printed and "myopia" not in printed
    assert len(pd.read_csv(out / "runs.csv")) == 2
