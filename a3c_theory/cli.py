"""The ``a3c-theory`` command: run, evaluate, diagnose, sweep, study, reproduce, bench, config.

Every sub-command validates its whole input (config files, ``--set`` overrides, grids) before any work
starts and reports bad input as ``a3c-theory: error: <field>: <reason>`` with exit status 2; the ``usage:``
banner comes only with the errors of the command line itself (argparse's: a missing argument, an unknown
option). Values of ``--set`` and ``--grid`` follow one rule (:mod:`a3c_theory.overrides`).
"""

import argparse
import json
import sys
from pathlib import Path

from . import atomic, outputs
from .errors import ConvergenceError, RunsFailed, ValidationError
from .overrides import parse_assignment

RESUME_NOTE = "finished runs are kept; re-run the same command to resume"
SET_HELP = ("override one config field (TOML value syntax; text that is not TOML and does not start with a "
            "quote or bracket is a string); repeatable")


def _print_notes(cfg) -> None:
    """The defaults that ``config.from_dict`` resolved from the instance (``Config.notes``), never silent."""
    for note in cfg.notes:
        print(f"a3c-theory: note: {note}", file=sys.stderr)


def _cmd_run(args) -> int:
    import pandas as pd

    from . import config, frames, resources
    from .pipeline import run_one

    cfg = config.from_toml(args.config, overrides=args.set)
    config.refuse_ignored_keys(cfg)
    _print_notes(cfg)
    seconds = resources.run_seconds(cfg)
    if seconds > resources.LONG_RUN_S:
        print(f"a3c-theory: this run is estimated to take about {resources.describe_seconds(seconds)} "
              f"({cfg.run.samples:,} samples); Ctrl-C stops it", file=sys.stderr)
    out = atomic.check_writable(args.out, "--out", folder=True)
    outputs.claim(out, "--out", {"command": "run", "config": outputs.digest(cfg.to_dict())}, force=args.force)
    result = run_one(cfg, progress=not args.no_progress)
    result.trace.save(out)
    frames.write(result.table, out / "metrics.csv")
    frames.write(pd.DataFrame([result.meta]), out / "meta.csv")
    if result.divergence is not None:
        print(f"a3c-theory: the run {result.divergence.message()}; wrote {out}/ with the {len(result.table)} "
              "snapshot(s) before it", file=sys.stderr)
        return 1
    last = result.table.iloc[-1]
    print(f"wrote {out}/ (trace, metrics.csv, meta.csv); final: "
          + ", ".join(f"{key}={last[key]:.6g}" for key in ("k", "J", "gap", "grad_norm_sq", "critic_gap")))
    return 0


def _cmd_evaluate(args) -> int:
    from . import frames
    from .evaluate import evaluate
    from .trace import Trace

    trace = Trace.load(args.trace_dir)
    out = Path(args.out) if args.out else Path(args.trace_dir) / "metrics.csv"
    atomic.check_writable(out, "--out")
    table = evaluate(trace)
    frames.write(table, out)
    print(f"wrote {out} ({len(table)} rows)")
    return 0


def _cmd_diagnose(args) -> int:
    from . import config
    from .instances.diagnose import diagnose, format_report

    cfg = config.from_toml(args.config, overrides=args.set)
    _print_notes(cfg)
    if args.json is not None:
        atomic.check_writable(args.json, "--json")
    if cfg.problem.kind == "lqr":
        from .lqr.diagnose import diagnose_lqr, format_lqr_report

        diag = diagnose_lqr(config.build_problem(cfg), cfg.algorithm.radius)
        print(format_lqr_report(diag))
    else:
        diag = diagnose(cfg)
        print(format_report(diag))
    if args.json is not None:
        atomic.write_text(args.json, json.dumps(diag.to_dict(), indent=2, sort_keys=True) + "\n")
        print(f"wrote {args.json}")
    return 0


def _cmd_sweep(args) -> int:
    from . import config, sweep
    from .instances.diagnose import sweep_diagnostics

    grid = sweep.parse_grid(args.grid)
    for text in args.set:
        name = parse_assignment(text, "SECTION.KEY=VALUE")[0]
        if name in grid:
            raise ValidationError(name, "is given with both --set and --grid; give it once")
    cfg = config.from_toml(args.config, overrides=args.set)
    _print_notes(cfg)
    base = cfg.to_dict()
    atomic.check_writable(args.out, "--out", folder=True)
    sweep.check_out_dir(args.out, "--out")
    for line in sweep_diagnostics(base, grid):
        print(line)
    table_path = sweep.run_sweep(base, grid, seeds=args.seeds, out_dir=args.out, jobs=args.jobs,
                                 executor=args.executor, address=args.address, progress=not args.no_progress,
                                 batch=args.batch)
    print(f"wrote {table_path}")
    return 0


def _cmd_study(args) -> int:
    from .experiment import run_study

    run_study(args.spec, args.out, quick=args.quick, redraw=args.redraw, jobs=args.jobs, executor=args.executor,
              progress=not args.no_progress, force=args.force)
    return 0


def _cmd_reproduce(args) -> int:
    from .reproduce import reproduce, store_tables

    if args.store_tables:
        if args.redraw or args.study:
            raise ValidationError("--store-tables", "runs and draws nothing: give it without --redraw or --study")
        store_tables(args.out, quick=args.quick)
        return 0
    reproduce(args.out, quick=args.quick, jobs=args.jobs, progress=not args.no_progress, report_path=args.report,
              redraw=args.redraw, only=args.study, force=args.force)
    return 0


def _cmd_bench(args) -> int:
    from .bench.suite import print_report, run_benchmarks

    if args.json is not None:
        atomic.check_writable(args.json, "--json")
    results = run_benchmarks(quick=args.quick)
    print_report(results)
    if args.json is not None:
        atomic.write_text(args.json, json.dumps(results, indent=2, sort_keys=True))
        print(f"wrote {args.json}")
    return 0


def _cmd_config(args) -> int:
    from . import config

    rows = [("key", "default", "allowed", "description")]
    rows += [(name, repr(default), allowed, description) for name, default, allowed, description in config.key_table()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="a3c-theory", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run A3C-TD(0) from a TOML config; save the trace, its metric table and metadata")
    run.add_argument("config", help="TOML file with [problem], [algorithm], [run] sections")
    run.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help=SET_HELP)
    run.add_argument("--out", default="runs/latest", help="output folder (default: runs/latest)")
    run.add_argument("--force", action="store_true",
                     help="write into --out even if it holds another config's run or files of another tool")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.set_defaults(func=_cmd_run, interrupted="nothing was saved: run writes its trace, metrics.csv and meta.csv only "
                                                 "when it finishes; re-running starts from the beginning")

    ev = sub.add_parser("evaluate", help="recompute the exact metric table of a saved trace")
    ev.add_argument("trace_dir")
    ev.add_argument("--out", help="CSV path (default: TRACE_DIR/metrics.csv)")
    ev.set_defaults(func=_cmd_evaluate, interrupted="no metric table was written")

    dg = sub.add_parser("diagnose", help="instance diagnostics at theta_0: myopia, mixing, TV(mu, d), eps_app, ...")
    dg.add_argument("config", help="TOML file with a [problem] section (and [algorithm] for the radius)")
    dg.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help=SET_HELP)
    dg.add_argument("--json", help="also write the numbers to this JSON file")
    dg.set_defaults(func=_cmd_diagnose, interrupted="nothing was written")

    sw = sub.add_parser("sweep", help="run a grid of configs x seeds, resumable, into one tidy table")
    sw.add_argument("config")
    sw.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help=SET_HELP)
    sw.add_argument("--grid", action="append", default=[], metavar="SECTION.KEY=V1,V2,...",
                    help="one grid axis, its values read as --set's and split on commas outside quotes; "
                         "repeatable (cartesian product)")
    sw.add_argument("--seeds", type=int, default=1, help="run seeds 0..N-1 for every grid point")
    sw.add_argument("--jobs", type=int, default=None, help="parallel runs (default: number of cores)")
    sw.add_argument("--executor", default="local", choices=["local", "ray"],
                    help="where runs execute: a local process pool or a Ray cluster (default: local)")
    sw.add_argument("--address", default=None, help="Ray cluster address (default: start a local one)")
    sw.add_argument("--out", default="runs/sweep", help="output folder (default: runs/sweep)")
    sw.add_argument("--batch", type=int, default=1,
                    help="seeds of one grid point sent to a worker together, built once (default: 1)")
    sw.add_argument("--no-progress", action="store_true")
    sw.set_defaults(func=_cmd_sweep, interrupted=RESUME_NOTE)

    st = sub.add_parser("study", help="run one experiment spec (any study type, any instance): runs, figure, "
                                      "summary.csv and a report of its claims")
    st.add_argument("spec", help="experiment spec (TOML) with [experiment] type = \"speedup\" (or pkg.module), "
                                 "[base] and [[part]] sections; see experiments/")
    st.add_argument("--out", default=None, help="output folder (default: runs/studies/<spec name>, with --quick "
                                                "runs/studies/<spec name>-quick)")
    st.add_argument("--quick", action="store_true", help="the spec's [quick] reductions: a smoke test")
    st.add_argument("--redraw", action="store_true", help="run nothing: redraw from the runs table in --out")
    st.add_argument("--jobs", type=int, default=None, help="parallel runs (default: number of cores)")
    st.add_argument("--executor", default="local", choices=["local", "ray"],
                    help="where runs execute: a local process pool or a Ray cluster (default: local)")
    st.add_argument("--force", action="store_true", help="write into --out even if it holds other results")
    st.add_argument("--no-progress", action="store_true")
    st.set_defaults(func=_cmd_study, interrupted=RESUME_NOTE)

    rp = sub.add_parser("reproduce", help="regenerate every figure of the paper's synthetic study")
    rp.add_argument("--quick", action="store_true", help="reduced seeds and horizons: a smoke test")
    rp.add_argument("--out", default=None, help="output folder (default: figures/, with --quick figures/quick/)")
    rp.add_argument("--report", default=None,
                    help="paper-artifact report (default: paper_repro.md, with --quick inside the output folder)")
    rp.add_argument("--redraw", action="store_true",
                    help="run nothing: redraw every figure and the report from the runs tables in the output folder")
    rp.add_argument("--store-tables", action="store_true",
                    help="run and draw nothing: rewrite the runs tables in the output folder with the rows each "
                         "study's summary reads (tables written whole by an earlier version), checked first")
    rp.add_argument("--study", action="append", default=None, metavar="NAME",
                    help="run only this study (repeatable) and those reusing its runs; redraw the others")
    rp.add_argument("--force", action="store_true",
                    help="write into --out even if it holds other results (never --quick over full results)")
    rp.add_argument("--jobs", type=int, default=None, help="parallel runs (default: number of cores)")
    rp.add_argument("--no-progress", action="store_true")
    rp.set_defaults(func=_cmd_reproduce, interrupted=RESUME_NOTE)

    bn = sub.add_parser("bench", help="speed benchmarks, as ratios measured within one run")
    bn.add_argument("--quick", action="store_true", help="small sizes, < 1 minute")
    bn.add_argument("--json", help="also write the results to this JSON file")
    bn.set_defaults(func=_cmd_bench, interrupted="no results were written")

    cf = sub.add_parser("config", help="the run config keys: default, allowed values, description")
    cf.add_argument("--list", action="store_true", required=True,
                    help="print every section.key with its default, allowed values and description")
    cf.set_defaults(func=_cmd_config, interrupted="nothing was written")
    return parser


def _input_error(parser: argparse.ArgumentParser, message: str):
    """Bad input that the command line parsed fine (a config value, a file): one line, exit status 2, no
    ``usage:`` banner (argparse prints that for its own errors only)."""
    parser.exit(2, f"{parser.prog}: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValidationError as err:
        _input_error(parser, str(err))
    except RunsFailed as err:  # a sweep's failed runs, listed in one message (the others are kept)
        print(f"a3c-theory: {err}", file=sys.stderr)
        return 1
    except ConvergenceError as err:  # an exact solve on an instance too ill-conditioned for its tolerance
        _input_error(parser, f"exact solve: {err}")
    except FileNotFoundError as err:
        _input_error(parser, f"{err.filename}: file not found")
    except OSError as err:  # unreadable input, unwritable output, full disk, ...
        _input_error(parser, f"{err.filename or 'I/O'}: {err.strerror or err}")
    except KeyboardInterrupt:
        print(f"interrupted: {args.interrupted}", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
