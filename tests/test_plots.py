"""plots: every figure function draws a non-blank PNG and returns the numbers it drew."""

import matplotlib.image as mpimg
import numpy as np
import pytest

from a3c_theory import plots
from a3c_theory.errors import ValidationError

K = np.geomspace(1, 1e5, 25).round()
K[0] = 0


def _table(**groups):
    """Runs for every combination in ``groups`` (column -> values) x 3 seeds, J rising towards 1."""
    import itertools

    keys = list(groups)
    rows = []
    for combo in itertools.product(*groups.values()):
        labels = dict(zip(keys, combo))
        workers = labels.get("workers", 1)
        for seed in range(3):
            rate = 300.0 * (1 + 0.1 * seed)
            J = 0.5 + 0.4 * (1 - np.exp(-K / rate))
            n = len(K)
            run = {"run_id": np.full(n, f"{labels}-{seed}"), "seed": np.full(n, seed),
                   "samples": K * 1.0, "time_s": K / (1e4 * min(workers, 2)), "J": J, "gap": 0.9 - J,
                   "critic_gap": 5.0 / (1 + K) ** 0.5 + 0.01, "grad_norm_sq": 1e-3 / (1 + K) ** 0.5,
                   "grad_lambda_norm_sq": 1e-3 / (1 + K) ** 0.5,
                   "avg_grad_norm_sq": 1e-2 * (1 + K) ** -0.4, "avg_critic_gap_sq": (1 + K) ** -0.8,
                   "horizon": np.full(n, K[-1])}
            for key, value in labels.items():
                run[key] = np.full(n, value)
            rows.append(run)
    return {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}


CASES = {
    "convergence": (dict(workers=[1, 2, 4], mode=["simulated", "threads"]), {}),
    "rates": (dict(workers=[1, 4], sampling=["iid", "markov"]), {}),
    "speedup_limit": (dict(workers=[1, 4, 16], delay=["round_robin"], instance=["paper"], sampling=["iid"]),
                      {"target_fraction": 0.5}),
    "a3c_vs_a2c": (dict(workers=[1, 2, 4], mode=["sync", "simulated"]), {}),
    "regularisation": (dict(workers=[1], lam=[0.0, 0.1]), {}),
    "threads_runtime": (dict(workers=[1, 2, 4]), {"cores": 2}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_figure_writes_a_png_with_its_panels(name, tmp_path):
    groups, settings = CASES[name]
    path = tmp_path / f"{name}.png"
    result = plots.draw(name, _table(**groups), path, f"test {name}", **settings)
    image = mpimg.imread(path)
    assert image.shape[0] > 300 and image.shape[1] > 300
    assert image[..., :3].std() > 0.05  # not a blank canvas
    assert result.summary and all({"quantity", "mean"} <= set(row) for row in result.summary)
    visible = [t for t in result.tables.values() if t]
    assert visible, "a figure returns the numbers it drew"


def test_unknown_figure_and_missing_columns_name_the_field(tmp_path):
    with pytest.raises(ValidationError) as err:
        plots.draw("nope", {}, tmp_path / "x.png", "t")
    assert err.value.field == "experiment.figure"
    with pytest.raises(ValidationError):
        plots.draw("threads_runtime", _table(workers=[1, 2]), tmp_path / "x.png", "t")  # cores missing
