"""The shared database of the service (engine, connections, health) and `RunStore`, which holds
one repository per aggregate (`uploads`, `runs`, `queue`, `shares`, see service.repositories).

SQLite by default (a file under instance/, WAL, busy timeout), PostgreSQL by URL; both behind the
same methods. Every state change is one statement or one transaction, so any web worker or runner
can make it, and a restart loses nothing. On SQLite every transaction takes the write lock when it
begins (BEGIN IMMEDIATE), so a read-then-write never fails half way with "database is locked";
pure reads go through `reading()`, which WAL lets run while another process writes.
"""
from __future__ import annotations

import os
import sqlite3
import sys
from contextlib import AbstractContextManager
from functools import partial

from sqlalchemy import create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from .clock import Clock, system_clock
from .ids import hash_token, new_id, now_iso
from .repositories import (QueueRepository, RunRepository, ShareRepository, UploadRepository)
from .repositories.queue import ACTIVE, RECOVERED
from .repositories.shares import TOKEN_PATTERN
from .settings import Settings

__all__ = ["ACTIVE", "RECOVERED", "TOKEN_PATTERN", "Database", "RunStore", "database_unavailable",
           "hash_token", "new_id", "now_iso"]
BEGIN_MODES = ("DEFERRED", "IMMEDIATE")
SQLITE_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o")


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


class Database:
    """One database (SQLite file or PostgreSQL URL); safe to use from several processes."""

    def __init__(self, url: str, *, busy_ms: int | None = None, clock: Clock = system_clock):
        """`busy_ms`: how long a SQLite write waits for another process's lock (default: the
        setting CLEARSEG_SQLITE_BUSY_MS); `clock`: the time link expiry is judged by."""
        self.url, self.clock = url, clock
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

    def migrate_when_reachable(self, *, meanwhile: str) -> bool:
        """Migrate now (True); a database that is away is said once on stderr, with what happens
        `meanwhile`, and left for later (False). Any other error is raised."""
        try:
            self.create_schema()
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            print(f"clearseg: the database is not reachable; {meanwhile}", file=sys.stderr,
                  flush=True)
            return False
        return True

    def create_schema(self) -> bool:
        """Migrate the database to the newest schema revision, under a lock (service.migrate);
        True when this call changed it."""
        from .migrate import migrate

        return migrate(self.engine)


class RunStore(Database):
    """The database with its repositories: `uploads`, `runs`, `queue` (the job side) and
    `shares`; every read and change of the run store goes through one of them."""

    def __init__(self, url: str, *, busy_ms: int | None = None, clock: Clock = system_clock):
        super().__init__(url, busy_ms=busy_ms, clock=clock)
        self.uploads = UploadRepository(self)
        self.runs = RunRepository(self)
        self.queue = QueueRepository(self)
        self.shares = ShareRepository(self)
