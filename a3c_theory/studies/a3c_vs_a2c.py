"""A fair A3C vs A2C under stragglers (issue 8, item 5; not a paper figure).

Every update's compute time is 1, or ``s = run.straggler_slowdown`` with probability ``p =
run.straggler_prob``. A3C (``run.mode = "simulated"``) applies each update when it finishes; A2C
(``run.mode = "sync"``) waits for all N workers every round. Variants of A2C (one ``[[part]]`` each; a part
is named by its ``label`` in the settings):

* **convention** (``algorithm.a2c_step_sizes = "per_round"``): the averaged update with the step sizes of
  the round's first count: per sample it moves about N times less than A3C, so comparing it with A3C
  compares step sizes as much as waiting;
* **per-sample** (``"per_sample"``): the sum of the round's updates, update ``i`` with ``α_{rN+i},
  β_{rN+i}``, i.e. the averaged update with α and β scaled by N: per sample the same steps as A3C;
* **tuned**: the convention with its own step-size constants, ``(c_α, c_β) × m`` for the multipliers ``m``
  of the spec; per N the ``m`` with the smallest mean time to target is kept among the multipliers whose
  runs all reached the target (chosen on the same seeds it is reported on, which favours A2C). At an N
  where no multiplier reached the target on every run, the tuned A2C has no result: its label says "none
  reached", and it has no cost, ratio or verdict there.

Measured per variant and N (means over the seeds whose run reaches the target, 95% expanded
percentile-bootstrap intervals; :mod:`time_to_target`): simulated time and total samples to close ``target_fraction`` of the gap. The cost of waiting alone is predicted by the compute-time
model: A3C completes N / E[T] updates per unit time, A2C N / E[max_i T_i], so at equal samples to target

    time_A2C / time_A3C = E[max_{i≤N} T_i] / E[T] = (s (1 − (1−p)^N) + (1−p)^N) / (1 + p (s − 1)).

Verdict rules, at every N > 1, for per-sample A2C against A3C (ratios of the mean costs over the runs that reach
the target, :func:`time_to_target.ratio_among_successes`: bootstrap over seeds, paired where both have the
same seeds): "A3C faster" when the interval of time_A2C / time_A3C lies above 1, "A2C
faster" when below 1, "undetermined" otherwise; and the samples ratio samples_A2C / samples_A3C is
"equal" when its interval contains 1 (then the time difference is the waiting). The same ratios are
printed for the convention, where the samples ratio shows the step-size effect. The instance diagnostics
(myopia, |λ₂|, TV(μ, d), ε_app) are printed beside the verdict.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..instances.diagnose import summary_line
from . import plotting as pl
from . import stats
from . import time_to_target as ttt
from .study import Claim, Fraction, Number, Results, StudySettings, StudySummary

SAMPLE_SPEEDUP_VERDICT = False
"""This study draws no sample-speedup verdict: no discrimination warning."""

COSTS = (("time", "simulated time units"), ("samples", "samples"))
A3C, CONVENTION, PER_SAMPLE, TUNED = "A3C", "A2C, per-round steps (convention)", "A2C, per-sample steps", \
    "A2C, tuned step sizes"
VARIANTS = (A3C, CONVENTION, PER_SAMPLE, TUNED)


@dataclass(frozen=True)
class Settings(StudySettings):
    """Spec settings: the fraction of the gap J* − J(θ_0) that sets the target."""
    target_fraction: Fraction = 0.8


@dataclass(frozen=True)
class Summary(StudySummary):
    """Per (variant, N): time and sample costs and their ratios to A3C (split-estimand cells), the waiting cost."""
    target_fraction: float
    workers: tuple
    straggler_prob: float
    straggler_slowdown: float
    diagnostics: dict
    instance: str
    cost_to_target: dict
    """``{(variant, cost): {N: Estimate}}``, cost "time" or "samples"."""
    tuned_multiplier: dict
    """``{N: m}`` chosen for the tuned A2C; ``m`` is None where no multiplier reached the target on every run
    (then the tuned A2C has no entry at that N in the other fields)."""
    time_ratio: dict
    """``{(variant, N): Estimate}`` of time_A2C / time_A3C."""
    samples_ratio: dict
    """``{(variant, N): Estimate}`` of samples_A2C / samples_A3C."""
    predicted_wait: dict
    """``{N: E[max_i T_i] / E[T]}``."""
    cost: pd.DataFrame = field(repr=False)
    ratios: pd.DataFrame = field(repr=False)


def predicted_wait_ratio(n: int, prob: float, slowdown: float) -> float:
    """``E[max_{i≤N} T_i] / E[T]`` for the straggler model (module docstring)."""
    q = (1.0 - prob) ** n
    return (slowdown * (1.0 - q) + q) / (1.0 + prob * (slowdown - 1.0))


def part_index(run_id: str) -> int:
    """The ``[[part]]`` a run came from (its id is ``<study>/part<i>/<run>``)."""
    piece = str(run_id).split("/")[1]
    if not piece.startswith("part"):
        raise ValidationError("runs.run_id", f"must look like <study>/part<i>/<run>, got {run_id!r}")
    return int(piece[4:])


def variant_of(base: dict, reference: dict) -> tuple[str, float]:
    """``(variant, multiplier m)`` of a part from its resolved config, against the A3C part's config."""
    alg, ref = base["algorithm"], reference["algorithm"]
    if base["run"]["mode"] == "simulated":
        return A3C, 1.0
    if base["run"]["mode"] != "sync":
        raise ValidationError("run.mode", f"the A3C vs A2C study takes simulated and sync runs, got {base['run']['mode']!r}")
    m = alg["c_alpha"] / ref["c_alpha"]
    if alg["a2c_step_sizes"] == "per_sample":
        return PER_SAMPLE, m
    if not np.isclose(alg["c_beta"] / ref["c_beta"], m):
        raise ValidationError("algorithm.c_beta", "a tuned A2C part scales c_alpha and c_beta by the same factor")
    return (CONVENTION if m == 1 else TUNED), m


def _costs(runs: pd.DataFrame, f: float) -> pd.DataFrame:
    """Per run: variant, multiplier, workers, seed, time and samples to target (one target level)."""
    out = []
    for cost, _ in COSTS:
        c = stats.costs_to_target(runs, cost, f).rename(columns={"cost": cost, "horizon": f"{cost}_horizon"})
        out.append(c.set_index("run_id"))
    table = out[0].join(out[1][["samples", "samples_horizon"]])
    meta = runs.groupby("run_id", sort=False)[["variant", "multiplier"]].first()
    return table.join(meta).reset_index()


def summarise(results: Results) -> Summary:
    """The cells of every A2C variant against A3C at each N, paired over seeds (module docstring)."""
    runs = stats.need(results.runs, "run_id", "workers", "seed", "mode", "samples", "time_s", "J", "gap").copy()
    f = results.settings.target_fraction
    configs = results.configs
    a3c_parts = [c for c in configs if c["run"]["mode"] == "simulated"]
    if not a3c_parts:
        raise ValidationError("runs.mode", "needs an A3C part (run.mode = \"simulated\")")
    reference = a3c_parts[0]
    variants = [variant_of(c, reference) for c in configs]
    idx = runs["run_id"].map(part_index)
    runs["variant"] = idx.map(lambda i: variants[i][0])
    runs["multiplier"] = idx.map(lambda i: variants[i][1])
    per_run = _costs(runs, f)
    workers = tuple(sorted(int(n) for n in per_run["workers"].unique()))
    costs, rows, chosen = {}, [], {}
    for variant in (A3C, CONVENTION, PER_SAMPLE):
        part = per_run[per_run["variant"] == variant]
        for cost, _ in COSTS:
            costs[variant, cost] = {int(n): ttt.mean_among_successes(g[cost]) for n, g in part.groupby("workers")}
    tunable = per_run[per_run["variant"].isin([CONVENTION, TUNED])]
    tuned_rows = []
    for n, g in tunable.groupby("workers"):
        means = {m: np.mean(h["time"]) for m, h in g.groupby("multiplier") if np.all(np.isfinite(h["time"]))}
        best = min(means, key=lambda m: (means[m], m)) if means else None
        chosen[int(n)] = None if best is None else float(best)
        if best is not None:
            tuned_rows.append(g[g["multiplier"] == best])
    tuned = pd.concat(tuned_rows) if tuned_rows else per_run.iloc[:0]
    for cost, _ in COSTS:
        costs[TUNED, cost] = {int(n): ttt.mean_among_successes(g[cost]) for n, g in tuned.groupby("workers")}
    time_ratio, samples_ratio = {}, {}
    base = per_run[per_run["variant"] == A3C]
    for variant, table in ((CONVENTION, per_run[per_run["variant"] == CONVENTION]),
                           (PER_SAMPLE, per_run[per_run["variant"] == PER_SAMPLE]), (TUNED, tuned)):
        for n, g in table.groupby("workers"):
            ref = base[base["workers"] == n]
            if ref.empty:
                continue
            seeds = (g["seed"], ref["seed"])
            time_ratio[variant, int(n)] = ttt.ratio_among_successes(g["time"], ref["time"], seeds=seeds)
            samples_ratio[variant, int(n)] = ttt.ratio_among_successes(g["samples"], ref["samples"], seeds=seeds)
    for (variant, cost), by_n in costs.items():
        for n, e in by_n.items():
            rows.append({"variant": variant, "cost": cost, "workers": n, "cost_mean": e.value, "cost_lo": e.lo,
                         "cost_hi": e.hi, "n": e.n, "multiplier": chosen[n] if variant == TUNED else
                         (1.0 if variant != PER_SAMPLE else float("nan"))})
    p = float(reference["run"]["straggler_prob"])
    s = float(reference["run"]["straggler_slowdown"])
    predicted = {n: predicted_wait_ratio(n, p, s) for n in workers}
    ratio_rows = [{"variant": v, "workers": n, "time_ratio": e.value, "time_lo": e.lo, "time_hi": e.hi,
                   "samples_ratio": samples_ratio[v, n].value, "samples_lo": samples_ratio[v, n].lo,
                   "samples_hi": samples_ratio[v, n].hi, "predicted_wait_ratio": predicted[n]}
                  for (v, n), e in sorted(time_ratio.items())]
    from ..instances.diagnose import diagnose
    from .. import config

    diag = diagnose(config.build_problem(config.from_dict(reference))).to_dict()
    return Summary(f, workers, p, s, diag, str(reference["problem"]["kind"]), costs, chosen, time_ratio,
                   samples_ratio, predicted, pd.DataFrame(rows), pd.DataFrame(ratio_rows))


def none_reached(summary: Summary) -> list[int]:
    """The worker counts where no multiplier of the tuned A2C reached the target on every run."""
    return sorted(n for n, m in summary.tuned_multiplier.items() if m is None)


def tuned_label(summary: Summary) -> str:
    """``N=2: ×4, N=8: none reached``: the multiplier chosen for the tuned A2C at each N."""
    return ", ".join(f"N={n}: " + ("none reached" if m is None else f"×{m:g}")
                     for n, m in sorted(summary.tuned_multiplier.items()))


def _draw_costs(ax, summary: Summary, cost: str) -> None:
    """Mean cost to target per variant and N with its interval; an open triangle at the top where some run
    did not reach the target (for the tuned A2C: where no multiplier reached it on every run)."""
    for i, variant in enumerate(VARIANTS):
        by_n = summary.cost_to_target.get((variant, cost), {})
        ns = sorted(by_n)
        est = [by_n[n] for n in ns]
        v = np.array([e.value for e in est], float)
        okn = np.isfinite(v)
        if okn.any():
            ax.errorbar(np.array(ns)[okn], v[okn], yerr=pl.error_bars(est)[:, okn], color=f"C{i}", marker="os^D"[i], ms=4,
                        capsize=2.5, label=variant)
        missed = sorted([n for n, ok in zip(ns, okn) if not ok] + (none_reached(summary) if variant == TUNED else []))
        if missed:
            top = ax.get_ylim()[1] if okn.any() else 1.0
            ax.plot(missed, [top] * len(missed), ls="none", marker="^", mfc="none", color=f"C{i}",
                    ms=7, label=f"{variant}: not reached by some runs")


def draw(results: Results, summary: Summary, path) -> None:
    """Time and samples to target per variant, and A2C's time over A3C's against the waiting cost alone."""
    fig, axes = pl.new_figure(1, 3, 15, 4.6)
    ax_a, ax_b, ax_c = axes[0]
    _draw_costs(ax_a, summary, "time")
    _draw_costs(ax_b, summary, "samples")
    for i, variant in enumerate((CONVENTION, PER_SAMPLE, TUNED), start=1):
        ns = sorted(n for v, n in summary.time_ratio if v == variant)
        est = [summary.time_ratio[variant, n] for n in ns]
        v = np.array([e.value for e in est])
        ok = np.isfinite(v)
        if ok.any():
            ax_c.errorbar(np.array(ns)[ok], v[ok], yerr=pl.error_bars(est)[:, ok], color=f"C{i}", marker="os^D"[i], ms=4, capsize=2.5,
                          label=variant)
    ns = list(summary.workers)
    ax_c.plot(ns, [summary.predicted_wait[n] for n in ns], color="k", ls="--", lw=1,
              label="waiting alone: E[max_i T_i] / E[T]")
    ax_c.axhline(1, color="0.5", lw=0.8)
    for ax in (ax_a, ax_b, ax_c):
        pl.log2_axis(ax, summary.workers)
        ax.set_yscale("log")
        ax.legend(loc="best", fontsize=6.5)
    f = summary.target_fraction
    ax_a.set(xlabel="workers N", ylabel="simulated time to target", title=f"(a) time to close {f:.0%} of the gap")
    ax_b.set(xlabel="workers N", ylabel="total samples to target", title="(b) samples to target")
    ax_c.set(xlabel="workers N", ylabel="time(A2C) / time(A3C)", title="(c) A2C's time over A3C's, vs the waiting cost")
    pl.save(fig, path, results.title,
            f"{summary.instance}: {summary_line(summary.diagnostics)}; tuned A2C multipliers {tuned_label(summary)}; "
            "means over seeds, 95% expanded percentile-bootstrap intervals")


def numbers(summary: Summary) -> list[Number]:
    """The rows of summary.csv: costs and ratios per variant and N."""
    out = []
    for (variant, cost), by_n in summary.cost_to_target.items():
        unit = dict(COSTS)[cost]
        out += [Number(f"{cost} to target", f"{variant}, N={n}", e, unit) for n, e in sorted(by_n.items())]
    for (variant, n), e in sorted(summary.time_ratio.items()):
        out.append(Number("time ratio A2C/A3C", f"{variant}, N={n}", e))
        out.append(Number("samples ratio A2C/A3C", f"{variant}, N={n}", summary.samples_ratio[variant, n]))
    return out


def time_verdict(e: stats.Estimate) -> str:
    """"A3C faster" when the interval of A2C's time over A3C's lies above 1, "A2C faster" below, else undetermined."""
    if not (np.isfinite(e.lo) and np.isfinite(e.hi)):
        return "undetermined"
    return "A3C faster" if e.lo > 1 else "A2C faster" if e.hi < 1 else "undetermined"


def claims(summary: Summary) -> list[Claim]:
    """One claim per A2C variant: per N the time and samples ratios and the time verdict. The tuned A2C has
    no verdict at an N where no multiplier reached the target on every run; its verdict then names those N."""
    out = []
    for variant in (PER_SAMPLE, CONVENTION, TUNED):
        ns = sorted(n for v, n in summary.time_ratio if v == variant)
        missing = none_reached(summary) if variant == TUNED else []
        if not ns and not missing:
            continue
        parts = []
        for n in ns:
            t, s = summary.time_ratio[variant, n], summary.samples_ratio[variant, n]
            same = np.isfinite(s.lo) and s.lo <= 1 <= s.hi
            parts.append(f"N={n}: time ratio {pl.fmt(t)} (waiting alone {summary.predicted_wait[n]:.3g}), "
                         f"samples ratio {pl.fmt(s)}{' (equal)' if same else ''} → {time_verdict(t)}")
        if missing:
            parts.append(f"N={', '.join(map(str, missing))}: no step-size multiplier reached the target on every run")
        verdicts = {time_verdict(summary.time_ratio[variant, n]) for n in ns}
        if len(verdicts) > 1:
            verdict = "mixed: see the numbers"
        elif verdicts:
            verdict = verdicts.pop() + (f" at N = {', '.join(map(str, ns))}" if missing else " at every N > 1")
        else:
            verdict = ""
        if missing:
            verdict += ("; " if verdict else "") + f"no tuned result at N = {', '.join(map(str, missing))}"
        out.append(Claim("A3C vs A2C under stragglers (not a paper figure; lecture notes)",
                         f"asynchronous updates reach the target sooner than synchronous rounds ({variant})",
                         "`a3c_vs_a2c.png` (c)", "; ".join(parts), verdict,
                         f"{summary.instance}, stragglers p = {summary.straggler_prob:g}, ×{summary.straggler_slowdown:g}; "
                         + summary_line(summary.diagnostics)))
    return out
