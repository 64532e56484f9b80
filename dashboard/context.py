"""Who is asking and where things are: the session's owner id, the store, the settings.

Nothing here is process state: the owner comes from the signed session cookie and the store from
the Flask app, so any worker can serve any request.
"""
from __future__ import annotations

import secrets

import flask

from service.repositories import RunRecord
from service.settings import Settings
from service.store import RunStore

EXTENSION = "clearseg"


def get_store() -> RunStore:
    return flask.current_app.extensions[EXTENSION]["store"]


def get_settings() -> Settings:
    return flask.current_app.extensions[EXTENSION]["settings"]


def current_owner() -> str:
    """The signed-in editor's id; without accounts, the browser session's own id (signed cookie,
    HttpOnly), created on first use."""
    user = flask.session.get("user")
    if isinstance(user, str) and len(user) == 32:
        return user
    uid = flask.session.get("uid")
    if not isinstance(uid, str) or len(uid) != 32:
        uid = secrets.token_hex(16)
        flask.session["uid"] = uid
        flask.session.permanent = True
    return uid


def visible_run(run_id: str) -> RunRecord | None:
    """A run the current session may look at: its own, a public one, or a team run when signed in."""
    run = get_store().runs.get(str(run_id)) if run_id else None
    if run is None:
        return None
    if run.owner == current_owner() or run.visibility == "public":
        return run
    if run.visibility == "team" and isinstance(flask.session.get("user"), str):
        return run
    return None
