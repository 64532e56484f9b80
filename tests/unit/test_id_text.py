"""Customer ids keep their exact text in every output: assignments, customers.csv, rules.sql."""
from __future__ import annotations

import csv
import sqlite3

import numpy as np
import pandas as pd
import pytest

from seeded_runs import run_cli
from order_logs import make_status_log
from segmentation.roles import infer_roles


def sqlite_segments(csv_path, sql: str) -> dict[str, int]:
    """rules.sql run in SQLite over the CSV imported as text, as `sqlite3 .import` does."""
    with open(csv_path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    con = sqlite3.connect(":memory:")
    columns = ", ".join('"' + name.replace('"', '""') + '" TEXT' for name in rows[0])
    con.execute(f"CREATE TABLE customers ({columns})")
    con.executemany(f"INSERT INTO customers VALUES ({', '.join('?' * len(rows[0]))})",
                    [[cell if cell != "" else None for cell in row] for row in rows[1:]])
    got = dict(con.execute(sql.replace("FROM customers;", "FROM customers")).fetchall())
    con.close()
    return got


def assigned(path) -> dict[str, int]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        key = reader.fieldnames[0]
        return {row[key]: int(row["segment"]) for row in reader}


@pytest.fixture(scope="module")
def padded_table(tmp_path_factory):
    rng = np.random.default_rng(5)
    n = 240
    group = rng.integers(0, 3, n)
    frame = pd.DataFrame({"customer_no": [f"{i:07d}" for i in rng.permutation(n) + 1],
                          "income": np.array([20, 55, 110])[group] * rng.uniform(0.8, 1.2, n),
                          "visits": np.array([30, 10, 2])[group] + rng.integers(0, 4, n)})
    path = tmp_path_factory.mktemp("padded") / "crm export.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_zero_padded_ids_of_a_customer_table_round_trip(padded_table, tmp_path, capsys):
    path, frame = padded_table
    code, _, err = run_cli(["run", str(path), "--out", str(tmp_path), "--quiet"], capsys)
    assert code == 0, err
    by_file = assigned(tmp_path / "assignments.csv")
    assert list(by_file) == frame["customer_no"].tolist()  # byte for byte, in upload order
    by_sql = sqlite_segments(path, (tmp_path / "rules.sql").read_text())
    assert by_sql == by_file


def test_order_log_ids_round_trip_through_customers_csv_and_sql(tmp_path, capsys):
    log_path = tmp_path / "orders.csv"
    make_status_log(120, seed=8).to_csv(log_path, index=False)
    out = tmp_path / "out"
    code, _, err = run_cli(["run", str(log_path), "--orders", "--out", str(out), "--quiet"], capsys)
    assert code == 0, err
    written = set(pd.read_csv(log_path, dtype=str)["customer_id"])
    by_file = assigned(out / "assignments.csv")
    with open(out / "customers.csv", newline="", encoding="utf-8") as handle:
        customers = [row["customer_id"] for row in csv.DictReader(handle)]
    assert set(by_file) == set(customers) == written
    assert sqlite_segments(out / "customers.csv", (out / "rules.sql").read_text()) == by_file


@pytest.mark.parametrize("name", ["CustomerID", "customerId", "Client No", "account"])
def test_ids_named_in_any_case_style_are_ids(name):
    table = pd.DataFrame({name: [17850, 13047, 12583, 14688], "spend": [1.0, 2.0, 3.0, 4.5]})
    assert infer_roles(table)[name].role == "id"


def test_zero_padded_codes_that_repeat_are_labels_not_dates():
    table = pd.DataFrame({"branch": ["001", "002", "001", "003"] * 5,
                          "spend": np.arange(20, dtype=float)})
    assert infer_roles(table)["branch"].role == "categorical"


def test_whole_number_ids_with_a_gap_are_written_without_a_decimal_point(tmp_path, capsys):
    rng = np.random.default_rng(9)
    n = 120
    ids = [str(5000 + i) for i in range(n)]
    ids[7] = ""
    group = rng.integers(0, 2, n)
    path = tmp_path / "customers.csv"
    spend = np.array([10, 100])[group] * rng.uniform(0.8, 1.2, n)
    visits = np.array([2, 20])[group] + rng.integers(0, 3, n)
    pd.DataFrame({"customer_id": ids, "spend": spend, "visits": visits}).to_csv(path, index=False)
    code, _, err = run_cli(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"], capsys)
    assert code == 0, err
    with open(tmp_path / "out" / "assignments.csv", newline="", encoding="utf-8") as handle:
        written = [row["customer_id"] for row in csv.DictReader(handle)]
    assert written == ids
