"""Home `/`: upload a file or pick a sample, check the preview and settings, find your runs.

`?upload=<id>` shows that upload's preview and settings (only if it belongs to this session), or,
while the runner is still reading the file, a line saying so that polls until the preview is in;
`?upload_error=<message>` shows why the last upload was refused.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from .. import ids
from ..auth import csrf_field
from ..components import page_ids
from ..components.common import section
from ..components.preview import preview_section
from ..components.progress import POLL_MS
from ..components.run_list import run_list
from ..components.settings_form import settings_section
from ..components.urlstate import first_value
from ..context import current_owner, get_store
from ..samples import SAMPLES

ACCEPT = ".csv,.tsv,.txt,.xlsx,.parquet"
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


def _alert(message: str) -> dbc.Alert:
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
        dcc.Store(id=page_ids.UPLOAD_WAITING, data={"id": upload.id, "state": upload.preview_state}),
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
        return [_alert("This upload is not available: it may belong to another browser session. "
                       "Upload the file again.")]
    if upload.being_read:
        return _reading(upload)
    if upload.error or not upload.preview:
        return [html.H1(upload.filename, className="h4 text-break"),
                _alert(upload.error or "This file could not be read.")]
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
        top.append(_alert(error))
    return html.Div([
        html.Div(top, id=page_ids.UPLOAD_BLOCK, className="mb-2"),
        dbc.Row([dbc.Col(_start_column(), lg=7), dbc.Col(_runs_column(owner), lg=5)]),
    ], className="home")
