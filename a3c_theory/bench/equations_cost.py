"""Benchmark of the scalar equation helpers (``engine.equations``): do they cost anything?

Two compiled loops do the same per-sample arithmetic of one update (TD error, critic step along φ(s),
actor coefficients, delayed apply to ω and θ) on the same data: one calls the helpers, one has the
arithmetic written out. Keys: ``scalar_helpers_ns_per_sample`` (``{"helpers": ns, "written_out": ns}``,
medians over interleaved repeats), ``scalar_helpers_ratio`` (helpers ÷ written out) and
``scalar_helpers_same_asm`` (whether the two functions' machine instructions are identical once their
own symbol names are removed).
"""

import re
import time

import numpy as np
from numba import njit

from ..engine.equations import actor_coefficient, critic_step, delayed_apply, td_error


@njit(cache=False, nogil=True)
def _with_helpers(r, v_next, v_s, pi, phi, w, theta, beta, alpha, gamma, a):
    for i in range(r.shape[0]):
        delta = td_error(r[i], gamma, v_next[i], v_s[i])
        c = critic_step(beta, delta)
        for j in range(w.shape[0]):
            w[j] = delayed_apply(w[j], c, phi[i, j])
        for b in range(pi.shape[1]):
            theta[b] = delayed_apply(theta[b], alpha, actor_coefficient(delta, pi[i, b], b == a[i]))


@njit(cache=False, nogil=True)
def _written_out(r, v_next, v_s, pi, phi, w, theta, beta, alpha, gamma, a):
    for i in range(r.shape[0]):
        delta = r[i] + gamma * v_next[i] - v_s[i]
        c = beta * delta
        for j in range(w.shape[0]):
            w[j] = w[j] + c * phi[i, j]
        for b in range(pi.shape[1]):
            coef = -delta * pi[i, b]
            if b == a[i]:
                coef += delta
            theta[b] = theta[b] + alpha * coef


def _instructions(asm: str) -> list[str]:
    """Instruction lines of an assembly listing, with symbol names and labels blanked."""
    out = []
    for line in asm.splitlines():
        line = line.split("#")[0].strip()
        if not line or line.endswith(":") or line.startswith("."):
            continue
        out.append(re.sub(r"[A-Za-z_$.][\w$.]*_\d\w*|\.LBB\w+|\.L\w+", "SYM", line))
    return out


def bench_equations(quick: bool = False) -> dict:
    n = 20_000 if quick else 200_000
    repeats = 3 if quick else 7
    rng = np.random.default_rng(0)
    args = (rng.random(n), rng.random(n), rng.random(n), rng.random((n, 5)), rng.random((n, 10)) / 4,
            np.zeros(10), np.zeros(5), 0.01, 0.01, 0.9, rng.integers(0, 5, n))
    times = {"helpers": [], "written_out": []}
    for function in (_with_helpers, _written_out):
        function(*args)  # compile
    for _ in range(repeats):
        for name, function in (("helpers", _with_helpers), ("written_out", _written_out)):
            start = time.perf_counter()
            function(*args)
            times[name].append((time.perf_counter() - start) / n)
    ns = {name: float(np.median(t)) * 1e9 for name, t in times.items()}
    [asm_helpers] = _with_helpers.inspect_asm().values()
    [asm_written] = _written_out.inspect_asm().values()
    return {
        "scalar_helpers_ns_per_sample": ns,
        "scalar_helpers_ratio": ns["helpers"] / ns["written_out"],
        "scalar_helpers_same_asm": _instructions(asm_helpers) == _instructions(asm_written),
    }
