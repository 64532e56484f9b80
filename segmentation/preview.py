"""A first look at an upload: rows, inferred roles, gaps and problems, before anything runs."""
from __future__ import annotations

from pathlib import Path

from .cleaning import clean_table
from .errors import InputError
from .orders import detect_order_columns
from .readers import read_table
from .roles import FEATURE_ROLES, infer_roles

PREVIEW_ROWS = 20_000
SHOWN_ROWS = 8


def _problems(table, roles) -> list[str]:
    problems = []
    for name, role in roles.items():
        if role.role in ("constant", "empty"):
            problems.append(f"'{name}': {role.reason}; it will be left out")
        elif role.missing and role.missing / max(len(table), 1) > 0.3:
            problems.append(f"'{name}': {role.missing / len(table):.0%} missing; gaps will be filled")
    if not any(r.role in FEATURE_ROLES for r in roles.values()):
        problems.append("no usable feature: every column is an id, text, a date, constant or empty")
    return problems


def build_preview(path: str | Path) -> dict:
    """JSON-ready preview of the first PREVIEW_ROWS rows; raises InputError for unusable files."""
    raw = read_table(path, max_rows=PREVIEW_ROWS)
    table, notes = clean_table(raw)
    roles = infer_roles(table)
    detected = detect_order_columns(raw)
    looks_like_orders = bool(detected.get("date") and detected.get("customer") and detected.get("amount"))
    head = raw.head(SHOWN_ROWS).astype("object").where(raw.head(SHOWN_ROWS).notna(), None)
    return {
        "rows_previewed": int(len(raw)),
        "truncated": len(raw) >= PREVIEW_ROWS,
        "columns": [{**roles[c].to_dict(), "dtype": str(raw[c].dtype)} for c in table.columns],
        "head": {"columns": [str(c) for c in raw.columns],
                 "rows": [[None if v is None else str(v) for v in row] for row in head.values.tolist()]},
        "problems": _problems(table, roles),
        "notes": notes,
        "order_columns": detected,
        "looks_like_orders": looks_like_orders,
    }


def safe_preview(path: str | Path) -> tuple[dict | None, str | None]:
    """(preview, None) or (None, the message saying why the file cannot be used)."""
    try:
        return build_preview(path), None
    except InputError as exc:
        return None, str(exc)
