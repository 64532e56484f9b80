"""The share-view gate: a visitor with only a share link may make exactly the share view's own
callbacks, recognised by the registered ids and properties, never by names Dash passes by position."""
from __future__ import annotations

import pytest

from dashboard.app import create_app
from dashboard.share_gate import share_callback_allowed
from service.accounts import Accounts
from service.settings import Settings

ROUTING = ".._pages_content.children..._pages_store.data.."
OUTPUTS = [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("instance")
    settings = Settings.from_env({"CLEARSEG_INSTANCE_DIR": str(folder), "CLEARSEG_SECRET_KEY": "k" * 40,
                                  "CLEARSEG_SECURE_COOKIES": "0"})
    app = create_app(settings)
    Accounts(app.server.extensions["clearseg"]["store"]).add("ana", "a long password")
    return app


def _routing(*inputs) -> dict:
    return {"output": ROUTING, "outputs": OUTPUTS, "changedPropIds": ["_pages_location.pathname"],
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs]}


def _post(app, body):
    return app.server.test_client().post("/_dash-update-component", json=body)


def test_a_renamed_path_property_does_not_reach_the_home_page_routing(app):
    renamed = _routing(("_pages_location", "pathnam", "/"), ("_pages_location", "search", ""))
    answer = _post(app, renamed)
    assert answer.status_code == 401 and answer.json == {"error": "sign in first"}
    assert "my-runs" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("inputs", [
    [("_pages_location", "search", "/share/x"), ("_pages_location", "pathname", "/")],  # swapped
    [("elsewhere", "pathname", "/share/x"), ("_pages_location", "search", "")],          # other id
    [("_pages_location", "pathname", "/share/x")],                                        # one short
    [("_pages_location", "pathname", "/"), ("_pages_location", "search", "")],            # home
    [("_pages_location", "pathname", "http://h/runs/x?/share/"), ("_pages_location", "search", "")],
])
def test_anything_but_the_registered_routing_call_on_a_share_path_is_refused(app, inputs):
    assert _post(app, _routing(*inputs)).status_code == 401


def test_the_share_views_own_routing_call_passes_the_gate(app):
    share = _routing(("_pages_location", "pathname", "/share/not-a-token"),
                     ("_pages_location", "search", ""))
    answer = _post(app, share)
    assert answer.status_code == 200, answer.status_code
    assert "_pages_content" in answer.json["response"]   # the share page's "link not valid" view


REGISTERED = {
    "distribution-graph.figure": {"inputs": [{"id": "distribution-feature", "property": "value"}],
                                  "state": [{"id": "view-ref", "property": "data"}]},
    "run-body.children": {"inputs": [{"id": "run-poll", "property": "n_intervals"}], "state": []},
}


def _chart(inputs, state, output="distribution-graph.figure") -> dict:
    return {"output": output, "inputs": [{"id": i, "property": p, "value": 1} for i, p in inputs],
            "state": [{"id": i, "property": p, "value": {"share": "t"}} for i, p in state]}


def test_a_share_chart_callback_must_carry_its_registered_inputs_and_state():
    ok = _chart([("distribution-feature", "value")], [("view-ref", "data")])
    assert share_callback_allowed(ok, REGISTERED)
    assert not share_callback_allowed(_chart([("distribution-feature", "valu")], [("view-ref", "data")]),
                                      REGISTERED)
    assert not share_callback_allowed(_chart([("distribution-feature", "value")], [("view-ref", "id")]),
                                      REGISTERED)
    assert not share_callback_allowed(_chart([("distribution-feature", "value")], []), REGISTERED)
    editor_only = _chart([("run-poll", "n_intervals")], [], output="run-body.children")
    assert not share_callback_allowed(editor_only, REGISTERED)          # registered, not a share view's
    assert not share_callback_allowed({**ok, "output": "pair-plot-graph.figure"}, REGISTERED)  # unknown
    assert not share_callback_allowed([], REGISTERED)
