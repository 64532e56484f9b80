"""The 404 page: a friendly card with a way home."""
from __future__ import annotations

import dash_bootstrap_components as dbc

from ..components.common import message_card


def layout(**_query) -> dbc.Card:
    """The not-found card."""
    return message_card("Page not found", text="There is nothing at this address. Start again "
                        "from the home page.", card_id="page-not-found",
                        link_text="Go to the home page")
