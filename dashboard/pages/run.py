"""A run `/runs/<run_id>`: live progress while it runs, then its report in tabs.

The query holds the view state (`tab`, `segment`, `features`) so every view can be linked. The run
id is checked against the session (`run_view`) here and again in every callback.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from .. import ids
from ..components import page_ids
from ..components.access import View, load_result, rules_sql_text, run_view
from ..components.common import message_card
from ..components.delete import delete_control
from ..components.header import (download_links, shared_download, summary_card, title_bar,
                                 visibility_picker)
from ..components.progress import ACTIVE, POLL_MS, ended_card, progress_card
from ..components.share import share_box
from ..components.structure import structure_block
from ..components.tabs import tabs_block
from ..components.urlstate import ViewQuery, parse_query
from ..context import get_settings, get_store

NOT_FOUND = "There is no such run, or it belongs to another browser session."


def not_found_card() -> dbc.Card:
    """The one answer for a run that does not exist or is not this session's."""
    return message_card("Run not found", text=NOT_FOUND, card_id="run-not-found")


def title(run_id=None, **_query) -> str:
    """The browser tab's title: the run's own title when this session may see it."""
    view = run_view(run_id)
    return f"Run: {view.run.title} · Clearseg" if view else "Run not found · Clearseg"


DEMO_OWNER = "demo"


def _note(view: View) -> str | None:
    """Whose run this is, for anyone but its owner."""
    if view.is_shared:
        return "A read-only view shared with you."
    if view.is_owner:
        return None
    if view.run.owner == DEMO_OWNER:
        return "A public demo run: read-only."
    if view.run.visibility == "team":
        return "A run shared with your team: read-only."
    return "A run its owner opened to anyone with the address: read-only."


def report_body(view: View, *, result, query: ViewQuery) -> list:
    """A finished run: heading, facts and downloads, the share box (owner only), the tabs."""
    token = view.base_path.rsplit("/", 1)[-1] if view.is_shared else None
    downloads = (shared_download(token) if view.is_shared else
                 download_links(view.run_id, order_log=bool(view.run.options.get("orders"))))
    if view.is_owner:
        downloads = html.Div([downloads, visibility_picker(view.run.visibility),
                              delete_control()])
    summary = summary_card(result, created=view.run.created_at, downloads=downloads)
    if view.is_owner and get_settings().sharing:
        shares = get_store().shares.of_run(view.run_id)
        top = dbc.Row([dbc.Col(summary, lg=7), dbc.Col(share_box(shares), lg=5)])
    else:
        top = summary
    sql = rules_sql_text(view) if query.tab == "rules" else ""
    return [title_bar(view.run.title, status="done", note=_note(view)), top,
            structure_block(result),
            tabs_block(result, query=query, base_path=view.base_path, rules_sql=sql,
                       can_rename=view.is_owner)]


def _status_parts(view: View, *, query: ViewQuery) -> list:
    run = view.run
    if run.status in ACTIVE:
        return [title_bar(run.title, status=run.status, note=_note(view)),
                progress_card(run, can_cancel=view.is_owner)]
    if run.status != "done":
        return [title_bar(run.title, status=run.status, note=_note(view)),
                ended_card(run, can_retry=view.is_owner)]
    result = load_result(view)
    if result is None:
        return [message_card("This run's result cannot be read",
                             text="The stored result is missing or from an unsupported version. "
                             "Run the file again.")]
    return report_body(view, result=result, query=query)


def body(parts: list) -> list:
    """The content of ids RUN_BODY: the page's own location (the view state) and the parts.

    The location lives inside the body so that a callback redrawing the body draws it too, and
    Dash then sees the tab callbacks' outputs as new and does not call them for nothing.
    """
    return [dcc.Location(id=page_ids.VIEW_LOCATION, refresh=False), *parts]


def run_body(view: View, *, query: ViewQuery) -> list:
    """What the page shows below the navbar for the run's current status."""
    return body(_status_parts(view, query=query))


def page(view: View, *, content: list, poll: bool) -> html.Div:
    """The page frame: the reference to the run, the poll timer, the body (see `body`)."""
    return html.Div([
        dcc.Store(id=page_ids.VIEW_REF, data=view.ref()),
        dcc.Interval(id=ids.RUN_POLL, interval=POLL_MS, disabled=not poll),
        html.Div(content, id=page_ids.RUN_BODY),
    ], className="run-page")


def layout(run_id=None, **query) -> html.Div | dbc.Card:
    """The run page, or a not-found card when this session may not see the run."""
    view = run_view(run_id)
    if view is None:
        return not_found_card()
    return page(view, content=run_body(view, query=parse_query(query)),
                poll=view.run.status in ACTIVE)
