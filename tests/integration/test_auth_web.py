"""Signing in, what needs a session, the form tokens, team visibility, proxies and what a
share-link visitor may call."""
from __future__ import annotations

import io
import re

import pytest

from dashboard.app import create_app
from service.accounts import Accounts
from service.settings import Settings

BASE = {"CLEARSEG_SECRET_KEY": "k" * 40, "CLEARSEG_SECURE_COOKIES": "0"}
PROXY, ALICE, BOB = "10.0.0.1", "203.0.113.5", "198.51.100.7"


def make_app(tmp_path, *, local: bool = False, **env):
    settings = Settings.from_env({"CLEARSEG_INSTANCE_DIR": str(tmp_path), **BASE, **env})
    return create_app(settings, local=local)


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


def _store(app):
    return app.server.extensions["clearseg"]["store"]


def _token(client) -> str:
    page = client.get("/signin").get_data(as_text=True)
    return re.search(r"name='csrf' value='([^']+)'", page).group(1)


def _sign_in(client, username, password, **kwargs):
    return client.post("/signin", data={"username": username, "password": password,
                                        "csrf": _token(client)}, **kwargs)


def _done_run(app, owner):
    store = _store(app)
    run_id = store.runs.submit(owner=owner, title="c.csv", options={}, upload_id=None)
    store.queue.claim("t")
    store.queue.finish(run_id, result_json="{}", files={"assignments.csv": b"id,segment\n1,1\n"},
                       message="ok")
    return run_id


def _uploads(app) -> int:
    with _store(app).reading() as con:
        return con.exec_driver_sql("SELECT COUNT(*) FROM uploads").scalar()


def test_without_accounts_each_browser_is_its_own_owner(app):
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/signin").status_code == 200


def test_with_accounts_everything_but_the_open_paths_needs_a_session(app):
    Accounts(_store(app)).add("ana", "a long password")
    client = app.server.test_client()
    assert client.get("/").status_code == 302 and client.get("/").location.endswith("/signin")
    assert client.get("/runs/" + "a" * 32).status_code == 302
    assert client.get("/api/runs/" + "a" * 32).status_code == 401
    assert client.post("/upload").status_code in (302, 401) and client.post("/api/runs").status_code == 401
    assert client.post("/_dash-update-component", json={"output": "run-body.children"}).status_code == 401
    assert client.get("/healthz").status_code == 200
    assert client.get("/assets/clearseg.css").status_code == 200


def test_sign_in_needs_the_token_of_this_session(app):
    Accounts(_store(app)).add("ana", "a long password")
    for data in ({"csrf": "x"}, {}, {"csrf": ""}):
        fresh = app.server.test_client()  # no session yet, so no token in it: "x" must not match
        r = fresh.post("/signin", data={"username": "ana", "password": "a long password", **data})
        assert r.status_code == 400 and "expired" in r.get_data(as_text=True), data
        assert fresh.get("/").status_code == 302
    fresh, other = app.server.test_client(), app.server.test_client()
    r = fresh.post("/signin", data={"username": "ana", "password": "a long password",
                                    "csrf": _token(other)})
    assert r.status_code == 400 and fresh.get("/").status_code == 302


def test_sign_in_checks_the_password_and_sign_out_voids_the_cookie(app):
    Accounts(_store(app)).add("ana", "a long password")
    client = app.server.test_client()
    assert _sign_in(client, "ana", "wrong password").status_code == 401
    r = _sign_in(client, "ana", "a long password")
    assert r.status_code == 302 and r.location == "/"
    assert client.get("/").status_code == 200
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    old = client.get_cookie("session").value
    token = client.get("/csrf-token").get_json()["csrf"]
    assert client.post("/signout", data={"csrf": token}).location == "/signin"
    replay = app.server.test_client()
    replay.set_cookie("session", old)
    assert replay.get("/").status_code == 302
    assert replay.get("/api/runs/" + "a" * 32).status_code == 401


def test_state_changing_forms_refuse_a_post_without_the_sessions_token(app):
    Accounts(_store(app)).add("ana", "a long password")
    client, other = app.server.test_client(), app.server.test_client()
    _sign_in(client, "ana", "a long password")
    theirs = _token(other)
    for bad in ({}, {"csrf": theirs}, {"csrf": "é" * 8}):
        assert client.post("/samples/customers", data=bad).status_code == 400
        r = client.post("/upload", data={**bad, "file": (io.BytesIO(b"a,b\n1,2\n"), "c.csv")})
        assert r.status_code == 400 and "Form expired" in r.get_data(as_text=True)
        assert client.post("/signout", data=bad).status_code == 400
    assert _uploads(app) == 0 and client.get("/").status_code == 200
    mine = client.get("/csrf-token").get_json()["csrf"]
    assert "upload=" in client.post("/samples/customers", data={"csrf": mine}).location
    assert _uploads(app) == 1
    assert client.post("/signout", headers={"X-CSRF-Token": mine}).location == "/signin"
    assert client.get("/").status_code == 302


def test_the_home_pages_forms_carry_the_token(app):
    from dash import dcc

    from dashboard.pages.home import sample_forms, upload_form
    with app.server.test_request_context("/"):
        import flask
        forms = [upload_form(), *sample_forms().children]
        token = flask.session["csrf"]
    for form in forms:
        hidden = [c for c in form.children if isinstance(c, dcc.Input)]
        assert [(h.type, h.name, h.value) for h in hidden] == [("hidden", "csrf", token)]


def test_removing_the_last_editor_keeps_a_running_server_closed(app, tmp_path):
    accounts = Accounts(_store(app))
    accounts.add("ana", "a long password")
    accounts.remove("ana", force=True)
    client = app.server.test_client()
    assert client.get("/").status_code == 302
    assert client.post("/api/runs", json={}).status_code == 401
    assert client.post("/samples/customers").status_code == 302 and _uploads(app) == 0
    assert _sign_in(client, "ana", "a long password").status_code == 401
    local = make_app(tmp_path, local=True)  # python server.py on loopback: open again
    assert local.server.test_client().get("/").status_code == 200


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": PROXY}, "headers": {"X-Forwarded-For": address}}


def test_behind_a_proxy_each_client_is_throttled_by_its_own_address(tmp_path):
    app = make_app(tmp_path, CLEARSEG_PROXY_HOPS="1", CLEARSEG_SHARE_FAILURE_LIMIT="3")
    Accounts(_store(app)).add("ana", "a long password")
    alice, bob = app.server.test_client(), app.server.test_client()
    for _ in range(4):
        _sign_in(alice, "nobody", "wrong password", **_from(ALICE))
    assert _sign_in(alice, "ana", "a long password", **_from(ALICE)).status_code == 429
    assert _sign_in(bob, "ana", "a long password", **_from(BOB)).status_code == 302
    for _ in range(3):
        alice.get(f"/share/{'x' * 43}/report.html", **_from(ALICE))
    assert alice.get(f"/share/{'y' * 43}/report.html", **_from(ALICE)).status_code == 429
    assert bob.get(f"/share/{'y' * 43}/report.html", **_from(BOB)).status_code == 404


def test_without_proxy_hops_a_forwarded_address_is_not_believed(app):
    Accounts(_store(app)).add("ana", "a long password")
    client = app.server.test_client()
    for n in range(4):
        _sign_in(client, "nobody", "wrong password", **_from(f"192.0.2.{n}"))
    assert _sign_in(client, "ana", "a long password", **_from("192.0.2.99")).status_code == 429


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_the_proxy_hops_setting_is_checked(value):
    from segmentation.errors import InputError
    with pytest.raises(InputError, match="CLEARSEG_PROXY_HOPS must be a whole number of at least 0"):
        Settings.from_env({"CLEARSEG_PROXY_HOPS": value})


def test_runs_are_private_to_their_editor_unless_shared_with_the_team(app):
    accounts = Accounts(_store(app))
    ana, bo = accounts.add("ana", "a long password"), accounts.add("bo", "another long one")
    run_id = _done_run(app, ana)
    a, b = app.server.test_client(), app.server.test_client()
    _sign_in(a, "ana", "a long password")
    _sign_in(b, "bo", "another long one")
    assert a.get(f"/runs/{run_id}/download/assignments.csv").status_code == 200
    assert b.get(f"/runs/{run_id}/download/assignments.csv").status_code == 404
    assert b.get(f"/api/runs/{run_id}").status_code == 404
    _store(app).runs.set_visibility(run_id, owner=ana, visibility="team")
    assert b.get(f"/runs/{run_id}/download/assignments.csv").status_code == 200
    assert _store(app).runs.set_visibility(run_id, owner=bo, visibility="private") is False


def _routing_call(path):
    return {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"},
                        {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                                      {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"]}


def test_a_share_visitor_may_only_call_share_view_callbacks(app):
    store = _store(app)
    ana = Accounts(store).add("ana", "a long password")
    run_id = _done_run(app, ana)
    token = store.shares.add(run_id)[0]
    visitor = app.server.test_client()
    assert visitor.post("/_dash-update-component", json=_routing_call(f"/runs/{run_id}")).status_code == 401
    assert visitor.post("/_dash-update-component", json=_routing_call("/")).status_code == 401
    allowed = visitor.post("/_dash-update-component", json=_routing_call(f"/share/{token}"))
    assert allowed.status_code == 200 and "_pages_content" in allowed.get_data(as_text=True)
