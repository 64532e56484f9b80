"""Callbacks of a run page beyond the tabs: renaming segments, switching between candidate k (in
the browser), the public-visibility warning, the copy buttons (in the browser) and Delete.

As everywhere, the browser's reference is checked again on every call (`view_from_ref`), and only
the run's owner may rename or delete.
"""
from __future__ import annotations

from dash import ALL, MATCH, Input, Output, State, callback, clientside_callback, no_update
from dash.exceptions import PreventUpdate

from explain.figures import segment_size_figure
from segmentation.errors import InputError
from service import usecases
from service.segment_names import rename
from service.usecases import UseCaseError

from . import ids
from .components import page_ids
from .components.access import load_result, view_from_ref
from .components.header import visibility_warning
from .context import current_owner, get_settings, get_store
from .renaming import clean_name

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
                 "ref": State(page_ids.VIEW_REF, "data")},
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
          State(page_ids.VIEW_REF, "data"), prevent_initial_call=True)
def redraw_sizes_after_rename(messages, ref):
    """Redraw the size chart with the names just saved (the cards' headings update themselves)."""
    if not any(isinstance(m, str) and m.startswith("Saved") for m in messages or []):
        raise PreventUpdate
    view = view_from_ref(ref)
    result = load_result(view) if view is not None and view.is_owner else None
    if result is None:
        raise PreventUpdate
    return segment_size_figure(result)


clientside_callback(  # show the picked candidate's segments (all are in the page already)
    "function(k, blocks) { return blocks.map(function (b) { return b.index !== k; }); }",
    Output({"type": page_ids.K_OPTION, "index": ALL}, "hidden"),
    Input(page_ids.K_SWITCHER, "value"), State({"type": page_ids.K_OPTION, "index": ALL}, "id"),
    prevent_initial_call=True)


@callback(Output(page_ids.VISIBILITY_WARNING, "children"), Input(ids.RUN_VISIBILITY, "value"),
          prevent_initial_call=True)
def warn_public(visibility):
    """Say what 'anyone with the address' exposes while it is picked."""
    return visibility_warning(visibility)


COPY = """function(n, target) {
    if (!n) { return window.dash_clientside.no_update; }
    return window.clearsegCopy(target);
}"""
clientside_callback(COPY, Output(page_ids.SHARE_COPY_STATUS, "children"),
                    Input(page_ids.SHARE_COPY, "n_clicks"), State(page_ids.SHARE_COPY, "id"),
                    prevent_initial_call=True)
clientside_callback(COPY, Output(page_ids.SQL_COPY_STATUS, "children"),
                    Input(page_ids.SQL_COPY, "n_clicks"), State(page_ids.SQL_COPY, "id"),
                    prevent_initial_call=True)


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
          state={"ref": State(page_ids.VIEW_REF, "data")},
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
