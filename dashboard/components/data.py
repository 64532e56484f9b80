"""The Data tab: what was read, used and left out, how each feature was prepared, and its charts."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from explain.figures import correlation_figure, feature_overview_figure
from explain.rules import number_text

from .. import ids
from .common import bullet_list, facts, graph, section, table

LEVELS_SHOWN = 8


def dropped_lines(dataset: dict) -> list[str]:
    """What the run left out and why, one sentence each."""
    lines = []
    for item in dataset.get("dropped") or []:
        if item.get("what") == "rows":
            lines.append(f"{item.get('count', 0):,} rows: {item.get('reason', '')}")
        else:
            lines.append(f"Column '{item.get('name', '')}': {item.get('reason', '')}")
    return lines


def _fill(feature: dict) -> str:
    """How many values were missing and what filled them."""
    missing = feature.get("missing") or 0
    if not missing:
        return "none"
    value = feature.get("fill")
    text = (number_text(value) if isinstance(value, (int, float)) and not isinstance(value, bool)
            else str(value))
    method = f" ({feature['fill_method']})" if feature.get("fill_method") else ""
    return f"{missing:,} filled with {text}{method}"


def _levels(feature: dict) -> str:
    levels = [str(v) for v in feature.get("levels") or []]
    if not levels:
        return ""
    more = f" and {len(levels) - LEVELS_SHOWN} more" if len(levels) > LEVELS_SHOWN else ""
    return ", ".join(levels[:LEVELS_SHOWN]) + more


def features_table(dataset: dict) -> html.Div:
    """Per feature: kind, levels, transform (and notes), missing values and their fill."""
    rows = []
    for f in dataset.get("features") or []:
        transform = "; ".join(str(x) for x in [f.get("transform", "")] + list(f.get("notes") or [])
                              if x)
        name = html.Code(f["name"], className="text-nowrap")
        rows.append([name, f.get("kind", ""), _levels(f), transform, _fill(f)])
    return table(["Feature", "Kind", "Levels", "Transform", "Missing values"], rows=rows)


def _summary(dataset: dict) -> html.Div:
    used, read = dataset.get("rows_used", 0), dataset.get("rows_read", 0)
    return facts([
        ("Rows read", f"{read:,}"),
        ("Rows used", f"{used:,}"),
        ("Features", f"{len(dataset.get('features') or []):,}"),
        ("Id column", dataset.get("id_column") or "none (row number)"),
    ])


def data_tab(result) -> html.Div:
    """The whole Data tab."""
    data = result.dataset
    return html.Div([
        dbc.Row([
            dbc.Col(section("Read and used", _summary(data)), lg=4),
            dbc.Col(section("Left out", bullet_list(dropped_lines(data),
                                                    empty="Nothing was left out.")), lg=8),
        ]),
        section("Features, transforms and filled gaps", features_table(data)),
        dbc.Row([
            dbc.Col(section("Suggestions", bullet_list(list(data.get("suggestions") or []),
                                                       empty="No suggestions.")), lg=6),
            dbc.Col(section("Notes", bullet_list(list(data.get("notes") or []),
                                                 empty="No notes.")), lg=6),
        ]),
        section("Every feature", graph(ids.DATA_GRAPH, feature_overview_figure(result))),
        section("Correlation", graph(ids.CORRELATION_GRAPH, correlation_figure(result))),
    ])
