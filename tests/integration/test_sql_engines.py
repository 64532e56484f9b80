"""rules.sql selects exactly the rows of each segment in SQLite, DuckDB and a real PostgreSQL.

The table reaches each engine as uploaded: untidy labels, null markers, gaps, numbers written as
text with stray spaces, a zero-padded id, a label with a quote and a semicolon. Loaded as text
(cells exactly as written) and typed (as each tool infers types), the rules must agree row for row
with assignments.csv.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import engines
from seeded_runs import load_result
from segmentation.cli import main as cli_main
from segmentation.result import RunResult

ID = "customer_id"
QUOTED = "O'Neil; Gold"
MARKERS = ("N/A", "null", "NULL", "-", "", "None", "n/a", " NA ")


def _untidy_labels(rng, clean: np.ndarray) -> np.ndarray:
    """Labels with stray spaces (before, after, both) and a share of null markers."""
    out = clean.astype(object).copy()
    roll = rng.random(len(out))
    out[roll < 0.05] = [" " + v for v in out[roll < 0.05]]
    out[(roll >= 0.05) & (roll < 0.09)] = [v + "  " for v in out[(roll >= 0.05) & (roll < 0.09)]]
    both = (roll >= 0.09) & (roll < 0.11)
    out[both] = [" " + v + " " for v in out[both]]
    marker = (roll >= 0.11) & (roll < 0.16)
    out[marker] = rng.choice(np.array(MARKERS, dtype=object), size=int(marker.sum()))
    return out


def _numbers_as_text(rng, values: np.ndarray) -> np.ndarray:
    """Whole numbers written as text: some with stray spaces, some as null markers."""
    out = np.array([str(int(v)) for v in values], dtype=object)
    roll = rng.random(len(out))
    out[roll < 0.06] = [" " + v for v in out[roll < 0.06]]
    out[(roll >= 0.06) & (roll < 0.09)] = [v + " " for v in out[(roll >= 0.06) & (roll < 0.09)]]
    marker = (roll >= 0.09) & (roll < 0.13)
    out[marker] = rng.choice(np.array(("N/A", "-", "null", ""), dtype=object), size=int(marker.sum()))
    return out


def make_untidy_table(n: int, *, seed: int) -> pd.DataFrame:
    """Four planted groups told apart by plan, region, income, visits and membership."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 4, size=n)
    plan = np.array(["basic", "plus", "pro", QUOTED], dtype=object)[group]
    region = np.array(["North", "north", "South", "East"], dtype=object)[rng.permutation(group)]
    income = np.array([30_000.0, 90_000.0, 60_000.0, 120_000.0])[group] + rng.normal(0, 6_000, n)
    income = income.round(2).astype(object)
    income[rng.random(n) < 0.05] = None
    visits = np.array([2, 5, 12, 8])[group] + rng.integers(0, 3, n)
    member = (rng.random(n) < np.array([0.2, 0.7, 0.5, 0.9])[group]).astype(float)
    member[rng.random(n) < 0.04] = np.nan
    paperless = (rng.random(n) < np.array([0.1, 0.9, 0.2, 0.8])[group]).astype(object)
    paperless[rng.random(n) < 0.03] = None
    return pd.DataFrame({
        ID: [f"{i:06d}" for i in rng.permutation(np.arange(1, n + 1))],
        "plan": _untidy_labels(rng, plan),
        "region": _untidy_labels(rng, region),
        "annual_income": income,
        "visits": _numbers_as_text(rng, visits),
        "member": member,
        "newsletter": rng.random(n) < np.array([0.9, 0.1, 0.8, 0.2])[group],   # True / False
        "paperless": paperless,                                               # with gaps
    })


RUNS = {   # each run makes its rules on the columns that are hard to get exact
    "labels": (0, ["--k", "4", "--features", "plan,region,newsletter,paperless"]),
    "numbers": (2, ["--k", "3", "--features", "visits,annual_income,member"]),
    "density": (1, ["--method", "density"]),
    "no-id": (4, ["--k", "3"]),   # no id column: rules.sql numbers the rows as assignments.csv does
}


@pytest.fixture(scope="module", params=sorted(RUNS))
def run(request, tmp_path_factory) -> dict:
    """A CLI run on a freshly generated untidy CSV: the file, the result and the assignments."""
    seed, args = RUNS[request.param]
    folder = tmp_path_factory.mktemp(f"sql-{request.param}")
    csv_path = folder / "customers.csv"
    table = make_untidy_table(900, seed=seed)
    key = "row" if request.param == "no-id" else ID
    (table.drop(columns=ID) if key == "row" else table).to_csv(csv_path, index=False)
    out = folder / "out"
    id_args = [] if key == "row" else ["--id-column", ID]
    assert cli_main(["run", str(csv_path), "--out", str(out), "--quiet", *id_args, *args]) == 0
    assignments = pd.read_csv(out / "assignments.csv", dtype={key: str}).set_index(key)["segment"]
    return {"name": request.param, "csv": csv_path, "key": key, "result": load_result(out),
            "sql": (out / "rules.sql").read_text(), "assignments": assignments}


def _typed_frame(path: Path) -> pd.DataFrame:
    """The file as pandas reads it with its defaults (the id kept as text)."""
    frame = pd.read_csv(path)
    return pd.read_csv(path, dtype={ID: str}) if ID in frame.columns else frame


LOADS = ("sqlite-text", "sqlite-typed", "duckdb-text", "duckdb-typed",
         "postgres-text", "postgres-typed")


def connect(load: str, path: Path, request):
    if load == "sqlite-text":
        return engines.sqlite_text(path)
    if load == "sqlite-typed":
        return engines.sqlite_typed(_typed_frame(path))
    if load.startswith("duckdb"):
        with path.open(encoding="utf-8") as f:
            id_column = ID if ID in f.readline() else None
        return engines.duckdb_csv(path, all_varchar=load.endswith("text"), id_column=id_column)
    url = request.getfixturevalue("postgres").fresh_database("rules_" + load.split("-")[1])
    if load == "postgres-text":
        return engines.postgres_text(url, path)
    return engines.postgres_typed(url, _typed_frame(path))


@pytest.fixture(params=LOADS)
def loaded(request, run):
    con = connect(request.param, run["csv"], request)
    yield con
    con.close()


def test_the_generated_table_is_untidy_as_intended():
    table = make_untidy_table(900, seed=0)
    plan = table["plan"].astype(str)
    assert plan.str.startswith(" ").any() and plan.str.endswith(" ").any()
    assert (plan == QUOTED).any() and plan.isin(MARKERS).any()
    assert table["visits"].str.startswith(" ").any() and table["visits"].isin(["N/A", "-"]).any()
    assert table["annual_income"].isna().any() and table[ID].str.startswith("0").all()


def test_rules_sql_gives_every_row_its_assigned_segment(run, loaded):
    rows = engines.query(loaded, run["sql"])
    got = pd.Series({str(key): seg for key, seg in rows})
    expected = run["assignments"]
    assert len(rows) == len(pd.read_csv(run["csv"])) and got.notna().all()
    # without an id, exact duplicate rows are left out of assignments.csv: compare the others
    pd.testing.assert_series_equal(got[expected.index].sort_index().astype(int),
                                   expected.sort_index(), check_names=False, check_index_type=False)


def test_each_segment_condition_selects_exactly_its_rows(run, loaded):
    expected = run["assignments"]
    keyed = (f'SELECT "{ID}" FROM customers' if run["key"] == ID else
             "SELECT n FROM (SELECT ROW_NUMBER() OVER () AS n, * FROM customers) AS numbered")
    for seg in run["result"]["segments"]:
        rows = {str(r[0]) for r in engines.query(loaded, f'{keyed} WHERE {seg["rule"]["sql"]}')}
        assert sorted(rows & set(expected.index)) == sorted(expected.index[expected == seg["id"]])
        assert run["key"] == "row" or rows <= set(expected.index)


def test_the_rules_use_the_untidy_columns(run):
    """The exactness above is tested where it is hard: rules on the labels and the text numbers
    (every column, booleans included, is also tested on its own below)."""
    features = {c["feature"] for s in run["result"]["segments"]
                for conj in s["rule"]["clauses"] for c in conj}
    listed = {f["name"]: f for f in run["result"]["dataset"]["features"]}
    if run["name"] == "labels":
        assert {"plan", "region"} & features and listed["plan"]["text"]
    if run["name"] == "numbers":
        assert "visits" in features and listed["visits"]["kind"] == "numeric"


@pytest.mark.parametrize("form", ["tidy", "inline"])
def test_segment_names_cannot_break_out_of_their_comment(run, loaded, form):
    """A name is user text: line breaks of any kind (PostgreSQL ends a comment at CR) stay inside."""
    from explain.sql import rules_select
    result = RunResult.from_dict(run["result"])
    features = result.dataset.features if form == "tidy" else None
    segments = result.segments
    id_column = ID if run["key"] == ID else None
    plain = rules_select(segments, id_column=id_column, title="Clearseg rules", features=features)
    segments[0].name = "Gold\rTHEN 99 END AS segment FROM customers; --\n\u2028x"
    sql = rules_select(segments, id_column=id_column, features=features,
                       title="Clearseg rules\r\nDROP TABLE customers;")
    assert len(sql.splitlines()) == len(plain.splitlines())
    assert ("WITH tidy AS (" in sql) == (form == "tidy")
    got = {str(key): seg for key, seg in engines.query(loaded, sql)}
    assert {k: got[k] for k in run["assignments"].index} == run["assignments"].to_dict()


@pytest.fixture(scope="module")
def product_view(tmp_path_factory) -> dict:
    """An untidy CSV and the product's own view of it: tidied, typed, filled features."""
    from segmentation.cleaning import clean_table
    from segmentation.prepare import prepare, select_features
    from segmentation.readers import read_table
    from segmentation.roles import infer_roles
    path = tmp_path_factory.mktemp("sql-columns") / "customers.csv"
    make_untidy_table(700, seed=3).to_csv(path, index=False)
    table, _ = clean_table(read_table(path))
    roles = infer_roles(table, id_column=ID)
    prepared = prepare(table, features=select_features(roles, requested=None), roles=roles)
    return {"csv": path, "ids": table[ID].astype(str).to_numpy(), "prepared": prepared}


def _conditions(feature, filled: pd.Series) -> list:
    """Conditions of every kind the rules use, at real data values (so ties are tested too)."""
    from explain.rules import Condition
    name = feature.name
    if feature.kind == "numeric":
        cuts = np.quantile(filled.to_numpy(), [0.1, 0.5, 0.9], method="lower")
        return [Condition(name, op, float(c)) for c in cuts for op in ("<=", ">")]
    levels = list(feature.levels) + list(feature.other_levels)
    out = [Condition(name, op, v) for v in levels for op in ("==", "!=")]
    return out + [Condition(name, "in", tuple(levels[:2])), Condition(name, "not in", tuple(levels[:2]))]


@pytest.fixture(params=LOADS)
def loaded_view(request, product_view):
    con = connect(request.param, product_view["csv"], request)
    yield con
    con.close()


def test_every_column_condition_selects_what_the_product_selects(product_view, loaded_view):
    """Each column's SQL clean-up equals the product's: every level, every kind, ties included."""
    from explain.rules import condition_mask
    from explain.sql import condition_sql
    prepared, ids = product_view["prepared"], product_view["ids"]
    kinds = {f.name: (f.kind, f.text) for f in prepared.features}
    assert kinds["newsletter"] == ("binary", True) and kinds["visits"] == ("numeric", False)
    for feature in prepared.features:
        for cond in _conditions(feature, prepared.filled[feature.name]):
            expected = sorted(ids[condition_mask(cond, prepared.filled[feature.name])])
            sql = f'SELECT "{ID}" FROM customers WHERE {condition_sql(cond, feature)}'
            got = sorted(str(r[0]) for r in engines.query(loaded_view, sql))
            assert got == expected, (cond, len(got), len(expected))


# --- the literals and the seeded untidy run, in every engine ------------------------------------

LITERALS = (0.1, 1 / 3, 70_000.0, 1e-9, -2.5e17, "O'Neil; Gold", 'x"y', "a\\b",
            "Nord\r; DROP TABLE customers; --", "tab\tline\nbreak", "caf\u00e9 \u2713", -5)


def _engine(name: str, request):
    if name == "sqlite":
        import sqlite3
        return sqlite3.connect(":memory:")
    if name == "duckdb":
        import duckdb
        return duckdb.connect()
    import psycopg
    url = request.getfixturevalue("postgres").fresh_database("literals")
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


@pytest.mark.parametrize("engine", ["sqlite", "duckdb", "postgres"])
def test_sql_literals_read_back_exactly_in_every_engine(engine, request):
    """Numbers as the double the rules compare with; text with quotes, a backslash, line breaks."""
    from explain.sql import literal, quote_ident
    con = _engine(engine, request)
    for value in LITERALS:
        sql = f"CAST({literal(value)} AS DOUBLE PRECISION)" if isinstance(value, float) else \
            literal(value)
        assert engines.query(con, f"SELECT {sql}") == [(value,)], value
    name = quote_ident('we"ird col')
    con.execute(f"CREATE TABLE t ({name} TEXT)")
    con.execute("INSERT INTO t VALUES ('ok')")
    assert engines.query(con, f"SELECT {name} FROM t") == [("ok",)]
    con.close()


@pytest.fixture(params=LOADS)
def untidy_loaded(request, untidy_csv):
    con = connect(request.param, untidy_csv, request)
    yield con
    con.close()


def test_the_seeded_untidy_run_selects_its_rows_in_every_engine(untidy_run, untidy_loaded):
    """The run the unit tests check in SQLite and DuckDB, here in PostgreSQL too, text or typed."""
    assignments = pd.read_csv(untidy_run / "assignments.csv", dtype={ID: str}).set_index(ID)
    rows = engines.query(untidy_loaded, (untidy_run / "rules.sql").read_text())
    assert {str(key): seg for key, seg in rows} == assignments["segment"].to_dict()
    for seg in load_result(untidy_run)["segments"]:
        selected = engines.query(untidy_loaded,
                                 f'SELECT "{ID}" FROM customers WHERE {seg["rule"]["sql"]}')
        expected = assignments.index[assignments["segment"] == seg["id"]]
        assert sorted(str(r[0]) for r in selected) == sorted(expected)
