"""The preview and the form show the columns left out by default and let a user opt one in."""
from __future__ import annotations

import pandas as pd

from dashboard.components.preview import left_out_alert, preview_section, role_options
from dashboard.components.settings_form import run_options_from_form
from segmentation.pipeline import RunOptions, run_segmentation
from segmentation.preview import build_preview
from fitness_tables import bank_table, features_of, telecom_table


def texts(node) -> list[str]:
    """Every string under a component (children only)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, (list, tuple)):
        return [t for item in node for t in texts(item)]
    return texts(getattr(node, "children", None) or [])


def preview_of(tmp_path, table: pd.DataFrame) -> dict:
    path = tmp_path / "upload.csv"
    table.to_csv(path, index=False)
    return build_preview(path)


def test_left_out_columns_are_offered_back_as_features():
    options = {o["value"]: o["label"] for o in role_options("sensitive")}
    assert options["sensitive"] == "Leave out (special category)"
    assert {"numeric", "categorical", "binary"} <= set(options)
    assert {o["value"]: o["label"] for o in role_options("duplicate")}["duplicate"] == \
        "Leave out (near duplicate)"


def test_the_preview_says_what_is_left_out_and_how_to_use_it(tmp_path):
    table = pd.concat([bank_table(), telecom_table().drop(columns="phone")], axis=1)
    preview = preview_of(tmp_path, table)
    shown = " ".join(texts(preview_section(preview)))
    assert "Left out of the features by default" in shown
    assert "near duplicate of 'total_day_minutes' (Spearman r = 1.00)" in shown
    assert "special-category attribute (religion or belief" in shown
    assert 'set its "Use as" to a feature role' in shown


def test_a_hostile_column_name_is_shown_as_text():
    alert = left_out_alert({"left_out": [{"name": "<script>religion</script>", "role": "sensitive",
                                          "reason": "special-category attribute"}]})
    assert "<script>religion</script>" in texts(alert)
    assert left_out_alert({"left_out": []}) is None


def test_the_form_opts_a_special_category_column_in(tmp_path):
    preview = preview_of(tmp_path, bank_table())
    names = [c["name"] for c in preview["columns"]]
    picked = {"ethnicity": "binary"}
    form = {"roles": [picked.get(c["name"], c["role"]) for c in preview["columns"]],
            "features": ["age", "balance", "ethnicity"], "id_column": "customer_id"}
    options = run_options_from_form(form, preview=preview, filename="upload.csv")
    assert options["features"] == ["age", "balance", "ethnicity"]
    assert options["roles"] == {"ethnicity": "binary"} and "religion" in names
    run = RunOptions(k=2, features=tuple(options["features"]), id_column=options["id_column"],
                     roles=tuple(options["roles"].items()))
    result = run_segmentation(bank_table(), options=run).result
    assert features_of(result) == ["age", "balance", "ethnicity"]
    ethnicity = next(f for f in result.dataset.features if f.name == "ethnicity")
    assert any("used because it was chosen explicitly" in n for n in ethnicity.notes)


def test_the_form_leaves_them_out_when_untouched(tmp_path):
    preview = preview_of(tmp_path, bank_table())
    form = {"roles": [c["role"] for c in preview["columns"]],
            "features": ["age", "balance", "ethnicity", "religion"], "id_column": "customer_id"}
    options = run_options_from_form(form, preview=preview, filename="upload.csv")
    assert options["features"] == ["age", "balance"]
