"""`python -m service worker|job|users|migrate`: the job runner, one job's process, editor
accounts and the schema migration.

Failures are reported as by the core's CLI: one line on stderr, exit code 2 for bad input.
"""
from __future__ import annotations

import logging
import signal
import sys

from segmentation.cli import Parser, add_debug, dispatch
from segmentation.errors import InputError

from .settings import Settings

DATABASE_HELP = "store URL (default: $CLEARSEG_DATABASE_URL or the local file)"


def build_parser() -> Parser:
    """The `python -m service` commands and their options."""
    parser = Parser(prog="python -m service", description="Clearseg's service: runner and accounts.")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="run the job runner: execute queued runs from the store")
    worker.add_argument("--database", help=DATABASE_HELP)
    worker.add_argument("--concurrency", type=int, help="runs at once (default: number of cores)")
    job = sub.add_parser("job", help="execute one claimed run (started by the runner)")
    job.add_argument("run_id")
    job.add_argument("--database", required=True)
    users = sub.add_parser("users", help="manage editor accounts: add, remove, list, passwd")
    users.add_argument("action", choices=("add", "remove", "list", "passwd"))
    users.add_argument("username", nargs="?")
    users.add_argument("--password-stdin", action="store_true",
                       help="read the password from standard input instead of prompting")
    users.add_argument("--force", action="store_true",
                       help="remove: remove the last editor too (nobody can sign in then)")
    users.add_argument("--database", help=DATABASE_HELP)
    migrate = sub.add_parser("migrate", help="bring the database to the newest schema revision")
    migrate.add_argument("--database", help=DATABASE_HELP)
    for command in (worker, job, users, migrate):
        add_debug(command)
    return parser


def command_worker(args) -> int:
    """Run the job runner until SIGTERM or SIGINT, sweeping orphan upload folders beside it."""
    import threading

    from .housekeeping import start_sweeper
    from .jobs import Runner, patiently
    from .store import RunStore

    settings = Settings.from_env()
    store = RunStore(args.database or settings.database_url, busy_ms=settings.sqlite_busy_ms)
    patiently(store.create_schema, seconds=600)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    runner = Runner(store, concurrency=args.concurrency or settings.runner_concurrency)
    print(f"runner {runner.runner_id}: up to {runner.concurrency} runs at once", file=sys.stderr)
    start_sweeper(store, settings, stop)
    runner.serve(stop)
    return 0


def command_job(args) -> int:
    """Execute one run the runner claimed (this process is its child)."""
    from .jobs import execute
    from .store import RunStore

    signal.signal(signal.SIGTERM, _interrupt)
    settings = Settings.from_env()
    store = RunStore(args.database, busy_ms=settings.sqlite_busy_ms)
    run = store.runs.get(args.run_id)
    if run is None or run.status != "running":
        raise InputError(f"run {args.run_id} is not waiting to be executed")
    upload = store.uploads.get(run.upload_id, owner=run.owner) if run.upload_id else None
    if upload is None:
        store.queue.fail(args.run_id, "the uploaded file is no longer there: upload it again")
        return 2
    try:
        execute(store, args.run_id, upload_path=upload.path, settings=settings)
    except KeyboardInterrupt:
        if store.queue.cancel_requested(args.run_id):
            store.queue.fail(args.run_id, "cancelled by the user", status="cancelled")
        else:
            store.queue.fail(args.run_id, "stopped because its runner shut down; run it again")
    return 0


def _interrupt(*_):
    raise KeyboardInterrupt


def _read_password(args) -> str:
    """From stdin with --password-stdin, else prompted twice."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise InputError("the two passwords differ")
    return first


def command_users(args) -> int:
    """Add, remove, list editors or set a password (removal and a new password end the editor's
    sessions; the last editor is removed only with --force)."""
    from .accounts import Accounts

    store = _store(args)
    store.create_schema()
    accounts = Accounts(store)
    if args.action == "list":
        for user in accounts.list():
            print(f"{user.username}\tcreated {user.created_at}")
        return 0
    if not args.username:
        raise InputError(f"users {args.action} needs a user name")
    if args.action == "remove":
        accounts.remove(args.username, force=args.force)
    elif args.action == "add":
        accounts.add(args.username, _read_password(args))
    else:
        accounts.set_password(args.username, _read_password(args))
    print(f"{args.action}: {args.username}: done", file=sys.stderr)
    return 0


def _store(args):
    """The store named by --database, else by the settings."""
    from .store import RunStore

    settings = Settings.from_env()
    return RunStore(args.database or settings.database_url, busy_ms=settings.sqlite_busy_ms)


def command_migrate(args) -> int:
    """Bring the database to the newest schema revision and say what was done."""
    from .migrate import head

    changed = _store(args).create_schema()
    print(f"database {'upgraded to' if changed else 'already at'} revision {head()}",
          file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    commands = {"worker": command_worker, "job": command_job, "users": command_users,
                "migrate": command_migrate}
    return dispatch(build_parser(), commands, argv)
