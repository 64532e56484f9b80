"""Figures of a run: pure functions Result -> plotly Figure, drawn from the small stored summaries.

Every figure reads only `result.plots`, `result.k_selection` and `result.segments` (by attribute:
a RunResult, duck-typed), so it builds in milliseconds whatever the number of rows. Segment
colours come from `segment_colours`, so a segment has the same colour in every chart and card.
Text taken from the data is HTML-escaped before it reaches plotly: plotly.js decodes `&lt;`,
`&gt;` and `&amp;` back for display, so a hostile column name shows as plain text and never as
markup.
"""
from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from scipy.cluster.hierarchy import dendrogram

from .errors import InputError
from .format import capitalize_first, human_number, human_share, humanize_name
from .level_profile import level_columns
from .logscale import log_axis, to_log, wants_log

if TYPE_CHECKING:
    from segmentation.result import RunResult as Result

TEMPLATE = "plotly_white"
UNUSUAL_ID = 0
UNUSUAL_COLOUR = "#B0B0B0"
MIXED_COLOUR = "#5F6368"
OVERVIEW_COLOUR = "#4C78A8"
DIVERGING = "RdBu_r"
PAIR_LIMIT = 4
OVERVIEW_COLUMNS = 3
# Plotly's qualitative palette, then ten darker hues for runs with more than ten segments.
PALETTE = (
    "#636EFA", "#EF553B", "#00CC96", "#AB63FA", "#FFA15A",
    "#19D3F3", "#FF6692", "#B6E880", "#FF97FF", "#FECB52",
    "#2E91E5", "#E15F99", "#1CA71C", "#FB0D0D", "#DA16FF",
    "#B68100", "#750D86", "#EB663B", "#511CFB", "#00A08B",
)
K_METRICS = (
    ("inertia", "Inertia (lower is tighter)"),
    ("silhouette", "Silhouette (higher is better)"),
    ("calinski_harabasz", "Calinski-Harabasz (higher is better)"),
    ("davies_bouldin", "Davies-Bouldin (lower is better)"),
    ("stability", "Stability (higher is better)"),
)


def _text(value) -> str:
    """Data text made safe for plotly labels: escaped, shown literally once plotly decodes it."""
    return html.escape(str(value), quote=False)


def _label(column) -> str:
    """A column name as a safe, readable label ("annual_income" -> "Annual income")."""
    return _text(capitalize_first(humanize_name(column)))


def _base_layout(title: str, **extra) -> dict:
    """The layout every figure shares: clean template, title, compact margins, hover text whole
    (plotly cuts trace names at 15 characters by default) and a transparent background, so the
    page's light or dark colours show through."""
    return {"template": TEMPLATE, "title": {"text": title, "x": 0.01},
            "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
            "hoverlabel": {"namelength": -1, "align": "left"},
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", **extra}


def _top_legend(title: str) -> dict:
    """A legend in rows above the plot, so a narrow screen keeps the plot's full width."""
    return {"title": {"text": title, "side": "left"}, "orientation": "h", "x": 0,
            "xanchor": "left", "y": 1.02, "yanchor": "bottom", "itemsizing": "constant"}


def _empty_figure(title: str, message: str) -> go.Figure:
    """A figure with no data and a sentence saying why, so a page never shows a blank box."""
    layout = _base_layout(title, height=320,
                          xaxis={"visible": False}, yaxis={"visible": False},
                          annotations=[{"text": message, "showarrow": False, "x": 0.5, "y": 0.5,
                                        "xref": "paper", "yref": "paper", "font": {"size": 14}}])
    return go.Figure(layout=layout)


def _segment_ids(result: "Result") -> list[int]:
    """Segment ids in the result's own order (1..k, then the unusual segment 0 if any)."""
    return [s.id for s in result.segments]


def _segment_names(result: "Result") -> dict[int, str]:
    """Escaped segment name per segment id."""
    return {s.id: _text(s.name) for s in result.segments}


def _by_segment(mapping: dict) -> dict[int, object]:
    """A per-segment mapping with int keys (JSON round trips turn them into strings)."""
    return {int(key): value for key, value in mapping.items()}


def segment_colours(result: "Result") -> dict[int, str]:
    """One fixed colour per segment id, shared by every figure and card; unusual (0) is grey."""
    ids = sorted(seg for seg in _segment_ids(result) if seg != UNUSUAL_ID)
    colours = {seg: PALETTE[pos % len(PALETTE)] for pos, seg in enumerate(ids)}
    if UNUSUAL_ID in _segment_ids(result):
        colours[UNUSUAL_ID] = UNUSUAL_COLOUR
    return colours


def _span(low: float, high: float) -> list[float]:
    """An axis domain inside [0, 1], rounded so float noise never leaves the range."""
    return [max(0.0, round(low, 6)), min(1.0, round(high, 6))]


def _grid(n: int, *, cols: int, titles: list[str], hgap: float = 0.08,
          vgap: float = 0.1) -> tuple[dict, list[tuple[str, str]]]:
    """Axes for n small multiples in a grid: layout entries and each panel's (xref, yref)."""
    rows = max(1, math.ceil(n / cols))
    width = (1 - hgap * (cols - 1)) / cols
    height = (1 - vgap * (rows - 1)) / rows
    layout, refs, notes = {}, [], []
    for i in range(n):
        row, col = divmod(i, cols)
        suffix = "" if i == 0 else str(i + 1)
        x0, top = col * (width + hgap), 1 - row * (height + vgap)
        layout[f"xaxis{suffix}"] = {"domain": _span(x0, x0 + width), "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {"domain": _span(top - height, top), "anchor": f"x{suffix}"}
        refs.append((f"x{suffix}", f"y{suffix}"))
        notes.append({"text": titles[i], "x": x0 + width / 2, "y": top, "xref": "paper",
                      "yref": "paper", "xanchor": "center", "yanchor": "bottom",
                      "showarrow": False, "font": {"size": 12}})
    layout["annotations"] = notes
    return layout, refs


# --- choosing k -------------------------------------------------------------------------------

def _k_metric_rows(candidates: list) -> list[tuple[str, str]]:
    """The metrics that have at least one value among the candidates, in display order."""
    return [(key, title) for key, title in K_METRICS
            if any(getattr(row, key) is not None for row in candidates)]


def _k_traces(candidates: list, metrics, refs, chosen: int) -> list[dict]:
    """A line per metric and a marker at the chosen k on each panel."""
    ks = [row.k for row in candidates]
    traces = []
    for (key, title), (xref, yref) in zip(metrics, refs):
        values = [getattr(row, key) for row in candidates]
        traces.append({"type": "scatter", "x": ks, "y": values, "mode": "lines+markers",
                       "name": title, "xaxis": xref, "yaxis": yref, "showlegend": False,
                       "line": {"color": OVERVIEW_COLOUR},
                       "hovertemplate": "k = %{x}: %{y:.3g}<extra></extra>"})
        picked = [getattr(row, key) for row in candidates if row.k == chosen]
        traces.append({"type": "scatter", "x": [chosen] * len(picked), "y": picked,
                       "mode": "markers", "name": f"chosen k = {chosen}", "showlegend": False,
                       "xaxis": xref, "yaxis": yref,
                       "marker": {"color": "#D62728", "size": 12, "symbol": "star"},
                       "hovertemplate": "chosen k = %{x}: %{y:.3g}<extra></extra>"})
    return traces


def k_selection_figure(result: "Result") -> go.Figure:
    """Inertia, silhouette, Calinski-Harabasz, Davies-Bouldin and stability against k, chosen k marked."""
    record = result.k_selection
    candidates = sorted(record.candidates, key=lambda row: row.k)
    chosen = int(record.chosen_k or result.clustering.k or 0)
    metrics = _k_metric_rows(candidates)
    if not metrics:
        message = (f"Density clustering found k = {chosen} by itself: there are no candidate k "
                   "values to compare." if result.clustering.method == "density"
                   else "This run stored no candidate k values to compare.")
        return _empty_figure("Choosing k", message)
    axes, refs = _grid(len(metrics), cols=1, titles=[t for _, t in metrics], vgap=0.07)
    for i, (xref, _) in enumerate(refs):
        axis = axes["xaxis" + xref[1:]]
        axis.update({"showticklabels": i == len(refs) - 1, "dtick": 1})
        if i:
            axis["matches"] = "x"
    axes["xaxis" + refs[-1][0][1:]]["title"] = {"text": "Number of segments k"}
    line = {"type": "line", "xref": "x", "yref": "paper", "x0": chosen, "x1": chosen, "y0": 0,
            "y1": 1, "line": {"color": "#D62728", "dash": "dot", "width": 1}}
    layout = _base_layout(f"Choosing k: k = {chosen} chosen (star and dotted line)",
                          height=150 * len(metrics) + 110, shapes=[line], **axes)
    layout["margin"]["t"] = 90
    return go.Figure(data=_k_traces(candidates, metrics, refs, chosen), layout=layout)


# --- dendrogram -------------------------------------------------------------------------------

def _node_segments(Z: np.ndarray, leaf_segments: list[int]) -> list[int | None]:
    """For every node of the linkage, the segment all leaves under it share, else None."""
    nodes: list[int | None] = [seg if seg >= 0 else None for seg in leaf_segments]
    for left, right in Z[:, :2].astype(int):
        a, b = nodes[left], nodes[right]
        nodes.append(a if a is not None and a == b else None)
    return nodes


def _cut_height(Z: np.ndarray, k: int) -> float | None:
    """A height between the merges that leave k groups and k-1 groups, or None if k does not fit."""
    heights = np.sort(Z[:, 2])
    p = len(Z) + 1
    if not 2 <= k <= p:
        return None
    below = heights[p - k - 1] if p - k - 1 >= 0 else 0.0
    return float((below + heights[p - k]) / 2)


def _branch_traces(geometry: dict, nodes, colours, names) -> list[dict]:
    """One line trace per branch colour: a segment's own branches, then the mixed ones."""
    groups: dict[int | None, tuple[list, list]] = {}
    for xs, ys, node in zip(geometry["icoord"], geometry["dcoord"], geometry["color_list"]):
        gx, gy = groups.setdefault(nodes[int(node)], ([], []))
        gx.extend([*xs, None])
        gy.extend([*ys, None])
    order = [seg for seg in colours if seg in groups] + ([None] if None in groups else [])
    return [{"type": "scatter", "x": groups[seg][0], "y": groups[seg][1], "mode": "lines",
             "name": names.get(seg, "Mixed segments") if seg is not None else "Mixed segments",
             "line": {"color": colours.get(seg, MIXED_COLOUR), "width": 1.6},
             "hoverinfo": "skip"} for seg in order]


def _leaf_trace(geometry: dict, sizes, leaf_segments, colours, names) -> dict:
    """Markers under the leaves, coloured by each leaf's main segment, with size in the hover."""
    leaves = geometry["leaves"]
    info = [[f"{sizes[leaf]:,} customers", names.get(leaf_segments[leaf], "no segment")]
            for leaf in leaves]
    return {"type": "scatter", "x": [5 + 10 * i for i in range(len(leaves))],
            "y": [0] * len(leaves), "mode": "markers", "showlegend": False, "name": "groups",
            "marker": {"color": [colours.get(leaf_segments[leaf], MIXED_COLOUR) for leaf in leaves],
                       "size": 7},
            "customdata": info,
            "hovertemplate": "%{customdata[0]}<br>mostly %{customdata[1]}<extra></extra>"}


def _cut_shapes(result: "Result", Z: np.ndarray) -> tuple[list, list]:
    """The dashed cut line at the chosen k and its label (none for a density run)."""
    k = int(result.clustering.k or result.k_selection.chosen_k or 0)
    height = _cut_height(Z, k) if result.clustering.method != "density" else None
    if height is None:
        return [], []
    shape = {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": height,
             "y1": height, "line": {"color": "#D62728", "dash": "dash", "width": 1.2}}
    note = {"text": f"cut at k = {k}", "xref": "paper", "yref": "y", "x": 1, "y": height,
            "xanchor": "right", "yanchor": "bottom", "showarrow": False,
            "font": {"color": "#D62728"}}
    return [shape], [note]


def dendrogram_figure(result: "Result") -> go.Figure:
    """The top of the Ward tree, branches coloured by segment where pure, cut at the chosen k."""
    data = result.plots.dendrogram
    if len(data.linkage) < 1:
        return _empty_figure("Dendrogram", "This run stored no tree to draw.")
    Z = np.asarray(data.linkage, dtype=float)
    sizes, leaf_segments = data.leaf_sizes, data.leaf_segments
    geometry = dendrogram(Z, no_plot=True, link_color_func=str,
                          leaf_label_func=lambda leaf: f"n={sizes[leaf]:,}")
    colours, names = segment_colours(result), _segment_names(result)
    traces = _branch_traces(geometry, _node_segments(Z, leaf_segments), colours, names)
    traces.append(_leaf_trace(geometry, sizes, leaf_segments, colours, names))
    shapes, notes = _cut_shapes(result, Z)
    title = ("Ward tree of the customers, coloured by density segment"
             if result.clustering.method == "density" else "Dendrogram (Ward)")
    xaxis = {"tickvals": [5 + 10 * i for i in range(len(geometry["ivl"]))],
             "ticktext": geometry["ivl"], "tickangle": -90, "showgrid": False, "zeroline": False,
             "tickfont": {"size": 9}}
    layout = _base_layout(title, height=460, xaxis=xaxis, shapes=shapes, annotations=notes,
                          yaxis={"title": {"text": "Ward merge distance"}, "rangemode": "tozero"},
                          legend=_top_legend("Branches"), hovermode="closest")
    layout["margin"]["t"] = 110
    return go.Figure(data=traces, layout=layout)


# --- pair plot --------------------------------------------------------------------------------

def _pair_features(result: "Result", features) -> list[str]:
    """The features to plot: the requested ones (checked) or the four most telling stored ones."""
    present = list(result.plots.points.columns)
    if features is None:
        telling = [f for f in result.plots.telling_features if f in present]
        return (telling or present)[:PAIR_LIMIT]
    features = list(features)
    missing = [f for f in features if f not in present]
    if missing:
        raise InputError(f"feature(s) {', '.join(map(repr, missing))} are not in the stored point "
                         f"sample; choose from: {', '.join(map(str, present))}")
    if not 1 <= len(features) <= PAIR_LIMIT:
        raise InputError(f"a pair plot shows 1 to {PAIR_LIMIT} features (got {len(features)}); "
                         "pick fewer features")
    return features


def _column_values(values: list) -> np.ndarray:
    """A stored sample column ready to plot: numbers as they are, text escaped, gaps as None."""
    if all(v is None or isinstance(v, (int, float)) for v in values):
        return np.asarray(values, dtype=object)
    return np.asarray([None if v is None else _text(v) for v in values], dtype=object)


def _thin(rows: np.ndarray, limit: int | None) -> np.ndarray:
    """At most `limit` of the rows, evenly spread over them (all rows when limit is None)."""
    if limit is None or len(rows) <= limit:
        return rows
    return rows[np.linspace(0, len(rows) - 1, num=max(limit, 1)).round().astype(int)]


def _point_text(columns: dict, rows: np.ndarray) -> list[str]:
    """Per point, every plotted feature in its own units (the hover of a log axis reads these)."""
    parts = [[f"{_label(f)}: {_hover_value(v)}" for v in values[rows]]
             for f, values in columns.items()]
    return ["<br>".join(cells) for cells in zip(*parts)]


def _hover_value(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return human_number(value)
    return "missing" if value is None else str(value)


def _pair_dimension(feature: str, values: np.ndarray, *, log: bool) -> dict:
    label = _label(feature) + (" (log scale)" if log else "")
    drawn = [to_log(v) for v in values] if log else values.tolist()
    return {"label": label, "values": drawn}


def _pair_axes(columns: dict, logs: dict[str, bool]) -> dict:
    """Axes labelled in original units for the features drawn on a log scale."""
    axes = {}
    for pos, feature in enumerate(columns):
        if logs[feature]:
            top = max([v for v in columns[feature] if isinstance(v, (int, float))] or [1.0])
            suffix = "" if pos == 0 else str(pos + 1)
            axes[f"xaxis{suffix}"] = log_axis(top, fine=False)
            axes[f"yaxis{suffix}"] = log_axis(top, fine=False)
    return axes


def _pair_trace(seg: int, rank: int, *, rows, columns, logs, colours, names) -> dict:
    return {"type": "splom", "name": names[seg], "legendrank": rank + 1,
            "dimensions": [_pair_dimension(f, values[rows], log=logs[f])
                           for f, values in columns.items()],
            "text": _point_text(columns, rows),
            "hovertemplate": "%{text}<extra>%{fullData.name}</extra>",
            "marker": {"color": colours[seg], "size": 4, "opacity": 0.6},
            "diagonal": {"visible": False}, "showupperhalf": False}


def pair_plot_figure(result: "Result", *, features: list[str] | None = None,
                     per_segment: int | None = None) -> go.Figure:
    """A scatter-plot matrix of up to 4 features from the stored sample, coloured by segment.

    Skewed non-negative features (money, counts) are drawn on log axes labelled in their own
    units; the hover shows every feature's value. `per_segment` caps the points drawn per segment
    (the report uses it to stay light).
    """
    chosen = _pair_features(result, features)
    points = result.plots.points
    if not chosen or not points.segment:
        return _empty_figure("Pair plot", "This run stored no points to plot.")
    segment = np.asarray(points.segment)
    columns = {f: _column_values(points.values[f]) for f in chosen}
    logs = {f: wants_log(points.values[f]) for f in chosen}
    colours, names = segment_colours(result), _segment_names(result)
    present = [s for s in _segment_ids(result) if (segment == s).any()]
    traces, shown = [], 0
    for rank, seg in enumerate(present):
        rows = _thin(np.flatnonzero(segment == seg), per_segment)
        shown += len(rows)
        traces.append(_pair_trace(seg, rank, rows=rows, columns=columns, logs=logs,
                                  colours=colours, names=names))
    traces.sort(key=lambda t: t["name"] != names.get(UNUSUAL_ID))  # unusual drawn underneath
    total = points.rows_total if points.rows_total is not None else len(segment)
    layout = _base_layout(f"Pair plot of the most telling features ({shown:,} of {total:,} "
                          "customers, sampled by segment)", height=180 * len(chosen) + 160,
                          dragmode="select", hovermode="closest",
                          legend=_top_legend("Segment"),
                          **_pair_axes(columns, logs))
    layout["margin"]["t"] = 120
    return go.Figure(data=traces, layout=layout)


# --- profiles and distributions ---------------------------------------------------------------

def _profile_grid(result: "Result") -> tuple[list[str], list[list], list[list]]:
    """Numeric features, and per segment their z-scores and readable means."""
    features: list[str] = []
    for seg in result.segments:
        for entry in seg.profile.numeric:
            if entry.feature not in features:
                features.append(entry.feature)
    z, means = [], []
    for seg in result.segments:
        entries = {e.feature: e for e in seg.profile.numeric}
        row = [entries.get(f) for f in features]
        z.append([e.z if e else None for e in row])
        means.append([human_number(e.mean if e else None) for e in row])
    return features, z, means


def _numeric_trace(result: "Result", names: list[str]) -> dict | None:
    """The numeric block: z-score colours, the segment's mean as text."""
    features, z, means = _profile_grid(result)
    if not features:
        return None
    labels = [_label(f) for f in features]
    hover = [[[name, label] for label in labels] for name in names]
    return {"type": "heatmap", "z": z, "x": labels, "y": list(range(len(names))), "text": means,
            "texttemplate": "%{text}", "customdata": hover, "coloraxis": "coloraxis",
            "xaxis": "x", "yaxis": "y",
            "hovertemplate": "%{customdata[0]}<br>%{customdata[1]}: mean %{text} "
                             "(z = %{z:.2f})<extra></extra>"}


def _level_trace(result: "Result", names: list[str], *, xaxis: str) -> dict | None:
    """The yes/no and categorical block: each level's share in the segment, coloured by its score."""
    columns = level_columns(result)
    if not columns:
        return None
    labels = [f"{_label(c.feature)}: {_text(c.level)}" for c in columns]
    z = [[c.score(c.shares[row]) for c in columns] for row in range(len(names))]
    text = [[human_share(c.shares[row]) if c.shares[row] is not None else "" for c in columns]
            for row in range(len(names))]
    hover = [[[name, label, human_share(c.base_share)] for label, c in zip(labels, columns)]
             for name in names]
    return {"type": "heatmap", "z": z, "x": labels, "y": list(range(len(names))), "text": text,
            "texttemplate": "%{text}", "customdata": hover, "coloraxis": "coloraxis",
            "xaxis": xaxis, "yaxis": "y",
            "hovertemplate": "%{customdata[0]}<br>%{customdata[1]}: %{text} of the segment vs "
                             "%{customdata[2]} of all customers<extra></extra>"}


def _profile_axes(traces: list[dict], names: list[str]) -> dict:
    """Side-by-side x axes sized by their column counts, one shared y axis of segment names."""
    widths = [len(t["x"]) for t in traces]
    gap = 0.04 if len(traces) > 1 else 0.0
    room, left, axes = 1 - gap * (len(traces) - 1), 0.0, {}
    for pos, (trace, width) in enumerate(zip(traces, widths)):
        right = left + room * width / sum(widths)
        key = "xaxis" if pos == 0 else f"xaxis{pos + 1}"
        axes[key] = {"domain": _span(left, right), "showgrid": False, "tickangle": -40,
                     "tickvals": list(range(width)), "ticktext": trace["x"], "anchor": "y",
                     "automargin": True, "zeroline": False}
        trace.update(x=list(range(width)), xaxis="x" if pos == 0 else f"x{pos + 1}")
        left = right + gap
    axes["yaxis"] = {"tickvals": list(range(len(names))), "ticktext": names,
                     "autorange": "reversed", "showgrid": False, "automargin": True}
    return axes


def profile_heatmap(result: "Result") -> go.Figure:
    """Segments x features against all customers: numeric features show the segment's mean,
    coloured by its z-score; yes/no and categorical features each level's share of the segment,
    coloured by the same kind of score, so one colour scale reads both."""
    names = [_text(s.name) for s in result.segments]
    traces = [t for t in (_numeric_trace(result, names),
                          _level_trace(result, names, xaxis="x2")) if t is not None]
    if not traces:
        return _empty_figure("Segment profiles", "This run has no features to profile.")
    cells = [abs(v) for t in traces for row in t["z"] for v in row if v is not None]
    limit = max([2.0] + cells)
    axes = _profile_axes(traces, names)
    columns = sum(len(t["x"]) for t in traces)
    layout = _base_layout("Segment profiles: each segment against all customers",
                          height=max(320, 60 * len(names) + 200),
                          coloraxis={"colorscale": DIVERGING, "cmid": 0, "cmin": -limit,
                                     "cmax": limit, "colorbar": {"title": {"text": "score"}}},
                          meta={"min_width": 160 + 70 * columns}, **axes)
    layout["margin"].update({"l": 20, "b": 20})
    return go.Figure(data=traces, layout=layout)


def segment_size_figure(result: "Result") -> go.Figure:
    """One bar per segment: how many customers it holds and its share, in the segment's colour."""
    if not result.segments:
        return _empty_figure("Segment sizes", "This run has no segments.")
    colours, names = segment_colours(result), _segment_names(result)
    ids = _segment_ids(result)
    sizes = [int(s.size or 0) for s in result.segments]
    text = [f"{size:,} · {human_share(s.share)}" for size, s in zip(sizes, result.segments)]
    trace = {"type": "bar", "orientation": "h", "x": sizes, "y": list(range(len(ids))),
             "text": text, "textposition": "auto", "cliponaxis": False,
             "marker": {"color": [colours[i] for i in ids]},
             "customdata": [names[i] for i in ids],
             "hovertemplate": "%{customdata}: %{text} customers<extra></extra>"}
    layout = _base_layout("Segment sizes", height=44 * len(ids) + 110, showlegend=False,
                          xaxis={"title": {"text": "Customers"}, "rangemode": "tozero"},
                          yaxis={"tickvals": trace["y"], "ticktext": [names[i] for i in ids],
                                 "autorange": "reversed", "automargin": True})
    layout["margin"].update({"l": 20, "t": 50, "b": 45})
    return go.Figure(data=[trace], layout=layout)


def _segment_sizes(result: "Result", counts: dict[int, list]) -> dict[int, float]:
    """Denominator per segment: its size from the result, else the sum of its counts."""
    sizes = {s.id: s.size for s in result.segments}
    return {seg: float(sizes.get(seg) or sum(c) or 1) for seg, c in counts.items()}


def _log_scaled(data) -> bool:
    """True for a stored numeric distribution binned on a log scale (see segmentation.plotdata)."""
    return data.scale == "log"


def _numeric_distribution(result: "Result", data, label: str) -> list[dict]:
    """One step line per segment: the share of its customers in each bin."""
    edges, counts = data.edges, _by_segment(data.counts)
    places = [to_log(e) for e in edges] if _log_scaled(data) else edges
    colours, names = segment_colours(result), _segment_names(result)
    spans = [f"{label} {human_number(lo)} to {human_number(hi)}"
             for lo, hi in zip(edges[:-1], edges[1:])]
    traces = []
    for seg in [s for s in _segment_ids(result) if s in counts]:
        total = sum(counts[seg]) or 1
        shares = [c / total for c in counts[seg]]
        traces.append({"type": "scatter", "x": places, "y": shares + shares[-1:], "mode": "lines",
                       "line": {"shape": "hv", "color": colours[seg], "width": 2},
                       "name": names[seg], "customdata": spans + spans[-1:],
                       "hovertemplate": "%{customdata}: %{y:.1%}<extra>%{fullData.name}</extra>"})
    return traces


def _level_distribution(result: "Result", data) -> list[dict]:
    """Grouped bars: the share of each segment's customers at each level."""
    counts = _by_segment(data.counts)
    sizes = _segment_sizes(result, counts)
    colours, names = segment_colours(result), _segment_names(result)
    levels = [_text(level) for level in data.levels or []]
    return [{"type": "bar", "x": levels, "y": [c / sizes[seg] for c in counts[seg]],
             "name": names[seg], "marker": {"color": colours[seg]},
             "hovertemplate": "%{x}: %{y:.1%}<extra>%{fullData.name}</extra>"}
            for seg in _segment_ids(result) if seg in counts]


def distribution_figure(result: "Result", feature: str) -> go.Figure:
    """How one feature is distributed in each segment (step lines for numbers, bars for levels)."""
    stored = result.plots.distributions
    if feature not in stored:
        raise InputError(f"no stored distribution for {feature!r}; choose from: "
                         f"{', '.join(map(str, stored))}")
    data, label = stored[feature], _label(feature)
    if data.kind == "numeric" and _log_scaled(data):
        traces = _numeric_distribution(result, data, label)
        xaxis = log_axis(max(data.edges), title={"text": f"{label} (log scale)"})
    elif data.kind == "numeric":
        traces = _numeric_distribution(result, data, label)
        xaxis = {"title": {"text": label}}
    else:
        traces = _level_distribution(result, data)
        xaxis = {"title": {"text": label}, "type": "category"}
    layout = _base_layout(f"{label} by segment", height=400, xaxis=xaxis, barmode="group",
                          yaxis={"title": {"text": "Share of segment"}, "tickformat": ".0%"},
                          legend=_top_legend("Segment"))
    layout["margin"]["t"] = 110
    return go.Figure(data=traces, layout=layout)


# --- data tab ---------------------------------------------------------------------------------

def correlation_figure(result: "Result") -> go.Figure:
    """Heatmap of the Pearson correlation between the numeric features."""
    data = result.plots.correlation
    features = list(data.features)
    if len(features) < 2:
        return _empty_figure("Correlation", "Correlation needs at least two numeric features.")
    labels = [_label(f) for f in features]
    matrix = data.matrix
    text = [[f"{v:.2f}" if v is not None else "" for v in row] for row in matrix]
    hover = [[[a, b] for b in labels] for a in labels]
    index = list(range(len(features)))
    trace = {"type": "heatmap", "z": matrix, "x": index, "y": index, "text": text,
             "texttemplate": "%{text}" if len(features) <= 15 else None, "customdata": hover,
             "colorscale": DIVERGING, "zmin": -1, "zmax": 1, "zmid": 0,
             "colorbar": {"title": {"text": "r"}},
             "hovertemplate": "%{customdata[0]} vs %{customdata[1]}: r = %{z:.2f}<extra></extra>"}
    side = max(360, 36 * len(features) + 200)
    layout = _base_layout("Correlation between numeric features", height=side,
                          xaxis={"tickvals": index, "ticktext": labels, "showgrid": False},
                          yaxis={"tickvals": index, "ticktext": labels, "autorange": "reversed",
                                 "showgrid": False})
    layout["margin"]["l"] = 160
    return go.Figure(data=[trace], layout=layout)


def _overview_trace(data, xref: str, yref: str) -> dict:
    """One feature's overall distribution (counts summed over segments) as bars."""
    total = np.sum([np.asarray(c, dtype=float) for c in data.counts.values()], axis=0)
    if data.kind == "numeric":
        custom = [f"{human_number(lo)} to {human_number(hi)}"
                  for lo, hi in zip(data.edges[:-1], data.edges[1:])]
        edges = np.asarray([to_log(e) if _log_scaled(data) else e for e in data.edges],
                           dtype=float)
        x, width = ((edges[:-1] + edges[1:]) / 2).tolist(), np.diff(edges).tolist()
    else:
        x = [_text(level) for level in data.levels or []]
        width, custom = None, x
    return {"type": "bar", "x": x, "y": np.atleast_1d(total).tolist(), "width": width,
            "customdata": custom, "xaxis": xref, "yaxis": yref, "showlegend": False,
            "marker": {"color": OVERVIEW_COLOUR},
            "hovertemplate": "%{customdata}: %{y:,} customers<extra></extra>"}


def feature_overview_figure(result: "Result") -> go.Figure:
    """Small multiples of every feature's distribution over all customers, for the Data tab."""
    stored = result.plots.distributions
    names = list(stored)
    if not names:
        return _empty_figure("Features", "This run stored no feature distributions.")
    axes, refs = _grid(len(names), cols=OVERVIEW_COLUMNS, titles=[_label(n) for n in names],
                       hgap=0.07, vgap=min(0.12, 0.5 / max(1, math.ceil(len(names) / 3))))
    traces = [_overview_trace(stored[n], x, y) for n, (x, y) in zip(names, refs)]
    for n, (xref, _) in zip(names, refs):
        if stored[n].kind != "numeric":
            axes["xaxis" + xref[1:]]["type"] = "category"
        elif _log_scaled(stored[n]):
            axes["xaxis" + xref[1:]].update(log_axis(max(stored[n].edges)))
    rows = math.ceil(len(names) / OVERVIEW_COLUMNS)
    layout = _base_layout(f"Every feature over all customers ({len(names)} features)",
                          height=200 * rows + 100, bargap=0.05, **axes)
    layout["margin"]["t"] = 90
    return go.Figure(data=traces, layout=layout)
