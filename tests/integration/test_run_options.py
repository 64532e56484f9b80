"""One run request: RunOptions' limits, and every front end (API, form, CLI, store, runner)
refusing a bad option by its field, before anything is queued."""
from __future__ import annotations

import pytest

from seeded_runs import run_cli
from local_apps import local_app
from dashboard.components.settings_form import run_options_from_form
from segmentation.errors import InputError
from segmentation.options import OptionError, RunOptions
from segmentation.preview import build_preview
from segmentation.synthetic import make_customers, make_orders
from service.jobs import run_options

OWNER = "e" * 32
DEPTH_MESSAGE = ("k = 9 needs a rule depth of 4: depth 3 gives at most 8 segments; raise the rule "
                 "depth or lower k")

# field, value, the field the error names, and how its message starts
BAD_OPTIONS = [
    ("method", "magic", "method", "must be one of kmeans, hierarchical, density"),
    ("method", 3, "method", "must be one of"),
    ("k", "many", "k", "must be auto or a whole number from 2 to 16"),
    ("k", "4", "k", "must be auto or a whole number"),
    ("k", True, "k", "must be auto or a whole number"),
    ("k", 1, "k", "must be auto or a whole number from 2 to 16"),
    ("k", 17, "k", "must be auto or a whole number from 2 to 16"),
    ("k", 9, "k", DEPTH_MESSAGE),
    ("max_depth", 5, "max_depth", "must be a whole number from 2 to 4"),
    ("max_depth", 2.5, "max_depth", "must be a whole number from 2 to 4"),
    ("seed", "abc", "seed", "must be a whole number from 0 to 4294967295"),
    ("seed", -1, "seed", "must be a whole number from 0 to 4294967295"),
    ("seed", 2**32, "seed", "must be a whole number from 0 to 4294967295"),
    ("features", "age", "features", "must be a list of at most 200 column names"),
    ("features", [1, 2], "features", "must be a list of at most 200 column names"),
    ("features", [f"c{i}" for i in range(201)], "features", "must be a list of at most 200"),
    ("id_column", ["customer_id"], "id_column", "must be a column name"),
    ("roles", ["x"], "roles", "must pair each column with a role"),
    ("roles", {"age": "script"}, "roles", "unknown role 'script' for 'age': use one of id, "),
    ("orders", "yes", "orders", "must be true, false or the order log's columns by role"),
    ("orders", {"as_of": "2024-13-01"}, "orders.as_of", "must be a date like 2024-12-31"),
    ("orders", {"customer": 7}, "orders.customer", "must be a column name"),
    ("orders", {"shop": "x"}, "orders.shop", "is not a run option"),
    ("colour", "blue", "colour", "is not a run option"),
]
UNKNOWN_COLUMNS = [
    ({"features": ["age", "nope"]}, "features"),
    ({"id_column": "nope"}, "id_column"),
    ({"roles": {"nope": "numeric"}}, "roles"),
]


@pytest.mark.parametrize("field, value, named, message", BAD_OPTIONS)
def test_a_bad_option_is_refused_naming_its_field(field, value, named, message):
    with pytest.raises(OptionError) as caught:
        RunOptions(**{field: value})
    assert (caught.value.field, str(caught.value)) == (named, f"{named}: {caught.value.problem}")
    assert caught.value.problem.startswith(message)
    assert isinstance(caught.value, InputError) and "--" not in str(caught.value)


def test_the_limits_that_hold():
    assert RunOptions(k=16, max_depth=4).k == 16
    assert RunOptions(k="auto").k is None and RunOptions(seed=2**32 - 1).seed == 2**32 - 1
    assert RunOptions(roles={"b": "id", "a": "numeric"}).roles == (("a", "numeric"), ("b", "id"))
    assert RunOptions(orders=False).orders is None and RunOptions(orders=True).orders is not None


def test_options_round_trip_through_the_stored_json():
    options = RunOptions(method="density", k=5, max_depth=4, seed=9, features=("age", "spend"),
                         id_column="id", roles={"age": "categorical"}, meanings={"spend": "monetary"},
                         source="c.csv")
    assert RunOptions.from_stored(options.to_stored()) == options
    orders = RunOptions(orders={"customer": "c", "date": "d", "amount": "a", "as_of": "2024-12-31"})
    assert orders.to_stored()["orders"]["as_of"] == "2024-12-31"
    assert RunOptions.from_stored(orders.to_stored()) == orders


@pytest.mark.parametrize("stored", [
    {},
    {"method": "kmeans", "k": 3, "seed": 0},
    {"method": "hierarchical", "k": 4, "max_depth": 2, "seed": 7, "source": "customers.csv",
     "features": ["age", "annual_income"], "id_column": "customer_id",
     "roles": {"age": "categorical"}, "orders": None},
    {"method": "kmeans", "k": None, "max_depth": 3, "seed": 0, "source": "orders.csv",
     "features": None, "id_column": None, "roles": {},
     "orders": {"customer": "customer_id", "date": "order_date", "amount": "amount",
                "quantity": None, "category": "category", "order": "order_id",
                "as_of": "2024-12-31"}},
])
def test_options_stored_before_the_model_still_load(stored):
    options = run_options(stored)
    assert options.method == stored.get("method", "kmeans") and options.k == stored.get("k")
    assert dict(options.roles) == (stored.get("roles") or {})


def test_the_runner_refuses_a_stored_option_by_its_field():
    with pytest.raises(OptionError, match="^seed: must be a whole number"):
        run_options({"method": "kmeans", "seed": -1})


def test_the_store_refuses_bad_options_and_queues_nothing(tmp_path):
    from service.store import RunStore

    store = RunStore(f"sqlite:///{tmp_path / 's.db'}")
    store.create_schema()
    with pytest.raises(OptionError, match="^roles: "):
        store.runs.submit(owner=OWNER, title="t", options={"roles": ["x"]}, upload_id=None)
    assert store.runs.of_owner(OWNER) == []


# --- the JSON API --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """(test client signed as OWNER, store, customer upload id, order-log upload id)."""
    root = tmp_path_factory.mktemp("api-options")
    app, store = local_app(root)
    uploads = []
    for name, table in (("customers.csv", make_customers(80, seed=1)[0]),
                        ("orders.csv", make_orders(30, seed=2))):
        path = root / name
        table.to_csv(path, index=False)
        uploads.append(store.uploads.add(owner=OWNER, filename=name, path=str(path), size_bytes=1,
                                         preview=build_preview(path), error=None).id)
    client = app.server.test_client()
    with client.session_transaction() as session:
        session["uid"] = OWNER
    return client, store, *uploads


def post_run(api, **body):
    client, store, customers, _ = api
    before = len(store.runs.of_owner(OWNER))
    response = client.post("/api/runs", json={"upload_id": customers, **body})
    queued = len(store.runs.of_owner(OWNER)) - before
    return response, queued


@pytest.mark.parametrize("field, value, named, message", BAD_OPTIONS)
def test_the_api_answers_422_naming_the_json_field(api, field, value, named, message):
    response, queued = post_run(api, **{field: value})
    assert (response.status_code, queued) == (422, 0)
    body = response.get_json()
    assert body["field"] == named and body["error"].startswith(f"{named}: {message}")


@pytest.mark.parametrize("body, named", UNKNOWN_COLUMNS + [
    ({"features": ["customer_id"]}, "features"),
    ({"features": ["age"], "id_column": "age"}, "features"),
    ({"orders": True, "features": ["age"]}, "features"),
    ({"source": "x.csv"}, "source"),
])
def test_the_api_checks_column_names_against_the_upload(api, body, named):
    response, queued = post_run(api, **body)
    assert (response.status_code, queued) == (422, 0)
    assert response.get_json()["field"] == named


def test_the_api_refuses_an_order_log_without_its_columns(api):
    client, store, customers, _ = api
    response = client.post("/api/runs", json={"upload_id": customers, "orders": True})
    assert response.status_code == 422 and response.get_json()["field"].startswith("orders.")
    response = client.post("/api/runs", json={"upload_id": customers,
                                              "orders": {"customer": "nope"}})
    assert response.get_json()["error"].startswith("orders.customer: the upload has no column 'nope'")


def test_a_body_that_is_not_an_object_is_a_400(api):
    client = api[0]
    assert client.post("/api/runs", json=["k", 3]).status_code == 400


def test_a_good_request_is_queued_with_its_checked_options(api):
    client, store, customers, orders = api
    response = client.post("/api/runs", json={"upload_id": customers, "k": 4, "seed": 3,
                                              "features": ["age", "annual_income"],
                                              "roles": {"age": "categorical"}, "max_depth": None})
    assert response.status_code == 201
    stored = store.runs.get(response.get_json()["id"]).options
    assert (stored["k"], stored["seed"], stored["max_depth"], stored["features"], stored["roles"],
            stored["source"]) == (4, 3, 3, ["age", "annual_income"], {"age": "categorical"},
                                  "customers.csv")
    response = client.post("/api/runs", json={"upload_id": orders, "orders": True})
    assert response.status_code == 201
    logged = store.runs.get(response.get_json()["id"]).options["orders"]
    assert (logged["customer"], logged["date"], logged["amount"]) == (
        "customer_id", "order_date", "amount")


# --- the form and the CLI ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    path = tmp_path_factory.mktemp("form") / "customers.csv"
    make_customers(80, seed=1)[0].to_csv(path, index=False)
    return build_preview(path)


def form(preview, **changes) -> dict:
    base = {"features": ["age", "annual_income"], "id_column": "customer_id", "orders": False,
            "order_fields": {}, "as_of": "", "method": "kmeans", "k": "auto", "depth": "3",
            "seed": 0, "roles": [c["role"] for c in preview["columns"]]}
    return {**base, **changes}


@pytest.mark.parametrize("changes, message", [
    ({"k": "9"}, f"Segments (k): {DEPTH_MESSAGE}"),
    ({"k": "40"}, "Segments (k): must be auto or a whole number from 2 to 16"),
    ({"depth": "7"}, "Rule depth: must be a whole number from 2 to 4"),
    ({"seed": -1}, "Seed: must be a whole number from 0 to 4294967295"),
    ({"seed": "abc"}, "Seed: must be a whole number"),
    ({"seed": 1.5}, "Seed: must be a whole number"),
    ({"method": "magic"}, "Method: must be one of kmeans, hierarchical, density"),
    ({"id_column": "nope"}, "Id column: the upload has no column 'nope'"),
    ({"orders": True, "as_of": "soon", "order_fields": {"customer": "customer_id"}},
     "As of: must be a date like 2024-12-31"),
    ({"orders": True, "order_fields": {"customer": "nope"}}, "Customer id: the upload has no column"),
])
def test_the_form_names_the_field_by_its_label(preview, changes, message):
    with pytest.raises(InputError) as caught:
        run_options_from_form(form(preview, **changes), preview=preview, filename="c.csv")
    assert str(caught.value).startswith(message) and "--" not in str(caught.value)


def test_the_form_offers_k_up_to_16_with_depth_4(preview):
    options = run_options_from_form(form(preview, k="16", depth="4"), preview=preview,
                                    filename="c.csv")
    assert (options["k"], options["max_depth"]) == (16, 4)


@pytest.mark.parametrize("args, message", [
    (["--seed", "-1"], "error: --seed: must be a whole number from 0 to 4294967295"),
    (["--k", "9"], f"error: --k: {DEPTH_MESSAGE}"),
    (["--k", "30", "--max-depth", "4"], "error: --k: must be auto or a whole number from 2 to 16"),
    (["--max-depth", "6"], "error: --max-depth: must be a whole number from 2 to 4"),
])
def test_the_cli_names_its_flag_before_reading_the_file(tmp_path, capsys, args, message):
    path = tmp_path / "not_read.csv"  # never written: the options are refused first
    code, _, err = run_cli(["run", path, "--out", tmp_path / "out", "--quiet", *args], capsys)
    assert code == 2 and err.strip() == message
