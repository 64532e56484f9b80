"""The Segments tab: one card per segment with its rule, key numbers and strategy."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from explain.figures import segment_size_figure
from explain.view import SegmentView, result_view

from .. import ids
from ..renaming import MAX_LENGTH
from . import page_ids
from .common import graph, swatch
from .urlstate import view_href


def _strategy(seg: SegmentView) -> list:
    parts = [html.P(seg.headline, className="fw-semibold mb-1 strategy-headline")]
    if seg.actions:
        parts.append(html.Ul([html.Li(a) for a in seg.actions], className="small mb-2"))
    if seg.kpi:
        parts.append(html.P([html.Span("KPI: ", className="fw-semibold"), seg.kpi],
                            className="small mb-1"))
    if seg.rationale:
        parts.append(html.P(seg.rationale, className="small text-muted mb-0"))
    return parts


def rename_form(sid: int, *, name: str) -> html.Details:
    """The owner's rename control: a native disclosure (keyboard-operable), a field and a button."""
    return html.Details([
        html.Summary("Rename", className="small rename-toggle"),
        html.Div([
            html.Label([html.Span(f"New name for segment {sid}", className="visually-hidden"),
                        dbc.Input(id=page_ids.rename_input(sid), value=name,
                                  maxLength=MAX_LENGTH, size="sm", type="text",
                                  class_name="rename-input")], className="flex-grow-1 mb-0"),
            html.Button("Save", id=page_ids.rename_save(sid), type="button", n_clicks=0,
                        className="btn btn-primary btn-sm rename-save"),
        ], className="d-flex gap-2 mt-1"),
        html.Div(id=page_ids.rename_message(sid), className="small mt-1", role="status"),
    ], className="mt-1 rename")


def _header(seg: SegmentView, *, can_rename: bool) -> dbc.CardHeader:
    return dbc.CardHeader([
        html.Div([swatch(seg.colour), html.Span(seg.label, className="small text-muted")],
                 className="d-flex align-items-center gap-2 mb-1"),
        html.H3(seg.name, className="h6 mb-1 segment-name", id=page_ids.segment_name(seg.id)),
        html.Div(seg.size, className="small text-muted"),
        rename_form(seg.id, name=seg.name) if can_rename else None,
    ], className="segment-card-header")


def _body(seg: SegmentView, *, base_path: str) -> dbc.CardBody:
    numbers = seg.key_numbers
    return dbc.CardBody([
        html.Div("Rule", className="label"),
        html.Code(seg.rule, className="rule-text d-block mb-3"),
        html.Div("Against all customers", className="label") if numbers else None,
        html.Ul([html.Li(n) for n in numbers], className="small mb-3 key-numbers") if numbers
        else None,
        html.Div("Strategy", className="label"),
        *_strategy(seg),
        html.Div([
            html.Span(f"Precision {seg.precision} · coverage {seg.coverage}",
                      className="small text-muted"),
            dcc.Link("Rule and SQL", className="small text-nowrap",
                     href=view_href(base_path, tab="rules", segment=seg.id)),
        ], className="d-flex justify-content-between align-items-center mt-3 pt-2 border-top"),
    ])


def segment_card(seg: SegmentView, *, base_path: str, selected: bool,
                 can_rename: bool = False) -> dbc.Card:
    """One segment's card, edged in its colour; `selected` rings it (the URL's ?segment=)."""
    classes = "segment-card h-100 shadow-sm" + (" segment-selected" if selected else "")
    return dbc.Card([_header(seg, can_rename=can_rename), _body(seg, base_path=base_path)],
                    className=classes, style={"borderTopColor": seg.colour,
                                              "--segment": seg.colour},
                    id=f"segment-card-{seg.id}")


def segment_cards(result, *, base_path: str, selected: int | None,
                  can_rename: bool = False) -> html.Div:
    """The cards of every segment in a responsive grid (id ids.SEGMENT_CARDS), with a rename
    control on each for the run's owner."""
    cols = [dbc.Col(segment_card(seg, base_path=base_path, selected=seg.id == selected,
                                 can_rename=can_rename), xs=12, md=6, xl=4, className="mb-4")
            for seg in result_view(result).segments]
    return html.Div(dbc.Row(cols), id=ids.SEGMENT_CARDS)


def segments_tab(result, *, base_path: str, selected: int | None,
                 can_rename: bool = False) -> html.Div:
    """The Segments tab: the size of every segment, then their cards."""
    return html.Div([
        graph(page_ids.SEGMENT_SIZE_GRAPH, segment_size_figure(result)),
        segment_cards(result, base_path=base_path, selected=selected, can_rename=can_rename),
    ])
