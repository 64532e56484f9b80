import math

import pytest

from explain.format import (
    capitalize_first,
    feature_label,
    human_number,
    human_ratio,
    human_share,
    humanize_name,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (70000, "70k"),
        (1_234_567, "1.2M"),
        (0.25, "0.25"),
        (12.0, "12"),
        (1234.5, "1.2k"),
        (45.34, "45.3"),
        (540, "540"),
        (125_400, "125k"),
        (999.7, "1k"),
        (999_960, "1M"),
        (2_500_000_000, "2.5B"),
        (0.0342, "0.034"),
        (0, "0"),
        (-70000, "-70k"),
        (-0.25, "-0.25"),
        (float("nan"), "n/a"),
        (None, "n/a"),
        (math.inf, "n/a"),
    ],
)
def test_human_number(value, expected):
    assert human_number(value) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1_234_567, "$", "$1.2M"),
        (540, "$", "$540"),
        (-1234.5, "$", "-$1.2k"),
        (45, "days", "45 days"),
        (12, "%", "12%"),
        (float("nan"), "$", "n/a"),
    ],
)
def test_human_number_units(value, unit, expected):
    assert human_number(value, unit=unit) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.123, "12%"), (0.004, "0.4%"), (0.056, "5.6%"), (1.0, "100%"), (0.0, "0%"),
     (0.0004, "0.04%"), (-0.25, "-25%"), (float("nan"), "n/a")],
)
def test_human_share(value, expected):
    assert human_share(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2.31, "2.3x"), (1.0, "1x"), (12.4, "12x"), (0.456, "0.46x"), (0.047, "0.05x"),
     (0.004, "0.004x"), (float("nan"), "n/a")],
)
def test_human_ratio(value, expected):
    assert human_ratio(value) == expected


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("annual_income", "annual income"),
        ("spendingScore", "spending score"),
        ("share_electronics", "share electronics"),
        ("customerID", "customer ID"),
        ("ANNUAL_INCOME", "annual income"),
        ("Annual Income (k$)", "annual income (k$)"),
        ("days-since-last", "days since last"),
        ("  recency__days ", "recency days"),
    ],
)
def test_humanize_name(column, expected):
    assert humanize_name(column) == expected


def test_feature_label_drops_parenthesised_units():
    assert feature_label("Annual Income (k$)") == "annual income"
    assert feature_label("Spending Score (1-100)") == "spending score"
    assert feature_label("(k$)") == "(k$)"


def test_capitalize_first_keeps_the_rest():
    assert capitalize_first("loyalty member") == "Loyalty member"
    assert capitalize_first("customer ID") == "Customer ID"
    assert capitalize_first("") == ""
