"""Strategy cards from hand-built profiles: which play, which words, which numbers."""

import json

import pytest

from explain.errors import InputError
from explain.names import name_segments
from explain.states import PLAYBOOK_PATH, load_playbook
from explain.strategy import strategy_cards

PLAYBOOK = load_playbook()


def entry(feature, mean, base, z, *, median=None, base_median=None):
    return {"feature": feature, "mean": mean, "median": mean if median is None else median,
            "base_mean": base, "base_median": base if base_median is None else base_median,
            "base_std": abs(mean - base) / abs(z) if z else 1.0, "base_min": 0.0, "z": z,
            "ratio": mean / base if base else None}


def as_trait(e):
    ratio = e["ratio"]
    by_ratio = ratio is not None and (ratio >= 1.25 or ratio <= 0.8)
    return {"feature": e["feature"], "direction": "high" if e["z"] > 0 else "low", "level": None,
            "score": e["z"], "basis": "ratio" if by_ratio else "smd", "smd": e["z"], "ratio": ratio}


def profile(*numeric, size=1200, share=0.12, levels=(), traits=None):
    chosen = [as_trait(e) for e in numeric] if traits is None else traits
    return {"size": size, "share": share, "numeric": list(numeric), "categorical": list(levels),
            "distinctive": chosen}


MEANINGS = {"monetary": "monetary", "recency_days": "recency", "frequency": "frequency",
            "tenure_days": "tenure", "annual_income": "income", "complaints": "complaints",
            "n_derog": "derogatory", "avg_order_value": "order_value"}


def cards_for(profiles, *, unusual_id=None, meanings=MEANINGS, **kwargs):
    names = name_segments(profiles, unusual_id=unusual_id, meanings=meanings, playbook=PLAYBOOK)
    return strategy_cards(profiles, names=names, unusual_id=unusual_id, meanings=meanings,
                          playbook=PLAYBOOK, **kwargs)


BEST = profile(entry("monetary", 1500.0, 600.0, 1.8), entry("frequency", 16.0, 8.0, 1.5),
               entry("recency_days", 20.0, 140.0, -1.2, base_median=60.0))


def test_best_customers_card_quotes_their_numbers():
    card = cards_for({1: BEST})[1]
    assert card["pattern"] == "reward_best"
    assert card["headline"] == "Reward and retain your best customers"
    assert card["actions"][0] == ("Invite these 1.2k customers to a loyalty tier with early access: "
                                  "they spend $1.5k each (vs $600), with frequency at 16 (vs 8)")
    assert card["rationale"].startswith(
        "These 1.2k customers (12% of the base) spend $1.5k vs $600 on average (2.5x the base "
        "average) and buy 16 times vs 8 on average (2x the base average)")
    assert card["kpi"] == "Retention of the 1.2k and their orders over the next 90 days (today frequency 16)"


def test_a_plural_count_column_reads_without_an_article():
    orders = profile(entry("monetary", 1500.0, 600.0, 1.8), entry("orders", 7.66, 4.1, 1.5),
                     entry("recency_days", 20.0, 140.0, -1.2, base_median=60.0))
    card = cards_for({1: orders}, meanings={**MEANINGS, "orders": "frequency"})[1]
    assert card["pattern"] == "reward_best"
    assert card["actions"][0].endswith("with orders at 7.66 (vs 4.1)"), card["actions"][0]


def test_a_spending_score_may_stand_for_spend_in_an_upsell_but_never_makes_best_customers():
    meanings = {"annual_income": "income", "spending_score": "spend_score", "visits": "frequency"}
    upsell = profile(entry("annual_income", 105.0, 74.0, 1.0), entry("spending_score", 20.0, 55.0, -1.3))
    keen = profile(entry("spending_score", 80.0, 55.0, 1.0), entry("visits", 6.0, 3.0, 1.0))
    cards = cards_for({1: upsell, 2: keen}, meanings=meanings)
    assert cards[1]["pattern"] == "upsell"
    assert cards[2]["pattern"] == "tailored"
    assert not [a for c in cards.values() for a in c["actions"] if "they spend" in a]


def test_high_spend_without_high_frequency_is_not_best():
    card = cards_for({1: profile(entry("monetary", 1500.0, 600.0, 1.8))})[1]
    assert card["pattern"] == "keep_top_spenders"


@pytest.mark.parametrize(
    ("numeric", "pattern"),
    [
        ((entry("recency_days", 400.0, 140.0, 2.0, base_median=60.0), entry("monetary", 1500.0, 600.0, 1.2)),
         "win_back_valuable"),
        ((entry("recency_days", 400.0, 140.0, 2.0, base_median=60.0),), "win_back"),
        ((entry("recency_days", 100.0, 70.0, 0.9, base_median=60.0), entry("monetary", 1500.0, 600.0, 1.2)),
         "retain_before_lapse"),
        ((entry("tenure_days", 40.0, 400.0, -1.5),), "onboard"),
        ((entry("annual_income", 120.0, 60.0, 1.5), entry("monetary", 200.0, 600.0, -1.0)), "upsell"),
        ((entry("complaints", 4.0, 1.0, 2.0), entry("monetary", 1500.0, 600.0, 1.2)), "care_complaints"),
        ((entry("n_derog", 2.0, 0.4, 2.0),), "manage_credit_risk"),
    ],
)
def test_plays_match_their_traits(numeric, pattern):
    assert cards_for({1: profile(*numeric)})[1]["pattern"] == pattern


def test_a_recency_within_the_usual_gap_is_not_a_win_back():
    recent_gap = entry("recency_days", 100.0, 70.0, 0.9, base_median=60.0)
    card = cards_for({1: profile(recent_gap)}, typical_gap=80.0)[1]
    assert card["pattern"] not in ("win_back", "win_back_valuable")
    assert "Send a reminder before the gap grows: they last bought 100 days ago (vs 70 on average)" \
        in card["actions"]


def test_a_tenure_only_slightly_below_the_base_is_not_new():
    card = cards_for({1: profile(entry("tenure_days", 330.0, 400.0, -0.9))})[1]
    assert card["pattern"] != "onboard"


def test_risk_columns_get_care_not_lean_on_even_without_a_known_meaning():
    risky = profile(entry("complaints", 4.0, 1.0, 2.0))
    for meanings in (MEANINGS, {}):
        card = cards_for({1: risky}, meanings=meanings)[1]
        text = " ".join(card["actions"])
        assert "Lean on" not in text and "lean on" not in text
    neutral = cards_for({1: risky}, meanings={})[1]
    assert neutral["pattern"] == "tailored"
    assert neutral["actions"][0].startswith("Find out what drives their higher complaints (4 vs 1")


def test_typical_and_unusual_cards():
    cards = cards_for({1: profile(traits=[]), 0: profile(entry("monetary", 9000.0, 600.0, 5.0))},
                      unusual_id=0)
    assert cards[1]["pattern"] == "mainstream"
    assert "typical customers" in cards[1]["rationale"]
    assert cards[0]["pattern"] == "review_individually"
    assert "most notably they spend $9k vs $600 on average" in cards[0]["rationale"]


def test_the_same_play_twice_gives_distinct_cards():
    other = profile(entry("monetary", 1400.0, 600.0, 1.6), entry("frequency", 14.0, 8.0, 1.2),
                    entry("tenure_days", 900.0, 400.0, 1.1), size=800, share=0.08)
    cards = cards_for({1: BEST, 2: other})
    assert cards[1]["pattern"] == cards[2]["pattern"] == "reward_best"
    assert cards[1]["headline"] != cards[2]["headline"]
    assert cards[1]["kpi"] != cards[2]["kpi"]
    assert not set(cards[1]["actions"]) & set(cards[2]["actions"])
    assert any("800" in action for action in cards[2]["actions"])


def test_cards_are_json_ready():
    cards = cards_for({1: BEST, 2: profile(traits=[])})
    assert json.loads(json.dumps(cards)) == {str(seg): card for seg, card in cards.items()}
    assert all(set(card) == {"headline", "actions", "rationale", "kpi", "pattern"}
               for card in cards.values())


def test_missing_name_raises():
    with pytest.raises(InputError, match="no name for segments"):
        strategy_cards({1: BEST}, names={})


def test_broken_playbook_is_rejected(tmp_path):
    broken = json.loads(PLAYBOOK_PATH.read_text())
    del broken["plays"]
    path = tmp_path / "playbook.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(InputError, match="lacks plays"):
        load_playbook(path)
    path.write_text("{not json")
    with pytest.raises(InputError, match="cannot read playbook"):
        load_playbook(path)
