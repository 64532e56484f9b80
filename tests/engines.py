"""Load a CSV file as uploaded into SQLite, DuckDB or PostgreSQL and run a query there.

Two ways a user loads a file: every column as text, cells exactly as written (sqlite3's `.import`,
DuckDB's `all_varchar`, PostgreSQL's COPY into text columns), or typed the way a tool infers types.
"""
from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pandas as pd


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _create_text_table(columns: list[str]) -> str:
    cols = ", ".join('"' + c.replace('"', '""') + '" TEXT' for c in columns)
    return f"CREATE TABLE customers ({cols})"


def sqlite_text(path: Path) -> sqlite3.Connection:
    """Like sqlite3's `.import --csv`: TEXT columns, empty cells as empty strings."""
    columns, rows = _rows(path)
    con = sqlite3.connect(":memory:")
    con.execute(_create_text_table(columns))
    con.executemany(f"INSERT INTO customers VALUES ({', '.join('?' * len(columns))})", rows)
    return con


def sqlite_typed(frame: pd.DataFrame) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    frame.to_sql("customers", con, index=False)
    return con


def duckdb_csv(path: Path, *, all_varchar: bool, id_column: str | None):
    """DuckDB's own CSV reader: every column text, or its sniffed types (the id kept as text)."""
    import duckdb
    con = duckdb.connect()
    options = ("all_varchar = true" if all_varchar else
               f"types = {{'{id_column}': 'VARCHAR'}}" if id_column else "auto_detect = true")
    con.execute(f"CREATE TABLE customers AS SELECT * FROM read_csv('{path}', header = true, {options})")
    return con


def postgres_text(url: str, path: Path):
    """COPY ... FROM STDIN (FORMAT csv) into TEXT columns: empty cells arrive as NULL."""
    import psycopg
    columns, _ = _rows(path)
    con = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    con.execute("DROP TABLE IF EXISTS customers")
    con.execute(_create_text_table(columns))
    with con.cursor().copy("COPY customers FROM STDIN (FORMAT csv, HEADER true)") as copy:
        copy.write(path.read_bytes())
    return con


def postgres_typed(url: str, frame: pd.DataFrame):
    """pandas' to_sql through SQLAlchemy: numbers as double precision, labels as text."""
    import psycopg
    from sqlalchemy import create_engine
    engine = create_engine(url)
    frame.to_sql("customers", engine, index=False, if_exists="replace")
    engine.dispose()
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def query(con, sql: str) -> list[tuple]:
    """All rows of one SELECT, on any of the three engines' connections."""
    cur = con.execute(sql)
    return [tuple(r) for r in cur.fetchall()]
