"""The run settings of an upload, and their translation into a run's options (checked here).

`run_options_from_form` is the one place a submitted form becomes options: every value is checked
against the upload's own preview, so a crafted request cannot name columns or roles that are not
there.
"""
from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
from dash import html

from segmentation.errors import InputError
from segmentation.roles import FEATURE_ROLES, ROLES

from .. import ids
from . import page_ids
from .common import section

METHOD_CHOICES = (("kmeans", "k-means"), ("hierarchical", "Ward hierarchical"),
                  ("density", "Density (HDBSCAN)"))
K_CHOICES = range(2, 11)
DEPTH_CHOICES = (2, 3, 4)
DEFAULT_DEPTH = 3
MAX_SEED = 2**32 - 1
ORDER_LABELS = {"customer": "Customer id", "date": "Order date", "amount": "Amount",
                "quantity": "Quantity (optional)", "category": "Category (optional)",
                "order": "Order id (optional)"}
REQUIRED_ORDER_FIELDS = ("customer", "date", "amount")


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
                    dbc.Input(id=page_ids.SEED, type="number", value=0, min=0, step=1, size="sm")],
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

def _choice(value, allowed, *, what: str):
    if value not in allowed:
        raise InputError(f"unknown {what} {value!r}: pick one of {', '.join(map(str, allowed))}")
    return value


def _k(value) -> int | None:
    if value in (None, "", "auto"):
        return None
    k = int(_choice(str(value), [str(k) for k in K_CHOICES], what="number of segments"))
    return k


def _seed(value) -> int:
    if value in (None, ""):
        return 0
    try:
        seed = int(float(value))
    except (TypeError, ValueError):
        raise InputError(f"the seed must be a whole number (got {value!r})") from None
    if not 0 <= seed <= MAX_SEED or float(value) != seed:
        raise InputError(f"the seed must be a whole number from 0 to {MAX_SEED}")
    return seed


def changed_roles(preview: dict, *, role_values) -> dict[str, str]:
    """{column: role} for the columns whose role the user changed (checked against ROLES)."""
    changed = {}
    for column, value in zip(preview.get("columns") or [], role_values or []):
        if value != column["role"]:
            changed[column["name"]] = _choice(value, ROLES, what=f"role for '{column['name']}'")
    return changed


def _features(preview: dict, *, roles: dict[str, str], values) -> list[str]:
    names = column_names(preview)
    picked = [v for v in (values or []) if isinstance(v, str)]
    unknown = [v for v in picked if v not in names]
    if unknown:
        raise InputError(f"unknown column(s) {', '.join(map(repr, unknown))}: pick from the list")
    usable = [v for v in dict.fromkeys(picked) if roles.get(v) in FEATURE_ROLES]
    if not usable:
        raise InputError("pick at least one feature (a numeric, categorical or yes / no column)")
    return usable


def _orders(preview: dict, *, fields: dict, as_of) -> dict:
    raw = [str(c) for c in (preview.get("head") or {}).get("columns") or []]
    out = {}
    for name in page_ids.ORDER_FIELDS:
        value = (fields or {}).get(name) or None
        if value is not None and value not in raw:
            raise InputError(f"unknown column {value!r} for the {ORDER_LABELS[name].lower()}")
        out[name] = value
    missing = [ORDER_LABELS[n].lower() for n in REQUIRED_ORDER_FIELDS if not out[n]]
    if missing:
        raise InputError(f"an order log needs its {', '.join(missing)} column(s): pick them above")
    as_of = (as_of or "").strip() or None
    if as_of is not None:
        try:
            date.fromisoformat(as_of)
        except ValueError:
            raise InputError(f"'as of' must be a date like 2024-12-31 (got {as_of!r})") from None
    out["as_of"] = as_of
    return out


def run_options_from_form(form: dict, *, preview: dict, filename: str) -> dict:
    """The run's options dict from the submitted settings; InputError says what to fix."""
    depth = int(_choice(str(form.get("depth") or DEFAULT_DEPTH),
                        [str(d) for d in DEPTH_CHOICES], what="rule depth"))
    options = {"method": _choice(form.get("method") or "kmeans", [m for m, _ in METHOD_CHOICES],
                                 what="method"),
               "k": _k(form.get("k")), "max_depth": depth, "seed": _seed(form.get("seed")),
               "source": filename}
    if form.get("orders"):
        return {**options, "features": None, "id_column": None, "roles": {},
                "orders": _orders(preview, fields=form.get("order_fields") or {},
                                  as_of=form.get("as_of"))}
    roles = changed_roles(preview, role_values=form.get("roles"))
    effective = effective_roles(preview, role_values=form.get("roles"))
    id_column = form.get("id_column") or None
    if id_column is not None and id_column not in column_names(preview):
        raise InputError(f"unknown id column {id_column!r}: pick one from the list")
    picked = _features(preview, roles=effective, values=form.get("features"))
    features = [f for f in picked if f != id_column]
    if not features:
        raise InputError("the id column cannot be the only feature: pick other features")
    return {**options, "features": features, "id_column": id_column, "roles": roles,
            "orders": None}
