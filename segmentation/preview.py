"""A first look at an upload: rows, inferred roles, gaps and problems, before anything runs.

The service builds it in a child process under memory and time limits (service.previews), so a
hostile file can only exhaust or crash that child, never the web worker. The preview is stored as
JSON, so it stays small: at most MAX_COLUMNS columns, cells cut at MAX_CELL_CHARS characters.
"""
from __future__ import annotations

import json
from pathlib import Path

from explain.meaning import infer_meanings
from explain.states import load_playbook

from .cleaning import clean_table
from .errors import InputError
from .orders import detect_order_columns
from .readers import XLSX_MAX_UNPACKED_MB, read_table
from .roles import FEATURE_ROLES, LEFT_OUT_ROLES, infer_roles

PREVIEW_ROWS = 20_000
SHOWN_ROWS = 8
MAX_COLUMNS = 200         # columns previewed (and offered as features); the rest are named as hidden
MAX_CELL_CHARS = 200      # a longer cell is cut and ends with an ellipsis
MAX_NAME_CHARS = 1_000    # a longer column name is refused: it cannot be shown or chosen
MAX_NOTES = 20


def _problems(table, roles) -> list[str]:
    problems = []
    for name, role in roles.items():
        if role.role in ("constant", "empty"):
            problems.append(f"'{name}': {role.reason}; it will be left out")
        elif role.missing and role.missing / max(len(table), 1) > 0.3:
            problems.append(f"'{name}': {role.missing / len(table):.0%} missing; gaps will be filled")
    if not any(r.role in FEATURE_ROLES for r in roles.values()):
        problems.append("no usable feature: every column is an id, text, a date, constant or empty"
                        + (", or left out by default (see below)" if _left_out(roles) else ""))
    return problems


def _left_out(roles) -> list[dict]:
    """Columns left out of the default features (special category, near duplicate), and why."""
    return [{"name": name, "role": role.role, "reason": role.reason}
            for name, role in roles.items() if role.role in LEFT_OUT_ROLES]


def _check_names(columns: list, *, name: str) -> None:
    """Refuse a column name too long to show or to choose (the preview is stored as JSON)."""
    for position, column in enumerate(columns, start=1):
        length = len(str(column))
        if length > MAX_NAME_CHARS:
            raise InputError(
                f"'{name}' has a column name of {length:,} characters (column {position}): "
                f"shorten column names to at most {MAX_NAME_CHARS:,} characters"
            )


def _cell(value) -> str | None:
    """A cell as text for the preview, cut to MAX_CELL_CHARS characters."""
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def _capped(items: list[str], *, limit: int) -> list[str]:
    """The first `limit` items, and a last one saying how many were left out."""
    if len(items) <= limit:
        return items
    return items[:limit] + [f"… and {len(items) - limit:,} more"]


def _hidden_columns(total: int) -> list[str]:
    """The problem line for a table wider than the preview shows."""
    if total <= MAX_COLUMNS:
        return []
    return [f"only the first {MAX_COLUMNS} of {total:,} columns are previewed and can be chosen; "
            "the roles and notes speak of those: upload fewer columns to choose among all of them"]


def _meanings(table, roles) -> dict[str, dict]:
    """What each feature column measures (monetary, recency, credit rating ...) and how sure that is."""
    features = [name for name, role in roles.items() if role.role in FEATURE_ROLES]
    return infer_meanings(table, columns=features, playbook=load_playbook())


def build_preview(path: str | Path, *, xlsx_max_unpacked_mb: float = XLSX_MAX_UNPACKED_MB,
                  name: str | None = None) -> dict:
    """JSON-ready preview of the first PREVIEW_ROWS rows and MAX_COLUMNS columns.

    Raises InputError for unusable files. Runs in the caller's process: the service runs it in a
    limited child for uploads (service.previews.safe_preview).
    """
    name = name or Path(path).name
    raw = read_table(path, max_rows=PREVIEW_ROWS, xlsx_max_unpacked_mb=xlsx_max_unpacked_mb,
                     name=name)
    shown = raw.iloc[:, :MAX_COLUMNS]
    _check_names(list(shown.columns), name=name)
    table, notes = clean_table(shown)
    notes = list(raw.attrs.get("notes", [])) + notes
    roles = infer_roles(table)
    detected = detect_order_columns(shown)
    looks_like_orders = bool(detected.get("date") and detected.get("customer")
                             and (detected.get("amount") or detected.get("price")))
    head = shown.head(SHOWN_ROWS).astype("object").where(shown.head(SHOWN_ROWS).notna(), None)
    preview = {
        "rows_previewed": int(len(raw)),
        "truncated": len(raw) >= PREVIEW_ROWS,
        "columns_total": int(raw.shape[1]),
        "columns": [{**roles[c].to_dict(), "dtype": str(shown[c].dtype)} for c in table.columns],
        "head": {"columns": [str(c) for c in shown.columns],
                 "rows": [[_cell(v) for v in row] for row in head.values.tolist()]},
        "problems": _hidden_columns(raw.shape[1]) + _problems(table, roles),
        "left_out": _left_out(roles),
        "meanings": _meanings(table, roles),
        "notes": _capped(notes, limit=MAX_NOTES),
        "order_columns": detected,
        "looks_like_orders": looks_like_orders,
    }
    return json.loads(json.dumps(preview))  # plain JSON types only, as stored and as sent back
