"""The tab bar of a finished run and the content of one tab (only the active one is built)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from .. import ids
from . import page_ids
from .cards import segment_cards
from .charts import dendrogram_tab, k_tab, pairs_tab, profiles_tab
from .data import data_tab
from .rules import rules_tab
from .urlstate import TABS, ViewQuery


def tab_bar(active: str) -> dbc.Tabs:
    """The tabs (id ids.TABS); their content is drawn separately, on demand."""
    return dbc.Tabs([dbc.Tab(label=label, tab_id=key) for key, label in TABS],
                    id=ids.TABS, active_tab=active, class_name="run-tabs mb-3")


def tab_content(result, *, query: ViewQuery, base_path: str, rules_sql: str = "") -> html.Div:
    """The components of the query's tab for a stored Result."""
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
    return segment_cards(result, base_path=base_path, selected=query.segment)


def tabs_block(result, *, query: ViewQuery, base_path: str, rules_sql: str = "") -> html.Div:
    """The tab bar with the active tab's content below it."""
    content = tab_content(result, query=query, base_path=base_path, rules_sql=rules_sql)
    return html.Div([tab_bar(query.tab), html.Div(content, id=page_ids.TAB_CONTENT)])
