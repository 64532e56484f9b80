"""Bring a database to the schema's newest revision (Alembic), once, under a lock.

Every process that opens the store may call migrate(): the runner, each gunicorn worker,
`python -m service migrate`. The first to find the database behind takes a lock (PostgreSQL: an
advisory lock; SQLite: the write lock of BEGIN IMMEDIATE) and upgrades it inside that
transaction; the others wait for the lock, find the database current and do nothing. A database
made before migrations existed (by create_all, with no alembic_version table) gets the tables and
columns it lacks, is stamped with the initial revision, and then upgraded like any other.
"""
from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from .schema import metadata

SCRIPTS = Path(__file__).with_name("migrations")
INITIAL = "0001"
LOCK_KEY = 0x636C7365  # "clse": PostgreSQL advisory lock held while migrating

logger = logging.getLogger(__name__)


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision of the schema."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(connection: Connection) -> str | None:
    """The revision the database is at; None when it has none (new, or made by create_all)."""
    return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> bool:
    """Upgrade the database to head if it is behind; True when this call changed it."""
    with engine.execution_options(sqlite_begin="DEFERRED").connect() as con:  # no write lock
        if current(con) == head():
            return False
    with engine.begin() as con:
        _lock(con)
        found = current(con)
        if found == head():
            return False
        if found is None and inspect(con).has_table("runs"):
            _adopt(con)
        command.upgrade(_config(con), "head")
        logger.info("database schema upgraded from %s to %s", found or "nothing", head())
    return True


def _lock(con: Connection) -> None:
    """Serialise migrations: SQLite's BEGIN IMMEDIATE already holds the write lock."""
    if con.dialect.name == "postgresql":
        con.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")


def _adopt(con: Connection) -> None:
    """A database made by create_all: add what it lacks of the initial schema, then stamp it."""
    metadata.create_all(con)
    found = inspect(con)
    for table in metadata.sorted_tables:
        have = {c["name"] for c in found.get_columns(table.name)}
        for column in table.columns:
            if column.name not in have:
                _add_column(con, table.name, column)
    command.stamp(_config(con), INITIAL)
    logger.info("database made before migrations: stamped at revision %s", INITIAL)


def _add_column(con: Connection, table: str, column) -> None:
    """ALTER TABLE ... ADD COLUMN for a nullable or defaulted column the old database lacks."""
    kind = column.type.compile(dialect=con.dialect)
    default = column.default.arg if column.default is not None else None
    clause = f" DEFAULT {default!r}" if isinstance(default, (str, int, float)) else ""
    if isinstance(default, bool):
        clause = f" DEFAULT {'TRUE' if default else 'FALSE'}"
    if clause and not column.nullable:
        clause += " NOT NULL"  # allowed with a default: the existing rows take it
    con.exec_driver_sql(f'ALTER TABLE {table} ADD COLUMN "{column.name}" {kind}{clause}')
