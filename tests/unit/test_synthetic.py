import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

from segmentation.synthetic import make_blobs_table, make_customers, make_orders

CUSTOMER_COLUMNS = ["customer_id", "age", "gender", "annual_income", "spending_score",
                    "visits_per_month", "loyalty_member", "signup_channel",
                    "days_since_last_purchase"]
ORDER_COLUMNS = ["order_id", "customer_id", "order_date", "amount", "quantity", "category", "age",
                 "gender", "loyalty_member"]


@pytest.mark.parametrize("make", [make_customers, make_orders,
                                  lambda *, seed: make_blobs_table(500, seed=seed)])
def test_same_seed_same_table_other_seed_other_table(make):
    def table(seed):
        made = make(seed=seed)
        return made[0] if isinstance(made, tuple) else made

    pd.testing.assert_frame_equal(table(7), table(7))
    assert not table(7).equals(table(8))


def test_customers_have_the_documented_columns_and_ranges():
    table, groups = make_customers(1000, seed=1)
    assert list(table.columns) == CUSTOMER_COLUMNS
    assert len(table) == len(groups) == 1000
    assert table["customer_id"].iloc[:2].tolist() == ["C000001", "C000002"]
    assert table["customer_id"].is_unique
    assert sorted(np.unique(groups)) == [0, 1, 2, 3]
    assert table["annual_income"].dropna().between(20_000, 150_000).all()
    assert table["spending_score"].between(1, 100).all()
    assert table["age"].dtype == np.int64 and table["days_since_last_purchase"].min() >= 0
    assert set(table["loyalty_member"]) == {"Yes", "No"}
    assert table["signup_channel"].nunique() == 4


def test_customers_are_untidy_like_real_exports():
    table, _ = make_customers(2000, seed=0)
    assert {" Female", "Male "} <= set(table["gender"].dropna())
    assert set(table["gender"].dropna().str.strip()) == {"Female", "Male"}
    assert 0 < table["gender"].isna().sum() < 100
    for column in ("annual_income", "visits_per_month"):
        assert 0.005 < table[column].isna().mean() < 0.04


def test_planted_customer_groups_differ_as_documented():
    table, groups = make_customers(2000, seed=0)
    means = table.groupby(groups)[["annual_income", "spending_score",
                                   "days_since_last_purchase"]].mean()
    careful, premium, enthusiasts, lapsing = (means.loc[g] for g in range(4))
    assert careful["annual_income"] > 90_000 and careful["spending_score"] < 30
    assert premium["annual_income"] > 90_000 and premium["spending_score"] > 70
    assert enthusiasts["annual_income"] < 45_000 and enthusiasts["spending_score"] > 70
    assert lapsing["days_since_last_purchase"] > 4 * max(careful["days_since_last_purchase"],
                                                          premium["days_since_last_purchase"])


def test_blobs_table_shape_names_and_positive_values():
    table, labels = make_blobs_table(2000, n_features=12, k=5, seed=3)
    assert list(table.columns) == ["id"] + [f"f{j:02d}" for j in range(1, 13)]
    assert table["id"].tolist() == list(range(1, 2001))
    assert len(labels) == 2000 and set(np.unique(labels)) == {0, 1, 2, 3, 4}
    features = table.drop(columns="id")
    assert (features > 0).all().all()
    assert np.allclose(features.to_numpy(dtype=np.float32), features.to_numpy(), rtol=1e-6)


def test_planted_blobs_are_recovered_by_kmeans():
    table, labels = make_blobs_table(5000, seed=0)
    scaled = StandardScaler().fit_transform(table.drop(columns="id"))
    found = KMeans(n_clusters=4, n_init=4, random_state=0).fit_predict(scaled)
    assert adjusted_rand_score(labels, found) >= 0.99


def test_orders_have_the_documented_columns_and_returns():
    log = make_orders(200, seed=2)
    assert list(log.columns) == ORDER_COLUMNS
    assert log["customer_id"].nunique() == 200
    dates = pd.to_datetime(log["order_date"], format="ISO8601")
    assert dates.min() >= pd.Timestamp("2023-01-01") and dates.max() <= pd.Timestamp("2024-12-31")
    assert dates.is_monotonic_increasing
    assert 4 <= log["category"].nunique() <= 6
    returns = log[log["amount"] < 0]
    assert 0 < len(returns) < 0.1 * len(log)
    assert returns["order_id"].str.startswith("R").all()
    assert (returns["quantity"] < 0).all()
    assert not (make_orders(200, seed=2, with_returns=False)["amount"] < 0).any()


def test_orders_repeat_each_customers_attributes():
    log = make_orders(150, seed=5)
    per_customer = log.groupby("customer_id")[["age", "gender", "loyalty_member"]].nunique()
    assert (per_customer <= 1).all().all()


def test_planted_customer_groups_are_recovered_from_the_numeric_columns():
    table, groups = make_customers(2000, seed=0)
    numeric = table.select_dtypes("number")
    scaled = StandardScaler().fit_transform(numeric.fillna(numeric.median()))
    found = KMeans(n_clusters=4, n_init=4, random_state=0).fit_predict(scaled)
    assert adjusted_rand_score(groups, found) >= 0.95
