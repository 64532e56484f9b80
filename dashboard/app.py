"""The app factory: one Dash app over one Flask server, configured from Settings."""
from __future__ import annotations

import secrets
import threading
from datetime import timedelta
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
import flask
from dash import dcc, html
from dash.exceptions import DependencyException
from werkzeug.middleware.proxy_fix import ProxyFix

from service.settings import Settings
from service.store import RunStore

from . import csp, ids, versions
from .api import api
from .auth import auth, csrf_field, csrf_token, gate
from .errors import register as register_errors
from .context import EXTENSION, current_owner
from .request_limits import DASH_APP, check_callback_body, limit_body, unknown_resource
from .routes import bp

ROOT = Path(__file__).resolve().parents[1]


def _secret_key(settings: Settings, *, local: bool) -> str:
    """The configured key; in local mode a key kept under instance/ is made on first start."""
    if settings.secret_key:
        return settings.secret_key
    if not local:
        raise RuntimeError("CLEARSEG_SECRET_KEY is not set: set it to a long random string "
                           "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')")
    path = Path(settings.database_url.split("///", 1)[-1]).parent / "secret_key"
    if settings.database_url.startswith("sqlite") and path.parent.exists():
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()
    return secrets.token_hex(32)


def _ensure_session() -> None:
    """Give every browser its owner id and form token on its first request (before_request)."""
    current_owner()
    csrf_token()


def _trust_proxies(server: flask.Flask, hops: int) -> None:
    """Behind `hops` reverse proxies, take the client's address and scheme from the
    X-Forwarded-For/-Proto headers they set (and no more hops than that, so a client cannot
    choose its own address); with none, the connection's peer is the client."""
    if hops > 0:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops)


def _navbar() -> dbc.Navbar:
    signed_in = bool(flask.has_request_context() and flask.session.get("user"))
    signout = html.Form([csrf_field(),
                         html.Button("Sign out", type="submit", id="signout-button",
                                     className="btn btn-link btn-sm")],
                        action="/signout", method="POST") if signed_in else None
    return dbc.Navbar(dbc.Container([
        dbc.NavbarBrand("Clearseg", href="/", className="fw-semibold"),
        html.Div([html.Span("rule-explained customer segments",
                            className="navbar-text text-muted small"), signout],
                 className="d-flex align-items-center gap-2"),
    ]), color="light", className="mb-4 border-bottom")


def _shell():
    return html.Div([
        dcc.Location(id=ids.URL, refresh="callback-nav"),
        _navbar(),
        dbc.Container(dash.page_container, className="pb-5"),
    ])


def _register_pages(app: dash.Dash) -> None:
    from .pages import home, not_found, run, share

    dash.register_page("home", path="/", title="Clearseg", layout=home.layout)
    dash.register_page("run", path_template="/runs/<run_id>", title=run.title, layout=run.layout)
    dash.register_page("share", path_template="/share/<token>", title=share.title,
                       layout=share.layout)
    dash.register_page("not_found_404", path="/404", title="Not found", layout=not_found.layout)


def _setup_dash_once(server: flask.Flask, app: dash.Dash) -> None:
    """Dash sets itself up on the first request and marks that done before it is; with threaded
    workers a second request could meanwhile render a page missing scripts. Each request waits
    until the setup is complete."""
    lock, setup = threading.Lock(), app._setup_server

    def locked_setup():
        with lock:
            setup()

    hooks = server.before_request_funcs.setdefault(None, [])
    hooks[hooks.index(setup)] = locked_setup


def _guard_requests(server: flask.Flask, app: dash.Dash) -> None:
    """The request hooks in order (after Dash's own setup): body size, sign-in, owner id, callback
    body shape; the page security headers, no versions shown."""
    server.extensions[DASH_APP] = app
    _setup_dash_once(server, app)
    server.before_request(limit_body)
    server.before_request(gate)
    server.before_request(_ensure_session)
    server.before_request(check_callback_body)
    server.register_error_handler(DependencyException, unknown_resource)
    csp.install(app)
    versions.install(app)


def create_app(settings: Settings | None = None, *, local: bool = False) -> dash.Dash:
    """Build the app; `local` allows a generated secret key (python server.py on loopback)."""
    settings = settings or Settings.from_env()
    server = flask.Flask("clearseg")
    store = RunStore(settings.database_url)
    store.migrate_when_reachable(meanwhile="pages answer 503 until it is")
    server.extensions[EXTENSION] = {"store": store, "settings": settings, "local": local}
    _trust_proxies(server, settings.proxy_hops)
    server.config.update(
        SECRET_KEY=_secret_key(settings, local=local),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=(not local if settings.secure_cookies is None
                               else settings.secure_cookies),
        PERMANENT_SESSION_LIFETIME=timedelta(days=30),
    )
    server.register_blueprint(bp)
    server.register_blueprint(api)
    server.register_blueprint(auth)
    register_errors(server)
    app = dash.Dash(
        "clearseg", server=server, use_pages=True, pages_folder="",
        assets_folder=str(ROOT / "assets"), title="Clearseg", update_title=None,
        suppress_callback_exceptions=True, serve_locally=True, compress=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    _register_pages(app)
    app.layout = _shell
    _guard_requests(server, app)
    from .pages import report  # noqa: F401  (the report's callbacks; each page module holds its own)
    return app
