"""What a page lets the browser run.

Every response carries a Content-Security-Policy: scripts only from this server plus the hashes of
Dash's own inline scripts (its renderer start and the clientside callbacks), no plugins, no <base>,
no framing. (What a page tells about the software behind it: dashboard/versions.py.)
"""
from __future__ import annotations

import dash
import flask

STATIC_DIRECTIVES = ("default-src 'self'", "style-src 'self' 'unsafe-inline'",
                     "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'",
                     "worker-src 'self' blob:", "object-src 'none'", "base-uri 'none'",
                     "form-action 'self'", "frame-ancestors 'none'")


def policy(app: dash.Dash) -> str:
    """The Content-Security-Policy header value for this app's pages."""
    script = " ".join(["script-src 'self'", *app.csp_hashes()])
    return "; ".join([STATIC_DIRECTIVES[0], script, *STATIC_DIRECTIVES[1:]])


def install(app: dash.Dash) -> None:
    """Set the policy on every response."""
    def _set_policy(response: flask.Response) -> flask.Response:
        response.headers["Content-Security-Policy"] = policy(app)
        return response

    app.server.after_request(_set_policy)
