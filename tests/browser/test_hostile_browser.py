"""Hostile column names and cell values are shown as text everywhere, and no script of theirs runs
(on the server and browser the browser layer shares: conftest.py)."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from servers import ROOT

HOSTILE_COLUMN = "<img src=x onerror=window.__xss=1>"
HOSTILE_LEVEL = "<script>window.__xss=2</script>"


def hostile_table(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    group = rng.integers(0, 2, n)
    return pd.DataFrame({
        "customer_id": [f"H{i:04d}" for i in range(n)],
        HOSTILE_COLUMN: np.where(group == 0, 20.0, 80.0) + rng.normal(0, 3, n),
        "plan": np.where(group == 0, HOSTILE_LEVEL, "=HYPERLINK(\"http://x\")"),
        "visits": np.where(group == 0, 2.0, 9.0) + rng.normal(0, 0.5, n),
    })


def test_hostile_names_render_as_text_and_run_nothing(site, browser, tmp_path):
    path = tmp_path / "<b onmouseover=alert(3)>bold.csv"
    hostile_table().to_csv(path, index=False)
    dialogs = []
    context = browser.new_context()
    try:
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(site.url + "/")
        page.set_input_files("#upload-data", str(path))
        page.click("#upload-submit")
        page.wait_for_url(re.compile(r".*\?upload=[0-9a-f]{32}"))
        page.wait_for_selector("#run-button")
        body = page.inner_text("body")
        assert HOSTILE_COLUMN in body  # shown as the literal text
        page.click("#run-button")
        page.wait_for_selector("#segment-cards", timeout=240_000)
        for tab in ("segments", "rules", "profiles", "data", "pairs"):
            page.goto(page.url.split("?")[0] + f"?tab={tab}")
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)
        page.goto(page.url.split("?")[0] + "?tab=rules")
        page.wait_for_selector("#rules-table")
        rules = page.inner_text("#rules-table")
        assert HOSTILE_LEVEL in rules or "img src=x" in rules
        assert page.evaluate("() => window.__xss") is None
        assert page.locator("img[src='x']").count() == 0
        ROOT.joinpath("test-artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "test-artifacts" / "09-hostile-names.png"), full_page=True)
        with page.expect_download() as info:
            page.click("#download-assignments")
        exported = open(info.value.path()).read()
    finally:
        context.close()
    assert dialogs == []
    import csv
    import io
    cells = [c for row in csv.reader(io.StringIO(exported)) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@")], "a live formula in the export"
