"""Clear answers when the database is away or locked: 503 with a plain message, never a traceback.

The store reconnects by itself (pool_pre_ping on PostgreSQL, a fresh connection on SQLite), so once
the database is back every worker serves again without a restart.
"""
from __future__ import annotations

import flask
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from service.store import database_unavailable

from .plain_pages import plain_page

MESSAGE = "the database is not reachable right now; try again in a moment"
RETRY_AFTER_SECONDS = "5"
JSON_PREFIXES = ("/api/", "/_dash")


def register(server: flask.Flask) -> None:
    """Answer requests that meet an unavailable or locked database with 503 and MESSAGE."""
    server.register_error_handler(DBAPIError, database_error)
    server.register_error_handler(PoolTimeout, database_error)


def wants_json() -> bool:
    """API and Dash callback requests get JSON; pages get HTML."""
    request = flask.request
    return request.path.startswith(JSON_PREFIXES) or request.is_json


def database_error(exc: Exception):
    """503 for an unavailable database; any other database error goes on to the 500 handling."""
    if not database_unavailable(exc):
        raise exc
    flask.current_app.logger.warning("database unavailable for %s %s: %s", flask.request.method,
                                     flask.request.path, type(exc.__cause__ or exc).__name__)
    headers = {"Retry-After": RETRY_AFTER_SECONDS, "Cache-Control": "no-store"}
    if wants_json():
        return flask.jsonify(error=MESSAGE), 503, headers
    return flask.Response(_page(), status=503, mimetype="text/html", headers=headers)


def _page() -> str:
    return plain_page("Try again in a moment", MESSAGE[0].upper() + MESSAGE[1:] + ".",
                      link_text="Reload this page", href="")
