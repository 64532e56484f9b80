"""Small building blocks every page uses: message cards, badges, fact lists, tables, dates.

Every value is passed to Dash as a string or a component, never as markup, so text from uploads
(file, column and level names, messages) always shows literally.
"""
from __future__ import annotations

from datetime import datetime

import dash_bootstrap_components as dbc
from dash import dcc, html

STATUS_COLOURS = {"queued": "secondary", "running": "info", "done": "success",
                  "failed": "danger", "cancelled": "warning"}
STATUS_LABELS = {"queued": "Queued", "running": "Running", "done": "Done", "failed": "Failed",
                 "cancelled": "Cancelled"}


def message_card(title: str, *, text: str, card_id: str | None = None,
                 link_text: str = "Back to Clearseg", href: str = "/") -> dbc.Card:
    """A plain centred card with a title, a sentence and a link (not found, not valid, ...)."""
    body = dbc.CardBody([
        html.H1(title, className="h4 mb-2"),
        html.P(text, className="text-muted mb-3"),
        dcc.Link(link_text, href=href, className="btn btn-primary btn-sm"),
    ])
    props = {"id": card_id} if card_id else {}
    return dbc.Card(body, className="message-card mx-auto my-5 shadow-sm", **props)


def status_badge(status: str) -> dbc.Badge:
    """A coloured badge naming a run's status."""
    return dbc.Badge(STATUS_LABELS.get(status, str(status)), color=STATUS_COLOURS.get(status, "light"),
                     className="status-badge", pill=True)


def when(iso) -> str:
    """An ISO timestamp as '24 Nov 2026, 04:42 UTC' (the text itself when it does not parse)."""
    if not iso:
        return "n/a"
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    zone = " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return moment.strftime("%d %b %Y, %H:%M").lstrip("0") + zone


def facts(items: list[tuple[str, object]], *, class_name: str = "") -> html.Dl:
    """A definition list of (label, value) pairs laid out as a compact grid."""
    children = []
    for label, value in items:
        children += [html.Dt(label), html.Dd(value)]
    return html.Dl(children, className=f"facts {class_name}".strip())


def swatch(colour: str) -> html.Span:
    """A small square in a segment's colour."""
    return html.Span(className="swatch", style={"backgroundColor": colour})


def table(head: list[str], *, rows: list[list], table_id: str | None = None,
          numeric: tuple[int, ...] = (), row_classes: list[str] | None = None,
          class_name: str = "") -> html.Div:
    """A Bootstrap-styled html.Table in a horizontally scrolling wrapper.

    `numeric` lists the columns to right-align; `row_classes` gives a class per row (e.g. highlight).
    """
    header = html.Thead(html.Tr([html.Th(h, className="text-end" if i in numeric else None)
                                 for i, h in enumerate(head)]))
    body = []
    for r, row in enumerate(rows):
        cells = [html.Td(value, className="text-end text-nowrap" if i in numeric else None)
                 for i, value in enumerate(row)]
        body.append(html.Tr(cells, className=(row_classes[r] or None) if row_classes else None))
    props = {"id": table_id} if table_id else {}
    return scroller(html.Table([header, html.Tbody(body)],
                               className=f"table table-sm table-hover align-middle mb-0 {class_name}",
                               **props))


def scroller(child, *, min_width: int | None = None) -> html.Div:
    """A horizontally scrolling box (a table, a wide chart) with a visible cue while its content
    is wider than the screen (assets/clearseg.js marks it); it can be focused and scrolled with
    the arrow keys.
    """
    inner = html.Div(child, style={"minWidth": f"{min_width}px"}) if min_width else child
    return html.Div([html.Div("Scroll sideways to see all of it →", className="scroll-cue",
                              **{"aria-hidden": "true"}),
                     html.Div(inner, className="table-responsive scroll-box", tabIndex="0")],
                    className="scroll-wrap")


def bullet_list(items: list, *, empty: str = "None.") -> html.Ul | html.P:
    """A list of strings or components, or a muted sentence when there is nothing to list."""
    if not items:
        return html.P(empty, className="text-muted small mb-0")
    return html.Ul([html.Li(item) for item in items], className="mb-0")


def section(title: str, children, *, class_name: str = "") -> dbc.Card:
    """A titled card holding one part of a page."""
    return dbc.Card([dbc.CardHeader(html.H2(title, className="h6 mb-0")),
                     dbc.CardBody(children)], className=f"mb-4 shadow-sm {class_name}".strip())


def graph(graph_id: str, figure, *, height: int | None = None) -> dcc.Loading:
    """A plotly figure in a loading wrapper, responsive and without the plotly logo."""
    extra = {"style": {"height": f"{height}px"}} if height else {}
    return dcc.Loading(dcc.Graph(id=graph_id, figure=figure,
                                 config={"displaylogo": False, "responsive": True}, **extra),
                       type="circle", delay_show=250)
