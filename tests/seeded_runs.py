"""Helpers shared by test modules: a seeded untidy customer table, the CLI run in process, a
run's result.json, and rules.sql run in SQLite over a table."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation.cli import main as cli_main
from segmentation.readers import read_table


def make_untidy(n: int = 1200, *, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Three planted groups told apart by a plan label and income, with gaps and stray spaces."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, size=n)
    plan = np.array(["basic", "plus", "pro"], dtype=object)[group]
    income = np.array([30_000.0, 90_000.0, 60_000.0])[group] + rng.normal(0, 4_000, n)
    visits = np.array([2.0, 4.0, 12.0])[group] + rng.normal(0, 0.8, n)
    untidy = rng.random(n)
    plan = np.where(untidy < 0.04, np.char.add(" ", plan.astype(str)), plan).astype(object)
    plan = np.where((untidy >= 0.04) & (untidy < 0.07), np.char.add(plan.astype(str), "  "), plan)
    plan = plan.astype(object)
    plan[(untidy >= 0.07) & (untidy < 0.085)] = None
    plan[(untidy >= 0.085) & (untidy < 0.09)] = "N/A"
    income[rng.random(n) < 0.03] = np.nan
    visits[rng.random(n) < 0.02] = np.nan
    table = pd.DataFrame({
        "customer_id": [f"K{i:05d}" for i in range(n)],
        "plan": plan,
        "annual_income": income.round(2),
        "visits": visits.round(1),
        "note": [f"free text comment number {i} about this customer" for i in range(n)],
    })
    return table, group


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    code = cli_main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def load_result(out: Path) -> dict:
    return json.loads((out / "result.json").read_text())


def sql_segments(table: pd.DataFrame, sql: str, *, key: str) -> pd.Series:
    """Run rules.sql in SQLite over `table` loaded as `customers`; segment by key."""
    con = sqlite3.connect(":memory:")
    table.to_sql("customers", con, index=False)
    got = pd.read_sql_query(sql, con)
    con.close()
    return got.set_index(key)["segment"]


def original_table(path: Path) -> pd.DataFrame:
    """The uploaded table as any tool would load it (no clean-up of ours)."""
    return read_table(path)
