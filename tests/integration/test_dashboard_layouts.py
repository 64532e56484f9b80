"""The Dash pages built inside a Flask request: home, run (each status and tab), share, 404.

One finished run is made with the real pipeline on a seeded table whose spending column carries a
hostile name, so the same run also shows that text from the data stays text.
"""
from __future__ import annotations

import json
import re
from contextlib import contextmanager

import flask
import pytest
from dash import dcc, html
from plotly.utils import PlotlyJSONEncoder

from dash_tree import find, ids_of, strings, walk
from local_apps import local_app, store_finished
from dashboard import ids
from dashboard.components import page_ids
from explain.view import percent
from dashboard.pages import home, not_found, run, share
from segmentation.pipeline import RunOptions, run_segmentation
from segmentation.preview import build_preview
from segmentation.synthetic import make_customers, make_orders

OWNER, OTHER = "a" * 32, "b" * 32
HOSTILE = "<img src=x onerror=alert(1)>"
TITLE = "shop <b>customers</b>.csv"
TAB_IDS = {
    "segments": [ids.SEGMENT_CARDS],
    "rules": [ids.RULES_TABLE],
    "dendrogram": [ids.DENDROGRAM_GRAPH],
    "pairs": [ids.PAIR_PLOT_GRAPH, ids.PAIR_FEATURES],
    "profiles": [ids.PROFILE_GRAPH, ids.DISTRIBUTION_FEATURE, ids.DISTRIBUTION_GRAPH],
    "k": [ids.K_SELECTION_GRAPH],
    "data": [ids.DATA_GRAPH, ids.CORRELATION_GRAPH],
}
ALL_TAB_IDS = {i for group in TAB_IDS.values() for i in group}


# --- walking a layout --------------------------------------------------------------------------

def active_tab(layout) -> str:
    """The key of the one tab button marked open (class and aria-selected agree)."""
    tabs = [c for c in walk(find(layout, ids.TABS)) if getattr(c, "role", None) == "tab"]
    opened = [c for c in tabs if "active" in classes(c)]
    assert len(opened) == 1 and opened[0]._prop_names and \
        getattr(opened[0], "aria-selected") == "true"
    return getattr(opened[0], "data-tab")


def classes(comp) -> list[str]:
    return (getattr(comp, "className", None) or "").split()


def serialisable(layout) -> str:
    return json.dumps(layout, cls=PlotlyJSONEncoder)


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An app on a fresh SQLite file with one finished private run of OWNER: (app, run id, result)."""
    app, store = local_app(tmp_path_factory.mktemp("dash-layouts"))
    table, _ = make_customers(800, seed=0)
    table = table.rename(columns={"spending_score": HOSTILE})
    output = run_segmentation(table, options=RunOptions(id_column="customer_id", seed=0))
    run_id = store_finished(store, output.result, owner=OWNER, title=TITLE,
                            options={"method": "kmeans", "source": TITLE},
                            assignments=output.assignments, message="4 segments",
                            files={"report.html": b"<html></html>"})
    return app, run_id, output.result


@pytest.fixture
def store(site):
    return site[0].server.extensions["clearseg"]["store"]


@contextmanager
def session_of(app, owner: str):
    """A Flask request whose signed session names `owner`."""
    with app.server.test_request_context("/"):
        flask.session["uid"] = owner
        yield


def queued_run(store, owner=OWNER, title="queued.csv") -> str:
    return store.runs.submit(owner=owner, title=title, options={"method": "kmeans"}, upload_id=None)


def add_upload(store, tmp_path, table, *, owner=OWNER, name="customers.csv") -> str:
    path = tmp_path / name
    table.to_csv(path, index=False)
    return store.uploads.add(owner=owner, filename=name, path=str(path), size_bytes=1,
                             preview=build_preview(path), error=None).id


# --- home --------------------------------------------------------------------------------------

def test_home_has_a_plain_multipart_upload_form_samples_and_the_users_runs(site):
    app, run_id, _ = site
    with session_of(app, OWNER):
        layout = home.layout()
    form = find(layout, ids.UPLOAD_FORM)
    assert (form.action, form.method, form.encType) == ("/upload", "POST", "multipart/form-data")
    file_input = find(form, ids.UPLOAD_DATA)
    assert (file_input.type, file_input.name) == ("file", "file")
    assert find(form, ids.UPLOAD_SUBMIT).type == "submit"
    actions = {c.action for c in walk(layout) if isinstance(c, html.Form)}
    assert {"/samples/customers", "/samples/orders"} <= actions
    links = [c for c in walk(find(layout, "my-runs")) if isinstance(c, dcc.Link)]
    assert [link.href for link in links] == [f"/runs/{run_id}"]
    assert TITLE in strings(links[0]) and "Done" in strings(links[0])
    assert ids.RUN_BUTTON not in ids_of(layout)
    serialisable(layout)


def test_home_lists_nothing_of_another_session_but_shows_public_runs(site, store):
    app, run_id, _ = site
    public = store.runs.submit(owner="demo", title="Demo: customer table", upload_id=None,
                               options={}, visibility="public")
    with session_of(app, OTHER):
        layout = home.layout()
    assert "No runs yet: upload a file or pick a sample to start." in strings(find(layout, "my-runs"))
    demo_links = [c.href for c in walk(find(layout, "demo-runs")) if isinstance(c, dcc.Link)]
    assert f"/runs/{public}" in demo_links and f"/runs/{run_id}" not in demo_links


def test_home_with_an_upload_shows_the_preview_settings_and_run_button(site, store, tmp_path):
    table, _ = make_customers(60, seed=1)
    upload_id = add_upload(store, tmp_path, table.rename(columns={"age": HOSTILE}))
    with session_of(site[0], OWNER):
        layout = home.layout(upload=upload_id)
    assert {ids.RUN_BUTTON, page_ids.FEATURES, page_ids.ID_COLUMN, page_ids.METHOD, page_ids.K,
            page_ids.DEPTH, page_ids.SEED, page_ids.ORDERS_MODE} <= ids_of(layout)
    assert find(layout, page_ids.UPLOAD_REF).data == upload_id
    assert find(layout, page_ids.FEATURES).value == [
        HOSTILE, "gender", "annual_income", "spending_score", "visits_per_month",
        "loyalty_member", "signup_channel", "days_since_last_purchase"]
    assert find(layout, page_ids.ID_COLUMN).value == "customer_id"
    assert find(layout, page_ids.ORDERS_MODE).value is False
    assert find(layout, page_ids.K).value == "auto" and find(layout, page_ids.DEPTH).value == "3"
    roles = [c for c in walk(layout) if isinstance(getattr(c, "id", None), dict)
             and c.id.get("type") == page_ids.ROLE_SELECT]
    assert [r.value for r in roles][:3] == ["id", "numeric", "binary"]
    assert "C000001" in strings(layout)  # the first rows as read


def test_an_order_log_upload_turns_order_mode_on_with_its_columns(site, store, tmp_path):
    upload_id = add_upload(store, tmp_path, make_orders(40, seed=2), name="orders.csv")
    with session_of(site[0], OWNER):
        layout = home.layout(upload=upload_id)
    assert find(layout, page_ids.ORDERS_MODE).value is True
    assert find(layout, page_ids.ORDERS_PANEL).is_open is True
    assert find(layout, page_ids.TABLE_PANEL).is_open is False
    chosen = {name: find(layout, page_ids.order_field(name)).value
              for name in ("customer", "date", "amount")}
    assert chosen == {"customer": "customer_id", "date": "order_date", "amount": "amount"}


def test_an_unreadable_upload_shows_its_error_and_no_run_button(site, store):
    upload_id = store.uploads.add(owner=OWNER, filename="broken.csv", path="/nowhere", size_bytes=9,
                                  preview=None, error="'broken.csv' is not a table").id
    with session_of(site[0], OWNER):
        layout = home.layout(upload=upload_id)
    assert find(layout, ids.UPLOAD_MESSAGE).children == "'broken.csv' is not a table"
    assert ids.RUN_BUTTON not in ids_of(layout)


def test_another_sessions_upload_is_not_shown(site, store, tmp_path):
    table, _ = make_customers(40, seed=3)
    upload_id = add_upload(store, tmp_path, table)
    with session_of(site[0], OTHER):
        layout = home.layout(upload=upload_id)
    assert find(layout, ids.UPLOAD_MESSAGE).children.startswith("This upload is not available")
    assert ids.RUN_BUTTON not in ids_of(layout) and "C000001" not in strings(layout)


def test_an_upload_error_in_the_query_is_shown_as_text(site):
    with session_of(site[0], OWNER):
        layout = home.layout(upload_error="Choose a file to upload first.")
    assert find(layout, ids.UPLOAD_MESSAGE).children == "Choose a file to upload first."


# --- run page ----------------------------------------------------------------------------------

def test_a_queued_run_shows_an_empty_bar_a_status_and_a_cancel_button(site, store):
    run_id = queued_run(store)
    with session_of(site[0], OWNER):
        layout = run.layout(run_id=run_id)
    assert find(layout, ids.RUN_PROGRESS).value == 0
    assert find(layout, ids.RUN_STATUS).children == "Queued: waiting for a free runner"
    assert ids.RUN_CANCEL in ids_of(layout)
    assert find(layout, ids.RUN_POLL).disabled is False and find(layout, ids.RUN_POLL).interval == 700
    assert not ALL_TAB_IDS & ids_of(layout)


def test_a_running_run_names_its_stage_and_percent(site, store):
    run_id = queued_run(store, title="running.csv")
    with store.engine.begin() as con:  # claim this very run (others may be queued)
        con.exec_driver_sql("UPDATE runs SET status='running' WHERE id=?", (run_id,))
    store.queue.report_progress(run_id, stage="clustering", progress=0.55, message="k = 4")
    with session_of(site[0], OWNER):
        layout = run.layout(run_id=run_id)
    bar = find(layout, ids.RUN_PROGRESS)
    assert (bar.value, bar.label) == (55, "55%")
    assert find(layout, ids.RUN_STATUS).children == "Clustering · 55% · k = 4"
    current = [c.children for c in walk(layout) if "stage-current" in classes(c)]
    assert current == ["Clustering"]


def test_a_failed_run_shows_its_message_and_run_again(site, store):
    run_id = queued_run(store, title="failed.csv")
    store.queue.fail(run_id, "no usable feature: every column is an id")
    with session_of(site[0], OWNER):
        layout = run.layout(run_id=run_id)
    assert "no usable feature: every column is an id" in strings(layout)
    assert page_ids.RUN_RETRY in ids_of(layout)
    assert find(layout, ids.RUN_POLL).disabled is True
    assert ids.RUN_PROGRESS not in ids_of(layout)


@pytest.mark.parametrize("tab", sorted(TAB_IDS))
def test_a_finished_run_draws_only_the_tab_in_the_url(site, tab):
    app, run_id, _ = site
    with session_of(app, OWNER):
        layout = run.layout(run_id=run_id, tab=tab)
    found = ids_of(layout)
    assert set(TAB_IDS[tab]) <= found
    assert not (ALL_TAB_IDS - set(TAB_IDS[tab])) & found
    assert active_tab(layout) == tab
    assert {ids.SHARE_BUTTON, ids.SHARE_URL} <= found
    assert {c.href for c in walk(layout) if isinstance(c, html.A) and c.id in (
        ids.DOWNLOAD_ASSIGNMENTS, ids.DOWNLOAD_RULES_SQL, ids.DOWNLOAD_REPORT,
        ids.DOWNLOAD_RESULT)} == {f"/runs/{run_id}/download/{name}" for name in (
            "assignments.csv", "rules.sql", "report.html", "result.json")}
    serialisable(layout)


def test_segment_cards_show_name_size_rule_key_numbers_and_strategy(site):
    app, run_id, result = site
    with session_of(app, OWNER):
        layout = run.layout(run_id=run_id, segment="2")
    cards = [c for c in walk(find(layout, ids.SEGMENT_CARDS)) if "segment-card" in classes(c)]
    assert len(cards) == len(result.segments) == result.clustering.k
    for card, seg in zip(cards, result.segments):
        words = strings(card)
        assert seg.name in words and seg.rule.text in words
        assert seg.strategy.headline in words and seg.strategy.kpi in words
    selected = [c.id for c in cards if "segment-selected" in classes(c)]
    assert selected == ["segment-card-2"]
    lines = [s for s in strings(layout) if re.fullmatch(r"annual income \S+ vs \S+", s)]
    assert lines and all(re.fullmatch(r"annual income \d+(\.\d)?k vs \d+(\.\d)?k", s)
                         for s in lines)


def test_the_rules_tab_lists_every_rule_highlights_the_segment_and_shows_rules_sql(site, store):
    app, run_id, result = site
    with session_of(app, OWNER):
        layout = run.layout(run_id=run_id, tab="rules", segment="3")
    rows = [c for c in walk(find(layout, ids.RULES_TABLE)) if isinstance(c, html.Tr)][1:]
    assert len(rows) == len(result.segments)
    assert [("table-active" in classes(r)) for r in rows] == [
        s.id == 3 for s in result.segments]
    words = strings(layout)
    assert all(s.rule.text in words and s.rule.sql in words for s in result.segments)
    assert store.runs.artifact(run_id, "rules.sql").decode() in words
    assert percent(result.explanation.fidelity) in words


def test_percent_never_overstates_a_share():
    assert [percent(x) for x in (1.0, 0.9996, 0.9962, 0.5, 0.0, None)] == [
        "100%", "99.9%", "99.6%", "50%", "0%", "n/a"]


def test_an_unknown_tab_falls_back_to_segments(site):
    app, run_id, _ = site
    with session_of(app, OWNER):
        layout = run.layout(run_id=run_id, tab="<script>", segment="two")
    assert active_tab(layout) == "segments"
    assert ids.SEGMENT_CARDS in ids_of(layout)


def test_the_run_title_names_the_run_for_its_owner_only(site):
    app, run_id, _ = site
    with session_of(app, OWNER):
        assert run.title(run_id=run_id) == f"Run: {TITLE} · Clearseg"
    with session_of(app, OTHER):
        assert run.title(run_id=run_id) == "Run not found · Clearseg"


@pytest.mark.parametrize("owner,run_id", [(OTHER, "OWN"), (OWNER, "0" * 32),
                                          (OWNER, "../../etc/passwd"), (OWNER, "")])
def test_a_run_this_session_may_not_see_gives_the_not_found_card(site, owner, run_id):
    app, own_run, _ = site
    with session_of(app, owner):
        layout = run.layout(run_id=own_run if run_id == "OWN" else run_id)
    assert layout.id == "run-not-found"
    assert "Run not found" in strings(layout)
    assert not ({ids.TABS, ids.SEGMENT_CARDS, ids.DOWNLOAD_ASSIGNMENTS} & ids_of(layout))


def test_a_public_run_is_read_only_for_other_sessions(site, store):
    app, run_id, result = site
    public = store.runs.submit(owner="demo", title="Demo", upload_id=None, options={},
                               visibility="public")
    with store.engine.begin() as con:
        con.exec_driver_sql("UPDATE runs SET status='running' WHERE id=?", (public,))
    store.queue.finish(public, result_json=result.to_json(), files={}, message="ok")
    with session_of(app, OTHER):
        layout = run.layout(run_id=public)
    found = ids_of(layout)
    assert ids.SEGMENT_CARDS in found and ids.DOWNLOAD_ASSIGNMENTS in found
    assert ids.SHARE_BUTTON not in found and ids.RUN_CANCEL not in found
    assert "A public demo run: read-only." in strings(layout)


# --- share page --------------------------------------------------------------------------------

def test_a_valid_share_link_shows_the_report_read_only(site, store):
    app, run_id, result = site
    token = store.shares.add(run_id)[0]   # made by the owner (a link holds no session)
    with session_of(app, OTHER):
        layout = share.layout(token=token, tab="segments")
        assert share.title(token=token) == "Shared: Customer segments · Clearseg"  # no file name
    found = ids_of(layout)
    assert {ids.SEGMENT_CARDS, ids.TABS, ids.DOWNLOAD_REPORT} <= found
    assert not {ids.SHARE_BUTTON, ids.SHARE_URL, ids.DOWNLOAD_ASSIGNMENTS, ids.DOWNLOAD_RESULT,
                ids.DOWNLOAD_RULES_SQL, ids.RUN_CANCEL} & found
    assert find(layout, ids.DOWNLOAD_REPORT).href == f"/share/{token}/report.html"
    assert find(layout, page_ids.VIEW_REF).data == {"token": token}
    words = strings(layout)
    assert OWNER not in serialisable(layout) and run_id not in serialisable(layout)
    assert not [w for w in words if "/runs/" in w]
    assert all(s.name in words for s in result.segments)


def test_the_share_page_draws_any_tab_from_the_url(site, store):
    app, run_id, _ = site
    token = store.shares.add(run_id)[0]
    with session_of(app, OTHER):
        layout = share.layout(token=token, tab="k")
    assert ids.K_SELECTION_GRAPH in ids_of(layout) and ids.SEGMENT_CARDS not in ids_of(layout)


def test_revoked_expired_made_up_and_malformed_links_get_the_same_card(site, store):
    app, run_id, _ = site
    revoked, link = store.shares.add(run_id)
    assert store.shares.revoke(link.id, owner=OWNER)
    expired = store.shares.add(run_id, expires_in_days=-1)[0]
    answers = []
    for token in (revoked, expired, "x" * 43, "abc", "../report.html", None):
        with session_of(app, OWNER):
            layout = share.layout(token=token)
            assert share.title(token=token) == "Link not valid · Clearseg"
        assert layout.id == "share-not-valid"
        answers.append(strings(layout))
    assert "This link is not valid" in answers[0]
    assert all(a == answers[0] for a in answers)


def test_the_404_page_links_home():
    layout = not_found.layout()
    assert "Page not found" in strings(layout)
    assert [c.href for c in walk(layout) if isinstance(c, dcc.Link)] == ["/"]


# --- text from the data stays text -------------------------------------------------------------

def _no_markup_sinks(layout) -> None:
    for comp in walk(layout):
        assert not isinstance(comp, (html.Iframe, html.Script, dcc.Markdown))
        assert not getattr(comp, "dangerously_allow_html", False)


@pytest.mark.parametrize("tab", ["segments", "rules", "data", "profiles", "pairs"])
def test_a_hostile_column_name_is_a_plain_string_in_the_run_page(site, tab):
    app, run_id, _ = site
    with session_of(app, OWNER):
        layout = run.layout(run_id=run_id, tab=tab)
    _no_markup_sinks(layout)
    words = strings(layout)
    assert TITLE in words
    if tab == "data":
        assert HOSTILE in words  # the features table names the column as it is
    if tab in ("profiles", "pairs"):
        figures = [c.figure for c in walk(layout) if isinstance(c, dcc.Graph)]
        dumped = serialisable(figures)
        assert HOSTILE not in dumped and "&lt;img src=x onerror=alert(1)&gt;" in dumped


def test_a_hostile_column_name_is_a_plain_string_in_the_preview(site, store, tmp_path):
    table, _ = make_customers(40, seed=5)
    upload_id = add_upload(store, tmp_path, table.rename(columns={"gender": HOSTILE}),
                           name=f"{HOSTILE}.csv")
    with session_of(site[0], OWNER):
        layout = home.layout(upload=upload_id)
    _no_markup_sinks(layout)
    words = strings(layout)
    assert HOSTILE in words and f"{HOSTILE}.csv" in words
    labels = [o["label"] for o in find(layout, page_ids.FEATURES).options]
    assert HOSTILE in labels
