"""Sessions can be revoked: a cookie replayed after sign-out, a new password or the editor's removal
signs in no more, on any path, while other editors' sessions go on."""
from __future__ import annotations

import io
import re
import sys

import flask
import pytest

from dashboard.app import create_app
from service.accounts import Accounts
from service.cli import main as service_main
from service.settings import Settings

KEY = "k" * 40
PASSWORDS = {"ana": "a long password", "bo": "another long one"}


@pytest.fixture
def app(tmp_path):
    settings = Settings.from_env({"CLEARSEG_INSTANCE_DIR": str(tmp_path), "CLEARSEG_SECRET_KEY": KEY,
                                  "CLEARSEG_SECURE_COOKIES": "0"})
    app = create_app(settings)
    accounts = Accounts(app.server.extensions["clearseg"]["store"])
    app.users = {name: accounts.add(name, pw) for name, pw in PASSWORDS.items()}
    return app


def signed_in_cookie(app, name: str) -> str:
    """The session cookie of a fresh browser that signed in as `name`."""
    client = app.server.test_client()
    page = client.get("/signin").get_data(as_text=True)
    token = re.search(r"name='csrf' value='([^']+)'", page).group(1)
    r = client.post("/signin", data={"username": name, "password": PASSWORDS[name], "csrf": token})
    assert r.status_code == 302
    return client.get_cookie("session").value


def answers(app, cookie: str) -> tuple[int, int]:
    """(status of the home page, status of the run API) for a browser holding `cookie`."""
    client = app.server.test_client()
    client.set_cookie("session", cookie)
    return (client.get("/").status_code,
            client.get("/api/runs/" + "a" * 32).status_code)


SIGNED_IN, SIGNED_OUT = (200, 404), (302, 401)


def users_command(app, *args: str, password: str = "") -> int:
    """`python -m service users ...` in process, on the app's database; `password` on stdin."""
    url = app.server.extensions["clearseg"]["store"].url
    old, sys.stdin = sys.stdin, io.StringIO(f"{password}\n")
    try:
        extra = ["--password-stdin"] if password else []
        return service_main(["users", *args, *extra, "--database", url])
    finally:
        sys.stdin = old


def test_sign_out_ends_every_session_of_that_editor_only(app):
    first, second, bo = (signed_in_cookie(app, "ana"), signed_in_cookie(app, "ana"),
                         signed_in_cookie(app, "bo"))
    client = app.server.test_client()
    client.set_cookie("session", first)
    token = client.get("/csrf-token").get_json()["csrf"]
    assert client.post("/signout", data={"csrf": token}).status_code == 302
    assert answers(app, first) == answers(app, second) == SIGNED_OUT
    assert answers(app, bo) == SIGNED_IN
    assert answers(app, signed_in_cookie(app, "ana")) == SIGNED_IN


def test_a_new_password_ends_the_editors_sessions(app):
    ana, bo = signed_in_cookie(app, "ana"), signed_in_cookie(app, "bo")
    assert users_command(app, "passwd", "ana", password="a newer long password") == 0
    assert answers(app, ana) == SIGNED_OUT
    assert answers(app, bo) == SIGNED_IN


def test_removing_an_editor_ends_its_sessions_and_re_adding_the_name_gives_a_new_owner(app):
    ana = signed_in_cookie(app, "ana")
    assert users_command(app, "remove", "ana") == 0
    assert answers(app, ana) == SIGNED_OUT
    assert users_command(app, "add", "ana", password=PASSWORDS["ana"]) == 0
    assert answers(app, ana) == SIGNED_OUT
    store = app.server.extensions["clearseg"]["store"]
    assert Accounts(store).credentials("ana")[0].id != app.users["ana"]


def test_a_cookie_without_the_current_generation_counts_as_signed_out(app):
    serializer = app.server.session_interface.get_signing_serializer(app.server)
    ana = app.users["ana"]
    for payload in ({"user": ana}, {"user": ana, "gen": 1}, {"user": ana, "gen": "0"},
                    {"user": ["x"], "gen": 0}):
        assert answers(app, serializer.dumps(payload)) == SIGNED_OUT, payload
    assert answers(app, serializer.dumps({"user": ana, "gen": 0})) == SIGNED_IN


def test_a_stale_cookie_does_not_name_the_owner_in_open_mode(tmp_path):
    """Without accounts (local use), an editor's old cookie is not taken as that editor."""
    settings = Settings.from_env({"CLEARSEG_INSTANCE_DIR": str(tmp_path), "CLEARSEG_SECRET_KEY": KEY,
                                  "CLEARSEG_SECURE_COOKIES": "0"})
    app = create_app(settings, local=True)
    store = app.server.extensions["clearseg"]["store"]
    ana = Accounts(store).add("ana", PASSWORDS["ana"])
    Accounts(store).remove("ana", force=True)
    serializer = app.server.session_interface.get_signing_serializer(app.server)
    with app.server.test_request_context("/", headers={
            "Cookie": f"session={serializer.dumps({'user': ana, 'gen': 1})}"}):
        app.server.preprocess_request()
        assert flask.session.get("user") is None
