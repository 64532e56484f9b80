"""View state in the URL query: the tab, the highlighted segment and the pair-plot features.

Everything here is parsed defensively: a query is typed by anyone, so unknown tabs fall back to the
first one and malformed numbers are ignored.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

TABS = (
    ("segments", "Segments"),
    ("rules", "Rules"),
    ("dendrogram", "Dendrogram"),
    ("pairs", "Pair plot"),
    ("profiles", "Profiles"),
    ("k", "Choosing k"),
    ("data", "Data"),
)
TAB_KEYS = tuple(key for key, _ in TABS)
DEFAULT_TAB = "segments"
MAX_QUERY_FEATURES = 4


@dataclass(frozen=True)
class ViewQuery:
    """The parsed view state of a run or share page."""

    tab: str = DEFAULT_TAB
    segment: int | None = None
    features: tuple[str, ...] | None = None


def first_value(value):
    """Dash passes a repeated query key as a list: keep its first value."""
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _segment(value) -> int | None:
    value = first_value(value)
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _features(value) -> tuple[str, ...] | None:
    value = first_value(value)
    if not isinstance(value, str) or not value.strip():
        return None
    names = [name for name in value.split(",") if name]
    return tuple(dict.fromkeys(names))[:MAX_QUERY_FEATURES] or None


def parse_query(query: dict) -> ViewQuery:
    """ViewQuery from the layout's query keywords (tab, segment, features)."""
    tab = first_value(query.get("tab"))
    return ViewQuery(tab=tab if tab in TAB_KEYS else DEFAULT_TAB,
                     segment=_segment(query.get("segment")),
                     features=_features(query.get("features")))


def parse_search(search) -> ViewQuery:
    """ViewQuery from a location's search string ("?tab=rules&segment=2")."""
    text = search[1:] if isinstance(search, str) and search.startswith("?") else ""
    return parse_query(dict(parse_qsl(text, keep_blank_values=True)))


def with_params(search, **changes) -> str:
    """The search string with some keys set (a None value removes the key); order is kept."""
    text = search[1:] if isinstance(search, str) and search.startswith("?") else ""
    params = dict(parse_qsl(text, keep_blank_values=True))
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else ""


def view_href(base_path: str, *, tab: str, segment: int | None = None) -> str:
    """A link to one view of a run or share page."""
    return base_path + with_params("", tab=tab, segment=segment)
