"""Write a run's files: result.json, assignments.csv, rules.sql, report.html, customers.csv."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from explain.sql import rules_select

from .result import RunResult

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# a line break followed by a formula start: a reader that splits records at it would see a formula
_BREAK_THEN_FORMULA = r"(\r\n|\r|\n)(?=[=+\-@\t])"


def _safe_name(name) -> str:
    text = re.sub(_BREAK_THEN_FORMULA, r"\1'", str(name))
    return "'" + text if text.startswith(FORMULA_START) else text


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells (and column names) a spreadsheet would run as a formula get an apostrophe: at
    the start, and after any line break inside the cell that a formula start follows."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_string_dtype(column) or column.dtype == object:
            text = column.astype("str").str.replace(_BREAK_THEN_FORMULA, r"\1'", regex=True)
            text = text.where(~text.str.startswith(FORMULA_START), "'" + text)
            changed = column.notna() & (text != column.astype("str"))
            if changed.any():
                out[name] = column.where(~changed, text)
    return out.rename(columns=_safe_name)


def csv_text(frame: pd.DataFrame) -> str:
    """CSV of a frame, safe to open in a spreadsheet: every text field quoted, so a line break of
    any kind (a bare carriage return too) stays inside its cell."""
    return neutralise_formulas(frame).to_csv(index=False, lineterminator="\n",
                                             quoting=csv.QUOTE_NONNUMERIC)


def rules_sql(result: RunResult) -> str:
    """rules.sql: the segment of every row by the rules; segments are numbered as in the result."""
    fidelity = result.explanation.fidelity
    title = f"Clearseg rules: {len(result.segments)} segments, one rule each" + (
        f"; agreement with the clusters {fidelity:.1%}" if fidelity is not None else "")
    return rules_select(result.segments, id_column=result.dataset.id_column, title=title,
                        features=result.dataset.features)


def write_outputs(out_dir: Path, *, result: RunResult, assignments: pd.DataFrame,
                  customers: pd.DataFrame | None = None) -> list[Path]:
    """Write every file of a run into out_dir; returns the paths written."""
    from explain.report import report_html

    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "result.json": result.to_json() + "\n",
        "assignments.csv": csv_text(assignments),
        "rules.sql": rules_sql(result),
        "report.html": report_html(result),
    }
    if customers is not None:
        files["customers.csv"] = csv_text(customers)
    written = []
    for name, text in files.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
