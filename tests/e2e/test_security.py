"""Nobody reads what is not theirs, and share links hold up; mostly against gunicorn (2 workers).

Editor Ana owns a finished run (real result and files), a queued and a failed run, an upload and
share links. An anonymous client and editor Bo try every route and callback on them and get
nothing of Ana's; made-up, malformed, revoked and expired links all get one identical answer;
tampered session cookies count as anonymous; exported CSV cells never start a formula.
"""
from __future__ import annotations

import csv
import html
import http.client
import io
import json
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import flask
import pytest
import requests
from sqlalchemy import func, select

from dashboard.app import create_app
from dashboard.components.access import lookup_share, share_view
from dashboard.pages import share as share_page
from dashboard.sharing import clear_share_failures, share_blocked, share_result
from explain.report import report_html
from segmentation.errors import InputError
from segmentation.outputs import csv_text, rules_sql
from segmentation.pipeline import RunOptions, run_segmentation
from segmentation.result import RunResult
from segmentation.synthetic import make_customers, make_orders
from service.accounts import Accounts
from service.jobs import execute
from service.previews import safe_preview
from service.schema import runs
from service.settings import Settings
from service.store import RunStore
from servers import ROOT, SECRET, Gunicorn
from spreadsheet_cells import formula_cells

SECRET_FILE = "ana-private-customers-2024.csv"
PASSWORDS = {"ana": "ana's long password", "bo": "bo's long password", "cy": "cy's long password"}
CUSTOMER_IDS = ("C000001", "C000123", "C000250")
LIMIT = 20  # the default CLEARSEG_SHARE_FAILURE_LIMIT
TIMEOUT = 30
ASSIGNMENTS_HEADER = '"customer_id","cluster","segment"'  # assignments.csv quotes its text



# --- the site: Ana's runs in the store, gunicorn on loopback -------------------------------------

@dataclass
class Site:
    web: Gunicorn
    store: RunStore
    instance: Path
    users: dict
    result: RunResult
    assignments: str
    upload_id: str
    run_id: str
    table_run: str
    orders_run: str
    failed_id: str
    queued_id: str
    token: str
    share_id: str
    revoked: str
    expired: str


@pytest.fixture(scope="module")
def output():
    table, _ = make_customers(300)
    return table, run_segmentation(table, options=RunOptions(id_column="customer_id",
                                                             source=SECRET_FILE))


def _add_upload(store, *, instance, owner, frame, name) -> tuple[str, Path]:
    folder = instance / "uploads" / secrets.token_hex(8)
    folder.mkdir(parents=True)
    path = folder / "data.csv"
    frame.to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC)   # CRs stay in their cells
    preview, error = safe_preview(path)
    upload_id = store.uploads.add(owner=owner, filename=name, path=str(path),
                                  size_bytes=path.stat().st_size, preview=preview, error=error).id
    return upload_id, path


def _finished_run(store, *, owner, output_, upload_id) -> str:
    run_id = store.runs.submit(owner=owner, title=SECRET_FILE, upload_id=upload_id,
                               options={"method": "kmeans", "id_column": "customer_id",
                                        "source": SECRET_FILE})
    assert store.queue.claim("test").id == run_id
    result = output_.result
    files = {"assignments.csv": csv_text(output_.assignments).encode(),
             "rules.sql": rules_sql(result).encode(), "report.html": report_html(result).encode()}
    assert store.queue.finish(run_id, result_json=result.to_json(), files=files, message="done")
    return run_id


def _executed_run(store, *, owner, upload_id, path, options) -> str:
    """A run made by the job code itself (claim, execute), as the runner would."""
    run_id = store.runs.submit(owner=owner, title="hostile.csv", upload_id=upload_id,
                               options=options)
    assert store.queue.claim("test").id == run_id
    execute(store, run_id, upload_path=str(path))
    assert store.runs.get(run_id).status == "done", store.runs.get(run_id).message
    return run_id


@pytest.fixture(scope="module")
def site(tmp_path_factory, output):
    instance = tmp_path_factory.mktemp("security") / "instance"
    instance.mkdir()
    store = RunStore(f"sqlite:///{instance / 'clearseg.db'}")
    store.create_schema()
    accounts = Accounts(store)
    users = {name: accounts.add(name, pw) for name, pw in PASSWORDS.items()}
    ana = users["ana"]
    table, out = output
    upload_id, _ = _add_upload(store, instance=instance, owner=ana, frame=table, name=SECRET_FILE)
    run_id = _finished_run(store, owner=ana, output_=out, upload_id=upload_id)
    hostile_id, hostile_path = _add_upload(store, instance=instance, owner=ana,
                                           frame=hostile_table(), name="hostile.csv")
    table_run = _executed_run(store, owner=ana, upload_id=hostile_id, path=hostile_path,
                              options={"id_column": "customer_id"})
    orders_id, orders_path = _add_upload(store, instance=instance, owner=ana,
                                         frame=hostile_orders(), name="orders.csv")
    orders_run = _executed_run(store, owner=ana, upload_id=orders_id, path=orders_path,
                               options={"orders": {"customer": "customer_id"}})
    failed_id = store.runs.submit(owner=ana, title=SECRET_FILE, upload_id=upload_id, options={})
    store.queue.claim("test")
    store.queue.fail(failed_id, "stopped")
    queued_id = store.runs.submit(owner=ana, title=SECRET_FILE, upload_id=upload_id, options={})
    token, share = store.shares.add(run_id)
    revoked, revoked_share = store.shares.add(run_id)
    assert store.shares.revoke(revoked_share.id, owner=ana)
    expired, _ = store.shares.add(run_id, expires_in_days=1e-6)
    web = Gunicorn(instance, workers=2).start()
    try:
        yield Site(web, store, instance, users, out.result, csv_text(out.assignments), upload_id,
                   run_id, table_run, orders_run, failed_id, queued_id, token, share.id, revoked,
                   expired)
    finally:
        web.stop()


@pytest.fixture(autouse=True)
def fresh_counts(request):
    """Each test starts with no failed link attempts counted for loopback."""
    if "site" in request.fixturenames:
        clear_share_failures(request.getfixturevalue("site").store, address="127.0.0.1")


@pytest.fixture(scope="module")
def deps(site):
    return requests.get(f"{site.web.url}/_dash-dependencies", timeout=TIMEOUT).json()


def sign_in(site, *, name) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{site.web.url}/signin", timeout=TIMEOUT).text
    csrf = re.search(r"name='csrf' value='([^']+)'", page).group(1)
    r = session.post(f"{site.web.url}/signin", allow_redirects=False, timeout=TIMEOUT,
                     data={"username": name, "password": PASSWORDS[name], "csrf": csrf})
    assert r.status_code == 302, r.text
    return session


# --- Dash callback bodies, as the renderer posts them ----------------------------------------

def _short(spec_id: str) -> str:
    return json.loads(spec_id)["type"] if spec_id.startswith("{") else spec_id


def _concrete(spec_id: str, *, match):
    return {**json.loads(spec_id), "index": match} if spec_id.startswith("{") else spec_id


def _items(specs, *, values: dict, match) -> list:
    items = []
    for spec in specs:
        if '"ALL"' in spec["id"]:
            items.append([])  # no such elements on the page
            continue
        items.append({"id": _concrete(spec["id"], match=match), "property": spec["property"],
                      "value": values.get(f"{_short(spec['id'])}.{spec['property']}")})
    return items


def _prop_id(item: dict) -> str:
    ident = item["id"]
    return (json.dumps(ident, sort_keys=True, separators=(",", ":")) if isinstance(ident, dict)
            else ident) + "." + item["property"]


def callback_body(deps, *, output: str, values: dict, match=None) -> dict:
    """The body for the callback whose output names `output`; values by "id.property"."""
    dep = next(d for d in deps if output in d["output"])
    parts = dep["output"][2:-2].split("...") if dep["output"].startswith("..") else [dep["output"]]
    outputs = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        outputs.append({"id": _concrete(ident, match=match), "property": prop})
    inputs = _items(dep["inputs"], values=values, match=match)
    return {"output": dep["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": inputs, "state": _items(dep["state"], values=values, match=match),
            "changedPropIds": [_prop_id(inputs[0])] if inputs and inputs[0] else []}


def routing(deps, *, path: str, search: str = "") -> dict:
    return callback_body(deps, output="_pages_content.children", values={
        "_pages_location.pathname": path, "_pages_location.search": search})


def tab_call(deps, *, ref, tab="segments") -> dict:
    body = callback_body(deps, output="tab-content.children", values={
        f"run-tab-{tab}.n_clicks": 1, "view-ref.data": ref, "view-location.search": ""})
    body["changedPropIds"] = [f"run-tab-{tab}.n_clicks"]
    return body


def run_callbacks(site, *, deps) -> list[tuple[str, dict]]:
    """Every callback, each naming one of Ana's runs, uploads or links."""
    rid, ref = site.run_id, {"run": site.run_id}
    calls = [(f"route {p}{s}", routing(deps, path=p, search=s)) for p, s in (
        (f"/runs/{rid}", ""), (f"/runs/{rid}", "?tab=rules"), (f"/runs/{rid}", "?tab=data"),
        (f"/runs/{site.queued_id}", ""), (f"/runs/{site.failed_id}", ""),
        ("/", f"?upload={site.upload_id}"), (f"/share/x/../../runs/{rid}", ""),
        (f"/runs/{site.table_run}", f"?run_id={rid}"))]
    calls += [(f"tab {tab}", tab_call(deps, ref=ref, tab=tab))
              for tab in ("segments", "rules", "dendrogram", "pairs", "profiles", "k", "data")]
    calls += [
        ("tab, bad token beside the id", tab_call(deps, ref={"token": "x" * 43, "run": rid})),
        ("pairs", callback_body(deps, output="pair-plot-graph.figure", values={
            "pair-plot-features.value": ["age", "annual_income"], "view-ref.data": ref})),
        ("distribution", callback_body(deps, output="distribution-graph.figure", values={
            "distribution-feature.value": "age", "view-ref.data": ref})),
        ("poll", callback_body(deps, output="run-body.children...", values={
            "run-poll.n_intervals": 3, "view-ref.data": ref, "view-location.search": ""})),
        ("cancel", callback_body(deps, output="run-status.children", values={
            "run-cancel.n_clicks": 1, "view-ref.data": {"run": site.queued_id}})),
        ("retry", callback_body(deps, output="run-body.children@", values={
            "run-retry.n_clicks": 1, "view-ref.data": {"run": site.failed_id}})),
        ("create link", callback_body(deps, output="share-url.value", values={
            "share-button.n_clicks": 1, "share-expiry.value": "never", "view-ref.data": ref})),
        ("submit on Ana's upload", callback_body(deps, output="url.href", values={
            "run-button.n_clicks": 1, "upload-ref.data": site.upload_id, "settings-k.value": 3})),
        ("features of Ana's upload", callback_body(
            deps, output="settings-features.options",
            values={"settings-features.value": [], "upload-ref.data": site.upload_id})),
    ]
    for label, ref_ in (("revoke", ref), ("revoke holding the link", {"token": site.token})):
        calls.append((label, callback_body(deps, output="share-row", values={
            "share-revoke.n_clicks": 1, "share-revoke.id": {"type": "share-revoke",
                                                            "index": site.share_id},
            "view-ref.data": ref_}, match=site.share_id)))
    return calls


def routes(site) -> list[tuple[str, str, dict | None]]:
    """Every plain route, each naming one of Ana's runs or uploads."""
    rid = site.run_id
    gets = [f"/runs/{rid}", f"/runs/{rid}?tab=rules", f"/runs/{site.queued_id}",
            f"/?upload={site.upload_id}", f"/api/runs/{rid}", f"/api/runs/{site.queued_id}", "/"]
    gets += [f"/runs/{r}/download/{name}" for r in (rid, site.orders_run)
             for name in ("assignments.csv", "customers.csv", "rules.sql", "report.html",
                          "result.json")]
    posts = [("/api/runs", {"upload_id": site.upload_id}), (f"/api/runs/{rid}/shares", {}),
             (f"/api/runs/{rid}/visibility", {"visibility": "public"}),
             (f"/api/runs/{rid}/visibility", {"visibility": "team"})]
    return [("GET", p, None) for p in gets] + [("POST", p, body) for p, body in posts]


# --- what a response may not contain ---------------------------------------------------------

def texts(response: requests.Response) -> list[str]:
    """The body as sent, HTML-unescaped, and (for JSON) with its string escapes undone."""
    text = response.content.decode("utf-8", errors="replace")
    out = [text, html.unescape(text)]
    try:
        out.append(json.dumps(json.loads(text), ensure_ascii=False))
    except ValueError:
        pass
    return out


def ana_marks(site) -> list[str]:
    """Strings only Ana's own pages and files contain."""
    marks = [SECRET_FILE, site.users["ana"], ASSIGNMENTS_HEADER, *CUSTOMER_IDS,
             *site.assignments.splitlines()[1:4]]
    for seg in site.result.segments:
        marks += [seg.name, seg.rule.text, seg.strategy.headline]
    return marks


def found(response, *, marks) -> list[str]:
    bodies = texts(response)
    return [m for m in marks if any(m in body for body in bodies)]


def assert_clean(site, *, response, marks, label="") -> None:
    """Nothing of `marks` and no path of the instance or the code in the response, which is an
    answer of the product's, not a server error."""
    assert response.status_code < 500, (label, response.status_code)
    assert not found(response, marks=marks), (label, found(response, marks=marks))
    for body in texts(response):
        assert str(site.instance) not in body and str(ROOT) not in body, label


@dataclass
class RawResponse:
    status_code: int
    content: bytes


def raw_get(site, *, path: str, cookie: str | None) -> RawResponse:
    """GET a path exactly as written (requests would resolve its dot segments first)."""
    con = http.client.HTTPConnection("127.0.0.1", site.web.port, timeout=TIMEOUT)
    try:
        con.request("GET", path, headers={"Cookie": f"session={cookie}"} if cookie else {})
        response = con.getresponse()
        return RawResponse(response.status, response.read())
    finally:
        con.close()


def raw_paths(site) -> list[str]:
    """Ana's files behind open prefixes, dot segments and encoded slashes."""
    target = f"runs/{site.run_id}/download/assignments.csv"
    return [f"/share/../{target}", f"/share/%2e%2e/{target}", f"/assets/../{target}",
            f"/_dash-component-suites/../{target}", f"/healthz/../{target}", f"//{target}",
            f"/share/x/..%2F..%2F{target.replace('/', '%2F')}", f"/share/..;/{target}",
            f"/share/../api/runs/{site.run_id}", "/assets/../../instance/clearseg.db",
            "/assets/..%2F..%2Finstance%2Fclearseg.db",
            "/_dash-component-suites/dash/../../../../instance/clearseg.db"]


def sweep(site, *, deps, session) -> list[tuple[str, requests.Response]]:
    """Every route and callback on Ana's things, from `session`."""
    out = [(f"raw GET {path}", raw_get(site, path=path, cookie=session.cookies.get("session")))
           for path in raw_paths(site)]
    for method, path, body in routes(site):
        r = session.request(method, site.web.url + path, json=body, allow_redirects=False,
                            timeout=TIMEOUT)
        out.append((f"{method} {path}", r))
    for label, body in run_callbacks(site, deps=deps):
        r = session.post(f"{site.web.url}/_dash-update-component", json=body, timeout=TIMEOUT)
        out.append((f"callback {label}", r))
    for junk in ("{", json.dumps({"output": "nope.children", "inputs": [{"id": site.run_id}]}),
                 json.dumps({**tab_call(deps, ref={"run": [site.run_id]}), "state": "x"})):
        r = session.post(f"{site.web.url}/_dash-update-component", data=junk, timeout=TIMEOUT,
                         headers={"Content-Type": "application/json"})
        out.append(("junk callback", r))
    return out


def ana_state(site) -> dict:
    store, ana = site.store, site.users["ana"]
    with store.engine.connect() as con:
        count = con.execute(select(func.count()).select_from(runs)).scalar_one()
    return {"runs": count, "queued": store.runs.get(site.queued_id).status,
            "cancel": store.runs.get(site.queued_id).cancel_requested,
            "failed": store.runs.get(site.failed_id).status,
            "visibility": store.runs.get(site.run_id).visibility,
            "links": store.shares.of_run(site.run_id),
            "token": store.shares.run_id_of(site.token)}


# --- nobody reads what is not theirs ---------------------------------------------------------

def post_callback(site, *, session, body) -> requests.Response:
    return session.post(f"{site.web.url}/_dash-update-component", json=body, timeout=TIMEOUT)


def test_ana_sees_her_run_so_the_marks_are_there_to_find(site, deps):
    ana, marks = sign_in(site, name="ana"), ana_marks(site)
    page = post_callback(site, session=ana, body=routing(deps, path=f"/runs/{site.run_id}"))
    assert {SECRET_FILE, site.result.segments[0].name} <= set(found(page, marks=marks))
    rules = tab_call(deps, ref={"run": site.run_id}, tab="rules")
    tab = post_callback(site, session=ana, body=rules)
    assert site.result.segments[0].rule.text in found(tab, marks=marks)
    csv_file = ana.get(f"{site.web.url}/runs/{site.run_id}/download/assignments.csv",
                       timeout=TIMEOUT)
    assert ASSIGNMENTS_HEADER in found(csv_file, marks=marks)


@pytest.mark.parametrize("who", ["anonymous", "bo"])
def test_nobody_else_gets_anything_of_anas_run(site, deps, who):
    before = ana_state(site)
    session = requests.Session() if who == "anonymous" else sign_in(site, name="bo")
    for label, r in sweep(site, deps=deps, session=session):
        assert_clean(site, response=r, marks=ana_marks(site), label=f"{who}: {label}")
        if label.startswith("raw"):
            assert not r.content.startswith(b"SQLite format"), label
            continue
        if label == "junk callback":   # refused by the sign-in gate, or as malformed
            assert r.status_code == (401 if who == "anonymous" else 400), (who, r.status_code)
        elif who == "anonymous" and not label.startswith("callback"):
            assert r.status_code in (302, 401), (label, r.status_code)
        elif "/download/" in label or label.startswith(("GET /api", "POST /api")):
            assert r.status_code == 404, (who, label, r.status_code)
    assert ana_state(site) == before
    assert site.store.runs.of_owner(site.users["bo"]) == []


def test_anas_run_looks_the_same_to_bo_as_a_run_that_does_not_exist(site, deps):
    bo, made_up = sign_in(site, name="bo"), secrets.token_hex(16)

    def answers(run_id):
        base = f"{site.web.url}/runs/{run_id}"
        return [post_callback(site, session=bo, body=routing(deps, path=f"/runs/{run_id}")).content,
                bo.get(f"{base}/download/assignments.csv", timeout=TIMEOUT).content,
                bo.get(f"{site.web.url}/api/runs/{run_id}", timeout=TIMEOUT).content,
                bo.post(f"{site.web.url}/api/runs/{run_id}/shares", json={},
                        timeout=TIMEOUT).content]
    assert answers(site.run_id) == answers(made_up)


def test_an_anonymous_client_is_sent_to_sign_in(site):
    anon = requests.Session()
    r = anon.get(f"{site.web.url}/runs/{site.run_id}", allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 302 and r.headers["Location"].endswith("/signin")
    assert anon.get(f"{site.web.url}/api/runs/{site.run_id}", timeout=TIMEOUT).status_code == 401


def test_an_anonymous_client_may_call_only_share_view_callbacks(site, deps):
    anon = requests.Session()
    for output, values in (("share-url.value", {"share-button.n_clicks": 1}),
                           ("url.href", {"run-button.n_clicks": 1})):
        body = callback_body(deps, output=output, values=values)
        r = post_callback(site, session=anon, body=body)
        assert r.status_code == 401, output


def test_a_removed_editor_loses_team_runs(site, deps):
    cy, ana = sign_in(site, name="cy"), site.users["ana"]
    site.store.runs.set_visibility(site.table_run, owner=ana, visibility="team")
    body = tab_call(deps, ref={"run": site.table_run})
    try:
        assert post_callback(site, session=cy, body=body).status_code == 200
        Accounts(site.store).remove("cy")
        assert post_callback(site, session=cy, body=body).status_code in (204, 401)
    finally:
        site.store.runs.set_visibility(site.table_run, owner=ana, visibility="private")


# --- sessions --------------------------------------------------------------------------------

def _with_cookie(value: str) -> requests.Session:
    session = requests.Session()
    session.cookies.set("session", value, domain="127.0.0.1", path="/")
    return session


def _flip(text: str, *, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1:]


def _signed(payload: dict, *, key: str) -> str:
    """A session cookie as Flask would sign it with `key`."""
    app = flask.Flask("forger")
    app.secret_key = key
    return app.session_interface.get_signing_serializer(app).dumps(payload)


def test_a_tampered_or_foreign_session_cookie_counts_as_anonymous(site):
    cookie = sign_in(site, name="bo").cookies.get("session")
    assert _with_cookie(cookie).get(f"{site.web.url}/", allow_redirects=False,
                                    timeout=TIMEOUT).status_code == 200
    ana = site.users["ana"]
    forged = [_flip(cookie, at=3), _flip(cookie, at=len(cookie) // 2),
              _flip(cookie, at=len(cookie) - 2), cookie.split(".")[0] + "..",
              _signed({"user": ana, "_permanent": True}, key="another-key-" + "9" * 32),
              _signed({"user": ana}, key=SECRET[:-1] + "1")]
    for value in forged:
        session = _with_cookie(value)
        for path in (f"/runs/{site.run_id}", f"/runs/{site.run_id}/download/assignments.csv"):
            r = session.get(site.web.url + path, allow_redirects=False, timeout=TIMEOUT)
            assert r.status_code == 302 and r.headers["Location"].endswith("/signin"), value
        assert session.get(f"{site.web.url}/api/runs/{site.run_id}",
                           timeout=TIMEOUT).status_code == 401


# --- share links -----------------------------------------------------------------------------

# what Dash's index page echoes of the request, and its per-request random id
PER_REQUEST = re.compile(r'<meta property="twitter:url" content="[^"]*">|"end_id":"[^"]*"')


def bad_tokens(site) -> dict[str, str]:
    off_by_one = site.token[:-1] + ("A" if site.token[-1] != "A" else "B")
    return {"random": secrets.token_urlsafe(32), "short": "abc", "one char off": off_by_one,
            "one char more": site.token + "A", "traversal": "../../etc/passwd",
            "encoded traversal": "..%2F..%2Finstance%2Fclearseg.db",
            "sql quote": "' OR '1'='1", "sql union": "x' UNION SELECT run_id FROM shares --",
            "unicode": "ünïcødé-tøkén-" + "é" * 29, "emoji": "🙂" * 43, "encoded space": "%20",
            "revoked": site.revoked, "expired": site.expired}


def share_answers(site, *, deps, token: str) -> dict[str, requests.Response]:
    """A stranger's four ways in: the page, its routing call, a tab call, the report."""
    anon = requests.Session()
    path = "/share/" + quote(token, safe="")
    return {"page": anon.get(site.web.url + path, timeout=TIMEOUT),
            "route": post_callback(site, session=anon, body=routing(deps, path="/share/" + token)),
            "tab": post_callback(site, session=anon,
                                 body=tab_call(deps, ref={"token": token}, tab="rules")),
            "report": anon.get(f"{site.web.url}{path}/report.html", timeout=TIMEOUT)}


def shared_marks(site) -> list[str]:
    """What a share view must never show: the file, the owner, the id column and id values."""
    return [SECRET_FILE, site.users["ana"], "customer_id", *CUSTOMER_IDS]


def test_a_valid_link_shows_cards_and_rules_but_no_file_owner_or_ids(site, deps):
    answers = share_answers(site, deps=deps, token=site.token)
    assert "Shared: Customer segments · Clearseg" in answers["page"].text
    headers = answers["page"].headers
    assert headers["Referrer-Policy"] == "no-referrer" and headers["X-Frame-Options"] == "DENY"
    policy = headers["Content-Security-Policy"].split("; ")
    assert {"frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} <= set(policy)
    for name in ("route", "tab", "report"):
        r = answers[name]
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store", name
        assert_clean(site, response=r, marks=shared_marks(site), label=name)
        shown = texts(r)[-1] if name != "report" else html.unescape(r.text)
        assert all(s.name in shown for s in site.result.segments), name
    rules = texts(answers["tab"])[-1]
    assert site.result.segments[0].rule.text in rules
    assert 'SELECT ROW_NUMBER() OVER () AS \\"row\\"' in rules and "WITH tidy AS (" in rules
    assert "<title>Segmentation report: Customer segmentation</title>" in answers["report"].text


def test_every_bad_link_gets_the_same_not_valid_answer(site, deps):
    seen: dict[str, set] = {"page": set(), "route": set(), "tab": set(), "report": set()}
    for label, token in bad_tokens(site).items():
        clear_share_failures(site.store, address="127.0.0.1")
        answers = share_answers(site, deps=deps, token=token)
        for name, r in answers.items():
            assert r.headers["Cache-Control"] == "no-store", (label, name)
            assert_clean(site, response=r, marks=ana_marks(site), label=f"{label} {name}")
            seen[name].add((r.status_code, PER_REQUEST.sub("", r.text)))
        assert "Link not valid · Clearseg" in answers["page"].text, label
        assert "This link is not valid" in answers["route"].text, label
        assert answers["report"].status_code == 404, label
        assert answers["tab"].status_code == 204, label
    assert {name: len(bodies) for name, bodies in seen.items()} == {
        "page": 1, "route": 1, "tab": 1, "report": 1}, _differences(seen)


def _differences(seen: dict[str, set]) -> dict[str, list]:
    """For a failure message: the answers that differ, as status and the first differing text."""
    out = {}
    for name, bodies in seen.items():
        if len(bodies) > 1:
            texts_ = sorted(bodies)
            first = texts_[0][1]
            out[name] = [(status, next((text[i - 40:i + 160] for i in range(len(text))
                                        if i >= len(first) or text[i] != first[i]), ""))
                         for status, text in texts_]
    return out


def test_too_many_bad_links_from_one_address_get_the_same_answer_for_a_while(site, deps):
    anon = requests.Session()
    report = site.web.url + "/share/{}/report.html"
    answers = [anon.get(report.format(secrets.token_urlsafe(32)), timeout=TIMEOUT)
               for _ in range(LIMIT)]
    assert [r.status_code for r in answers] == [404] * LIMIT
    assert share_blocked(site.store, address="127.0.0.1")
    blocked = anon.get(report.format(site.token), timeout=TIMEOUT)
    assert blocked.status_code == 429 and blocked.text == answers[0].text
    held = share_answers(site, deps=deps, token=site.token)
    assert "This link is not valid" in held["route"].text and held["tab"].status_code == 204
    assert "Link not valid · Clearseg" in held["page"].text
    clear_share_failures(site.store, address="127.0.0.1")
    assert anon.get(report.format(site.token), timeout=TIMEOUT).status_code == 200


# --- exported CSV cells never start a formula ------------------------------------------------

PREFIXES = ("=", "+", "-", "@")
BREAKS = ("C{}\r=1+1", "\t=2+{}", "C{}\r\n@SUM(A1)", "\r-3+{}")   # tabs and CRs, at and inside


def hostile_table():
    table, _ = make_customers(120, seed=1)
    table["customer_id"] = [f"{PREFIXES[i % 4]}cmd|' /C calc'!A{i}" if i % 8 < 4 else
                            BREAKS[i % 4].format(i) for i in range(len(table))]
    table["signup_channel"] = "=" + table["signup_channel"]
    return table


def hostile_orders():
    orders = make_orders(80, seed=2)
    names = sorted(orders["customer_id"].unique())
    ids = {c: f"{PREFIXES[i % 4]}SUM(A{i})" for i, c in enumerate(names)}
    orders["customer_id"] = orders["customer_id"].map(ids)
    orders["gender"] = "@" + orders["gender"]
    return orders


def assert_no_formulas(text: str, *, expect: list[str]) -> None:
    """No cell starts a formula (numbers aside); each expected value is there, neutralised."""
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert formula_cells(cells) == []
    assert all(f"'{value}" in cells for value in expect)


def _cli(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "segmentation", "run", *args, "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_hostile_ids_and_labels_are_neutralised_in_the_cli_files(tmp_path):
    hostile_table().to_csv(tmp_path / "table.csv", index=False, quoting=csv.QUOTE_NONNUMERIC)
    hostile_orders().to_csv(tmp_path / "orders.csv", index=False)
    _cli(str(tmp_path / "table.csv"), "--id-column", "customer_id", "--out", str(tmp_path / "t"))
    _cli(str(tmp_path / "orders.csv"), "--orders", "--out", str(tmp_path / "o"))
    assignments = (tmp_path / "t" / "assignments.csv").read_bytes().decode()
    assert len(list(csv.reader(io.StringIO(assignments, newline="")))) == 121   # one per customer
    assert_no_formulas(assignments,
                       expect=["=cmd|' /C calc'!A0", "+cmd|' /C calc'!A1", "-cmd|' /C calc'!A2",
                               "@cmd|' /C calc'!A3"])
    assert_no_formulas((tmp_path / "o" / "assignments.csv").read_text(), expect=["+SUM(A1)"])
    assert_no_formulas((tmp_path / "o" / "customers.csv").read_text(),
                       expect=["=SUM(A0)", "@Female", "@Male"])


def test_hostile_ids_and_labels_are_neutralised_in_downloads(site):
    ana = sign_in(site, name="ana")

    def download(run_id, name):
        return ana.get(f"{site.web.url}/runs/{run_id}/download/{name}", timeout=TIMEOUT)
    table = download(site.table_run, "assignments.csv")
    assert table.status_code == 200 and table.headers["X-Content-Type-Options"] == "nosniff"
    assert_no_formulas(table.text, expect=["=cmd|' /C calc'!A0", "@cmd|' /C calc'!A3"])
    assert_no_formulas(download(site.orders_run, "assignments.csv").text, expect=["-SUM(A2)"])
    assert_no_formulas(download(site.orders_run, "customers.csv").text,
                       expect=["=SUM(A0)", "@Female"])


def test_a_hostile_column_name_is_neutralised_in_the_header(output):
    table = output[0].rename(columns={"customer_id": "=HYPERLINK(\"x\")"})
    out = run_segmentation(table, options=RunOptions(id_column="=HYPERLINK(\"x\")"))
    assert_no_formulas(csv_text(out.assignments), expect=[])


# --- in-process: the sharing switch, the cool-down without a lookup, the share payload --------

@pytest.fixture
def local_app(tmp_path, output):
    """build(**settings) -> (app, store, token of a finished run) on a fresh database."""
    def build(**settings):
        base = dict(database_url=f"sqlite:///{tmp_path / 'clearseg.db'}",
                    upload_dir=tmp_path / "uploads", max_upload_bytes=10_000_000,
                    runner_concurrency=1, secret_key="k" * 40, secure_cookies=False)
        app = create_app(Settings(**{**base, **settings}))
        store = app.server.extensions["clearseg"]["store"]
        run_id = store.runs.submit(owner="o" * 32, title=SECRET_FILE, upload_id=None, options={})
        store.queue.claim("test")
        store.queue.finish(run_id, result_json=output[1].result.to_json(), files={}, message="ok")
        return app, store, store.shares.add(run_id)[0]
    return build


def test_sharing_off_answers_every_link_as_not_valid(local_app):
    app, store, token = local_app(sharing=False)
    client = app.server.test_client()
    valid = client.get(f"/share/{token}/report.html")
    invalid = client.get(f"/share/{'x' * 43}/report.html")
    assert valid.status_code == invalid.status_code == 404 and valid.data == invalid.data
    with app.server.test_request_context("/"):
        assert lookup_share(token) == (None, "off")
        assert share_page.layout(token=token).id == "share-not-valid"
        assert share_page.title(token=token) == "Link not valid · Clearseg"


def test_a_cooling_down_address_gets_no_lookup_and_others_are_not_held(local_app, monkeypatch):
    app, store, token = local_app(share_failure_limit=3)
    here = {"REMOTE_ADDR": "203.0.113.7"}
    with app.server.test_request_context("/", environ_base=here):
        assert share_view(token) is not None
        assert [share_view("y" * 43) for _ in range(3)] == [None, None, None]
    looked_up = []
    monkeypatch.setattr(store.shares, "run_id_of", looked_up.append)
    with app.server.test_request_context("/", environ_base=here):
        assert lookup_share(token) == (None, "blocked")
    assert looked_up == []
    monkeypatch.undo()
    with app.server.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.8"}):
        assert lookup_share(token)[1] == "ok"


def test_the_share_title_does_not_count_as_a_failed_attempt(local_app):
    app, store, _ = local_app(share_failure_limit=2)
    with app.server.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        for _ in range(5):
            assert share_page.title(token="z" * 43) == "Link not valid · Clearseg"
    assert not share_blocked(store, address="203.0.113.9")


@pytest.mark.parametrize("name, value, message", [
    ("CLEARSEG_SHARING", "yes", r"CLEARSEG_SHARING must be 1 \(on\) or 0 \(off\), not 'yes'"),
    ("CLEARSEG_SHARE_FAILURE_LIMIT", "0",
     "CLEARSEG_SHARE_FAILURE_LIMIT must be a whole number of at least 1, not '0'"),
])
def test_sharing_settings_are_checked(name, value, message):
    with pytest.raises(InputError, match=message):
        Settings.from_env({name: value})


def test_sharing_settings_default_to_on_and_twenty():
    settings = Settings.from_env({})
    assert settings.sharing is True and settings.share_failure_limit == 20
    assert Settings.from_env({"CLEARSEG_SHARING": "0"}).sharing is False


def test_share_result_keeps_cards_rules_and_figures_and_drops_file_and_ids(output):
    result = output[1].result
    before = result.to_json()
    shared = share_result(result)
    assert result.to_json() == before
    text = shared.to_json()
    assert [m for m in (SECRET_FILE, "customer_id", *CUSTOMER_IDS) if m in text] == []
    plots, stored = shared.plots.to_dict(), result.plots.to_dict()
    assert shared.segments == result.segments and "points" not in plots
    assert {k: v for k, v in plots.items() if k not in ("density", "distributions")} == {
        k: v for k, v in stored.items() if k not in ("points", "distributions")}
    assert plots["density"]["rows_binned"] == len(result.plots.points.segment)
    assert shared.k_selection.to_dict() == result.k_selection.to_dict()
    assert shared.clustering.to_dict() == result.clustering.to_dict()
    assert shared.params.to_dict() == {"method": "kmeans", "k": "auto", "features": [],
                                       "max_depth": 3, "seed": 0}
    assert shared.dataset.id_column is None and shared.dataset.dropped == []
    assert [f.name for f in shared.dataset.features] == [f.name for f in result.dataset.features]
    sql = rules_sql(shared)
    assert '  SELECT ROW_NUMBER() OVER () AS "row"' in sql.splitlines() and "customer_id" not in sql


def test_share_result_leaves_out_notes_naming_the_file_the_id_column_or_a_path(output):
    stored = {**output[1].result.to_dict(),
              "params": {"source": "/home/ana/exports/q3 customers.csv", "method": "kmeans",
                         "owner": "ana"}}
    stored["dataset"].update(
        id_column="client_ref",
        dropped=[{"what": "rows", "count": 2, "reason": "exact duplicates"},
                 {"what": "column", "name": "client_ref", "reason": "identifies a customer"},
                 {"what": "column", "name": "notes", "reason": "free text"}],
        notes=["read from q3 customers.csv", "Dropped 3 rows with no client_ref.",
               "Dropped 2 rows with a missing or unreadable order date (for example 'C000001').",
               "uploaded as /srv/instance/uploads/abc/data.csv", "column 'age' read as numbers"],
        suggestions=["'CLIENT_REF' and 'age' are near duplicates: drop 'age'",
                     "'visits' and 'spend' are near duplicates (r = 0.97): drop 'spend'"])
    shared = share_result(RunResult.from_dict(stored))
    assert shared.params.to_dict() == {"method": "kmeans"}
    assert shared.dataset.notes == [
        "Dropped 2 rows with a missing or unreadable order date.", "column 'age' read as numbers"]
    assert shared.dataset.suggestions == [
        "'visits' and 'spend' are near duplicates (r = 0.97): drop 'spend'"]
    assert shared.dataset.to_dict()["dropped"] == [
        {"what": "rows", "count": 2, "reason": "exact duplicates"},
        {"what": "column", "name": "notes", "reason": "free text"}]
    assert "<h1>Segmentation report: Customer segmentation</h1>" in report_html(shared)


def test_share_result_bins_the_sampled_points_without_an_id_column(output):
    stored = output[1].result.to_dict()
    points = stored["plots"]["points"]
    points["columns"].append("customer_id")
    points["values"]["customer_id"] = list(range(1, len(points["segment"]) + 1))  # numeric ids
    density = share_result(RunResult.from_dict(stored)).plots.density
    assert density["columns"] == points["columns"][:-1]
    assert "customer_id" not in density["axes"] and "values" not in density
    assert all("customer_id" not in (pair["x"], pair["y"]) for pair in density["pairs"])
