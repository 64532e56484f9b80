"""The owner's Delete button on a run page, with the confirm step it needs."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from . import page_ids

CONFIRM = ("Delete this run for good? Its results, downloads and share links go, and so does its "
           "uploaded file unless another run uses it. This cannot be undone.")


def delete_control() -> html.Div:
    """A Delete button that asks to confirm first; the answer (if refused) shows below it."""
    return html.Div([
        dbc.Button("Delete run", id=page_ids.RUN_DELETE, color="outline-danger", size="sm"),
        dcc.ConfirmDialog(id=page_ids.RUN_DELETE_CONFIRM, message=CONFIRM),
        html.Div(id=page_ids.RUN_DELETE_MESSAGE, className="small mt-1", role="status"),
    ], className="mt-3 run-delete")
