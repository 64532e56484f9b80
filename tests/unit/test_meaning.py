"""Column meanings: recognised from the name, checked against the values, with a confidence."""

import numpy as np
import pandas as pd
import pytest

from explain.errors import InputError
from explain.meaning import UNKNOWN, apply_overrides, confident, detect_domain, infer_meanings
from explain.states import load_playbook

PLAYBOOK = load_playbook()
RNG = np.random.default_rng(3)
N = 400


def meaning_of(name, values):
    return infer_meanings(pd.DataFrame({name: values}), playbook=PLAYBOOK)[name]


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("rating", RNG.integers(300, 851, N), "credit_rating"),
        ("rating", RNG.integers(1, 6, N), "satisfaction"),
        ("debt_ratio", RNG.random(N), "ratio"),
        ("share_electronics", RNG.random(N), "category_share"),
        ("CUST_BAL_AVG", RNG.lognormal(8, 1, N), "balance"),
        ("n_derog", RNG.poisson(0.3, N), "derogatory"),
        ("late_payments", RNG.poisson(0.3, N), "derogatory"),
        ("customer_service_calls", RNG.poisson(1.5, N), "complaints"),
        ("total_day_minutes", RNG.normal(180, 40, N).clip(0), "usage"),
        ("churn", RNG.integers(0, 2, N), "churn_flag"),
        ("Age", RNG.integers(18, 80, N), "age"),
        ("account_age", RNG.integers(1, 60, N), "tenure"),
        ("recency_days", RNG.integers(0, 400, N), "recency"),
        ("monetary", RNG.lognormal(5, 1, N), "monetary"),
        ("coupon_use", RNG.integers(0, 5, N), "discount"),
    ],
)
def test_names_and_values_give_the_meaning(name, values, expected):
    found = meaning_of(name, values)
    assert found["meaning"] == expected
    assert found["confidence"] >= PLAYBOOK["thresholds"]["confident"]


def test_values_that_contradict_the_name_leave_the_meaning_unsure():
    found = meaning_of("rating", RNG.normal(50, 20, N))      # neither a credit score nor stars
    assert found["confidence"] < PLAYBOOK["thresholds"]["confident"]
    assert "do not fit" in found["why"]
    ratio = meaning_of("debt_ratio", RNG.normal(150, 40, N))
    assert ratio["confidence"] < PLAYBOOK["thresholds"]["confident"]


def test_an_unknown_name_has_no_meaning():
    assert meaning_of("x1", RNG.random(N)) == {
        "meaning": UNKNOWN, "label": "not recognised", "confidence": 0.0,
        "why": "the name matches no known measure"}


def test_confident_keeps_only_the_sure_meanings():
    table = pd.DataFrame({"rating": RNG.normal(50, 20, N), "monetary": RNG.lognormal(5, 1, N),
                          "x1": RNG.random(N)})
    assert confident(infer_meanings(table, playbook=PLAYBOOK), playbook=PLAYBOOK) == {
        "monetary": "monetary"}


def test_overrides_are_taken_as_certain_and_unknown_meanings_are_refused():
    table = pd.DataFrame({"x1": RNG.random(N), "monetary": RNG.lognormal(5, 1, N)})
    inferred = infer_meanings(table, playbook=PLAYBOOK)
    merged = apply_overrides(inferred, {"x1": "income", "monetary": UNKNOWN}, playbook=PLAYBOOK)
    assert merged["x1"]["meaning"] == "income" and merged["x1"]["confidence"] == 1.0
    assert confident(merged, playbook=PLAYBOOK) == {"x1": "income"}
    with pytest.raises(InputError, match="unknown meaning 'loyalty' for column 'x1'"):
        apply_overrides(inferred, {"x1": "loyalty"}, playbook=PLAYBOOK)


def test_the_vocabulary_of_the_table_is_recognised():
    assert detect_domain(["total_day_minutes", "customer_service_calls", "churn", "intl_plan"],
                         playbook=PLAYBOOK) == "subscription"
    assert detect_domain(["CUST_BAL_AVG", "credit_limit", "n_derog"], playbook=PLAYBOOK) == "financial"
    assert detect_domain(["recency_days", "frequency", "monetary"], playbook=PLAYBOOK) == "retail"
    assert detect_domain(["x1", "x2"], playbook=PLAYBOOK) is None


def test_the_preview_shows_each_features_meaning(tmp_path):
    from segmentation.preview import build_preview
    path = tmp_path / "bank.csv"
    pd.DataFrame({"client_id": [f"{i:05d}" for i in range(N)],
                  "rating": RNG.integers(300, 851, N), "x1": RNG.random(N)}).to_csv(path, index=False)
    meanings = build_preview(path)["meanings"]
    assert meanings["rating"]["meaning"] == "credit_rating"
    assert meanings["x1"]["meaning"] == UNKNOWN
    assert "client_id" not in meanings
