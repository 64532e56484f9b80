"""Runs as jobs: execute one stored run, and the runner that claims and supervises them.

Each job runs in its own child process (`python -m segmentation job RUN_ID`), so a crash, a memory
blow-up or a cancel never touches the runner or a web worker. The child writes its stage and
progress to the store; the runner heartbeats, enforces cancels and marks dead children failed.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .store import RunStore

HEARTBEAT_SECONDS = 2.0
STALE_SECONDS = 30.0
PROGRESS_EVERY = 0.4


class Cancelled(Exception):
    """The user cancelled the run."""


def run_options(options: dict):
    """RunOptions from a stored run's settings."""
    from .pipeline import RunOptions

    return RunOptions(method=options.get("method", "kmeans"), k=options.get("k"),
                      features=tuple(options["features"]) if options.get("features") else None,
                      id_column=options.get("id_column") or None,
                      max_depth=int(options.get("max_depth", 3)), seed=int(options.get("seed", 0)),
                      roles=tuple(sorted((options.get("roles") or {}).items())),
                      source=options.get("source", ""))


def _progress_writer(store: RunStore, run_id: str):
    """A progress callback that writes at most every PROGRESS_EVERY seconds and honours cancels."""
    from .pipeline import STAGES

    last = [0.0]

    def report(stage: str, fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY and fraction not in (0.0, 1.0):
            return
        last[0] = now
        step = STAGES.index(stage) if stage in STAGES else 0
        overall = (step + min(max(fraction, 0.0), 1.0)) / len(STAGES)
        if store.report_progress(run_id, stage=stage, progress=overall, message=message):
            raise Cancelled
    return report


def _load_table(path: str, options: dict, progress):
    """The table to segment and, for an order log, the per-customer table and id column."""
    from .orders import aggregate_orders
    from .readers import read_table

    progress("reading", 0.0, "reading the upload")
    raw = read_table(path)
    orders = options.get("orders")
    if not orders:
        return raw, None, None, []
    progress("reading", 0.5, "aggregating the order log per customer")
    agg = aggregate_orders(raw, **{k: orders.get(k) or None for k in
                                   ("customer", "date", "amount", "quantity", "category", "order",
                                    "as_of")})
    return agg.customers, agg.customers, agg.columns["customer"], agg.notes


def execute(store: RunStore, run_id: str, *, upload_path: str) -> None:
    """Run one claimed job to the end and store its outcome: done, failed or cancelled."""
    from dataclasses import replace

    from .outputs import csv_text, rules_sql
    from .pipeline import run_segmentation
    from explain.report import report_html

    run = store.run(run_id)
    progress = _progress_writer(store, run_id)
    try:
        table, customers, id_column, notes = _load_table(upload_path, run["options"], progress)
        options = run_options(run["options"])
        if id_column and not options.id_column:
            options = replace(options, id_column=id_column)
        output = run_segmentation(table, options=options, progress=progress, extra={"notes": notes})
        progress("profiling", 0.9, "writing the report")
        result = output.result
        files = {"assignments.csv": csv_text(output.assignments).encode(),
                 "rules.sql": rules_sql(result).encode(),
                 "report.html": report_html(result).encode()}
        if customers is not None:
            files["customers.csv"] = csv_text(customers).encode()
        message = f"{len(result.segments)} segments, rules fidelity {result.explanation['fidelity']:.1%}"
        if not store.finish(run_id, result_json=result.to_json(), files=files, message=message):
            store.fail(run_id, "cancelled", status="cancelled")
    except Cancelled:
        store.fail(run_id, "cancelled by the user", status="cancelled")
    except InputError as exc:
        store.fail(run_id, str(exc))
    except MemoryError:
        store.fail(run_id, "the table does not fit in memory: use fewer rows or features")
    except Exception as exc:  # a fault of ours: stored as a message, never shown as a traceback
        store.fail(run_id, f"internal error ({type(exc).__name__}); the run was stopped")
        raise


@dataclass
class Runner:
    """Claims queued runs and executes at most `concurrency` of them at once, each in a child."""

    store: RunStore
    concurrency: int = field(default_factory=lambda: os.cpu_count() or 1)
    poll_seconds: float = 0.5
    runner_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{time.time_ns()}")
    children: dict = field(default_factory=dict)   # run id -> Popen

    def start_child(self, run: dict) -> None:
        cmd = [sys.executable, "-m", "segmentation", "job", run["id"], "--database", self.store.url]
        root = Path(__file__).resolve().parents[1]
        self.children[run["id"]] = subprocess.Popen(cmd, cwd=root, stdin=subprocess.DEVNULL)

    def reap(self) -> None:
        """Forget finished children; a child that died without storing an outcome failed."""
        for run_id, proc in list(self.children.items()):
            code = proc.poll()
            if code is None:
                continue
            del self.children[run_id]
            run = self.store.run(run_id)
            if run and run["status"] == "running" and run["cancel_requested"]:
                self.store.fail(run_id, "cancelled by the user", status="cancelled")
            elif run and run["status"] == "running":
                why = (f"stopped by signal {-code}" if code < 0 else f"exit code {code}")
                self.store.fail(run_id, f"the run's process ended unexpectedly ({why}); run it again")

    def enforce_cancels(self) -> None:
        for run_id, proc in self.children.items():
            if proc.poll() is None and self.store.cancel_requested(run_id):
                proc.send_signal(signal.SIGTERM)

    def step(self) -> None:
        """One round: reap, cancel, claim up to the limit."""
        self.reap()
        self.enforce_cancels()
        while len(self.children) < self.concurrency:
            run = self.store.claim(self.runner_id)
            if run is None:
                break
            self.start_child(run)

    def serve(self, stop: threading.Event, *, recover_all: bool = False) -> None:
        """Run until `stop` is set; first mark failed what a crashed runner left running."""
        self.store.recover(stale_after=STALE_SECONDS, everything=recover_all)
        last_beat = 0.0
        while not stop.is_set():
            try:
                self.step()
                if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                    self.store.beat(self.runner_id, socket.gethostname(), list(self.children))
                    self.store.recover(stale_after=STALE_SECONDS)
                    last_beat = time.monotonic()
            except Exception as exc:  # the database may be briefly away: keep going
                print(f"runner: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            stop.wait(self.poll_seconds)
        for proc in self.children.values():
            proc.send_signal(signal.SIGTERM)
