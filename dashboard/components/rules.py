"""The Rules tab: each segment's rule with size, precision and coverage, its SQL and rules.sql."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from explain.figures import segment_colours
from explain.format import human_number

from .. import ids
from .common import bullet_list, percent, section, swatch, table


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
    """Depth, leaves and what the rule partition costs against the clusters."""
    text = f"Rule depth {explanation.get('depth')} ({explanation.get('leaves')} leaves)."
    ratio = explanation.get("cost_ratio")
    if ratio is not None:
        text += (f" The segments as the rules cut them are {ratio:.2f}x as spread as the clusters "
                 "(1.00x: just as tight).")
    return text


def _fidelity(result) -> html.Div:
    ex = result.explanation
    return html.Div([
        html.P([html.Span(percent(ex.get("fidelity")), className="display-6 me-2 fidelity"),
                "of customers are put by the rules in the segment of their own cluster."],
               className="mb-2"),
        html.P(_depth_text(ex), className="small text-muted mb-2"),
        bullet_list(list(ex.get("notes") or []), empty="No notes on the rules."),
    ])


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
    full = html.Pre(rules_sql or "rules.sql is not available for this run.", className="sql mb-0")
    return html.Div([
        section("Rules", [rules_table(result, selected=selected), note]),
        dbc.Row([
            dbc.Col(section("Fidelity", _fidelity(result)), lg=5),
            dbc.Col(section("Each segment as a SQL condition", _segment_sql(result,
                                                                            selected=selected)),
                    lg=7),
        ]),
        section("rules.sql (SQLite, DuckDB, PostgreSQL)", full),
    ])
