"""The Rules tab: each segment's rule with size, precision and coverage, its SQL and rules.sql."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from explain.view import AGREEMENT, RULES_NOTE, ResultView, result_view

from .. import ids
from . import page_ids
from .common import bullet_list, section, swatch, table
from .structure import depth_costs_line


def rules_table(view: ResultView, *, selected: int | None) -> html.Div:
    """Segment, rule, size, precision, coverage; the URL's ?segment= row is highlighted."""
    rows = [[html.Span([swatch(seg.colour), seg.name], className="text-nowrap"),
             html.Code(seg.rule, className="rule-text"), seg.customers, seg.precision,
             seg.coverage] for seg in view.segments]
    classes = ["table-active segment-selected-row" if seg.id == selected else ""
               for seg in view.segments]
    return table(["Segment", "Rule", "Size", "Precision", "Coverage"], rows=rows,
                 table_id=ids.RULES_TABLE, numeric=(2, 3, 4), row_classes=classes)


def _lead(view: ResultView) -> list:
    """What the rules keep of the clusters' tightness (when stored), then the depth trade-off."""
    if view.kept is None:
        return []
    return [html.P([html.Span(view.kept, className="display-6 me-2 fidelity tightness-kept"),
                    "of the clusters' tightness is kept by these rules."], className="mb-2"),
            depth_costs_line(view)]


def _fidelity(view: ResultView) -> html.Div:
    agreement = html.P([html.Span(view.agreement, className="fw-semibold me-1"), AGREEMENT + "."],
                       className="mb-2")
    return html.Div([
        agreement,
        html.P(view.depth, className="small text-muted mb-2"),
        bullet_list(list(view.rule_notes), empty="No notes on the rules."),
    ])


def copy_button(button_id: str, *, status_id: str, label: str) -> html.Div:
    """A real button that copies text (see assets/clearseg.js), and where it says it did."""
    return html.Div([
        html.Button(label, id=button_id, type="button", n_clicks=0,
                    className="btn btn-outline-secondary btn-sm copy-button"),
        html.Span(id=status_id, className="small text-muted ms-2", role="status"),
    ], className="mb-2")


def _segment_sql(view: ResultView, *, selected: int | None) -> list:
    blocks = []
    for seg in view.segments:
        head = html.Div([swatch(seg.colour), html.Span(seg.name, className="fw-semibold")],
                        className="d-flex align-items-center gap-2 mb-1")
        blocks.append(html.Div([head, html.Pre(seg.sql, className="sql")],
                               className="mb-3" + (" segment-selected-block"
                                                   if seg.id == selected else "")))
    return blocks


def rules_tab(result, *, selected: int | None, rules_sql: str) -> html.Div:
    """The whole Rules tab."""
    view = result_view(result)
    note = html.P(RULES_NOTE, className="small text-muted")
    full = html.Pre(rules_sql or "rules.sql is not available for this run.", className="sql mb-0",
                    id=page_ids.RULES_SQL_TEXT)
    return html.Div([
        section("Rules", [*_lead(view), rules_table(view, selected=selected), note]),
        dbc.Row([
            dbc.Col(section("Agreement with the unconstrained clusters", _fidelity(view)), lg=5),
            dbc.Col(section("Each segment as a SQL condition",
                            _segment_sql(view, selected=selected)), lg=7),
        ]),
        section("rules.sql (SQLite, DuckDB, PostgreSQL)", [
            copy_button(page_ids.SQL_COPY, status_id=page_ids.SQL_COPY_STATUS,
                        label="Copy the SQL"), full]),
    ])
