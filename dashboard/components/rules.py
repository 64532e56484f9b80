"""The Rules tab: each segment's rule with size, precision and coverage, its SQL and rules.sql."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from explain.figures import segment_colours
from explain.format import human_number

from .. import ids
from . import page_ids
from .common import bullet_list, percent, section, swatch, table
from .structure import depth_costs_line, kept_text


def rules_table(result, *, selected: int | None) -> html.Div:
    """Segment, rule, size, precision, coverage; the URL's ?segment= row is highlighted."""
    colours = segment_colours(result)
    rows, classes = [], []
    for seg in result.segments:
        sid = int(seg["id"])
        rows.append([
            html.Span([swatch(colours[sid]), seg["name"]], className="text-nowrap"),
            html.Code(seg["rule"]["text"], className="rule-text"),
            human_number(seg["size"]),
            percent(seg.get("precision")),
            percent(seg.get("coverage")),
        ])
        classes.append("table-active segment-selected-row" if sid == selected else "")
    return table(["Segment", "Rule", "Size", "Precision", "Coverage"], rows=rows,
                 table_id=ids.RULES_TABLE, numeric=(2, 3, 4), row_classes=classes)


def _depth_text(explanation: dict) -> str:
    """Depth and leaves of the rule tree."""
    return f"Rule depth {explanation.get('depth')} ({explanation.get('leaves')} leaves)."


def _lead(explanation: dict) -> list:
    """What the rules keep of the clusters' tightness (when stored), then the depth trade-off."""
    kept = kept_text(explanation.get("cost_ratio"))
    if kept is None:
        return []
    return [html.P([html.Span(kept, className="display-6 me-2 fidelity tightness-kept"),
                    "of the clusters' tightness is kept by these rules."], className="mb-2"),
            depth_costs_line(explanation)]


def _fidelity(result) -> html.Div:
    ex = result.explanation
    agreement = html.P([html.Span(percent(ex.get("fidelity")), className="fw-semibold me-1"),
                        "agreement with the unconstrained clusters: the share of customers the "
                        "rules put in the segment of their own cluster."], className="mb-2")
    return html.Div([
        agreement,
        html.P(_depth_text(ex), className="small text-muted mb-2"),
        bullet_list(list(ex.get("notes") or []), empty="No notes on the rules."),
    ])


def copy_button(button_id: str, *, status_id: str, label: str) -> html.Div:
    """A real button that copies text (see assets/clearseg.js), and where it says it did."""
    return html.Div([
        html.Button(label, id=button_id, type="button", n_clicks=0,
                    className="btn btn-outline-secondary btn-sm copy-button"),
        html.Span(id=status_id, className="small text-muted ms-2", role="status"),
    ], className="mb-2")


def _segment_sql(result, *, selected: int | None) -> list:
    colours = segment_colours(result)
    blocks = []
    for seg in result.segments:
        sid = int(seg["id"])
        head = html.Div([swatch(colours[sid]), html.Span(seg["name"], className="fw-semibold")],
                        className="d-flex align-items-center gap-2 mb-1")
        blocks.append(html.Div([head, html.Pre(seg["rule"].get("sql", ""), className="sql")],
                               className="mb-3" + (" segment-selected-block" if sid == selected
                                                   else "")))
    return blocks


def rules_tab(result, *, selected: int | None, rules_sql: str) -> html.Div:
    """The whole Rules tab."""
    note = html.P("Precision: share of the customers a rule selects that are in its cluster. "
                  "Coverage: share of the cluster the rule selects.", className="small text-muted")
    full = html.Pre(rules_sql or "rules.sql is not available for this run.", className="sql mb-0",
                    id=page_ids.RULES_SQL_TEXT)
    return html.Div([
        section("Rules", [*_lead(result.explanation), rules_table(result, selected=selected),
                          note]),
        dbc.Row([
            dbc.Col(section("Agreement with the clusters", _fidelity(result)), lg=5),
            dbc.Col(section("Each segment as a SQL condition", _segment_sql(result,
                                                                            selected=selected)),
                    lg=7),
        ]),
        section("rules.sql (SQLite, DuckDB, PostgreSQL)", [
            copy_button(page_ids.SQL_COPY, status_id=page_ids.SQL_COPY_STATUS,
                        label="Copy the SQL"), full]),
    ])
