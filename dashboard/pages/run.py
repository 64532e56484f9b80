"""A run `/runs/<run_id>`: live progress while it runs, then its report in tabs; and the page's
callbacks: progress, cancel, run again, share links, visibility, segment names and delete (the
report's own, shared with share views, are in pages/report.py).

The query holds the view state (`tab`, `segment`, `features`) so every view can be linked. The run
id is checked against the session (`run_view`) here and again in every callback; only the run's
owner may cancel, run again, share, rename or delete.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
import flask
from dash import (ALL, MATCH, Input, Output, State, callback, clientside_callback, dcc, html,
                  no_update)
from dash.exceptions import PreventUpdate

from explain.figures import segment_size_figure
from segmentation.errors import InputError
from service import usecases
from service.segment_names import rename
from service.usecases import UseCaseError

from .. import ids
from ..components import page_ids
from ..components.access import View, load_result, rules_sql_text, run_view, view_from_ref
from ..components.common import message_card
from ..components.delete import delete_control
from ..components.header import (download_links, shared_download, summary_card, title_bar,
                                 visibility_picker, visibility_warning)
from ..components.progress import ACTIVE, POLL_MS, ended_card, progress_card
from ..components.share import expiry_days, link_list, link_row_children, share_box
from ..components.structure import structure_block
from ..components.tabs import tabs_block
from ..components.urlstate import ViewQuery, parse_query, parse_search
from ..context import current_owner, get_settings, get_store
from ..renaming import clean_name
from .checks import VIEW_REF, alert, owner_button, owners_view, skip_first_render
from .report import COPY

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


# --- progress, cancel, run again -----------------------------------------------------

@callback(output={"body": Output(page_ids.RUN_BODY, "children"),
                  "stop": Output(ids.RUN_POLL, "disabled")},
          inputs={"n_intervals": Input(ids.RUN_POLL, "n_intervals")},
          state={"ref": VIEW_REF, "search": State(page_ids.VIEW_LOCATION, "search")},
          prevent_initial_call=True)
def poll_run(n_intervals, *, ref, search):
    """Redraw the progress card while the run is active; once it ends, stop and show the outcome."""
    view = view_from_ref(ref)
    if view is None or view.is_shared:
        return {"body": not_found_card(), "stop": True}
    active = view.run.status in ACTIVE
    return {"body": run_body(view, query=parse_search(search)), "stop": not active}


@owner_button(ids.RUN_CANCEL, status=Output(ids.RUN_STATUS, "children"),
              disabled=Output(ids.RUN_CANCEL, "disabled"))
def cancel_run(view):
    """Ask the store to cancel the owner's run (at once when queued, at its next step if running)."""
    try:
        usecases.cancel_run(get_store(), owner=current_owner(), run_id=view.run_id)
    except UseCaseError:
        return {"status": "This run has already ended.", "disabled": True}
    return {"status": "Cancelling: the run stops at its next step.", "disabled": True}


@owner_button(page_ids.RUN_RETRY,
              body=Output(page_ids.RUN_BODY, "children", allow_duplicate=True),
              stop=Output(ids.RUN_POLL, "disabled", allow_duplicate=True))
def retry_run(view):
    """Queue the owner's failed or cancelled run again and show its progress."""
    try:
        usecases.retry_run(get_store(), owner=current_owner(), run_id=view.run_id,
                           settings=get_settings())
    except UseCaseError as exc:
        content = run_body(view, query=ViewQuery())
        return {"body": [content[0], alert(exc.message), *content[1:]], "stop": True}
    view = run_view(view.run_id)
    return {"body": run_body(view, query=ViewQuery()), "stop": False}


# --- share links -------------------------------------------------------------------------------

@callback(output={"url": Output(ids.SHARE_URL, "value"),
                  "links": Output(ids.SHARE_LIST, "children"),
                  "message": Output(page_ids.SHARE_MESSAGE, "children")},
          inputs={"n_clicks": Input(ids.SHARE_BUTTON, "n_clicks")},
          state={"expiry": State(page_ids.SHARE_EXPIRY, "value"),
                 "ref": VIEW_REF},
          prevent_initial_call=True)
def create_share_link(n_clicks, *, expiry, ref):
    """Make a read-only link to the owner's finished run and show its full address."""
    if not n_clicks:
        raise PreventUpdate
    view = view_from_ref(ref)
    store, owner = get_store(), current_owner()
    if view is None or not view.is_owner:
        return {"url": "", "links": no_update,
                "message": alert("Only the owner of a finished run can share it.")}
    try:
        link = usecases.create_share(store, get_settings(), owner=owner, run_id=view.run_id,
                                     expires_in_days=expiry_days(expiry),
                                     request_base=flask.request.host_url)
    except UseCaseError as exc:
        return {"url": "", "links": no_update, "message": alert(_share_refusal(exc))}
    return {"url": link.url, "links": link_list(store.shares.of_run(view.run_id)),
            "message": None}


def _share_refusal(exc: UseCaseError) -> str:
    """The share box's wording of a refused link."""
    if exc.status == 403:
        return "Sharing is turned off on this server."
    return "Only the owner of a finished run can share it."


@callback(Output({"type": page_ids.SHARE_ROW, "index": MATCH}, "children"),
          inputs={"n_clicks": Input({"type": page_ids.SHARE_REVOKE, "index": MATCH}, "n_clicks")},
          state={"button_id": State({"type": page_ids.SHARE_REVOKE, "index": MATCH}, "id"),
                 "ref": VIEW_REF},
          prevent_initial_call=True)
def revoke_share_link(n_clicks, *, button_id, ref):
    """Revoke one link of the owner's run; the link stops working at once, on every worker."""
    view = owners_view(ref, clicked=n_clicks)
    if not isinstance(button_id, dict):
        raise PreventUpdate
    try:
        share = usecases.revoke_share(get_store(), owner=current_owner(), run_id=view.run_id,
                                      share_id=str(button_id.get("index")))
    except UseCaseError:
        raise PreventUpdate from None
    return link_row_children(share)


@callback(Output(ids.RUN_VISIBILITY, "valid"), Input(ids.RUN_VISIBILITY, "value"),
          VIEW_REF, prevent_initial_call=True)
def set_run_visibility(visibility, ref):
    """The owner decides who else may open the run: nobody, the team, or anyone with the address."""
    skip_first_render()
    view = owners_view(ref)
    try:
        usecases.set_visibility(get_store(), owner=current_owner(), run_id=view.run_id,
                                visibility=visibility)
    except UseCaseError:
        raise PreventUpdate from None
    return True


@callback(Output(page_ids.VISIBILITY_WARNING, "children"), Input(ids.RUN_VISIBILITY, "value"),
          prevent_initial_call=True)
def warn_public(visibility):
    """Say what 'anyone with the address' exposes while it is picked."""
    return visibility_warning(visibility)


clientside_callback(COPY, Output(page_ids.SHARE_COPY_STATUS, "children"),
                    Input(page_ids.SHARE_COPY, "n_clicks"), State(page_ids.SHARE_COPY, "id"),
                    prevent_initial_call=True)


# --- segment names ---------------------------------------------------------------------------

SEGMENT = {"type": page_ids.RENAME_SAVE, "index": MATCH}


def rename_segment(ref, *, segment_id, text) -> tuple[str | None, str]:
    """(the stored name or None, what to tell the owner) for a rename of one segment."""
    view = view_from_ref(ref)
    result = load_result(view) if view is not None and view.is_owner else None
    segment = result.segment(segment_id) if result is not None else None
    if segment is None:
        return None, "Only the owner of this run can rename its segments."
    others = [str(s.name) for s in result.segments if s.id != segment.id]
    try:
        name = clean_name(text, others=others)
    except InputError as exc:
        return None, str(exc)
    if not rename(get_store(), view.run_id, owner=current_owner(), segment_id=segment.id,
                  name=name):
        return None, "Only the owner of this run can rename its segments."
    return name, "Saved: the downloads, the report and share links use this name."


@callback(output={"name": Output({"type": page_ids.SEGMENT_NAME, "index": MATCH}, "children"),
                  "message": Output({"type": page_ids.RENAME_MESSAGE, "index": MATCH},
                                    "children")},
          inputs={"n_clicks": Input(SEGMENT, "n_clicks"),
                  "n_submit": Input({"type": page_ids.RENAME_INPUT, "index": MATCH}, "n_submit")},
          state={"text": State({"type": page_ids.RENAME_INPUT, "index": MATCH}, "value"),
                 "button": State(SEGMENT, "id"),
                 "ref": VIEW_REF},
          prevent_initial_call=True)
def save_segment_name(n_clicks, n_submit, *, text, button, ref):
    """Store the owner's new name for a segment and show it on its card."""
    if not (n_clicks or n_submit) or not isinstance(button, dict):
        raise PreventUpdate
    try:
        segment_id = int(button.get("index"))
    except (TypeError, ValueError):
        raise PreventUpdate from None
    name, message = rename_segment(ref, segment_id=segment_id, text=text)
    return {"name": name if name is not None else no_update, "message": message}


@callback(Output(page_ids.SEGMENT_SIZE_GRAPH, "figure"),
          Input({"type": page_ids.RENAME_MESSAGE, "index": ALL}, "children"),
          VIEW_REF, prevent_initial_call=True)
def redraw_sizes_after_rename(messages, ref):
    """Redraw the size chart with the names just saved (the cards' headings update themselves)."""
    if not any(isinstance(m, str) and m.startswith("Saved") for m in messages or []):
        raise PreventUpdate
    view = view_from_ref(ref)
    result = load_result(view) if view is not None and view.is_owner else None
    if result is None:
        raise PreventUpdate
    return segment_size_figure(result)


# --- delete ----------------------------------------------------------------------------------

@callback(Output(page_ids.RUN_DELETE_CONFIRM, "displayed"), Input(page_ids.RUN_DELETE, "n_clicks"),
          prevent_initial_call=True)
def ask_to_delete(n_clicks):
    """The confirm step before a run is deleted."""
    if not n_clicks:
        raise PreventUpdate
    return True


@callback(output={"href": Output(ids.URL, "href", allow_duplicate=True),
                  "message": Output(page_ids.RUN_DELETE_MESSAGE, "children")},
          inputs={"confirmed": Input(page_ids.RUN_DELETE_CONFIRM, "submit_n_clicks")},
          state={"ref": VIEW_REF},
          prevent_initial_call=True)
def delete_confirmed(confirmed, *, ref):
    """Delete the owner's run (and its upload when no other run uses it), then go home."""
    view = view_from_ref(ref)
    if not confirmed or view is None or not view.is_owner:
        raise PreventUpdate
    try:
        usecases.delete_run(get_store(), get_settings(), owner=current_owner(),
                            run_id=view.run_id, with_upload=True)
    except UseCaseError as exc:
        return {"href": no_update, "message": exc.message[:1].upper() + exc.message[1:] + "."}
    return {"href": "/", "message": None}
