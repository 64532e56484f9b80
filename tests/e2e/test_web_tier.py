"""The web tier under hostile clients, against one real gunicorn with an editor account: slow
connections, large or unsized bodies, malformed callbacks, one preview at a time per editor, the
Content-Security-Policy and no software versions in what a visitor gets."""
from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import socket

import dash
import dash_bootstrap_components
import plotly
import pytest
import requests
from dash.fingerprint import build_fingerprint
from plotly.offline import get_plotlyjs_version

from servers import ROOT, Gunicorn
from service.accounts import Accounts
from service.settings import Settings
from service.store import RunStore

TIMEOUT = 30  # seconds: a hang guard only
PASSWORD = "a long password"
SLOW_CONNECTIONS = 8


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    instance = tmp_path_factory.mktemp("web-tier") / "instance"
    instance.mkdir()
    store = RunStore(Settings.from_env({"CLEARSEG_INSTANCE_DIR": str(instance)}).database_url)
    store.create_schema()
    user_id = Accounts(store).add("ana", PASSWORD)
    store.engine.dispose()
    web = Gunicorn(instance, workers=2).start()
    yield {"url": web.url, "instance": instance, "user_id": user_id}
    web.stop()


def _signed_in(site) -> requests.Session:
    session = requests.Session()
    form = session.get(site["url"] + "/signin", timeout=TIMEOUT).text
    csrf = re.search(r"name='csrf' value='([^']+)'", form).group(1)
    r = session.post(site["url"] + "/signin", data={"username": "ana", "password": PASSWORD,
                                                    "csrf": csrf}, allow_redirects=False,
                     timeout=TIMEOUT)
    assert r.status_code == 302, r.text[:300]
    return session


def _slow_client(port: int) -> socket.socket:
    """A connection that has sent a request line and one header, and then nothing more."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return sock


def test_slow_connections_do_not_stop_pages_or_healthz(site):
    port = int(site["url"].rsplit(":", 1)[1])
    slow = [_slow_client(port) for _ in range(SLOW_CONNECTIONS)]
    try:
        editor = _signed_in(site)
        for _ in range(3):
            assert requests.get(site["url"] + "/healthz", timeout=TIMEOUT).json() == {"status": "ok"}
            assert "_dash-config" in editor.get(site["url"] + "/", timeout=TIMEOUT).text
    finally:
        for sock in slow:
            sock.close()


def _callback(session, site, body, **kwargs) -> requests.Response:
    return session.post(site["url"] + "/_dash-update-component", timeout=TIMEOUT, **kwargs,
                        **({"json": body} if body is not None else {}))


def test_a_large_body_is_refused_unread_for_anonymous_and_editors_alike(site):
    big = b'{"output": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    for session in (requests.Session(), _signed_in(site)):
        r = _callback(session, site, None, data=big, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "only file uploads" in r.json()["error"], r.status_code
    api = _signed_in(site).post(site["url"] + "/api/runs", data=big, timeout=TIMEOUT,
                                headers={"Content-Type": "application/json"})
    assert api.status_code == 413 and "request body is over" in api.json()["error"]


def test_a_body_without_a_length_is_refused_outside_uploads(site):
    con = http.client.HTTPConnection("127.0.0.1", int(site["url"].rsplit(":", 1)[1]),
                                     timeout=TIMEOUT)
    try:
        con.request("POST", "/_dash-update-component", body=iter([b"{}"]),
                    headers={"Content-Type": "application/json"}, encode_chunked=True)
        answer = con.getresponse()
        assert answer.status == 411 and b"Content-Length" in answer.read()
    finally:
        con.close()


ROUTING = {"output": ".._pages_content.children..._pages_store.data..",
           "outputs": [{"id": "_pages_content", "property": "children"},
                       {"id": "_pages_store", "property": "data"}],
           "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/"},
                      {"id": "_pages_location", "property": "search", "value": ""}]}


@pytest.mark.parametrize("body", [
    [], {}, {"output": "nothing-here.children", "inputs": []}, {**ROUTING, "inputs": "x"},
    {**ROUTING, "inputs": [{"id": "_pages_location"}, ROUTING["inputs"][1]]},
    {**ROUTING, "outputs": []}, {**ROUTING, "state": [{"id": "x", "property": "y"}]},
], ids=["list", "no output", "unknown output", "inputs not a list", "input without property",
        "outputs missing", "state not registered"])
def test_a_malformed_callback_body_answers_400_with_a_message(site, body):
    assert _callback(_signed_in(site), site, ROUTING).status_code == 200   # the well-formed one
    r = _callback(_signed_in(site), site, body)
    assert r.status_code == 400, r.status_code
    assert r.json()["error"].startswith("the callback body") and "reload the page" in r.json()["error"]


def test_an_upload_is_answered_before_its_file_is_read(site):
    """No runner serves this site: uploads still answer at once, and wait, unread, for one."""
    editor = _signed_in(site)
    form = {"csrf": editor.get(site["url"] + "/csrf-token", timeout=TIMEOUT).json()["csrf"]}
    for index in range(3):
        upload = {"file": (f"c{index}.csv", b"id,spend\n1,2\n2,3\n")}
        r = editor.post(site["url"] + "/upload", files=upload, data=form, allow_redirects=False,
                        timeout=TIMEOUT)
        assert r.status_code == 302 and "?upload=" in r.headers["Location"], r.headers
        upload_id = r.headers["Location"].split("upload=")[1]
        status = editor.get(site["url"] + f"/api/uploads/{upload_id}", timeout=TIMEOUT).json()
        assert status["preview_state"] == "pending" and status["columns"] == [], status
    call = {**ROUTING, "inputs": [{**ROUTING["inputs"][0], "value": "/"},
                                  {**ROUTING["inputs"][1], "value": f"?upload={upload_id}"}]}
    page = _callback(editor, site, call)
    assert page.status_code == 200 and '"upload-reading"' in page.text and "c2.csv" in page.text
    r = editor.post(site["url"] + "/api/runs", json={"upload_id": upload_id}, timeout=TIMEOUT)
    assert r.status_code == 409 and "still being read" in r.json()["error"]
    other = requests.Session().get(site["url"] + f"/api/uploads/{upload_id}", timeout=TIMEOUT)
    assert other.status_code in (401, 404)


def _inline_scripts(page: str) -> list[str]:
    """The code of every inline script the page runs (not JSON data blocks)."""
    found = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", page, flags=re.S)
    return [code for attrs, code in found if "application/json" not in attrs and code.strip()]


def _sha256(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"


def test_pages_carry_a_policy_that_allows_only_their_own_scripts(site):
    for session, path in ((_signed_in(site), "/"), (requests.Session(), "/share/not-a-token"),
                          (requests.Session(), "/signin")):
        r = session.get(site["url"] + path, timeout=TIMEOUT)
        policy = dict(part.strip().split(" ", 1) for part in
                      r.headers["Content-Security-Policy"].split(";"))
        assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'", path
        assert policy["frame-ancestors"] == "'none'" and policy["default-src"] == "'self'", path
        script = policy["script-src"].split()
        assert script[0] == "'self'" and not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(script)
        for code in _inline_scripts(r.text.split("<![endif]-->")[-1]):
            assert _sha256(code) in script, (path, code[:80])


def _dependency_paths() -> list[str]:
    """Dash's own list of the files its renderer needs (React, ReactDOM, the polyfill,
    prop-types), each named with its version: deps/react@18.3.1.min.js."""
    return [path for dep in dash._dash_renderer._js_dist_dependencies
            for path in dep["relative_package_path"]["prod"]]


def _version_spellings() -> set[str]:
    """Every version a page could give away, dotted and as Dash fingerprints spell it (4_4_1):
    those in the dependency file names, Dash's, its renderer's, the Bootstrap components',
    plotly's and plotly.js's."""
    named = {re.search(r"@(\d+(?:\.\d+)+)", path).group(1) for path in _dependency_paths()}
    assert len(named) >= 3, named   # polyfill, React and ReactDOM, prop-types
    versions = named | {dash.__version__, dash._dash_renderer.__version__, plotly.__version__,
                        dash_bootstrap_components.__version__, get_plotlyjs_version()}
    return {spelling for v in versions for spelling in (v, v.replace(".", "_"))}


def _headers(response: requests.Response) -> str:
    return "\n".join(f"{k}: {v}" for k, v in response.headers.items() if k != "Set-Cookie")


def _original_files() -> list[str]:
    """The paths Dash and the assets route serve the linked files at, under their real names:
    the dependencies fingerprinted as Dash fingerprints them (so cached as Dash caches them)."""
    dependencies = ["/_dash-component-suites/dash/" + build_fingerprint(path, dash.__version__, 0)
                    for path in _dependency_paths()]
    assets = ROOT / "assets"
    return dependencies + ["/assets/" + path.relative_to(assets).as_posix()
                           for path in sorted(assets.rglob("*")) if path.suffix in (".css", ".js")]


VISITOR_PAGES = ("/share/not-a-token", "/signin", "/share/not-a-token/report.html")


def test_a_visitor_sees_no_software_versions(site):
    """The pages a visitor gets (Dash's and the plain ones), every file they link and Dash's
    layout and callback lists tell no version, in a name or a header; the files are Dash's own,
    byte for byte, cached as Dash caches them."""
    visitor = requests.Session()
    pages = [visitor.get(site["url"] + path, timeout=TIMEOUT) for path in VISITOR_PAGES]
    page = pages[0].text
    config = json.loads(re.search(r'id="_dash-config" type="application/json">(.*?)</script>',
                                  page, flags=re.S).group(1))
    assert not {"dash_version", "plotly_version", "python_version"} & set(config)
    links = sorted({url for r in pages for url in
                    re.findall(r"""<(?:script|link)\b[^>]*?\b(?:src|href)=["']([^"']+)""", r.text)})
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts and not [url for url in links if re.search(r"@\d|\d+\.\d+\.\d", url)], links
    got = {url: visitor.get(site["url"] + url, timeout=TIMEOUT)
           for url in [*links, "/_dash-layout", "/_dash-dependencies"]}
    assert {url: r.status_code for url, r in got.items() if r.status_code != 200} == {}
    seen = [*(r.text for r in pages), *map(_headers, pages), *links, got["/_dash-layout"].text,
            got["/_dash-dependencies"].text, *map(_headers, got.values())]
    assert {s for s in _version_spellings() if any(s in text for text in seen)} == set()
    served = {r.content: r for url, r in got.items() if url in links}
    for path in _original_files():
        original = visitor.get(site["url"] + path, timeout=TIMEOUT)
        assert original.status_code == 200 and original.content in served, path
        assert (served[original.content].headers.get("Cache-Control")
                == original.headers.get("Cache-Control")), path
    folder = scripts[0].rsplit("/", 1)[0]
    for path in ("/_dash-component-suites/nope/x.js", "/_dash-component-suites/dash/nothing.v1m1.js",
                 "/assets/_files/nope/x.js", folder + "/" + "0" * 20 + ".js",
                 folder + "/nothing.js"):
        missing = visitor.get(site["url"] + path, timeout=TIMEOUT)   # no 500, no list of files
        assert missing.status_code == 404 and "registered" not in missing.text, path
