"""Hand-made runs tables for the study tests: J(k) = 0.5 + 0.4 (1 − e^{−k/rate}) whatever N, so the total
samples to any target are equal across N and the sample speedup is exactly N."""

import itertools

import numpy as np
import pandas as pd

K = np.geomspace(1, 1e5, 25).round()
K[0] = 0

DEFAULTS = {"workers": 1, "mode": "simulated", "delay": "round_robin", "sampling": "iid", "lam": 0.0,
            "instance": "paper"}


def runs(seeds: int = 3, **groups) -> pd.DataFrame:
    """Runs for every combination in ``groups`` (column -> values) x ``seeds`` seeds."""
    rows = []
    for combo in itertools.product(*groups.values()):
        labels = {**DEFAULTS, **dict(zip(groups, combo))}
        for seed in range(seeds):
            rate = 300.0 * (1 + 0.1 * seed)
            J = 0.5 + 0.4 * (1 - np.exp(-K / rate))
            run = pd.DataFrame({
                "run_id": f"{labels}-{seed}", "seed": seed, "samples": K * 1.0,
                "time_s": K / (1e4 * min(labels["workers"], 2)), "J": J, "gap": 0.9 - J,
                "J_lambda": J - 0.6,  # below J_λ* >= J_λ(uniform) = J(uniform) on a U(0,1) instance
                "critic_gap": 5.0 / (1 + K) ** 0.5 + 0.01, "grad_norm_sq": 1e-3 / (1 + K) ** 0.5,
                "grad_lambda_norm_sq": 1e-3 / (1 + K) ** 0.5, "avg_grad_norm_sq": 1e-2 * (1 + K) ** -0.4,
                "avg_grad_lambda_norm_sq": 1e-2 * (1 + K) ** -0.4,
                "avg_critic_gap_sq": (1 + K) ** -0.8, "eps_app": 0.1, "horizon": K[-1]})
            for key, value in labels.items():
                run[key] = value
            rows.append(run)
    return pd.concat(rows, ignore_index=True)


def run(run_id, workers, seed, samples, J, Jstar=1.0) -> pd.DataFrame:
    """One run with the given samples and J (time_s = samples / 1000)."""
    samples = np.asarray(samples, float)
    J = np.asarray(J, float)
    return pd.DataFrame({"run_id": run_id, "workers": workers, "seed": seed, "samples": samples,
                         "time_s": samples / 1000.0, "J": J, "gap": Jstar - J})
