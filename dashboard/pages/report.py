"""The report a run page and a share view both show: its tabs, the charts' pickers, the k
switcher and the copy of rules.sql.

A share view may call exactly these (dashboard/share_gate.py knows them by their outputs, inputs
and states); each resolves the page's reference again, so a share link reads only its own run.
"""
from __future__ import annotations

from dash import ALL, Input, Output, State, callback, clientside_callback, ctx
from dash.exceptions import MissingCallbackContextException, PreventUpdate

from explain.figures import PAIR_LIMIT

from .. import ids
from ..components import page_ids
from ..components.access import rules_sql_text
from ..components.charts import (distribution_for, pair_features, pair_figure, pair_options,
                                valid_pair_picks)
from ..components.tabs import tab_content
from ..components.urlstate import DEFAULT_TAB, TAB_KEYS, parse_search, with_params
from .checks import VIEW_REF, skip_first_render, view_and_result


def _picked_for(ref):
    """The Result a chart's picker changed on; the call Dash makes when it draws the picker is
    skipped (the chart already shows its default)."""
    skip_first_render()
    return view_and_result(ref)[1]


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
    view, result = view_and_result(ref)
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


clientside_callback(  # show the picked candidate's segments (all are in the page already)
    "function(k, blocks) { return blocks.map(function (b) { return b.index !== k; }); }",
    Output({"type": page_ids.K_OPTION, "index": ALL}, "hidden"),
    Input(page_ids.K_SWITCHER, "value"), State({"type": page_ids.K_OPTION, "index": ALL}, "id"),
    prevent_initial_call=True)


COPY = """function(n, target) {
    if (!n) { return window.dash_clientside.no_update; }
    return window.clearsegCopy(target);
}"""
clientside_callback(COPY, Output(page_ids.SQL_COPY_STATUS, "children"),
                    Input(page_ids.SQL_COPY, "n_clicks"), State(page_ids.SQL_COPY, "id"),
                    prevent_initial_call=True)
