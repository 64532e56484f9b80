"""Home `/`: upload a file or pick a sample, check the preview and settings, find your runs.

`?upload=<id>` shows that upload's preview and settings (only if it belongs to this session);
`?upload_error=<message>` shows why the last upload was refused.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from .. import ids
from ..auth import csrf_field
from ..components import page_ids
from ..components.common import section
from ..components.preview import preview_section
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
    mine = run_list(store.runs_of(owner, limit=20), list_id="my-runs",
                    empty="No runs yet: upload a file or pick a sample to start.")
    demo = run_list(store.public_runs(limit=3), list_id="demo-runs",
                    empty="The demo run is not available.")
    return [section("Your runs", mine), section("Demo", demo)]


def _alert(message: str) -> dbc.Alert:
    return dbc.Alert(str(message)[:MAX_MESSAGE], id=ids.UPLOAD_MESSAGE, color="danger",
                     class_name="upload-message")


def upload_block(upload_id, *, owner: str) -> list:
    """The preview and settings of this session's upload, or why it cannot be used."""
    upload = get_store().upload(str(upload_id), owner=owner) if upload_id else None
    if upload is None:
        return [_alert("This upload is not available: it may belong to another browser session. "
                       "Upload the file again.")]
    if upload.get("error") or not upload.get("preview"):
        return [html.H1(upload["filename"], className="h4 text-break"),
                _alert(upload.get("error") or "This file could not be read.")]
    return [
        html.H1(upload["filename"], className="h4 mb-3 text-break"),
        dcc.Store(id=page_ids.UPLOAD_REF, data=upload["id"]),
        preview_section(upload["preview"]),
        settings_section(upload["preview"]),
    ]


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
    top = upload_block(upload_id, owner=owner) if upload_id else [_intro()]
    if error and not upload_id:
        top.append(_alert(error))
    return html.Div([
        html.Div(top, className="mb-2"),
        dbc.Row([dbc.Col(_start_column(), lg=7), dbc.Col(_runs_column(owner), lg=5)]),
    ], className="home")
