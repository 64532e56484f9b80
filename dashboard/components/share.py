"""The share box of a run's owner: create a read-only link, see the links made, revoke them."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import dash_bootstrap_components as dbc
from dash import html

from service.repositories import ShareRecord

from .. import ids
from . import page_ids
from .common import when

EXPIRY_OPTIONS = [{"label": "Never expires", "value": "never"},
                  {"label": "Expires in 7 days", "value": "7"},
                  {"label": "Expires in 30 days", "value": "30"}]
EXPIRY_DAYS = {"never": None, "7": 7, "30": 30}


def expiry_days(choice) -> int | None:
    """Days until a new link expires from the select's value; anything unknown never expires."""
    return EXPIRY_DAYS.get(str(choice), None)


def link_state(share: ShareRecord, *, now: float | None = None) -> str:
    """'active', 'revoked' or 'expired'."""
    now = time.time() if now is None else now
    if share.revoked_at:
        return "revoked"
    if share.expires_at is not None and share.expires_at < now:
        return "expired"
    return "active"


def _expiry_text(share: ShareRecord) -> str:
    if share.expires_at is None:
        return "never expires"
    moment = datetime.fromtimestamp(share.expires_at, tz=timezone.utc)
    return "expires " + when(moment.isoformat(timespec="seconds"))


def link_row_children(share: ShareRecord) -> list:
    """What one link's list item shows: when it was made, its state, and a revoke button."""
    state = link_state(share)
    colour = {"active": "success", "revoked": "secondary", "expired": "warning"}[state]
    text = f"Link created {when(share.created_at)}, {_expiry_text(share)}"
    button = (dbc.Button("Revoke", id=page_ids.share_revoke(share.id), color="outline-danger",
                         size="sm") if state == "active" else None)
    return [html.Div([dbc.Badge(state, color=colour, class_name="me-2"),
                      html.Span(text, className="small")]), button]


def link_list(shares: list[ShareRecord]) -> html.Ul | html.P:
    """Every link made for the run, oldest first (the content of ids.SHARE_LIST)."""
    if not shares:
        return html.P("No links yet.", className="text-muted small mb-0")
    rows = [html.Li(link_row_children(share), id=page_ids.share_row(share.id),
                    className="list-group-item d-flex justify-content-between "
                              "align-items-center gap-2")
            for share in shares]
    return html.Ul(rows, className="list-group list-group-flush")


def share_box(shares: list[ShareRecord]) -> dbc.Card:
    """Create a link (with an expiry), copy its URL, and manage the links already made."""
    url = dbc.Input(id=ids.SHARE_URL, value="", readonly=True, type="text",
                    placeholder="Create a link to see its address here", class_name="share-url")
    return dbc.Card([
        dbc.CardHeader(html.H2("Share a read-only link", className="h6 mb-0")),
        dbc.CardBody([
            html.P("Anyone with the link sees the segments, rules and charts of this run, and "
                   "nothing else: no file, no customer ids, and the pair plot as densities per "
                   "segment rather than customers. Revoke it at any time.",
                   className="small text-muted"),
            dbc.Row([
                dbc.Col(dbc.Select(id=page_ids.SHARE_EXPIRY, options=EXPIRY_OPTIONS, value="never",
                                   size="sm"), sm=6),
                dbc.Col(dbc.Button("Create link", id=ids.SHARE_BUTTON, color="primary", size="sm",
                                   class_name="w-100"), sm=6),
            ], className="g-2 mb-2"),
            dbc.InputGroup([url, html.Button("Copy", id=page_ids.SHARE_COPY, type="button",
                                             n_clicks=0, title="Copy the link",
                                             className="btn btn-outline-secondary copy-button")],
                           size="sm", class_name="mb-1"),
            html.Div(id=page_ids.SHARE_COPY_STATUS, className="small text-muted mb-2",
                     role="status"),
            html.Div(id=page_ids.SHARE_MESSAGE),
            html.Div(link_list(shares), id=ids.SHARE_LIST, className="share-links"),
        ]),
    ], className="shadow-sm mb-4")
