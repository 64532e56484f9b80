"""The one view of a Result: the same words for the dashboard and the report, from a run and from
its stored result.json, with figures that never overstate."""
from __future__ import annotations

import numpy as np
import pytest

from explain.density import density_grids, nice_edges
from explain.report import report_html
from explain.view import result_view
from explain.view_text import (depth_costs_text, fill_text, kept_text, levels_text, percent,
                               verdict)
from segmentation.pipeline import RunOptions, run_segmentation
from segmentation.plot_models import Points
from segmentation.result import RunResult
from segmentation.result_models import Feature, KSelection
from segmentation.synthetic import make_customers


@pytest.fixture(scope="module")
def result():
    table, _ = make_customers(300, seed=2)
    return run_segmentation(table, options=RunOptions(id_column="customer_id", seed=0)).result


def test_a_run_and_its_stored_json_give_the_same_view(result):
    assert result_view(result) == result_view(RunResult.from_json(result.to_json()))


def test_every_segment_reads_the_same_in_the_report(result):
    view, page = result_view(result), report_html(result)
    for seg in view.segments:
        for text in (seg.size, seg.headline, *seg.key_numbers):
            assert text.replace("'", "&#39;") in page
        assert f"Precision {seg.precision} · coverage {seg.coverage}" in page
    assert view.tightness.replace("'", "&#39;") in page


@pytest.mark.parametrize("ratio, text", [(1.0215, "97.9%"), (0.98, "100%"), (1.0004, "99.9%"), (None, None),
                                         (0, None), (float("nan"), None), (True, None),
                                         ("x", None)])
def test_tightness_kept_is_never_over_100_percent_nor_made_up(ratio, text):
    assert kept_text(ratio) == text


def test_shares_never_round_up_to_a_perfect_rule():
    assert [percent(x) for x in (1, 0.9996, 0.9962, 0.5, 0, None, float("inf"))] == [
        "100%", "99.9%", "99.6%", "50%", "0%", "n/a", "n/a"]


def test_depth_costs_are_in_depth_order_with_whole_percents():
    assert depth_costs_text({"10": 1.0, "2": 1.4, "3": 1.136, "x": None}) == (
        "depth 2 keeps 71.4%, depth 3 keeps 88%, depth 10 keeps 100% of the clusters' tightness")
    assert depth_costs_text({}) is None and depth_costs_text(None) is None


def test_a_weak_verdict_says_continuum_once_and_what_to_try():
    weak = verdict(KSelection(structure="weak", structure_reason="Rule silhouette 0.08.",
                              advice="Try fewer features."))
    assert weak.opening == ("Weak structure. ", "Rule silhouette 0.08.")
    assert "continuum" in weak.continuum and weak.advice_lead == "What to try: "
    said = verdict(KSelection(structure="weak", structure_reason="Weak structure: cuts of a "
                              "continuum.", advice=""))
    assert said.opening == ("Weak structure", ": cuts of a continuum.") and said.continuum is None
    assert verdict(KSelection()) is None


def test_fills_and_levels_read_as_the_rules_write_them():
    def feature(**fields):
        return Feature(name="x", kind="numeric", **fields)

    assert fill_text(feature(missing=12, fill=68000.0, fill_method="median")) == (
        "12 filled with 68k (median)")
    assert fill_text(feature(missing=0, fill=1)) == "none"
    levels = feature(levels=[f"L{i}" for i in range(14)], other_levels=["a", "b"])
    assert levels_text(levels) == (", ".join(f"L{i}" for i in range(12)) + " and 2 more"
                                    " (2 rare level(s) grouped as other)")


def test_density_bins_on_round_numbers_and_keeps_no_row():
    assert nice_edges(np.array([3.7, 96.2]), log=False) == [10.0 * i for i in range(11)]
    points = Points(columns=["a", "b", "label"], segment=[1, 1, 2],
                    values={"a": [1.234, 2.5, None], "b": [10.1, 20.7, 30.3], "label": ["x"] * 3},
                    rows_total=9)
    grids = density_grids(points)
    assert grids["columns"] == ["a", "b"] and grids["rows_total"] == 9
    (pair,) = grids["pairs"]
    assert [int(np.sum(s["counts"])) for s in pair["segments"]] == [2, 0]
    assert "values" not in grids and "1.234" not in repr(grids)


def test_the_k_candidates_table_is_in_the_report_with_the_chosen_k_marked(result):
    table, page = result_view(result).k_table, report_html(result)
    assert table.columns[:3] == ("k", "Inertia", "Silhouette")
    assert [chosen for _, chosen in table.rows].count(True) == 1
    for cells, chosen in table.rows:
        row = "".join(f'<td class="num">{c}</td>' for c in cells)
        assert (f'<tr class="chosen">{row}</tr>' if chosen else f"<tr>{row}</tr>") in page


def test_tightness_kept_on_weak_structure_says_it_is_no_sign_of_groups():
    from explain.view_text import tightness_sentence
    assert tightness_sentence(0.98) == "These rules keep 100% of the clusters' tightness"
    weak = tightness_sentence(0.98, structure="weak")
    assert weak.startswith("These rules keep 100%") and "no sign of real groups" in weak
    assert tightness_sentence(1.2, structure="strong") == (
        "These rules keep 83.3% of the clusters' tightness")
