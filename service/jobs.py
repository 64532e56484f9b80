"""Runs as jobs: execute one stored run, and the runner that claims and supervises them.

Each job runs in its own child process (`python -m service job RUN_ID`), so a crash, a memory
blow-up or a cancel never touches the runner or a web worker. The child writes its stage and
progress to the store; the runner heartbeats (the runners table), enforces cancels and marks dead
children failed. A runner whose heartbeat is older than RUNNER_STALE_SECONDS is dead: any runner
marks its runs failed, and its orphaned children notice the runner is gone and stop, storing
nothing. A database that is briefly away is waited for, never a reason to stop.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from segmentation.errors import InputError
from segmentation.loading import load_input
from segmentation.options import RunOptions

from .preview_jobs import PreviewReaders
from .repositories import RunRecord
from .settings import Settings
from .store import RunStore, database_unavailable, new_id

HEARTBEAT_SECONDS = 2.0
RUNNER_STALE_SECONDS = 3 * HEARTBEAT_SECONDS
PROGRESS_EVERY = 0.4
WATCH_SECONDS = 0.5
PATIENCE_SECONDS = 120.0
SHUTDOWN_SECONDS = 5.0
RUNNER_PID_ENV = "CLEARSEG_RUNNER_PID"
logger = logging.getLogger(__name__)
ORPHANED = "the runner stopped while this run was going (crash or restart); run it again"
DATABASE_ENV = "CLEARSEG_DATABASE_URL"
SECRET_ENV = ("CLEARSEG_SECRET_KEY",)
# A job's process: it limits itself before it imports the core, and the database URL (which may
# hold a password) comes from the environment, never from the command line `ps` shows.
_JOB_BOOT = ("import sys; from service.sandbox import limit_job; "
             "limit_job(memory_bytes=int(sys.argv[3]), cpu_seconds=float(sys.argv[4])); "
             "from service.jobs import boot_job; sys.exit(boot_job(sys.argv[2]))")
# Allocators that reserve address space per thread would make RLIMIT_AS count reservations.
_JOB_ENV = {"MALLOC_ARENA_MAX": "2", "ARROW_DEFAULT_MEMORY_POOL": "system"}
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")   # each reserves address space too


class Cancelled(Exception):
    """The user cancelled the run."""


def run_options(options: dict) -> RunOptions:
    """RunOptions from a stored run's settings (an InputError names a stored value now refused)."""
    return RunOptions.from_stored(options)


def _progress_writer(store: RunStore, run_id: str):
    """A progress callback that writes at most every PROGRESS_EVERY seconds and honours cancels.

    Progress is best effort: while the database is away the job goes on without writing it."""
    from segmentation.pipeline import STAGES

    last = [0.0]

    def report(stage: str, fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY and fraction not in (0.0, 1.0):
            return
        last[0] = now
        step = STAGES.index(stage) if stage in STAGES else 0
        overall = (step + min(max(fraction, 0.0), 1.0)) / len(STAGES)
        try:
            cancelled = store.queue.report_progress(run_id, stage=stage, progress=overall,
                                                    message=message)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            return
        if cancelled:
            raise Cancelled
    return report


def patiently(action, *, seconds: float = PATIENCE_SECONDS, every: float = 1.0):
    """action() again and again while the database is unavailable, for up to `seconds`."""
    end = time.monotonic() + seconds
    while True:
        try:
            return action()
        except Exception as exc:
            if not database_unavailable(exc) or time.monotonic() > end:
                raise
            time.sleep(every)


def _abandon(store: RunStore, run_id: str, runner: str) -> None:
    """Leave this orphaned job's process at once: its run failed (if still ours), no result."""
    try:
        store.queue.fail(run_id, ORPHANED, runner=runner)
    finally:
        os._exit(3)


def _watch(store: RunStore, run_id: str, *, runner: str, parent: int,
           stop: threading.Event) -> None:
    """In a job's process: stop it when its runner is gone or the run was taken from it."""
    rounds = 0
    while not stop.wait(WATCH_SECONDS):
        if os.getppid() != parent:
            _abandon(store, run_id, runner)
        rounds += 1
        if rounds % 4:
            continue
        try:
            held = store.queue.held_by(run_id, runner=runner)
        except Exception:  # noqa: BLE001  (database away: the runner decides, keep going)
            continue
        if not held:
            os._exit(4)


def start_watchdog(store: RunStore, run: RunRecord) -> threading.Event | None:
    """Watch the runner that started this process (named by $CLEARSEG_RUNNER_PID); set the
    returned event to stop watching. None when no runner started this process."""
    parent = os.environ.get(RUNNER_PID_ENV, "")
    if not parent.isdigit() or not run.runner:
        return None
    if os.getppid() != int(parent):
        _abandon(store, run.id, run.runner)
    stop = threading.Event()
    threading.Thread(target=_watch, args=(store, run.id), daemon=True, name="clearseg-watch",
                     kwargs={"runner": run.runner, "parent": int(parent), "stop": stop}).start()
    return stop


def execute(store: RunStore, run_id: str, *, upload_path: str,
            settings: Settings | None = None) -> None:
    """Run one claimed job to the end and store its outcome: done, failed or cancelled
    (settings: read from the environment when not given)."""
    run = patiently(lambda: store.runs.get(run_id))
    watching = start_watchdog(store, run)
    try:
        _execute(store, run, upload_path=upload_path, settings=settings or Settings.from_env())
    finally:
        if watching is not None:
            watching.set()


def _fail(store: RunStore, run: RunRecord, message: str, *, status: str = "failed") -> None:
    """End the run with a message, only while this job's runner still holds it."""
    patiently(lambda: store.queue.fail(run.id, message, status=status, runner=run.runner))


def _execute(store: RunStore, run: RunRecord, *, upload_path: str, settings: Settings) -> None:
    """Load, segment and store the files; every way it can end is written to the run."""
    from segmentation.outputs import csv_text, rules_sql
    from segmentation.pipeline import run_segmentation
    from explain.report import report_html

    run_id = run.id
    progress = _progress_writer(store, run_id)
    try:
        options = run_options(run.options)
        loaded = load_input(upload_path, orders=options.to_stored()["orders"], progress=progress,
                            xlsx_max_unpacked_mb=settings.xlsx_max_unpacked_mb,
                            name=options.source or None)
        options.check_table(*loaded.table.shape)
        if loaded.id_column and not options.id_column:
            options = options.model_copy(update={"id_column": loaded.id_column})
        output = run_segmentation(loaded.table, options=options, progress=progress,
                                  extra={"notes": loaded.notes})
        progress("profiling", 0.9, "writing the report")
        result = output.result
        files = {"assignments.csv": csv_text(output.assignments).encode(),
                 "rules.sql": rules_sql(result).encode(),
                 "report.html": report_html(result).encode()}
        if loaded.customers is not None:
            files["customers.csv"] = csv_text(loaded.customers).encode()
        message = _finished_message(result)
        if not patiently(lambda: store.queue.finish(run_id, result_json=result.to_json(),
                                                    files=files, message=message,
                                                    runner=run.runner)):
            _fail(store, run, "cancelled by the user", status="cancelled")
    except Cancelled:
        _fail(store, run, "cancelled by the user", status="cancelled")
    except InputError as exc:
        _fail(store, run, str(exc))
    except MemoryError:
        memory = f"{settings.run_memory_mb:,.0f} MB"
        _fail(store, run, f"the table does not fit in the run's memory ({memory}): use fewer "
                          "rows or features")
    except Exception as exc:  # a fault of ours: stored as a message, never shown as a traceback
        _fail(store, run, f"internal error ({type(exc).__name__}); the run was stopped")
        raise


def boot_job(run_id: str) -> int:
    """A job process's entry point once limited (see _JOB_BOOT): `service job RUN_ID` on the
    database named by $CLEARSEG_DATABASE_URL."""
    from .cli import main

    return main(["job", run_id, "--database", os.environ[DATABASE_ENV]])


def _finished_message(result) -> str:
    """A finished run's line in the runs list: its segments and how well the rules agree."""
    fidelity = result.explanation.fidelity
    return f"{len(result.segments)} segments" + (
        f", rules fidelity {fidelity:.1%}" if fidelity is not None else "")


def job_command(run_id: str, *, url: str, settings: Settings,
                threads: int | None = None) -> tuple[list[str], dict]:
    """The command line and environment of one run's process: limits on the command line, the
    database URL in the environment, no secret the job does not need; `threads`: the BLAS and
    OpenMP threads it may start (its share of the cores), unless the environment sets them."""
    memory = int(settings.run_memory_mb * 2**20)
    cmd = [sys.executable, "-c", _JOB_BOOT, "job", run_id, str(memory),   # ps: job RUN_ID ...
           f"{settings.run_cpu_seconds:g}"]
    env = {name: value for name, value in os.environ.items() if name not in SECRET_ENV}
    limits = {"CLEARSEG_RUN_MEMORY_MB": f"{settings.run_memory_mb:g}",   # the job's messages
              "CLEARSEG_RUN_CPU_SECONDS": f"{settings.run_cpu_seconds:g}"}
    shared = {name: str(threads) for name in _THREAD_ENV if threads and name not in env}
    return cmd, {**env, **_JOB_ENV, **shared, **limits, DATABASE_ENV: url,
                 RUNNER_PID_ENV: str(os.getpid())}


def _runner_id() -> str:
    """Host, process and a random part: unique across hosts and restarts, within 64 characters."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{new_id()[:8]}"


@dataclass
class Runner:
    """Claims queued runs and executes at most `concurrency` of them at once, each in a child."""

    store: RunStore
    concurrency: int = field(default_factory=lambda: os.cpu_count() or 1)
    poll_seconds: float = 0.5
    runner_id: str = field(default_factory=_runner_id)
    children: dict = field(default_factory=dict)   # run id -> Popen
    database_down: bool = False
    settings: Settings = field(default_factory=Settings.from_env)   # the limits of each run
    started: dict = field(default_factory=dict)    # run id -> monotonic time its child started
    stopping: dict = field(default_factory=dict)   # run id -> monotonic time of its SIGTERM
    previews: PreviewReaders | None = None          # reads uploads, as many at once as runs

    def __post_init__(self) -> None:
        self.previews = self.previews or PreviewReaders(self.store, self.settings, self.runner_id,
                                                        workers=max(self.concurrency, 1))

    def start_child(self, run: RunRecord) -> None:
        threads = max(1, (os.cpu_count() or 1) // max(self.concurrency, 1))
        cmd, env = job_command(run.id, url=self.store.url, settings=self.settings,
                               threads=threads)
        root = Path(__file__).resolve().parents[1]
        self.children[run.id] = subprocess.Popen(cmd, cwd=root, stdin=subprocess.DEVNULL,
                                                 env=env)
        self.started[run.id] = time.monotonic()

    def reap(self) -> None:
        """Forget finished children; a child that died without storing an outcome failed.

        A child is forgotten only once its outcome is settled in the store, so a database that is
        away at that moment delays this to a later round rather than losing it."""
        for run_id, proc in list(self.children.items()):
            code = proc.poll()
            if code is None:
                continue
            run = self.store.runs.get(run_id)
            if run and run.status == "running" and run.runner == self.runner_id:
                if run.cancel_requested:
                    self.store.queue.fail(run_id, "cancelled by the user", status="cancelled")
                else:
                    self.store.queue.fail(run_id, self._ended_message(code),
                                          runner=self.runner_id)
            del self.children[run_id]
            self.started.pop(run_id, None)
            self.stopping.pop(run_id, None)

    def _ended_message(self, code: int) -> str:
        """Why a child ended without storing an outcome, in the user's words."""
        if code == -signal.SIGXCPU:
            return (f"the run used up its CPU time ({self.settings.run_cpu_seconds:g} s) and was "
                    "stopped: use fewer rows or features, or ask the administrator to raise "
                    "CLEARSEG_RUN_CPU_SECONDS")
        why = f"stopped by signal {-code}" if code < 0 else f"exit code {code}"
        return f"the run's process ended unexpectedly ({why}); run it again"

    def enforce_cancels(self) -> None:
        """SIGTERM the child of a cancelled run or one over its time; SIGKILL it if it is still
        there after the grace period (a long library call does not see SIGTERM)."""
        now = time.monotonic()
        for run_id, proc in self.children.items():
            if proc.poll() is not None:
                continue
            if run_id in self.stopping:
                if now - self.stopping[run_id] >= self.settings.cancel_grace_seconds:
                    proc.kill()
            elif self._over_time(run_id, now) or self.store.queue.cancel_requested(run_id):
                proc.send_signal(signal.SIGTERM)
                self.stopping[run_id] = now

    def _over_time(self, run_id: str, now: float) -> bool:
        """True (and the run failed with why) once its child has run longer than allowed."""
        limit = self.settings.run_wall_seconds
        if now - self.started.get(run_id, now) < limit:
            return False
        self.store.queue.fail(run_id, f"the run took longer than its time limit ({limit:g} s) "
                                      "and was stopped: use fewer rows or features, or ask the "
                                      "administrator to raise CLEARSEG_RUN_WALL_SECONDS",
                              runner=self.runner_id)
        return True

    def step(self) -> None:
        """One round: reap, cancel, claim runs up to the limit, and uploads to read."""
        self.reap()
        self.enforce_cancels()
        while len(self.children) < self.concurrency:
            run = self.store.queue.claim(self.runner_id)
            if run is None:
                break
            self.start_child(run)
        self.previews.step()

    def heartbeat(self, *, healthy_for: float) -> None:
        """Beat; once the database has answered for a full stale window, fail dead runners' runs.

        The wait keeps a runner that just got the database back from judging others whose beats
        were stopped by the same outage."""
        self.store.queue.beat(self.runner_id, socket.gethostname(), list(self.children))
        if healthy_for >= RUNNER_STALE_SECONDS:
            self.store.queue.recover(stale_after=RUNNER_STALE_SECONDS)
            self.store.uploads.release_previews(stale_after=RUNNER_STALE_SECONDS)

    def serve(self, stop: threading.Event, *, recover_all: bool = False) -> None:
        """Run until `stop` is set; `recover_all` first fails every run left running."""
        if recover_all:
            self._guarded(lambda: self.store.queue.recover(stale_after=0, everything=True))
            self._guarded(self.store.uploads.release_previews)
        healthy_since, last_beat = None, -HEARTBEAT_SECONDS
        while not stop.is_set():
            now = time.monotonic()
            if now - last_beat >= HEARTBEAT_SECONDS:
                healthy_for = 0.0 if healthy_since is None else now - healthy_since
                if self._guarded(lambda: self.heartbeat(healthy_for=healthy_for)):
                    healthy_since = now if healthy_since is None else healthy_since
                    last_beat = now
            self._guarded(self.step)
            if self.database_down:
                healthy_since = None
            stop.wait(self.poll_seconds)
        self.shut_down()

    def _guarded(self, action) -> bool:
        """Do action; log a failure (an outage once, not every round); True if it worked."""
        try:
            action()
        except Exception as exc:  # the runner never stops for a database error
            if not database_unavailable(exc):
                logger.error("runner: %s: %s", type(exc).__name__, exc)
            elif not self.database_down:
                logger.warning("runner: the database is not reachable (%s); retrying",
                               type(exc).__name__)
            self.database_down = self.database_down or database_unavailable(exc)
            return False
        if self.database_down:
            logger.warning("runner: the database is reachable again")
            self.database_down = False
        return True

    def shut_down(self) -> None:
        """Stop the children (each stores its run as stopped), settle them, leave the table."""
        for proc in self.children.values():
            proc.send_signal(signal.SIGTERM)
        end = time.monotonic() + SHUTDOWN_SECONDS
        for proc in self.children.values():
            try:
                proc.wait(timeout=max(end - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._guarded(self.reap)
        self._guarded(self.previews.stop)
        self._guarded(lambda: self.store.queue.retire(self.runner_id))
