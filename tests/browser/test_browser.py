"""The product in Debian's Chromium, against gunicorn with two workers and a separate job runner
(both shared by the browser layer: see conftest.py).

Upload, run with auto k, watch the progress bar, read cards and rules, open every tab, download,
share, revoke, and a broken file. Screenshots of each view go to test-artifacts/.
"""
from __future__ import annotations

import io
import re

import pandas as pd
import pytest
import requests

from servers import ROOT

ARTIFACTS = ROOT / "test-artifacts"
TABS = {"segments": "segment-cards", "rules": "rules-table", "dendrogram": "dendrogram-graph",
        "pairs": "pair-plot-graph", "profiles": "profile-graph", "k": "k-selection-graph",
        "data": "data-graph"}
GRAPHS = {"dendrogram-graph", "pair-plot-graph", "profile-graph", "k-selection-graph", "data-graph"}


@pytest.fixture(scope="module")
def customers_csv(tmp_path_factory):
    from seeded_runs import make_untidy
    table, _ = make_untidy(900, seed=11)
    path = tmp_path_factory.mktemp("upload") / "shop customers.csv"
    table.to_csv(path, index=False)
    return path


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def upload(page, site, path) -> None:
    page.goto(site.url + "/")
    page.set_input_files("#upload-data", str(path))
    page.click("#upload-submit")
    page.wait_for_url(re.compile(r".*\?upload=[0-9a-f]{32}"))


@pytest.fixture(scope="module")
def finished_run(site, browser, customers_csv):
    """Upload the CSV, run with auto k, watch the bar finish; returns (context, run url, k)."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    upload(page, site, customers_csv)
    page.wait_for_selector("#run-button")
    shot(page, "01-preview")
    page.click("#run-button")
    page.wait_for_url(re.compile(r".*/runs/[0-9a-f]{32}.*"))
    run_url = page.url.split("?")[0]
    run_id = run_url.rsplit("/", 1)[1]
    page.wait_for_selector("#run-progress", timeout=60_000)
    shot(page, "02-progress")
    page.wait_for_selector("#segment-cards", timeout=240_000)
    status = context.request.get(f"{site.url}/api/runs/{run_id}").json()
    assert status["status"] == "done"
    result = context.request.get(f"{run_url}/download/result.json").json()
    yield context, run_url, result
    context.close()


def test_cards_show_one_rule_per_segment(finished_run):
    context, run_url, result = finished_run
    page = context.new_page()
    page.goto(run_url)
    page.wait_for_selector("#segment-cards")
    cards = page.locator("#segment-cards .card")
    assert cards.count() == len(result["segments"]) == result["k_selection"]["chosen_k"]
    text = page.inner_text("#segment-cards")
    for seg in result["segments"]:
        assert seg["name"] in text and seg["rule"]["text"] in text
    shot(page, "03-segments")


@pytest.mark.parametrize("tab", sorted(TABS))
def test_each_tab_renders_from_the_url(finished_run, tab):
    context, run_url, result = finished_run
    page = context.new_page()
    page.goto(f"{run_url}?tab={tab}")
    element = TABS[tab]
    page.wait_for_selector(f"#{element}", timeout=30_000)
    if element in GRAPHS:
        page.wait_for_selector(f"#{element} .main-svg", timeout=30_000)
    if tab == "rules":
        table = page.inner_text("#rules-table")
        for seg in result["segments"]:
            assert seg["rule"]["text"] in table
    assert f"tab={tab}" in page.url
    shot(page, f"04-tab-{tab}")


def test_downloads_carry_the_segments(finished_run, customers_csv):
    context, run_url, result = finished_run
    page = context.new_page()
    page.goto(run_url)
    page.wait_for_selector("#download-assignments")
    with page.expect_download() as info:
        page.click("#download-assignments")
    assignments = pd.read_csv(info.value.path())
    assert list(assignments.columns) == ["customer_id", "cluster", "segment", "segment_name"]
    assert len(assignments) == result["dataset"]["rows_used"]
    sizes = assignments["segment"].value_counts().to_dict()
    assert sizes == {s["id"]: s["size"] for s in result["segments"]}
    with page.expect_download() as info:
        page.click("#download-rules-sql")
    sql = open(info.value.path()).read()
    # the downloaded SQL, run on the uploaded file, gives the downloaded segments
    from seeded_runs import original_table, sql_segments
    got = sql_segments(original_table(customers_csv), sql, key="customer_id")
    expected = assignments.set_index("customer_id")["segment"]
    assert (got.sort_index().astype(int) == expected.sort_index()).all()


def test_share_link_opens_read_only_elsewhere_and_revocation_refuses_it(finished_run, browser):
    context, run_url, result = finished_run
    page = context.new_page()
    page.goto(run_url)
    page.click("#share-button")
    page.wait_for_function(
        "() => { const e = document.querySelector('#share-url');"
        " return e && /\\/share\\/[A-Za-z0-9_-]{43}/.test(e.value || e.textContent); }")
    el = page.locator("#share-url")
    url = el.input_value() if el.evaluate("e => e.tagName") == "INPUT" else el.inner_text()
    url = re.search(r"http\S+/share/[A-Za-z0-9_-]{43}", url).group(0)
    shot(page, "05-share-created")

    stranger = browser.new_context()
    view = stranger.new_page()
    view.goto(url)
    view.wait_for_selector("#segment-cards", timeout=30_000)
    text = view.inner_text("#segment-cards")
    assert all(seg["name"] in text for seg in result["segments"])
    assert view.locator("#download-assignments").count() == 0
    assert view.locator("#share-button").count() == 0
    shot(view, "06-share-view")

    page.locator("[id*='revoke']").first.click()
    page.wait_for_timeout(500)
    view.goto(url)
    view.wait_for_selector("text=not valid", timeout=30_000)
    assert view.locator("#segment-cards").count() == 0
    shot(view, "07-share-revoked")
    stranger.close()


def test_a_broken_file_gets_a_clear_message(site, browser, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    context = browser.new_context()
    page = context.new_page()
    upload(page, site, path)
    page.wait_for_selector("#upload-message", timeout=30_000)
    assert "not a table" in page.inner_text("#upload-message")
    assert page.locator("#run-button").count() == 0
    shot(page, "08-broken-file")
    context.close()


def test_another_browser_cannot_open_the_run(finished_run, browser, site):
    _, run_url, _ = finished_run
    other = browser.new_context()
    page = other.new_page()
    page.goto(run_url)
    page.wait_for_selector("text=not found", timeout=30_000)
    assert page.locator("#segment-cards").count() == 0
    r = requests.get(f"{run_url}/download/assignments.csv", timeout=30)
    assert r.status_code == 404
    other.close()
