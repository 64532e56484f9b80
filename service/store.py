"""The run store: uploads, runs as jobs, their results and files, and share links.

SQLite by default (a file under instance/, WAL, busy timeout), PostgreSQL by URL; both behind the
same methods. Every state change is one statement or one transaction, so any web worker or runner
can make it, and a restart loses nothing. On SQLite every transaction takes the write lock when it
begins (BEGIN IMMEDIATE), so a read-then-write never fails half way with "database is locked";
pure reads go through `reading()`, which WAL lets run while another process writes.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import secrets
import sqlite3
import time
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from functools import partial

from sqlalchemy import create_engine, delete, event, func, insert, or_, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from segmentation.options import RunOptions

from .schema import artifacts, runners, runs, shares, uploads
from .settings import Settings

ACTIVE = ("queued", "running")
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
BEGIN_MODES = ("DEFERRED", "IMMEDIATE")
RECOVERED = "the runner stopped while this run was going (crash or restart); run it again"
FORGET_RUNNERS_AFTER = 86_400.0
SQLITE_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_id() -> str:
    """128 random bits: ids of runs and uploads cannot be guessed."""
    return secrets.token_hex(16)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _sqlite_pragmas(dbapi_connection, _record, *, busy_ms: int) -> None:
    """WAL, the busy timeout, foreign keys; and BEGIN left to us (see _sqlite_begin)."""
    dbapi_connection.isolation_level = None   # the driver emits no BEGIN of its own
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """Begin every transaction ourselves: IMMEDIATE (write lock now) unless reading() asks not."""
    mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {mode if mode in BEGIN_MODES else 'IMMEDIATE'}")


def _sqlite_engine(url: str, *, busy_ms: int) -> Engine:
    """SQLAlchemy's pysqlite recipe for real transactions, with WAL and a busy timeout."""
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": busy_ms / 1000})
    event.listen(engine, "connect", partial(_sqlite_pragmas, busy_ms=busy_ms))
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def database_unavailable(exc: BaseException) -> bool:
    """True when exc means the database cannot be reached or is locked right now (worth retrying),
    not that a statement is wrong."""
    if isinstance(exc, sa_exc.TimeoutError):           # no pooled connection came free in time
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return False
    if isinstance(exc.orig, sqlite3.Error):            # sqlite3 also files syntax errors here
        return any(word in str(exc.orig).lower() for word in SQLITE_UNAVAILABLE)
    return True


class _NotRunning(Exception):
    """The run left the running state before its result could be stored."""


class RunStore:
    """Runs, uploads and links in one database; safe to use from several processes."""

    def __init__(self, url: str, *, busy_ms: int | None = None):
        """`busy_ms`: how long a SQLite write waits for another process's lock (default: the
        setting CLEARSEG_SQLITE_BUSY_MS)."""
        self.url = url
        self.busy_ms = Settings.from_env().sqlite_busy_ms if busy_ms is None else busy_ms
        self._engine: Engine | None = None
        self._reader: Engine | None = None
        self._pid: int | None = None

    @property
    def engine(self) -> Engine:
        """The engine of this process (made after a fork, never inherited across one)."""
        if self._engine is None or self._pid != os.getpid():
            if self.url.startswith("sqlite"):
                engine = _sqlite_engine(self.url, busy_ms=self.busy_ms)
            else:
                engine = create_engine(self.url, pool_pre_ping=True)
            self._reader = engine.execution_options(sqlite_begin="DEFERRED")
            self._engine, self._pid = engine, os.getpid()
        return self._engine

    def reading(self) -> AbstractContextManager[Connection]:
        """A connection for reads only: on SQLite its transaction takes no write lock, so it reads
        (WAL) while another process writes. Use engine.begin() for anything that writes."""
        self.engine  # noqa: B018  (makes this process's engines)
        return self._reader.connect()

    def ping(self) -> bool:
        """True if the database answers a trivial query now (for health checks)."""
        try:
            with self.reading() as con:
                con.exec_driver_sql("SELECT 1")
        except Exception:  # noqa: BLE001  (whatever the cause: not healthy)
            return False
        return True

    def create_schema(self) -> bool:
        """Migrate the database to the newest schema revision, under a lock (service.migrate);
        True when this call changed it."""
        from .migrate import migrate

        return migrate(self.engine)

    # uploads -----------------------------------------------------------------------------------
    def add_upload(self, *, owner: str, filename: str, path: str, size_bytes: int,
                   preview: dict | None, error: str | None, upload_id: str | None = None) -> str:
        upload_id = upload_id or new_id()
        with self.engine.begin() as con:
            con.execute(insert(uploads).values(
                id=upload_id, owner=owner, filename=filename, path=path, size_bytes=size_bytes,
                created_at=now_iso(), preview=json.dumps(preview) if preview else None, error=error))
        return upload_id

    def upload(self, upload_id: str, *, owner: str) -> dict | None:
        """The upload, if it exists and belongs to owner."""
        with self.reading() as con:
            row = con.execute(select(uploads).where(uploads.c.id == str(upload_id),
                                                    uploads.c.owner == owner)).mappings().first()
        if row is None:
            return None
        out = dict(row)
        out["preview"] = json.loads(out["preview"]) if out["preview"] else None
        return out

    # runs ----------------------------------------------------------------------------------------
    def submit(self, *, owner: str, title: str, options: RunOptions | dict, upload_id: str | None,
               visibility: str = "private") -> str:
        """Queue a run; its options are validated (OptionError) and kept as RunOptions' JSON."""
        if not isinstance(options, RunOptions):
            options = RunOptions.from_stored(options)
        run_id = new_id()
        with self.engine.begin() as con:
            con.execute(insert(runs).values(
                id=run_id, owner=owner, upload_id=upload_id, title=title[:255], visibility=visibility,
                options=json.dumps(options.to_stored()), status="queued", stage="", progress=0.0,
                message="waiting for a free runner", cancel_requested=False, attempts=0,
                created_at=now_iso()))
        return run_id

    def run(self, run_id: str, *, owner: str | None = None) -> dict | None:
        """A run's record without its result; owner-checked when owner is given."""
        query = select(*[c for c in runs.c if c.name != "result"]).where(runs.c.id == str(run_id))
        if owner is not None:
            query = query.where(runs.c.owner == owner)
        with self.reading() as con:
            row = con.execute(query).mappings().first()
        if row is None:
            return None
        out = dict(row)
        out["options"] = json.loads(out["options"])
        return out

    def runs_of(self, owner: str, *, limit: int = 50) -> list[dict]:
        cols = [runs.c.id, runs.c.title, runs.c.status, runs.c.stage, runs.c.progress,
                runs.c.message, runs.c.created_at, runs.c.finished_at]
        query = (select(*cols).where(runs.c.owner == owner)
                 .order_by(runs.c.created_at.desc(), runs.c.id).limit(limit))
        with self.reading() as con:
            return [dict(r) for r in con.execute(query).mappings()]

    def set_visibility(self, run_id: str, *, owner: str, visibility: str) -> bool:
        """private (the owner only), team (every signed-in editor) or public (anyone, read-only)."""
        if visibility not in ("private", "team", "public"):
            raise ValueError(f"unknown visibility {visibility!r}")
        with self.engine.begin() as con:
            return con.execute(update(runs).where(runs.c.id == run_id, runs.c.owner == owner)
                               .values(visibility=visibility)).rowcount == 1

    def public_runs(self, *, limit: int = 10) -> list[dict]:
        """Runs anyone may look at (the demo), newest first."""
        cols = [runs.c.id, runs.c.title, runs.c.status, runs.c.created_at]
        query = (select(*cols).where(runs.c.visibility == "public")
                 .order_by(runs.c.created_at.desc(), runs.c.id).limit(limit))
        with self.reading() as con:
            return [dict(r) for r in con.execute(query).mappings()]

    def result_json(self, run_id: str) -> str | None:
        with self.reading() as con:
            return con.execute(select(runs.c.result).where(runs.c.id == str(run_id))).scalar()

    def artifact(self, run_id: str, name: str) -> bytes | None:
        with self.reading() as con:
            blob = con.execute(select(artifacts.c.content).where(
                artifacts.c.run_id == str(run_id), artifacts.c.name == name)).scalar()
        return gzip.decompress(blob) if blob is not None else None

    def count(self, status: str) -> int:
        with self.reading() as con:
            return con.execute(select(func.count()).select_from(runs)
                               .where(runs.c.status == status)).scalar_one()

    # the job side --------------------------------------------------------------------------------
    def claim(self, runner_id: str) -> dict | None:
        """Take the oldest queued run; compare-and-set, so two runners never take the same one."""
        for _ in range(20):
            with self.engine.begin() as con:  # SQLite: write-locked from the start; PG: skip locked
                run_id = con.execute(select(runs.c.id).where(runs.c.status == "queued")
                                     .order_by(runs.c.created_at, runs.c.id).limit(1)
                                     .with_for_update(skip_locked=True)).scalar()
                if run_id is None:
                    return None
                taken = con.execute(update(runs).where(runs.c.id == run_id, runs.c.status == "queued")
                                    .values(status="running", runner=runner_id, started_at=now_iso(),
                                            heartbeat_at=time.time(), stage="reading", progress=0.0,
                                            message="starting", attempts=runs.c.attempts + 1)).rowcount
            if taken == 1:
                return self.run(run_id)
        return None

    def report_progress(self, run_id: str, *, stage: str, progress: float, message: str) -> bool:
        """Write a running job's stage and progress; True if the user asked to cancel it."""
        with self.engine.begin() as con:
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
            with self.engine.begin() as con:
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
        with self.engine.begin() as con:
            return con.execute(query.values(status=status, message=message[:1000],
                                             finished_at=now_iso())).rowcount == 1

    def request_cancel(self, run_id: str, *, owner: str) -> bool:
        """Cancel a queued run at once; ask a running one to stop. False if not the owner's."""
        with self.engine.begin() as con:
            queued = con.execute(update(runs).where(runs.c.id == run_id, runs.c.owner == owner,
                                                    runs.c.status == "queued")
                                 .values(status="cancelled", message="cancelled before it started",
                                         finished_at=now_iso())).rowcount
            running = con.execute(update(runs).where(runs.c.id == run_id, runs.c.owner == owner,
                                                     runs.c.status == "running")
                                  .values(cancel_requested=True, message="cancelling")).rowcount
        return bool(queued or running)

    def cancel_requested(self, run_id: str) -> bool:
        with self.reading() as con:
            return bool(con.execute(select(runs.c.cancel_requested)
                                    .where(runs.c.id == run_id)).scalar())

    def retry(self, run_id: str, *, owner: str) -> bool:
        """Queue a failed or cancelled run again."""
        with self.engine.begin() as con:
            return con.execute(update(runs).where(runs.c.id == run_id, runs.c.owner == owner,
                                                  runs.c.status.in_(("failed", "cancelled")))
                               .values(status="queued", stage="", progress=0.0, runner=None,
                                       cancel_requested=False, message="waiting for a free runner",
                                       finished_at=None)).rowcount == 1

    def beat(self, runner_id: str, host: str, run_ids: list[str]) -> None:
        """A runner's heartbeat, and its running jobs'."""
        now = time.time()
        with self.engine.begin() as con:
            if con.execute(update(runners).where(runners.c.id == runner_id)
                           .values(heartbeat_at=now, host=host)).rowcount == 0:
                con.execute(insert(runners).values(id=runner_id, host=host, heartbeat_at=now))
            if run_ids:
                con.execute(update(runs).where(runs.c.id.in_(run_ids), runs.c.status == "running")
                            .values(heartbeat_at=now))

    def retire(self, runner_id: str) -> None:
        """A runner that stops cleanly leaves the runners table."""
        with self.engine.begin() as con:
            con.execute(delete(runners).where(runners.c.id == runner_id))

    def held_by(self, run_id: str, *, runner: str) -> bool:
        """True while the run is this runner's: running (or just done) under it, not taken back."""
        with self.reading() as con:
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
        with self.reading() as con:
            orphans = list(con.execute(query))
        recovered = [row.id for row in orphans if self.fail(row.id, RECOVERED, runner=row.runner)]
        with self.engine.begin() as con:
            con.execute(delete(runners).where(
                runners.c.heartbeat_at < time.time() - max(stale_after, FORGET_RUNNERS_AFTER)))
        return recovered

    # share links ---------------------------------------------------------------------------------
    def create_share(self, run_id: str, *, owner: str, expires_in_days: float | None = None) -> str | None:
        """A new read-only link token for the owner's finished run; only its hash is stored."""
        if self.run(run_id, owner=owner) is None:
            return None
        token = secrets.token_urlsafe(32)
        expires = time.time() + expires_in_days * 86400 if expires_in_days else None
        with self.engine.begin() as con:
            con.execute(insert(shares).values(id=new_id(), run_id=run_id, token_hash=hash_token(token),
                                              created_at=now_iso(), expires_at=expires))
        return token

    def shared_run_id(self, token: str) -> str | None:
        """The run a token opens, if the token is well formed, known, unexpired and not revoked."""
        if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
            return None
        with self.reading() as con:
            row = con.execute(select(shares.c.run_id, shares.c.expires_at, shares.c.revoked_at)
                              .where(shares.c.token_hash == hash_token(token))).first()
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at is not None and row.expires_at < time.time():
            return None
        return row.run_id

    def shares_of(self, run_id: str, *, owner: str) -> list[dict]:
        if self.run(run_id, owner=owner) is None:
            return []
        with self.reading() as con:
            rows = con.execute(select(shares.c.id, shares.c.created_at, shares.c.expires_at,
                                      shares.c.revoked_at).where(shares.c.run_id == run_id)
                               .order_by(shares.c.created_at)).mappings()
            return [dict(r) for r in rows]

    def revoke_share(self, share_id: str, *, owner: str) -> bool:
        with self.engine.begin() as con:
            run_id = con.execute(select(shares.c.run_id).where(shares.c.id == share_id)).scalar()
            if run_id is None or con.execute(select(runs.c.id).where(
                    runs.c.id == run_id, runs.c.owner == owner)).scalar() is None:
                return False
            return con.execute(update(shares).where(shares.c.id == share_id,
                                                    shares.c.revoked_at.is_(None))
                               .values(revoked_at=now_iso())).rowcount == 1
