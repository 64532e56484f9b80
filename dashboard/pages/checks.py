"""What every page's callbacks check before they act: nothing the browser sends is trusted.

A run reference is resolved again on every call (`view_from_ref`: own, team or public runs, or a
share link by its token alone); only the run's owner may press its owner-only buttons; a call Dash
makes only because it drew an input is skipped.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, State, callback, ctx
from dash.exceptions import MissingCallbackContextException, PreventUpdate

from ..components import page_ids
from ..components.access import View, load_result, view_from_ref

VIEW_REF = State(page_ids.VIEW_REF, "data")


def skip_first_render() -> None:
    """Stop a call Dash makes because the input was just drawn (the layout already shows it).

    Dash fires some callbacks when a callback's output draws their input, even with
    prevent_initial_call; such a call has no triggering input. A direct call (tests) goes on.
    """
    try:
        first = ctx.triggered_id is None
    except MissingCallbackContextException:
        return
    if first:
        raise PreventUpdate


def alert(message: str, *, colour: str = "danger") -> dbc.Alert:
    """A small message under the control that was used (red unless told otherwise)."""
    return dbc.Alert(message, color=colour, class_name="small mb-0")


def owners_view(ref, *, clicked=True) -> View:
    """The view `ref` names when the run's owner made this call (and `clicked`); any other call,
    a reader's, a share link's or one without a click, changes nothing."""
    view = view_from_ref(ref)
    if not clicked or view is None or not view.is_owner:
        raise PreventUpdate
    return view


def owner_button(button: str, **outputs):
    """Register `action(view)` as the callback of a run page's button that only the run's owner
    may press; the callback takes the click and the page's view reference (`owners_view`)."""
    def register(action):
        def on_click(n_clicks, *, ref):
            return action(owners_view(ref, clicked=n_clicks))

        on_click.__name__, on_click.__doc__ = action.__name__, action.__doc__
        return callback(output=outputs, inputs={"n_clicks": Input(button, "n_clicks")},
                        state={"ref": VIEW_REF}, prevent_initial_call=True)(on_click)
    return register


def view_and_result(ref):
    """The view `ref` names and its stored Result; no update when either is missing."""
    view = view_from_ref(ref)
    result = load_result(view) if view else None
    if result is None:
        raise PreventUpdate
    return view, result
