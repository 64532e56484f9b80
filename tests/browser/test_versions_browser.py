"""What Chromium fetches for a share view and the home page names no library version, and the
pages run without a console error (a script refused by the Content-Security-Policy would be one);
on the server and browser the browser layer shares (conftest.py)."""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import dash
import numpy as np
import pandas as pd
import pytest
import requests

from servers import csrf_token, wait_run

VERSIONED = re.compile(r"@\d|\d+\.\d+\.\d")
TIMEOUT = 60  # seconds: a hang guard only


def _small_table(n: int = 120, *, seed: int = 5) -> bytes:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, size=n)
    return pd.DataFrame({
        "customer_id": [f"V{i:04d}" for i in range(n)],
        "spend": (np.array([20.0, 60.0, 110.0])[group] + rng.normal(0, 4, n)).round(2),
        "visits": (np.array([1.0, 5.0, 9.0])[group] + rng.normal(0, 0.5, n)).round(1),
    }).to_csv(index=False).encode()


@pytest.fixture(scope="module")
def share_url(site) -> str:
    """A share link to a finished run of a small table, made through the upload form and the API."""
    owner = requests.Session()
    token = csrf_token(owner, site.url)
    r = owner.post(site.url + "/upload", files={"file": ("versions.csv", _small_table())},
                   data={"csrf": token}, allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 302 and "upload=" in r.headers["Location"], r.headers
    run = {"upload_id": r.headers["Location"].split("upload=")[1], "k": 3}
    end = time.monotonic() + TIMEOUT
    while (r := owner.post(site.url + "/api/runs", json=run, headers={"X-CSRF-Token": token},
                           timeout=TIMEOUT)).status_code == 409 and time.monotonic() < end:
        time.sleep(0.2)   # 409 while the runner has not read the upload yet
    assert r.status_code == 201, r.text
    assert wait_run(owner, site.url, r.json()["id"])["status"] == "done"
    r = owner.post(f"{site.url}/api/runs/{r.json()['id']}/shares", json={},
                   headers={"X-CSRF-Token": token}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    return r.json()["url"]


def _visit(browser, url: str, ready: str) -> tuple[list[tuple[str, int]], list[str]]:
    """Open url as a new visitor; every response (address, status) and every console error."""
    context = browser.new_context()
    page = context.new_page()
    answers, errors = [], []
    page.on("response", lambda r: answers.append((r.url, r.status)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(url)
        page.wait_for_selector(ready, timeout=30_000)
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    return answers, errors


def test_pages_fetch_no_versioned_file_and_log_no_error(site, browser, share_url):
    versions = {dash.__version__, dash.__version__.replace(".", "_")}
    for url, ready in ((share_url, ".js-plotly-plot"), (site.url + "/", "#upload-data")):
        answers, errors = _visit(browser, url, ready)
        assert errors == [], (url, errors)
        fetched = [urlsplit(address).path for address, _ in answers]
        assert [a for a in fetched if VERSIONED.search(a) or any(v in a for v in versions)] == []
        assert [(a, status) for a, status in answers if status >= 400] == []
        scripts = [a for a in fetched if a.endswith(".js")]
        assert scripts and all("/assets/_files/" in a or a.endswith("/plotly.min.js")
                               for a in scripts), scripts
        if url == share_url:   # the graph's chunk, loaded relative to its opaque script name
            assert [a for a in scripts if a.endswith("/async-graph.js")], scripts
