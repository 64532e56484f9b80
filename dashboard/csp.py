"""What a page lets the browser run, and what it tells about the software behind it.

Every response carries a Content-Security-Policy: scripts only from this server plus the hashes of
Dash's own inline scripts (its renderer start and the clientside callbacks), no plugins, no <base>,
no framing. The Dash config leaves out the Dash, Plotly and Python versions, and the fingerprints
in script URLs carry an opaque token instead of the package versions (it still changes when a
package or file changes, so browsers still fetch new files after an upgrade).
"""
from __future__ import annotations

import hashlib
import re

import dash
import flask

VERSION_KEYS = ("dash_version", "python_version", "plotly_version", "ddk_version",
                "dash_version_url")
FINGERPRINT = re.compile(r"(_dash-component-suites/[^\"'?#]*?\.)v([\w-]+)m([0-9a-fA-F]+)\.")
FAVICON_VERSION = re.compile(r"(_favicon\.ico)\?v=[^\"']*")
STATIC_DIRECTIVES = ("default-src 'self'", "style-src 'self' 'unsafe-inline'",
                     "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'",
                     "worker-src 'self' blob:", "object-src 'none'", "base-uri 'none'",
                     "form-action 'self'", "frame-ancestors 'none'")


def policy(app: dash.Dash) -> str:
    """The Content-Security-Policy header value for this app's pages."""
    script = " ".join(["script-src 'self'", *app.csp_hashes()])
    return "; ".join([STATIC_DIRECTIVES[0], script, *STATIC_DIRECTIVES[1:]])


def _opaque(match: re.Match, key: bytes) -> str:
    token = hashlib.sha256(key + match.group(2).encode() + match.group(3).encode()).hexdigest()
    return f"{match.group(1)}v{token[:12]}m0."


def hide_versions(index: str, key: bytes) -> str:
    """The index page with opaque script fingerprints and no favicon version."""
    index = FINGERPRINT.sub(lambda m: _opaque(m, key), index)
    return FAVICON_VERSION.sub(r"\1", index)


def install(app: dash.Dash) -> None:
    """Set the policy on every response and keep versions out of the config and the index page."""
    config, interpolate = app._config, app.interpolate_index
    key = hashlib.sha256(str(app.server.secret_key or "").encode()).digest()

    def _config():
        return {k: v for k, v in config().items() if k not in VERSION_KEYS}

    def _interpolate(**kwargs):
        return hide_versions(interpolate(**kwargs), key)

    def _set_policy(response: flask.Response) -> flask.Response:
        response.headers["Content-Security-Policy"] = policy(app)
        return response

    app._config = _config
    app.interpolate_index = _interpolate
    app.server.after_request(_set_policy)
