"""Speedup vs N that can come out sub-linear: efficiency ``E(N) = Speedup(N)/N`` per instance, sampling
option, delay model, step-size rule and target, with the three-way verdict of :mod:`efficiency`.

Runs (spec ``speedup.toml``): the exact delay simulator, N = 1 … 1024, round-robin delays (τ = N − 1) over a
small grid of ``c_α`` and random exponential compute times at the default ``c_α``; on the paper instance
(myopia 1: a contextual bandit) and two non-myopic instances (a trap chain and FrozenLake 4x4).

Targets, per instance: fractions ``f`` of the gap ``J* − J(θ_0)`` closed (``settings.targets``), and the
theory's own quantity, the first K with ``(1/K) Σ_{k<K} ‖∇J(θ_k)‖² ≤ ε`` for
``ε = e · ‖∇J(θ_0)‖²``
(``settings.grad_targets``). A run that recorded a target online (its config's ``[targets]``,
:mod:`a3c_theory.engine.targets`: the first crossing on a fine grid, to 1% of the count; the running average
by the trapezoid rule on the check grid) is costed by that hitting time; a run without it by the crossing
read from its snapshots (the running average from snapshots, ``evaluate.running_average``).

Step sizes: "fixed" uses the instance's default ``c_α`` (``settings.default_c_alpha``) at every N;
"tuned" takes, for each N and target separately, the ``c_α`` of that N's grid with the smallest ERT
(:func:`time_to_target.ert`) on the *tuning seeds*, and is scored on the *scoring seeds*, disjoint from them
(:func:`tuned_choices`). With sequential seeds (``settings.sequential``, initial ``n_0``) the tuning seeds are
``0 … n_0 − 1`` and the scoring seeds ``n_0 … 2n_0 − 1`` (the schedule's second count), and the grid brackets
its optimum: a choice on an edge of its N's grid gets the next value of the ladder beyond that edge
(:func:`beyond`: ``…, 1, 3, 10, 30, …`` continues as the grid's own ratios alternate), run on the tuning
seeds at that N, until the choice is interior or the N's grid holds ``settings.tuning_values`` values (then
the cell is flagged ``tuning_edge``). Without sequential seeds there are no rounds: the choice and the score
use the same (initial) seeds, and the report says so. Only gap targets are tuned: a target on
``(1/K) Σ ‖∇J‖²`` is reached soonest by a step size that saturates the softmax, where ‖∇J‖ vanishes at a
deterministic policy, optimal or not. Measured in the full ``reproduce`` of bbabb57, which tuned both: every
gap-target choice was interior, while 128 of the 312 tuned cells chose the top of a 7-value grid, all on
the gradient targets (c_α = 10⁴ on the paper instance, 3·10⁴–10⁵ on FrozenLake, 100–1000 on the trap chain),
whose runs ended (medians over the runs of each such c_α) with ‖∇J‖² of 3e-16 to 8e-10, having closed 0.29
(paper, c_α = 10⁴), 0.39 (FrozenLake, 10⁵) and −0.02 (trap chain, 300: stuck in the trap) of the gap.

Superlinear points (the interval of ``E`` above 1) are flagged. The mechanism behind them is measured:
with round-robin delays the first N updates of an N-worker run are all computed at ``θ_0``; the fraction
of the gap closed after those first N updates (interpolated between snapshots) is compared with what one
worker closes after the same N updates.

Sequential seeds (``settings.sequential``, :class:`sequential.Plan`; :func:`more_seeds`): the cells that
``decided_fractions`` counts (round-robin delays, the fixed c_α) start at the plan's initial seeds; an open
cell's config and the one-worker config it is paired with get the schedule's next count (10, 20, 40, 80,
160, 300), until the cell decides, reaches the cap, or its power calculation asks for more than the cap
(futility). Each such cell is judged on the seeds both its configs have, with its interval at the look
confidence ``1 − (1 − c)/L`` (Bonferroni over the ``L`` looks, so coverage ``c`` holds under the stopping
rule); "linear up to N" and the first sub-linear N search the N grid at ``1 − (1 − c)/(L·G)`` (``G`` the
N > 1 of the grid). Every other cell is judged once, on the initial seeds, at 95%. An open cell states the
seeds :func:`sequential.seeds_needed` gives and the CPU-seconds its missing runs would take (its configs'
mean wall time per run); the report states the expected number of false verdicts of the table.

Verdict rules (paper_repro.md): at every N, :data:`efficiency.VERDICT_RULE`. Per instance and sampling
option the report states "linear up to N" and the first sub-linear N for the fixed and the tuned step
sizes. The paper's i.i.d. claim (linear speedup, Theorem 1) counts as contradicted on an instance only
when some N inside the theorem's regime ``N − 1 ≤ K^{1/5}`` is sub-linear there, with K the updates one
worker needs to reach the target (:func:`efficiency.paper_claim_verdict`; a sub-linear N outside it is
"outside the theorem's regime"); its Markovian claim ("roughly linear only for small N") as reproduced when
the smallest N > 1 is linear and a larger one sub-linear, consistent when every N is linear.

Storage (:func:`stored_rows`): a run whose metadata holds the online hitting time of every target of its
instance keeps only the snapshots the summary reads of it: the first (``gap_0``) and the last, and with
round-robin delays the rows that bracket k = N for the mechanism (an N-worker run at its own N, a one-worker
run at every N > 1 of its instance, sampling option and c_α); a run without them keeps every snapshot (its
costs are read from its curves).
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Annotated, Optional

import numpy as np
import pandas as pd

from ..engine.targets import target_name
from ..errors import ValidationError
from ..instances.diagnose import MYOPIA_WARNING, diagnostics_table, format_eps_app, summary_line
from . import efficiency as ef
from . import plotting as pl
from . import hits, stats, stored
from . import sequential as sq
from . import time_to_target as ttt
from .resample import CONFIDENCE
from .study import Claim, Fraction, NewConfig, Number, Positive, Range, Results, StudySettings, StudySummary, \
    no_interval

SAMPLE_SPEEDUP_VERDICT = True
"""reproduce warns when every instance of this study is myopic: its sample-speedup verdicts could not fail."""

FIXED, TUNED = "fixed", "tuned"
SUPERLINEAR = 1.0
"""A point is flagged superlinear when the interval of E(N) lies above 1."""


DEFAULT_TARGETS = (0.5, 0.8, 0.95)
"""Fractions of the gap ``J* − J(θ_0)`` for an instance kind that ``settings.targets`` does not list."""


@dataclass(frozen=True)
class Settings(StudySettings):
    """Spec settings: gap targets per instance kind, running-average targets, the default c_α per kind."""
    targets: dict[str, tuple[Fraction, ...]] = field(default_factory=dict)
    """Instance kind -> fractions of the gap to close; a kind not listed gets :data:`DEFAULT_TARGETS`."""
    grad_targets: tuple[Fraction, ...] = (0.3, 0.1)
    """ε / ‖∇J(θ_0)‖² for the targets on (1/K) Σ ‖∇J(θ_k)‖²."""
    default_c_alpha: dict[str, Positive] = field(default_factory=lambda: {"paper": 30.0})
    """Instance kind -> the fixed c_α (must be one of its grid values; a kind not listed: the smallest)."""
    sequential: Optional[sq.Plan] = None
    """Sequential seeds for the cells :func:`in_rounds` (module docstring); None: every cell on the spec's seeds."""
    tuning_values: Annotated[int, Range(3, 30)] = 7
    """Most c_α values at one N for the tuned rule: an edge choice extends its N's grid until then (module
    docstring, "Step sizes"; only with ``sequential``, whose rounds run the new values)."""


@dataclass(frozen=True)
class Summary(StudySummary):
    """E(N) cells, verdicts per (instance, option, delay, rule, target), the start-up mechanism, diagnostics."""
    instances: tuple
    efficiency: pd.DataFrame = field(repr=False)
    """One row per instance, sampling, delay, step rule, target, N: E, interval, verdict, c_α used."""
    verdicts: pd.DataFrame = field(repr=False)
    """One row per instance, sampling, delay, step rule, target: linear up to N, first sub-linear N."""
    mechanism: pd.DataFrame = field(repr=False)
    """Gap closed after the first N updates: N workers (all computed at θ_0) vs one worker."""
    diagnostics: pd.DataFrame = field(repr=False)
    """Instance diagnostics at θ_0 (myopia, |λ₂|, TV(μ, d), ε_app)."""
    plan: Optional[sq.Plan] = None
    """The sequential-seeds plan of the spec (None: every cell on the spec's seeds)."""
    tuning_values: int = Settings.tuning_values
    """The spec's ``settings.tuning_values``."""


# --------------------------------------------------------------------------- per-run curves
def _targets(settings: Settings, kind: str) -> list[tuple[str, str, float, bool, str]]:
    """``(label, metric column, level, decreasing, online name)`` for every target of an instance (the online
    name: the key of its hitting time in a run's metadata, ``engine.targets.target_name``)."""
    out = [(f"gap {f:.0%}", "closed", f, False, target_name("gap", f))
           for f in settings.targets.get(kind, DEFAULT_TARGETS)]
    out += [(f"(1/K)Σ‖∇J‖² ≤ {e:g}‖∇J(θ0)‖²", "grad", e, True, target_name("avg_grad", e))
            for e in settings.grad_targets]
    return out


@dataclass(frozen=True)
class _Config:
    """One config's runs to one target: per-seed costs, horizons, seeds, one of its run ids, mean wall seconds."""
    cost: np.ndarray
    horizon: np.ndarray
    seeds: np.ndarray
    run_id: str
    seconds: float

    def keep(self, seeds) -> "_Config":
        """The runs of the given seeds only (None: every run)."""
        if seeds is None:
            return self
        mask = np.isin(self.seeds, np.asarray(list(seeds)))
        return dataclasses.replace(self, cost=self.cost[mask], horizon=self.horizon[mask], seeds=self.seeds[mask])


def _costs(table: pd.DataFrame, column: str, level: float, decreasing: bool, online: dict,
           seconds: dict | None = None) -> dict:
    """``{(c_α, N): _Config}`` for one instance, sampling option and delay model. A run that recorded the target
    online (``online``: run id -> (hitting time, horizon), from :func:`hits.online_costs`) contributes that
    hitting time, to ``hit_resolution`` of the count; another contributes the first crossing read from its
    snapshots (``efficiency.cost_to_level``). ``seconds``: run id -> wall seconds (NaN where missing)."""
    out = {}
    seconds = seconds or {}
    for (c, n), g in table.groupby(["c_alpha", "workers"]):
        pairs = [online[rid] if rid in online else (ef.cost_to_level(k, y, level, decreasing), float(k[-1]))
                 for rid, k, y in zip(g["run_id"], g["k"], g[column])]
        walls = [seconds.get(rid, np.nan) for rid in g["run_id"]]
        out[(float(c), int(n))] = _Config(np.array([c for c, _ in pairs]), np.array([h for _, h in pairs]),
                                          g["seed"].to_numpy(), str(g["run_id"].iloc[0]),
                                          float(np.nanmean(walls)) if np.isfinite(walls).any() else np.nan)
    return out


def _online(meta: pd.DataFrame, name: str) -> dict:
    """``{run id: (hitting time, horizon)}`` of the runs whose metadata recorded target ``name`` online (its
    level ``target_levels_<name>``, reached or not)."""
    if f"target_levels_{name}" not in meta.columns:
        return {}
    costs = hits.online_costs(meta[meta[f"target_levels_{name}"].notna()], name)
    return {rid: (cost, horizon) for rid, cost, horizon in zip(costs["run_id"], costs["cost"], costs["horizon"])}


ROUND_ROBIN = "round_robin"


def in_rounds(settings: Settings, delay: str, rule: str) -> bool:
    """Whether a cell takes sequential seeds: the cells ``decided_fractions`` counts (round-robin delays, the
    fixed c_α), when the spec declares ``settings.sequential``."""
    return settings.sequential is not None and delay == ROUND_ROBIN and rule == FIXED


def _grid_cells(workers) -> int:
    """Cells a claim over the N grid searches ("linear up to N"): the N > 1 of the grid."""
    return max(1, sum(1 for n in workers if n > 1))


@dataclass(frozen=True)
class _Group:
    """The costs of one instance, sampling option, delay model and target: ``{(c_α, N): _Config}``."""
    kind: str
    sampling: str
    delay: str
    target: str
    metric: str
    """``closed`` (a gap target) or ``grad`` (a target on (1/K)Σ‖∇J‖²)."""
    costs: dict
    default: float

    @property
    def workers(self) -> list[int]:
        return sorted({n for _, n in self.costs})

    @property
    def tunable(self) -> bool:
        """A gap target with more than one c_α at one worker: the tuned rule has a choice (module docstring,
        "Step sizes": a target on (1/K)Σ‖∇J‖² is not tuned)."""
        return self.metric == "closed" and len({c for c, n in self.costs if n == 1}) > 1


def _groups(settings: Settings, runs: pd.DataFrame, meta: pd.DataFrame | None) -> list[_Group]:
    """The :class:`_Group` of every (instance, sampling, delay, target) of the runs; ``meta``: the runs'
    metadata, whose online hitting times are used where recorded (:func:`_costs`)."""
    meta = pd.DataFrame({"run_id": []}) if meta is None else meta
    stats.need(runs, "algorithm.c_alpha")  # a grid column in every part (one value where it is not swept)
    seconds = dict(zip(meta["run_id"], meta["wall_seconds"])) if "wall_seconds" in meta.columns else {}
    out, online = [], {}
    table = ef.curves_per_run(runs)
    for (kind, sampling, delay), group in table.groupby(["kind", "sampling", "delay"], sort=True):
        grid = sorted(group["c_alpha"].unique())
        default = float(settings.default_c_alpha.get(kind, grid[0]))
        if default not in grid:
            raise ValidationError(f"default_c_alpha.{kind}", f"{default:g} is not among the runs' c_α {grid}")
        for label, column, level, decreasing, name in _targets(settings, kind):
            if name not in online:
                online[name] = _online(meta, name)
            out.append(_Group(kind, sampling, delay, label, column,
                              _costs(group, column, level, decreasing, online[name], seconds), default))
    return out


@dataclass(frozen=True)
class Choice:
    """The tuned rule's c_α at one N (:func:`tuned_choices`): ``values``, that N's grid; ``edge``: chosen on an
    edge of it; ``beyond``: the value to try next (None when the choice is final)."""
    c_alpha: float
    values: tuple
    edge: bool
    beyond: Optional[float]


def tuned_choices(costs: dict, seeds, most_values: int, default: float) -> dict[int, Choice]:
    """Per N, the c_α of that N's grid with the smallest ERT over ``seeds`` (the tuning seeds; ties: the
    smaller c_α), from ``costs = {(c_α, N): _Config}``. A choice on an edge of a grid of fewer than
    ``most_values`` values is not final: ``beyond`` is the ladder's next value past that edge (:func:`beyond`).
    Where no value reached the target on a tuning seed, the choice is ``default`` (or the smallest value
    at that N), final and not on an edge."""
    out = {}
    for n in sorted({m for _, m in costs}):
        values = tuple(sorted(c for c, m in costs if m == n))
        scores = [_ert(costs[(c, n)].keep(seeds)) for c in values]
        if not np.isfinite(min(scores)):
            out[n] = Choice(default if default in values else values[0], values, False, None)
            continue
        best = values[int(np.argmin(scores))]
        edge = len(values) > 1 and best in (values[0], values[-1])
        more = beyond(values, best == values[-1]) if edge and len(values) < most_values else None
        out[n] = Choice(best, values, edge, more)
    return out


def _ert(entry: "_Config") -> float:
    return ttt.ert(entry.cost, entry.horizon) if len(entry.cost) else np.inf


def beyond(values, up: bool) -> float:
    """The next c_α past an edge of the sorted grid ``values``: the edge times (up) or over (down) the ratio
    of the grid's second pair from that edge (its only pair for two values), so ``1, 3, 10`` continues
    ``0.3, …, 30, 100``; 4 significant digits."""
    v = list(values) if up else [1.0 / x for x in reversed(values)]
    step = v[-2] / v[-3] if len(v) > 2 else v[-1] / v[-2]
    x = v[-1] * step if up else 1.0 / (v[-1] * step)
    return float(np.round(x, 3 - int(np.floor(np.log10(x)))))


def tuning_seeds(plan) -> tuple[Optional[range], Optional[range]]:
    """``(tuning seeds, scoring seeds)`` of the tuned rule (module docstring, "Step sizes"); ``(None, None)``
    without sequential seeds (both are every seed)."""
    if plan is None:
        return None, None
    return range(plan.initial), range(plan.initial, 2 * plan.initial)


def _efficiency_rows(settings: Settings, runs: pd.DataFrame, meta: pd.DataFrame | None = None,
                     only_rounds: bool = False) -> pd.DataFrame:
    """The split-estimand cells of every (instance, sampling, delay, step rule, target, N) (:func:`_cell_rows`);
    ``meta``: the runs' metadata (:func:`_groups`)."""
    return _cell_rows(settings, _groups(settings, runs, meta), only_rounds)


def _cell_rows(settings: Settings, groups: list[_Group], only_rounds: bool = False) -> pd.DataFrame:
    """The cells of :func:`_efficiency_rows` from the runs' :func:`_groups`. ``only_rounds``: only the cells that
    take sequential seeds (:func:`in_rounds`).

    Seeds and confidence (module docstring, "Sequential seeds"): a cell in the rounds is judged on every seed
    that both its configs have, at the plan's look confidence (``verdict``), and at the plan's joint
    confidence over the N grid (``joint_verdict``, for the claims that search it); a tuned cell on its scoring
    seeds (:func:`tuning_seeds`) that both configs have, any other cell on the plan's initial seeds, at 95%
    (both verdicts)."""
    plan = settings.sequential
    rows = []
    initial = range(plan.initial) if plan is not None else None
    tuning, scoring = tuning_seeds(plan)
    for g in groups:
        costs, workers = g.costs, g.workers
        rules = [(FIXED, {n: Choice(g.default, (g.default,), False, None) for n in workers})]
        if g.tunable and not only_rounds:
            rules.append((TUNED, tuned_choices(costs, tuning, settings.tuning_values, g.default)))
        for rule, chosen in rules:
            rounds = in_rounds(settings, g.delay, rule)
            if (chosen[1].c_alpha, 1) not in costs or (only_rounds and not rounds):
                continue
            own = plan.for_instance(g.kind) if rounds else None
            levels = (own.level(), own.level(_grid_cells(workers))) if rounds else (CONFIDENCE, CONFIDENCE)
            seeds = None if rounds else (scoring if rule == TUNED else initial)
            for n in workers:
                if (chosen[n].c_alpha, n) not in costs:
                    continue
                scaled, base = (costs[key] for key in ((chosen[n].c_alpha, n), (chosen[1].c_alpha, 1)))
                if seeds is not None:
                    scaled, base = scaled.keep(seeds), base.keep(seeds)
                if rounds or rule == TUNED:  # the seeds both configs have (one may have more, for other cells)
                    common = np.intersect1d(scaled.seeds, base.seeds)
                    scaled, base = scaled.keep(common), base.keep(common)
                if not len(scaled.seeds) or not len(base.seeds):
                    continue
                cells = [ef.cell(base.cost, base.horizon, scaled.cost, scaled.horizon, (base.seeds, scaled.seeds),
                                 level=lev) for lev in dict.fromkeys(levels)]
                row, joint = ef.cell_row(cells[0], n), ef.cell_row(cells[-1], n)
                rows.append({"instance": g.kind, "sampling": g.sampling, "delay": g.delay, "step_rule": rule,
                             "target": g.target, "workers": n, "c_alpha": chosen[n].c_alpha, **row,
                             "superlinear": bool(np.isfinite(row["lo"]) and row["lo"] > SUPERLINEAR),
                             "horizon": float(scaled.horizon.min()), "confidence": levels[0],
                             "joint_confidence": levels[1], "joint_verdict": joint["verdict"],
                             "joint_ert_verdict": ef.verdict(stats.Estimate(joint["ert_efficiency"], joint["ert_lo"],
                                                                            joint["ert_hi"], n), n),
                             "in_rounds": rounds, "tuning_edge": chosen[n].edge,
                             "c_alpha_values": len(chosen[n].values),
                             **_needs(row, n, levels[0], scaled, base),
                             "config_run": scaled.run_id, "base_run": base.run_id})
    return pd.DataFrame(rows)


RUN_KEYS = ("config_run", "base_run")
"""Columns of :func:`_efficiency_rows` that name a run of each config of a cell (for :func:`more_seeds`)."""


def _needs(row: dict, workers: int, level: float, scaled: "_Config", base: "_Config") -> dict:
    """An open cell's seeds (:func:`sequential.seeds_needed` at its confidence, if its estimate were the
    truth) and the CPU-seconds the missing runs of its two configs would take (their mean wall time per
    run); NaN for a decided or not estimable cell."""
    if workers == 1 or row["verdict"] != ef.UNDETERMINED:
        return {"seeds_needed": np.nan, "cpu_seconds_needed": np.nan}
    needed = sq.seeds_needed(row["efficiency"], row["lo"], row["hi"], int(row["runs"]), ef.EFFICIENCY_LINEAR, level)
    missing = max(0.0, needed - row["runs"]) if np.isfinite(needed) else needed
    return {"seeds_needed": needed, "cpu_seconds_needed": missing * (scaled.seconds + base.seconds)}


def more_seeds(results: Results) -> dict:
    """:class:`study.SequentialStudy`: the configs of the open cells in the rounds (:func:`in_rounds`), each
    with the next count of the plan's schedule for its cell (:meth:`sequential.Plan.wants`), and the one-worker
    config each is paired with, at the largest count any of its cells asks for; and the tuned rule's runs
    (:func:`tuning_requests`)."""
    plan = results.settings.sequential
    if plan is None:
        return {}
    groups = _groups(results.settings, results.runs, results.meta)
    eff = _cell_rows(results.settings, groups, only_rounds=True)
    wanted: dict = {}
    for r in eff[(eff["workers"] > 1) & (eff["verdict"] == ef.UNDETERMINED)].itertuples():
        count = plan.for_instance(r.instance).wants(int(r.runs), float(r.seeds_needed))
        if count is not None:
            for rid in (r.config_run, r.base_run):
                wanted[rid] = max(wanted.get(rid, 0), count)
    for config, count in tuning_requests(results.settings, groups).items():
        wanted[config] = max(wanted.get(config, 0), count)
    return wanted


def tuning_requests(settings: Settings, groups: list[_Group]) -> dict:
    """The tuned rule's runs (module docstring, "Step sizes"), from the runs' :func:`_groups`: at every N whose
    choice is on an edge of its grid and not final, the next value past it (a :class:`study.NewConfig` of that
    N's edge config) on the tuning seeds; at every N whose choice is final, the chosen config on the scoring
    seeds too."""
    tuning, scoring = tuning_seeds(settings.sequential)
    wanted: dict = {}
    for g in groups:
        if not g.tunable:
            continue
        for n, choice in tuned_choices(g.costs, tuning, settings.tuning_values, g.default).items():
            run = g.costs[(choice.c_alpha, n)].run_id
            if choice.beyond is not None:
                wanted[NewConfig(run, (("algorithm.c_alpha", choice.beyond),))] = len(tuning)
            else:
                wanted[run] = max(wanted.get(run, 0), scoring.stop)
    return wanted


def _verdict_rows(eff: pd.DataFrame) -> pd.DataFrame:
    """Per (instance, sampling, delay, step rule, target): linear up to N and the first sub-linear N, on the
    verdicts at the joint confidence over the N grid (``joint_verdict``); the cells still open at their own
    confidence; the superlinear N."""
    rows = []
    keys = ["instance", "sampling", "delay", "step_rule", "target"]
    for key, g in eff.groupby(keys, sort=False):
        joint = dict(zip(g["workers"], g["joint_verdict"]))
        verdicts = dict(zip(g["workers"], g["verdict"]))
        first = ef.first_sublinear(joint)
        rows.append({**dict(zip(keys, key)), "linear_up_to": ef.linear_up_to(joint),
                     "first_sublinear": first if first is not None else 0,
                     "undetermined": ",".join(str(n) for n, v in sorted(verdicts.items()) if v == ef.UNDETERMINED),
                     "superlinear": ",".join(str(n) for n in g["workers"][g["superlinear"]])})
    return pd.DataFrame(rows)


def _mechanism_rows(runs: pd.DataFrame, defaults: dict | None = None) -> pd.DataFrame:
    """Gap closed at k = N by the N-worker runs (first N updates all computed at θ_0, round-robin) and by the
    one-worker runs, per instance, sampling option and c_α; mean and t-interval over seeds."""
    table = ef.curves_per_run(runs)
    table = table[table["delay"] == "round_robin"]
    smallest = table.groupby("kind")["c_alpha"].min()  # the fixed c_α of a kind ``defaults`` does not list
    rows = []
    for (kind, sampling, c), group in table.groupby(["kind", "sampling", "c_alpha"], sort=True):
        single = group[group["workers"] == 1]
        if single.empty:  # a c_α the tuned rule tried at some N > 1 only
            continue
        for n, g in group[group["workers"] > 1].groupby("workers"):
            at_n = [float(np.interp(n, k, y)) for k, y in zip(g["k"], g["closed"])]
            one = [float(np.interp(n, k, y)) for k, y in zip(single["k"], single["closed"])]
            a, b = stats.mean_estimate(at_n), stats.mean_estimate(one)
            rows.append({"instance": kind, "sampling": sampling, "c_alpha": c, "workers": int(n),
                         "default_c_alpha": bool(defaults is not None and float(defaults.get(kind, smallest[kind])) == c),
                         "closed_n_workers": a.value, "closed_n_workers_lo": a.lo, "closed_n_workers_hi": a.hi,
                         "closed_one_worker": b.value, "closed_one_worker_lo": b.lo, "closed_one_worker_hi": b.hi})
    return pd.DataFrame(rows)


def stored_rows(results: Results) -> pd.DataFrame:
    """The snapshot rows :func:`summarise` reads (module docstring, "Storage"): the runs table to store."""
    runs, meta, settings = results.runs, results.meta, results.settings
    stats.need(runs, "run_id", "kind", "sampling", "delay", "workers", "algorithm.c_alpha")
    online = {name: set(_online(meta, name)) for kind in runs["kind"].unique()
              for *_, name in _targets(settings, kind)}
    complete = {kind: set.intersection(*(online[name] for *_, name in _targets(settings, kind)))
                for kind in runs["kind"].unique()}
    firsts = runs.drop_duplicates("run_id")
    round_robin = firsts[(firsts["delay"] == ROUND_ROBIN) & (firsts["workers"] > 1)]
    grid = {key: sorted(set(g["workers"])) for key, g in round_robin.groupby(["kind", "sampling", "algorithm.c_alpha"])}

    def choose(first, k, _):
        if first["run_id"] not in complete[first["kind"]]:
            return None
        at = []
        if first["delay"] == ROUND_ROBIN:
            at = [first["workers"]] if first["workers"] > 1 else \
                grid.get((first["kind"], first["sampling"], first["algorithm.c_alpha"]), [])
        return np.union1d(stored.ends(k), stored.around(k, at) if at else [])
    return stored.keep(runs, choose)


def summarise(results: Results) -> Summary:
    """The cells, verdict rows and mechanism rows of the module docstring."""
    eff = _efficiency_rows(results.settings, results.runs, results.meta).drop(columns=list(RUN_KEYS), errors="ignore")
    summary = Summary(instances=tuple(pl.values(results.runs, "kind")), efficiency=eff, verdicts=_verdict_rows(eff),
                      mechanism=_mechanism_rows(results.runs, results.settings.default_c_alpha),
                      diagnostics=diagnostics_table(results.configs), plan=results.settings.sequential,
                      tuning_values=results.settings.tuning_values)
    title = (f"Speedup verdicts: E(N) [CI] and verdict per N ({rule_text(summary.plan)}; lin/SUB/und; * = some runs "
             "never reached the target: E(N) over those that did; ! = more of them than with one worker (exact test); "
             "↑ = interval above 1; → n: an open cell's seeds by the power calculation)")
    return dataclasses.replace(summary, tables=((title, tuple(verdict_table(summary))),))


# --------------------------------------------------------------------------- figure
def draw(results: Results, summary: Summary, path) -> None:
    """E(N) vs N per instance and option with verdict markers, and the start-up mechanism."""
    eff, mech = summary.efficiency, summary.mechanism
    kinds = list(summary.instances)
    options = [o for o in pl.OPTIONS if o in set(eff["sampling"])]
    fig, axes = pl.new_figure(len(kinds) + 1, len(options), max(11.0, 5.6 * len(options)), 3.4 * (len(kinds) + 1))
    for i, kind in enumerate(kinds):
        for j, option in enumerate(options):
            _draw_panel(axes[i, j], eff[(eff["instance"] == kind) & (eff["sampling"] == option)],
                        f"{pl.INSTANCE_NAMES.get(kind, kind)}, {pl.OPTIONS[option]}", summary.diagnostics, kind)
    for j, option in enumerate(options):
        _draw_mechanism(axes[-1, j], mech[(mech["sampling"] == option) & mech["default_c_alpha"]], pl.OPTIONS[option])
    pl.save(fig, path, results.title,
            f"Rule: {ef.VERDICT_RULE}" + (f"; round-robin fixed c_α at {summary.plan.level():.4g} (sequential seeds"
                                          + "".join(f"; {k}: {summary.plan.for_instance(k).level():.4g}"
                                                    for k in sorted(summary.plan.caps)) + ")"
                                         if summary.plan is not None else "") + ".\nMarkers (round-robin, fixed c_α): filled = linear, hollow = undetermined, "
            "x = sub-linear; solid: round-robin delays, fixed c_α (bars: the cell's CI); dotted: tuned c_α; "
            "dash-dot: exponential compute times, fixed c_α")


def _draw_panel(ax, eff: pd.DataFrame, title: str, diag: pd.DataFrame, kind: str) -> None:
    targets = list(dict.fromkeys(eff["target"]))
    palette = {t: f"C{i}" for i, t in enumerate(targets)}
    styles = (("round_robin", FIXED, "-"), ("round_robin", TUNED, ":"), ("exponential", FIXED, "-."))
    for target in targets:
        for delay, rule, ls in styles:
            g = eff[(eff["target"] == target) & (eff["delay"] == delay) & (eff["step_rule"] == rule)]
            if g.empty:
                continue
            g = g.sort_values("workers")
            x, y = g["workers"].to_numpy(float), g["efficiency"].to_numpy(float)
            label = target if (delay, rule) == ("round_robin", FIXED) else None
            ax.plot(x, y, ls=ls, color=palette[target], lw=1.1, label=label)
            if (delay, rule) == ("round_robin", FIXED):
                err = np.vstack([y - g["lo"].to_numpy(float), g["hi"].to_numpy(float) - y])
                ax.errorbar(x, y, yerr=np.where(np.isfinite(err), err, 0), fmt="none", color=palette[target],
                            lw=0.8, capsize=2)
                for xv, yv, v in zip(x, y, g["verdict"]):
                    marker, face = {ef.LINEAR: ("o", palette[target]), ef.UNDETERMINED: ("o", "none"),
                                    ef.SUBLINEAR: ("x", palette[target])}[v]
                    ax.plot([xv], [yv], marker=marker, mfc=face, color=palette[target], ms=5, ls="none")
    ax.axhline(ef.EFFICIENCY_LINEAR, color="k", ls="--", lw=0.8)
    ax.axhline(1.0, color="0.6", lw=0.6)
    pl.log2_axis(ax, sorted(set(eff["workers"])))
    d = diag[diag["instance"] == kind]
    note = ""
    if not d.empty:
        r = d.iloc[0]
        note = (f"\nmyopia {r['myopia']:.2f}, |λ2| {r['lambda2_critic']:.3f}, TV(μ,d) {r['tv_mu_d']:.2f}, "
                f"ε_app {format_eps_app(r['eps_app'], 2)}")
    ax.set(xlabel="workers N", ylabel="efficiency E(N) = Speedup(N)/N", title=title + note)
    ax.set_ylim(0, max(1.6, float(np.nanmax(eff["efficiency"].to_numpy(float), initial=1.0)) * 1.05))
    ax.legend(loc="lower left", fontsize=6.5)


def _draw_mechanism(ax, mech: pd.DataFrame, option: str) -> None:
    for i, ((kind, c), g) in enumerate(mech.groupby(["instance", "c_alpha"])):
        g = g.sort_values("workers")
        x = g["workers"].to_numpy(float)
        color = f"C{i}"
        name = f"{pl.INSTANCE_NAMES.get(kind, kind)}, c_α={c:g}"
        ax.plot(x, g["closed_n_workers"], color=color, marker="o", ms=3, lw=1.1, label=f"{name}: N workers")
        ax.plot(x, g["closed_one_worker"], color=color, ls=":", lw=1.1, label=f"{name}: 1 worker")
    pl.log2_axis(ax, sorted(set(mech["workers"])) or [1])
    ax.set(xlabel="N (= updates applied so far)", ylabel="fraction of the gap closed after N updates",
           title=f"{option}: the first N updates\n(all computed at θ_0 with N round-robin workers)")
    ax.legend(loc="upper left", fontsize=6)


# --------------------------------------------------------------------------- report
CLEAR = (0.65, 0.85)
"""Cells whose point estimate of E(N) lies outside this band count as clear (``decided_fraction_clear``)."""


def decided_fractions(eff: pd.DataFrame) -> dict[str, tuple[float, int, float, int]]:
    """Per instance: the share of N > 1 cells with round-robin delays and the fixed c_α (pooled over sampling
    options and targets) whose E(N) verdict is decided, with the number of cells, and the same share among
    the clear cells (point estimate outside :data:`CLEAR`) with their number."""
    cells = eff[(eff["workers"] > 1) & (eff["delay"] == "round_robin") & (eff["step_rule"] == FIXED)]
    out = {}
    for kind, g in cells.groupby("instance", sort=True):
        decided = g["verdict"] != ef.UNDETERMINED
        clear = (g["efficiency"] < CLEAR[0]) | (g["efficiency"] > CLEAR[1])
        out[kind] = (float(decided.mean()), len(g), float(decided[clear].mean()) if clear.any() else np.nan,
                     int(clear.sum()))
    return out


def numbers(summary: Summary) -> list[Number]:
    """The rows of summary.csv: E(N) of every cell, and per instance the decided shares
    (:func:`decided_fractions`) and the share of tuned cells whose c_α sits on an edge of their N's grid."""
    out = []
    for kind, (share, n, clear_share, n_clear) in decided_fractions(summary.efficiency).items():
        out.append(Number("decided_fraction", kind, no_interval(share, n)))
        if n_clear:
            out.append(Number("decided_fraction_clear", kind, no_interval(clear_share, n_clear)))
    tuned = summary.efficiency[summary.efficiency["step_rule"] == TUNED]
    for kind, g in tuned.groupby("instance"):
        out.append(Number("tuned_on_edge_fraction", kind, no_interval(float(g["tuning_edge"].mean()), len(g))))
    for r in summary.efficiency.itertuples():
        label = (f"{pl.INSTANCE_NAMES.get(r.instance, r.instance)}, {pl.OPTIONS.get(r.sampling, r.sampling)}, {r.delay}, "
                 f"c_α {r.step_rule} ({r.c_alpha:g}), {r.target}, N={r.workers}")
        out.append(Number("efficiency E(N) = Speedup(N)/N", label, ef.efficiency_estimate(r)))
    return out


def _diag_text(diag: pd.DataFrame, kind: str) -> str:
    d = diag[diag["instance"] == kind]
    if d.empty:
        return ""
    r = d.iloc[0]
    return summary_line(r, f"{pl.INSTANCE_NAMES.get(kind, kind)} ({int(r['n_states'])} states × {int(r['n_actions'])} actions)")


def verdict_table(summary: Summary) -> list[str]:
    """Markdown rows: instance × sampling × delay × step rule × target, the verdict at each N."""
    eff = summary.efficiency
    workers = sorted(set(eff["workers"]))
    head = ["| instance | sampling | delays | c_α | target | " + " | ".join(f"N={n}" for n in workers)
            + " | linear up to N |", "|" + "---|" * (6 + len(workers))]
    lines = []
    for key, g in eff.groupby(["instance", "sampling", "delay", "step_rule", "target"], sort=False):
        by_n = {r.workers: r for r in g.itertuples()}
        cells = [efficiency_cell(by_n[n]) if n in by_n else "" for n in workers]
        estimable = 1 in by_n and np.isfinite(by_n[1].efficiency)
        up_to = ef.linear_up_to(dict(zip(g["workers"], g["joint_verdict"]))) if estimable else NOT_ESTIMABLE
        lines.append(f"| {pl.INSTANCE_NAMES.get(key[0], key[0])} | {pl.OPTIONS.get(key[1], key[1])} | {key[2]} | {key[3]} | "
                     f"{key[4]} | " + " | ".join(cells) + f" | {up_to} |")
    return head + lines + ["", f"`*`: some runs at that N never reached the target; E(N) is over those that did "
                           f"({ttt.RESTS_ON}). `{NOT_ESTIMABLE}`: not estimable (no run at that N, or no one-worker "
                           "run, reached the target); the cell gives the runs at that N that never reached it, of "
                           "those run.", ""] + seeds_lines(summary)


def seeds_lines(summary: Summary) -> list[str]:
    """The report's lines on seeds: the plan (schedule, Bonferroni split, looks), the confidence of "linear up to
    N" (joint over the N grid), the expected false verdicts of the table (the sum of the decided cells' miss
    bounds, :func:`sequential.expected_false_verdicts`), and what the open cells in the rounds would need."""
    eff, plan = summary.efficiency, summary.plan
    above = eff[eff["workers"] > 1]
    decided = above["verdict"] != ef.UNDETERMINED
    rounds = above["in_rounds"].astype(bool)
    out = []
    if plan is not None:
        grid = _grid_cells(sorted(set(eff["workers"])))
        out.append(f"Round-robin, fixed c_α: {plan.text()}. \"Linear up to N\" and the first sub-linear N search the "
                   f"grid of {grid} N > 1 at the joint confidence {plan.level(grid):.4g} = 1 − (1 − {plan.confidence:g})/"
                   f"({plan.looks}·{grid})"
                   + "".join(f" ({kind}: {plan.for_instance(kind).level(grid):.4g}, {plan.for_instance(kind).looks}"
                             f" looks)" for kind in sorted(plan.caps))
                   + f". Other cells: one look at {CONFIDENCE:g}, exponential delays on the initial {plan.initial} "
                   "seeds; " + tuning_text(summary))
        expected = sum(sq.expected_false_verdicts(int((decided & rounds & (above["instance"] == kind)).sum()),
                                                  plan.confidence, plan.for_instance(kind).looks)
                       for kind in set(above["instance"]))
    else:
        expected = 0.0
        out.append(tuning_text(summary))
    expected += int((decided & ~rounds).sum()) * (1.0 - CONFIDENCE)
    seeds = above.groupby(rounds)["runs"].agg(["min", "max"])
    out.append(f"{int(decided.sum())} of {len(above)} cells with N > 1 are decided (seeds per cell "
               + ", ".join(f"{'in the rounds' if k else 'other cells'} {int(r['min'])}–{int(r['max'])}"
                           for k, r in seeds.iterrows())
               + f"); expected false verdicts in the table at most {expected:.2f}.")
    open_cells = above[rounds & ~decided]
    if len(open_cells):
        finite = open_cells[np.isfinite(open_cells["seeds_needed"].to_numpy(float))]
        caps = finite["instance"].map(lambda kind: plan.for_instance(kind).cap if plan else np.inf)
        beyond = int((finite["seeds_needed"] > caps).sum())
        out.append(f"Open cells in the rounds: {len(open_cells)}; the power calculation ({sq.POWER:.0%} power, "
                   f"estimate taken as true) gives {len(finite)} of them a finite seed count (median "
                   f"{np.median(finite['seeds_needed']) if len(finite) else np.nan:.0f}, {beyond} above the cap), "
                   f"{int(np.isinf(open_cells['seeds_needed'].to_numpy(float)).sum())} an infinite one (estimate at 0.75), "
                   f"{int(open_cells['seeds_needed'].isna().sum())} none (not estimable); the finite ones would take "
                   f"{np.nansum(finite['cpu_seconds_needed']):.3g} CPU-seconds more (their configs' mean wall time per run).")
    return out


def tuning_text(summary: Summary) -> str:
    """How the tuned c_α was chosen and scored (module docstring, "Step sizes"), and how many tuned cells still
    chose an edge of their N's grid."""
    tuned = summary.efficiency[summary.efficiency["step_rule"] == TUNED]
    tuning, scoring = tuning_seeds(summary.plan)
    if tuning is None:
        how = ("the tuned c_α (gap targets only) chosen per N and target by ERT and scored on the same seeds "
               "(no sequential seeds)")
    else:
        how = (f"the tuned c_α (gap targets only) chosen per N and target by ERT on seeds {tuning.start}–"
               f"{tuning.stop - 1}, its N's grid "
               f"extended past an edge choice (up to {summary.tuning_values} values), and scored on seeds "
               f"{scoring.start}–{scoring.stop - 1}")
    edge = int(tuned["tuning_edge"].sum()) if "tuning_edge" in tuned else 0
    values = tuned["c_alpha_values"] if "c_alpha_values" in tuned else pd.Series(dtype=float)
    return (how + f"; {edge} of {len(tuned)} tuned cells chose an edge of their N's grid"
            + (f" (grids of {int(values.min())}–{int(values.max())} values)." if len(values) else "."))


NOT_ESTIMABLE = "n/e"
SHORT_VERDICTS = {ef.LINEAR: "lin", ef.SUBLINEAR: "SUB", ef.UNDETERMINED: "und"}


def efficiency_cell(r) -> str:
    """One cell of the verdict table from an efficiency row: ``0.82* [0.70, 0.95] und ↑`` (``*``: some runs
    never reached the target; ``↑``: superlinear; ``!``: more runs than with one worker never reach it, by
    the exact test of :mod:`time_to_target`), or ``n/e (3/10 never reached)`` when E is not
    estimable."""
    if not np.isfinite(r.efficiency):
        return NOT_ESTIMABLE + (f" ({r.censored}/{r.runs} never reached)" if r.censored else "")
    flag = (" ↑" if r.superlinear else "") + (" !" if r.risk == ttt.RAISED else "")
    cens = "*" if r.censored else ""
    needed = getattr(r, "seeds_needed", np.nan)
    more = f" → {needed:.0f}" if np.isfinite(needed) else (" → ∞" if needed == np.inf else "")
    return f"{r.efficiency:.2f}{cens} [{r.lo:.2f}, {r.hi:.2f}] {SHORT_VERDICTS[r.verdict]}{more}{flag}"


def ert_verdicts(rows: pd.DataFrame) -> dict:
    """``{N: verdict}`` of the same rule on ERT(1)/ERT(N), the unconditional summary beside E(N), at the joint
    confidence over the N grid (``joint_ert_verdict``)."""
    return dict(zip(rows["workers"].astype(int), rows["joint_ert_verdict"]))


def rule_text(plan, joint: bool = False) -> str:
    """The verdict rule with the confidence of the cells in the rounds (each cell's own, or ``joint``: over the
    N grid, which "linear up to N" and the first sub-linear N use)."""
    if plan is None:
        return ef.VERDICT_RULE
    return (f"{ef.VERDICT_RULE}; with sequential seeds ({', '.join(map(str, plan.counts))}) each cell's interval at "
            f"{plan.level():.4g} (Bonferroni over {plan.looks} looks)"
            + (", and the searches over N at the joint confidence over the N > 1 of the grid" if joint else ""))


def _seeds_text(cells: pd.DataFrame) -> str:
    lo, hi = int(cells["runs"].min()), int(cells["runs"].max())
    return f"{lo}" if lo == hi else f"{lo}–{hi}"


def _first_target(fixed: pd.DataFrame, kind: str, option: str) -> tuple[str, dict]:
    g = fixed[(fixed["instance"] == kind) & (fixed["sampling"] == option)]
    target = g["target"].iloc[0]
    g = g[g["target"] == target]
    return target, dict(zip(g["workers"], g["joint_verdict"]))


def _bandit_claims(summary: Summary, fixed: pd.DataFrame) -> list[Claim]:
    """The paper instance is a contextual bandit when its myopia is at least :data:`MYOPIA_WARNING`: then no
    speedup study on it can fail, and the same code on the non-myopic instances is the test."""
    diag = summary.diagnostics
    paper = diag[diag["instance"] == "paper"]
    if paper.empty or "paper" not in set(fixed["instance"]):
        return []
    myopia = float(paper["myopia"].iloc[0])
    parts = []
    for kind in summary.instances:
        for option in pl.OPTIONS:
            if fixed[(fixed["instance"] == kind) & (fixed["sampling"] == option)].empty:
                continue
            target, vd = _first_target(fixed, kind, option)
            first = ef.first_sublinear(vd)
            parts.append(f"{pl.INSTANCE_NAMES.get(kind, kind)} ({pl.OPTIONS[option]}, {target}): linear up to "
                         f"N = {ef.linear_up_to(vd)}" + (f", sub-linear from N = {first}" if first else ""))
    bandit = myopia >= MYOPIA_WARNING
    return [Claim("Fig. 1(d), 2(d): the instance", "the paper's synthetic instance tests linear speedup",
                  "`speedup.png`", f"{_diag_text(diag, 'paper')}; " + "; ".join(parts),
                  "bandit-like: its speedup figures cannot show the theory failing" if bandit else "non-myopic",
                  "myopia = (J(greedy-reward policy) − J(θ_0)) / (J* − J(θ_0)); 1 = a contextual bandit, where a "
                  "stale gradient points the same way as a fresh one. The paper's Fig. 1–2 speedups were measured on "
                  "such an instance, so they confirm linear speedup only where it cannot fail; the trap chain and "
                  "FrozenLake rows are the test (same code, same rule)")]


def claims(summary: Summary) -> list[Claim]:
    """The speedup rows of paper_repro.md with the module docstring's verdicts."""
    eff, diag = summary.efficiency, summary.diagnostics
    out = []
    fixed = eff[(eff["step_rule"] == FIXED) & (eff["delay"] == "round_robin")]
    for option, claim in (("iid", "linear speedup (Theorem 1, Fig. 1(d))"),
                          ("markov", "roughly linear only for small N (Fig. 2(d))")):
        for kind in summary.instances:
            sub = fixed[(fixed["instance"] == kind) & (fixed["sampling"] == option)]
            if sub.empty:
                continue
            parts, verdicts = [], []
            for target, g in sub.groupby("target", sort=False):
                vd = dict(zip(g["workers"], g["joint_verdict"]))  # a search over the N grid: joint confidence
                first = ef.first_sublinear(vd)
                risk = ttt.risk_raised_from(dict(zip(g["workers"], g["risk"])))
                on_ert = ef.linear_up_to(ert_verdicts(g))
                parts.append(f"{target}: linear up to N = {ef.linear_up_to(vd)}"
                             + (f", sub-linear from N = {first}" if first else ", no N sub-linear")
                             + f" (on ERT: linear up to N = {on_ert})"
                             + (f"; more workers raise the risk of the trap from N = {risk}" if risk else ""))
                one = g[g["workers"] == 1]["mean_samples"]
                K = float(one.iloc[0]) if len(one) else float("nan")
                verdicts.append(ef.paper_claim_verdict(vd, option, K))
                if option == "iid" and np.isfinite(K):
                    parts[-1] += f" (one worker needs K = {K:.3g}: inside the regime N − 1 ≤ K^(1/5) = {K ** 0.2:.3g})"
            tuned = eff[(eff["instance"] == kind) & (eff["sampling"] == option) & (eff["step_rule"] == TUNED)]
            tuned_text = ""
            if not tuned.empty:
                tparts = []
                for target, g in tuned.groupby("target", sort=False):
                    up_to = ef.linear_up_to(dict(zip(g["workers"], g["joint_verdict"])))
                    tparts.append(f"{target}: linear up to N = {up_to}")
                tuned_text = "; tuned c_α: " + "; ".join(tparts)
            superlinear = sub[sub["superlinear"]]
            sl = ""
            if not superlinear.empty:
                sl = "; superlinear (CI above 1) at " + ", ".join(
                    f"{r.target} N={r.workers}" for r in superlinear.itertuples())
            out.append(Claim(f"speedup, {pl.OPTIONS[option]}, {pl.INSTANCE_NAMES.get(kind, kind)}", claim,
                             "`speedup.png`", "; ".join(parts) + tuned_text + sl,
                             " / ".join(dict.fromkeys(verdicts)),
                             f"{_diag_text(diag, kind)}. Round-robin delays τ = N − 1, fixed c_α = "
                             f"{sub['c_alpha'].iloc[0]:g}; {rule_text(summary.plan and summary.plan.for_instance(kind), joint=True)}; "
                             f"{ttt.RESTS_ON}; "
                             f"{_seeds_text(sub)} seeds" + (", paired by seed (common random numbers)"
                                                                   if sub["paired"].all() else "")))
    out += _bandit_claims(summary, fixed)
    mech = summary.mechanism
    if not mech.empty:
        big = mech[mech["default_c_alpha"]].sort_values("workers").groupby(["instance", "sampling"]).tail(1)
        text = "; ".join(f"{pl.INSTANCE_NAMES.get(r.instance, r.instance)} {pl.OPTIONS.get(r.sampling, r.sampling)} "
                         f"c_α={r.c_alpha:g}, N={r.workers}: {r.closed_n_workers:.2f} vs {r.closed_one_worker:.2f}"
                         for r in big.itertuples())
        out.append(Claim("speedup: superlinear points", "the first N updates of N round-robin workers are all "
                         "computed at θ_0", "`speedup.png`, bottom row",
                         f"gap closed after the first N updates, N workers vs one worker: {text}",
                         "measured", "where N stale updates close more of the gap than N fresh ones, the start-up "
                         "burst (a sum of N gradients at θ_0 with large early steps) is what makes E(N) > 1"))
    out += _tuned_superlinear_claims(eff)
    return out


def _span(values) -> str:
    lo, hi = float(np.min(values)), float(np.max(values))
    return f"{lo:.3g}" if lo == hi else f"{lo:.3g}–{hi:.3g}"


def _tuned_superlinear_claims(eff: pd.DataFrame) -> list[Claim]:
    """The tuned cells whose interval of E(N) lies above 1, each with its c_α against the one worker's tuned
    c_α it is compared with, and the mean samples its N-worker runs took (fewer than N: the target was met
    inside the first N updates, which every worker computes at θ_0)."""
    tuned = eff[eff["step_rule"] == TUNED]
    sup = tuned[tuned["superlinear"].astype(bool)]
    if sup.empty:
        return []
    keys = ["instance", "sampling", "delay", "target"]
    one = tuned[tuned["workers"] == 1].set_index(keys)["c_alpha"]
    base = np.array([one[tuple(getattr(r, k) for k in keys)] for r in sup.itertuples()])
    burst = (sup["mean_samples"] < sup["workers"]).to_numpy()
    ratio = sup["c_alpha"].to_numpy() / base
    text = "; ".join(f"{pl.INSTANCE_NAMES.get(r.instance, r.instance)} {pl.OPTIONS.get(r.sampling, r.sampling)} "
                     f"{r.delay} {r.target} N={r.workers}: E {r.efficiency:.2f} [{r.lo:.2f}, {r.hi:.2f}] at c_α "
                     f"{r.c_alpha:g} (one worker: {c1:g}), target after {r.mean_samples:.0f} samples"
                     + (" (< N)" if b else "") for r, c1, b in zip(sup.itertuples(), base, burst))
    return [Claim("speedup: superlinear points of the tuned c_α", "E(N) ≤ 1 when each N has its best step size",
                  "`speedup.png`, dotted", text, "measured",
                  f"in all {len(sup)} the N workers' tuned c_α is {_span(ratio)} times one "
                  "worker's: the N-worker runs profit from a larger step size than one worker's best; "
                  f"{int(burst.sum())} reach the target within their first N "
                  "updates, all computed at θ_0 (the start-up burst)")]