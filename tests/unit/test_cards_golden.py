"""Golden names and strategy cards on generated bases whose segments have known traits."""

import re

import numpy as np
import pandas as pd
import pytest

from explain.describe import describe_segments
from explain.format import human_number
from segmentation.pipeline import RunOptions, run_segmentation

BOILERPLATE = ("Test the message on a sample against a control group",
               "Response rate vs a control group", "No standard play fits", "Lean on")


def retail(seed=0, n=3000):
    """1: active best customers, 2: lapsed high-value (gone ~400 days, usual gap ~60), 3: the rest."""
    rng = np.random.default_rng(seed)
    seg = rng.choice([1, 2, 3], n, p=[0.25, 0.25, 0.5])
    recency = np.where(seg == 1, rng.gamma(2, 8, n), np.where(seg == 2, 380 + rng.gamma(3, 10, n),
                                                               rng.gamma(2, 30, n)))
    frequency = np.where(seg == 1, rng.poisson(14, n) + 2, np.where(seg == 2, rng.poisson(8, n) + 2,
                                                                    rng.poisson(3, n) + 1))
    spend = frequency * np.where(seg == 3, rng.lognormal(3.4, 0.3, n), rng.lognormal(4.6, 0.3, n))
    tenure = recency + rng.uniform(300, 900, n)
    table = pd.DataFrame({"recency_days": recency.round(), "frequency": frequency,
                          "monetary": spend.round(2), "tenure_days": tenure.round()})
    return table, seg


def telecom(seed=1, n=3000):
    """1: many complaints (no churn difference), 2: heavy users, 3: the rest."""
    rng = np.random.default_rng(seed)
    seg = rng.choice([1, 2, 3], n, p=[0.2, 0.2, 0.6])
    minutes = np.where(seg == 2, rng.normal(320, 30, n), rng.normal(180, 30, n)).clip(0)
    table = pd.DataFrame({
        "total_day_minutes": minutes.round(1), "total_day_charge": (minutes * 0.17).round(2),
        "customer_service_calls": np.where(seg == 1, rng.poisson(5, n), rng.poisson(1, n)),
        "churn": (rng.random(n) < 0.15).astype(int), "account_length": rng.integers(1, 240, n)})
    return table, seg


def bank(seed=2, n=3000):
    """1: derogatory reports and weak credit, 2: young students with high balances, 3: the rest."""
    rng = np.random.default_rng(seed)
    seg = rng.choice([1, 2, 3], n, p=[0.2, 0.3, 0.5])
    table = pd.DataFrame({
        "rating": np.where(seg == 1, rng.normal(560, 40, n), rng.normal(700, 40, n)).clip(300, 850)
        .round().astype(int),
        "CUST_BAL_AVG": np.where(seg == 2, rng.lognormal(9.2, 0.4, n), rng.lognormal(7.5, 0.5, n)).round(2),
        "n_derog": np.where(seg == 1, rng.poisson(2.5, n), rng.poisson(0.1, n)),
        "age": np.where(seg == 2, rng.normal(23, 2, n), rng.normal(47, 9, n)).clip(18, 90).round(),
        "occupation": np.where(seg == 2, "student", rng.choice(["employed", "retired"], n, p=[.8, .2]))})
    return table, seg


def narrow(seed=4, n=3000):
    """Everyone joined in one quarter; segment 1 has a 3% shorter tenure, nothing else differs."""
    rng = np.random.default_rng(seed)
    seg = rng.choice([1, 2], n)
    table = pd.DataFrame({"tenure_days": rng.normal(450, 6, n) * np.where(seg == 1, 0.97, 1.0),
                          "monetary": rng.lognormal(5, 0.8, n)})
    return table, seg


def describe(table, seg, **kwargs):
    features = [{"name": c, "kind": "numeric" if pd.api.types.is_numeric_dtype(table[c])
                 else "categorical"} for c in table]
    if "churn" in table:
        features = [{**f, "kind": "binary"} if f["name"] == "churn" else f for f in features]
    return describe_segments(table, features=features, labels=seg, segment_ids=sorted(set(seg)),
                             **kwargs)


def test_lapsed_high_value_group_gets_a_win_back_card():
    out = describe(*retail())
    card, name = out["cards"][2], out["names"][2]
    assert card["pattern"] == "win_back_valuable"
    assert name.startswith("Lapsed")
    spent = out["profiles"][2]["numeric"][2]["mean"]
    assert human_number(spent, unit="$") in card["actions"][0]
    assert "usual gap between orders" in card["rationale"]
    assert out["cards"][1]["pattern"] == "reward_best" and "high spenders" in out["names"][1]


def test_low_spenders_are_never_called_best_customers():
    out = describe(*retail())
    assert out["cards"][3]["pattern"] != "reward_best"
    assert "best" not in out["cards"][3]["headline"].lower()
    assert "low spenders" in out["names"][3]


def test_high_complaints_get_a_care_card():
    out = describe(*telecom())
    card = out["cards"][1]
    assert card["pattern"] == "care_complaints"
    assert "complaints" in out["names"][1]
    assert out["cards"][2]["pattern"] == "fit_heavy_use"


def test_derogatory_reports_lead_to_risk_care_and_a_credit_rating_is_not_engagement():
    out = describe(*bank())
    assert out["meanings"]["rating"]["meaning"] == "credit_rating"
    assert out["cards"][1]["pattern"] == "manage_credit_risk"
    assert out["names"][1] == "Customers with payment problems and weak credit"  # the play's trait first
    assert out["names"][2] in ("Young students", "Students with high balances")
    text = " ".join(" ".join([c["headline"], c["rationale"], *c["actions"]]) for c in out["cards"].values())
    assert "engagement" not in text.lower()
    assert "CUST_BAL_AVG" in text and "cust bal avg" not in text


def test_a_group_that_differs_by_three_percent_gets_no_trait():
    out = describe(*narrow())
    assert out["profiles"][1]["distinctive"] == []
    assert out["names"] == {1: "Typical customers", 2: "Typical customers (2)"}
    assert out["cards"][1]["pattern"] == "mainstream"
    assert "joined" not in " ".join(out["cards"][1]["actions"])


def test_unconfident_meaning_speaks_in_neutral_terms_and_an_override_changes_it():
    table, seg = retail()
    table = table.rename(columns={"monetary": "m_value", "frequency": "f_count"})
    neutral = describe(table, seg)
    assert neutral["cards"][1]["pattern"] != "reward_best"
    assert "higher m value" in " ".join(neutral["cards"][1]["actions"])
    chosen = describe(table, seg, overrides={"m_value": "monetary", "f_count": "frequency"})
    assert chosen["cards"][1]["pattern"] == "reward_best"
    assert chosen["names"][1] == "Loyal high spenders"


def test_rationales_state_the_basis_of_each_difference():
    out = describe(*bank())
    assert "standard deviations below it" in out["cards"][1]["rationale"]   # the rating, by SMD
    assert "the base average)" in out["cards"][1]["rationale"]              # the reports, by ratio


def all_texts(cards):
    return [text for card in cards for text in (card["headline"], card["kpi"], *card["actions"])]


@pytest.fixture(scope="module")
def runs():
    """Full runs on the four bases (and a structureless one), as the product makes them."""
    rng = np.random.default_rng(9)
    noise = pd.DataFrame({"x1": rng.random(2000), "x2": rng.random(2000), "x3": rng.normal(size=2000)})
    bases = [make(n=1500)[0] for make in (retail, telecom, bank, narrow)] + [noise[:1500]]
    return [run_segmentation(base, options=RunOptions(seed=0)).result for base in bases]


def test_no_headline_kpi_or_action_repeats_within_a_run(runs):
    for result in runs:
        cards = [segment.strategy.to_dict() for segment in result.segments]
        for field in ("headline", "kpi"):
            values = [card[field] for card in cards]
            assert len(values) == len(set(values)), values
        actions = [action for card in cards for action in card["actions"]]
        assert len(actions) == len(set(actions)), actions
        names = [segment.name for segment in result.segments]
        assert len(names) == len(set(names))


def test_cards_carry_no_boilerplate_and_quote_their_own_numbers(runs):
    for result in runs:
        for segment in result.segments:
            card = segment.strategy.to_dict()
            assert 2 <= len(card["actions"]) <= 4
            assert not [t for t in all_texts([card]) for b in BOILERPLATE if b in t]
            assert any(re.search(r"\d", action) for action in card["actions"]), card
            assert human_number(segment.size) in " ".join([card["rationale"], *card["actions"],
                                                                card["kpi"]])
