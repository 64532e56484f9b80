"""A run that is not finished: the live progress card, or the failed / cancelled card."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from .. import ids
from . import page_ids

STAGES = (
    ("reading", "Reading"),
    ("preparing", "Preparing"),
    ("choosing_k", "Choosing k"),
    ("clustering", "Clustering"),
    ("explaining", "Explaining"),
    ("profiling", "Profiling"),
)
ACTIVE = ("queued", "running")
POLL_MS = 700


def stage_label(stage) -> str:
    """A stage's name as shown ('choosing_k' -> 'Choosing k')."""
    return dict(STAGES).get(stage, str(stage or "").replace("_", " ").capitalize())


def progress_state(run: dict) -> dict:
    """The bar's value (0-100) and label, and the status sentence, of a queued or running run."""
    if run["status"] == "queued":
        return {"value": 0, "label": "", "status": "Queued: " + (run.get("message") or
                                                                 "waiting for a free runner")}
    percent = int(round(100 * min(max(float(run.get("progress") or 0.0), 0.0), 1.0)))
    stage = stage_label(run.get("stage")) or "Starting"
    message = run.get("message") or ""
    status = f"{stage} · {percent}%" + (f" · {message}" if message else "")
    if run.get("cancel_requested"):
        status = "Cancelling: the run stops at its next step"
    return {"value": percent, "label": f"{percent}%", "status": status}


def _steps(run: dict) -> html.Ol:
    """The six stages, the finished ones ticked and the current one marked."""
    keys = [key for key, _ in STAGES]
    current = keys.index(run.get("stage")) if run.get("stage") in keys else -1
    if run["status"] == "queued":
        current = -1
    items = []
    for pos, (_, label) in enumerate(STAGES):
        state = "done" if pos < current else "current" if pos == current else "todo"
        items.append(html.Li(label, className=f"stage stage-{state}"))
    return html.Ol(items, className="stages")


def progress_card(run: dict, *, can_cancel: bool) -> dbc.Card:
    """The live card of a queued or running run: bar, stage, status and a cancel button."""
    state = progress_state(run)
    cancel = dbc.Button("Cancel run", id=ids.RUN_CANCEL, color="outline-danger", size="sm",
                        disabled=bool(run.get("cancel_requested")))
    return dbc.Card(dbc.CardBody([
        html.H2("Segmenting your customers", className="h5 mb-3"),
        _steps(run),
        dbc.Progress(id=ids.RUN_PROGRESS, value=state["value"], label=state["label"],
                     striped=True, animated=True, class_name="run-progress mb-2",
                     style={"height": "1.4rem"}),
        html.Div([html.Span(state["status"], id=ids.RUN_STATUS, className="text-muted small"),
                  cancel if can_cancel else None],
                 className="d-flex justify-content-between align-items-center gap-3"),
    ]), className="shadow-sm mb-4 progress-card")


def ended_card(run: dict, *, can_retry: bool) -> dbc.Card:
    """A failed or cancelled run: what the store says happened, and a way to run it again."""
    cancelled = run["status"] == "cancelled"
    title = "This run was cancelled" if cancelled else "This run failed"
    message = run.get("message") or ("cancelled" if cancelled else "no reason was stored")
    actions = [dbc.Button("Run again", id=page_ids.RUN_RETRY, color="primary", size="sm")
               if can_retry else None,
               html.A("Upload another file", href="/", className="btn btn-link btn-sm")]
    return dbc.Card(dbc.CardBody([
        html.H2(title, className="h5 mb-2"),
        dbc.Alert(message, color="warning" if cancelled else "danger", class_name="run-message"),
        html.Div(actions, className="d-flex gap-2"),
    ]), className="shadow-sm mb-4")
