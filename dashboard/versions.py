"""What the pages tell a visitor about the software behind them: no version in a name or a config.

The Dash config leaves out the Dash, Plotly and Python versions and the favicon URL Dash's version.
Every script and stylesheet an HTML page links (Dash's component suites, whose file names carry
package versions such as react@18.3.1.min.js, and the assets, e.g. bootstrap-5.3.9.min.css)
goes under an opaque name /assets/_files/<folder>/<file>: keyed hashes of the secret key and the
real path, so every worker names a file alike and any worker serves it (a worker learns the names
from Dash's own tags), and a new Dash release renames Dash's files.
The route maps the name back and answers with Dash's own view, so the bytes and caching headers
are Dash's; it lives under /assets/ because the sign-in gate and the cache rules already treat
that as public static files. A file a script loads relative to itself (the renderer's chunks such
as async-graph.js, source maps) is found in the script's real folder. The names no longer match
/_dash-component-suites/, so the chunk loaders add no release fingerprint to chunk names either.
The files are the vendors' byte for byte: React's and plotly.js's still state their version
inside, as any file's hash names its release whatever it is called.
"""
from __future__ import annotations

import hashlib
import hmac
import re

import dash
import flask
from werkzeug.exceptions import HTTPException

from .request_limits import unknown_resource

VERSION_KEYS = ("dash_version", "python_version", "plotly_version", "ddk_version",
                "dash_version_url")
FAVICON_VERSION = re.compile(r"(_favicon\.ico)\?v=[^\"']*")
FOLDER = "_files"
LINKED = (".js", ".css")   # what Dash's tags link: the names any worker can learn
SAFE_NAME = re.compile(r"[\w@.+-]+(/[\w@.+-]+)*")
TOKEN_LENGTH = 20
TOKEN = re.compile(f"[0-9a-f]{{{TOKEN_LENGTH}}}")
OPAQUE_FILE = re.compile(f"[0-9a-f]{{{TOKEN_LENGTH}}}\\.\\w+")


class OpaqueNames:
    """Opaque URL <-> real URL of the files the index links, per app (and so per worker)."""

    def __init__(self, app: dash.Dash, key: bytes):
        self.app, self.key = app, key
        prefix = app.config.requests_pathname_prefix
        self.real_prefixes = (prefix + "_dash-component-suites/",
                              prefix + app.config.assets_url_path.strip("/") + "/")
        self.base = self.real_prefixes[1] + FOLDER + "/"
        self.link = re.compile(r"""\b((?:src|href)=(["']))(""" + "|".join(
            map(re.escape, self.real_prefixes)) + r""")([^"'<>\s]+)\2""")
        self.folders: dict[str, str] = {}
        self.files: dict[tuple[str, str], str] = {}
        self.learnt = False   # Dash's tags named once: a made-up name then costs a lookup only

    def _token(self, text: str) -> str:
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()[:TOKEN_LENGTH]

    def opaque(self, url: str) -> str:
        """The opaque URL of a real script or stylesheet (remembered, so this worker can map it
        back); others are left as they are, as are URLs already opaque. Dash's file paths carry
        its release fingerprint, so an upgrade renames them; assets are revalidated by their
        ETag, so their names need not change when they are edited."""
        path = url.split("?", 1)[0]
        if path.startswith(self.base) or not path.endswith(LINKED):
            return url
        folder, name = path.rsplit("/", 1)
        folder_token = self._token("folder " + folder)
        file_name = self._token("file " + path) + "." + name.rsplit(".", 1)[-1]
        self.folders[folder_token] = folder
        self.files[(folder_token, file_name)] = path
        return f"{self.base}{folder_token}/{file_name}"

    def rewrite(self, page: str) -> str:
        """The page with every src and href of a script, stylesheet or asset under its opaque
        name, and the favicon without Dash's version."""
        page = self.link.sub(lambda m: m.group(1) + self.opaque(m.group(3) + m.group(4))
                             + m.group(2), page)
        return FAVICON_VERSION.sub(r"\1", page)

    def _learn(self) -> None:
        """Name every file the index would link, as Dash renders its tags (after its set-up),
        once per worker: the tags do not change while it runs."""
        if not self.learnt:
            self.rewrite(self.app._generate_css_dist_html() + self.app._generate_scripts_html())
            self.learnt = True

    def real(self, folder_token: str, name: str) -> str | None:
        """The real path behind an opaque folder and file name (a plain name is a file in that
        folder), or None for an unknown one. Names another worker gave are learnt on first use."""
        if not (TOKEN.fullmatch(folder_token) and SAFE_NAME.fullmatch(name)) \
                or ".." in name.split("/"):
            return None
        if folder_token not in self.folders or (
                OPAQUE_FILE.fullmatch(name) and (folder_token, name) not in self.files):
            self._learn()
        folder = self.folders.get(folder_token)
        if folder is None:
            return None
        return self.files.get((folder_token, name), f"{folder}/{name}")


def _serve_as_dash(app: dash.Dash, url: str) -> flask.Response:
    """Dash's (or Flask's static) own answer for a real URL, called within this request."""
    path = app.config.routes_pathname_prefix + url[len(app.config.requests_pathname_prefix):]
    try:
        endpoint, args = app.server.create_url_adapter(flask.request).match(path, method="GET")
    except HTTPException:
        return unknown_resource(None)
    return app.server.view_functions[endpoint](**args)


def _file_route(app: dash.Dash, names: OpaqueNames) -> None:
    """GET <assets>/_files/<folder>/<name>: the file behind the opaque name, or a bare 404."""
    def serve(folder: str, name: str):
        path = names.real(folder, name)
        if path is None:
            return unknown_resource(None)
        return _serve_as_dash(app, path)

    rule = app.config.routes_pathname_prefix + names.base[len(app.config.requests_pathname_prefix):]
    app.server.add_url_rule(rule + "<folder>/<path:name>", endpoint="clearseg_opaque_file",
                            view_func=serve, methods=["GET"])


def _page_hook(names: OpaqueNames):
    """after_request: the opaque names in every HTML page (Dash's index and the plain pages
    alike; a downloaded report, an attachment, is left as it is)."""
    def hide_versions(response: flask.Response) -> flask.Response:
        if (response.mimetype == "text/html" and not response.direct_passthrough
                and not response.is_streamed and "Content-Disposition" not in response.headers):
            response.set_data(names.rewrite(response.get_data(as_text=True)))
        return response
    return hide_versions


def install(app: dash.Dash) -> None:
    """Keep versions out of the Dash config, the favicon URL and every file name a page links."""
    config = app._config
    secret = str(app.server.secret_key or "").encode()
    names = OpaqueNames(app, hashlib.sha256(b"opaque file names\0" + secret).digest())

    def _config():
        return {k: v for k, v in config().items() if k not in VERSION_KEYS}

    app._config = _config
    app.server.after_request(_page_hook(names))
    _file_route(app, names)
