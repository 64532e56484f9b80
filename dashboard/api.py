"""A small JSON API over the same store, for users' own automation: start runs, poll, share.

The session cookie decides the owner, as for the pages; ids from the request are always checked
against it.
"""
from __future__ import annotations

import math

import flask

from segmentation.errors import InputError
from segmentation.pipeline import METHODS

from .context import current_owner, get_settings, get_store

api = flask.Blueprint("clearseg_api", __name__, url_prefix="/api")

OPTION_KEYS = ("method", "k", "features", "id_column", "max_depth", "seed", "roles", "orders")


def _error(message: str, status: int):
    return flask.jsonify(error=message), status


def clean_options(raw: dict, *, source: str) -> dict:
    """Run options from user input, checked; raises InputError with what to fix."""
    options = {k: raw.get(k) for k in OPTION_KEYS if raw.get(k) not in (None, "", [])}
    method = options.get("method", "kmeans")
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}")
    k = options.get("k")
    if k not in (None, "auto"):
        if not isinstance(k, int) or isinstance(k, bool) or not 2 <= k <= 20:
            raise InputError("k must be 'auto' or a whole number from 2 to 20")
    depth = options.get("max_depth", 3)
    if not isinstance(depth, int) or not 2 <= depth <= 4:
        raise InputError("max_depth must be 2, 3 or 4")
    for key in ("features",):
        if key in options and not (isinstance(options[key], list)
                                    and all(isinstance(v, str) for v in options[key])):
            raise InputError(f"{key} must be a list of column names")
    options.update(method=method, k=None if k in (None, "auto") else k, max_depth=depth,
                   seed=int(options.get("seed", 0)), source=source)
    return options


@api.post("/runs")
def create_run():
    body = flask.request.get_json(silent=True) or {}
    store, owner = get_store(), current_owner()
    upload = store.upload(str(body.get("upload_id", "")), owner=owner)
    if upload is None:
        return _error("no such upload: upload a file first", 404)
    if upload["error"]:
        return _error(upload["error"], 400)
    try:
        options = clean_options(body, source=upload["filename"])
    except InputError as exc:
        return _error(str(exc), 400)
    run_id = store.submit(owner=owner, title=upload["filename"], options=options,
                          upload_id=upload["id"])
    return flask.jsonify(id=run_id, url=f"/runs/{run_id}"), 201


@api.get("/runs/<run_id>")
def run_status(run_id: str):
    run = get_store().run(run_id, owner=current_owner())
    if run is None:
        return _error("no such run", 404)
    return flask.jsonify({k: run[k] for k in ("id", "title", "status", "stage", "progress",
                                               "message", "created_at", "finished_at")})


@api.post("/runs/<run_id>/shares")
def create_share(run_id: str):
    body = flask.request.get_json(silent=True) or {}
    days = body.get("expires_in_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, (int, float))
                             or not math.isfinite(days) or days <= 0):
        return _error("expires_in_days must be a positive number", 400)
    if not get_settings().sharing:
        return _error("sharing is turned off on this server", 403)
    token = get_store().create_share(run_id, owner=current_owner(), expires_in_days=days)
    if token is None:
        return _error("no such run", 404)
    return flask.jsonify(url=f"{flask.request.host_url.rstrip('/')}/share/{token}"), 201


@api.post("/runs/<run_id>/visibility")
def set_visibility(run_id: str):
    """private (only you), team (every signed-in editor) or public (anyone, read-only)."""
    body = flask.request.get_json(silent=True) or {}
    visibility = body.get("visibility")
    if visibility not in ("private", "team", "public"):
        return _error("visibility must be private, team or public", 400)
    if not get_store().set_visibility(run_id, owner=current_owner(), visibility=visibility):
        return _error("no such run", 404)
    return flask.jsonify(id=run_id, visibility=visibility)
