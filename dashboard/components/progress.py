"""A run that is not finished: the live progress card, or the failed / cancelled card."""
from __future__ import annotations

from datetime import datetime, timezone

import dash_bootstrap_components as dbc
from dash import html

from service.repositories import RunRecord

from .. import ids
from . import page_ids
from .delete import delete_control

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


def _seconds_since(iso, *, now: datetime) -> float | None:
    try:
        moment = datetime.fromisoformat(str(iso))
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (now - moment).total_seconds())


def elapsed_text(run: RunRecord, *, now: datetime | None = None) -> str:
    """'in the queue for 12 s' while queued, '1 min 05 s elapsed' once started ('' if unknown)."""
    now = now or datetime.now(timezone.utc)
    queued = run.status == "queued" or not run.started_at
    seconds = _seconds_since(run.created_at if queued else run.started_at, now=now)
    if seconds is None:
        return ""
    minutes, rest = divmod(int(seconds), 60)
    span = f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"
    return f"in the queue for {span}" if queued else f"{span} elapsed"


def progress_state(run: RunRecord, *, now: datetime | None = None) -> dict:
    """The bar's value (0-100) and label, the status sentence and the time elapsed, of a queued
    or running run."""
    elapsed = elapsed_text(run, now=now)
    if run.status == "queued":
        return {"value": 0, "label": "", "elapsed": elapsed,
                "status": "Queued: " + (run.message or "waiting for a free runner")}
    percent = int(round(100 * min(max(float(run.progress or 0.0), 0.0), 1.0)))
    stage = stage_label(run.stage) or "Starting"
    message = run.message or ""
    status = f"{stage} · {percent}%" + (f" · {message}" if message else "")
    if run.cancel_requested:
        status = "Cancelling: the run stops at its next step"
    return {"value": percent, "label": f"{percent}%", "status": status, "elapsed": elapsed}


def _steps(run: RunRecord) -> html.Ol:
    """The six stages, the finished ones ticked and the current one marked."""
    keys = [key for key, _ in STAGES]
    current = keys.index(run.stage) if run.stage in keys else -1
    if run.status == "queued":
        current = -1
    items = []
    for pos, (_, label) in enumerate(STAGES):
        state = "done" if pos < current else "current" if pos == current else "todo"
        items.append(html.Li(label, className=f"stage stage-{state}"))
    return html.Ol(items, className="stages")


def progress_card(run: RunRecord, *, can_cancel: bool) -> dbc.Card:
    """The live card of a queued or running run: bar, stage, status and a cancel button."""
    state = progress_state(run)
    cancel = dbc.Button("Cancel run", id=ids.RUN_CANCEL, color="outline-danger", size="sm",
                        disabled=run.cancel_requested)
    return dbc.Card(dbc.CardBody([
        html.H2("Segmenting your customers", className="h5 mb-3"),
        _steps(run),
        dbc.Progress(id=ids.RUN_PROGRESS, value=state["value"], label=state["label"],
                     striped=True, animated=True, class_name="run-progress mb-2",
                     style={"height": "1.4rem"}),
        html.Div([html.Div([html.Span(state["status"], id=ids.RUN_STATUS,
                                      className="text-muted small"),
                            html.Span(state["elapsed"], id=page_ids.RUN_ELAPSED,
                                      className="text-muted small ms-2 run-elapsed")]),
                  cancel if can_cancel else None],
                 className="d-flex justify-content-between align-items-center gap-3"),
    ]), className="shadow-sm mb-4 progress-card")


def ended_card(run: RunRecord, *, can_retry: bool) -> dbc.Card:
    """A failed or cancelled run: what the store says happened, and a way to run it again."""
    cancelled = run.status == "cancelled"
    title = "This run was cancelled" if cancelled else "This run failed"
    message = run.message or ("cancelled" if cancelled else "no reason was stored")
    actions = [dbc.Button("Run again", id=page_ids.RUN_RETRY, color="primary", size="sm")
               if can_retry else None,
               html.A("Upload another file", href="/", className="btn btn-link btn-sm")]
    return dbc.Card(dbc.CardBody([
        html.H2(title, className="h5 mb-2"),
        dbc.Alert(message, color="warning" if cancelled else "danger", class_name="run-message"),
        html.Div(actions, className="d-flex gap-2"),
        delete_control() if can_retry else None,
    ]), className="shadow-sm mb-4")
