"""A shared run `/share/<token>`: the report of one finished run, read-only.

The token alone decides which run is shown (checked on every request); the page offers no share
box, no data downloads and nothing about the owner, the uploaded file or the customers' ids.
Every failure (unknown, revoked or expired link, sharing off, too many failed attempts) gets the
same card.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from ..components.access import load_result, share_view
from ..components.common import message_card
from ..components.urlstate import parse_query
from .run import body, page, report_body

NOT_VALID = ("It may have been revoked or have expired, or it was copied incompletely. Ask the "
             "person who shared it for a new link.")


def not_valid_card() -> dbc.Card:
    """The one answer for malformed, unknown, revoked and expired links alike."""
    return message_card("This link is not valid", text=NOT_VALID, card_id="share-not-valid",
                        link_text="Go to Clearseg")


def title(token=None, **_query) -> str:
    """The browser tab's title (also the link preview's): a generic one while the link is valid."""
    view = share_view(token, count=False)
    return f"Shared: {view.run.title} · Clearseg" if view else "Link not valid · Clearseg"


def layout(token=None, **query) -> html.Div | dbc.Card:
    """The read-only report a valid token opens."""
    view = share_view(token)
    result = load_result(view) if view else None
    if result is None:
        return not_valid_card()
    content = body(report_body(view, result=result, query=parse_query(query)))
    return page(view, content=content, poll=False)
