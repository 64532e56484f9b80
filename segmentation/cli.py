"""`python -m segmentation run|demo`: the command line over the same core the server uses.

Bad input exits with code 2 and one line on stderr; progress goes to stderr, one line per step.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .errors import InputError
from .loading import ORDER_KEYS, load_input
from .pipeline import METHODS, STAGES, RunOptions, run_segmentation


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors are input errors too: one line, exit 2
        raise InputError(message)


def _k(text: str):
    if text == "auto":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be 'auto' or a whole number (got '{text}')") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m segmentation", description="Rule-explained customer segmentation.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="segment a customer table or an order log")
    run.add_argument("input", help="CSV, XLSX or Parquet file")
    _add_run_options(run)
    run.add_argument("--orders", action="store_true", help="the input is an order log")
    for name in ("customer", "date", "amount", "quantity", "category", "order"):
        run.add_argument(f"--{name}", metavar="COL", help=f"order log: the {name} column")
    run.add_argument("--as-of", metavar="DATE", help="order log: date recency is counted to")
    worker = sub.add_parser("worker", help="run the job runner: execute queued runs from the store")
    worker.add_argument("--database", help="store URL (default: $CLEARSEG_DATABASE_URL or the local file)")
    worker.add_argument("--concurrency", type=int, help="runs at once (default: number of cores)")
    job = sub.add_parser("job", help="execute one claimed run (started by the runner)")
    job.add_argument("run_id")
    job.add_argument("--database", required=True)
    users = sub.add_parser("users", help="manage editor accounts: add, remove, list, passwd")
    users.add_argument("action", choices=("add", "remove", "list", "passwd"))
    users.add_argument("username", nargs="?")
    users.add_argument("--password-stdin", action="store_true",
                       help="read the password from standard input instead of prompting")
    users.add_argument("--database", help="store URL (default: $CLEARSEG_DATABASE_URL or the local file)")
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
    p.add_argument("--max-depth", type=int, default=3, help="rule depth, 2..4 (default 3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress lines")


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


def _options(args, *, id_column=None, source="") -> RunOptions:
    features = tuple(f.strip() for f in args.features.split(",") if f.strip()) if args.features else None
    return RunOptions(method=args.method, k=args.k, features=features,
                      id_column=args.id_column or id_column, max_depth=args.max_depth,
                      seed=args.seed, source=source)


def command_run(args) -> int:
    from .outputs import write_outputs

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


def command_worker(args) -> int:
    import signal
    import threading

    from .jobs import Runner
    from .settings import Settings
    from .store import RunStore

    from .jobs import patiently

    settings = Settings.from_env()
    store = RunStore(args.database or settings.database_url)
    patiently(store.create_schema, seconds=600)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    runner = Runner(store, concurrency=args.concurrency or settings.runner_concurrency)
    print(f"runner {runner.runner_id}: up to {runner.concurrency} runs at once", file=sys.stderr)
    runner.serve(stop)
    return 0


def command_job(args) -> int:
    import signal

    from .jobs import execute
    from .store import RunStore

    signal.signal(signal.SIGTERM, _interrupt)
    store = RunStore(args.database)
    run = store.run(args.run_id)
    if run is None or run["status"] != "running":
        raise InputError(f"run {args.run_id} is not waiting to be executed")
    upload = store.upload(run["upload_id"], owner=run["owner"]) if run["upload_id"] else None
    if upload is None:
        store.fail(args.run_id, "the uploaded file is no longer there: upload it again")
        return 2
    try:
        execute(store, args.run_id, upload_path=upload["path"])
    except KeyboardInterrupt:
        if store.cancel_requested(args.run_id):
            store.fail(args.run_id, "cancelled by the user", status="cancelled")
        else:
            store.fail(args.run_id, "stopped because its runner shut down; run it again")
    return 0


def _interrupt(*_):
    raise KeyboardInterrupt


def _read_password(args) -> str:
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise InputError("the two passwords differ")
    return first


def command_users(args) -> int:
    from .accounts import Accounts
    from .settings import Settings
    from .store import RunStore

    store = RunStore(args.database or Settings.from_env().database_url)
    store.create_schema()
    accounts = Accounts(store)
    if args.action == "list":
        for user in accounts.list():
            print(f"{user['username']}\tcreated {user['created_at']}")
        return 0
    if not args.username:
        raise InputError(f"users {args.action} needs a user name")
    if args.action == "remove":
        accounts.remove(args.username)
    elif args.action == "add":
        accounts.add(args.username, _read_password(args))
    else:
        accounts.set_password(args.username, _read_password(args))
    print(f"{args.action}: {args.username}: done", file=sys.stderr)
    return 0


def _summary(result, written) -> None:
    """What was found, on stdout: one line per segment with its rule."""
    ex = result.explanation
    print(f"{len(result.segments)} segments ({result.clustering['method']}), "
          f"rules fidelity {ex['fidelity']:.1%}. {result.k_selection['reason']}")
    for seg in result.segments:
        print(f"  {seg['id']}. {seg['name']} ({seg['share']:.0%}): {seg['rule']['text']}")
    print("wrote " + ", ".join(str(p) for p in written))


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        commands = {"run": command_run, "demo": command_demo, "worker": command_worker,
                    "job": command_job, "users": command_users}
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
        if os.environ.get("CLEARSEG_DEBUG"):
            raise
        print(f"error: internal error ({type(exc).__name__}: {exc}); set CLEARSEG_DEBUG=1 "
              "for details and report it", file=sys.stderr)
        return 1
