"""Experiment specs: the TOML file beside each study module, read and checked key by key before any run.

A spec::

    [experiment]
    type = "speedup"                  # the study type: a module of a3c_theory.studies, or any pkg.module
    title = "..."
    seeds = 10                        # run seeds 0..seeds-1 for every grid point
    reuse = ["fig1_iid"]              # optional: also use the runs of earlier studies
    settings = { target_fraction = 0.9 }   # the study module's Settings

    [base]                            # a run config (sections problem / algorithm / run), shared by all parts
    [[part]]                          # one sweep: fixed overrides + a grid (dotted keys)
    seeds = 3                         # optional: this part's own number of seeds
    first_seed = 1000                 # optional: run seeds first_seed..first_seed+seeds-1 (default 0)
    set = { "run.mode" = "simulated" }
    grid = { "run.workers" = [1, 2, 4, 8, 16] }

    [quick]                           # reductions for --quick: seeds, overrides, replacement grids, settings
    seeds = 2
    settings = { target_fraction = 0.5 }
    set = { "run.samples" = 100000 }
    grid = { "run.workers" = [1, 4] }

Every key is checked: an unknown section or key, a bad value, a setting the module does not have, or a
quick grid axis that no part sweeps raises a ValidationError whose field starts with the file name
(``fig1_iid.toml:quick.seedz``). ``--quick`` replaces a part's grid axis with the quick one of the same key.

A spec given as a dict (:func:`load`) may name itself with ``experiment.name`` (default ``study``), which
names its files; a file is named by its stem.

A relative ``problem.path`` (in ``[base]``, a part's ``set`` or grid, or ``[quick] set``) is resolved from
the folder of the spec file (for a spec given as a dict: the working directory) and stored absolute.
"""

from dataclasses import dataclass
from pathlib import Path

from .. import config, sweep
from ..errors import ValidationError
from .study import settings_from

TOP_KEYS = {"experiment", "base", "part", "quick"}
EXPERIMENT_KEYS = {"type", "title", "seeds", "reuse", "settings"}
PART_KEYS = {"seeds", "first_seed", "set", "grid"}
QUICK_KEYS = {"seeds", "set", "grid", "settings"}


@dataclass(frozen=True)
class Part:
    """One sweep of a study: the resolved base config (nested dict), the grid and the number of seeds."""

    base: dict
    grid: dict
    seeds: int
    first_seed: int = 0
    """Run seeds ``first_seed .. first_seed + seeds − 1`` (a part's own seed range: no run shared with
    another part or study that uses the default 0)."""

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))

    def value(self, dotted: str):
        """The base config's value of ``section.key``."""
        section, key = dotted.split(".", 1)
        return self.base[section][key]

    @property
    def configs(self) -> int:
        """Grid points (runs per seed)."""
        n = 1
        for values in self.grid.values():
            n *= len(values)
        return n


@dataclass(frozen=True)
class Spec:
    """A checked spec with ``quick`` applied: title, the study's settings, its parts and the reused studies;
    ``path``: its file (``None`` for a dict); ``given``: the dotted run-config keys the spec sets (base,
    parts' sets and grids, and with ``quick`` the quick ones)."""

    name: str
    path: Path | None
    title: str
    settings: object
    parts: tuple
    reuse: tuple
    given: frozenset = frozenset()


def _table(value, field: str) -> dict:
    if not isinstance(value, dict):
        raise ValidationError(field, f"must be a table, got {type(value).__name__}")
    return value


def _keys(table: dict, allowed: set, field: str) -> dict:
    for key in _table(table, field):
        if key not in allowed:
            raise ValidationError(f"{field}.{key}" if field else key, f"unknown key; expected one of {sorted(allowed)}")
    return table


def _first_seed(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(field, f"must be an integer >= 0, got {value!r}")
    return value


def _seeds(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(field, f"must be an integer >= 1, got {value!r}")
    return value


def _absolute(value, folder: Path):
    """A ``problem.path`` value: a relative path string taken from ``folder``, made absolute."""
    if isinstance(value, str) and value and not Path(value).is_absolute():
        return str((folder / value).resolve())
    return value


def _resolve(base: dict, overrides: dict, field: str, folder: Path) -> dict:
    """The base config with dotted overrides applied, validated; errors name ``field``."""
    merged = {section: dict(_table(values, f"base.{section}")) for section, values in base.items()}
    for dotted, value in _table(overrides, field).items():
        section, _, key = dotted.partition(".")
        if not key:
            raise ValidationError(f"{field}.{dotted}", "must be a dotted key such as run.workers")
        merged.setdefault(section, {})[key] = value
    if "path" in merged.get("problem", {}):
        merged["problem"]["path"] = _absolute(merged["problem"]["path"], folder)
    return config.from_dict(merged).to_dict()


def _grid(table: dict, field: str, folder: Path) -> dict:
    grid = sweep.check_grid(_table(table, field), config.SCHEMA)
    if "problem.path" in grid:
        grid["problem.path"] = [_absolute(v, folder) for v in grid["problem.path"]]
    return grid


def _given(raw: dict, quick: bool) -> frozenset:
    keys = {f"{section}.{key}" for section, values in raw.get("base", {}).items() for key in values}
    for table in [*raw.get("part", []), *([raw.get("quick", {})] if quick else [])]:
        keys |= set(table.get("set", {})) | set(table.get("grid", {}))
    return frozenset(keys)


def _parse(raw: dict, name: str, settings_cls, quick: bool, folder: Path) -> tuple:
    _keys(raw, TOP_KEYS, "")
    exp = _keys(raw.get("experiment", {}), EXPERIMENT_KEYS, "experiment")
    q = _keys(raw.get("quick", {}), QUICK_KEYS, "quick")
    reuse = exp.get("reuse", [])
    if not isinstance(reuse, list) or not all(isinstance(r, str) for r in reuse):
        raise ValidationError("experiment.reuse", f"must be a list of study names, got {reuse!r}")
    parts_raw = raw.get("part", [])
    if not isinstance(parts_raw, list):
        raise ValidationError("part", "must be an array of tables ([[part]])")
    if not parts_raw and not reuse:
        raise ValidationError("part", "a study needs at least one [[part]] or experiment.reuse")
    given = dict(_table(exp.get("settings", {}), "experiment.settings"))
    settings = settings_from(settings_cls, given, "experiment.settings")
    given.update(_table(q.get("settings", {}), "quick.settings"))
    quick_settings = settings_from(settings_cls, given, "quick.settings")
    if quick:
        settings = quick_settings
    default_seeds = _seeds(exp.get("seeds", 1), "experiment.seeds")
    quick_seeds = _seeds(q["seeds"], "quick.seeds") if "seeds" in q else None
    quick_grid = _grid(q.get("grid", {}), "quick.grid", folder)
    _resolve(raw.get("base", {}), q.get("set", {}), "quick.set", folder)
    swept = set()
    parts = []
    for i, part in enumerate(parts_raw):
        field = f"part[{i}]"
        _keys(part, PART_KEYS, field)
        grid = _grid(part.get("grid", {}), f"{field}.grid", folder)
        swept |= set(grid)
        seeds = _seeds(part.get("seeds", default_seeds), f"{field}.seeds")
        first_seed = _first_seed(part.get("first_seed", 0), f"{field}.first_seed")
        overrides = dict(part.get("set", {}))
        base = _resolve(raw.get("base", {}), overrides, f"{field}.set", folder)
        if quick:
            overrides.update(q.get("set", {}))
            base = _resolve(raw.get("base", {}), overrides, "quick.set", folder)
            grid.update({k: v for k, v in quick_grid.items() if k in grid})
            seeds = min(seeds, quick_seeds or seeds)
        for run in sweep.plan_runs(base, grid, list(range(first_seed, first_seed + seeds))):
            config.from_dict(run.config)
        parts.append(Part(base, grid, seeds, first_seed))
    for key in quick_grid:
        if key not in swept:
            raise ValidationError(f"quick.grid.{key}", "no [[part]] sweeps this key, so --quick would ignore it")
    return exp.get("title", name), settings, tuple(parts), tuple(reuse)


def read(source) -> tuple[dict, str, Path | None]:
    """The raw table of a spec given as a path (its file name labels errors) or as a dict (labelled
    ``spec``), its name (the file's stem; for a dict ``experiment.name``, default ``study``) and its path."""
    if isinstance(source, dict):
        name = source.get("experiment", {}).get("name", "study") if isinstance(source.get("experiment"), dict) else "study"
        raw = {k: v for k, v in source.items()}
        if isinstance(raw.get("experiment"), dict):
            raw["experiment"] = {k: v for k, v in raw["experiment"].items() if k != "name"}
        if not isinstance(name, str) or not name.isidentifier():
            raise ValidationError("spec:experiment.name", f"must be an identifier (it names the files), got {name!r}")
        return raw, name, None
    path = Path(source)
    try:
        return config.read_toml(path, path.name), path.stem, path
    except FileNotFoundError:
        raise ValidationError(path.name, f"experiment spec not found at {path}") from None


def study_type(source) -> str | None:
    """The ``experiment.type`` a spec names (None when it names none)."""
    raw, _, path = read(source)
    value = raw.get("experiment", {}).get("type") if isinstance(raw.get("experiment"), dict) else None
    if value is not None and (not isinstance(value, str) or not value):
        raise ValidationError(f"{path.name if path else 'spec'}:experiment.type",
                              f"must be a study module name such as \"speedup\" or \"pkg.module\", got {value!r}")
    return value


def load(source, settings_cls, quick: bool = False) -> Spec:
    """Read and check the spec at ``source`` (a path, or a dict of the same tables) every key, before any
    run; errors name ``<file>:<key>`` (``spec:<key>`` for a dict)."""
    raw, name, path = read(source)
    label = path.name if path is not None else "spec"
    folder = path.parent.resolve() if path is not None else Path.cwd()
    try:
        title, settings, parts, reuse = _parse(raw, name, settings_cls, quick, folder)
    except ValidationError as err:
        raise ValidationError(f"{label}:{err.field}", str(err)[len(err.field) + 2:]) from None
    return Spec(name, path, title, settings, parts, reuse, _given(raw, quick))
