"""Fixtures for the browser layer: one gunicorn (two workers) with a job runner, and one headless
Debian Chromium, started once for the browser modules that need no server settings of their own.

Each test opens browser contexts of its own, so each is a visitor with its own session. Both are
stopped right after the last browser test in a row (not at the end of the whole suite), and started
again should a later browser module need them.
"""
from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from servers import Gunicorn, Worker

import playwright.sync_api as playwright_sync  # noqa: E402  (missing: the test fails, it never skips)
HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Shared:
    """The running server and browser, started on first use and stopped together."""

    def __init__(self):
        self.stack: ExitStack | None = None
        self.web: Gunicorn | None = None
        self.chromium = None

    def site(self, tmp_path_factory) -> Gunicorn:
        if self.web is None:
            instance = tmp_path_factory.mktemp("browser") / "instance"
            web, worker = Gunicorn(instance, workers=2), Worker(instance, concurrency=2)
            self._stack().callback(worker.stop)
            self._stack().callback(web.stop)
            web.start()
            worker.start()
            self.web = web
        return self.web

    def browser(self):
        if self.chromium is None:
            p = self._stack().enter_context(playwright_sync.sync_playwright())
            self.chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            self._stack().callback(self.chromium.close)
        return self.chromium

    def _stack(self) -> ExitStack:
        if self.stack is None:
            self.stack = ExitStack()
        return self.stack

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.close()
        self.stack, self.web, self.chromium = None, None, None


SHARED = Shared()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Gunicorn:
    """The shared gunicorn on a fresh instance, its job runner taking two runs at once."""
    return SHARED.site(tmp_path_factory)


@pytest.fixture(scope="module")
def browser():
    """The shared headless Chromium."""
    return SHARED.browser()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Once the next test is not a browser test, stop the shared server and browser (after the
    fixtures of this test and its module are torn down)."""
    try:
        return (yield)
    finally:
        if nextitem is None or HERE not in Path(str(nextitem.path)).resolve().parents:
            SHARED.stop()
