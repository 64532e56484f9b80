"""Which Dash callback requests a visitor holding only a share link may make.

A request qualifies only when it is, exactly, one of the registered callbacks a share view uses:
its output string is registered, every output of that callback is one a share view updates, and
its inputs and states carry the registered component ids and properties in the registered order
(Dash hands values to the function by position, so a renamed property must not pass). Where that
callback reads the page's path, the path must be a /share/ one.
"""
from __future__ import annotations

# components a share view updates (page routing, its tabs and chart pickers); nothing else
SHARE_OUTPUTS = frozenset({"_pages_content", "_pages_store", "tab-content", "view-location",
                           "pair-plot-graph", "pair-plot-features", "distribution-graph"})
PATH_PROPERTIES = ("pathname", "href")


def output_components(output: str) -> set[str]:
    """The component ids a callback's output string names ("..a.x...b.y.." or "a.x@hash")."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return {part.split("@", 1)[0].rsplit(".", 1)[0] for part in parts}


def is_share_callback(output: str) -> bool:
    return output_components(output) <= SHARE_OUTPUTS


def _path_of(value) -> str:
    """The path of a pathname or href value."""
    value = str(value or "")
    if "://" in value:
        rest = value.split("://", 1)[1]
        return "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return value


def _matches(sent, registered: list[dict]) -> bool:
    """Every sent dependency is the registered one at its position: same id, same property;
    where that property is the page's path, the path is a share link's."""
    if not isinstance(sent, list) or len(sent) != len(registered):
        return False
    for item, expected in zip(sent, registered):
        if not isinstance(item, dict):
            return False
        if item.get("id") != expected["id"] or item.get("property") != expected["property"]:
            return False
        if expected["property"] in PATH_PROPERTIES and \
                not _path_of(item.get("value")).startswith("/share/"):
            return False
    return True


def share_callback_allowed(body, callbacks: dict) -> bool:
    """Whether a callback body is one of the share view's registered callbacks (see above)."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return False
    output = body["output"]
    callback = callbacks.get(output)
    if callback is None or not is_share_callback(output):
        return False
    return (_matches(body.get("inputs"), callback["inputs"])
            and _matches(body.get("state", []), callback["state"]))
