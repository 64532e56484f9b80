"""The pages' callbacks called directly inside a Flask request, as Dash would call them.

Every callback re-checks what the browser sends: another session's upload, run or share link gets
nothing done, and a share reference is resolved from its token alone.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

import flask
import pytest
from dash import html, no_update
from dash.exceptions import PreventUpdate

from dash_tree import find, ids_of, walk
from local_apps import local_app, store_finished
from dashboard import ids
from dashboard.app import create_app
from dashboard.pages.home import submit_run, sync_features, toggle_order_mode
from dashboard.pages.report import (pair_features_search, redraw_distribution, redraw_pairs,
                                    switch_tab)
from dashboard.pages.run import (cancel_run, create_share_link, poll_run, retry_run,
                                 revoke_share_link)
from dashboard.components import page_ids
from segmentation.pipeline import RunOptions, run_segmentation
from segmentation.preview import build_preview
from segmentation.synthetic import make_customers, make_orders
from service.settings import Settings

OWNER, OTHER = "c" * 32, "d" * 32
TABLE_COLUMNS = ["customer_id", "age", "gender", "annual_income", "spending_score",
                 "visits_per_month", "loyalty_member", "signup_channel", "days_since_last_purchase"]


def strings(node) -> list[str]:
    return [c.children for c in walk(node) if isinstance(getattr(c, "children", None), str)]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An app with one finished run of OWNER and one uploaded customer table: (app, run id, upload)."""
    root = tmp_path_factory.mktemp("dash-callbacks")
    app, store = local_app(root)
    table, _ = make_customers(800, seed=0)
    output = run_segmentation(table, options=RunOptions(id_column="customer_id", seed=0))
    run_id = store_finished(store, output.result, owner=OWNER)
    path = root / "customers.csv"
    table.head(80).to_csv(path, index=False)
    upload_id = store.uploads.add(owner=OWNER, filename="customers.csv", path=str(path),
                                  size_bytes=1, preview=build_preview(path), error=None).id
    return app, run_id, upload_id


@pytest.fixture
def store(site):
    return site[0].server.extensions["clearseg"]["store"]


@contextmanager
def session_of(app, owner: str):
    with app.server.test_request_context("/", base_url="http://clearseg.example"):
        flask.session["uid"] = owner
        yield


def start(store, run_id: str) -> None:
    """Mark one run running (claim() would take the oldest queued run, maybe another test's)."""
    with store.engine.begin() as con:
        con.exec_driver_sql("UPDATE runs SET status='running' WHERE id=?", (run_id,))


INFERRED = ["id", "numeric", "binary", "numeric", "numeric", "numeric", "binary", "categorical",
            "numeric"]


def form(**changes) -> dict:
    """The settings as the page sends them (role pickers in column order)."""
    base = {"features": ["age", "annual_income", "spending_score"], "id_column": "customer_id",
            "orders": False, "order_fields": {}, "as_of": "", "method": "hierarchical", "k": "4",
            "depth": "2", "seed": 7, "roles": INFERRED}
    return {**base, **changes}


# --- the run button ----------------------------------------------------------------------------

def test_the_run_button_queues_a_run_with_the_checked_options(site, store):
    app, _, upload_id = site
    roles = ["id", "categorical"] + INFERRED[2:]
    with session_of(app, OWNER):
        out = submit_run(1, upload_id=upload_id, form=form(roles=roles))
    assert out["message"] is None and out["href"].startswith("/runs/")
    run = store.runs.get(out["href"].rsplit("/", 1)[1], owner=OWNER)
    assert (run.status, run.title, run.upload_id) == ("queued", "customers.csv", upload_id)
    assert run.options == {
        "method": "hierarchical", "k": 4, "max_depth": 2, "seed": 7, "source": "customers.csv",
        "features": ["age", "annual_income", "spending_score"], "id_column": "customer_id",
        "roles": {"age": "categorical"}, "meanings": {}, "orders": None}


def test_order_log_mode_sends_the_order_columns_and_no_features(site, store, tmp_path):
    app = site[0]
    path = tmp_path / "orders.csv"
    make_orders(40, seed=1).to_csv(path, index=False)
    upload_id = store.uploads.add(owner=OWNER, filename="orders.csv", path=str(path), size_bytes=1,
                                  preview=build_preview(path), error=None).id
    fields = {"customer": "customer_id", "date": "order_date", "amount": "amount",
              "quantity": "", "category": "category", "order": "order_id"}
    with session_of(app, OWNER):
        out = submit_run(1, upload_id=upload_id, form=form(orders=True, order_fields=fields,
                                                           as_of="2024-12-31", k="auto"))
    options = store.runs.get(out["href"].rsplit("/", 1)[1]).options
    assert options["orders"] == {"customer": "customer_id", "date": "order_date",
                                 "amount": "amount", "quantity": None, "category": "category",
                                 "order": "order_id", "as_of": "2024-12-31"}
    assert (options["features"], options["id_column"], options["roles"], options["k"]) == (
        None, None, {}, None)


@pytest.mark.parametrize("changes,message", [
    ({"features": []}, "pick at least one feature"),
    ({"features": ["nope"]}, "unknown column(s) 'nope'"),
    ({"k": "11"}, "Segments (k): k = 11 needs a rule depth of 4: depth 2 gives at most 4"),
    ({"k": "17"}, "Segments (k): must be auto or a whole number from 2 to 16"),
    ({"depth": "9"}, "Rule depth: must be a whole number from 2 to 4"),
    ({"method": "magic"}, "Method: must be one of kmeans, hierarchical, density"),
    ({"seed": 1.5}, "Seed: must be a whole number"),
    ({"roles": ["id", "script"]}, "Use as: unknown role 'script' for 'age'"),
    ({"orders": True, "order_fields": {"customer": "customer_id"}},
     "Order date: an order log needs this column"),
])
def test_bad_settings_are_explained_and_queue_nothing(site, store, changes, message):
    app, _, upload_id = site
    before = len(store.runs.of_owner(OWNER))
    with session_of(app, OWNER):
        out = submit_run(1, upload_id=upload_id, form=form(**changes))
    assert out["href"] is no_update
    assert out["message"].children.startswith(message)
    assert len(store.runs.of_owner(OWNER)) == before


def test_another_session_cannot_run_someone_elses_upload(site, store):
    app, _, upload_id = site
    with session_of(app, OTHER):
        out = submit_run(1, upload_id=upload_id, form=form())
    assert out["href"] is no_update
    assert out["message"].children == "This upload is not available any more: upload the file again."
    assert store.runs.of_owner(OTHER) == []


def test_changing_a_role_updates_the_feature_checklist(site):
    app, _, upload_id = site
    roles = ["id", "text"] + INFERRED[2:]
    with session_of(app, OWNER):
        out = sync_features(roles, current=["age", "gender"], upload_id=upload_id)
    assert out["value"] == ["gender"]
    disabled = [o["value"] for o in out["options"] if o["disabled"]]
    assert disabled == ["customer_id", "age"]
    with session_of(app, OTHER), pytest.raises(PreventUpdate):
        sync_features(roles, current=[], upload_id=upload_id)


def test_order_mode_switches_the_panels():
    assert toggle_order_mode(True) == (True, False)
    assert toggle_order_mode(False) == (False, True)


# --- progress, cancel, run again ---------------------------------------------------------------

def test_polling_moves_the_bar_and_shows_the_result_when_the_run_ends(site, store):
    app, done_id, _ = site
    run_id = store.runs.submit(owner=OWNER, title="poll.csv", options={}, upload_id=None)
    ref = {"run": run_id}
    with session_of(app, OWNER):
        queued = poll_run(1, ref=ref, search="")
        start(store, run_id)
        store.queue.report_progress(run_id, stage="explaining", progress=0.7,
                                    message="fitting rules")
        running = poll_run(2, ref=ref, search="")
        with store.engine.begin() as con:
            result = con.exec_driver_sql("SELECT result FROM runs WHERE id=?", (done_id,)).scalar()
        assert store.queue.finish(run_id, result_json=result, files={}, message="ok")
        done = poll_run(3, ref=ref, search="?tab=rules&segment=2")
    assert queued["stop"] is False and find(queued["body"], ids.RUN_PROGRESS).value == 0
    bar = find(running["body"], ids.RUN_PROGRESS)
    assert (bar.value, bar.label, running["stop"]) == (70, "70%", False)
    assert find(running["body"], ids.RUN_STATUS).children == "Explaining · 70% · fitting rules"
    assert done["stop"] is True
    assert ids.RULES_TABLE in ids_of(done["body"]) and ids.RUN_PROGRESS not in ids_of(done["body"])


def test_polling_another_sessions_run_shows_not_found_and_stops(site):
    app, run_id, _ = site
    with session_of(app, OTHER):
        out = poll_run(1, ref={"run": run_id}, search="")
    assert out["stop"] is True and out["body"].id == "run-not-found"


def test_only_the_owner_can_cancel_and_run_again(site, store):
    app = site[0]
    run_id = store.runs.submit(owner=OWNER, title="cancel.csv", options={}, upload_id=site[2])
    with session_of(app, OTHER):
        with pytest.raises(PreventUpdate):
            cancel_run(1, ref={"run": run_id})
    with session_of(app, OWNER), pytest.raises(PreventUpdate):   # drawn, not clicked
        cancel_run(None, ref={"run": run_id})
    assert store.runs.get(run_id).status == "queued"
    with session_of(app, OWNER):
        out = cancel_run(1, ref={"run": run_id})
    assert out == {"status": "Cancelling: the run stops at its next step.", "disabled": True}
    assert store.runs.get(run_id).status == "cancelled"
    with session_of(app, OTHER), pytest.raises(PreventUpdate):
        retry_run(1, ref={"run": run_id})
    assert store.runs.get(run_id).status == "cancelled"
    with session_of(app, OWNER):
        out = retry_run(1, ref={"run": run_id})
    assert store.runs.get(run_id).status == "queued"
    assert out["stop"] is False and ids.RUN_PROGRESS in ids_of(out["body"])


# --- tabs and charts ---------------------------------------------------------------------------

def test_switching_tab_draws_it_and_puts_it_in_the_url(site):
    app, run_id, _ = site
    with session_of(app, OWNER):
        out = switch_tab([], tab="rules", ref={"run": run_id}, search="?segment=2")
        odd = switch_tab([], tab="nonsense", ref={"run": run_id}, search="?tab=k")
    assert out["search"] == "?segment=2&tab=rules"
    rows = [r for r in walk(out["content"]) if isinstance(r, html.Tr)][1:]
    assert ["table-active" in (r.className or "") for r in rows][:3] == [False, True, False]
    assert odd["search"] == "?tab=segments" and ids.SEGMENT_CARDS in ids_of(odd["content"])


def test_a_share_reference_is_resolved_from_its_token_only(site, store):
    app, run_id, _ = site
    other_run = store.runs.submit(owner=OTHER, title="other.csv", options={}, upload_id=None)
    with session_of(app, OWNER):
        token = store.shares.add(run_id)[0]
    with session_of(app, OTHER):
        out = switch_tab([], tab="k", ref={"token": token, "run": other_run}, search="")
        assert ids.K_SELECTION_GRAPH in ids_of(out["content"])
        with pytest.raises(PreventUpdate):
            switch_tab([], tab="k", ref={"token": "x" * 43, "run": run_id}, search="")
        with pytest.raises(PreventUpdate):
            switch_tab([], tab="k", ref={"run": run_id}, search="")  # OWNER's private run


def test_picking_pair_plot_features_redraws_from_the_stored_result(site):
    app, run_id, _ = site
    picked = ["annual_income", "age", "not_a_column", "spending_score", "visits_per_month",
              "days_since_last_purchase"]
    with session_of(app, OWNER):
        out = redraw_pairs(picked, ref={"run": run_id})
        two = redraw_pairs(["age", "annual_income"], ref={"run": run_id})
        one = redraw_pairs(["age"], ref={"run": run_id})
    labels = [d["label"].removesuffix(" (log scale)") for d in out["figure"].data[0].dimensions]
    assert labels == ["Annual income", "Age", "Spending score", "Visits per month"]
    assert {o["value"] for o in out["options"] if o["disabled"]} == {"days_since_last_purchase"}
    assert [d["label"] for d in two["figure"].data[0].dimensions] == ["Age", "Annual income"]
    assert not any(o["disabled"] for o in two["options"])
    assert all(t.showupperhalf for t in two["figure"].data)  # plotly.js draws no lone lower half
    assert one["figure"].data == () and one["figure"].layout.annotations[0].text == (
        "A pair plot needs two numeric features or more: pick another one.")
    with session_of(app, OTHER), pytest.raises(PreventUpdate):
        redraw_pairs(["age"], ref={"run": run_id})


def test_pair_plot_picks_go_in_the_url_unless_they_are_the_default(site):
    defaults = ["a", "b"]
    assert pair_features_search(["b", "a"], defaults=defaults, search="?tab=pairs") == \
        "?tab=pairs&features=b%2Ca"
    assert pair_features_search(["a", "b"], defaults=defaults,
                                search="?tab=pairs&features=x") == "?tab=pairs"


def test_picking_a_distribution_feature_redraws_it(site):
    app, run_id, _ = site
    with session_of(app, OWNER):
        figure = redraw_distribution("signup_channel", ref={"run": run_id})
    assert figure.layout.title.text == "Signup channel by segment"
    assert {t.type for t in figure.data} == {"bar"}


# --- share links -------------------------------------------------------------------------------

def test_the_owner_creates_a_link_with_the_full_url_and_a_listed_row(site, store):
    app, run_id, _ = site
    before = time.time()
    with session_of(app, OWNER):
        out = create_share_link(1, expiry="7", ref={"run": run_id})
    after = time.time()
    assert out["message"] is None
    assert out["url"].startswith("http://clearseg.example/share/")
    token = out["url"].rsplit("/", 1)[1]
    assert store.shares.run_id_of(token) == run_id
    rows = [c for c in walk(out["links"]) if isinstance(c, html.Li)]
    assert len(rows) == len(store.shares.of_run(run_id))
    newest = max(store.shares.of_run(run_id), key=lambda s: s.expires_at or 0)
    assert before + 7 * 86400 <= newest.expires_at <= after + 7 * 86400   # seven days from the call


def test_another_session_can_neither_create_nor_revoke_links(site, store):
    app, run_id, _ = site
    count = len(store.shares.of_run(run_id))
    with session_of(app, OTHER):
        out = create_share_link(1, expiry="never", ref={"run": run_id})
    assert out["url"] == "" and out["links"] is no_update
    assert out["message"].children == "Only the owner of a finished run can share it."
    assert len(store.shares.of_run(run_id)) == count

    token, share = store.shares.add(run_id)
    with session_of(app, OTHER):
        with pytest.raises(PreventUpdate):
            revoke_share_link(1, button_id=page_ids.share_revoke(share.id), ref={"run": run_id})
        with pytest.raises(PreventUpdate):  # the token does not make them the owner either
            revoke_share_link(1, button_id=page_ids.share_revoke(share.id),
                              ref={"token": token})
    assert store.shares.run_id_of(token) == run_id


def test_the_owner_revokes_a_link_and_it_stops_working(site, store):
    app, run_id, _ = site
    token, share = store.shares.add(run_id)
    with session_of(app, OWNER):
        row = revoke_share_link(1, button_id=page_ids.share_revoke(share.id), ref={"run": run_id})
    assert store.shares.run_id_of(token) is None
    assert "revoked" in strings(row)
    assert page_ids.share_revoke(share.id) not in [getattr(c, "id", None) for c in walk(row)]
    with session_of(app, OWNER), pytest.raises(PreventUpdate):  # a share id of no run of theirs
        revoke_share_link(1, button_id=page_ids.share_revoke("f" * 32), ref={"run": run_id})


def test_only_the_owner_sets_who_may_see_a_run(tmp_path):
    from dashboard.app import create_app
    from dashboard.pages.run import set_run_visibility
    from service.settings import Settings

    app = create_app(Settings.from_env({"CLEARSEG_INSTANCE_DIR": str(tmp_path)}), local=True)
    store = app.server.extensions["clearseg"]["store"]
    with app.server.test_request_context():
        import flask
        flask.session["uid"] = "a" * 32
        run_id = store.runs.submit(owner="a" * 32, title="t", options={}, upload_id=None)
        assert set_run_visibility("team", {"run": run_id}) is True
        assert store.runs.get(run_id).visibility == "team"
        flask.session["uid"] = "b" * 32
        import pytest
        from dash.exceptions import PreventUpdate
        with pytest.raises(PreventUpdate):
            set_run_visibility("public", {"run": run_id})
    assert store.runs.get(run_id).visibility == "team"
