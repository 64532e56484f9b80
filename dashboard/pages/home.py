"""Home `/`: upload a file or pick a sample, check the preview and settings, find your runs.

`?upload=<id>` shows that upload's preview and settings (only if it belongs to this session), or,
while the runner is still reading the file, a line saying so that polls until the preview is in;
`?upload_error=<message>` shows why the last upload was refused.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from segmentation.roles import FEATURE_ROLES
from service import usecases
from service.repositories import UploadRecord
from service.usecases import UseCaseError

from .. import ids
from ..auth import csrf_field
from ..components import page_ids
from ..components.common import section
from ..components.preview import MEANING_SELECT, preview_section
from ..components.progress import POLL_MS
from ..components.run_list import run_list
from ..components.settings_form import (column_names, effective_roles, feature_options,
                                       run_options_from_form, settings_section)
from ..components.urlstate import first_value
from ..context import current_owner, get_settings, get_store
from ..samples import SAMPLES
from .checks import alert, skip_first_render

ACCEPT = ".csv,.tsv,.txt,.xlsx,.parquet"
ROLE_VALUES = State({"type": page_ids.ROLE_SELECT, "index": ALL}, "value")
MAX_MESSAGE = 500


def upload_form() -> html.Form:
    """A plain multipart form posting the file to /upload (streamed to disk by the server)."""
    file_input = dcc.Input(type="file", name="file", id=ids.UPLOAD_DATA, className="file-input")
    return html.Form([
        csrf_field(),
        dbc.Label("Customer table or order log", html_for=ids.UPLOAD_DATA, class_name="small"),
        html.Div([file_input,
                  html.Button("Upload", type="submit", id=ids.UPLOAD_SUBMIT,
                              className="btn btn-primary")],
                 className="d-flex flex-wrap gap-2 align-items-center"),
        html.Div("CSV, TSV, TXT, XLSX or Parquet; one row per customer, or one per order.",
                 className="form-text"),
        html.Span(id=page_ids.UPLOAD_ACCEPT, hidden=True),
    ], action="/upload", method="POST", encType="multipart/form-data", id=ids.UPLOAD_FORM)


def sample_forms() -> html.Div:
    """One small POST form per sample data set."""
    items = [html.Form([
        csrf_field(),
        html.Div([html.Div(sample["title"], className="small fw-semibold"),
                  html.Code(sample["filename"], className="small")]),
        html.Button("Use", type="submit", className="btn btn-outline-primary btn-sm"),
    ], action=f"/samples/{name}", method="POST",
        className="d-flex justify-content-between align-items-center gap-2 py-2 sample-form")
        for name, sample in SAMPLES.items()]
    return html.Div(items, className="samples")


def _start_column() -> list:
    return [section("Upload", upload_form()), section("Or start from a sample", sample_forms())]


def _runs_column(owner: str) -> list:
    store = get_store()
    mine = run_list(store.runs.of_owner(owner, limit=20), list_id="my-runs",
                    empty="No runs yet: upload a file or pick a sample to start.")
    demo = run_list(store.runs.public(limit=3), list_id="demo-runs",
                    empty="The demo run is not available.")
    return [section("Your runs", mine), section("Demo", demo)]


def _upload_alert(message: str) -> dbc.Alert:
    return dbc.Alert(str(message)[:MAX_MESSAGE], id=ids.UPLOAD_MESSAGE, color="danger",
                     class_name="upload-message")


def _reading(upload) -> list:
    """An upload the runner has not read yet: a line saying so and the timer that polls it."""
    text = ("Reading the file: its preview appears here in a moment (a large workbook takes a "
            "few seconds)." if upload.preview_state == "reading" else
            "Waiting for a runner to read the file: its preview appears here once it is read.")
    return [
        html.H1(upload.filename, className="h4 mb-3 text-break"),
        html.P([dbc.Spinner(size="sm", spinner_class_name="me-2"), text],
               id=page_ids.UPLOAD_READING, className="text-muted"),
        dcc.Store(id=page_ids.UPLOAD_WAITING,
                  data={"id": upload.id, "state": upload.preview_state}),
        dcc.Interval(id=page_ids.UPLOAD_POLL, interval=POLL_MS),
    ]


def own_upload(upload_id, *, owner: str):
    """The upload with this id if it belongs to `owner` (None for anything else)."""
    if not isinstance(upload_id, str) or not upload_id:
        return None
    return get_store().uploads.get(upload_id, owner=owner)


def upload_block(upload) -> list:
    """The preview and settings of this session's upload, that it is still being read, or why
    it cannot be used (None: not this session's)."""
    if upload is None:
        return [_upload_alert("This upload is not available: it may belong to another browser "
                              "session. Upload the file again.")]
    if upload.being_read:
        return _reading(upload)
    if upload.error or not upload.preview:
        return [html.H1(upload.filename, className="h4 text-break"),
                _upload_alert(upload.error or "This file could not be read.")]
    return [
        html.H1(upload.filename, className="h4 mb-3 text-break"),
        dcc.Store(id=page_ids.UPLOAD_REF, data=upload.id),
        preview_section(upload.preview),
        settings_section(upload.preview),
    ]


@callback(Output(page_ids.UPLOAD_BLOCK, "children"),
          Input(page_ids.UPLOAD_POLL, "n_intervals"), State(page_ids.UPLOAD_WAITING, "data"),
          prevent_initial_call=True)
def poll_upload(_n_intervals, waiting):
    """The waiting line until the runner has read the upload, then its preview and settings (or
    why the file cannot be used) in its place. The id is checked against the session."""
    waiting = waiting if isinstance(waiting, dict) else {}
    upload = own_upload(waiting.get("id"), owner=current_owner())
    if upload is not None and upload.preview_state == waiting.get("state"):
        raise PreventUpdate
    return upload_block(upload)


def _intro() -> html.Div:
    return html.Div([
        html.H1("Customer segments you can read as rules", className="h3"),
        html.P("Upload customers or an order log: Clearseg finds the segments, writes each one as a "
               "rule you can paste into a CRM or a warehouse query, and suggests what to do with it.",
               className="text-muted mb-4"),
    ])


def layout(upload=None, upload_error=None, **_query) -> html.Div:
    """The home page; the query's upload id is checked against the session before use."""
    owner = current_owner()
    upload_id, error = first_value(upload), first_value(upload_error)
    top = upload_block(own_upload(upload_id, owner=owner)) if upload_id else [_intro()]
    if error and not upload_id:
        top.append(_upload_alert(error))
    return html.Div([
        html.Div(top, id=page_ids.UPLOAD_BLOCK, className="mb-2"),
        dbc.Row([dbc.Col(_start_column(), lg=7), dbc.Col(_runs_column(owner), lg=5)]),
    ], className="home")


def _readable_upload(upload_id) -> UploadRecord | None:
    """This session's upload if it was read without error: what the settings form works on."""
    upload = own_upload(upload_id, owner=current_owner())
    return upload if upload and upload.preview and not upload.error else None


# --- the settings form -------------------------------------------------------------------

clientside_callback(
    "function(id) { var el = document.getElementById(id);"
    f" if (el) {{ el.setAttribute('accept', '{ACCEPT}'); }} return ''; }}",
    Output(page_ids.UPLOAD_ACCEPT, "children"),
    Input(ids.UPLOAD_DATA, "id"),
)


@callback(Output(page_ids.ORDERS_PANEL, "is_open"), Output(page_ids.TABLE_PANEL, "is_open"),
          Input(page_ids.ORDERS_MODE, "value"), prevent_initial_call=True)
def toggle_order_mode(orders_on):
    """Order-log mode shows the order columns; table mode shows features and the id column."""
    skip_first_render()
    return bool(orders_on), not orders_on


@callback(output={"options": Output(page_ids.FEATURES, "options"),
                  "value": Output(page_ids.FEATURES, "value")},
          inputs={"role_values": Input({"type": page_ids.ROLE_SELECT, "index": ALL}, "value")},
          state={"current": State(page_ids.FEATURES, "value"),
                 "upload_id": State(page_ids.UPLOAD_REF, "data")},
          prevent_initial_call=True)
def sync_features(role_values, *, current, upload_id):
    """A changed role re-enables or disables its column among the features (and ticks new ones)."""
    skip_first_render()
    upload = _readable_upload(upload_id)
    if upload is None:
        raise PreventUpdate
    preview = upload.preview
    roles = effective_roles(preview, role_values=role_values)
    inferred = {c["name"]: c["role"] for c in preview["columns"]}
    became = {n for n, r in roles.items() if r in FEATURE_ROLES and r != inferred.get(n)}
    kept = set(current or []) | became
    value = [n for n in column_names(preview) if roles.get(n) in FEATURE_ROLES and n in kept]
    return {"options": feature_options(preview, roles=roles), "value": value}


FORM = {
    "features": State(page_ids.FEATURES, "value"),
    "id_column": State(page_ids.ID_COLUMN, "value"),
    "orders": State(page_ids.ORDERS_MODE, "value"),
    "order_fields": {name: State(page_ids.order_field(name), "value")
                     for name in page_ids.ORDER_FIELDS},
    "as_of": State(page_ids.ORDER_AS_OF, "value"),
    "method": State(page_ids.METHOD, "value"),
    "k": State(page_ids.K, "value"),
    "depth": State(page_ids.DEPTH, "value"),
    "seed": State(page_ids.SEED, "value"),
    "roles": ROLE_VALUES,
    "meanings": {"ids": State({"type": MEANING_SELECT, "index": ALL}, "id"),
                 "values": State({"type": MEANING_SELECT, "index": ALL}, "value")},
}


@callback(output={"href": Output(ids.URL, "href"),
                  "message": Output(page_ids.RUN_MESSAGE, "children")},
          inputs={"n_clicks": Input(ids.RUN_BUTTON, "n_clicks")},
          state={"upload_id": State(page_ids.UPLOAD_REF, "data"), "form": FORM},
          prevent_initial_call=True)
def submit_run(n_clicks, *, upload_id, form):
    """Queue a run of this session's upload with the checked settings, then open its page."""
    if not n_clicks:
        raise PreventUpdate
    if _readable_upload(upload_id) is None:
        return {"href": no_update, "message": alert("This upload is not available any more: "
                                                     "upload the file again.")}
    try:
        run = usecases.submit_run(
            get_store(), owner=current_owner(), upload_id=upload_id, settings=get_settings(),
            options_for=lambda upload: run_options_from_form(
                form or {}, preview=upload.preview, filename=upload.filename))
    except UseCaseError as exc:
        return {"href": no_update, "message": alert(exc.message)}
    return {"href": f"/runs/{run.id}", "message": None}
