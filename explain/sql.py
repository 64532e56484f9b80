"""Rules as portable SQL (SQLite, DuckDB, PostgreSQL) over the table as uploaded.

The clean-up the product applied is written into the SQL: labels are TRIMmed, null markers become
NULL, and every gap is filled (COALESCE) with the value the rules were fitted with.
"""
from __future__ import annotations

from .nulls import NULL_MARKERS
from .rules import Condition


def quote_ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def literal(value) -> str:
    """A SQL literal that reads back as exactly this value."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _label(feature, text: str) -> str:
    """A label as the product reads it. A True/False column an engine stores as a boolean reads
    back as true/false (DuckDB, PostgreSQL) or 1/0 (SQLite): spelt back as True and False."""
    if not set(feature.levels) | set(feature.other_levels) <= {"True", "False"}:
        return text
    return (f"CASE WHEN LOWER({text}) IN ('true', '1') THEN 'True' "
            f"WHEN LOWER({text}) IN ('false', '0') THEN 'False' ELSE {text} END")


def column_expr(feature) -> str:
    """The column as the rules see it: tidied and filled, whatever type the engine gave it.

    The marker test reads the cell as text, so a column loaded as text (sqlite3's .import, COPY
    into text columns) and one loaded typed both work. Numbers are then CAST from the cell itself,
    never from its text form: SQLite prints a REAL with 15 digits only.
    """
    col = quote_ident(feature.name)
    text = f"TRIM(CAST({col} AS VARCHAR))"
    markers = ", ".join(literal(m) for m in NULL_MARKERS)
    value = _label(feature, text) if feature.text else f"CAST({col} AS DOUBLE PRECISION)"
    return (f"COALESCE(CASE WHEN LOWER({text}) IN ({markers}) THEN NULL ELSE {value} END, "
            f"{literal(feature.fill)})")


def condition_sql(cond: Condition, feature, *, expr: str | None = None) -> str:
    """The condition over the tidied column (`expr`: the column already tidied, e.g. in a CTE)."""
    expr = expr or column_expr(feature)
    if cond.op in ("in", "not in"):
        values = ", ".join(literal(v) for v in cond.value)
        return f"{expr} {cond.op.upper()} ({values})"
    op = {"==": "=", "!=": "<>"}.get(cond.op, cond.op)
    return f"{expr} {op} {literal(cond.value)}"


def clauses_sql(clauses: list[list[Condition]], features_by_name: dict) -> str:
    """A WHERE condition selecting exactly the segment's rows."""
    if not clauses:
        return "1 = 0"
    parts = []
    for conj in clauses:
        inner = " AND ".join(condition_sql(c, features_by_name[c.feature]) for c in conj)
        parts.append(f"({inner or '1 = 1'})")
    return " OR ".join(parts)


def comment(text: str) -> str:
    """A `--` comment of one line: every line break or control character becomes a space.

    PostgreSQL ends a comment at a carriage return too, so a name holding one could end it early.
    """
    return "-- " + "".join(ch if ch.isprintable() else " " for ch in str(text))


def _inline_select(segments: list, key: str, title: str) -> list[str]:
    """The SELECT with each rule's own WHERE condition (the clean-up written into every condition)."""
    lines = [comment(title), "-- Segment of every row of the table `customers`, by the rules.",
             f"SELECT {key},", "  CASE"]
    for seg in segments:
        lines.append("    " + comment(f"{seg.id}: {seg.name}"))
        lines.append(f"    WHEN {seg.rule.sql} THEN {seg.id}")
    return lines + ["  END AS segment", "FROM customers;", ""]


def _used(segments: list) -> list[str]:
    """The columns the rules speak of, in order of first use."""
    names = [c.feature for seg in segments for conj in seg.rule.clauses for c in conj]
    return list(dict.fromkeys(names))


def _tidy_when(seg, by_name: dict) -> str:
    """A segment's rule over the `tidy` columns, as readable as its text."""
    parts = []
    for conj in seg.rule.clauses:
        conds = [Condition.of(c) for c in conj]
        inner = " AND ".join(condition_sql(c, by_name[c.feature], expr=quote_ident(c.feature))
                             for c in conds)
        parts.append(inner or "1 = 1")
    if not parts:
        return "1 = 0"
    return parts[0] if len(parts) == 1 else " OR ".join(f"({p})" for p in parts)


def _tidy_select(segments: list, key: str, key_name: str, by_name: dict, title: str):
    """The SELECT over a `tidy` CTE that cleans each rule column once, then the plain rules."""
    lines = [comment(title), "-- Segment of every row of the table `customers`, by the rules.",
             "-- `tidy` applies the product's clean-up once per column: labels trimmed, null",
             "-- markers and gaps filled with the value the rules were made with.",
             "WITH tidy AS (", f"  SELECT {key}"]
    lines += [f"    , {column_expr(by_name[name])} AS {quote_ident(name)}"
              for name in _used(segments)]
    lines += ["  FROM customers", ")", f"SELECT {key_name},", "  CASE"]
    for seg in segments:
        lines.append("    " + comment(f"{seg.id}: {seg.name}"))
        lines.append(f"    WHEN {_tidy_when(seg, by_name)} THEN {seg.id}")
    return lines + ["  END AS segment", "FROM tidy;", ""]


def _feature_views(features) -> dict | None:
    """The result's features by name, if each says how the SQL is to read it (whether its values
    are labels, and its fill value: a result of an older version may not); else None."""
    if not features or any(f.text is None or f.fill is None for f in features):
        return None
    return {f.name: f for f in features}


def rules_select(segments: list, *, id_column: str | None, title: str,
                 features: list | None = None) -> str:
    """One SELECT returning the id (or row number) and the segment of every row of `customers`.

    `segments` and `features` are a Result's (read by attribute: id, name, rule; name, text, fill,
    levels, other_levels). With the features, each rule column is cleaned once in a `tidy` CTE
    and the rules read as written; without them, every condition carries its own clean-up.
    """
    key = quote_ident(id_column) if id_column else 'ROW_NUMBER() OVER () AS "row"'
    key_name = quote_ident(id_column) if id_column else '"row"'
    by_name = _feature_views(features)
    used = _used(segments)
    if by_name is None or not set(used) <= set(by_name) or (not id_column and "row" in used):
        return "\n".join(_inline_select(segments, key, title))
    return "\n".join(_tidy_select(segments, key, key_name, by_name, title))
