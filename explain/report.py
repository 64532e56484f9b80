"""The standalone HTML report of a run: one file with plotly.js inlined, readable offline.

It lays out the same view of the Result as the dashboard (explain.view) with an autoescaped
Jinja2 template (templates/report.html.j2): every piece of text from the data (column names,
levels, segment names, rules, notes, the source name) is escaped by the template, and the figures
escape their own labels (see explain.figures).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from .density import binned, density_figure
from .figures import (correlation_figure, dendrogram_figure, k_selection_figure,
                      pair_plot_figure, profile_heatmap, segment_size_figure)
from .view import RULES_NOTE, result_view

if TYPE_CHECKING:
    from segmentation.result import RunResult as Result

REPORT_POINTS_PER_SEGMENT = 200
TEMPLATES = Environment(loader=PackageLoader("explain", "templates"),
                        autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True)


def _pairs(result: "Result"):
    """The pair plot, or where the points are binned (a shared view's Result) the density view."""
    if binned(result):
        return density_figure(result)
    return pair_plot_figure(result, per_segment=REPORT_POINTS_PER_SEGMENT)


FIGURES = (
    ("k-selection", "Choosing the number of segments", k_selection_figure),
    ("dendrogram", "How the customers group (dendrogram)", dendrogram_figure),
    ("pair-plot", "The segments on their most telling features", _pairs),
    ("segment-sizes", "Segment sizes", segment_size_figure),
    ("profile", "Segment profiles", profile_heatmap),
    ("correlation", "Correlation between numeric features", correlation_figure),
)


@dataclass(frozen=True)
class ReportFigure:
    """One figure section: its id, title and the div plotly.js draws it in."""

    key: str
    title: str
    body: Markup


def _figures(result: "Result") -> list[ReportFigure]:
    """Every report figure as a div drawn by the one inlined plotly.js. plotly writes the data
    as JSON inside its script and the figures escape the labels, so the div is trusted markup."""
    return [ReportFigure(key, title, Markup(build(result).to_html(
                full_html=False, include_plotlyjs=False, div_id=f"figure-{key}",
                config={"displaylogo": False})))
            for key, title, build in FIGURES]


def report_html(result: "Result") -> str:
    """One standalone HTML page of a run (plotly.js inlined once), safe to open offline and share."""
    return TEMPLATES.get_template("report.html.j2").render(
        view=result_view(result), figures=_figures(result), rules_note=RULES_NOTE,
        plotly_js=Markup(get_plotlyjs()))
