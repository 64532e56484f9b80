"""The standalone HTML report of a run: one file with plotly.js inlined, readable offline.

Every piece of text that comes from the data (column names, levels, segment names, rules, notes,
the source name) is HTML-escaped here; the figures escape their own labels (see explain.figures).
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING

from plotly.offline import get_plotlyjs

from .figures import (correlation_figure, dendrogram_figure, k_selection_figure,
                      pair_plot_figure, profile_heatmap, segment_colours, segment_size_figure)
from .format import human_number, human_ratio, human_share
from .rules import number_text

if TYPE_CHECKING:
    from segmentation.result import Result

METHOD_NAMES = {"kmeans": "k-means", "hierarchical": "Ward hierarchical clustering",
                "density": "density clustering (HDBSCAN)"}
LEVELS_SHOWN = 12
REPORT_POINTS_PER_SEGMENT = 200
FIGURES = (
    ("k-selection", "Choosing the number of segments", k_selection_figure),
    ("dendrogram", "How the customers group (dendrogram)", dendrogram_figure),
    ("pair-plot", "The segments on their most telling features",
     lambda result: pair_plot_figure(result, per_segment=REPORT_POINTS_PER_SEGMENT)),
    ("segment-sizes", "Segment sizes", segment_size_figure),
    ("profile", "Segment profiles", profile_heatmap),
    ("correlation", "Correlation between numeric features", correlation_figure),
)
CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1f2933;
       margin: 0 auto; max-width: 1180px; padding: 24px; line-height: 1.45; }
h1 { margin-bottom: 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #d9dee3; padding-bottom: 4px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.facts dt { font-weight: 600; color: #52606d; }
dl.facts dd { margin: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 16px; }
.card { border: 1px solid #d9dee3; border-top: 6px solid var(--segment); border-radius: 6px;
        padding: 12px 16px; background: #fff; }
.card h3 { margin: 0 0 4px; } .card .size { color: #52606d; margin: 0 0 8px; }
.card .headline { font-weight: 600; } .card .kpi, .card .rationale { font-size: 0.92em; color: #323f4b; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 2px; margin-right: 6px;
          background: var(--segment); vertical-align: baseline; }
code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.88em; }
code { background: #f0f4f8; padding: 1px 4px; border-radius: 3px; }
pre { background: #f0f4f8; padding: 8px; border-radius: 4px; white-space: pre-wrap;
      word-break: break-word; margin: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #d9dee3; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f5f7fa; } td.num { text-align: right; white-space: nowrap; }
.figure { margin: 8px 0 24px; } .muted { color: #7b8794; }
"""


def _e(value) -> str:
    """Any value as escaped HTML text."""
    return html.escape(str(value))


def _list(items: list[str]) -> str:
    """An HTML list of already-escaped items, or a muted 'none'."""
    if not items:
        return '<p class="muted">None.</p>'
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _source(result: "Result") -> str:
    """The name of the data the run read, or a generic title."""
    return str(result.params.get("source") or "") or "Customer segmentation"


def _kept(ratio) -> str | None:
    """The share of the clusters' tightness the rules keep (100 / cost ratio), as '97.9%'."""
    if not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or not ratio > 0:
        return None
    return f"{min(100.0, 100.0 / ratio):.1f}%"


def _structure_facts(result: "Result") -> list[tuple[str, str]]:
    """The structure verdict, what the rules keep and the price of each depth, where stored."""
    record, ex, facts = result.k_selection, result.explanation, []
    if record.get("structure") in ("strong", "moderate", "weak"):
        text = f"{record['structure']}: {record.get('structure_reason') or ''}"
        if record["structure"] == "weak":
            text += (" The segments are cuts of a continuum rather than distinct groups."
                     + (f" What to try: {record['advice']}" if record.get("advice") else ""))
        facts.append(("Structure", _e(text)))
    if _kept(ex.get("cost_ratio")):
        facts.append(("Tightness kept", f"These rules keep {_kept(ex['cost_ratio'])} of the "
                                        "clusters' tightness"))
    costs = ex.get("depth_costs") if isinstance(ex.get("depth_costs"), dict) else {}
    parts = [f"depth {_e(d)} keeps {_kept(r)}" for d, r in sorted(costs.items()) if _kept(r)]
    if parts:
        facts.append(("By rule depth", ", ".join(parts) + " of the clusters' tightness"))
    best = record.get("best_k_3_8")
    if isinstance(best, dict) and best.get("k") is not None:
        facts.append(("Suggested k", _e(f"k = {best['k']}: {best.get('reason') or ''}")))
    return facts


def _header(result: "Result") -> str:
    """Title and the run's key facts: rows, method, k and why, rule fidelity."""
    data, ex, clustering = result.dataset, result.explanation, result.clustering
    method = clustering.get("method", "")
    unusual = clustering.get("unusual") or 0
    facts = [
        ("Source", _e(_source(result))),
        ("Rows used", f"{data.get('rows_used', 0):,} of {data.get('rows_read', 0):,} rows read"),
        ("Method", _e(METHOD_NAMES.get(method, method))),
        ("Segments", f"k = {clustering.get('k')}" + (f", plus {unusual:,} unusual customers"
                                                      if unusual else "")),
        ("Why this k", _e(result.k_selection.get("reason", ""))),
        *_structure_facts(result),
        ("Agreement with the unconstrained clusters",
         f"{_e(human_share(ex.get('fidelity')))} of customers are put by the rules in the segment "
         "of their own cluster"),
        ("Rule depth", f"{_e(ex.get('depth'))} ({_e(ex.get('leaves'))} leaves); rule partition "
                       f"cost {_e(human_ratio(ex.get('cost_ratio')))} that of the clusters"),
        ("Created", _e(result.created_at or "n/a")),
    ]
    rows = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
    notes = _list([_e(note) for note in ex.get("notes") or []])
    return (f"<header><h1>Segmentation report: {_e(_source(result))}</h1>"
            f'<dl class="facts">{rows}</dl><h3>About the rules</h3>{notes}</header>')


def _card(segment: dict, colour: str) -> str:
    """One segment's strategy card, edged in the segment's colour."""
    card = segment.get("strategy") or {}
    actions = "".join(f"<li>{_e(a)}</li>" for a in card.get("actions") or [])
    return (f'<article class="card" style="--segment: {colour}">'
            f'<h3><span class="swatch"></span>{_e(segment["name"])}</h3>'
            f'<p class="size">{segment["size"]:,} customers · {_e(human_share(segment["share"]))}'
            f"</p><p>Rule: <code>{_e(segment['rule']['text'])}</code></p>"
            f'<p class="headline">{_e(card.get("headline", ""))}</p><ul>{actions}</ul>'
            f'<p class="kpi"><strong>KPI:</strong> {_e(card.get("kpi", ""))}</p>'
            f'<p class="rationale">{_e(card.get("rationale", ""))}</p></article>')


def _cards(result: "Result", colours: dict[int, str]) -> str:
    """The segment cards section."""
    cards = "".join(_card(seg, colours[int(seg["id"])]) for seg in result.segments)
    return f'<section id="segments"><h2>Segments</h2><div class="cards">{cards}</div></section>'


def _rules_table(result: "Result", colours: dict[int, str]) -> str:
    """Each segment's rule with its precision, coverage and SQL condition."""
    rows = "".join(
        f'<tr><td style="--segment: {colours[int(seg["id"])]}"><span class="swatch"></span>'
        f'{_e(seg["name"])}</td><td>{_e(seg["rule"]["text"])}</td>'
        f'<td class="num">{_e(human_share(seg.get("precision")))}</td>'
        f'<td class="num">{_e(human_share(seg.get("coverage")))}</td>'
        f'<td><pre>{_e(seg["rule"]["sql"])}</pre></td></tr>'
        for seg in result.segments)
    head = "<tr><th>Segment</th><th>Rule</th><th>Precision</th><th>Coverage</th><th>SQL</th></tr>"
    note = ('<p class="muted">Precision: share of the customers a rule selects that are in its '
            "cluster. Coverage: share of the cluster the rule selects.</p>")
    return f'<section id="rules"><h2>Rules</h2>{note}<table>{head}{rows}</table></section>'


def _figures(result: "Result") -> str:
    """Every report figure as a div drawn by the one inlined plotly.js."""
    parts = []
    for key, title, build in FIGURES:
        body = build(result).to_html(full_html=False, include_plotlyjs=False,
                                     div_id=f"figure-{key}", config={"displaylogo": False})
        parts.append(f'<section id="{key}"><h2>{_e(title)}</h2><div class="figure">{body}</div>'
                     "</section>")
    return "".join(parts)


def _dropped(data: dict) -> list[str]:
    """What was left out of the run and why, one escaped line each."""
    lines = []
    for item in data.get("dropped") or []:
        if item.get("what") == "rows":
            lines.append(f"{item.get('count', 0):,} rows: {_e(item.get('reason', ''))}")
        else:
            lines.append(f"Column <code>{_e(item.get('name', ''))}</code>: "
                         f"{_e(item.get('reason', ''))}")
    return lines


def _fill_text(value) -> str:
    """A fill value as written in the rules (68000 -> 68k), text as it is."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number_text(value)
    return str(value)


def _levels_text(feature: dict) -> str:
    """The levels of a categorical or binary feature (first 12), and how many were grouped as other."""
    levels = [str(v) for v in feature.get("levels") or []]
    text = ", ".join(levels[:LEVELS_SHOWN]) + (f" and {len(levels) - LEVELS_SHOWN} more"
                                               if len(levels) > LEVELS_SHOWN else "")
    other = len(feature.get("other_levels") or [])
    return text + (f" ({other} rare level(s) grouped as other)" if other else "")


def _fill_cell(feature: dict) -> str:
    """How many values were missing and what filled them."""
    missing = feature.get("missing") or 0
    if not missing:
        return "none"
    method = f" ({_e(feature['fill_method'])})" if feature.get("fill_method") else ""
    return f"{missing:,} filled with {_e(_fill_text(feature.get('fill')))}{method}"


def _features_table(data: dict) -> str:
    """Per feature: kind, levels, transform, notes, gaps and how they were filled."""
    rows = []
    for f in data.get("features") or []:
        transform = "; ".join(str(x) for x in [f.get("transform", "")] + list(f.get("notes") or []))
        rows.append(f"<tr><td><code>{_e(f['name'])}</code></td><td>{_e(f.get('kind', ''))}</td>"
                    f"<td>{_e(_levels_text(f))}</td><td>{_e(transform)}</td>"
                    f"<td>{_fill_cell(f)}</td></tr>")
    head = ("<tr><th>Feature</th><th>Kind</th><th>Levels</th><th>Transform</th>"
            "<th>Missing values</th></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _dataset_notes(result: "Result") -> str:
    """Dropped columns and rows, fills, transforms, suggestions and notes on the data."""
    data = result.dataset
    return ('<section id="dataset"><h2>Dataset notes</h2>'
            f"<h3>Left out</h3>{_list(_dropped(data))}"
            f"<h3>Features, transforms and filled gaps</h3>{_features_table(data)}"
            f"<h3>Suggestions</h3>{_list([_e(s) for s in data.get('suggestions') or []])}"
            f"<h3>Notes</h3>{_list([_e(n) for n in data.get('notes') or []])}</section>")


def report_html(result: "Result") -> str:
    """One standalone HTML page of a run (plotly.js inlined once), safe to open offline and share."""
    colours = segment_colours(result)
    body = "".join([_header(result), _cards(result, colours), _rules_table(result, colours),
                    _figures(result), _dataset_notes(result)])
    title = _e(f"Segmentation report: {_source(result)}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}'
            f"</title><style>{CSS}</style><script>{get_plotlyjs()}</script></head>"
            f"<body>{body}<footer class=\"muted\"><p>Made by Clearseg · "
            f"{len(result.segments)} segments · {human_number(result.dataset.get('rows_used'))} "
            "customers</p></footer></body></html>\n")
