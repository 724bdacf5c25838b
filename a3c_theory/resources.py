"""What a configuration will cost, estimated before any work: memory of its problem and run time.

Memory (bytes) of the arrays a run holds, by problem kind, with ``E`` the number of stored transitions
(``nS·nA·nS`` for the dense paper instance, ``nS·nA·branching`` for garnets, ``3·nS·nA`` for the other
kinds): ``E × 72`` (the MDP's rows: successor, probability, reward, CDF; the exact calculus's CSR copy and
row index; ``P_π``) plus the dense ``(nS, nA, nS)`` array of the paper instance (``8·nS²·nA``), critic
features ``8·nS·d`` (``d = nS`` one-hot), actor features ``8·nS·nA·actor_dim`` (linear actor), and ~40
vectors of ``nS`` floats for the solvers. Files and gymnasium environments are sized when loaded.

Time: ``samples × SECONDS_PER_SAMPLE`` (the engine's measured order, one core) plus, with i.i.d. sampling,
one exact solve of ``μ_θ`` and ``d_θ`` per ``algorithm.refresh`` updates (dense: ``nS³`` flops at
:data:`FLOPS`; sparse: 400 products with ``E`` entries). An order of magnitude, not a promise.
"""

import os

SECONDS_PER_SAMPLE = 3e-7
"""Engine cost of one update (critic + actor), order of magnitude on one core."""

FLOPS = 1e9
"""Dense LU speed assumed for the time estimate (one core)."""

LONG_RUN_S = 180.0
"""Runs estimated above this many seconds get their estimate printed."""

_BYTES_PER_ENTRY = 72


def transitions(p) -> int:
    """Stored transitions ``E`` of problem settings ``p`` (module docstring)."""
    if p.kind == "paper":
        return p.n_states * p.n_actions * p.n_states
    if p.kind in ("garnet", "sparse_garnet", "drift_ring"):
        return p.n_states * p.n_actions * p.branching
    return 3 * p.n_states * p.n_actions


def problem_bytes(p) -> int:
    """Estimated memory of the problem described by settings ``p`` (module docstring)."""
    n = p.n_states
    total = transitions(p) * _BYTES_PER_ENTRY + 40 * 8 * n
    if p.kind == "paper":
        total += 8 * n * p.n_actions * n
    total += 8 * n * (n if p.critic_features == "one_hot" else p.feature_dim)
    if p.actor == "linear":
        total += 8 * n * p.n_actions * p.actor_dim
    return total


def available_memory() -> int | None:
    """Memory available to a new allocation (``MemAvailable``; else physical memory; None if unknown)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def run_seconds(cfg) -> float:
    """Estimated wall time of a run (module docstring)."""
    p, a, r = cfg.problem, cfg.algorithm, cfg.run
    seconds = r.samples * SECONDS_PER_SAMPLE
    if a.sampling == "iid":
        solve = (p.n_states ** 3 / FLOPS if p.n_states <= 2000 and p.kind == "paper"
                 else 400 * transitions(p) * 2e-9)
        seconds += -(-r.samples // a.refresh) * 2 * solve
    return seconds


def describe_seconds(seconds: float) -> str:
    for unit, size in (("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.2g} {unit}"
    return f"{seconds:.2g} s"


def describe_bytes(size: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size:.0f} bytes"
