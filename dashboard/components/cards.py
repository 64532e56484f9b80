"""The Segments tab: one card per segment with its rule, key numbers and strategy."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from explain.figures import segment_colours, segment_size_figure
from explain.format import feature_label, human_number, human_share

from .. import ids
from ..renaming import MAX_LENGTH
from . import page_ids
from .common import graph, percent, swatch
from .urlstate import view_href

UNUSUAL_ID = 0
KEY_NUMBERS = 3


def _numeric_fact(profile: dict, *, feature: str) -> str | None:
    """'annual income 85k vs 52k': the segment's mean against all customers'."""
    entry = next((e for e in profile.get("numeric") or [] if e.get("feature") == feature), None)
    if entry is None:
        return None
    return (f"{feature_label(feature)} {human_number(entry.get('mean'))} vs "
            f"{human_number(entry.get('base_mean'))}")


def _level_fact(profile: dict, *, feature: str, level) -> str | None:
    """'signup channel Store: 36% vs 26%': the level's share in the segment against all customers."""
    entry = next((e for e in profile.get("categorical") or []
                  if e.get("feature") == feature and e.get("level") == level), None)
    if entry is None:
        return None
    return (f"{feature_label(feature)} {level}: {human_share(entry.get('share'))} vs "
            f"{human_share(entry.get('base_share'))}")


def key_numbers(segment: dict) -> list[str]:
    """The segment's most distinctive features as 'name value vs base' sentences."""
    profile = segment.get("profile") or {}
    out = []
    for trait in (profile.get("distinctive") or [])[:KEY_NUMBERS]:
        if trait.get("direction") == "level":
            fact = _level_fact(profile, feature=trait.get("feature"), level=trait.get("level"))
        else:
            fact = _numeric_fact(profile, feature=trait.get("feature"))
        if fact:
            out.append(fact)
    return out


def _strategy(segment: dict) -> list:
    card = segment.get("strategy") or {}
    parts = [html.P(card.get("headline", ""), className="fw-semibold mb-1 strategy-headline")]
    if card.get("actions"):
        parts.append(html.Ul([html.Li(a) for a in card["actions"]], className="small mb-2"))
    if card.get("kpi"):
        parts.append(html.P([html.Span("KPI: ", className="fw-semibold"), card["kpi"]],
                            className="small mb-1"))
    if card.get("rationale"):
        parts.append(html.P(card["rationale"], className="small text-muted mb-0"))
    return parts


def rename_form(segment: dict) -> html.Details:
    """The owner's rename control: a native disclosure (keyboard-operable), a field and a button."""
    sid = int(segment["id"])
    return html.Details([
        html.Summary("Rename", className="small rename-toggle"),
        html.Div([
            html.Label([html.Span(f"New name for segment {sid}", className="visually-hidden"),
                        dbc.Input(id=page_ids.rename_input(sid), value=segment["name"],
                                  maxLength=MAX_LENGTH, size="sm", type="text",
                                  class_name="rename-input")], className="flex-grow-1 mb-0"),
            html.Button("Save", id=page_ids.rename_save(sid), type="button", n_clicks=0,
                        className="btn btn-primary btn-sm rename-save"),
        ], className="d-flex gap-2 mt-1"),
        html.Div(id=page_ids.rename_message(sid), className="small mt-1", role="status"),
    ], className="mt-1 rename")


def _header(segment: dict, *, colour: str, can_rename: bool) -> dbc.CardHeader:
    label = "Unusual" if int(segment["id"]) == UNUSUAL_ID else f"Segment {segment['id']}"
    return dbc.CardHeader([
        html.Div([swatch(colour), html.Span(label, className="small text-muted")],
                 className="d-flex align-items-center gap-2 mb-1"),
        html.H3(segment["name"], className="h6 mb-1 segment-name",
                id=page_ids.segment_name(int(segment["id"]))),
        html.Div(f"{human_number(segment['size'])} customers · {human_share(segment['share'])}",
                 className="small text-muted"),
        rename_form(segment) if can_rename else None,
    ], className="segment-card-header")


def _body(segment: dict, *, base_path: str) -> dbc.CardBody:
    numbers = key_numbers(segment)
    return dbc.CardBody([
        html.Div("Rule", className="label"),
        html.Code(segment["rule"]["text"], className="rule-text d-block mb-3"),
        html.Div("Against all customers", className="label") if numbers else None,
        html.Ul([html.Li(n) for n in numbers], className="small mb-3 key-numbers") if numbers
        else None,
        html.Div("Strategy", className="label"),
        *_strategy(segment),
        html.Div([
            html.Span(f"Precision {percent(segment.get('precision'))} · coverage "
                      f"{percent(segment.get('coverage'))}", className="small text-muted"),
            dcc.Link("Rule and SQL", className="small text-nowrap",
                     href=view_href(base_path, tab="rules", segment=int(segment["id"]))),
        ], className="d-flex justify-content-between align-items-center mt-3 pt-2 border-top"),
    ])


def segment_card(segment: dict, *, colour: str, base_path: str, selected: bool,
                 can_rename: bool = False) -> dbc.Card:
    """One segment's card, edged in its colour; `selected` rings it (the URL's ?segment=)."""
    classes = "segment-card h-100 shadow-sm" + (" segment-selected" if selected else "")
    return dbc.Card([_header(segment, colour=colour, can_rename=can_rename),
                     _body(segment, base_path=base_path)],
                    className=classes, style={"borderTopColor": colour, "--segment": colour},
                    id=f"segment-card-{int(segment['id'])}")


def segment_cards(result, *, base_path: str, selected: int | None,
                  can_rename: bool = False) -> html.Div:
    """The cards of every segment in a responsive grid (id ids.SEGMENT_CARDS), with a rename
    control on each for the run's owner."""
    colours = segment_colours(result)
    cols = [dbc.Col(segment_card(seg, colour=colours[int(seg["id"])], base_path=base_path,
                                 selected=int(seg["id"]) == selected, can_rename=can_rename),
                    xs=12, md=6, xl=4, className="mb-4")
            for seg in result.segments]
    return html.Div(dbc.Row(cols), id=ids.SEGMENT_CARDS)


def segments_tab(result, *, base_path: str, selected: int | None,
                 can_rename: bool = False) -> html.Div:
    """The Segments tab: the size of every segment, then their cards."""
    return html.Div([
        graph(page_ids.SEGMENT_SIZE_GRAPH, segment_size_figure(result)),
        segment_cards(result, base_path=base_path, selected=selected, can_rename=can_rename),
    ])
