"""The run settings of an upload, and their translation into a run's options (checked here).

`run_options_from_form` is the one place a submitted form becomes options: every value is checked
against the upload's own preview, so a crafted request cannot name columns or roles that are not
there.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from segmentation.errors import InputError
from segmentation.options import (DEFAULT_DEPTH, DEPTH_MAX, DEPTH_MIN, K_MAX, K_MIN, MAX_SEED,
                                  OptionError, RunOptions)
from segmentation.roles import FEATURE_ROLES, ROLES

from .. import ids
from . import page_ids
from .common import section
from .preview import changed_meanings

METHOD_CHOICES = (("kmeans", "k-means"), ("hierarchical", "Ward hierarchical"),
                  ("density", "Density (HDBSCAN)"))
K_CHOICES = range(K_MIN, K_MAX + 1)
DEPTH_CHOICES = tuple(range(DEPTH_MIN, DEPTH_MAX + 1))
ORDER_LABELS = {"customer": "Customer id", "date": "Order date", "amount": "Amount",
                "quantity": "Quantity (optional)", "category": "Category (optional)",
                "order": "Order id (optional)"}


def column_names(preview: dict) -> list[str]:
    """The preview's column names, in table order."""
    return [c["name"] for c in preview.get("columns") or []]


def effective_roles(preview: dict, *, role_values) -> dict[str, str]:
    """Each column's role after the user's picks (unknown or missing picks keep the inferred role)."""
    roles = {c["name"]: c["role"] for c in preview.get("columns") or []}
    for column, value in zip(preview.get("columns") or [], role_values or []):
        if value in ROLES:
            roles[column["name"]] = value
    return roles


def feature_options(preview: dict, *, roles: dict[str, str]) -> list[dict]:
    """Checklist options: every column, the ones without a feature role disabled."""
    return [{"label": name, "value": name, "disabled": roles.get(name) not in FEATURE_ROLES}
            for name in column_names(preview)]


def default_features(roles: dict[str, str]) -> list[str]:
    """The columns ticked at first: every column with a feature role."""
    return [name for name, role in roles.items() if role in FEATURE_ROLES]


def _select(element_id: str, *, label: str, options: list, value) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=element_id, class_name="small mb-1"),
                    dbc.Select(id=element_id, options=options, value=value, size="sm")],
                   xs=12, sm=6, lg=4, class_name="mb-2")


def _orders_panel(preview: dict) -> dbc.Collapse:
    raw_columns = [str(c) for c in (preview.get("head") or {}).get("columns") or []]
    detected = preview.get("order_columns") or {}
    options = [{"label": "(none)", "value": ""}] + [{"label": c, "value": c} for c in raw_columns]
    fields = [_select(page_ids.order_field(name), label=ORDER_LABELS[name], options=options,
                      value=detected.get(name) or "") for name in page_ids.ORDER_FIELDS]
    as_of = dbc.Col([dbc.Label("As of (optional)", html_for=page_ids.ORDER_AS_OF,
                               class_name="small mb-1"),
                     dbc.Input(id=page_ids.ORDER_AS_OF, value="", placeholder="YYYY-MM-DD",
                               size="sm")], xs=12, sm=6, lg=4, class_name="mb-2")
    note = html.P("Each customer becomes one row: recency, frequency, monetary value, tenure and "
                  "more are computed from the log, and the rules speak of those (the column roles "
                  "above do not apply).", className="small text-muted mb-2")
    return dbc.Collapse(html.Div([note, dbc.Row(fields + [as_of], class_name="g-2")]),
                        id=page_ids.ORDERS_PANEL, is_open=bool(preview.get("looks_like_orders")))


def _table_panel(preview: dict) -> dbc.Collapse:
    roles = {c["name"]: c["role"] for c in preview.get("columns") or []}
    id_default = next((n for n, r in roles.items() if r == "id"), "")
    id_options = ([{"label": "(none: use the row number)", "value": ""}]
                  + [{"label": n, "value": n} for n in column_names(preview)])
    checklist = dbc.Checklist(id=page_ids.FEATURES, options=feature_options(preview, roles=roles),
                              value=default_features(roles), inline=True,
                              class_name="feature-checklist")
    return dbc.Collapse(html.Div([
        dbc.Label("Features to segment on", html_for=page_ids.FEATURES, class_name="small mb-1"),
        checklist,
        dbc.Row(_select(page_ids.ID_COLUMN, label="Id column", options=id_options,
                        value=id_default),
                class_name="g-2 mt-2"),
    ]), id=page_ids.TABLE_PANEL, is_open=not preview.get("looks_like_orders"))


def _model_fields() -> dbc.Row:
    methods = [{"label": label, "value": value} for value, label in METHOD_CHOICES]
    ks = [{"label": "auto (2 to 10)", "value": "auto"}] + [{"label": str(k), "value": str(k)}
                                                          for k in K_CHOICES]
    depths = [{"label": str(d), "value": str(d)} for d in DEPTH_CHOICES]
    seed = dbc.Col([dbc.Label("Seed", html_for=page_ids.SEED, class_name="small mb-1"),
                    dbc.Input(id=page_ids.SEED, type="number", value=0, min=0, max=MAX_SEED, step=1,
                              size="sm")],
                   xs=12, sm=6, lg=4, class_name="mb-2")
    return dbc.Row([
        dbc.Col([dbc.Label("Method", class_name="small mb-1"),
                 dbc.RadioItems(id=page_ids.METHOD, options=methods, value="kmeans", inline=True)],
                xs=12, lg=12, class_name="mb-2"),
        _select(page_ids.K, label="Segments (k)", options=ks, value="auto"),
        _select(page_ids.DEPTH, label="Rule depth", options=depths, value=str(DEFAULT_DEPTH)),
        seed,
    ], class_name="g-2")


def settings_section(preview: dict) -> dbc.Card:
    """Step 2: order-log mode, features and id, method, k, rule depth, seed and the run button."""
    looks = bool(preview.get("looks_like_orders"))
    hint = ("This looks like an order log (one row per order): it will be turned into one row "
            "per customer." if looks else "Switch on if each row is an order rather than a customer.")
    return section("2 · Settings", [
        dbc.Switch(id=page_ids.ORDERS_MODE, label="Order log", value=looks, class_name="mb-1"),
        html.P(hint, className="small text-muted mb-2"),
        _orders_panel(preview),
        _table_panel(preview),
        html.Hr(),
        _model_fields(),
        html.Div(id=page_ids.RUN_MESSAGE, className="mt-2"),
        dbc.Button("Run segmentation", id=ids.RUN_BUTTON, color="primary", size="lg",
                   class_name="mt-2"),
    ])


# --- the submitted form -> run options ---------------------------------------------------------

FIELD_LABELS = {"method": "Method", "k": "Segments (k)", "max_depth": "Rule depth", "seed": "Seed",
                "features": "Features to segment on", "id_column": "Id column", "roles": "Use as",
                "meanings": "Measures", "orders": "Order log", "orders.as_of": "As of",
                **{f"orders.{name}": label.removesuffix(" (optional)")
                   for name, label in ORDER_LABELS.items()}}


def _whole(value):
    """A number field's value as an int where it is one ("4", 4.0); anything else unchanged, for
    RunOptions to refuse."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def changed_roles(preview: dict, *, role_values) -> dict[str, str]:
    """{column: role} for the columns whose role the user changed (RunOptions checks the roles)."""
    return {column["name"]: value
            for column, value in zip(preview.get("columns") or [], role_values or [])
            if value != column["role"]}


def _features(preview: dict, *, roles: dict[str, str], values) -> list[str]:
    """The ticked columns that can be features after the role picks (a column whose role was
    changed to a non-feature one is dropped, as its box is greyed out)."""
    names = column_names(preview)
    picked = [v for v in (values or []) if isinstance(v, str)]
    unknown = [v for v in picked if v not in names]
    if unknown:
        raise InputError(f"unknown column(s) {', '.join(map(repr, unknown))}: pick from the list")
    usable = [v for v in dict.fromkeys(picked) if roles.get(v) in FEATURE_ROLES]
    if not usable:
        raise InputError("pick at least one feature (a numeric, categorical or yes / no column)")
    return usable


def _table_fields(form: dict, *, preview: dict) -> dict:
    """Features, id column and role changes of a customer table."""
    effective = effective_roles(preview, role_values=form.get("roles"))
    id_column = form.get("id_column") or None
    picked = _features(preview, roles=effective, values=form.get("features"))
    features = [f for f in picked if f != id_column]
    if not features:
        raise InputError("the id column cannot be the only feature: pick other features")
    return {"features": features, "id_column": id_column,
            "roles": changed_roles(preview, role_values=form.get("roles"))}


def _order_fields(form: dict) -> dict:
    fields = {name: (form.get("order_fields") or {}).get(name) or None
              for name in page_ids.ORDER_FIELDS}
    return {"orders": {**fields, "as_of": (form.get("as_of") or "").strip() or None}}


def _meanings(form: dict, *, preview: dict) -> dict[str, str]:
    """The meanings the user changed in the preview's pickers, by column (pickers are matched to
    columns by their index, since only columns with a recognised meaning have one)."""
    picked = form.get("meanings") or {}
    if not isinstance(picked, dict):
        return {}
    by_index = {i.get("index"): v for i, v in zip(picked.get("ids") or [], picked.get("values") or [])
                if isinstance(i, dict)}
    values = [by_index.get(i) for i in range(len(preview.get("columns") or []))]
    return changed_meanings(preview, meaning_values=values)


def run_options_from_form(form: dict, *, preview: dict, filename: str) -> dict:
    """The run's options (as stored) from the submitted settings, checked by RunOptions against
    the upload's preview; an InputError names the field by its label and says what to fix."""
    fields = {"method": form.get("method") or "kmeans", "k": _whole(form.get("k") or None),
              "max_depth": _whole(form.get("depth") or DEFAULT_DEPTH),
              "seed": _whole(0 if form.get("seed") in (None, "") else form.get("seed")),
              "meanings": _meanings(form, preview=preview)}
    try:
        more = (_order_fields(form) if form.get("orders")
                else _table_fields(form, preview=preview))
        options = RunOptions(**fields, **more, source=filename).checked_against(preview)
    except OptionError as exc:
        label = FIELD_LABELS.get(exc.field, exc.field)
        raise InputError(f"{label}: {exc.problem}") from None
    return options.to_stored()
