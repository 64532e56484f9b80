"""The job side of runs: claim, progress, finish or fail, cancel and retry, runners' heartbeats
and the recovery of runs a dead runner left behind."""
from __future__ import annotations

import gzip
import json
import time
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, or_, select, update

from ..ids import now_iso
from ..schema import artifacts, runners, runs
from .records import RunRecord
from .runs import RunRepository

if TYPE_CHECKING:
    from ..store import Database

ACTIVE = ("queued", "running")
RECOVERED = "the runner stopped while this run was going (crash or restart); run it again"
FORGET_RUNNERS_AFTER = 86_400.0


DAMAGED_OPTIONS = ("this run's stored settings are damaged and cannot be read: start a new run "
                   "from the upload")
_RUNNING = runs.alias("running_runs")
_BUSY = (select(func.count()).select_from(_RUNNING)
         .where(_RUNNING.c.owner == runs.c.owner, _RUNNING.c.status == "running")
         .scalar_subquery())
# Round robin across users: the oldest queued run of the user with the fewest runs running, so
# one user's long queue never holds back another user's first run.
_NEXT_FAIR = (select(runs.c.id, runs.c.options).where(runs.c.status == "queued")
              .order_by(_BUSY, runs.c.created_at, runs.c.id).limit(1))


def _claimed_by(runner_id: str) -> dict:
    """The columns of a run a runner has just taken."""
    return dict(status="running", runner=runner_id, started_at=now_iso(), heartbeat_at=time.time(),
                stage="reading", progress=0.0, message="starting", attempts=runs.c.attempts + 1)


def _readable(options) -> bool:
    """True when a run's stored options are a JSON object (or empty: the defaults)."""
    if not options:
        return True
    try:
        return isinstance(json.loads(options), dict)
    except (ValueError, TypeError):
        return False


class _NotRunning(Exception):
    """The run left the running state before its result could be stored."""


class QueueRepository:
    """Runs as jobs, and the `runners` table."""

    def __init__(self, db: "Database"):
        self.db = db
        self.runs = RunRepository(db)

    def claim(self, runner_id: str) -> RunRecord | None:
        """Take the next queued run fairly (see _NEXT_FAIR); compare-and-set, so two runners never
        take the same one. A run whose stored options are not readable JSON is failed with a
        message of its own instead of being started."""
        for _ in range(20):
            with self.db.engine.begin() as con:  # SQLite: write-locked from the start; PG: skip locked
                row = con.execute(_NEXT_FAIR.with_for_update(skip_locked=True)).first()
                if row is None:
                    return None
                values = (_claimed_by(runner_id) if _readable(row.options) else
                          dict(status="failed", message=DAMAGED_OPTIONS, finished_at=now_iso()))
                taken = con.execute(update(runs).where(runs.c.id == row.id,
                                                       runs.c.status == "queued")
                                    .values(**values)).rowcount
            if taken == 1 and values["status"] == "running":
                return self.runs.get(row.id)
        return None

    def queued_count(self, owner: str) -> int:
        """How many of the owner's runs are waiting for a runner."""
        with self.db.reading() as con:
            return con.execute(select(func.count()).select_from(runs).where(
                runs.c.owner == owner, runs.c.status == "queued")).scalar_one()

    def withdraw_over_quota(self, run_id: str, *, owner: str, limit: int) -> bool:
        """Take back a run just queued when its owner now has more than `limit` waiting (another
        submission raced past the quota check); True when it was taken back. Two racing
        submissions may both be taken back, never both kept over the quota."""
        with self.db.engine.begin() as con:
            queued = con.execute(select(func.count()).select_from(runs).where(
                runs.c.owner == owner, runs.c.status == "queued")).scalar_one()
            if queued <= limit:
                return False
            return con.execute(delete(runs).where(runs.c.id == run_id,
                                                  runs.c.status == "queued")).rowcount == 1

    def report_progress(self, run_id: str, *, stage: str, progress: float, message: str) -> bool:
        """Write a running job's stage and progress; True if the user asked to cancel it."""
        with self.db.engine.begin() as con:
            con.execute(update(runs).where(runs.c.id == run_id, runs.c.status == "running")
                        .values(stage=stage, progress=float(progress), message=message[:500],
                                heartbeat_at=time.time()))
            return bool(con.execute(select(runs.c.cancel_requested)
                                    .where(runs.c.id == run_id)).scalar())

    def finish(self, run_id: str, *, result_json: str, files: dict[str, bytes], message: str,
               runner: str | None = None) -> bool:
        """Store the result, its files and the 'done' status in ONE transaction.

        False (and nothing written) when the run is no longer running (e.g. it was cancelled) or,
        given `runner`, no longer that runner's."""
        query = update(runs).where(runs.c.id == run_id, runs.c.status == "running",
                                   runs.c.cancel_requested.is_(False))
        if runner is not None:
            query = query.where(runs.c.runner == runner)
        try:
            with self.db.engine.begin() as con:
                done = con.execute(query.values(
                    status="done", stage="done", progress=1.0, message=message, result=result_json,
                    finished_at=now_iso())).rowcount
                if done != 1:
                    raise _NotRunning
                con.execute(delete(artifacts).where(artifacts.c.run_id == run_id))
                for name, content in files.items():
                    con.execute(insert(artifacts).values(run_id=run_id, name=name,
                                                         content=gzip.compress(content, 6)))
        except _NotRunning:
            return False
        return True

    def fail(self, run_id: str, message: str, *, status: str = "failed",
             runner: str | None = None) -> bool:
        """End a queued or running run (given `runner`: only while that runner holds it)."""
        query = update(runs).where(runs.c.id == run_id, runs.c.status.in_(ACTIVE))
        if runner is not None:
            query = query.where(runs.c.runner == runner)
        with self.db.engine.begin() as con:
            return con.execute(query.values(status=status, message=message[:1000],
                                             finished_at=now_iso())).rowcount == 1

    def request_cancel(self, run_id: str, *, owner: str) -> bool:
        """Cancel a queued run at once; ask a running one to stop. False if not the owner's."""
        with self.db.engine.begin() as con:
            queued = con.execute(update(runs).where(runs.c.id == run_id, runs.c.owner == owner,
                                                    runs.c.status == "queued")
                                 .values(status="cancelled", message="cancelled before it started",
                                         finished_at=now_iso())).rowcount
            running = con.execute(update(runs).where(runs.c.id == run_id, runs.c.owner == owner,
                                                     runs.c.status == "running")
                                  .values(cancel_requested=True, message="cancelling")).rowcount
        return bool(queued or running)

    def cancel_requested(self, run_id: str) -> bool:
        with self.db.reading() as con:
            return bool(con.execute(select(runs.c.cancel_requested)
                                    .where(runs.c.id == run_id)).scalar())

    def retry(self, run_id: str, *, owner: str, limit: int | None = None) -> str:
        """Queue a failed or cancelled run again: "queued", or "changed" when it is not (any
        more) failed or cancelled, or "over quota" when the owner would have more than `limit`
        waiting (a retry that raced past the quota check is put back as it was)."""
        ended = (runs.c.id == run_id, runs.c.owner == owner,
                 runs.c.status.in_(("failed", "cancelled")))
        kept = (runs.c.status, runs.c.stage, runs.c.progress, runs.c.message, runs.c.finished_at)
        with self.db.engine.begin() as con:
            before = con.execute(select(*kept).where(*ended)).mappings().first()
            if before is None or not con.execute(update(runs).where(*ended).values(
                    status="queued", stage="", progress=0.0, runner=None, cancel_requested=False,
                    message="waiting for a free runner", finished_at=None)).rowcount:
                return "changed"
        if limit is None or self.queued_count(owner) <= limit:
            return "queued"
        with self.db.engine.begin() as con:
            con.execute(update(runs).where(runs.c.id == run_id, runs.c.status == "queued",
                                           runs.c.runner.is_(None)).values(**before))
        return "over quota"

    def beat(self, runner_id: str, host: str, run_ids: list[str]) -> None:
        """A runner's heartbeat, and its running jobs'."""
        now = time.time()
        with self.db.engine.begin() as con:
            if con.execute(update(runners).where(runners.c.id == runner_id)
                           .values(heartbeat_at=now, host=host)).rowcount == 0:
                con.execute(insert(runners).values(id=runner_id, host=host, heartbeat_at=now))
            if run_ids:
                con.execute(update(runs).where(runs.c.id.in_(run_ids), runs.c.status == "running")
                            .values(heartbeat_at=now))

    def retire(self, runner_id: str) -> None:
        """A runner that stops cleanly leaves the runners table."""
        with self.db.engine.begin() as con:
            con.execute(delete(runners).where(runners.c.id == runner_id))

    def held_by(self, run_id: str, *, runner: str) -> bool:
        """True while the run is this runner's: running (or just done) under it, not taken back."""
        with self.db.reading() as con:
            row = con.execute(select(runs.c.status, runs.c.runner)
                              .where(runs.c.id == run_id)).first()
        return row is not None and row.runner == runner and row.status in ("running", "done")

    def recover(self, *, stale_after: float, everything: bool = False) -> list[str]:
        """Mark failed the runs left 'running' by a dead runner (or all of them).

        A runner is dead when its heartbeat in the runners table is older than stale_after (its
        orphaned job may still write progress: that does not count). A live runner refreshes its
        runs' heartbeats on every beat, so a run whose own heartbeat is that old is lost too."""
        query = select(runs.c.id, runs.c.runner).where(runs.c.status == "running")
        if not everything:
            cutoff = time.time() - stale_after
            query = (query.select_from(runs.outerjoin(runners, runners.c.id == runs.c.runner))
                     .where(or_(func.coalesce(runs.c.heartbeat_at, 0.0) < cutoff,
                                runners.c.heartbeat_at < cutoff)))
        with self.db.reading() as con:
            orphans = list(con.execute(query))
        recovered = [row.id for row in orphans if self.fail(row.id, RECOVERED, runner=row.runner)]
        with self.db.engine.begin() as con:
            con.execute(delete(runners).where(
                runners.c.heartbeat_at < time.time() - max(stale_after, FORGET_RUNNERS_AFTER)))
        return recovered
