"""`python -m segmentation run|demo`: the command line over the same core the server uses.

Bad input exits with code 2 and one line on stderr; progress goes to stderr, one line per step.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from explain.view_text import percent, tightness_sentence

from .errors import InputError
from .loading import ORDER_KEYS, load_input
from .options import DEFAULT_DEPTH, DEPTH_MAX, DEPTH_MIN, METHODS, OptionError, RunOptions
from .pipeline import STAGES, run_segmentation
from .result import RunResult


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are input errors too: one line, exit 2."""

    def error(self, message):
        raise InputError(message)


def _k(text: str):
    if text == "auto":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be 'auto' or a whole number (got '{text}')") from None


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m segmentation", description="Rule-explained customer segmentation.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="segment a customer table or an order log")
    run.add_argument("input", help="CSV, XLSX or Parquet file")
    _add_run_options(run)
    run.add_argument("--orders", action="store_true", help="the input is an order log")
    for name in ("customer", "date", "amount", "quantity", "category", "order", "status"):
        run.add_argument(f"--{name}", metavar="COL", help=f"order log: the {name} column")
    run.add_argument("--as-of", metavar="DATE", help="order log: date recency is counted to")
    demo = sub.add_parser("demo", help="generate a demo customer base and segment it")
    demo.add_argument("--rows", type=int, default=2000)
    _add_run_options(demo)
    return parser


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="out", help="output folder (default: out)")
    p.add_argument("--method", choices=METHODS, default="kmeans")
    p.add_argument("--k", type=_k, default=None, help="auto (default) or a number of segments")
    p.add_argument("--features", help="comma-separated feature columns (default: all usable)")
    p.add_argument("--id-column", help="the column identifying a customer")
    p.add_argument("--max-depth", type=int, default=DEFAULT_DEPTH,
                   help=f"rule depth, {DEPTH_MIN}..{DEPTH_MAX} (default {DEFAULT_DEPTH})")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    add_debug(p)


def add_debug(p: argparse.ArgumentParser) -> None:
    """--debug: an internal error shows its traceback instead of one line."""
    p.add_argument("--debug", action="store_true", help="show the traceback of an internal error")


def _progress(quiet: bool):
    start = time.perf_counter()

    def report(stage: str, fraction: float, message: str) -> None:
        if quiet:
            return
        step = STAGES.index(stage) if stage in STAGES else 0
        overall = (step + fraction) / len(STAGES)
        elapsed = time.perf_counter() - start
        print(f"[{overall:4.0%}] {stage.replace('_', ' ')}: {message} ({elapsed:.1f}s)",
              file=sys.stderr, flush=True)
    return report


FLAGS = {"method": "--method", "k": "--k", "max_depth": "--max-depth", "seed": "--seed",
         "features": "--features", "id_column": "--id-column"}


def _options(args, *, id_column=None, source="") -> RunOptions:
    """The run's options from the flags; a bad value is reported under its flag."""
    features = tuple(f.strip() for f in args.features.split(",") if f.strip()) if args.features else None
    try:
        return RunOptions(method=args.method, k=args.k, features=features,
                          id_column=args.id_column or id_column, max_depth=args.max_depth,
                          seed=args.seed, source=source)
    except OptionError as exc:
        raise InputError(f"{FLAGS.get(exc.field, exc.field)}: {exc.problem}") from None


def command_run(args) -> int:
    from .outputs import write_outputs

    _options(args)  # a bad option is refused before the file is read
    progress = _progress(args.quiet)
    orders = {k: getattr(args, k) for k in ORDER_KEYS} if args.orders else None
    loaded = load_input(args.input, orders=orders, progress=progress)
    options = _options(args, id_column=loaded.id_column, source=Path(args.input).name)
    output = run_segmentation(loaded.table, options=options, progress=progress,
                              extra={"notes": loaded.notes})
    written = write_outputs(Path(args.out), result=output.result, assignments=output.assignments,
                            customers=loaded.customers)
    _summary(output.result, written)
    return 0


def command_demo(args) -> int:
    from .outputs import write_outputs
    from .synthetic import make_customers

    progress = _progress(args.quiet)
    table, _ = make_customers(args.rows, seed=args.seed)
    options = _options(args, id_column="customer_id", source="demo customers")
    output = run_segmentation(table, options=options, progress=progress)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "demo_customers.csv", index=False)
    written = write_outputs(out, result=output.result, assignments=output.assignments)
    _summary(output.result, written)
    return 0


def _summary(result: RunResult, written) -> None:
    """What was found, on stdout: the verdict, then one line per segment with its rule."""
    ex, ks = result.explanation, result.k_selection
    found = (f"{len(result.segments)} ranges of a continuum, not distinct groups"
             if ks.structure == "weak" else f"{len(result.segments)} segments")
    print(f"{found} ({result.clustering.method}). {ks.reason}")
    if ks.structure_reason:
        print(ks.structure_reason + (" " + ks.advice if ks.advice else ""))
    tightness = tightness_sentence(ex.cost_ratio, structure=ks.structure)
    if tightness:
        print(f"{tightness} (agreement with the clusters {percent(ex.fidelity)}).")
    if ks.best_k_3_8:
        print(ks.best_k_3_8.reason)
    for seg in result.segments:
        print(f"  {seg.id}. {seg.name} ({seg.share:.0%}): {seg.rule.text}")
    print("wrote " + ", ".join(str(p) for p in written))


def main(argv: list[str] | None = None) -> int:
    return dispatch(build_parser(), {"run": command_run, "demo": command_demo}, argv)


def dispatch(parser: argparse.ArgumentParser, commands: dict, argv: list[str] | None) -> int:
    """Parse `argv` and run its command; every failure becomes one line on stderr and an exit code."""
    args = None
    try:
        args = parser.parse_args(argv)
        return commands[args.command](args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: the table does not fit in memory: use fewer rows or features", file=sys.stderr)
        return 1
    except Exception as exc:  # a fault of ours: one line, the details only on request
        if getattr(args, "debug", False):
            raise
        print(f"error: internal error ({type(exc).__name__}: {exc}); run it again with --debug "
              "for the details and report it", file=sys.stderr)
        return 1
