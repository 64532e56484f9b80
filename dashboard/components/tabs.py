"""The tab bar of a finished run and the content of one tab (only the active one is built).

The bar follows the WAI-ARIA tabs pattern with real buttons: Tab reaches the active tab, the arrow
keys (and Home / End) move between tabs, Enter or Space opens one (assets/clearseg.js moves the
focus; each button has its own id, page_ids.tab_button(key)).
"""
from __future__ import annotations

from dash import html

from .. import ids
from . import page_ids
from .cards import segments_tab
from .charts import dendrogram_tab, k_tab, pairs_tab, profiles_tab
from .data import data_tab
from .rules import rules_tab
from .urlstate import TABS, ViewQuery


def tab_class(key: str, *, active: str) -> str:
    """A tab button's classes: Bootstrap's nav link, 'active' on the open tab."""
    return "nav-link" + (" active" if key == active else "")


def tab_button(key: str, label: str, *, active: str) -> html.Button:
    """One tab: a button that opens its panel; only the open one is in the Tab order."""
    selected = key == active
    return html.Button(label, id=page_ids.tab_button(key), type="button", n_clicks=0,
                       className=tab_class(key, active=active), role="tab",
                       tabIndex="0" if selected else "-1",
                       **{"aria-selected": "true" if selected else "false",
                          "aria-controls": page_ids.TAB_CONTENT, "data-tab": key})


def tab_bar(active: str) -> html.Div:
    """The tabs (a tablist, id ids.TABS); their content is drawn separately, on demand."""
    return html.Div([tab_button(key, label, active=active) for key, label in TABS],
                    id=ids.TABS, role="tablist", className="nav nav-tabs run-tabs mb-3",
                    **{"aria-label": "Views of this run"})


def tab_content(result, *, query: ViewQuery, base_path: str, rules_sql: str = "",
                can_rename: bool = False) -> html.Div:
    """The components of the query's tab for a stored Result (rename controls for the owner)."""
    tab = query.tab
    if tab == "rules":
        return rules_tab(result, selected=query.segment, rules_sql=rules_sql)
    if tab == "dendrogram":
        return dendrogram_tab(result)
    if tab == "pairs":
        return pairs_tab(result, features=query.features)
    if tab == "profiles":
        return profiles_tab(result)
    if tab == "k":
        return k_tab(result)
    if tab == "data":
        return data_tab(result)
    return segments_tab(result, base_path=base_path, selected=query.segment,
                        can_rename=can_rename)


def tabs_block(result, *, query: ViewQuery, base_path: str, rules_sql: str = "",
               can_rename: bool = False) -> html.Div:
    """The tab bar with the active tab's content below it (a tabpanel)."""
    content = tab_content(result, query=query, base_path=base_path, rules_sql=rules_sql,
                          can_rename=can_rename)
    return html.Div([tab_bar(query.tab),
                     html.Div(content, id=page_ids.TAB_CONTENT, role="tabpanel")])
