"""Signing in, what needs a session, team visibility, and what a share-link visitor may call."""
from __future__ import annotations

import re

import pytest

from dashboard.app import create_app
from service.accounts import Accounts
from service.settings import Settings


@pytest.fixture
def app(tmp_path):
    settings = Settings.from_env({"CLEARSEG_INSTANCE_DIR": str(tmp_path), "CLEARSEG_SECRET_KEY": "k" * 40,
                                  "CLEARSEG_SECURE_COOKIES": "0"})
    return create_app(settings)


def _store(app):
    return app.server.extensions["clearseg"]["store"]


def _sign_in(client, username, password):
    page = client.get("/signin").get_data(as_text=True)
    csrf = re.search(r"name='csrf' value='([^']+)'", page).group(1)
    return client.post("/signin", data={"username": username, "password": password, "csrf": csrf})


def _done_run(app, owner):
    store = _store(app)
    run_id = store.submit(owner=owner, title="c.csv", options={}, upload_id=None)
    store.claim("t")
    store.finish(run_id, result_json="{}", files={"assignments.csv": b"id,segment\n1,1\n"}, message="ok")
    return run_id


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


def test_sign_in_checks_password_and_form_token(app):
    Accounts(_store(app)).add("ana", "a long password")
    client = app.server.test_client()
    assert client.post("/signin", data={"username": "ana", "password": "a long password"}).status_code == 400
    assert _sign_in(client, "ana", "wrong password").status_code == 401
    r = _sign_in(client, "ana", "a long password")
    assert r.status_code == 302 and r.location == "/"
    assert client.get("/").status_code == 200
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    client.post("/signout")
    assert client.get("/").status_code == 302


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
    _store(app).set_visibility(run_id, owner=ana, visibility="team")
    assert b.get(f"/runs/{run_id}/download/assignments.csv").status_code == 200
    assert _store(app).set_visibility(run_id, owner=bo, visibility="private") is False


def _routing_call(path):
    return {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [], "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                                      {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"]}


def test_a_share_visitor_may_only_call_share_view_callbacks(app):
    store = _store(app)
    ana = Accounts(store).add("ana", "a long password")
    run_id = _done_run(app, ana)
    token = store.create_share(run_id, owner=ana)
    visitor = app.server.test_client()
    assert visitor.post("/_dash-update-component", json=_routing_call(f"/runs/{run_id}")).status_code == 401
    assert visitor.post("/_dash-update-component", json=_routing_call("/")).status_code == 401
    allowed = visitor.post("/_dash-update-component", json=_routing_call(f"/share/{token}"))
    assert allowed.status_code != 401
