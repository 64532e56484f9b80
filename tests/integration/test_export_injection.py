"""Exports hold user text that must stay data: rules.sql run by psql and DuckDB keeps the table,
and assignments.csv read by `csv` and pandas has one record per customer and no formula cell.

A label or segment name with a carriage return used to end its `--` comment in rules.sql (psql
then ran `DROP TABLE customers`), and an id holding a bare carriage return split its CSV record so
that a live `=1+1` started a line.
"""
from __future__ import annotations

import csv
import io
import subprocess

import numpy as np
import pandas as pd
import pytest

import engines
from spreadsheet_cells import FORMULA, formula_cells
from segmentation.cli import main as cli_main
from segmentation.outputs import csv_text, rules_sql
from segmentation.result import RunResult

HOSTILE_LABEL = "Nord\r; DROP TABLE customers; --"
LABELS = (HOSTILE_LABEL, "South", "East\r\n-- x", "West\x0b\x0c\x85\u2028;")
HOSTILE_IDS = ("C{i}\r=1+1", "\t=2+{i}", "\r@SUM(A{i})", "x{i}\n-3", "+{i}\r\n=4", "=cmd{i}",
               "C{i}\t\r+5", "C{i}")


def _table(n: int, *, seed: int, ids) -> pd.DataFrame:
    """Three groups told apart by a hostile label only (the numbers are noise)."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, size=n)
    return pd.DataFrame({
        "customer_id": ids,
        "region": np.array(LABELS, dtype=object)[(group + (rng.random(n) < 0.1)) % len(LABELS)],
        "spend": (100.0 + rng.gamma(2.0, 20.0, n)).round(2),
        "visits": 2 + rng.integers(0, 3, n),
    })


def _run(folder, table: pd.DataFrame) -> dict:
    """A CLI run of the table: its files as text."""
    folder.mkdir(parents=True, exist_ok=True)
    table.to_csv(folder / "customers.csv", index=False, quoting=csv.QUOTE_NONNUMERIC)
    out = folder / "out"
    assert cli_main(["run", str(folder / "customers.csv"), "--out", str(out), "--quiet",
                     "--id-column", "customer_id", "--k", "3",
                     "--features", "region"]) == 0
    return {"csv": folder / "customers.csv", **{name: (out / name).read_bytes().decode("utf-8")
                                                for name in ("result.json", "rules.sql",
                                                             "assignments.csv")}}


@pytest.fixture(scope="module")
def sql_run(tmp_path_factory) -> dict:
    """A run whose rules read a hostile label, with segment names holding it too (as a user may
    name them) and the rules.sql the product writes for those names."""
    run = _run(tmp_path_factory.mktemp("sql"), _table(180, seed=5, ids=[f"C{i:04d}" for i in
                                                                          range(180)]))
    result = RunResult.from_json(run["result.json"])
    for seg, label in zip(result.segments, LABELS):
        seg.name = f"{label} buyers"
    run["named.sql"] = rules_sql(result)
    assignments = pd.read_csv(io.StringIO(run["assignments.csv"]), dtype={"customer_id": str})
    run["expected"] = dict(zip(assignments["customer_id"], assignments["segment"]))
    return run


def test_the_hostile_label_reaches_the_rules_and_the_names(sql_run):
    """The attack is in place: the label is a condition value and sits in the comment lines."""
    assert "'Nord\r; DROP TABLE customers; --'" in sql_run["rules.sql"]
    assert "Nord ; DROP TABLE customers; -- buyers" in sql_run["named.sql"]


@pytest.mark.parametrize("name", ["rules.sql", "named.sql"])
def test_psql_runs_rules_sql_without_dropping_the_table(sql_run, postgres, name, tmp_path):
    url = postgres.fresh_database("inject_" + name.split(".")[0])
    con = engines.postgres_text(url, sql_run["csv"])
    script = tmp_path / name
    script.write_text(sql_run[name], encoding="utf-8")
    proc = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=0",
                           "-d", url.replace("postgresql+psycopg://", "postgresql://"),
                           "-f", str(script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "ERROR" not in proc.stderr, proc.stderr
    got = dict(line.split("|") for line in proc.stdout.splitlines() if line)
    assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 180
    con.close()
    assert {key: int(seg) for key, seg in got.items()} == sql_run["expected"]


@pytest.mark.parametrize("name", ["rules.sql", "named.sql"])
def test_duckdb_runs_rules_sql_statement_by_statement_without_dropping_the_table(sql_run, name):
    """As DuckDB's shell reads a file: split into statements by DuckDB's parser, each run."""
    con = engines.duckdb_csv(sql_run["csv"], all_varchar=True, id_column=None)
    statements = con.extract_statements(sql_run[name])
    assert len(statements) == 1
    rows = con.execute(statements[0]).fetchall()
    assert {str(key): seg for key, seg in rows} == sql_run["expected"]
    assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 180


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory) -> dict:
    """A run whose ids hold tabs, carriage returns and formula starts at and inside the value."""
    ids = [pattern.format(i=i) for i, pattern in
           zip(range(160), (HOSTILE_IDS * 20))]
    table = _table(160, seed=6, ids=ids)
    return {"table": table, **_run(tmp_path_factory.mktemp("csv"), table)}


def _assert_spreadsheet_safe(text: str, *, records: int) -> None:
    """Read by `csv` and by pandas: one record per customer, no cell a formula (numbers aside)."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == records + 1 and len({len(row) for row in rows}) == 1
    frame = pd.read_csv(io.StringIO(text, newline=""), dtype=str, keep_default_na=False)
    assert len(frame) == records
    for cells in ([cell for row in rows for cell in row], frame.to_numpy().ravel().tolist()):
        assert formula_cells(cells) == []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    assert [line for line in lines if line.lstrip('"').startswith(FORMULA[:4])] == []


def test_hostile_ids_keep_one_record_each_and_start_no_formula(csv_run):
    assert any("\r" in i[1:] for i in csv_run["table"]["customer_id"])
    _assert_spreadsheet_safe(csv_run["assignments.csv"], records=160)


def test_csv_text_quotes_and_neutralises_every_kind_of_line_break():
    frame = pd.DataFrame({"id": [p.format(i=i) for i, p in enumerate(HOSTILE_IDS)],
                          "label": list(LABELS) * 2, "n": np.arange(8) + 0.5,
                          "\r=name": ["x"] * 8})
    text = csv_text(frame)
    _assert_spreadsheet_safe(text, records=8)
    back = pd.read_csv(io.StringIO(text, newline=""), dtype=str, keep_default_na=False)
    assert back["id"].tolist()[0] == "C0\r'=1+1" and back["label"].tolist()[1] == "South"
    assert back.columns.tolist()[-1] == "'\r'=name"


def test_renamed_assignments_keep_the_carriage_returns_inside_their_cells(csv_run):
    from dashboard.renaming import renamed_assignments
    renamed = renamed_assignments(csv_run["assignments.csv"].encode(), {0: "=Gold", 1: "Silver"})
    _assert_spreadsheet_safe(renamed.decode(), records=160)
