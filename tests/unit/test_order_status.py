"""Order logs with a status column, returns and cancellations: what counts as orders and money."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from order_logs import expected_figures, make_status_log
from segmentation.errors import InputError
from segmentation.loading import load_input
from segmentation.options import RunOptions
from segmentation.order_status import CANCELLED, PURCHASE, RETURNED, label_kind
from segmentation.orders import aggregate_orders, detect_order_columns


def quiet(*_):
    """A progress callback that says nothing."""


@pytest.fixture(scope="module")
def status_log_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("status") / "shop orders.csv"
    make_status_log(seed=3).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def loaded(status_log_csv):
    return load_input(status_log_csv, orders={}, progress=quiet)


def test_frequency_and_monetary_match_a_plain_pandas_aggregation(status_log_csv, loaded):
    raw = pd.read_csv(status_log_csv, dtype={"customer_id": str})
    expected = expected_figures(raw)
    got = loaded.customers.set_index("customer_id")
    assert got.index.tolist() == expected.index.tolist()
    assert got["frequency"].tolist() == expected["frequency"].tolist()
    np.testing.assert_allclose(got["monetary"], expected["monetary"], atol=1e-6)
    np.testing.assert_allclose(got["cancel_rate"], expected["cancel_rate"], atol=1e-12)
    # the log has what the test is about: many cancellations, whole returns and return lines
    assert (raw["status"] == "Refunded").sum() > 20 and expected["cancel_rate"].mean() > 0.2


def test_ids_keep_their_leading_zeros(status_log_csv, loaded):
    written = set(pd.read_csv(status_log_csv, dtype=str)["customer_id"])
    assert set(loaded.customers["customer_id"]) == written
    assert loaded.customers["customer_id"].iloc[0] == "00001"


def test_notes_say_what_was_recognised_and_how_many_rows(status_log_csv, loaded):
    raw = pd.read_csv(status_log_csv)
    cancelled = int(raw["status"].str.lower().str.contains("cancel|storn|fail|void").sum())
    text = " ".join(loaded.notes)
    assert "order status 'status'" in text and "quantity 'cds'" in text
    assert f"{cancelled:,} rows cancelled or failed" in text
    assert "Kept 'customer_id' as text" in text


def test_quantity_counts_units_of_orders_net_of_returns(loaded, status_log_csv):
    raw = pd.read_csv(status_log_csv, dtype={"customer_id": str})
    status = raw["status"].str.strip().str.lower()
    kept = ~status.str.contains("cancel|storn|fail|void") & ~(
        status.isin(["returned", "refunded", "retoure"]) & (raw["amount"] > 0))
    units = raw[kept].groupby("customer_id")["cds"].sum()
    got = loaded.customers.set_index("customer_id")["total_quantity"]
    assert got.to_dict() == units.reindex(got.index, fill_value=0).to_dict()


@pytest.mark.parametrize("label, kind", [
    ("Cancelled", CANCELLED), ("CANCELED", CANCELLED), (" canceled ", CANCELLED),
    ("cancelado", CANCELLED), ("Storniert", CANCELLED), ("storno", CANCELLED),
    ("annulé", CANCELLED), ("FAILED", CANCELLED), ("payment_failed", CANCELLED),
    ("void", CANCELLED), ("Declined", CANCELLED), ("Returned", RETURNED),
    ("refunded", RETURNED), ("Retoure", RETURNED), ("devuelto", RETURNED),
    ("Completed", PURCHASE), ("shipped", PURCHASE), ("not cancelled", PURCHASE),
    ("", PURCHASE), ("pending", PURCHASE),
])
def test_status_labels_in_common_spellings(label, kind):
    assert label_kind(label) == kind


def test_a_status_column_is_found_by_its_content_under_any_name():
    log = pd.DataFrame({"customer": ["a", "a", "b", "b"], "date": ["2024-01-01", "2024-01-05",
                                                             "2024-01-02", "2024-01-09"],
                        "total": [10.0, 20.0, 5.0, 7.5],
                        "x": ["ok", "Cancelled", "ok", "Refunded"]})
    assert detect_order_columns(log)["status"] == "x"
    table = aggregate_orders(log).customers.set_index("customer")
    assert table["frequency"].tolist() == [1, 1] and table["monetary"].tolist() == [10.0, 5.0]


def test_a_category_with_a_returns_level_is_no_status():
    log = pd.DataFrame({"customer_id": list("aabbcc"), "order_date": ["2024-01-01"] * 6,
                        "amount": [1.0] * 6,
                        "department": ["Toys", "Books", "Garden", "Music", "Returns desk", "Food"]})
    assert detect_order_columns(log)["status"] is None


def test_uci_style_invoices_starting_with_c_are_cancellations():
    log = pd.DataFrame({
        "InvoiceNo": ["536365", "536366", "C536367", "536368", "536369"],
        "InvoiceDate": ["2010-12-01", "2010-12-02", "2010-12-03", "2010-12-04", "2010-12-05"],
        "CustomerID": ["17850", "17850", "17850", "13047", "13047"],
        "Quantity": [6, 2, -2, 3, 1], "Amount": [15.3, 5.1, -5.1, 9.0, 3.0]})
    result = aggregate_orders(log)
    table = result.customers.set_index("CustomerID")
    assert table.loc["17850", "frequency"] == 2 and table.loc["17850", "monetary"] == 15.3
    assert table.loc["17850", "cancel_rate"] == pytest.approx(1 / 3)
    assert table.loc["13047", "cancel_rate"] == 0.0
    assert any("order id starts with 'C'" in note and "'C536367'" in note for note in result.notes)


def test_order_ids_named_c1_are_not_taken_for_cancellations():
    log = pd.DataFrame({"order_id": ["A1", "B1", "C1"], "customer_id": ["x", "y", "z"],
                        "order_date": ["2024-01-01"] * 3, "amount": [5.0, 6.0, 7.0]})
    table = aggregate_orders(log).customers
    assert table["frequency"].tolist() == [1, 1, 1] and "cancel_rate" not in table


def test_negative_quantity_with_a_positive_amount_is_a_return():
    log = pd.DataFrame({"customer_id": ["a", "a", "b"], "order_date": ["2024-01-01", "2024-01-03",
                                                                      "2024-01-02"],
                        "qty": [2, -1, 1], "amount": [20.0, 10.0, 5.0]})
    result = aggregate_orders(log)
    table = result.customers.set_index("customer_id")
    assert table.loc["a", "monetary"] == 10.0 and table.loc["a", "frequency"] == 1
    assert table.loc["a", "total_quantity"] == 1 and table.loc["a", "return_rate"] == 0.5
    assert any("negative quantity and a positive amount" in note for note in result.notes)


@pytest.mark.parametrize("name", ["cds", "units", "Items", "pcs", "count"])
def test_a_units_column_is_the_quantity(name):
    log = pd.DataFrame({"customer_id": ["a", "a", "b"], "order_date": ["2024-01-01"] * 3,
                        name: [1, 3, 2], "amount": [9.5, 30.0, 19.0]})
    assert detect_order_columns(log)["quantity"] == name


def test_a_count_column_of_large_or_fractional_values_is_no_quantity():
    log = pd.DataFrame({"customer_id": ["a", "a", "b"], "order_date": ["2024-01-01"] * 3,
                        "count": [1.5, 2.25, 0.75], "amount": [9.5, 30.0, 19.0]})
    assert detect_order_columns(log)["quantity"] is None


def test_an_amount_column_without_numbers_names_the_column_and_a_value():
    log = pd.DataFrame({"customer_id": ["a", "b"], "order_date": ["2024-01-01", "2024-01-02"],
                        "amount": ["abc", "n/a"], "spent": [1.0, 2.0]})
    with pytest.raises(InputError, match=r"the amount column 'amount' holds no numbers "
                                         r"\(for example 'abc'\)"):
        aggregate_orders(log, amount="amount")


def test_a_log_with_quantity_and_unit_price_is_offered_as_an_order_log(tmp_path):
    from segmentation.preview import build_preview

    log = pd.DataFrame({"InvoiceNo": ["536365", "536365", "C536366", "536367"],
                        "Quantity": [6, 2, -2, 3], "InvoiceDate": ["12/1/2010 8:26"] * 4,
                        "UnitPrice": [2.55, 3.39, 3.39, 1.25],
                        "CustomerID": [17850.0, 17850.0, 17850.0, 13047.0]})
    path = tmp_path / "online retail.csv"
    log.to_csv(path, index=False)
    preview = build_preview(path)
    assert preview["looks_like_orders"] and preview["order_columns"]["price"] == "UnitPrice"
    options = RunOptions(orders={}).checked_against(preview)  # no amount column: not refused
    assert options.orders.amount is None and options.orders.quantity == "Quantity"
    table = aggregate_orders(log).customers.set_index("CustomerID")
    assert table.loc[17850, "monetary"] == pytest.approx(6 * 2.55)  # the C invoice reverses 2 x 3.39
    assert table.loc[17850, "frequency"] == 1


def test_the_status_column_can_be_named_on_the_command_line(tmp_path, capsys):
    from seeded_runs import run_cli

    log = make_status_log(80, seed=5).rename(columns={"status": "flag"})
    placed = [f"ok {n}" for n in range(6)]  # one cancelled label among many: not found unnamed
    log["flag"] = [("Cancelled" if label.strip().lower() in ("cancelled", "canceled") else
                    placed[i % 6]) for i, label in enumerate(log["flag"])]
    assert detect_order_columns(log)["status"] is None
    path = tmp_path / "orders.csv"
    log.to_csv(path, index=False)
    code, _, err = run_cli(["run", str(path), "--orders", "--status", "flag", "--out",
                            str(tmp_path / "out"), "--quiet"], capsys)
    assert code == 0, err
    notes = " ".join(load_result_notes(tmp_path / "out"))
    assert "Read the order status column 'flag'" in notes


def load_result_notes(out) -> list[str]:
    import json

    return json.loads((out / "result.json").read_text())["dataset"]["notes"]
