import json

import numpy as np
import pandas as pd
import pytest

from explain.format import human_number, human_ratio
from explain.names import name_segments
from explain.profiles import build_profiles
from explain.strategy import PLAYBOOK_PATH, infer_feature_roles, load_playbook, strategy_cards
from segmentation.errors import InputError

ORDER_LOG_COLUMNS = [
    "recency_days", "frequency", "monetary", "avg_order_value", "tenure_days",
    "total_quantity", "return_rate", "share_electronics",
]


def test_order_log_columns_get_their_roles():
    assert infer_feature_roles(ORDER_LOG_COLUMNS) == {
        "recency_days": "recency",
        "frequency": "frequency",
        "monetary": "monetary",
        "avg_order_value": "order_value",
        "tenure_days": "tenure",
        "total_quantity": "quantity",
        "return_rate": "returns",
        "share_electronics": "category_share",
    }


def test_customer_table_columns_get_their_roles():
    names = ["Annual Income (k$)", "Spending Score (1-100)", "Age", "Gender", "days_since_last_order",
             "discountUsage", "num_orders", "average", "customer_id"]
    assert infer_feature_roles(names) == {
        "Annual Income (k$)": "income",
        "Spending Score (1-100)": "monetary",
        "Age": "age",
        "days_since_last_order": "recency",
        "discountUsage": "discount",
        "num_orders": "frequency",
    }


def test_bundled_playbook_has_the_core_patterns():
    ids = [pattern["id"] for pattern in load_playbook()["patterns"]]
    for expected in ("reward_and_retain", "win_back", "upsell", "onboard", "reactivate",
                     "grow_frequency", "protect_margin"):
        assert expected in ids


# ---- hand-built profiles: exact text -------------------------------------------------------

def entry(feature, mean, base, z):
    return {"feature": feature, "mean": mean, "median": mean, "base_mean": base, "base_median": base,
            "base_std": abs(mean - base) / abs(z) if z else 1.0, "z": z,
            "ratio": mean / base if base else None}


def profile(*numeric, size=1200, share=0.12, levels=()):
    traits = [{"feature": e["feature"], "direction": "high" if e["z"] > 0 else "low", "level": None,
               "score": e["z"]} for e in numeric if abs(e["z"]) >= 0.25]
    traits += [{"feature": lv["feature"], "direction": "level", "level": lv["level"],
                "score": lv["score"]} for lv in levels]
    traits.sort(key=lambda trait: -abs(trait["score"]))
    return {"size": size, "share": share, "numeric": list(numeric), "categorical": list(levels),
            "distinctive": traits[:3]}


ROLES = {
    "monetary": "monetary", "recency_days": "recency", "annual_income": "income",
    "tenure_days": "tenure", "avg_order_value": "order_value", "frequency": "frequency",
    "return_rate": "returns", "age": "age", "share_electronics": "category_share",
}


def cards_for(profiles, *, unusual_id=None):
    names = name_segments(profiles, unusual_id=unusual_id)
    return strategy_cards(profiles, names=names, roles=ROLES, unusual_id=unusual_id)


def test_reward_and_retain_card_quotes_its_numbers():
    best = profile(entry("monetary", 1240, 540, 1.2), entry("recency_days", 12, 45, -0.8))
    card = cards_for({1: best})[1]
    assert card == {
        "headline": "Reward and retain your best customers",
        "actions": [
            "Invite them to a loyalty tier with early access and service perks rather than discounts",
            "Send a personal thank-you and a referral offer after their next purchase",
            "Watch for a lengthening gap between orders and trigger a check-in when it appears",
        ],
        "rationale": "These 1.2k customers (12% of the base) spend 2.3x the average ($1.2k vs $540) "
                     "and last purchased 12 days ago vs 45 on average: your most valuable active "
                     "customers. Keep them close with recognition, not margin.",
        "kpi": "Retention rate and repeat purchases over the next 90 days",
        "pattern": "reward_and_retain",
    }


@pytest.mark.parametrize(
    ("numeric", "pattern", "quoted"),
    [
        ([entry("monetary", 1500, 540, 1.0), entry("recency_days", 210, 45, 1.5)], "win_back",
         "last purchased 210 days ago vs 45 on average"),
        ([entry("annual_income", 120_000, 60_000, 1.4), entry("monetary", 200, 540, -0.7)], "upsell",
         "have 2x the average annual income ($120k vs $60k) and spend 0.37x the average ($200 vs $540)"),
        ([entry("monetary", 90, 540, -0.9), entry("tenure_days", 20, 400, -1.5)], "onboard",
         "have been customers for 20 days vs 400 on average"),
        ([entry("monetary", 90, 540, -0.9), entry("recency_days", 300, 45, 2.0)], "reactivate",
         "spend 0.17x the average ($90 vs $540)"),
        ([entry("avg_order_value", 180, 60, 1.8), entry("frequency", 1.5, 6, -0.9)], "grow_frequency",
         "spend 3x the average per order ($180 vs $60) and have 0.25x the average frequency (1.5 vs 6)"),
        ([entry("return_rate", 0.4, 0.1, 2.5)], "protect_margin",
         "have 4x the average return rate (40% vs 10%)"),
    ],
)
def test_patterns_match_their_traits(numeric, pattern, quoted):
    card = cards_for({1: profile(*numeric)})[1]
    assert card["pattern"] == pattern
    assert quoted in card["rationale"]


def test_segment_no_pattern_fits_gets_a_card_from_its_strongest_traits():
    older = profile(entry("age", 58, 40, 1.3), entry("tenure_days", 700, 400, 0.4))
    card = cards_for({1: older})[1]
    assert card["pattern"] == "tailored"
    assert card["headline"] == "Build the offer around older customers and long-standing customers"
    assert card["rationale"] == (
        "These 1.2k customers (12% of the base) are 58 years old on average vs 40 overall and have "
        "been customers for 700 days vs 400 on average. No standard play fits, so build the message "
        "on these differences."
    )
    assert card["actions"][0] == (
        "Use channels and creative that suit an older audience (average age 58 vs 40)"
    )
    assert len(card["actions"]) == 3


def test_category_specialists_are_told_in_shares_of_spend():
    card = cards_for({1: profile(entry("share_electronics", 0.79, 0.34, 1.5))})[1]
    assert card["headline"] == "Build the offer around electronics buyers"
    assert "put 79% of their spend into electronics vs 34% on average" in card["rationale"]
    assert card["actions"] == [
        "Lead with new arrivals in electronics: it takes 79% of their spend vs 34% on average",
        "Test the message on a sample against a control group before rolling it out",
    ]


def test_typical_and_unusual_segments():
    typical = profile(entry("monetary", 560, 540, 0.05))
    outliers = profile(entry("monetary", 25_000, 540, 6.0), size=14, share=0.0012)
    cards = cards_for({1: typical, 0: outliers}, unusual_id=0)
    assert cards[1]["pattern"] == "mainstream"
    assert cards[1]["rationale"] == (
        "These 1.2k customers (12% of the base) sit close to the average on every feature."
    )
    assert cards[0]["pattern"] == "review_individually"
    assert cards[0]["headline"] == "Review individually"
    assert cards[0]["rationale"].startswith(
        "These 14 customers (0.1% of the base) fit no segment well; most notably they spend 46x "
        "the average ($25k vs $540)."
    )


def test_same_pattern_twice_gives_distinct_cards_with_an_own_action():
    first = profile(entry("monetary", 1240, 540, 1.2), entry("recency_days", 12, 45, -0.8))
    second = profile(entry("monetary", 900, 540, 0.7), entry("recency_days", 20, 45, -0.6),
                     entry("age", 29, 40, -0.9), size=800, share=0.08)
    cards = cards_for({1: first, 2: second})
    assert cards[1]["pattern"] == cards[2]["pattern"] == "reward_and_retain"
    assert cards[2]["headline"] == (
        "Reward and retain your best customers (Younger customers · High spend)"
    )
    assert cards[2]["actions"][-1] == (
        "Use mobile and social channels and creative for a younger audience (average age 29 vs 40)"
    )
    assert len(cards[2]["actions"]) == 4
    assert "spend 1.7x the average ($900 vs $540)" in cards[2]["rationale"]


def test_yes_no_feature_can_carry_a_role():
    heavy = profile(levels=[{"feature": "used_coupon", "level": "Yes", "share": 0.9, "base_share": 0.3,
                             "lift": 3.0, "score": 1.3}])
    card = strategy_cards({1: heavy}, names={1: "Used coupon"}, roles={"used_coupon": "discount"})[1]
    assert card["pattern"] == "protect_margin"
    assert "are 90% used coupon vs 30% overall" in card["rationale"]


# ---- generated data, end to end ------------------------------------------------------------

def planted_table(seed: int = 11) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers in planted segments: 1 and 4 high-value recent, 2 high-value lapsing, 3 well-off
    low spenders, 5 low-income low spenders, 0 a handful of extreme accounts."""
    rng = np.random.default_rng(seed)
    # segment: (recency_days, monetary, annual_income, loyalty share, age, rows)
    plan = {1: (10, 3000, 60_000, 0.5, 40, 200), 2: (300, 2800, 60_000, 0.5, 40, 200),
            3: (60, 300, 150_000, 0.5, 40, 200), 4: (15, 2600, 60_000, 0.9, 28, 200),
            5: (60, 200, 40_000, 0.5, 40, 200), 0: (90, 6000, 90_000, 0.5, 40, 10)}
    parts = []
    for seg, (recency, spend, income, loyal, age, rows) in plan.items():
        parts.append(pd.DataFrame({
            "recency_days": rng.normal(recency, 5, rows).clip(0),
            "monetary": rng.normal(spend, spend * 0.1, rows),
            "annual_income": rng.normal(income, 5000, rows),
            "age": rng.normal(age, 3, rows),
            "loyalty_member": rng.choice(["Yes", "No"], rows, p=[loyal, 1 - loyal]),
            "segment": seg,
        }))
    table = pd.concat(parts, ignore_index=True)
    return table, table.pop("segment").to_numpy()


PLANTED_FEATURES = [
    {"name": "recency_days", "kind": "numeric"}, {"name": "monetary", "kind": "numeric"},
    {"name": "annual_income", "kind": "numeric"}, {"name": "age", "kind": "numeric"},
    {"name": "loyalty_member", "kind": "binary"},
]


@pytest.fixture(scope="module")
def planted():
    table, labels = planted_table()
    profiles = build_profiles(table, features=PLANTED_FEATURES, labels=labels,
                              segment_ids=[1, 2, 3, 4, 5, 0])
    names = name_segments(profiles, unusual_id=0)
    roles = infer_feature_roles([feature["name"] for feature in PLANTED_FEATURES])
    cards = strategy_cards(profiles, names=names, roles=roles, unusual_id=0)
    return profiles, names, cards


def test_planted_segments_get_their_plays(planted):
    _, names, cards = planted
    assert {seg: card["pattern"] for seg, card in cards.items()} == {
        1: "reward_and_retain", 2: "win_back", 3: "upsell", 4: "reward_and_retain",
        5: "value_offers", 0: "review_individually",
    }
    assert names[3] == "High annual income · Low spend"
    assert names[0] == "Unusual customers"


def test_rationales_quote_each_segments_own_ratio(planted):
    profiles, _, cards = planted
    for seg in (1, 2, 4):
        monetary = next(e for e in profiles[seg]["numeric"] if e["feature"] == "monetary")
        mean = human_number(monetary["mean"], unit="$")
        base = human_number(monetary["base_mean"], unit="$")
        own = f"spend {human_ratio(monetary['ratio'])} the average ({mean} vs {base})"
        assert own in cards[seg]["rationale"]


def test_every_card_is_distinct_complete_and_json_ready(planted):
    _, _, cards = planted
    texts = [json.dumps(card, sort_keys=True) for card in cards.values()]
    assert len(set(texts)) == len(texts)
    assert len({card["headline"] for card in cards.values()}) == len(cards)
    for card in cards.values():
        assert 2 <= len(card["actions"]) <= 4
        assert card["kpi"].strip()
        assert card["rationale"].strip()
        assert "{" not in card["rationale"] + card["headline"] + "".join(card["actions"])


def test_repeated_play_adds_the_segments_next_trait(planted):
    _, names, cards = planted
    assert cards[4]["headline"] == f"Reward and retain your best customers ({names[4]})"
    assert len(cards[4]["actions"]) == 4
    # the card rests on monetary and recency; age (28 vs 38) is segment 4's next-strongest trait
    assert cards[4]["actions"][-1].startswith(
        "Use mobile and social channels and creative for a younger audience (average age 28"
    )
    assert cards[4]["actions"][:3] == cards[1]["actions"]


# ---- errors ------------------------------------------------------------------------------

def test_missing_name_and_unknown_role_raise():
    best = {1: profile(entry("monetary", 1240, 540, 1.2))}
    with pytest.raises(InputError, match=r"no name for segments \[1\]"):
        strategy_cards(best, names={}, roles=ROLES)
    with pytest.raises(InputError, match=r"unknown roles \['loyalty'\]"):
        strategy_cards(best, names={1: "High spend"}, roles={"monetary": "loyalty"})


def test_broken_playbook_is_rejected(tmp_path):
    playbook = json.loads(PLAYBOOK_PATH.read_text(encoding="utf-8"))
    playbook["patterns"][0]["actions"] = ["Only one action"]
    path = tmp_path / "playbook.json"
    path.write_text(json.dumps(playbook), encoding="utf-8")
    with pytest.raises(InputError, match="pattern 'reward_and_retain' needs 2-3 actions"):
        load_playbook(path)
    playbook["patterns"][0]["when"] = {"all": {"recency": "ancient"}}
    with pytest.raises(InputError, match="asks 'recency' to be 'ancient'"):
        strategy_cards({}, names={}, roles={}, playbook=playbook)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="cannot read playbook"):
        load_playbook(path)
