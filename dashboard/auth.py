"""Who may get in: editors sign in once accounts exist; without any, each browser is its own owner.

With accounts, every request needs a signed-in editor except the sign-in page, /healthz, static
files and share links; a visitor holding a share link may call only the callbacks its view needs.
"""
from __future__ import annotations

import secrets

import flask

from service.accounts import Accounts

from .context import get_store
from .plain_pages import render_page

auth = flask.Blueprint("clearseg_auth", __name__)

OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/", "/share/")
OPEN_PATHS = {"/signin", "/healthz", "/_dash-layout", "/_dash-dependencies", "/_reload-hash",
              "/_favicon.ico", "/favicon.ico"}
# outputs a share view updates (page routing, its tabs and chart pickers); nothing else
SHARE_OUTPUTS = frozenset({"_pages_content", "_pages_store", "tab-content", "view-location",
                           "pair-plot-graph", "pair-plot-features", "distribution-graph"})


def accounts_mode() -> bool:
    return Accounts(get_store()).any_user()


def signed_in_user() -> str | None:
    """The signed-in editor's id, if the session names a user that still exists."""
    user_id = flask.session.get("user")
    if isinstance(user_id, str) and Accounts(get_store()).user(user_id):
        return user_id
    return None


def _share_callback_allowed() -> bool:
    """A callback request from a share view: only its own outputs, only for /share/ paths."""
    body = flask.request.get_json(silent=True)
    if not isinstance(body, dict):
        return False
    output = str(body.get("output", ""))
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    if not {part.rsplit(".", 1)[0] for part in parts} <= SHARE_OUTPUTS:
        return False
    for item in (body.get("inputs") or []) + (body.get("state") or []):
        if isinstance(item, dict) and item.get("property") in ("pathname", "href"):
            value = str(item.get("value") or "")
            path = value.split("://", 1)[-1]
            path = "/" + path.split("/", 1)[1] if value.startswith("http") else path
            if not path.startswith("/share/"):
                return False
    return True


def gate():
    """before_request: let the request through, or send it to the sign-in page (401 for APIs)."""
    path = flask.request.path
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES) or not accounts_mode():
        return None
    if signed_in_user():
        return None
    flask.session.pop("user", None)  # a removed editor's cookie signs in no more
    if path == "/_dash-update-component" and _share_callback_allowed():
        return None
    if path.startswith(("/api/", "/_dash")):
        return flask.jsonify(error="sign in first"), 401
    return flask.redirect("/signin")


def _csrf_token() -> str:
    token = flask.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        flask.session["csrf"] = token
    return token


def _signin_page(message: str = "", status: int = 200) -> flask.Response:
    """The sign-in form (templates/signin.html.j2), with why the last attempt failed."""
    page = render_page("signin.html.j2", title="Sign in", message=message, csrf=_csrf_token())
    return flask.Response(page, status=status, mimetype="text/html")


@auth.get("/signin")
def signin_form():
    return _signin_page()


@auth.post("/signin")
def signin():
    form = flask.request.form
    if not secrets.compare_digest(str(form.get("csrf", "")), str(flask.session.get("csrf", "x"))):
        return _signin_page("The form expired: please sign in again.", 400)
    address = flask.request.remote_addr or "unknown"
    user_id, wait = Accounts(get_store()).sign_in(str(form.get("username", ""))[:64],
                                                  str(form.get("password", ""))[:1024],
                                                  address=address)
    if user_id is None:
        if wait > 0:
            return _signin_page(f"Too many failed attempts: try again in {wait:.0f} s.", 429)
        return _signin_page("User name or password is wrong.", 401)
    flask.session.clear()
    flask.session["user"] = user_id
    flask.session.permanent = True
    return flask.redirect("/")


@auth.post("/signout")
def signout():
    flask.session.clear()
    return flask.redirect("/signin")
