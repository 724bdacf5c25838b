"""Paper Fig. 1 / Fig. 2: A3C-TD(0) convergence and speedup for one sampling option.

Panels: (a) ``J(θ_k)`` (exact) vs total samples ``k``, per N (simulated-delay runs, ``mode != "threads"``);
(b) ``J`` vs wall-clock seconds (``mode == "threads"`` runs, real Hogwild threads); (c) critic gap
``‖w_k − w*_{θ_k}‖₂`` vs samples; (d) sample speedup (simulated) and runtime speedup (threads) vs N with
the ideal line ``Speedup = N``; target: ``target_fraction`` of the initial gap ``J* − J(θ_0)`` closed.

Verdict rules (paper_repro.md):
(a) reproduced when every N closes at least ``target_fraction`` of the gap by the end (mean over seeds);
(b) reproduced when some N > 1 has a runtime speedup whose interval lies above 1;
(c) reproduced when the final critic gap is below 0.1 × the initial one at every N;
(d) the three-way verdict of :mod:`efficiency` on ``E(N) = Speedup(N)/N`` at every N, and
:func:`efficiency.paper_claim_verdict` for the claim (i.i.d.: linear speedup; Markovian: roughly linear only
for small N).
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ValidationError
from . import efficiency as ef
from . import plotting as pl
from . import stats
from .stats import Estimate
from .study import Claim, Fraction, Number, Results, StudySettings, StudySummary, by_workers, listing, no_interval
from .time_to_target import RESTS_ON

SAMPLE_SPEEDUP_VERDICT = True
"""reproduce warns when every instance of this study is myopic: its sample-speedup verdicts could not fail."""

GAP_RATIO = 0.1
"""(c) counts as reproduced when final / initial critic gap < 0.1 at every N."""


@dataclass(frozen=True)
class Settings(StudySettings):
    """Spec settings: the gap fraction of the speedup target, the artifact name, whether to list the choices."""
    target_fraction: Fraction = 0.9
    artifact: str = "Fig. 1"
    """The paper artifact this study reproduces (a label for the report)."""
    describe_choices: bool = False
    """List the instance and algorithm choices the paper leaves open in the report (one study does)."""


@dataclass(frozen=True)
class Summary(StudySummary):
    """Bands of J and the critic gap per N, sample and runtime speedups with their cells, the choices made."""
    name: str
    artifact: str
    option: str
    target_fraction: float
    cores: int
    workers: tuple
    threads_workers: tuple
    J_star: Estimate
    J0: Estimate
    sample_speedup: dict
    runtime_speedup: dict
    final_J: dict
    closed_fraction: dict
    initial_critic_gap: dict
    final_critic_gap: dict
    curves: pd.DataFrame = field(repr=False)
    speedup: pd.DataFrame = field(repr=False)


def _split(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    stats.need(runs, "run_id", "workers", "seed", "mode", "samples", "time_s", "J", "gap", "critic_gap")
    sim, thr = runs[runs["mode"] != "threads"], runs[runs["mode"] == "threads"]
    if sim.empty:
        raise ValidationError("runs.mode", "needs simulated (or sync) runs for the sample panels")
    return sim, thr


def _per_worker(sim: pd.DataFrame, value, positive: bool) -> dict:
    out = {}
    for n in pl.values(sim, "workers"):
        per_run = [value(r) for r in stats.split_runs(sim[sim["workers"] == n])]
        out[n] = stats.positive_mean_ci(per_run) if positive else stats.mean_estimate(per_run)
    return out


def summarise(results: Results) -> Summary:
    """Panels (a)–(d) of the module docstring from the runs: bands over seeds and the speedup cells."""
    s = results.settings
    sim, thr = _split(results.runs)
    f = s.target_fraction
    bands = [pl.worker_bands(sim, "samples", "J", log_x=True, positive_x=True, panel="a")]
    if not thr.empty:
        bands.append(pl.worker_bands(thr, "time_s", "J", log_x=True, positive_x=True, panel="b"))
    bands.append(pl.worker_bands(sim, "samples", "critic_gap", log_x=True, positive_x=True, panel="c"))
    sp = stats.speedup_table(sim, "samples", f)
    speedups = [pl.labelled(sp, kind="sample", clock="samples")]
    runtime = {}
    if not thr.empty and 1 in pl.values(thr, "workers"):
        spt = stats.speedup_table(thr, "time", f, meta=results.meta)  # online wall hitting times where recorded
        speedups.append(pl.labelled(spt, kind="runtime", clock="wall"))
        runtime = stats.estimates(spt)
    J0, Jstar = stats.reference_levels(sim)
    n_runs = len(stats.split_runs(sim))
    option = "/".join(pl.OPTIONS.get(v, v) for v in pl.values(sim, "sampling"))
    return Summary(
        name=results.name, artifact=s.artifact, option=option, target_fraction=f, cores=results.run_cores,
        workers=tuple(pl.values(results.runs, "workers")),
        threads_workers=tuple(pl.values(thr, "workers")) if not thr.empty else (),
        J_star=no_interval(Jstar, n_runs), J0=no_interval(J0, n_runs),
        sample_speedup=stats.estimates(sp), runtime_speedup=runtime,
        final_J=_per_worker(sim, lambda r: r["J"].iloc[-1], False),
        closed_fraction=_per_worker(sim, lambda r: 1.0 - r["gap"].iloc[-1] / r["gap"].iloc[0], False),
        initial_critic_gap=_per_worker(sim, lambda r: r["critic_gap"].iloc[0], True),
        final_critic_gap=_per_worker(sim, lambda r: r["critic_gap"].iloc[-1], True),
        curves=pl.stack(bands), speedup=pl.stack(speedups),
        choices=_choices(results) if s.describe_choices else ())


def draw(results: Results, summary: Summary, path) -> None:
    """The paper's four panels for one sampling option."""
    sim, thr = _split(results.runs)
    f = summary.target_fraction
    palette = pl.colors(summary.workers)
    curves = summary.curves
    fig, axes = pl.new_figure(2, 2, 10, 7.4)
    (ax_a, ax_b), (ax_c, ax_d) = axes

    pl.draw_worker_bands(ax_a, curves[curves["panel"] == "a"], palette, log_x=True)
    pl.target_lines(ax_a, sim, f)
    ax_a.set(xlabel="total samples k (all workers)", ylabel="J(θ_k)  (exact, normalised return)",
             title="(a) objective vs total samples")
    ax_a.legend(loc="center left", ncol=2)

    if summary.threads_workers:
        pl.draw_worker_bands(ax_b, curves[curves["panel"] == "b"], palette, log_x=True)
        pl.target_lines(ax_b, thr, f)
        ax_b.set(xlabel="wall-clock time (s), real threads", ylabel="J(θ_k)  (exact)",
                 title=f"(b) objective vs wall-clock time (threads, N = {', '.join(map(str, summary.threads_workers))})")
        ax_b.legend(loc="lower right", ncol=2)
    else:
        pl.no_data(ax_b, "threads-mode")
        ax_b.set_title("(b) objective vs wall-clock time")

    pl.draw_worker_bands(ax_c, curves[curves["panel"] == "c"], palette, log_x=True, log_y=True)
    ax_c.set(xlabel="total samples k (all workers)", ylabel="‖w_k − w*(θ_k)‖₂",
             title="(c) critic gap vs total samples")
    ax_c.legend(loc="upper right", ncol=2)

    sp = summary.speedup
    missed = pl.draw_speedup(ax_d, sp[sp["kind"] == "sample"], "C0", "sample speedup (simulated delays)")
    if summary.runtime_speedup:
        missed |= pl.draw_speedup(ax_d, sp[sp["kind"] == "runtime"], "C3", "runtime speedup (threads, wall clock)",
                                  marker="s")
    pl.speedup_axis(ax_d, summary.workers, missed)
    ax_d.set(xlabel="workers N", ylabel="speedup  T(1) / (T(N)/N)  or  time(1)/time(N)",
             title=f"(d) speedup to close {f:.0%} of the gap (mean, 95% CI)")
    ax_d.legend(loc="upper left")
    pl.save(fig, path, results.title)


def numbers(summary: Summary) -> list[Number]:
    """The rows of summary.csv: final J and critic gap, sample and runtime speedups per N."""
    return [*by_workers("sample speedup", summary.sample_speedup),
            *by_workers("runtime speedup (threads)", summary.runtime_speedup),
            *by_workers("final J", summary.final_J),
            *by_workers("fraction of the gap closed at the end", summary.closed_fraction),
            *by_workers("initial critic gap", summary.initial_critic_gap),
            *by_workers("final critic gap", summary.final_critic_gap),
            Number("J*", "optimal policy (dynamic programming)", summary.J_star),
            Number("J(theta_0)", "uniform policy", summary.J0)]


def speedup_verdict(speedups: dict, option: str) -> str:
    """The (d) rule of the module docstring on ``{N: Estimate}``."""
    verdicts = ef.speedup_verdicts(speedups)
    undetermined = [n for n, v in sorted(verdicts.items()) if v == ef.UNDETERMINED]
    text = ef.paper_claim_verdict(verdicts, "iid" if option == "i.i.d." else "markov")
    return text + (f" (undetermined at N = {', '.join(map(str, undetermined))})" if undetermined else "")


def claims(summary: Summary) -> list[Claim]:
    """The Fig. 1/2 rows of paper_repro.md, each with the verdict of the module docstring's rules."""
    label, option, f = summary.artifact, summary.option, summary.target_fraction
    png = f"`{summary.name}.png`"
    closed = [e.value for e in summary.closed_fraction.values()]
    lo_c, hi_c = min(closed), max(closed)
    ok = all(c >= f for c in closed)
    gain = any(n > 1 and np.isfinite(e.lo) and e.lo > 1 for n, e in summary.runtime_speedup.items())
    ratios = [summary.final_critic_gap[n].value / summary.initial_critic_gap[n].value for n in summary.final_critic_gap]
    return [
        Claim(f"{label}(a) {option}: J vs samples", "J(θ_k) rises toward the optimum for every N", png,
              f"final J: {listing(summary.final_J, pl.fmt)}; J* = {pl.fmt(summary.J_star)}; fraction of the gap "
              f"closed at the end {lo_c:.3g}–{hi_c:.3g}",
              "reproduced" if ok else f"partly: closes {lo_c:.2f}–{hi_c:.2f} of the gap",
              "exact J(θ_k), not an estimate; whether the gap left open is an O(ε_app) floor: see the "
              "feature_control row (one-hot critic features, ε_app = 0)"),
        Claim(f"{label}(b) {option}: J vs wall-clock time", "more workers reach a given J sooner in wall time",
              png + ", panel (b)", f"runtime speedup to {f:.0%}: {listing(summary.runtime_speedup, pl.fmt)}",
              "reproduced" if gain else f"not reproduced on this {summary.cores}-core machine",
              "real Hogwild threads; see the threads_runtime row for wall time and throughput; the time to target "
              "is short, so thread start-up weighs on it"),
        Claim(f"{label}(c) {option}: critic gap", "‖w_k − w*(θ_k)‖₂ decreases to a small value", png + ", panel (c)",
              f"initial {pl.fmt(summary.initial_critic_gap[min(summary.initial_critic_gap)])}; final "
              f"{listing(summary.final_critic_gap, pl.fmt)}",
              "reproduced" if ratios and max(ratios) < GAP_RATIO else "partly",
              f"tracking error of the critic; rule: final < {GAP_RATIO} × initial at every N"),
        Claim(f"{label}(d) {option}: speedup",
              "speedup (paper eq. 1) roughly linear in N" if option == "i.i.d." else "roughly linear only for small N",
              png + ", panel (d)", f"sample speedup to {f:.0%}: {listing(summary.sample_speedup, pl.fmt)}",
              speedup_verdict(summary.sample_speedup, option),
              f"exact delay simulator, round-robin τ = N − 1; {ef.VERDICT_RULE}; {RESTS_ON}; paper instance: see "
              "the speedup rows for its myopia and the non-myopic instances"),
    ]


def _median(meta: pd.DataFrame, column: str) -> float | None:
    """Median of a metadata column over the runs, None when the runs did not record it."""
    if column not in meta.columns or meta[column].isna().all():
        return None
    return float(meta[column].median())


def _choices(results: Results) -> tuple:
    """The settings the paper leaves open: the first part's resolved config, and the radius and the
    sampling-law bias the runs recorded in their metadata."""
    base = results.configs[0]
    p, a, r = base["problem"], base["algorithm"], base["run"]
    radius = _median(results.meta, "radius")
    if radius is None:  # runs tables written before runs kept their metadata
        from .. import config, exact

        problem = config.build_problem(config.from_dict(base))
        radius = a["radius"] or float(exact.theory_radius(problem, np.zeros(problem.policy.dim)))
    bias = _median(results.meta, "sampling_law_bias_tv_mu_mean")
    bias_text = (f"median over runs of the mean TV drift of μ between refreshes: {bias:.3g}" if bias is not None
                 else "bias not recorded in these runs' metadata")
    f = results.settings.target_fraction
    return (("instance", f"{p['n_states']} states, {p['n_actions']} actions, critic features d = {p['feature_dim']} "
                         f"({p['critic_features']}), {p['actor']} softmax actor, instance seed {p['seed']}"),
            ("rewards", f"`problem.reward = \"{p['reward']}\"` (see `mdp.paper_mdp`)"),
            ("γ, η", f"{p['gamma']}, uniform"),
            ("step sizes", f"α_k = {a['c_alpha']:g}/(1+k)^{a['sigma_alpha']:g}, "
                           f"β_k = {a['c_beta']:g}/(1+k)^{a['sigma_beta']:g}"),
            ("critic radius R_w", f"{radius:.4g} (= r_max / λ_min(−A_θ0) when `algorithm.radius = 0`)"),
            ("i.i.d. sampling laws", f"μ_θ, d_θ recomputed every {a['refresh']} updates ({bias_text})"),
            ("horizon, snapshots", f"{r['samples']:.3g} samples (updates), {r['snapshots']} log-spaced snapshots"),
            ("speedup target", f"{f:.0%} of the gap J* − J(θ_0) closed"),
            ("delays", "exact simulator (round-robin τ = N − 1) for sample counts; real threads for wall clock"))
