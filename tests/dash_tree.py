"""Walking a Dash layout built in process: every component under a node, ids, and a lookup by id."""
from __future__ import annotations

from dash.development.base_component import Component


def walk(node):
    """Every component under node (node included), through every prop that holds components."""
    if isinstance(node, Component):
        yield node
        for name in node._prop_names:
            yield from walk(getattr(node, name, None))
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from walk(item)


def ids_of(node) -> set:
    """The string ids of every component under node."""
    return {c.id for c in walk(node) if isinstance(getattr(c, "id", None), str)}


def strings(node) -> list[str]:
    """Every string a layout holds, as children, as a prop value or as an option's label."""
    out = []
    for comp in walk(node):
        for name in comp._prop_names:
            value = getattr(comp, name, None)
            values = value if isinstance(value, (list, tuple)) else [value]
            out += [v for v in values if isinstance(v, str)]
            out += [o.get("label") for o in values if isinstance(o, dict)
                    and isinstance(o.get("label"), str)]
    return out


def find(node, element_id):
    """The component with this id under node, or None."""
    return next((c for c in walk(node) if getattr(c, "id", None) == element_id), None)
