"""The first look at an upload: rows, columns with their inferred role (changeable), first rows."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from explain.format import human_number
from explain.meaning import UNKNOWN, meaning_choices
from explain.states import load_playbook

from . import page_ids
from .common import bullet_list, section, table

ROLE_CHOICES = (
    ("numeric", "Numeric feature"),
    ("categorical", "Categorical feature"),
    ("binary", "Yes / no feature"),
    ("id", "Customer id"),
    ("text", "Leave out (text)"),
    ("date", "Leave out (date)"),
)
MEANING_SELECT = "meaning-select"
_PLAYBOOK = load_playbook()
MEANING_CHOICES = tuple(meaning_choices(_PLAYBOOK))
CONFIDENT = float(_PLAYBOOK["thresholds"]["confident"])
ROLE_COLOURS = {"numeric": "primary", "categorical": "info", "binary": "info", "id": "dark",
                "sensitive": "warning"}
LEFT_OUT_LABELS = {"sensitive": "Leave out (special category)",
                   "duplicate": "Leave out (near duplicate)"}


def role_options(inferred: str) -> list[dict]:
    """The roles a user may pick for a column; the inferred one is always among them."""
    options = [{"label": label, "value": value} for value, label in ROLE_CHOICES]
    if inferred not in dict(ROLE_CHOICES):
        label = LEFT_OUT_LABELS.get(inferred, f"Leave out ({inferred})")
        options.append({"label": label, "value": inferred})
    return options


def left_out_alert(preview: dict) -> dbc.Alert | None:
    """The columns left out of the features by default, why, and how to use one anyway."""
    items = [[html.Code(str(item.get("name", ""))), f": {item.get('reason', '')}"]
             for item in preview.get("left_out") or []]
    if not items:
        return None
    how = ("To use one of them, set its \"Use as\" to a feature role below: it is then among the "
           "features, and the result notes that it was chosen explicitly.")
    return dbc.Alert([html.Strong("Left out of the features by default"), bullet_list(items),
                      html.P(how, className="mb-0 mt-1")],
                     color="info", class_name="small left-out-columns")


def _role_cell(column: dict) -> html.Div:
    role = column.get("role", "")
    return html.Div([
        dbc.Badge(role, color=ROLE_COLOURS.get(role, "secondary"), class_name="me-1"),
        html.Span(column.get("reason") or "", className="small text-muted"),
    ])


def meaning_select(index: int) -> dict:
    """The picker of one column's meaning (what it measures), by its position in the preview."""
    return {"type": MEANING_SELECT, "index": int(index)}


def _meaning_cell(index: int, meaning: dict | None) -> html.Div | str:
    """What the column seems to measure, how sure that is, and a picker to change it."""
    if not meaning:
        return ""
    sure = meaning.get("confidence", 0) >= CONFIDENT
    badge = dbc.Badge(f"{meaning.get('label', '')} · {meaning.get('confidence', 0):.0%}",
                      color="success" if sure else "light", text_color=None if sure else "dark",
                      class_name="me-1", title=meaning.get("why") or "")
    picker = dbc.Select(id=meaning_select(index), value=meaning.get("meaning", UNKNOWN), size="sm",
                        options=[{"label": label, "value": value} for value, label in MEANING_CHOICES],
                        class_name="meaning-select mt-1")
    return html.Div([badge, html.Span(meaning.get("why") or "", className="small text-muted"), picker])


def changed_meanings(preview: dict, *, meaning_values) -> dict[str, str]:
    """{column: meaning} for the columns whose meaning the user changed (the run option `meanings`)."""
    known = dict(MEANING_CHOICES)
    inferred = preview.get("meanings") or {}
    changed = {}
    for column, value in zip(preview.get("columns") or [], meaning_values or []):
        name = column["name"]
        if name in inferred and value in known and value != inferred[name].get("meaning"):
            changed[name] = value
    return changed


def columns_table(preview: dict) -> html.Div:
    """One row per column: name, inferred role and why, what it measures (changeable), missing,
    distinct values, a role picker."""
    rows = []
    meanings = preview.get("meanings") or {}
    for index, column in enumerate(preview.get("columns") or []):
        picker = dbc.Select(id=page_ids.role_select(index), options=role_options(column["role"]),
                            value=column["role"], size="sm", class_name="role-select")
        rows.append([html.Code(column["name"]), _role_cell(column),
                     _meaning_cell(index, meanings.get(column["name"])),
                     human_number(column.get("missing", 0)), human_number(column.get("unique", 0)),
                     picker])
    return table(["Column", "Inferred role", "Measures", "Missing", "Distinct", "Use as"], rows=rows,
                 numeric=(3, 4), class_name="columns-table")


def head_table(preview: dict) -> html.Div:
    """The first rows as read (every cell shown as text)."""
    head = preview.get("head") or {}
    rows = [[cell if cell is not None else html.Span("empty", className="text-muted fst-italic")
             for cell in row] for row in head.get("rows") or []]
    return table([str(c) for c in head.get("columns") or []], rows=rows,
                 class_name="head-table small")


def _summary(preview: dict) -> html.P:
    rows = preview.get("rows_previewed", 0)
    extent = f"The first {rows:,} rows" if preview.get("truncated") else f"{rows:,} rows"
    columns = len(preview.get("columns") or [])
    return html.P(f"{extent} previewed, {columns:,} columns. Check the role of each column and what it "
                  "measures; change them where the guess is wrong.", className="mb-2")


def preview_section(preview: dict) -> html.Div:
    """The whole preview: summary, problems, columns with role pickers, first rows."""
    problems = list(preview.get("problems") or [])
    notes = list(preview.get("notes") or [])
    warn = (dbc.Alert([html.Strong("Check before running"), bullet_list(problems)],
                      color="warning", class_name="small") if problems else None)
    return html.Div([
        section("1 · Check the columns", [
            _summary(preview), warn, left_out_alert(preview),
            html.Div(bullet_list(notes), className="small text-muted mb-2") if notes else None,
            columns_table(preview),
        ]),
        section("First rows", head_table(preview)),
    ])
