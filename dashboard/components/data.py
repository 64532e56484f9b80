"""The Data tab: what was read, used and left out, how each feature was prepared, and its charts."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from explain.figures import correlation_figure, feature_overview_figure
from explain.view import ResultView, result_view

from .. import ids
from .common import bullet_list, facts, graph, section, table


def dropped_lines(view: ResultView) -> list:
    """What the run left out and why, one line each (a column's name as code)."""
    return [["Column ", html.Code(d.column), f": {d.text}"] if d.column is not None else d.text
            for d in view.dropped]


def features_table(view: ResultView) -> html.Div:
    """Per feature: kind, levels, transform (and notes), missing values and their fill."""
    rows = [[html.Code(f.name, className="text-nowrap"), f.kind, f.levels, f.transform, f.missing]
            for f in view.features]
    return table(["Feature", "Kind", "Levels", "Transform", "Missing values"], rows=rows)


def _summary(dataset) -> html.Div:
    used, read = dataset.rows_used or 0, dataset.rows_read or 0
    return facts([
        ("Rows read", f"{read:,}"),
        ("Rows used", f"{used:,}"),
        ("Features", f"{len(dataset.features):,}"),
        ("Id column", dataset.id_column or "none (row number)"),
    ])


def data_tab(result) -> html.Div:
    """The whole Data tab."""
    view = result_view(result)
    return html.Div([
        dbc.Row([
            dbc.Col(section("Read and used", _summary(result.dataset)), lg=4),
            dbc.Col(section("Left out", bullet_list(dropped_lines(view),
                                                    empty="Nothing was left out.")), lg=8),
        ]),
        section("Features, transforms and filled gaps", features_table(view)),
        dbc.Row([
            dbc.Col(section("Suggestions", bullet_list(list(view.suggestions),
                                                       empty="No suggestions.")), lg=6),
            dbc.Col(section("Notes", bullet_list(list(view.data_notes), empty="No notes.")),
                    lg=6),
        ]),
        section("Every feature", graph(ids.DATA_GRAPH, feature_overview_figure(result))),
        section("Correlation", graph(ids.CORRELATION_GRAPH, correlation_figure(result))),
    ])
