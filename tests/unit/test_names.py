"""Segment names: persona words from the one or two traits that set a segment apart."""

import numpy as np
import pandas as pd
import pytest

from explain.describe import describe_segments
from explain.names import TYPICAL_NAME, UNUSUAL_NAME, compose, name_segments, trait_forms
from explain.states import load_playbook

PLAYBOOK = load_playbook()


def trait(feature, direction, level=None, score=1.0):
    return {"feature": feature, "direction": direction, "level": level, "score": score,
            "basis": "smd", "smd": score, "ratio": None}


def profile_with(*traits, numeric=()):
    return {"size": 500, "share": 0.25, "numeric": list(numeric), "categorical": [],
            "distinctive": list(traits)}


def forms(t, *, meanings=None, numeric=()):
    return trait_forms(t, profile=profile_with(t, numeric=numeric), meanings=meanings or {},
                       playbook=PLAYBOOK)


@pytest.mark.parametrize(
    ("traits", "meanings", "expected"),
    [
        ([trait("monetary", "high"), trait("frequency", "high")],
         {"monetary": "monetary", "frequency": "frequency"}, "Loyal high spenders"),
        ([trait("monetary", "low"), trait("frequency", "low")],
         {"monetary": "monetary", "frequency": "frequency"}, "Occasional low spenders"),
        ([trait("occupation", "level", "student"), trait("CUST_BAL_AVG", "high")],
         {"CUST_BAL_AVG": "balance"}, "Students with high balances"),
        ([trait("age", "low"), trait("occupation", "level", "Student")],
         {"age": "age"}, "Young students"),
        ([trait("n_derog", "high"), trait("rating", "low")],
         {"n_derog": "derogatory", "rating": "credit_rating"},
         "Customers with payment problems and weak credit"),
        ([trait("x1", "high"), trait("x2", "low")], {}, "Customers with higher x1 and lower x2"),
        ([trait("CUST_XYZ_AVG", "high")], {}, "Customers with higher CUST_XYZ_AVG"),
        ([trait("card", "level", 0), trait("n_orders", "high")], {"n_orders": "frequency"},
         "Loyal customers without card"),
        ([trait("is_active", "level", True)], {}, "Active customers"),
        ([trait("Gender", "level", "Female"), trait("Age", "high")], {"Age": "age"}, "Older women"),
        ([trait("region", "level", "North")], {}, "Customers in North"),
    ],
)
def test_names_read_as_personas(traits, meanings, expected):
    profiles = {1: profile_with(*traits)}
    assert name_segments(profiles, meanings=meanings, playbook=PLAYBOOK) == {1: expected}


def test_a_flag_and_a_count_are_not_glued():
    name = name_segments({1: profile_with(trait("card", "level", "No"), trait("calls", "high"))},
                         playbook=PLAYBOOK)[1]
    assert "·" not in name and not name.startswith("Not ")


def test_lapsed_needs_a_gap_well_beyond_the_usual_one():
    entry = {"feature": "recency_days", "mean": 400.0, "median": 390.0, "base_mean": 120.0,
             "base_median": 60.0, "z": 2.0, "ratio": 3.3}
    lapsed = forms(trait("recency_days", "high"), meanings={"recency_days": "recency"}, numeric=[entry])
    assert lapsed["adj"] == "Lapsed"
    near = {**entry, "mean": 100.0, "median": 90.0}
    lapsing = forms(trait("recency_days", "high"), meanings={"recency_days": "recency"}, numeric=[near])
    assert lapsing["adj"] == "Lapsing"


def test_a_meaning_that_is_not_confident_is_spoken_of_neutrally():
    assert forms(trait("monetary", "high")) == {"with": "with higher monetary"}


def test_compose_puts_adjectives_before_the_noun_and_phrases_after():
    assert compose([{"with": "with high balances"}, {"adj": "Young"}]) == "Young customers with high balances"
    assert compose([{"noun": "high spenders"}, {"adj": "Lapsed"}]) == "Lapsed high spenders"


def test_typical_unusual_and_clashing_names_are_unique():
    profiles = {1: profile_with(trait("x1", "high"), trait("x2", "high"), trait("x3", "low")),
                2: profile_with(trait("x1", "high"), trait("x2", "high"), trait("x4", "low")),
                3: profile_with(trait("x1", "high"), trait("x2", "high")),
                4: profile_with(), 5: profile_with(), 0: profile_with(trait("x1", "high"))}
    names = name_segments(profiles, unusual_id=0, playbook=PLAYBOOK)
    assert names[0] == UNUSUAL_NAME and names[4] == TYPICAL_NAME
    assert names[1] == "Customers with higher x1 and higher x2 and lower x3"
    assert len(set(names.values())) == len(names)


def telecom(seed=11, n=3000):
    """Heavy users (a fifth) whose day charge is computed from their day minutes."""
    rng = np.random.default_rng(seed)
    heavy = np.arange(n) < n // 5
    minutes = np.where(heavy, rng.normal(320, 30, n), rng.normal(180, 30, n)).clip(0)
    return pd.DataFrame({"total_day_minutes": minutes, "total_day_charge": minutes * 0.17,
                         "customer_service_calls": rng.poisson(1.5, n),
                         "has_voicemail": rng.choice(["yes", "no"], n)}), np.where(heavy, 1, 2)


def test_near_duplicate_columns_never_share_a_name():
    table, labels = telecom()
    features = [{"name": c, "kind": "binary" if c.startswith("has") else "numeric"} for c in table]
    named = describe_segments(table, features=features, labels=labels, segment_ids=[1, 2])
    heavy = named["names"][1]
    assert heavy.lower().count("minutes") + heavy.lower().count("charge") + heavy.count("spenders") <= 1
    assert heavy == "Heavy users"


def test_the_name_leads_with_the_traits_the_card_rests_on():
    profiles = {1: profile_with(trait("tenure_days", "high", score=1.2), trait("recency_days", "high"),
                                trait("monetary", "high", score=0.8))}
    meanings = {"tenure_days": "tenure", "recency_days": "recency", "monetary": "monetary"}
    assert name_segments(profiles, meanings=meanings, playbook=PLAYBOOK) == {
        1: "Long-standing lapsing customers"}
    led = name_segments(profiles, meanings=meanings, playbook=PLAYBOOK,
                        leads={1: ["recency_days", "monetary"]})
    assert led == {1: "Lapsing high spenders"}
