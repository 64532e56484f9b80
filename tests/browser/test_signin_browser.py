"""With editor accounts: the browser is sent to sign in, a wrong password is refused, the right one
lets the editor upload, run and read the segments; signing out locks the pages again (a server of
its own, with the account; the browser is the one the browser layer shares: conftest.py)."""
from __future__ import annotations

import re

import pytest

from servers import ROOT, Gunicorn, Worker
from service.accounts import Accounts
from service.settings import Settings
from service.store import RunStore


def test_an_editor_signs_in_runs_and_signs_out(browser, tmp_path):
    instance = tmp_path / "instance"
    store = RunStore(Settings.from_env({"CLEARSEG_INSTANCE_DIR": str(instance)}).database_url)
    store.create_schema()
    Accounts(store).add("ana", "a long password")
    web, worker = Gunicorn(instance, workers=2).start(), Worker(instance, concurrency=1).start()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(web.url + "/")
        page.wait_for_url(re.compile(r".*/signin$"))
        page.fill("#username", "ana")
        page.fill("#password", "not the password")
        page.click("#signin-button")
        assert "wrong" in page.inner_text("body")
        page.fill("#username", "ana")
        page.fill("#password", "a long password")
        page.click("#signin-button")
        page.wait_for_selector("#upload-data")
        page.locator("form[action='/samples/customers'] button").click()
        page.wait_for_url(re.compile(r".*\?upload=[0-9a-f]{32}"))
        page.click("#run-button")
        page.wait_for_selector("#segment-cards", timeout=240_000)
        assert page.locator("#segment-cards .card").count() >= 2
        ROOT.joinpath("test-artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "test-artifacts" / "10-signed-in-run.png"), full_page=True)
        run_url = page.url.split("?")[0]
        page.click("#signout-button")
        page.wait_for_url(re.compile(r".*/signin$"))
        page.goto(run_url)
        page.wait_for_url(re.compile(r".*/signin$"))
    finally:
        context.close()
        web.stop()
        worker.stop()
