"""The rules reproduce the segments exactly: as pandas queries, as SQL in SQLite and DuckDB (and, in
test_sql_engines, PostgreSQL), in every figure."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

import engines
from seeded_runs import load_result, make_untidy, original_table

MARKERS = {"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "#n/a", "missing", "<na>"}


def tidy_and_fill(table: pd.DataFrame, features: list[dict]) -> pd.DataFrame:
    """Apply the clean-up result.json states: trim spaces, markers to missing, fill with `fill`."""
    out = table.copy()
    for f in features:
        col = out[f["name"]]
        if f["text"]:
            tidy = []
            for v in col.tolist():
                v = None if pd.isna(v) else str(v).strip(" ")
                tidy.append(f["fill"] if v is None or v.lower() in MARKERS else v)
            out[f["name"]] = pd.Series(tidy, index=col.index, dtype=object)
        else:
            out[f["name"]] = col.fillna(f["fill"])
    return out


def query_text(conj: list[dict]) -> str:
    parts = []
    for c in conj:
        op = {"in": "in", "not in": "not in"}.get(c["op"], c["op"])
        value = tuple(c["value"]) if c["op"] in ("in", "not in") else c["value"]
        parts.append(f"`{c['feature']}` {op} {value!r}")
    return " and ".join(parts) or "index == index"


def rule_segments(table: pd.DataFrame, result: dict) -> pd.Series:
    filled = tidy_and_fill(table, result["dataset"]["features"])
    segment = pd.Series(-1, index=filled.index)
    for seg in result["segments"]:
        for conj in seg["rule"]["clauses"]:
            hit = filled.query(query_text(conj)).index
            assert (segment[hit] == -1).all(), "rules of two segments overlap"
            segment[hit] = seg["id"]
    return segment


def test_recovers_planted_groups(untidy_run):
    assignments = pd.read_csv(untidy_run / "assignments.csv")
    _, planted = make_untidy()
    assert adjusted_rand_score(planted, assignments["cluster"]) >= 0.9


def test_pandas_query_from_clauses_selects_exactly_the_assigned_rows(untidy_run, untidy_csv):
    result = load_result(untidy_run)
    table = original_table(untidy_csv)
    assignments = pd.read_csv(untidy_run / "assignments.csv").set_index("customer_id")
    by_rule = rule_segments(table, result).set_axis(table["customer_id"])
    assert (by_rule >= 0).all(), "some rows are in no segment"
    pd.testing.assert_series_equal(by_rule.sort_index(), assignments["segment"].sort_index(),
                                   check_names=False)


def loaded(engine: str, table: pd.DataFrame):
    """The table as `customers` in an in-process engine, typed as pandas read it."""
    if engine == "sqlite":
        return engines.sqlite_typed(table)
    import duckdb
    con = duckdb.connect()
    con.register("frame", table)
    con.execute("CREATE TABLE customers AS SELECT * FROM frame")
    return con


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_rules_sql_on_the_original_table_matches_assignments(untidy_run, untidy_csv, engine):
    table = original_table(untidy_csv)
    # the untidy cells reach the database as they are: stray spaces, 'N/A', NULL
    assert table["plan"].astype(str).str.startswith(" ").any() and table["plan"].isna().any()
    rows = engines.query(loaded(engine, table), (untidy_run / "rules.sql").read_text())
    got = pd.Series(dict(rows))
    assignments = pd.read_csv(untidy_run / "assignments.csv").set_index("customer_id")
    assert got.notna().all()
    pd.testing.assert_series_equal(got.sort_index().astype(int),
                                   assignments["segment"].sort_index(), check_names=False)


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_each_segment_sql_condition_selects_its_rows(untidy_run, untidy_csv, engine):
    result = load_result(untidy_run)
    con = loaded(engine, original_table(untidy_csv))
    assignments = pd.read_csv(untidy_run / "assignments.csv").set_index("customer_id")
    for seg in result["segments"]:
        rows = engines.query(con, f"SELECT customer_id FROM customers WHERE {seg['rule']['sql']}")
        expected = assignments.index[assignments["segment"] == seg["id"]]
        assert sorted(r[0] for r in rows) == sorted(expected)
        assert seg["size"] == len(expected)


def test_reported_figures_equal_independent_measurement(untidy_run):
    result = load_result(untidy_run)
    a = pd.read_csv(untidy_run / "assignments.csv")
    assert np.isclose(result["explanation"]["fidelity"], (a["segment"] == a["cluster"]).mean())
    for seg in result["segments"]:
        by_rule, cluster = a["segment"] == seg["id"], a["cluster"] == seg["id"]
        assert np.isclose(seg["precision"], (by_rule & cluster).sum() / by_rule.sum())
        assert np.isclose(seg["coverage"], (by_rule & cluster).sum() / cluster.sum())
        assert np.isclose(seg["share"], by_rule.mean())


def test_rules_speak_in_original_units_and_labels(untidy_run):
    result = load_result(untidy_run)
    conditions = [c for s in result["segments"] for conj in s["rule"]["clauses"] for c in conj]
    features = {c["feature"] for c in conditions}
    assert features <= {"plan", "annual_income", "visits"}
    for c in conditions:
        if c["feature"] == "plan":
            values = c["value"] if isinstance(c["value"], list) else [c["value"]]
            assert set(values) <= {"basic", "plus", "pro"}  # trimmed labels, never " basic"
        if c["feature"] == "annual_income":
            assert 10_000 < c["value"] < 120_000   # dollars, not a standardised score
    texts = " ".join(s["rule"]["text"] for s in result["segments"])
    assert "plan is" in texts or "plan in" in texts or "visits" in texts
