"""Studies: one module per figure, one registry line per study. ``a3c-theory reproduce`` runs them all;
``a3c-theory study SPEC.toml`` (:func:`run_study`) runs one spec of any study type, the paper's or a user's.

Registry (study -> module; the study's experiment spec is ``studies/<study>.toml``, shipped in the package):

==================  =====================  ==========================================================
study (figure)      module                 what it shows
==================  =====================  ==========================================================
fig1_iid            convergence            paper Fig. 1: J, critic gap, speedup; i.i.d. sampling
fig2_markov         convergence            paper Fig. 2: the same with Markovian sampling
rates               rates                  Corollary 1: slopes of the running averages vs K^{-2/5}
speedup             speedup                efficiency E(N) = Speedup(N)/N vs N, three-way verdict, 3 instances
nmax                nmax                   N_max(K) vs Theorem 1's K^(1/5); Markovian efficiency vs mixing
feature_control     feature_control        one-hot (eps_app = 0) vs random critic features: the gap left open
a3c_vs_a2c          a3c_vs_a2c             fair A3C vs A2C under stragglers (per-round, per-sample, tuned)
regularisation      regularisation         KL regularisation toward the uniform policy
projection          projection             the critic projection Π_R below ‖ω*_θ‖: convergence, critic gap, E(N)
threads_runtime     threads_runtime        real Hogwild threads where N = 1 needs seconds to the target
staleness           staleness              cost of staleness alone: N = 1, constant delay τ up to 4096
fig3_cartpole       fig3_cartpole          paper Fig. 3 on CartPole-v1: Monte Carlo return, sample and runtime speedup
lqr                 lqr                    continuous actions: LQR with Gaussian policies, convergence and E(N)
==================  =====================  ==========================================================

Interface contract (what a study module provides; read this to add a study)
----------------------------------------------------------------------------
Adding a study touches one module (``studies/<module>.py``, or an existing one reused), its spec
(``studies/<study>.toml``, format in :mod:`a3c_theory.studies.spec`) and one line of :data:`REGISTRY`;
its tests go in ``tests/studies/test_<module>.py`` (``tests/studies/synthetic.py`` builds runs tables).
A study type outside the package is any importable module that satisfies the same contract
(:class:`study.StudyModule`); a spec names it with ``[experiment] type = "pkg.module"`` and
``a3c-theory study`` runs it. A study module defines (``regularisation.py`` is the smallest complete example):

``Settings``
    A frozen dataclass subclassing :class:`study.StudySettings`: every key of the spec's ``[experiment]
    settings`` (and ``[quick] settings``) with its default and its type hint, ranges as ``Annotated[float,
    Range(...)]`` (:data:`study.Fraction`, :data:`study.Positive`); the base validates every field from its
    hint, raising ``ValidationError(key, "must lie in ...")``; an unknown key is rejected by the loader,
    naming the file and the key, before any run.

``SAMPLE_SPEEDUP_VERDICT``
    True when the study draws sample-speedup verdicts: ``reproduce`` then warns when all its instances are
    myopic (``diagnose.discrimination_warning``), since such verdicts could not fail there.

``summarise(results: Results) -> Summary``
    ``results.runs`` is a pandas DataFrame, one row per snapshot of one run (columns in
    :class:`study.Results`); ``results.meta`` one row per run with its metadata (radius, delays,
    sampling-law bias, timings: never recompute these); ``results.settings`` is the validated
    ``Settings``. ``Summary`` is the module's own frozen dataclass of typed numbers (``stats.Estimate``, dicts of them keyed by worker
    count, ints, floats) computed with :mod:`stats`, subclassing :class:`study.StudySummary`. Every field that
    is a ``pandas.DataFrame`` holds numbers drawn in the figure and is written as ``<study>__<field>.csv``
    beside the PNG. The base's optional fields: ``choices`` (item, our choice): the report lists them under
    "Choices the paper leaves open"; ``tables`` (title, markdown lines): printed under their titles after
    the artifacts; ``defaults``: what the study chose where the spec left things out.

``draw(results: Results, summary: Summary, path: Path) -> None``
    Writes one PNG at ``path`` from the summary (and the runs for curves), with the helpers of
    :mod:`plotting` inside ``plotting.styled()``. No number is recomputed differently from ``summarise``.

``numbers(summary) -> list[Number]``
    The rows of ``summary.csv`` (quantity, setting label, Estimate, unit). A value that is not an
    estimate over runs (for example "linear up to N") stays a typed field of the summary and is not put
    in a value column.

``claims(summary) -> list[Claim]``
    The rows of ``paper_repro.md``: artifact, claim, where it is drawn, our number, the verdict by the
    module's own thresholds and rules (stated in its docstring), notes. Text is built from the typed
    summary; no number is ever parsed back from a string.

``stored_rows(results: Results) -> pandas.DataFrame`` (optional)
    The rows of ``results.runs`` the study stores in ``<study>__runs.csv.gz``: at least every row its
    ``summarise`` reads (a run's snapshots where its numbers come from its curves; the few a number
    interpolates or normalises by where they come from online hitting times), in the table's order, with
    :mod:`stored`'s helpers. ``reproduce`` summarises the rows it returns, so a redraw from the stored table
    gives the same numbers; without it every row is stored (``speedup`` and ``nmax`` define it).

``reproduce`` does the rest for every study: it checks every spec before any run, runs the parts
(resumable sweeps), prints and reports the instance diagnostics of every instance a study runs on
(``a3c_theory.instances.diagnose``) with the one-line discrimination warning for speedup studies whose
instances are all myopic, writes the files, and times each study.

``a3c-theory study`` (:mod:`a3c_theory.experiment`) runs one spec through the same steps, into its own
folder, and writes a study report (``report.md``) instead of ``paper_repro.md``.

Shared helpers: :mod:`stats` (targets and crossings, speedup of paper eq. 1, Student-t and
sign-respecting bootstrap intervals, slopes, bands), :mod:`efficiency` (E(N) = Speedup(N)/N, its
three-way verdict, N_max(K)) and :mod:`plotting`.
:mod:`a3c_theory.report` writes the summary tables and ``paper_repro.md`` from the summaries.
"""

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ..errors import ValidationError
from . import spec
from .study import StudyModule

SPEC_DIR = Path(__file__).resolve().parent

REGISTRY = {
    # study           module
    "fig1_iid": "convergence",
    "fig2_markov": "convergence",
    "rates": "rates",
    "speedup": "speedup",
    "nmax": "nmax",
    "feature_control": "feature_control",
    "a3c_vs_a2c": "a3c_vs_a2c",
    "regularisation": "regularisation",
    "projection": "projection",
    "threads_runtime": "threads_runtime",
    "staleness": "staleness",
    "fig3_cartpole": "fig3_cartpole",
    "lqr": "lqr",
}
"""Every study, in run order (a study that reuses others' runs comes after them) -> its module."""


@dataclass(frozen=True)
class Study:
    """A registered study: its name, its module and the path of its spec."""

    name: str
    module: ModuleType
    spec_path: Path


def study_module(type_name: str, field: str) -> ModuleType:
    """The module of a study type: ``speedup`` is ``a3c_theory.studies.speedup``; a dotted name is imported
    as it is. A module that cannot be imported or lacks part of the contract (:class:`study.StudyModule`)
    is a ValidationError naming ``field``."""
    dotted = type_name if "." in type_name else f"{__name__}.{type_name}"
    try:
        module = importlib.import_module(dotted)
    except ModuleNotFoundError as err:
        if err.name is not None and not dotted.startswith(err.name) and not err.name.startswith(dotted):
            raise
        raise ValidationError(field, f"no study module named {type_name!r} (a module of a3c_theory.studies, "
                                     "or an importable pkg.module)") from None
    if not isinstance(module, StudyModule):
        missing = [name for name in ("Settings", "SAMPLE_SPEEDUP_VERDICT", "summarise", "draw", "numbers", "claims")
                   if not hasattr(module, name)]
        raise ValidationError(field, f"{dotted} is not a study module: it lacks {', '.join(missing)}")
    return module


def registered(registry: dict | None = None, spec_dir: Path = SPEC_DIR) -> list[Study]:
    """The studies of ``registry`` (default :data:`REGISTRY`) with their modules imported and specs located.

    An empty registry, an unknown module, a missing spec or a spec naming another study type is a
    ValidationError."""
    registry = REGISTRY if registry is None else registry
    if not registry:
        raise ValidationError("studies", "no experiments found: the study registry is empty")
    studies = []
    for name, module in registry.items():
        mod = study_module(module, f"studies.{name}")
        path = Path(spec_dir) / f"{name}.toml"
        if not path.is_file():
            raise ValidationError(f"studies.{name}", f"no experiment spec at {path}")
        named = spec.study_type(path)
        if named is not None and study_module(named, f"{path.name}:experiment.type") is not mod:
            raise ValidationError(f"{path.name}:experiment.type", f"names {named!r}, but the registry runs "
                                                                  f"{name!r} with {module!r}")
        studies.append(Study(name, mod, path))
    return studies


def run_study(spec_source, out=None, **options):
    """Run one experiment spec (a path or a dict) of any study type: :func:`a3c_theory.experiment.run_study`,
    which documents ``options`` and returns the study's typed summary with the paths it wrote."""
    from ..experiment import run_study as run

    return run(spec_source, out, **options)
