"""Features fit for rules: special-category columns and near duplicates are left out by default,
with their reason, and used when the user names them."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fitness_tables import bank_table, features_of, telecom_table
from seeded_runs import run_cli
from segmentation import duplicates
from segmentation.duplicates import r_text, rank_correlation, resolve
from segmentation.errors import InputError
from segmentation.pipeline import RunOptions, run_segmentation
from segmentation.preview import build_preview
from segmentation.roles import infer_roles
from segmentation.sensitive import special_category


def rule_features(result) -> set[str]:
    return {c.feature for s in result.segments for conj in s.rule.clauses for c in conj}


def dropped_reasons(result) -> dict[str, str]:
    return {d.name: d.reason for d in result.dataset.dropped if d.what == "column"}


@pytest.mark.parametrize("name, label", [
    ("ethnicity", "ethnic"), ("Race", "ethnic"), ("origine_ethnique", "ethnic"), ("Etnia", "ethnic"),
    ("religion", "religion"), ("Religionszugehörigkeit", "religion"), ("religião", "religion"),
    ("health_status", "health"), ("disability", "health"), ("estado_de_salud", "health"),
    ("Gesundheitszustand", "health"), ("political_party", "political"), ("Partei", "political"),
    ("union_member", "union"), ("Gewerkschaft", "union"), ("sexual_orientation", "sexual"),
    ("SexualOrientation", "sexual"), ("dna_marker", "genetic"), ("biometric_id_hash", "genetic"),
])
def test_special_categories_are_recognised_by_name(name, label):
    what = special_category(name, pd.Series(["a", "b", "a"]))
    assert what is not None and label in what and "recognised from its name" in what


@pytest.mark.parametrize("name", ["party_size", "health_score", "health_insurance",
                                  "credit_union_member", "autopay_disabled", "race_time", "gender",
                                  "annual_income", "orientation"])
def test_ordinary_columns_are_not_special_categories(name):
    assert special_category(name, pd.Series(["Yes", "No", "Yes"])) is None


def test_special_categories_are_recognised_by_levels():
    ethnic = pd.Series(["Asian", "Black", "White", "Asian", None, "White"])
    faith = pd.Series(["Christian", "Muslim", "Hindu", "Roman Catholic"] * 5)
    assert "racial or ethnic origin, recognised from its levels" in special_category("grp", ethnic)
    assert "religion or belief" in special_category("g2", faith)
    colours = pd.Series(["Black", "White", "Silver", "Black"])
    assert special_category("colour", colours) is None


def test_near_duplicates_keep_fewer_missing_then_the_first_column():
    rng = np.random.default_rng(1)
    spend = rng.gamma(2, 50, 800)
    table = pd.DataFrame({"spend_usd": spend, "visits": rng.poisson(4, 800).astype(float),
                          "spend_eur": spend * 0.92, "spend_log": np.log1p(spend)})
    table.loc[:9, "spend_usd"] = np.nan
    twins = resolve(table)
    assert list(twins) == ["spend_usd", "spend_log"]
    assert twins["spend_usd"].kept == "spend_eur" and "fewer missing values: 0 against 10" \
        in twins["spend_usd"].reason()
    assert twins["spend_log"].kept == "spend_eur" and twins["spend_log"].r == pytest.approx(1.0)


def test_first_column_is_kept_when_gaps_are_equal_and_negative_twins_count():
    rng = np.random.default_rng(2)
    days = rng.integers(1, 400, 600).astype(float)
    table = pd.DataFrame({"recency_days": days, "freshness": 1000 - days,
                          "visits": rng.poisson(3, 600).astype(float)})
    twins = resolve(table)
    assert list(twins) == ["freshness"] and twins["freshness"].kept == "recency_days"
    assert twins["freshness"].r == pytest.approx(-1.0)
    assert "comes first in the table" in twins["freshness"].reason()


def test_a_correlation_just_above_the_bar_does_not_read_as_the_bar():
    assert [r_text(r) for r in (0.9512, -0.9549, 0.9999, 0.962)] == ["0.951", "-0.955", "1.00", "0.96"]


def test_correlation_on_a_fixed_sample_of_large_tables(monkeypatch):
    rng = np.random.default_rng(3)
    a = rng.normal(size=5000)
    table = pd.DataFrame({"a": a, "b": a * 3 + rng.normal(0, 0.01, 5000), "c": rng.normal(size=5000)})
    full = rank_correlation(table)
    monkeypatch.setattr(duplicates, "SAMPLE_ROWS", 1000)
    sampled = rank_correlation(table)
    assert np.array_equal(sampled, rank_correlation(table))   # the same rows every time
    assert not np.array_equal(sampled, full)
    assert sampled[0, 1] > 0.99 and abs(sampled[0, 2]) < 0.15
    assert list(resolve(table)) == ["b"]


def test_roles_left_out_by_default_state_why():
    roles = infer_roles(pd.concat([bank_table(), telecom_table().drop(columns="phone")], axis=1))
    assert roles["ethnicity"].role == "sensitive" and roles["religion"].role == "sensitive"
    assert "special-category attribute (racial or ethnic origin" in roles["ethnicity"].reason
    assert roles["total_day_charge"].role == "duplicate"
    assert roles["total_day_charge"].reason.startswith(
        "near duplicate of 'total_day_minutes' (Spearman r = 1.00); 'total_day_minutes' is kept")
    assert roles["total_day_minutes"].role == "numeric" and roles["age"].role == "numeric"


def test_special_category_left_out_by_default_and_used_when_opted_in():
    table = bank_table()
    default = run_segmentation(table, options=RunOptions(k=2, id_column="customer_id")).result
    assert features_of(default) == ["age", "balance"]
    assert not rule_features(default) & {"ethnicity", "religion"}
    reasons = dropped_reasons(default)
    assert "special-category attribute (racial or ethnic origin" in reasons["ethnicity"]
    assert "unless named in them" in reasons["religion"]
    assert any("'ethnicity', 'religion'" in n for n in default.dataset.notes)

    opted = run_segmentation(table, options=RunOptions(
        k=2, id_column="customer_id", features=("age", "balance", "ethnicity"))).result
    assert features_of(opted) == ["age", "balance", "ethnicity"]
    assert "ethnicity" in rule_features(opted)
    note = next(f.notes for f in opted.dataset.features if f.name == "ethnicity")
    assert note == ["special-category attribute (racial or ethnic origin, recognised from its "
                    "name): used because it was chosen explicitly"]
    assert any("'ethnicity' used because" in n for n in opted.dataset.notes)
    assert "religion" in dropped_reasons(opted)


def test_role_override_is_an_opt_in_too():
    options = RunOptions(k=2, id_column="customer_id", roles=(("ethnicity", "binary"),))
    result = run_segmentation(bank_table(), options=options).result
    assert "ethnicity" in features_of(result) and "religion" not in features_of(result)
    feature = next(f for f in result.dataset.features if f.name == "ethnicity")
    assert any("chosen explicitly" in n for n in feature.notes)


def test_near_duplicate_twin_is_left_out_of_rules_and_names():
    result = run_segmentation(telecom_table(), options=RunOptions(k=2)).result
    assert "total_day_charge" not in features_of(result)
    assert "total_day_charge" not in rule_features(result)
    assert "total_day_minutes" in rule_features(result)
    assert all("charge" not in s.name.lower() for s in result.segments)
    assert "near duplicate of 'total_day_minutes'" in dropped_reasons(result)["total_day_charge"]
    assert result.dataset.suggestions == []


def test_named_twins_are_both_used_with_a_suggestion():
    features = ("total_day_minutes", "total_day_charge", "service_calls")
    result = run_segmentation(telecom_table(), options=RunOptions(k=2, features=features)).result
    assert features_of(result) == list(features)
    charge = next(f for f in result.dataset.features if f.name == "total_day_charge")
    assert charge.notes == ["near duplicate of 'total_day_minutes' (Spearman r = 1.00): both "
                               "used because both were chosen"]
    assert result.dataset.suggestions == [
        "'total_day_minutes' and 'total_day_charge' are near duplicates (Spearman r = 1.00): "
        "leave 'total_day_charge' out for shorter rules"]


def test_a_table_of_only_left_out_columns_says_how_to_use_them():
    table = bank_table()[["customer_id", "ethnicity", "religion"]]
    with pytest.raises(InputError, match="'ethnicity', 'religion' are left out .* as features"):
        run_segmentation(table, options=RunOptions(k=2))


def test_same_table_same_features_and_order():
    table = telecom_table(seed=5)
    first = run_segmentation(table, options=RunOptions(k=2)).result
    again = run_segmentation(table.copy(), options=RunOptions(k=2)).result
    assert features_of(first) == features_of(again) == ["total_day_minutes", "total_day_calls",
                                                         "service_calls"]
    assert first.dataset.dropped == again.dataset.dropped


def test_cli_leaves_out_and_opts_in(tmp_path, capsys):
    path = tmp_path / "bank.csv"
    bank_table(seed=1).to_csv(path, index=False)
    code, _, err = run_cli(["run", path, "--out", tmp_path / "a", "--k", "2", "--quiet"], capsys)
    assert code == 0, err
    result = json.loads((tmp_path / "a" / "result.json").read_text())
    assert [f["name"] for f in result["dataset"]["features"]] == ["age", "balance"]
    code, _, err = run_cli(["run", path, "--out", tmp_path / "b", "--k", "2", "--quiet",
                            "--features", "age,religion"], capsys)
    assert code == 0, err
    result = json.loads((tmp_path / "b" / "result.json").read_text())
    assert [f["name"] for f in result["dataset"]["features"]] == ["age", "religion"]


def test_preview_lists_left_out_columns_with_reasons(tmp_path):
    path = tmp_path / "t.csv"
    pd.concat([bank_table(), telecom_table().drop(columns="phone")], axis=1).to_csv(path, index=False)
    preview = build_preview(path)
    left = {item["name"]: item for item in preview["left_out"]}
    assert list(left) == ["ethnicity", "religion", "total_day_charge"]
    assert left["ethnicity"]["role"] == "sensitive" and left["total_day_charge"]["role"] == "duplicate"
    roles = {c["name"]: c["role"] for c in preview["columns"]}
    assert roles["religion"] == "sensitive" and roles["total_day_minutes"] == "numeric"
