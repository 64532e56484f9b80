"""Every callback of the pages. Each one is short: check what the browser sent, one store call or
one read of the stored Result, wrap the answer in components.

Nothing the browser sends is trusted: an upload id is checked against the session's owner, a run
reference with `run_view` (own or public runs) and a share reference with its token only. No
callback recomputes a clustering.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
import flask
from dash import ALL, MATCH, Input, Output, State, callback, clientside_callback, ctx, no_update
from dash.exceptions import MissingCallbackContextException, PreventUpdate

from explain.figures import PAIR_LIMIT
from segmentation.roles import FEATURE_ROLES
from service import usecases
from service.repositories import UploadRecord
from service.usecases import UseCaseError

from . import ids
from .components import page_ids
from .components.access import View, load_result, rules_sql_text, run_view, view_from_ref
from .components.charts import (distribution_for, pair_features, pair_figure, pair_options,
                                valid_pair_picks)
from .components.preview import MEANING_SELECT
from .components.progress import ACTIVE
from .components.settings_form import (column_names, effective_roles, feature_options,
                                       run_options_from_form)
from .components.share import expiry_days, link_list, link_row_children
from .components.tabs import tab_content
from .components.urlstate import DEFAULT_TAB, TAB_KEYS, ViewQuery, parse_search, with_params
from .context import current_owner, get_settings, get_store
from .pages.home import ACCEPT
from .pages.run import not_found_card, run_body
from . import run_callbacks  # noqa: F401,E402  (registers the report's other callbacks)

ROLE_VALUES = State({"type": page_ids.ROLE_SELECT, "index": ALL}, "value")
VIEW_REF = State(page_ids.VIEW_REF, "data")


def _own_upload(upload_id) -> UploadRecord | None:
    """The upload if it belongs to this session and was read without error."""
    if not isinstance(upload_id, str):
        return None
    upload = get_store().uploads.get(upload_id, owner=current_owner())
    return upload if upload and upload.preview and not upload.error else None


def _skip_first_render() -> None:
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


def _alert(message: str, *, colour: str = "danger") -> dbc.Alert:
    return dbc.Alert(message, color=colour, class_name="small mb-0")


def _owners_view(ref, *, clicked=True) -> View:
    """The view `ref` names when the run's owner made this call (and `clicked`); any other call,
    a reader's, a share link's or one without a click, changes nothing."""
    view = view_from_ref(ref)
    if not clicked or view is None or not view.is_owner:
        raise PreventUpdate
    return view


def owner_button(button: str, **outputs):
    """Register `action(view)` as the callback of a run page's button that only the run's owner
    may press; the callback takes the click and the page's view reference (`_owners_view`)."""
    def register(action):
        def on_click(n_clicks, *, ref):
            return action(_owners_view(ref, clicked=n_clicks))

        on_click.__name__, on_click.__doc__ = action.__name__, action.__doc__
        return callback(output=outputs, inputs={"n_clicks": Input(button, "n_clicks")},
                        state={"ref": VIEW_REF}, prevent_initial_call=True)(on_click)
    return register


# --- home: the settings form -------------------------------------------------------------------

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
    _skip_first_render()
    return bool(orders_on), not orders_on


@callback(output={"options": Output(page_ids.FEATURES, "options"),
                  "value": Output(page_ids.FEATURES, "value")},
          inputs={"role_values": Input({"type": page_ids.ROLE_SELECT, "index": ALL}, "value")},
          state={"current": State(page_ids.FEATURES, "value"),
                 "upload_id": State(page_ids.UPLOAD_REF, "data")},
          prevent_initial_call=True)
def sync_features(role_values, *, current, upload_id):
    """A changed role re-enables or disables its column among the features (and ticks new ones)."""
    _skip_first_render()
    upload = _own_upload(upload_id)
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
    if _own_upload(upload_id) is None:
        return {"href": no_update, "message": _alert("This upload is not available any more: "
                                                     "upload the file again.")}
    try:
        run = usecases.submit_run(
            get_store(), owner=current_owner(), upload_id=upload_id, settings=get_settings(),
            options_for=lambda upload: run_options_from_form(
                form or {}, preview=upload.preview, filename=upload.filename))
    except UseCaseError as exc:
        return {"href": no_update, "message": _alert(exc.message)}
    return {"href": f"/runs/{run.id}", "message": None}


# --- run page: progress, cancel, run again -----------------------------------------------------

@callback(output={"body": Output(page_ids.RUN_BODY, "children"),
                  "stop": Output(ids.RUN_POLL, "disabled")},
          inputs={"n_intervals": Input(ids.RUN_POLL, "n_intervals")},
          state={"ref": VIEW_REF, "search": State(page_ids.VIEW_LOCATION, "search")},
          prevent_initial_call=True)
def poll_run(n_intervals, *, ref, search):
    """Redraw the progress card while the run is active; once it ends, stop and show the outcome."""
    view = view_from_ref(ref)
    if view is None or view.is_shared:
        return {"body": not_found_card(), "stop": True}
    active = view.run.status in ACTIVE
    return {"body": run_body(view, query=parse_search(search)), "stop": not active}


@owner_button(ids.RUN_CANCEL, status=Output(ids.RUN_STATUS, "children"),
              disabled=Output(ids.RUN_CANCEL, "disabled"))
def cancel_run(view):
    """Ask the store to cancel the owner's run (at once when queued, at its next step if running)."""
    try:
        usecases.cancel_run(get_store(), owner=current_owner(), run_id=view.run_id)
    except UseCaseError:
        return {"status": "This run has already ended.", "disabled": True}
    return {"status": "Cancelling: the run stops at its next step.", "disabled": True}


@owner_button(page_ids.RUN_RETRY,
              body=Output(page_ids.RUN_BODY, "children", allow_duplicate=True),
              stop=Output(ids.RUN_POLL, "disabled", allow_duplicate=True))
def retry_run(view):
    """Queue the owner's failed or cancelled run again and show its progress."""
    try:
        usecases.retry_run(get_store(), owner=current_owner(), run_id=view.run_id,
                           settings=get_settings())
    except UseCaseError as exc:
        content = run_body(view, query=ViewQuery())
        return {"body": [content[0], _alert(exc.message), *content[1:]], "stop": True}
    view = run_view(view.run_id)
    return {"body": run_body(view, query=ViewQuery()), "stop": False}


# --- report: tabs and the charts' pickers ------------------------------------------------------

def _view_and_result(ref):
    view = view_from_ref(ref)
    result = load_result(view) if view else None
    if result is None:
        raise PreventUpdate
    return view, result


def _picked_for(ref):
    """The Result a chart's picker changed on; the call Dash makes when it draws the picker is
    skipped (the chart already shows its default)."""
    _skip_first_render()
    return _view_and_result(ref)[1]


def _clicked_tab() -> str | None:
    """The key of the tab button that fired this call (None for a direct call without one)."""
    try:
        clicked = ctx.triggered_id
    except MissingCallbackContextException:
        return None
    return next((key for key in TAB_KEYS if page_ids.tab_button(key) == clicked), None)


@callback(output={"content": Output(page_ids.TAB_CONTENT, "children"),
                  "search": Output(page_ids.VIEW_LOCATION, "search")},
          inputs={"clicks": [Input(page_ids.tab_button(key), "n_clicks") for key in TAB_KEYS]},
          state={"ref": VIEW_REF, "search": State(page_ids.VIEW_LOCATION, "search")},
          prevent_initial_call=True)
def switch_tab(clicks, *, ref, search, tab=None):
    """Draw the tab whose button was pressed and put it in the URL (no page reload); `tab` names
    it in a direct call. The buttons mark the open tab themselves (assets/clearseg.js), so a
    share view's call updates only the outputs a share link may update."""
    tab = tab or _clicked_tab()
    if tab is None:
        raise PreventUpdate
    view, result = _view_and_result(ref)
    search = with_params(search, tab=tab if tab in TAB_KEYS else DEFAULT_TAB)
    query = parse_search(search)
    sql = rules_sql_text(view) if query.tab == "rules" else ""
    content = tab_content(result, query=query, base_path=view.base_path, rules_sql=sql,
                          can_rename=view.is_owner)
    return {"content": content, "search": search}


@callback(output={"figure": Output(ids.PAIR_PLOT_GRAPH, "figure"),
                  "options": Output(ids.PAIR_FEATURES, "options")},
          inputs={"features": Input(ids.PAIR_FEATURES, "value")},
          state={"ref": VIEW_REF}, prevent_initial_call=True)
def redraw_pairs(features, *, ref):
    """Redraw the pair plot for up to four picked numeric features (checked against the result)."""
    result = _picked_for(ref)
    picked = valid_pair_picks(result, requested=features)
    return {"figure": pair_figure(result, features=pair_features(result, requested=picked)),
            "options": pair_options(result, chosen=picked)}


@callback(Output(page_ids.VIEW_LOCATION, "search", allow_duplicate=True),
          inputs={"features": Input(ids.PAIR_FEATURES, "value")},
          state={"defaults": State(page_ids.PAIR_DEFAULTS, "data"),
                 "search": State(page_ids.VIEW_LOCATION, "search")},
          prevent_initial_call=True)
def pair_features_search(features, *, defaults, search):
    """Keep picked pair-plot features in the URL (left out while they are the default ones)."""
    picked = [f for f in features or [] if isinstance(f, str)][:PAIR_LIMIT] \
        if isinstance(features, list) else []
    custom = picked and picked != defaults
    return with_params(search, features=",".join(picked) if custom else None)


@callback(Output(ids.DISTRIBUTION_GRAPH, "figure"),
          inputs={"feature": Input(ids.DISTRIBUTION_FEATURE, "value")},
          state={"ref": VIEW_REF}, prevent_initial_call=True)
def redraw_distribution(feature, *, ref):
    """Redraw the per-segment distribution of the picked feature."""
    result = _picked_for(ref)
    return distribution_for(result, feature=feature if isinstance(feature, str) else None)


# --- share links -------------------------------------------------------------------------------

@callback(output={"url": Output(ids.SHARE_URL, "value"),
                  "links": Output(ids.SHARE_LIST, "children"),
                  "message": Output(page_ids.SHARE_MESSAGE, "children")},
          inputs={"n_clicks": Input(ids.SHARE_BUTTON, "n_clicks")},
          state={"expiry": State(page_ids.SHARE_EXPIRY, "value"),
                 "ref": VIEW_REF},
          prevent_initial_call=True)
def create_share_link(n_clicks, *, expiry, ref):
    """Make a read-only link to the owner's finished run and show its full address."""
    if not n_clicks:
        raise PreventUpdate
    view = view_from_ref(ref)
    store, owner = get_store(), current_owner()
    if view is None or not view.is_owner:
        return {"url": "", "links": no_update,
                "message": _alert("Only the owner of a finished run can share it.")}
    try:
        link = usecases.create_share(store, get_settings(), owner=owner, run_id=view.run_id,
                                     expires_in_days=expiry_days(expiry),
                                     request_base=flask.request.host_url)
    except UseCaseError as exc:
        return {"url": "", "links": no_update, "message": _alert(_share_refusal(exc))}
    return {"url": link.url, "links": link_list(store.shares.of_run(view.run_id)),
            "message": None}


def _share_refusal(exc: UseCaseError) -> str:
    """The share box's wording of a refused link."""
    if exc.status == 403:
        return "Sharing is turned off on this server."
    return "Only the owner of a finished run can share it."


@callback(Output({"type": page_ids.SHARE_ROW, "index": MATCH}, "children"),
          inputs={"n_clicks": Input({"type": page_ids.SHARE_REVOKE, "index": MATCH}, "n_clicks")},
          state={"button_id": State({"type": page_ids.SHARE_REVOKE, "index": MATCH}, "id"),
                 "ref": VIEW_REF},
          prevent_initial_call=True)
def revoke_share_link(n_clicks, *, button_id, ref):
    """Revoke one link of the owner's run; the link stops working at once, on every worker."""
    view = _owners_view(ref, clicked=n_clicks)
    if not isinstance(button_id, dict):
        raise PreventUpdate
    try:
        share = usecases.revoke_share(get_store(), owner=current_owner(), run_id=view.run_id,
                                      share_id=str(button_id.get("index")))
    except UseCaseError:
        raise PreventUpdate from None
    return link_row_children(share)


@callback(Output(ids.RUN_VISIBILITY, "valid"), Input(ids.RUN_VISIBILITY, "value"),
          VIEW_REF, prevent_initial_call=True)
def set_run_visibility(visibility, ref):
    """The owner decides who else may open the run: nobody, the team, or anyone with the address."""
    _skip_first_render()
    view = _owners_view(ref)
    try:
        usecases.set_visibility(get_store(), owner=current_owner(), run_id=view.run_id,
                                visibility=visibility)
    except UseCaseError:
        raise PreventUpdate from None
    return True
