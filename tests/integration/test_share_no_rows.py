"""A share link shows no individual customer: its page, its callbacks and the report it serves
carry no pair of one customer's raw values; the owner's own view still draws the points."""
from __future__ import annotations

import json
import math
import re
from itertools import combinations

import flask
import numpy as np
import plotly.utils
import pytest
from plotly.offline import get_plotlyjs

from local_apps import local_app, store_finished
from dashboard.pages.report import redraw_distribution, redraw_pairs, switch_tab
from dashboard.components.urlstate import TAB_KEYS
from dashboard.pages import share as share_page
from segmentation.pipeline import RunOptions, run_segmentation
from segmentation.synthetic import make_customers

OWNER = "e" * 32
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def uploaded_table(n: int = 600):
    """Customers whose numbers carry three odd decimals, so no value is a round bin edge."""
    table, _ = make_customers(n, seed=11)
    rng = np.random.default_rng(11)
    for name in ("age", "annual_income", "spending_score", "visits_per_month",
                 "days_since_last_purchase"):
        table[name] = (table[name] + rng.uniform(0.001, 0.999, n)).round(3)
    return table


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """(app, run id, token, table): a finished run of OWNER with one share link."""
    app, store = local_app(tmp_path_factory.mktemp("share-no-rows"))
    table = uploaded_table()
    output = run_segmentation(table, options=RunOptions(id_column="customer_id", seed=0))
    run_id = store_finished(store, output.result, owner=OWNER)
    token = store.shares.add(run_id)[0]
    return app, run_id, token, table


def numbers_in(*answers) -> set[float]:
    """Every number written in the answers as the browser receives them (JSON or HTML)."""
    found = set()
    for answer in answers:
        text = answer if isinstance(answer, str) else json.dumps(
            answer, cls=plotly.utils.PlotlyJSONEncoder)
        found.update(float(m) for m in NUMBER.findall(text.replace(get_plotlyjs(), "")))
    return found


def leaked_rows(table, numbers: set[float]) -> int:
    """Customers two of whose raw values (as they are, or at their log-axis place) both appear."""
    def seen(value) -> bool:
        return value in numbers or math.log10(1.0 + max(value, 0.0)) in numbers
    columns = ["age", "annual_income", "spending_score", "visits_per_month",
               "days_since_last_purchase"]
    hits = {c: table[c].map(seen).to_numpy() for c in columns}
    pairs = [hits[a] & hits[b] for a, b in combinations(columns, 2)]
    return int(np.logical_or.reduce(pairs).sum())


def share_answers(app, token: str) -> list:
    """The share page, every tab, the pair plot and every distribution, as a link's reader gets
    them."""
    ref = {"token": token}
    features = ["age", "annual_income", "spending_score", "visits_per_month"]
    with app.server.test_request_context("/", base_url="http://clearseg.example"):
        answers = [share_page.layout(token=token, tab="pairs")]
        answers += [switch_tab([], tab=tab, ref=ref, search="") for tab in TAB_KEYS]
        answers += [redraw_pairs(features, ref=ref), redraw_pairs(None, ref=ref)]
        answers += [redraw_distribution(name, ref=ref) for name in
                    ("age", "annual_income", "visits_per_month", "signup_channel")]
    return answers


def test_a_share_link_carries_no_customers_values(shared):
    app, _, token, table = shared
    assert leaked_rows(table, numbers_in(*share_answers(app, token))) == 0


def test_the_report_a_share_link_serves_carries_no_customers_values(shared):
    app, _, token, table = shared
    response = app.server.test_client().get(f"/share/{token}/report.html")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert leaked_rows(table, numbers_in(page)) == 0
    assert 'id="figure-pair-plot"' in page and "no customer is shown" in page


def test_the_owner_still_sees_the_points(shared):
    app, run_id, _, table = shared
    with app.server.test_request_context("/", base_url="http://clearseg.example"):
        flask.session["uid"] = OWNER
        out = redraw_pairs(["age", "annual_income", "spending_score"], ref={"run": run_id})
    assert {t.type for t in out["figure"].data} == {"splom"}
    assert leaked_rows(table, numbers_in(out)) > len(table) // 2
