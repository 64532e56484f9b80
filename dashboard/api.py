"""A small JSON API over the same store, for users' own automation: start runs, poll, share.

The session cookie decides the owner, as for the pages; ids from the request are always checked
against it.
"""
from __future__ import annotations

import math

import flask

from segmentation.options import OptionError, RunOptions

from .context import current_owner, get_settings, get_store

api = flask.Blueprint("clearseg_api", __name__, url_prefix="/api")

def _error(message: str, status: int, **extra):
    return flask.jsonify(error=message, **extra), status


def clean_options(body: dict, *, upload: dict) -> RunOptions:
    """The run options of a request body (every key but upload_id; null means the default),
    checked against the upload's preview; OptionError names the JSON field to fix."""
    raw = {key: value for key, value in body.items() if key != "upload_id" and value is not None}
    if "source" in raw:
        raise OptionError("source", "is set by the server from the upload's name; leave it out")
    options = RunOptions(**raw, source=upload["filename"])
    return options.checked_against(upload["preview"]) if upload["preview"] else options


@api.post("/runs")
def create_run():
    """Queue a run of one of this session's uploads; 422 names a bad option's JSON field."""
    body = flask.request.get_json(silent=True)
    body = {} if body is None else body
    if not isinstance(body, dict):
        return _error("send a JSON object: {\"upload_id\": ..., and any run options}", 400)
    store, owner = get_store(), current_owner()
    upload = store.upload(str(body.get("upload_id", "")), owner=owner)
    if upload is None:
        return _error("no such upload: upload a file first", 404)
    if upload["error"]:
        return _error(upload["error"], 400)
    try:
        options = clean_options(body, upload=upload)
    except OptionError as exc:
        return _error(str(exc), 422, field=exc.field)
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
