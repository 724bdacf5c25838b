"""The engine on CartPole (engine/cartpole_samplers.py, cartpole_setup.py; loops of continuous_kernels.py):
delayed updates against a plain-NumPy reference fed the same xoshiro streams (terminal transitions: target r
alone and a restart; truncation at 500: bootstrap and a restart; the actor chain's γP + (1 − γ)η kernel), the
modes against each other bit for bit, seeded reproducibility, the metric table of Monte Carlo returns, and bad
inputs."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from a3c_theory import config
from a3c_theory.engine import run
from a3c_theory.engine.cartpole_samplers import draw_update, pending_width
from a3c_theory.engine.rng import seed_states
from a3c_theory.engine.run_setup import prepare_run
from a3c_theory.engine.samplers import MARKOV, SHARED
from a3c_theory.envs import cartpole, evaluation, fourier
from a3c_theory.errors import ValidationError
from a3c_theory.pipeline import run_one
from a3c_theory.reference import XoshiroPlus, constant_schedule

ORDER = 1
M = (ORDER + 1) ** 4


def _cfg(run=None, algorithm=None, problem=None):
    base = {"problem": {"kind": "cartpole", "fourier_order": ORDER, "gamma": 0.9, "eval_episodes": 10},
            "algorithm": {"sampling": "markov", "radius": 50.0, "c_alpha": 0.3, "sigma_alpha": 0.0,
                          "c_beta": 0.5, "sigma_beta": 0.2},
            "run": {"samples": 300, "snapshots": 301}}
    for section, extra in (("run", run), ("algorithm", algorithm), ("problem", problem)):
        base[section].update(extra or {})
    return config.from_dict(base)


# ----------------------------------------------------------------------------- plain-NumPy reference
COEFFS = np.array([[a, b, c, d] for a in range(ORDER + 1) for b in range(ORDER + 1) for c in range(ORDER + 1)
                   for d in range(ORDER + 1)], dtype=float)
LOW = np.array([-2.4, -3.0, -12 * 2 * math.pi / 360, -3.5])


def _phi(s):
    """φ(s) = cos(π c·ŝ)/√M, ŝ the state clipped into the box and scaled to [0, 1]^4 (envs.fourier)."""
    scaled = (np.clip(s, LOW, -LOW) - LOW) / (-2 * LOW)
    return np.cos(np.pi * COEFFS @ scaled) / math.sqrt(M)


class _Chain:
    def __init__(self, rng):
        self.restart(rng)

    def restart(self, rng):
        self.s = np.array([-0.05 + 0.1 * rng.uniform() for _ in range(4)])
        self.t = 0


def _transition(chain, theta, w, gamma, rng, counts):
    """One transition under π_θ from the chain: (φ(s), δ, 1[a=0] − π(0|s), s', t', terminated)."""
    phi = _phi(chain.s)
    logits = theta.reshape(2, M) @ phi
    p_left = 1.0 / (1.0 + math.exp(logits[1] - logits[0]))
    action = 0 if rng.uniform() < p_left else 1
    nxt, reward, terminated = cartpole.step(chain.s, action)
    t = chain.t + 1
    counts["terminal"] += terminated
    counts["truncated"] += (not terminated) and t >= 500
    target = reward if terminated else reward + gamma * _phi(nxt) @ w
    return phi, target - phi @ w, (1.0 - p_left) if action == 0 else -p_left, nxt, t, terminated


def _discounted_move(chain, nxt, t, ended, gamma, rng):
    if not ended and rng.uniform() < gamma:
        chain.s, chain.t = nxt, t
    else:
        chain.restart(rng)


def _reference_run(cfg, schedule, states, counts):
    """A3C-TD(0) on CartPole with ``schedule[k] = (worker, r_k)``, written out in NumPy, drawing the engine's
    uniforms in the engine's order (cartpole_samplers docstring). Returns every θ_k and ω_k."""
    alg, gamma = cfg.algorithm, cfg.problem.gamma
    rngs = [XoshiroPlus(s) for s in states]
    chains = [(_Chain(rng), _Chain(rng)) for rng in rngs]
    thetas, ws = [np.zeros(2 * M)], [np.zeros(M)]
    for k, (worker, read) in enumerate(schedule):
        theta, w, rng = thetas[read], ws[read], rngs[worker]
        critic, actor = chains[worker]
        phi, delta, score, nxt, t, terminated = _transition(critic, theta, w, gamma, rng, counts)
        if alg.sampling == "shared":
            phi_hat, delta_hat = phi, delta
            _discounted_move(critic, nxt, t, terminated or t >= 500, gamma, rng)
        else:
            if terminated or t >= 500:
                critic.restart(rng)
            else:
                critic.s, critic.t = nxt, t
            phi_hat, delta_hat, score, nxt, t, terminated = _transition(actor, theta, w, gamma, rng, counts)
            _discounted_move(actor, nxt, t, terminated or t >= 500, gamma, rng)
        psi = np.concatenate([score * phi_hat, -score * phi_hat])  # Σ_b (1[b=a] − π(b|s)) φ ⊗ e_b
        alpha = alg.c_alpha / (1 + k) ** alg.sigma_alpha
        beta = alg.c_beta / (1 + k) ** alg.sigma_beta
        w_new = ws[-1] + beta * delta * phi
        ws.append(w_new * min(1.0, alg.radius / np.linalg.norm(w_new)))
        thetas.append(thetas[-1] + alpha * delta_hat * psi)
    return np.array(thetas), np.array(ws)


def _states(cfg):
    return seed_states(np.random.SeedSequence(cfg.run.seed).spawn(3)[0], cfg.run.workers)


@pytest.mark.parametrize("run_section, algorithm", [
    ({"delay": "constant", "tau": 3, "workers": 2}, {}),
    ({"delay": "constant", "tau": 4, "workers": 1}, {"radius": 0.5}),
    ({"delay": "round_robin", "workers": 3}, {}),
    ({"delay": "none", "workers": 2}, {"sampling": "shared"}),
])
def test_delayed_updates_match_the_reference(run_section, algorithm):
    """Update k is drawn from (θ, ω) of step max(0, k − τ) and applied to those of step k; episodes end by
    termination many times in 300 updates; the critic radius binds in the second case."""
    cfg = _cfg(run=run_section, algorithm=algorithm)
    tau = {"constant": cfg.run.tau, "round_robin": cfg.run.workers - 1, "none": 0}[cfg.run.delay]
    trace = run(cfg, progress=False)
    assert trace.meta["outcome"] == "finished"
    counts = {"terminal": 0, "truncated": 0}
    thetas, ws = _reference_run(cfg, constant_schedule(cfg.run.samples, cfg.run.workers, tau), _states(cfg), counts)
    assert counts["terminal"] >= 5
    np.testing.assert_allclose(trace.theta, thetas, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(trace.w, ws, rtol=1e-9, atol=1e-11)
    if cfg.algorithm.radius == 0.5:
        assert trace.meta["projections"] > 0


def test_reference_check_detects_a_wrong_delay():
    """Power check: the same run against a reference one step less stale does not match."""
    cfg = _cfg(run={"delay": "constant", "tau": 3, "workers": 1})
    trace = run(cfg, progress=False)
    counts = {"terminal": 0, "truncated": 0}
    thetas, _ = _reference_run(cfg, constant_schedule(300, 1, 2), _states(cfg), counts)
    assert not np.allclose(trace.theta, thetas, rtol=1e-9, atol=1e-11)


# ----------------------------------------------------------------------------- one draw at the episode's ends
def _one_draw(sampling, critic_row, actor_row, theta, w):
    """``draw_update`` once from the given chain rows, and the NumPy reference on the same stream."""
    cfg = _cfg(algorithm={"sampling": sampling})
    setup = prepare_run(cfg)
    setup.crit_chain[0] = critic_row
    setup.act_chain[0] = actor_row
    states = setup.rng_states.copy()
    pend_f = np.zeros((1, pending_width(M)))
    code = {"markov": MARKOV, "shared": SHARED}[sampling]
    s = draw_update(setup.arrays, theta, w, code, False, setup.crit_chain, setup.act_chain, 0, pend_f, 0,
                    np.zeros(M), *(np.uint64(x) for x in states[0]))
    rng = XoshiroPlus(states[0])
    chain = _Chain.__new__(_Chain)
    chain.s, chain.t = np.array(critic_row[:4]), int(critic_row[4])
    counts = {"terminal": 0, "truncated": 0}
    phi, delta, score, nxt, t, terminated = _transition(chain, theta, w, 0.9, rng, counts)
    return pend_f[0], setup.crit_chain[0].copy(), (phi, delta, score, nxt, t, terminated), counts, rng, s


@pytest.mark.parametrize("sampling", ["markov", "shared"])
def test_a_terminal_transition_targets_the_reward_alone_and_restarts(sampling):
    gen = np.random.default_rng(3)
    theta, w = gen.normal(size=2 * M), gen.normal(size=M) * 10
    row = np.array([0.01, 0.0, 0.2094, 1.0, 3.0])  # θ leaves ±12° after either action
    pend, crit_after, (phi, delta, *_), counts, rng, _ = _one_draw(sampling, row, row, theta, w)
    assert counts["terminal"] == 1
    assert pend[0] == pytest.approx(1.0 - phi @ w, rel=1e-12)  # no γ V(s') term
    assert crit_after[4] == 0.0 and np.all(np.abs(crit_after[:4]) <= 0.05)  # restarted from η


@pytest.mark.parametrize("sampling", ["markov", "shared"])
def test_the_500th_step_bootstraps_then_restarts(sampling):
    gen = np.random.default_rng(4)
    theta, w = gen.normal(size=2 * M), gen.normal(size=M) * 10
    row = np.array([0.01, -0.2, 0.03, 0.1, 499.0])
    pend, crit_after, (phi, delta, _, nxt, t, terminated), counts, rng, _ = _one_draw(sampling, row, row, theta, w)
    assert not terminated and t == 500 and counts["truncated"] == 1
    assert pend[0] == pytest.approx(1.0 + 0.9 * _phi(nxt) @ w - phi @ w, rel=1e-12)
    assert abs(0.9 * _phi(nxt) @ w) > 1e-3  # the bootstrap term is not negligible here
    assert crit_after[4] == 0.0  # a truncated episode restarts (no follow-or-restart uniform drawn)
    expected_start = [-0.05 + 0.1 * rng.uniform() for _ in range(4)]
    np.testing.assert_allclose(crit_after[:4], expected_start, rtol=0, atol=1e-15)


# ----------------------------------------------------------------------------- modes, seeds, table
def test_one_thread_and_one_worker_a2c_match_simulated_mode_bit_for_bit():
    common = {"samples": 3000, "snapshots": 20}
    traces = [run(_cfg(run={**common, "mode": mode}), progress=False) for mode in ("simulated", "threads", "sync")]
    for other in traces[1:]:
        np.testing.assert_array_equal(other.k, traces[0].k)
        np.testing.assert_array_equal(other.theta, traces[0].theta)
        np.testing.assert_array_equal(other.w, traces[0].w)


def test_runs_are_reproducible_from_their_seed_and_hogwild_counts_every_update():
    cfg = _cfg(run={"delay": "exponential", "workers": 4, "samples": 2000, "snapshots": 10})
    first, second = run(cfg, progress=False), run(cfg, progress=False)
    np.testing.assert_array_equal(first.theta, second.theta)
    np.testing.assert_array_equal(first.w, second.w)
    other = run(_cfg(run={"delay": "exponential", "workers": 4, "samples": 2000, "snapshots": 10, "seed": 1}),
                progress=False)
    assert not np.array_equal(first.theta[-1], other.theta[-1])
    trace = run(_cfg(run={"mode": "threads", "workers": 2, "samples": 4000, "snapshots": 10}), progress=False)
    assert trace.meta["counter_final"] == 4000 and trace.delay_counts.sum() == 4000
    assert trace.meta["outcome"] == "finished"


def test_metric_table_holds_monte_carlo_returns_and_no_exact_columns():
    cfg = _cfg(run={"samples": 2000, "snapshots": 8}, problem={"eval_episodes": 30, "return_window": 3})
    result = run_one(cfg)
    table = result.table
    assert tuple(table.columns) == evaluation.COLUMNS
    assert "J" not in table.columns and "gap" not in table.columns
    assert "no exact J" in result.meta["exact_metrics"]
    seeds = evaluation.evaluation_seeds(cfg.run.seed, len(table))
    for j, theta in enumerate(result.trace.theta):
        returns = fourier.evaluate(theta.reshape(2, M), ORDER, 30, seeds[j]).returns
        assert table["return_mean"].iloc[j] == pytest.approx(returns.mean(), rel=1e-12)
        half = table["return_hi"].iloc[j] - table["return_mean"].iloc[j]
        assert half == pytest.approx(st.t.ppf(0.975, 29) * returns.std(ddof=1) / math.sqrt(30), rel=1e-9)
    rolling = table["return_mean"].rolling(3, min_periods=1).mean()
    np.testing.assert_allclose(table["avg_return"], rolling, rtol=1e-12)
    # θ_0 = 0 is the uniform policy: CartPole's random-policy episode length is about 22 steps
    assert 12 < table["return_mean"].iloc[0] < 35


@pytest.mark.parametrize("changes, message", [
    ({"algorithm": {"sampling": "iid"}}, r"^algorithm.sampling: .*no known stationary law"),
    ({"algorithm": {"radius": 0.0}}, r"^algorithm.radius: .*must be > 0"),
    ({"algorithm": {"lam": 0.1}}, r"^algorithm.lam: .*no KL prior"),
    ({"algorithm": {"n_step": 2}}, r"^algorithm.n_step: .*TD\(0\)"),
    ({"problem": {"fourier_order": 9}}, r"^problem.fourier_order: must lie in \[0, 8\]"),
    ({"problem": {"eval_episodes": 1}}, r"^problem.eval_episodes: must lie in \[2, 100000\]"),
    ({"problem": {"return_window": 50}, "run": {"snapshots": 10}}, r"^problem.return_window: must be <= run.snapshots"),
    ({"targets": {"gap": [0.5]}}, r"^targets: .*need an exact J"),
    ({"run": {"mode": "threads", "delay": "constant"}}, r"^run.delay: threads mode has real delays"),
])
def test_bad_inputs_get_one_line_errors(changes, message):
    base = {"problem": {"kind": "cartpole"}, "algorithm": {"sampling": "markov", "radius": 10.0}}
    for section, extra in changes.items():
        base.setdefault(section, {}).update(extra)
    with pytest.raises(ValidationError, match=message) as err:
        config.from_dict(base)
    assert "\n" not in str(err.value)
