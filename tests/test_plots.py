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


CASES = {  # figure -> (groups of the synthetic table, settings, expected number of panels)
    "convergence": (dict(workers=[1, 2, 4], mode=["simulated", "threads"]), {}, 4),
    "rates": (dict(workers=[1, 4], sampling=["iid", "markov"]), {}, 4),  # 2 metrics x 2 sampling options
    "speedup_limit": (dict(workers=[1, 4, 16], delay=["round_robin"], instance=["paper", "garnet"],
                           sampling=["iid"]), {"target_fraction": 0.5, "targets": {"garnet": 0.3}}, 2),
    "a3c_vs_a2c": (dict(workers=[1, 2, 4], mode=["sync", "simulated"]), {}, 3),
    "regularisation": (dict(workers=[1], lam=[0.0, 0.1]), {}, 2),
    "threads_runtime": (dict(workers=[1, 2, 4]), {"cores": 2}, 3),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_figure_writes_a_png_with_its_panels(name, tmp_path):
    groups, settings, panels = CASES[name]
    path = tmp_path / f"{name}.png"
    result = plots.draw(name, _table(**groups), path, f"test {name}", **settings)
    assert path.stat().st_size > 10_000
    assert result.panels == panels
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


def test_speedup_limit_uses_each_instance_target_and_reports_where_linear_speedup_ends(tmp_path):
    """Synthetic runs reach J(t) = 0.5 + 0.4 (1 − e^{−k/300}) whatever N, so the total samples to any
    target are equal across N and the sample speedup is exactly N (linear everywhere)."""
    table = _table(workers=[1, 4, 16], delay=["round_robin"], instance=["paper", "garnet"], sampling=["iid"])
    result = plots.draw("speedup_limit", table, tmp_path / "x.png", "t", target_fraction=0.5,
                        targets={"garnet": 0.3})
    speed = result.tables["speedup"]
    for instance, fraction in (("paper", 0.5), ("garnet", 0.3)):
        rows = speed["instance"] == instance
        assert np.all(speed["target_fraction"][rows] == fraction)
        np.testing.assert_allclose(speed["speedup"][rows], speed["workers"][rows], rtol=1e-9)
    ends = [r for r in result.summary if r["quantity"] == plots.LINEAR_UP_TO]
    assert len(ends) == 2 and all(r["mean"] == 16 for r in ends)


def test_linear_up_to_stops_at_the_first_sublinear_or_unreached_worker_count():
    sp = {"workers": np.array([1, 4, 16, 64]), "speedup": np.array([1.0, 3.5, 11.0, 60.0]),
          "hi": np.array([1.0, 4.0, 11.5, 70.0])}
    assert plots.linear_up_to(sp) == 4  # CI top 11.5 < 0.75 * 16 = 12, even though N = 64 is linear again
    sp["hi"][2] = 12.5                  # now the CI at N = 16 reaches 12: linear throughout
    assert plots.linear_up_to(sp) == 64
    sp["speedup"] = np.array([1.0, np.nan, 16.0, 64.0])
    assert plots.linear_up_to(sp) == 1  # never reached at N = 4
