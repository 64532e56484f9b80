"""Bounds on what a request may carry before anything parses it.

Only a file upload may send a large body: every other request is refused with 413 above
BODY_LIMIT_BYTES before its body is read (and before the sign-in gate parses a callback body), so
one client cannot make a worker hold a huge JSON document. A Dash callback body that is not the
shape of a registered callback is answered 400 with a plain message instead of a traceback, and a
request for a script Dash does not serve is answered 404, not 500.
"""
from __future__ import annotations

import flask

BODY_LIMIT_BYTES = 1024 * 1024
UPLOAD_PATHS = ("/upload",)
CALLBACK_PATH = "/_dash-update-component"
DASH_APP = "clearseg_dash_app"


def _refuse(status: int, message: str) -> flask.Response:
    """A JSON answer for API and callback requests, plain text for the rest."""
    request = flask.request
    if request.path.startswith(("/api/", "/_dash")) or request.is_json:
        response = flask.jsonify(error=message)
    else:
        response = flask.Response(message + "\n", mimetype="text/plain")
    response.status_code = status
    return response


def unknown_resource(_exc):
    """Dash's DependencyException (a component-suite path it does not serve): a plain 404."""
    return _refuse(404, "there is no such file")


def limit_body():
    """before_request, first of all: refuse a large or unsized body on any non-upload path."""
    request = flask.request
    if request.path in UPLOAD_PATHS:
        return None
    length = request.content_length
    if length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        return _refuse(411, "send a Content-Length with the request body")
    if length is not None and length > BODY_LIMIT_BYTES:
        return _refuse(413, f"the request body is over {BODY_LIMIT_BYTES // 1024} KB; only file "
                            "uploads (the Upload button) may be larger")
    request.max_content_length = BODY_LIMIT_BYTES
    return None


def callback_map() -> dict:
    """The running Dash app's registered callbacks, keyed by their output string."""
    return flask.current_app.extensions[DASH_APP].callback_map


def _items_ok(items, expected: list) -> bool:
    """A list of {id, property[, value]} (or lists of them for pattern ids), one per registered
    dependency."""
    if not isinstance(items, list) or len(items) != len(expected):
        return False
    for item in items:
        group = item if isinstance(item, list) else [item]
        if not all(isinstance(i, dict) and "id" in i and "property" in i for i in group):
            return False
    return True


def _outputs_ok(outputs, output: str) -> bool:
    """One {id, property} per output the output string names (an object for a single output)."""
    if not output.startswith(".."):
        return _items_ok([outputs], [output])
    return _items_ok(outputs, output[2:-2].split("..."))


def callback_body_problem(body) -> str | None:
    """What is wrong with a Dash callback request body, or None when it names a registered
    callback with the right number of inputs and states."""
    if not isinstance(body, dict):
        return "the callback body must be a JSON object"
    output = body.get("output")
    callback = callback_map().get(output) if isinstance(output, str) else None
    if callback is None:
        return "the callback body names no known output"
    if not _items_ok(body.get("inputs"), callback["inputs"]):
        return "the callback body's inputs do not match the callback"
    if not _items_ok(body.get("state", []), callback["state"]):
        return "the callback body's state does not match the callback"
    if not _outputs_ok(body.get("outputs"), output):
        return "the callback body's outputs do not match the callback"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "the callback body's changedPropIds must be a list of strings"
    return None


def check_callback_body():
    """before_request, after the sign-in gate: 400 for a malformed callback body."""
    request = flask.request
    if request.path != CALLBACK_PATH or request.method != "POST":
        return None
    problem = callback_body_problem(request.get_json(silent=True))
    if problem:
        flask.current_app.logger.info("refused a callback request: %s", problem)
        return _refuse(400, problem + "; reload the page")
    return None
