"""The top of a run page: its title and status, the key facts of a finished run, the downloads."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from explain.view import METHOD_NAMES, kept_text, percent

from .. import ids
from . import page_ids
from .common import facts, status_badge, when

DOWNLOADS = (
    ("assignments.csv", ids.DOWNLOAD_ASSIGNMENTS, "Assignments (CSV)"),
    ("rules.sql", ids.DOWNLOAD_RULES_SQL, "Rules (SQL)"),
    ("report.html", ids.DOWNLOAD_REPORT, "Report (HTML)"),
    ("result.json", ids.DOWNLOAD_RESULT, "Result (JSON)"),
)
CUSTOMERS_DOWNLOAD = ("customers.csv", "download-customers", "Customer table (CSV)")


def title_bar(title: str, *, status: str, note: str | None = None) -> html.Div:
    """The page heading: the run's title with its status badge, and an optional note below."""
    return html.Div([
        html.Div([html.H1(title, className="h3 mb-0 run-title text-break"), status_badge(status)],
                 className="d-flex align-items-center gap-3 flex-wrap"),
        html.P(note, className="text-muted small mb-0 mt-1") if note else None,
    ], className="mb-4")


def run_facts(result, *, created: str | None) -> html.Dl:
    """Rows, method, k, rule fidelity and when the run was made."""
    data, clustering = result.dataset, result.clustering
    unusual = clustering.unusual or 0
    kept = kept_text(result.explanation.cost_ratio)
    k_text = f"{clustering.k}" + (f" + {unusual:,} unusual" if unusual else "")
    return facts([
        ("Rows", f"{data.rows_used or 0:,} used of {data.rows_read or 0:,}"),
        ("Method", METHOD_NAMES.get(clustering.method, str(clustering.method))),
        ("Segments (k)", k_text),
        *([("Tightness kept", kept + " of the clusters' tightness")] if kept else []),
        ("Agreement", f"{percent(result.explanation.fidelity)} with the unconstrained "
                      "clusters"),
        ("Created", when(created or result.created_at)),
    ], class_name="run-facts mb-0")


def _link(href: str, *, element_id: str, label: str) -> html.A:
    return html.A(label, href=href, id=element_id, className="btn btn-outline-secondary btn-sm")


def download_links(run_id: str, *, order_log: bool) -> html.Div:
    """Plain links to the run's files (owner and public readers)."""
    items = list(DOWNLOADS) + ([CUSTOMERS_DOWNLOAD] if order_log else [])
    return html.Div([_link(f"/runs/{run_id}/download/{name}", element_id=element_id, label=label)
                     for name, element_id, label in items],
                    className="d-flex flex-wrap gap-2 downloads")


def shared_download(token: str) -> html.Div:
    """A shared view offers the report only."""
    return html.Div(_link(f"/share/{token}/report.html", element_id=ids.DOWNLOAD_REPORT,
                          label="Report (HTML)"),
                    className="d-flex flex-wrap gap-2 downloads")


def summary_card(result, *, created: str | None, downloads) -> dbc.Card:
    """The finished run's facts beside its downloads."""
    return dbc.Card(dbc.CardBody(dbc.Row([
        dbc.Col(run_facts(result, created=created), lg=7),
        dbc.Col([html.Div("Downloads", className="label"), downloads], lg=5,
                class_name="mt-3 mt-lg-0"),
    ])), className="shadow-sm mb-4")


VISIBILITY = (("private", "Only me"), ("team", "My team (every signed-in editor)"),
              ("public", "Anyone with the address (read-only, with row-level downloads)"))
PUBLIC_WARNING = ("Anyone who has this page's address can open it and download its row-level "
                  "files: assignments.csv lists every customer's id and segment. Use a share "
                  "link instead to show the segments without the customers.")


def visibility_warning(visibility) -> dbc.Alert | None:
    """What 'anyone with the address' exposes, shown while the run is public."""
    if visibility != "public":
        return None
    return dbc.Alert(PUBLIC_WARNING, color="warning", class_name="small mb-0 mt-2 py-2")


def visibility_picker(current: str) -> html.Div:
    """Who may open this run besides its owner (owner only), and what public exposes."""
    return html.Div([
        html.Label("Visible to", htmlFor=ids.RUN_VISIBILITY, className="label"),
        dbc.Select(id=ids.RUN_VISIBILITY, value=current or "private", size="sm",
                   options=[{"label": label, "value": value} for value, label in VISIBILITY]),
        html.Div(visibility_warning(current), id=page_ids.VISIBILITY_WARNING, role="status"),
    ], className="mt-3")
