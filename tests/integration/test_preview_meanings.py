"""The preview shows what each feature column measures, and the user's changes become `meanings`."""

import numpy as np
import pandas as pd

from dashboard.components.preview import MEANING_SELECT, changed_meanings, columns_table
from segmentation.preview import build_preview


def bank_preview(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "bank.csv"
    pd.DataFrame({"client_id": [f"{i:05d}" for i in range(300)],
                  "rating": rng.integers(300, 851, 300), "CUST_BAL_AVG": rng.lognormal(8, 1, 300),
                  "x1": rng.random(300)}).to_csv(path, index=False)
    return build_preview(path)


def walk(component):
    """Every component in a Dash tree, depth first."""
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            yield from walk(child)


def test_columns_table_shows_meaning_confidence_and_a_picker(tmp_path):
    preview = bank_preview(tmp_path)
    parts = list(walk(columns_table(preview)))
    pickers = [p for p in parts if isinstance(getattr(p, "id", None), dict)
               and p.id.get("type") == MEANING_SELECT]
    assert [p.value for p in pickers] == ["credit_rating", "balance", "other"]
    texts = " ".join(str(p.children) for p in parts if isinstance(getattr(p, "children", None), str))
    assert "credit rating · 95%" in texts and "Measures" in texts


def test_changed_meanings_keeps_only_real_changes(tmp_path):
    preview = bank_preview(tmp_path)
    names = [c["name"] for c in preview["columns"]]
    values = {"client_id": None, "rating": "credit_rating", "CUST_BAL_AVG": "credit_limit", "x1": "nonsense"}
    assert changed_meanings(preview, meaning_values=[values[n] for n in names]) == {
        "CUST_BAL_AVG": "credit_limit"}


def test_a_meaning_changed_in_the_preview_reaches_the_run_options(tmp_path):
    from dashboard.components.settings_form import run_options_from_form

    preview = bank_preview(tmp_path)
    names = [c["name"] for c in preview["columns"]]
    with_picker = [i for i, n in enumerate(names) if n in ("rating", "CUST_BAL_AVG", "x1")]
    ids = [{"type": MEANING_SELECT, "index": i} for i in with_picker]
    values = {"rating": "credit_rating", "CUST_BAL_AVG": "credit_limit", "x1": "other"}
    form = {"roles": [c["role"] for c in preview["columns"]], "id_column": "client_id",
            "features": ["rating", "CUST_BAL_AVG", "x1"],
            "meanings": {"ids": ids[::-1], "values": [values[names[i]] for i in with_picker][::-1]}}
    options = run_options_from_form(form, preview=preview, filename="bank.csv")
    assert options["meanings"] == {"CUST_BAL_AVG": "credit_limit"}
