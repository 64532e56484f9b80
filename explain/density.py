"""Density views of the stored point sample: per segment, counts on a grid of round-numbered bins
for every pair of numeric features, and the figure drawn from them (one contour per segment).

A shared view shows these instead of the points, so it shows where each segment's customers lie
and no individual customer: the grid's edges are round numbers, not customers' values.
"""
from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from .figures import PAIR_LIMIT, segment_colours
from .format import capitalize_first, humanize_name
from .logscale import log_axis, wants_log

if TYPE_CHECKING:
    from segmentation.result import RunResult as Result

BINS = 16
STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)
LEVELS = (0.25, 0.5, 0.75)  # contour levels, as shares of a segment's densest cell
GAP = 0.06


# --- the grid ----------------------------------------------------------------------------------

def _numbers(values) -> np.ndarray:
    """A sample column as floats, gaps and text as NaN."""
    return np.asarray([float(v) if isinstance(v, (int, float)) and not isinstance(v, bool)
                       else math.nan for v in values], dtype=float)


def nice_step(span: float, *, bins: int = BINS) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that covers `span` in `bins` steps."""
    raw = max(span, 1e-12) / bins
    power = 10.0 ** math.floor(math.log10(raw))
    return next(s * power for s in STEPS if s * power >= raw * (1 - 1e-9))


def nice_edges(values: np.ndarray, *, log: bool) -> list[float]:
    """Round-numbered bin edges around the finite values (in log10(1 + x) for a log column)."""
    known = values[np.isfinite(values)]
    if log:
        known = np.log10(1.0 + np.maximum(known, 0.0))
    low, high = (float(known.min()), float(known.max())) if known.size else (0.0, 1.0)
    step = nice_step(high - low if high > low else 1.0)
    start, stop = math.floor(low / step), math.ceil(high / step)
    return [round((start + i) * step, 10) for i in range(max(1, stop - start) + 1)]


def _axis(values: np.ndarray) -> dict:
    log = wants_log(values[np.isfinite(values)])
    return {"edges": nice_edges(values, log=log), "scale": "log" if log else "linear"}


def _places(values: np.ndarray, axis: dict) -> np.ndarray:
    """Values at their places on the grid's axis (log10(1 + x) on a log axis)."""
    return np.log10(1.0 + np.maximum(values, 0.0)) if axis["scale"] == "log" else values


def _pair_counts(x: np.ndarray, y: np.ndarray, segment: np.ndarray, axes: tuple) -> list[dict]:
    """Per segment, the customers in each cell (counts[i][j]: x bin i, y bin j)."""
    known = np.isfinite(x) & np.isfinite(y)
    out = []
    for seg in sorted(set(segment.tolist())):
        rows = known & (segment == seg)
        counts, _, _ = np.histogram2d(x[rows], y[rows], bins=[axes[0]["edges"], axes[1]["edges"]])
        out.append({"segment": int(seg), "counts": counts.astype(int).tolist()})
    return out


def density_grids(points, *, columns=None, limit: int = 8) -> dict:
    """The binned form of a point sample (a Result's `plots.points`): per pair of its first `limit`
    numeric columns (of `columns`, by default all), the counts of each segment's customers on
    round-numbered bins. No customer's values are kept."""
    values = points.values
    columns = [c for c in (points.columns if columns is None else columns)
               if np.isfinite(_numbers(values.get(c, []))).any()
               and all(v is None or isinstance(v, (int, float)) for v in values.get(c, []))]
    columns = columns[:limit]
    segment = np.asarray(points.segment, dtype=int)
    numbers = {c: _numbers(values[c]) for c in columns}
    axes = {c: _axis(numbers[c]) for c in columns}
    pairs = [{"x": a, "y": b,
              "segments": _pair_counts(_places(numbers[a], axes[a]), _places(numbers[b], axes[b]),
                                       segment, (axes[a], axes[b]))}
             for i, a in enumerate(columns) for b in columns[i + 1:]]
    return {"columns": columns, "axes": axes, "pairs": pairs,
            "rows_binned": int(len(segment)),
            "rows_total": int(points.rows_total or len(segment))}


# --- the figure --------------------------------------------------------------------------------

def _label(name) -> str:
    """A column name as a safe, readable label (plotly decodes the escapes for display)."""
    return html.escape(capitalize_first(humanize_name(name)), quote=False)


def binned(result: "Result") -> bool:
    """True for a Result whose points are binned per segment (a share view's): no point is drawn."""
    return isinstance(getattr(result.plots, "density", None), dict)


def density_features(density: dict, *, features, telling) -> list[str]:
    """The features to draw: the requested binned ones (at most four), else the most telling."""
    columns = list(density.get("columns") or [])
    picked = [f for f in dict.fromkeys(features or []) if f in columns][:PAIR_LIMIT]
    if picked:
        return picked
    return ([f for f in telling or [] if f in columns] or columns)[:PAIR_LIMIT]


def _grid_of(density: dict, x: str, y: str) -> list[dict]:
    """Per segment the counts with x on the first index, whichever way the pair was stored."""
    for pair in density.get("pairs") or []:
        if (pair["x"], pair["y"]) == (x, y):
            return pair["segments"]
        if (pair["x"], pair["y"]) == (y, x):
            return [{"segment": s["segment"], "counts": np.asarray(s["counts"]).T.tolist()}
                    for s in pair["segments"]]
    return []


def _centres(axis: dict) -> list[float]:
    edges = axis["edges"]
    return [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]


def _contour(entry: dict, *, x_axis: dict, y_axis: dict, refs: tuple, colour: str, name: str,
             legend: bool) -> dict | None:
    """One segment's density in one panel as contour lines of its share of the segment."""
    counts = np.asarray(entry["counts"], dtype=float)
    if counts.sum() <= 0:
        return None
    share = counts / counts.sum()
    top = float(share.max())
    return {"type": "contour", "x": _centres(x_axis), "y": _centres(y_axis),
            "z": share.T.round(4).tolist(), "xaxis": refs[0], "yaxis": refs[1],
            "name": name, "legendgroup": name, "showlegend": legend, "showscale": False,
            "autocontour": False, "colorscale": [[0, colour], [1, colour]],
            "contours": {"coloring": "lines", "start": LEVELS[0] * top, "end": LEVELS[-1] * top,
                         "size": (LEVELS[1] - LEVELS[0]) * top},
            "line": {"width": 2, "smoothing": 1.0},
            "hovertemplate": "%{z:.1%} of the segment in this cell<extra>%{fullData.name}</extra>"}


def _axis_layout(axis: dict, *, title: str | None, domain: list[float], anchor: str) -> dict:
    edges = axis["edges"]
    out = {"domain": domain, "anchor": anchor, "range": [edges[0], edges[-1]],
           "title": {"text": title} if title else None}
    if axis["scale"] == "log":
        out.update(log_axis(10.0 ** edges[-1] - 1.0, fine=False))
    return out


def _panels(features: list[str]) -> list[tuple[int, int]]:
    """(row, col) of the lower triangle: x = features[col], y = features[row + 1]."""
    return [(row, col) for row in range(len(features) - 1) for col in range(row + 1)]


def _layout(features: list[str], axes: dict, panels: list[tuple[int, int]]) -> dict:
    """One x and y axis per panel, the bottom row and left column titled."""
    n = len(features) - 1
    size = (1 - GAP * (n - 1)) / n
    layout = {}
    for i, (row, col) in enumerate(panels):
        suffix = "" if i == 0 else str(i + 1)
        x0, top = col * (size + GAP), 1 - row * (size + GAP)
        x, y = features[col], features[row + 1]
        layout[f"xaxis{suffix}"] = _axis_layout(
            axes[x], title=_label(x) if row == n - 1 else None,
            domain=[round(x0, 6), round(x0 + size, 6)], anchor=f"y{suffix}")
        layout[f"yaxis{suffix}"] = _axis_layout(
            axes[y], title=_label(y) if col == 0 else None,
            domain=[round(max(0.0, top - size), 6), round(top, 6)], anchor=f"x{suffix}")
    return layout


def _traces(result: "Result", density: dict, features: list[str], panels) -> list[dict]:
    colours = segment_colours(result)
    names = {s.id: html.escape(str(s.name), quote=False) for s in result.segments}
    traces = []
    for i, (row, col) in enumerate(panels):
        refs = ("x" if i == 0 else f"x{i + 1}", "y" if i == 0 else f"y{i + 1}")
        x, y = features[col], features[row + 1]
        for entry in _grid_of(density, x, y):
            seg = int(entry["segment"])
            trace = _contour(entry, x_axis=density["axes"][x], y_axis=density["axes"][y],
                             refs=refs, colour=colours.get(seg, "#5F6368"),
                             name=names.get(seg, f"Segment {seg}"), legend=i == 0)
            if trace:
                traces.append(trace)
    return traces


def density_figure(result: "Result", *, features: list[str] | None = None) -> go.Figure:
    """Where each segment's customers lie on up to four features: one panel per pair, one
    contour per segment, drawn from `plots.density` (see density_grids)."""
    density = getattr(result.plots, "density", None) or {}
    chosen = density_features(density, features=features, telling=result.plots.telling_features)
    if len(chosen) < 2:
        return go.Figure(layout={"template": "plotly_white", "height": 300,
                                 "xaxis": {"visible": False}, "yaxis": {"visible": False},
                                 "annotations": [{"text": "A density view needs two numeric "
                                                  "features or more: pick another one.",
                                                  "showarrow": False, "xref": "paper",
                                                  "yref": "paper", "x": 0.5, "y": 0.5}]})
    panels = _panels(chosen)
    title = (f"Where each segment's customers lie ({density.get('rows_binned', 0):,} of "
             f"{density.get('rows_total', 0):,} customers, binned: no customer is shown)")
    layout = {"template": "plotly_white", "title": {"text": title, "x": 0.01},
              "height": 200 * (len(chosen) - 1) + 200, "hovermode": "closest",
              "margin": {"l": 70, "r": 20, "t": 110, "b": 60},
              "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
              "legend": {"title": {"text": "Segment", "side": "left"}, "orientation": "h",
                         "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"},
              **_layout(chosen, density["axes"], panels)}
    return go.Figure(data=_traces(result, density, chosen, panels), layout=layout)
