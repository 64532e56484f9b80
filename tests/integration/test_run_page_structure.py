"""The run page's verdict, tightness, depth costs and k switcher; renaming segments into every
export and the share view; the keyboard tab bar, copy buttons, visibility warning and elapsed time.

One real run on seeded customers is stored twice: as the pipeline made it, and with the structure
fields added (verdict, cost ratios per depth, candidate k with their segments), so the page is
checked both on results that carry the fields and on results that lack them.
"""
from __future__ import annotations

import csv
import io
import json
import sqlite3
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import flask
import pytest
from dash import html
from sqlalchemy import inspect

from dash_tree import find, strings, walk
from local_apps import local_app, store_finished
from dashboard import ids
from dashboard.components import page_ids
from dashboard.components.progress import elapsed_text, progress_card
from dashboard.pages import run, share
from dashboard.pages.run import rename_segment, warn_public
from segmentation.pipeline import RunOptions, run_segmentation
from segmentation.result import RunResult
from segmentation.synthetic import make_customers
from service.repositories import RunRecord

OWNER, OTHER = "c" * 32, "d" * 32


def text_of(node) -> str:
    return " ".join(strings(node))


def without_structure(result: RunResult) -> RunResult:
    """The run's Result as an older engine stored it: no verdict, no candidates, no cost ratios."""
    out = result.to_dict()
    for key in ("structure", "structure_reason", "advice", "best_k_3_8", "options"):
        out["k_selection"].pop(key, None)
    for key in ("cost_ratio", "depth_costs"):
        out["explanation"].pop(key, None)
    return RunResult.from_dict(out)


def with_structure(result: RunResult, *, structure: str = "weak") -> RunResult:
    """The run's Result with the structure fields of a newer engine added."""
    out = result.to_dict()
    chosen = out["k_selection"]["chosen_k"]
    out["k_selection"].update(
        structure=structure, structure_reason="Rule silhouette 0.08, below the 0.25 of groups.",
        advice="Try fewer features, or k = 3 for a coarse split.",
        best_k_3_8={"k": 5, "reason": "k = 5 has the best rule silhouette among 3 to 8."},
        options=[{"k": k, "cost_ratio": 1.0 + 0.01 * k, "silhouette": 0.2,
                  "segments": [{"id": i + 1, "name": f"Candidate {k}.{i + 1}", "size": 10 * (i + 1),
                                "share": 0.1, "rule": f"age <= {20 + i}"}
                               for i in range(k)]}
                 for k in sorted({2, chosen, chosen + 1})])
    out["explanation"].update(cost_ratio=1.0215, depth_costs={"2": 1.4, "3": 1.136, "4": 1.075})
    return RunResult.from_dict(out)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(app, plain run id, structured run id, the structured Result, the table)."""
    app, store = local_app(tmp_path_factory.mktemp("run-page"))
    table, _ = make_customers(500, seed=5)
    output = run_segmentation(table, options=RunOptions(id_column="customer_id", seed=0))
    made = [store_finished(store, result, owner=OWNER, options={"method": "kmeans"},
                           assignments=output.assignments,
                           files={"report.html": b"<html>stored</html>"})
            for result in (without_structure(output.result), with_structure(output.result))]
    return app, made[0], made[1], with_structure(output.result), table


@contextmanager
def session_of(app, owner: str):
    with app.server.test_request_context("/"):
        flask.session["uid"] = owner
        yield


def client_of(app, owner: str):
    client = app.server.test_client()
    with client.session_transaction() as session:
        session["uid"] = owner
    return client


# --- the verdict, tightness, depth costs and choosing k ----------------------------------------

def test_a_weak_verdict_says_cuts_of_a_continuum_and_what_to_try_above_the_segments(site):
    app, _, run_id, result, _ = site
    with session_of(app, OWNER):
        layout = run.layout(run_id=run_id)
    verdict = find(layout, page_ids.STRUCTURE_VERDICT)
    words = text_of(verdict)
    assert "Weak structure" in words and "Rule silhouette 0.08" in words
    assert "cuts of a continuum rather than distinct groups" in words
    assert "Try fewer features, or k = 3" in words
    page = strings(layout)
    assert page.index("Weak structure. ") < page.index(result.segments[0].rule.text)
    assert ("These rules keep 97.9% of the clusters' tightness, but on this data the clusters "
            "are cuts of a continuum too: that is no sign of real groups.") in page
    assert "Suggestion: k = 5. " in page


def test_a_strong_verdict_does_not_speak_of_a_continuum(site):
    _, _, _, result, _ = site
    from dashboard.components.structure import verdict
    strong = verdict(with_structure(result, structure="strong"))
    assert "Strong structure" in text_of(strong) and "continuum" not in text_of(strong)


def test_the_rules_tab_leads_with_the_tightness_and_gives_each_depth_in_one_line(site):
    app, _, run_id, _, _ = site
    with session_of(app, OWNER):
        layout = run.layout(run_id=run_id, tab="rules")
    content = find(layout, page_ids.TAB_CONTENT)
    words = strings(content)
    assert words.index("97.9%") < words.index(next(w for w in words if "Precision:" in w))
    assert find(content, page_ids.DEPTH_COSTS).children == (
        "Rule depth and tightness: depth 2 keeps 71.4%, depth 3 keeps 88%, depth 4 keeps 93% of "
        "the clusters' tightness.")
    assert "Agreement with the unconstrained clusters" in words
    assert "of customers are put by the rules in the segment of their own cluster." in words


def test_the_k_switcher_marks_the_runs_k_and_shows_a_candidate_without_a_rerun(site):
    app, _, run_id, result, _ = site
    chosen = result.k_selection.chosen_k
    with session_of(app, OWNER):
        layout = run.layout(run_id=run_id)
    switcher = find(layout, page_ids.K_SWITCHER)
    other, own = find(layout, page_ids.k_option(chosen + 1)), find(layout, page_ids.k_option(chosen))
    assert switcher.value == chosen and other.hidden and not own.hidden
    assert f"k = {chosen} (this run)" in [o["label"] for o in switcher.options]
    words = text_of(other)
    assert f"Candidate {chosen + 1}.{chosen + 1}" in words and f"age <= {20 + chosen}" in words
    assert "the segmentation of this run" not in words
    assert all(s.name in text_of(own) for s in result.segments)


def test_a_result_without_the_new_fields_shows_none_of_them(site):
    app, plain_id, _, _, _ = site
    with session_of(app, OWNER):
        layouts = [run.layout(run_id=plain_id, tab=tab) for tab in ("segments", "rules")]
    for layout in layouts:
        found = {c.id for c in walk(layout) if isinstance(getattr(c, "id", None), str)}
        assert not {page_ids.STRUCTURE_VERDICT, page_ids.K_SWITCHER} & found
        assert ids.SEGMENT_CARDS in found or ids.RULES_TABLE in found


# --- renaming ----------------------------------------------------------------------------------

def test_the_owner_renames_a_segment_and_every_export_and_the_share_view_use_the_name(site):
    app, _, run_id, result, table = site
    name = '=HYPERLINK("x") Big, "quoted"\nspenders; -- DROP'
    with session_of(app, OWNER):
        stored, message = rename_segment({"run": run_id}, segment_id=2, text=name)
        token = app.server.extensions["clearseg"]["store"].shares.add(run_id)[0]
        layout = run.layout(run_id=run_id)
    clean = '=HYPERLINK("x") Big, "quoted" spenders; -- DROP'
    assert stored == clean and message.startswith("Saved")
    assert clean in strings(find(layout, ids.SEGMENT_CARDS))
    client = client_of(app, OWNER)
    base = f"/runs/{run_id}/download/"
    rows = list(csv.DictReader(io.StringIO(client.get(base + "assignments.csv").text)))
    assert {r["segment_name"] for r in rows if r["segment"] == "2"} == {"'" + clean}
    assert {r["segment_name"] for r in rows if r["segment"] == "1"} == {result.segments[0].name}
    assert json.loads(client.get(base + "result.json").text)["segments"][1]["name"] == clean
    assert "quoted&#34; spenders" in client.get(base + "report.html").text
    sql = client.get(base + "rules.sql").text
    assert f"-- 2: {clean}" in sql
    con = sqlite3.connect(":memory:")
    table.to_sql("customers", con, index=False)
    assert len(con.execute(sql).fetchall()) == len(table)   # the name breaks nothing
    with session_of(app, OTHER):
        shared = share.layout(token=token)
    assert clean in strings(shared)
    assert "Weak structure" in text_of(find(shared, page_ids.STRUCTURE_VERDICT))
    assert clean in client_of(app, OTHER).get(f"/share/{token}/report.html").text.replace(
        "&#34;", '"')


def test_a_rename_is_refused_to_others_and_for_empty_long_or_taken_names(site):
    app, _, run_id, result, _ = site
    with session_of(app, OTHER):
        assert rename_segment({"run": run_id}, segment_id=1, text="Mine")[0] is None
    with session_of(app, OWNER):
        empty = rename_segment({"run": run_id}, segment_id=1, text=" \t ")
        long = rename_segment({"run": run_id}, segment_id=1, text="x" * 61)
        taken = rename_segment({"run": run_id}, segment_id=1, text=result.segments[2].name.upper())
        missing = rename_segment({"run": run_id}, segment_id=99, text="Nobody")
    assert empty == (None, "Type a name for the segment.")
    assert long[0] is None and "at most 60 characters" in long[1]
    assert taken[0] is None and "already called" in taken[1]
    assert missing[0] is None


def test_the_names_table_is_added_to_a_database_made_before_it(tmp_path):
    from service.schema import metadata
    from service.store import RunStore
    store = RunStore(f"sqlite:///{tmp_path / 'old.db'}")
    metadata.create_all(store.engine, tables=[t for t in metadata.sorted_tables
                                              if t.name != "segment_names"])
    assert "segment_names" not in inspect(store.engine).get_table_names()
    store.create_schema()
    assert "segment_names" in inspect(store.engine).get_table_names()


# --- pages everyone can use --------------------------------------------------------------------

def test_the_tab_bar_is_buttons_with_their_own_ids_and_one_in_the_tab_order(site):
    app, run_id, _, _, _ = site
    with session_of(app, OWNER):
        layout = run.layout(run_id=run_id, tab="pairs")
    bar = find(layout, ids.TABS)
    tabs = [c for c in walk(bar) if isinstance(c, html.Button)]
    assert bar.role == "tablist" and len(tabs) == 7
    assert len({t.id for t in tabs}) == 7 and all(t.id.startswith("run-tab-") for t in tabs)
    assert [t.tabIndex for t in tabs].count("0") == 1
    opened = next(t for t in tabs if t.tabIndex == "0")
    assert opened.id == "run-tab-pairs" and getattr(opened, "aria-selected") == "true"


def test_the_copy_controls_are_buttons(site):
    app, run_id, _, _, _ = site
    with session_of(app, OWNER):
        layout = run.layout(run_id=run_id, tab="rules")
    for button_id in (page_ids.SHARE_COPY, page_ids.SQL_COPY):
        button = find(layout, button_id)
        assert isinstance(button, html.Button) and button.type == "button"


def test_anyone_with_the_address_warns_about_row_level_downloads(site):
    app, run_id, _, _, _ = site
    assert warn_public("private") is None
    assert "download its row-level files" in text_of(warn_public("public"))
    store = app.server.extensions["clearseg"]["store"]
    store.runs.set_visibility(run_id, owner=OWNER, visibility="public")
    with session_of(app, OTHER):
        note = strings(run.layout(run_id=run_id))
    store.runs.set_visibility(run_id, owner=OWNER, visibility="private")
    assert "A run its owner opened to anyone with the address: read-only." in note
    assert "A public demo run: read-only." not in note


def test_progress_shows_the_time_elapsed():
    now = datetime(2026, 12, 1, 12, 0, 0, tzinfo=timezone.utc)
    started = (now - timedelta(seconds=65)).isoformat()
    queued = RunRecord(id="r" * 32, owner=OWNER, upload_id=None, title="t", visibility="private",
                       options={}, status="queued", stage="", progress=0.0, message="",
                       cancel_requested=False, runner=None, attempts=0,
                       created_at=(now - timedelta(seconds=7)).isoformat(), started_at=None,
                       finished_at=None, heartbeat_at=None)
    running = replace(queued, status="running", created_at=started, started_at=started,
                      progress=0.4, stage="clustering")
    assert elapsed_text(running, now=now) == "1 min 05 s elapsed"
    assert elapsed_text(queued, now=now) == "in the queue for 7 s"
    card = progress_card(running, can_cancel=False)
    assert find(card, page_ids.RUN_ELAPSED).children.endswith("elapsed")


def test_the_report_states_the_verdict_the_tightness_and_each_depth(site):
    from explain.report import report_html
    page = report_html(site[3])
    assert "<dt>Structure</dt><dd><strong>Weak structure. </strong>Rule silhouette 0.08" in page
    assert "cuts of a continuum rather than distinct groups" in page
    assert "What to try: Try fewer features, or k = 3 for a coarse split." in page
    assert ("<dt>By rule depth</dt><dd>depth 2 keeps 71.4%, depth 3 keeps 88%, depth 4 keeps "
            "93% of the clusters&#39; tightness</dd>") in page
    assert "<dt>Suggestion</dt><dd>k = 5. k = 5 has the best rule silhouette" in page
