"""The run page in Debian's Chromium: the tabs walked by keyboard alone, a segment renamed into the
cards, every download and a share link, and the profile and pair plot at 1400 and 390 px, light
and dark (screenshots in test-artifacts/).

One run of a generated shop table (a plan level and a yes/no flag that differ by group, skewed
spend and order counts, ids with leading zeros) is made once for the module through the page, on
the server and browser the browser layer shares (conftest.py).
"""
from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
import pytest

from servers import ROOT

ARTIFACTS = ROOT / "test-artifacts"
NAME = 'Weekend "VIP" buyers, =SUM(1)'
FACTS_CLEAR_OF_DOWNLOADS = """() => {
  const d = document.querySelector('.downloads').getBoundingClientRect();
  return Array.from(document.querySelectorAll('.run-facts dt, .run-facts dd')).every(e => {
    const r = e.getBoundingClientRect();
    return r.right <= d.left + 1 || r.left >= d.right - 1 || r.bottom <= d.top + 1
      || r.top >= d.bottom - 1; }); }"""


def shop_table(n: int = 900, *, seed: int = 21) -> pd.DataFrame:
    """Three planted groups: plan and newsletter shares, and log-normal spend, differ by group."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, size=n)
    plans = np.array(["basic", "plus", "pro"])
    plan = [rng.choice(plans, p=p) for p in np.array(
        [[0.8, 0.15, 0.05], [0.2, 0.6, 0.2], [0.05, 0.25, 0.7]])[group]]
    return pd.DataFrame({
        "customer_id": [f"{i:05d}" for i in range(1, n + 1)],
        "plan": plan,
        "newsletter": np.where(rng.random(n) < np.array([0.2, 0.5, 0.85])[group], "yes", "no"),
        "annual_spend": np.round(rng.lognormal(np.array([4.0, 5.5, 7.0])[group], 0.7), 2),
        "orders": rng.poisson(np.array([1.0, 4.0, 14.0])[group]) + rng.poisson(0.3, n) * 10,
        "age": np.round(rng.normal(42, 11, n)).clip(18, 90),
    })


@pytest.fixture(scope="module")
def owner_run(site, browser, tmp_path_factory):
    """Upload the shop table and run it with auto k: (the owner's context, the run's url)."""
    path = tmp_path_factory.mktemp("shop") / "shop.csv"
    shop_table().to_csv(path, index=False)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(site.url + "/")
    page.set_input_files("#upload-data", str(path))
    page.click("#upload-submit")
    page.wait_for_selector("#run-button", timeout=60_000)
    page.click("#run-button")
    page.wait_for_url(re.compile(r".*/runs/[0-9a-f]{32}.*"))
    page.wait_for_selector("#segment-cards", timeout=240_000)
    yield context, page.url.split("?")[0]
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def focused(page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.id")


def test_the_tabs_are_walked_with_the_keyboard_alone(owner_run):
    context, run_url = owner_run
    page = context.new_page()
    page.goto(run_url)
    page.wait_for_selector("#segment-cards")
    for _ in range(80):                       # Tab through the page until the tab bar
        page.keyboard.press("Tab")
        if focused(page).startswith("run-tab-"):
            break
    assert focused(page) == "run-tab-segments"
    page.keyboard.press("ArrowRight")
    assert focused(page) == "run-tab-rules"
    page.keyboard.press("Enter")
    page.wait_for_selector("#rules-table", timeout=30_000)
    assert "tab=rules" in page.url
    assert page.get_attribute("#run-tab-rules", "aria-selected") == "true"
    assert page.get_attribute("#run-tab-segments", "tabindex") == "-1"
    page.keyboard.press("End")
    assert focused(page) == "run-tab-data"
    page.keyboard.press("Home")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    assert focused(page) == "run-tab-profiles"
    page.keyboard.press("Space")
    page.wait_for_selector("#profile-graph .main-svg", timeout=30_000)
    assert "tab=profiles" in page.url and "active" in page.get_attribute(
        "#run-tab-profiles", "class")
    page.keyboard.press("Shift+Tab")          # back out of the bar, and in again on the open tab
    page.keyboard.press("Tab")
    assert focused(page) == "run-tab-profiles"
    shot(page, "20-tabs-by-keyboard")


def test_the_k_switcher_shows_another_candidate_in_one_click(owner_run):
    context, run_url = owner_run
    page = context.new_page()
    page.goto(run_url)
    page.wait_for_selector("#k-switcher")
    assert page.locator(".k-option:visible").count() == 1
    chosen = page.inner_text(".k-option:visible")
    other = next(t for t in page.locator("#k-switcher label").all_inner_texts()
                 if "this run" not in t)
    k = int(other.split("=")[1])
    page.locator("#k-switcher label", has_text=other).click()
    page.wait_for_selector(f".k-option:visible >> text=k = {k} ·", timeout=10_000)
    assert page.locator(".k-option:visible").count() == 1
    assert page.locator(".k-option:visible tbody tr").count() == k
    assert page.inner_text(".k-option:visible") != chosen


def _cell_names(text: str, segment: str) -> set[str]:
    return {r["segment_name"] for r in csv.DictReader(io.StringIO(text)) if r["segment"] == segment}


def test_a_renamed_segment_is_in_the_cards_the_downloads_and_a_share_link(owner_run, browser):
    context, run_url = owner_run
    page = context.new_page()
    page.goto(run_url)
    card = page.locator("#segment-card-1")
    card.locator("summary").click()
    card.locator(".rename-input").fill(NAME)
    card.locator(".rename-save").click()
    page.wait_for_function(
        "name => document.querySelector('#segment-card-1 .segment-name').textContent === name",
        arg=NAME, timeout=30_000)
    page.wait_for_selector(f"#segment-size-graph .ytick:has-text('Weekend')", timeout=30_000)
    shot(page, "21-renamed")
    page.reload()
    page.wait_for_selector("#segment-cards")
    assert page.inner_text("#segment-card-1 .segment-name") == NAME
    files = {name: context.request.get(f"{run_url}/download/{name}").text()
             for name in ("assignments.csv", "result.json", "report.html", "rules.sql")}
    assert _cell_names(files["assignments.csv"], "1") == {NAME}
    assert next(r for r in csv.DictReader(io.StringIO(files["assignments.csv"])))[
        "customer_id"] == "00001"
    assert NAME.replace('"', '\\"') in files["result.json"]
    assert "Weekend &#34;VIP&#34; buyers, =SUM(1)" in files["report.html"]   # escaped by the template
    assert f"-- 1: {NAME}\n" in files["rules.sql"]
    page.click("#share-button")
    page.wait_for_function("() => /\\/share\\//.test(document.querySelector('#share-url').value)")
    url = page.input_value("#share-url")
    page.click("#share-copy")                                 # a real button that copies
    page.wait_for_selector("#share-copy-status:has-text('Copied')", timeout=10_000)
    stranger = browser.new_context()
    view = stranger.new_page()
    view.goto(url)
    view.wait_for_selector("#segment-cards", timeout=30_000)
    assert view.inner_text("#segment-card-1 .segment-name") == NAME
    assert view.locator(".rename-input").count() == 0
    assert "Weekend &#34;VIP&#34;" in stranger.request.get(url + "/report.html").text()
    stranger.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1400, 390])
def test_profile_and_log_axis_pair_plot_read_at_each_width_and_scheme(owner_run, browser, width,
                                                                      scheme):
    context, run_url = owner_run
    look = browser.new_context(storage_state=context.storage_state(), color_scheme=scheme,
                               viewport={"width": width, "height": 900})
    page = look.new_page()
    page.goto(f"{run_url}?tab=profiles")
    page.wait_for_selector("#profile-graph .main-svg", timeout=30_000)
    assert page.get_attribute("html", "data-bs-theme") == scheme
    assert page.evaluate(FACTS_CLEAR_OF_DOWNLOADS)
    labels = page.inner_text("#profile-graph")
    assert "Plan: pro" in labels and "Newsletter: yes" in labels
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width + 1
    cue = ".scroll-wrap:has(#profile-graph) > .scroll-cue"
    page.wait_for_function(f"() => document.querySelector('{cue}').offsetParent "
                           f"{'!==' if width < 600 else '==='} null", timeout=10_000)
    shot(page, f"22-profile-{width}-{scheme}")
    page.goto(f"{run_url}?tab=pairs")
    page.wait_for_selector("#pair-plot-graph .main-svg", timeout=30_000)
    assert "(log scale)" in page.inner_text("#pair-plot-graph")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width + 1
    shot(page, f"23-pairs-{width}-{scheme}")
    look.close()
