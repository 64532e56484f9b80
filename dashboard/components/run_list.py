"""Lists of runs on the home page: the session's own runs and the public demo."""
from __future__ import annotations

from dash import dcc, html

from service.repositories import RunRecord

from .common import status_badge, when


def run_item(run: RunRecord) -> dcc.Link:
    """One run as a list row linking to its page: title, status, when, and its last message."""
    detail = when(run.created_at)
    if run.message and run.status in ("done", "failed", "cancelled"):
        detail += f" · {run.message}"
    return dcc.Link([
        html.Div([html.Span(run.title or "Untitled run", className="fw-semibold text-break"),
                  status_badge(run.status)],
                 className="d-flex justify-content-between align-items-start gap-2"),
        html.Div(detail, className="small text-muted text-break"),
    ], href=f"/runs/{run.id}", className="list-group-item list-group-item-action run-item")


def run_list(runs: list[RunRecord], *, empty: str, list_id: str | None = None) -> html.Div:
    """Runs as a list group, or a muted sentence when there are none."""
    props = {"id": list_id} if list_id else {}
    if not runs:
        return html.Div(html.P(empty, className="text-muted small mb-0"), **props)
    return html.Div([run_item(run) for run in runs], className="list-group list-group-flush",
                    **props)
