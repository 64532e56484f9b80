"""Rules as data: simplification, text, SQL literals, human thresholds."""
from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from explain.rules import Condition, clauses_text, condition_text, number_text, simplify
from explain.sql import literal, quote_ident
from explain.thresholds import gap_around, round_candidates, shortest_between


def test_simplify_keeps_tightest_numeric_bounds_in_first_seen_order():
    conj = [Condition("income", ">", 30_000.0), Condition("age", "<=", 60.0),
            Condition("income", ">", 50_000.0), Condition("income", "<=", 90_000.0),
            Condition("age", "<=", 40.0)]
    assert simplify(conj) == [Condition("income", ">", 50_000.0), Condition("income", "<=", 90_000.0),
                              Condition("age", "<=", 40.0)]


def test_simplify_intersects_levels():
    conj = [Condition("plan", "!=", "basic"), Condition("plan", "!=", "plus")]
    assert simplify(conj) == [Condition("plan", "not in", ("basic", "plus"))]
    conj = [Condition("plan", "in", ("a", "b", "c")), Condition("plan", "!=", "b")]
    assert simplify(conj) == [Condition("plan", "in", ("a", "c"))]
    conj = [Condition("plan", "in", ("a", "b")), Condition("plan", "!=", "a")]
    assert simplify(conj) == [Condition("plan", "==", "b")]
    assert simplify([Condition("plan", "==", "a"), Condition("plan", "==", "b")]) is None


def test_rule_text_reads_naturally():
    conj = [Condition("annual_income", ">", 70_000.0), Condition("spending_score", "<=", 40.0)]
    assert clauses_text([conj]) == "annual income > 70k and spending score <= 40"
    assert condition_text(Condition("gender", "==", "Female")) == "gender is Female"
    assert condition_text(Condition("plan", "in", ("basic", "plus"))) == "plan in {basic, plus}"
    two = [[Condition("age", "<=", 30.0)], [Condition("age", ">", 60.0)]]
    assert clauses_text(two) == "(age <= 30) or (age > 60)"


@pytest.mark.parametrize("value, text", [(70_000.0, "70k"), (1_500_000.0, "1.5M"), (34.5, "34.5"),
                                         (68_500.0, "68.5k"), (68_451.0, "68451"), (0.25, "0.25")])
def test_thresholds_are_written_without_losing_precision(value, text):
    assert number_text(value) == text


@pytest.mark.parametrize("lo, hi, expected", [(68_123.0, 71_000.0, 70_000.0), (34.0, 35.0, 34.0),
                                              (0.2312, 0.26, 0.25), (-12.5, -3.2, -10.0),
                                              (0.1, 0.1000001, 0.1)])
def test_shortest_number_in_the_gap(lo, hi, expected):
    got = shortest_between(lo, hi)
    assert got == expected and lo <= got < hi


def test_gap_and_round_candidates():
    values = np.array([1.0, 2.0, 5.0, 9.0])
    assert gap_around(values, 3.5) == (2.0, 5.0)
    assert gap_around(values, 12.0) is None
    candidates = round_candidates(68_450.0, spread=5_000.0)
    assert candidates[0] == 70_000.0 and all(abs(c - 68_450) <= 5_000 for c in candidates)


LITERALS = (0.1, 1 / 3, 70_000.0, 1e-9, -2.5e17, "O'Brien", "x\"y", "a\\b", "Nord\r; DROP TABLE t; --",
            "tab\tline\nbreak", "caf\u00e9 \u2713", -5)


def _engine(name: str):
    """An in-process engine (PostgreSQL is tested with the others in test_sql_engines)."""
    if name == "sqlite":
        return sqlite3.connect(":memory:")
    import duckdb
    return duckdb.connect()


def read_back(con, value):
    """The literal as the engine reads it; numbers as the double the rules compare with."""
    sql = literal(value)
    sql = f"CAST({sql} AS DOUBLE PRECISION)" if isinstance(value, float) else sql
    return con.execute(f"SELECT {sql}").fetchone()[0]


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_sql_literals_read_back_exactly(engine):
    con = _engine(engine)
    for value in LITERALS:
        assert read_back(con, value) == value, value
    name = quote_ident('we"ird col')
    con.execute(f"CREATE TABLE t ({name} TEXT)")
    con.execute(f"INSERT INTO t VALUES ('ok')")
    assert con.execute(f"SELECT {name} FROM t").fetchone() == ("ok",)


@pytest.mark.parametrize("char", ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e",
                                  "\x85", "\u2028", "\u2029", "\x00", "\x1b", "\t"])
def test_a_comment_holds_no_line_break_or_control_character(char):
    """Every lexer's idea of a line end (PostgreSQL and psql end `--` at CR too) stays out."""
    from explain.sql import comment
    text = comment(f"Nord{char}; DROP TABLE customers; --")
    assert text == "-- Nord" + " " * len(char) + "; DROP TABLE customers; --"
    assert len(text.splitlines()) == 1 and all(ch.isprintable() for ch in text)
