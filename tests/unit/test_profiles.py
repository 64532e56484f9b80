import json
import math

import numpy as np
import pandas as pd
import pytest

from explain.profiles import build_profiles
from segmentation.errors import InputError

# Six customers; segment 0 holds the one outlier. Hand-computed base figures:
# income known 10, 20, 30, 70, 90 -> mean 44, median 30, population std sqrt(944)
# score 80, 70, 50, 40, 30, 30 -> mean 50, median 45, population std sqrt(2200 / 6)
TINY = pd.DataFrame({
    "income": [10.0, 20.0, 30.0, 70.0, np.nan, 90.0],
    "score": [80, 70, 50, 40, 30, 30],
    "gender": pd.array(["F", "F", "M", "M", "M", "F"], dtype="str"),
    "member": [1, 1, 0, 0, 1, 0],
})
TINY_LABELS = np.array([1, 1, 2, 2, 2, 0])
TINY_FEATURES = [
    {"name": "income", "kind": "numeric"},
    {"name": "score", "kind": "numeric"},
    {"name": "gender", "kind": "binary"},
    {"name": "member", "kind": "binary"},
]
INCOME_STD = math.sqrt(944)
SCORE_STD = math.sqrt(2200 / 6)


def tiny_profiles(segment_ids=(1, 2, 0)):
    return build_profiles(TINY, features=TINY_FEATURES, labels=TINY_LABELS,
                          segment_ids=list(segment_ids))


def numeric(profile, feature):
    return next(entry for entry in profile["numeric"] if entry["feature"] == feature)


def level(profile, feature):
    return next(entry for entry in profile["categorical"] if entry["feature"] == feature)


def test_sizes_and_shares():
    profiles = tiny_profiles()
    assert [profiles[seg]["size"] for seg in (1, 2, 0)] == [2, 3, 1]
    assert profiles[2]["share"] == pytest.approx(0.5)
    assert list(profiles) == [1, 2, 0]


def test_numeric_against_hand_computed_figures():
    income = numeric(tiny_profiles()[1], "income")
    assert income["mean"] == pytest.approx(15.0)
    assert income["median"] == pytest.approx(15.0)
    assert income["base_mean"] == pytest.approx(44.0)
    assert income["base_median"] == pytest.approx(30.0)
    assert income["base_std"] == pytest.approx(INCOME_STD)
    assert income["z"] == pytest.approx((15 - 44) / INCOME_STD)
    assert income["ratio"] == pytest.approx(15 / 44)


def test_missing_values_are_skipped_not_zeroed():
    profile = tiny_profiles()[2]
    assert numeric(profile, "income")["mean"] == pytest.approx(50.0)
    score = numeric(profile, "score")
    assert score["median"] == pytest.approx(40.0)
    assert score["z"] == pytest.approx((40 - 50) / SCORE_STD)


def test_level_shares_and_lift():
    profile = tiny_profiles()[2]
    gender = level(profile, "gender")
    assert (gender["level"], gender["share"], gender["base_share"], gender["lift"]) == ("M", 1.0, 0.5, 2.0)
    member = level(profile, "member")
    # levels 0 (2/3) and 1 (1/3) both hold >= 20%: 0 has the higher lift (2/3 / 1/2)
    assert member["level"] == 0
    assert member["share"] == pytest.approx(2 / 3)
    assert member["lift"] == pytest.approx(4 / 3)
    assert member["score"] == pytest.approx((2 / 3 - 0.5) / 0.5)


def test_level_pick_prefers_over_represented_level_over_most_frequent():
    table = pd.DataFrame({"plan": ["A"] * 6 + ["B"] * 3 + ["C"] * 1 + ["A"] * 8 + ["C"] * 2})
    labels = np.array([1] * 10 + [2] * 10)
    profiles = build_profiles(table, features=[{"name": "plan", "kind": "categorical"}],
                              labels=labels, segment_ids=[1, 2])
    entry = profiles[1]["categorical"][0]
    assert entry["level"] == "B"
    assert entry["share"] == pytest.approx(0.3)
    assert entry["lift"] == pytest.approx(0.3 / 0.15)


def test_level_pick_falls_back_to_most_frequent_when_no_level_reaches_20_percent():
    table = pd.DataFrame({"store": list("abcdefghij") + ["a", "b"] + list("abcdefghij")})
    labels = np.array([1] * 12 + [2] * 10)
    profiles = build_profiles(table, features=[{"name": "store", "kind": "categorical"}],
                              labels=labels, segment_ids=[1])
    entry = profiles[1]["categorical"][0]
    assert entry["level"] in ("a", "b")
    assert entry["share"] == pytest.approx(2 / 12)


def test_tiny_segments_have_no_trait_their_size_cannot_show():
    # two or three customers: no difference is clear against the standard error of so few
    assert all(profile["distinctive"] == [] for profile in tiny_profiles().values())


def traits_table(seed: int = 5, n: int = 4000) -> tuple[pd.DataFrame, np.ndarray]:
    """Segment 1 (a quarter) spends 1.6x the rest with an SMD near 0.3, is 0.8 SD older, and is
    70% members vs 40%; segment 2 differs from the base by 3% in tenure on a narrow base."""
    rng = np.random.default_rng(seed)
    labels = np.where(np.arange(n) < n // 4, 1, 2)
    first = labels == 1
    table = pd.DataFrame({
        "spend": rng.lognormal(4.0, 1.2, n) * np.where(first, 1.6, 1.0),
        "age": rng.normal(40, 10, n) + np.where(first, 9.0, 0.0),
        "member": np.where(rng.random(n) < np.where(first, 0.7, 0.4), "Yes", "No"),
        "tenure": rng.normal(400, 5, n) * np.where(first, 0.97, 1.0),
    })
    return table, labels


TRAIT_FEATURES = [{"name": "spend", "kind": "numeric"}, {"name": "age", "kind": "numeric"},
                  {"name": "member", "kind": "binary"}, {"name": "tenure", "kind": "numeric"}]


def test_traits_are_large_by_smd_or_ratio_and_say_which():
    table, labels = traits_table()
    profiles = build_profiles(table, features=TRAIT_FEATURES, labels=labels, segment_ids=[1, 2],
                              interval=frozenset({"age"}))
    traits = {t["feature"]: t for t in profiles[1]["distinctive"]}
    assert traits["spend"]["basis"] == "ratio" and traits["spend"]["ratio"] >= 1.25
    assert abs(traits["spend"]["smd"]) < 0.5
    assert traits["age"]["basis"] == "smd" and traits["age"]["ratio"] is None
    assert traits["member"]["level"] == "Yes"
    # tenure: 3% lower, though many standard deviations on this narrow base, is no trait
    assert "tenure" not in traits


def test_a_small_difference_on_a_non_negative_measure_is_never_a_trait():
    table, labels = traits_table()
    profiles = build_profiles(table, features=TRAIT_FEATURES[3:], labels=labels, segment_ids=[1, 2])
    tenure = numeric(profiles[1], "tenure")
    assert abs(tenure["z"]) > 0.5 and tenure["ratio"] == pytest.approx(0.97, abs=0.01)
    assert profiles[1]["distinctive"] == [] and profiles[2]["distinctive"] == []


def test_constant_feature_has_zero_z_and_zero_mean_has_no_ratio():
    table = pd.DataFrame({"flat": [5.0] * 4, "centred": [-2.0, -1.0, 1.0, 2.0]})
    features = [{"name": "flat", "kind": "numeric"}, {"name": "centred", "kind": "numeric"}]
    profiles = build_profiles(table, features=features, labels=np.array([1, 1, 2, 2]),
                              segment_ids=[1, 2])
    flat, centred = profiles[1]["numeric"]
    assert flat["z"] == 0.0
    assert flat["ratio"] == pytest.approx(1.0)
    assert centred["ratio"] is None
    assert centred["z"] == pytest.approx(-1.5 / math.sqrt(2.5))


def test_empty_segment_and_all_missing_values_give_none():
    profiles = tiny_profiles(segment_ids=(1, 7))
    empty = profiles[7]
    assert (empty["size"], empty["share"], empty["distinctive"]) == (0, 0.0, [])
    assert numeric(empty, "income")["mean"] is None
    assert numeric(empty, "income")["z"] is None
    assert level(empty, "gender")["level"] is None
    outlier = tiny_profiles(segment_ids=(2,))[2]
    assert outlier["size"] == 3


def test_profiles_are_json_ready():
    profiles = tiny_profiles(segment_ids=(1, 2, 0, 7))
    text = json.dumps(profiles, allow_nan=False)
    assert "NaN" not in text
    for entry in profiles[1]["numeric"]:
        assert all(type(entry[key]) is float for key in ("mean", "median", "z", "base_std"))
    assert type(level(profiles[1], "member")["level"]) is int


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"labels": np.array([1, 2])}, "labels has 2 entries but the table has 6 rows"),
        ({"features": [{"name": "height", "kind": "numeric"}]}, "'height' is not a column"),
        ({"features": [{"name": "income", "kind": "ordinal"}]}, "kind 'ordinal'; use one of"),
        ({"features": [{"name": "gender", "kind": "numeric"}]}, "declared numeric but holds text"),
        ({"segment_ids": [1, 1]}, "segment_ids contains duplicates"),
    ],
)
def test_bad_input_raises_input_error(kwargs, message):
    arguments = {"features": TINY_FEATURES, "labels": TINY_LABELS, "segment_ids": [1, 2]}
    with pytest.raises(InputError, match=message):
        build_profiles(TINY, **{**arguments, **kwargs})


def test_half_a_million_rows_profile_whole():
    """How fast is a budget of bench/, not of this test: here every row must be counted."""
    rng = np.random.default_rng(3)
    n = 500_000
    table = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(10)})
    table["region"] = pd.array(rng.choice(["north", "south", "east"], n), dtype="str")
    table["member"] = rng.integers(0, 2, n)
    features = [{"name": col, "kind": "numeric"} for col in table.columns[:10]]
    features += [{"name": "region", "kind": "categorical"}, {"name": "member", "kind": "binary"}]
    labels = rng.integers(0, 10, n)
    profiles = build_profiles(table, features=features, labels=labels, segment_ids=list(range(10)))
    assert sum(profile["size"] for profile in profiles.values()) == n
