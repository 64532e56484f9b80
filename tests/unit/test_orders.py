import io

import numpy as np
import pandas as pd
import pytest

from segmentation.errors import InputError
from segmentation.orders import OrderAggregation, aggregate_orders, detect_order_columns
from segmentation.synthetic import make_orders

# c1: two orders (A1 has two lines) and one return; c2: one order; c3: only a return; c4: one order
# on the last day of the log.
LOG = """\
order_id,customer_id,order_date,amount,quantity,category,age,gender,channel
A1,c1,2024-01-01,100.00,2,Books,30,Female,web
A1,c1,2024-01-01,50.00,1,Toys,30,Female,app
A2,c1,2024-01-20,30.00,1,Books,30,Female,web
R1,c1,2024-01-25,-20.00,-1,Books,30,Female,app
B1,c2,2024-01-10,200.00,4,Home & Garden,45,Male,store
R2,c3,2024-01-15,-40.00,-1,Toys,52,Male,web
C1,c4,2024-01-31,10.00,1,Books,23,Female,store
"""

EXPECTED = pd.DataFrame({
    "customer_id": ["c1", "c2", "c3", "c4"],
    "recency_days": [11, 21, 16, 0],
    "frequency": [2, 1, 0, 1],
    "monetary": [160.0, 200.0, -40.0, 10.0],
    "avg_order_value": [80.0, 200.0, 0.0, 10.0],
    "tenure_days": [30, 21, 16, 0],
    "total_quantity": [3, 4, -1, 1],
    "return_rate": [20 / 180, 0.0, 1.0, 0.0],
    "share_books": [130 / 180, 0.0, 0.0, 1.0],
    "share_home_garden": [0.0, 1.0, 0.0, 0.0],
    "share_toys": [50 / 180, 0.0, 0.0, 0.0],
    "age": [30, 45, 52, 23],
    "gender": ["Female", "Male", "Male", "Female"],
})

EXPECTED_NOTES = [
    "Detected columns: customer id 'customer_id', order date 'order_date', amount 'amount', "
    "quantity 'quantity', category 'category', order id 'order_id'.",
    "Counted 2 rows with a negative amount as returns: they reduce monetary but do not count as "
    "orders.",
    "Kept 1 customer with only returns or cancellations, with frequency 0 and avg_order_value 0; "
    "their recency and tenure count from those rows.",
    "1 customer returned more than they bought within the log: their monetary value is negative.",
    "Spend shares by 'category' (returns left out): share_books, share_home_garden, share_toys.",
    "Carried over customer attributes (most frequent value per customer): age, gender.",
    "Dropped columns that vary within a customer's orders: channel.",
]


def read_log(text: str = LOG) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


def test_hand_written_log_gives_the_expected_figures():
    result = aggregate_orders(read_log())
    assert isinstance(result, OrderAggregation)
    pd.testing.assert_frame_equal(result.customers, EXPECTED, check_dtype=False, rtol=1e-9)
    assert result.as_of == "2024-01-31"
    assert result.notes == EXPECTED_NOTES


def test_result_columns_name_every_role():
    result = aggregate_orders(read_log())
    assert result.columns == {"customer": "customer_id", "date": "order_date", "amount": "amount",
                              "quantity": "quantity", "category": "category", "order": "order_id",
                              "status": None, "price": None}


def test_without_order_ids_frequency_counts_order_days():
    log = read_log().drop(columns="order_id")
    result = aggregate_orders(log).customers.set_index("customer_id")
    assert result["frequency"].tolist() == [2, 1, 0, 1]
    log.loc[2, "order_date"] = "2024-01-01"  # c1's second order now falls on the first order's day
    assert aggregate_orders(log).customers["frequency"].tolist() == [1, 1, 0, 1]


def test_explicit_as_of_sets_recency_and_leaves_out_later_orders():
    result = aggregate_orders(read_log(), as_of="2024-01-20")
    table = result.customers.set_index("customer_id")
    assert result.as_of == "2024-01-20"
    assert table.index.tolist() == ["c1", "c2", "c3"]
    assert table.loc["c1", "recency_days"] == 0
    assert table.loc["c1", "monetary"] == pytest.approx(180.0)
    assert "Dropped 2 rows with a date after the as-of date 2024-01-20." in result.notes


def test_as_of_that_is_no_date_is_an_input_error():
    with pytest.raises(InputError, match=r"as-of date 'soon' is not a date: give it as YYYY-MM-DD"):
        aggregate_orders(read_log(), as_of="soon")


@pytest.mark.parametrize(
    "columns, expected",
    [
        (["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID",
          "Country"],
         {"customer": "CustomerID", "date": "InvoiceDate", "amount": None, "quantity": "Quantity",
          "category": None, "order": "InvoiceNo"}),
        (["user_id", "timestamp", "revenue", "product_category", "transaction_id"],
         {"customer": "user_id", "date": "timestamp", "amount": "revenue", "quantity": None,
          "category": "product_category", "order": "transaction_id"}),
        (["client", "purchase_date", "total", "qty", "invoice", "birth_date"],
         {"customer": "client", "date": "purchase_date", "amount": "total", "quantity": "qty",
          "category": None, "order": "invoice"}),
        (["Cust ID", "Order Date", "Sales", "Category"],
         {"customer": "Cust ID", "date": "Order Date", "amount": "Sales", "quantity": None,
          "category": "Category", "order": None}),
    ],
)
def test_detects_typical_column_names(columns, expected):
    values = {
        "InvoiceNo": ["536365"], "StockCode": ["85123A"], "Quantity": [6],
        "InvoiceDate": ["12/1/2010 8:26"], "UnitPrice": [2.55], "CustomerID": [17850.0],
        "Country": ["United Kingdom"], "user_id": [1], "timestamp": ["2024-03-01T10:00:00Z"],
        "revenue": [9.5], "product_category": ["toys"], "transaction_id": ["t1"], "client": ["a"],
        "purchase_date": ["2024-03-01"], "total": ["$9.50"], "qty": [1], "invoice": ["i1"],
        "birth_date": ["1990-05-01"], "Cust ID": ["a"], "Order Date": ["2024-03-01"],
        "Sales": [3.2], "Category": ["toys"],
    }
    price = "UnitPrice" if "UnitPrice" in columns else None
    assert detect_order_columns(pd.DataFrame({c: values[c] for c in columns})) == {
        **expected, "status": None, "price": price}


def test_detects_date_and_amount_by_content_when_names_do_not_tell():
    frame = pd.DataFrame({
        "customer_id": ["a", "b", "c"],
        "row": [1, 2, 3],
        "when": ["2024-01-05", "2024-02-11", "2024-03-09"],
        "visits": [2, 5, 1],
        "spent": [10.5, 20.25, 3.0],
    })
    found = detect_order_columns(frame)
    assert (found["date"], found["amount"]) == ("when", "spent")


def test_a_price_is_the_amount_only_when_there_is_no_quantity():
    frame = pd.DataFrame({"customer_id": ["a", "b"], "order_date": ["2024-01-05", "2024-01-06"],
                          "price": [12.5, 7.25]})
    assert detect_order_columns(frame)["amount"] == "price"
    frame["quantity"] = [2, 1]
    assert detect_order_columns(frame)["amount"] is None
    result = aggregate_orders(frame)  # with a quantity, the amount is quantity x unit price
    assert result.customers["monetary"].tolist() == [25.0, 7.25]
    assert "Computed each row's amount as 'quantity' × 'price'" in " ".join(result.notes)
    frame = frame.rename(columns={"price": "colour"}).assign(colour=["red", "blue"])
    with pytest.raises(InputError, match=r"^no amount column found: name it with --amount COL"):
        aggregate_orders(frame)


def test_explicit_column_that_is_missing_names_it_and_lists_the_columns():
    expected = (r"column 'cust' given as the customer id column is not in the table; available "
                r"columns: order_id, customer_id, order_date, amount, quantity, category, age, "
                r"gender, channel")
    with pytest.raises(InputError, match=expected):
        aggregate_orders(read_log(), customer="cust")


def test_no_date_column_says_how_to_name_it():
    log = read_log().drop(columns="order_date")
    with pytest.raises(InputError, match=r"^no order date column found: name it with --date COL"):
        aggregate_orders(log)


def test_same_column_for_two_roles_is_an_input_error():
    with pytest.raises(InputError, match=r"column 'order_id' is given both as the customer id and "
                                         r"the order id column"):
        aggregate_orders(read_log(), customer="order_id", order="order_id")


def test_explicit_columns_override_detection():
    log = read_log().rename(columns={"amount": "paid", "order_date": "day"})
    result = aggregate_orders(log, date="day", amount="paid")
    assert result.columns["date"] == "day" and result.columns["amount"] == "paid"
    pd.testing.assert_frame_equal(result.customers, EXPECTED, check_dtype=False, rtol=1e-9)


def test_untidy_values_are_read_or_dropped_with_counted_notes():
    log = read_log()
    log["amount"] = ["$100.00", "50", "30.00", "(20.00)", "1,200.00", "-40", "n/a"]
    log.loc[1, "order_date"] = "not a date"
    log.loc[4, "order_date"] = "Jan 10, 2024"
    log.loc[2, "customer_id"] = " "
    result = aggregate_orders(log)
    table = result.customers.set_index("customer_id")
    assert table.index.tolist() == ["c1", "c2", "c3"]
    assert table.loc["c1", "monetary"] == pytest.approx(80.0)
    assert table.loc["c2", "monetary"] == pytest.approx(1200.0)
    assert result.notes[1:4] == [
        "Dropped 1 row with no customer id.",
        "Dropped 1 row with a missing or unreadable order date (for example 'not a date').",
        "Dropped 1 row with a missing or non-numeric amount (for example 'n/a').",
    ]


def test_customer_with_only_returns_is_kept_with_frequency_zero():
    log = read_log()
    log.loc[len(log)] = ["R3", "c5", "2024-01-30", -15.0, -1, "Toys", 61, "Male", "web"]
    table = aggregate_orders(log).customers.set_index("customer_id")
    only_returns = table.loc[["c3", "c5"]]
    assert only_returns["frequency"].tolist() == [0, 0]
    assert only_returns["avg_order_value"].tolist() == [0.0, 0.0]
    assert only_returns["monetary"].tolist() == [-40.0, -15.0]
    assert only_returns["recency_days"].tolist() == [16, 1]


def test_log_without_returns_has_no_return_rate():
    log = read_log()
    log = log[log["amount"] > 0]
    assert "return_rate" not in aggregate_orders(log).customers.columns


def test_near_constant_attributes_carry_the_most_frequent_value():
    rng = np.random.default_rng(3)
    customer = np.repeat([f"k{i:02d}" for i in range(20)], 10)
    tier = np.repeat(np.where(np.arange(20) % 2 == 0, "gold", "silver"), 10).astype(object)
    tier[0] = "silver"  # one stray row: k00 is still gold on 9 of its 10 rows
    tier[10:15] = "gold"  # k01: a 5-5 tie, broken towards the smaller value
    log = pd.DataFrame({
        "customer_id": customer,
        "order_date": "2024-02-01",
        "amount": rng.uniform(5, 50, len(customer)).round(2),
        "tier": tier,
        "coupon": rng.choice(["none", "spring", "vip"], len(customer)),
    })
    result = aggregate_orders(log)
    table = result.customers.set_index("customer_id")
    assert table.loc[["k00", "k01", "k02", "k03"], "tier"].tolist() == ["gold", "gold", "gold",
                                                                         "silver"]
    assert "coupon" not in table.columns
    assert result.notes[-2:] == [
        "Carried over customer attributes (most frequent value per customer): tier.",
        "Dropped columns that vary within a customer's orders: coupon.",
    ]


def test_category_shares_sum_to_one_for_customers_with_spend():
    table = aggregate_orders(make_orders(300, seed=4)).customers
    shares = table.filter(like="share_")
    assert list(shares.columns) == ["share_books", "share_electronics", "share_fashion",
                                    "share_home_garden", "share_sports"]
    spenders = table["frequency"] > 0
    np.testing.assert_allclose(shares[spenders].sum(axis=1), 1.0)
    assert (shares >= 0).all().all()


def test_many_category_levels_pool_the_smallest_in_share_other():
    levels = [f"Level {i:02d}" for i in range(15)]
    log = pd.DataFrame({
        "customer_id": ["a"] * 15 + ["b"],
        "order_date": "2024-02-01",
        "amount": [float(100 - i) for i in range(15)] + [10.0],
        "category": levels + [None],
    })
    result = aggregate_orders(log)
    shares = result.customers.filter(like="share_")
    assert list(shares.columns) == [f"share_level_{i:02d}" for i in range(12)] + ["share_other"]
    assert shares["share_other"].tolist() == pytest.approx([(88 + 87 + 86) / sum(range(86, 101)),
                                                            1.0])
    assert ("'category' has 15 levels with spend: the 12 largest have their own column, the "
            "other 3 are pooled in share_other.") in result.notes


def test_output_is_sorted_and_does_not_depend_on_row_order():
    log = make_orders(120, seed=2)
    first = aggregate_orders(log).customers
    shuffled = aggregate_orders(log.sample(frac=1.0, random_state=5)).customers
    assert first["customer_id"].is_monotonic_increasing
    assert first["customer_id"].tolist() == sorted(log["customer_id"].unique())
    pd.testing.assert_frame_equal(first, shuffled, rtol=1e-9)


def test_synthetic_log_aggregates_to_one_row_per_customer_with_the_documented_columns():
    log = make_orders(200, seed=1)
    table = aggregate_orders(log).customers
    assert list(table.columns) == [
        "customer_id", "recency_days", "frequency", "monetary", "avg_order_value", "tenure_days",
        "total_quantity", "return_rate", "share_books", "share_electronics", "share_fashion",
        "share_home_garden", "share_sports", "age", "gender", "loyalty_member",
    ]
    assert len(table) == log["customer_id"].nunique()
    assert (table["tenure_days"] >= table["recency_days"]).all()
    assert table["return_rate"].between(0, 1).all()


def test_share_columns_are_sql_safe_and_a_level_named_other_is_pooled():
    log = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a"],
        "order_date": "2024-02-01",
        "amount": [40.0, 30.0, 20.0, 10.0],
        "category": [" Home & Garden", "Café", "Other", None],
    })
    shares = aggregate_orders(log).customers.filter(like="share_")
    assert shares.iloc[0].to_dict() == pytest.approx(
        {"share_cafe": 0.3, "share_home_garden": 0.4, "share_other": 0.3})


def test_spreadsheet_style_log_with_datetimes_and_float_ids():
    log = pd.DataFrame({
        "InvoiceNo": ["536365", "536365", "536366", "C536367"],
        "InvoiceDate": pd.to_datetime(["2010-12-01 08:26", "2010-12-01 08:26",
                                       "2010-12-03 09:00", "2010-12-04 10:00"]),
        "CustomerID": [17850.0, 17850.0, 13047.0, 17850.0],
        "Amount": [15.3, 20.34, 11.1, -15.3],
    })
    result = aggregate_orders(log)
    table = result.customers
    assert table["CustomerID"].tolist() == [13047, 17850]
    assert table["frequency"].tolist() == [1, 1]
    assert table["monetary"].tolist() == pytest.approx([11.1, 20.34])
    assert table["recency_days"].tolist() == [1, 3]
    assert result.as_of == "2010-12-04"
