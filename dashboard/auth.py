"""Who may get in: editors sign in once accounts exist; without any, each browser is its own owner.

With accounts, every request needs a signed-in editor except the sign-in page, /healthz, static
files and share links; a visitor holding a share link may call only the callbacks its view needs.
A server that is not local never falls back to open mode once it has had accounts: removing the
last editor locks it. A session names its editor and the editor's session generation, checked on
every request, so a cookie from before a sign-out, a new password or a removal is void. Every form
that changes something carries the session's token (field `csrf` or header X-CSRF-Token).
"""
from __future__ import annotations

import secrets

import flask
from dash import dcc

from service.accounts import Accounts

from .context import EXTENSION, get_store
from .plain_pages import render_page
from .request_limits import callback_map
from .share_gate import share_callback_allowed

auth = flask.Blueprint("clearseg_auth", __name__)

OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/", "/share/")
OPEN_PATHS = {"/signin", "/healthz", "/_dash-layout", "/_dash-dependencies", "/_reload-hash",
              "/_favicon.ico", "/favicon.ico"}
CSRF_FIELD, CSRF_HEADER = "csrf", "X-CSRF-Token"


def accounts_mode() -> bool:
    """Sign-in needed: there are editors, or there were and this is not a local server."""
    editors, ever = Accounts(get_store()).counts()
    local = flask.current_app.extensions[EXTENSION].get("local", False)
    return editors > 0 or (ever > 0 and not local)


def signed_in_user() -> str | None:
    """The signed-in editor's id, if the session names an editor and generation still valid."""
    user_id = flask.session.get("user")
    if user_id is None:
        return None
    if Accounts(get_store()).session_valid(user_id, flask.session.get("gen")):
        return user_id
    return None


def _share_callback_allowed() -> bool:
    """A callback request from a share view: exactly one of its registered callbacks (ids and
    properties as registered), reading only /share/ paths."""
    return share_callback_allowed(flask.request.get_json(silent=True), callback_map())


def gate():
    """before_request: let the request through, or send it to the sign-in page (401 for APIs)."""
    path = flask.request.path
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES) or signed_in_user():
        return None
    flask.session.pop("user", None)  # a signed-out or removed editor's cookie signs in no more
    flask.session.pop("gen", None)
    if not accounts_mode():
        return None
    if path == "/_dash-update-component" and _share_callback_allowed():
        return None
    if path.startswith(("/api/", "/_dash")):
        return flask.jsonify(error="sign in first"), 401
    return flask.redirect("/signin")


def csrf_token() -> str:
    """This session's form token, made on first use."""
    token = flask.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(24)
        flask.session["csrf"] = token
    return token


def csrf_field() -> dcc.Input:
    """The hidden field that carries the session's token in a page's POST form."""
    return dcc.Input(type="hidden", name=CSRF_FIELD, value=csrf_token())


def csrf_valid() -> bool:
    """True when the request carries this session's token; never when the session holds none."""
    expected = flask.session.get("csrf")
    sent = flask.request.headers.get(CSRF_HEADER) or flask.request.form.get(CSRF_FIELD)
    if not isinstance(expected, str) or not expected or not isinstance(sent, str):
        return False
    return secrets.compare_digest(sent.encode("utf-8"), expected.encode("utf-8"))


def _signin_page(message: str = "", status: int = 200) -> flask.Response:
    """The sign-in form (templates/signin.html.j2), with why the last attempt failed."""
    page = render_page("signin.html.j2", title="Sign in", message=message, csrf=csrf_token())
    return flask.Response(page, status=status, mimetype="text/html")


@auth.get("/signin")
def signin_form():
    return _signin_page()


@auth.get("/csrf-token")
def csrf_token_json():
    """This session's form token, for scripts that post the forms (other sites cannot read it)."""
    return flask.jsonify(csrf=csrf_token())


@auth.post("/signin")
def signin():
    form = flask.request.form
    if not csrf_valid():
        return _signin_page("The form expired: please sign in again.", 400)
    address = flask.request.remote_addr or "unknown"
    user, wait = Accounts(get_store()).sign_in(str(form.get("username", ""))[:64],
                                               str(form.get("password", ""))[:1024],
                                               address=address)
    if user is None:
        if wait > 0:
            return _signin_page(f"Too many failed attempts: try again in {wait:.0f} s.", 429)
        return _signin_page("User name or password is wrong.", 401)
    flask.session.clear()
    flask.session.update(user=user.id, gen=user.session_generation)
    flask.session.permanent = True
    csrf_token()  # a new token for the signed-in session
    return flask.redirect("/")


@auth.post("/signout")
def signout():
    """End every session of the signed-in editor, then this browser's."""
    if not csrf_valid():
        from .routes import form_expired
        return form_expired()
    user_id = signed_in_user()
    if user_id:
        Accounts(get_store()).end_sessions(user_id)
    flask.session.clear()
    return flask.redirect("/signin")
