"""The chart tabs: dendrogram, pair plot, profiles and choosing k, drawn from the stored Result."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from explain.density import binned, density_figure
from explain.figures import (PAIR_LIMIT, dendrogram_figure, distribution_figure,
                             k_selection_figure, pair_plot_figure, profile_heatmap)
from explain.format import capitalize_first, humanize_name
from explain.view import ResultView, result_view
from segmentation.errors import InputError

from .. import ids
from . import page_ids
from .common import graph, scroller, section, table


def _label(name) -> str:
    return capitalize_first(humanize_name(name))


def dendrogram_tab(result) -> html.Div:
    """The Ward tree, cut at the chosen k."""
    text = ("Each leaf is a small group of similar customers; branches are coloured by the segment "
            "they belong to, and the dashed line is where the tree is cut into segments.")
    return section("Dendrogram", [html.P(text, className="small text-muted"),
                                  graph(ids.DENDROGRAM_GRAPH, dendrogram_figure(result))])


def _numeric_columns(result) -> list[str]:
    """The numeric features of the stored point sample, or of its binned form."""
    if binned(result):
        return list(result.plots.density.get("columns") or [])
    points = result.plots.points
    return [name for name in points.columns
            if all(v is None or isinstance(v, (int, float)) for v in points.values.get(name, []))]


def pair_options(result, *, chosen: list[str]) -> list[dict]:
    """The numeric features of the stored point sample; at the limit, the others are disabled."""
    numeric = _numeric_columns(result)
    full = len(chosen) >= PAIR_LIMIT
    return [{"label": _label(name), "value": name, "disabled": full and name not in chosen}
            for name in numeric]


def valid_pair_picks(result, *, requested) -> list[str]:
    """The requested features that are numeric columns of the stored sample, at most four."""
    allowed = {o["value"] for o in pair_options(result, chosen=[])}
    names = [f for f in requested or [] if isinstance(f, str)] if isinstance(
        requested, (list, tuple)) else []
    return [f for f in dict.fromkeys(names) if f in allowed][:PAIR_LIMIT]


def pair_features(result, *, requested) -> list[str]:
    """The features to draw: the valid requested ones, else the most telling ones."""
    picked = valid_pair_picks(result, requested=requested)
    if picked:
        return picked
    allowed = [o["value"] for o in pair_options(result, chosen=[])]
    telling = [f for f in result.plots.telling_features if f in allowed]
    return (telling or allowed)[:PAIR_LIMIT]


def pair_figure(result, *, features: list[str]):
    """The pair plot of the chosen features (the default ones when none are valid).

    plotly.js cannot draw the lower half of a two-feature scatter matrix on its own (it throws and
    the graph stays blank), so two features show both halves; one feature has no pair to plot.
    A binned Result (a share view's) gets the density view instead: no customer is drawn.
    """
    if binned(result):
        return density_figure(result, features=features or None)
    try:
        figure = pair_plot_figure(result, features=features or None)
    except InputError:
        figure = pair_plot_figure(result)
    splom = [trace for trace in figure.data if trace.type == "splom"]
    dimensions = len(splom[0].dimensions) if splom else 0
    if dimensions == 1:
        return _no_data("A pair plot needs two numeric features or more: pick another one.")
    if dimensions == 2:
        figure.update_traces(showupperhalf=True, selector={"type": "splom"})
    return figure


def pairs_tab(result, *, features) -> html.Div:
    """The pair plot with a picker of up to four numeric features."""
    chosen = pair_features(result, requested=features)
    picker = dcc.Dropdown(id=ids.PAIR_FEATURES, options=pair_options(result, chosen=chosen),
                          value=chosen, multi=True, clearable=False,
                          placeholder="Pick up to four numeric features")
    defaults = dcc.Store(id=page_ids.PAIR_DEFAULTS, data=pair_features(result, requested=None))
    note = (html.P("A shared view shows where each segment's customers lie, binned, and no "
                   "individual customer.", className="small text-muted") if binned(result)
            else None)
    return section("Pair plot", [
        defaults, note,
        dbc.Row([dbc.Col(dbc.Label("Features (up to four)", html_for=ids.PAIR_FEATURES), md=3),
                 dbc.Col(picker, md=9)], className="mb-2 g-2 align-items-center"),
        graph(ids.PAIR_PLOT_GRAPH, pair_figure(result, features=chosen)),
    ])


def _no_data(message: str) -> go.Figure:
    """An empty figure that says why it is empty."""
    return go.Figure(layout={"template": "plotly_white", "height": 300,
                             "xaxis": {"visible": False}, "yaxis": {"visible": False},
                             "annotations": [{"text": message, "showarrow": False,
                                              "xref": "paper", "yref": "paper", "x": 0.5,
                                              "y": 0.5}]})


def distribution_options(result) -> list[dict]:
    """Dropdown options: every feature with a stored distribution."""
    return [{"label": _label(name), "value": name}
            for name in result.plots.distributions]


def default_distribution(result) -> str | None:
    """The first telling feature with a stored distribution, else the first stored one."""
    stored = list(result.plots.distributions)
    telling = [f for f in result.plots.telling_features if f in stored]
    return (telling or stored or [None])[0]


def distribution_for(result, *, feature):
    """The distribution figure of a stored feature, or of the default one."""
    if feature not in result.plots.distributions:
        feature = default_distribution(result)
    if feature is None:
        return _no_data("This run stored no feature distributions.")
    return distribution_figure(result, feature)


def profiles_tab(result) -> html.Div:
    """The profile heatmap, and one feature's distribution per segment."""
    feature = default_distribution(result)
    picker = dcc.Dropdown(id=ids.DISTRIBUTION_FEATURE, options=distribution_options(result),
                          value=feature, clearable=False, placeholder="Pick a feature")
    return html.Div([
        section("Segment profiles", [
            html.P("Numbers show each segment's mean and percentages each level's share of the "
                   "segment; the colour is how far that lies from all customers.",
                   className="small text-muted"),
            wide_graph(ids.PROFILE_GRAPH, profile_heatmap(result))]),
        section("Distribution by segment", [
            dbc.Row([dbc.Col(dbc.Label("Feature", html_for=ids.DISTRIBUTION_FEATURE), md=3),
                     dbc.Col(picker, md=9)], className="mb-2 g-2 align-items-center"),
            graph(ids.DISTRIBUTION_GRAPH, distribution_for(result, feature=feature)),
        ]),
    ])


def wide_graph(graph_id: str, figure) -> html.Div:
    """A figure that needs room (one column per feature): it scrolls sideways on a phone."""
    meta = figure.layout.meta if isinstance(figure.layout.meta, dict) else {}
    return scroller(graph(graph_id, figure), min_width=meta.get("min_width"))


def k_table(view: ResultView) -> html.Div:
    """One row per candidate k with its metrics; the chosen k highlighted."""
    found = view.k_table
    return table(list(found.columns), rows=[list(cells) for cells, _ in found.rows],
                 numeric=tuple(range(len(found.columns))),
                 row_classes=["table-active fw-semibold" if chosen else ""
                              for _, chosen in found.rows])


def k_tab(result) -> html.Div:
    """How k was chosen: the metric curves, the reason and the candidates table."""
    view = result_view(result)
    body = [html.P(view.k_reason, className="lead fs-6 k-reason"),
            graph(ids.K_SELECTION_GRAPH, k_selection_figure(result))]
    if view.k_table.rows:
        body.append(html.H3("Candidates", className="h6 mt-3"))
        body.append(k_table(view))
    return section("Choosing k", body)
