"""Yes/no and categorical levels in the profile, the segment-size chart, log axes for skewed money
columns, whole hover text, and the checks on a name a user typed.

The Results here are small and written out by hand (seeded numbers), so each figure's expected
cells can be computed independently of the pipeline.
"""
from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

from dashboard.renaming import clean_name, named_result, renamed_assignments
from explain.figures import (distribution_figure, feature_overview_figure, pair_plot_figure,
                             profile_heatmap, segment_size_figure)
from explain.level_profile import level_columns
from explain.logscale import log_ticks, skewness, to_log, wants_log
from segmentation.errors import InputError
from segmentation.plotdata import bin_edges
from segmentation.result import RunResult

RNG = np.random.default_rng(7)
SPEND = np.round(RNG.lognormal(5, 1.2, 300), 2)          # skewed money, non-negative
AGE = np.round(RNG.normal(40, 9, 300), 0)                 # symmetric


def segment(sid: int, *, name: str, size: int, plan_shares: list[float], yes: float) -> dict:
    levels = [{"level": lv, "share": s, "base_share": b} for lv, s, b in
              zip(["basic", "plus", "pro"], plan_shares, [0.5, 0.3, 0.2])]
    return {"id": sid, "name": name, "size": size, "share": size / 300,
            "rule": {"text": f"spend <= {sid}", "sql": "1 = 1", "clauses": []},
            "profile": {
                "numeric": [{"feature": "spend", "mean": 100.0 * sid, "z": 0.5 * sid},
                            {"feature": "age", "mean": 40.0, "z": -0.1}],
                "categorical": [
                    {"feature": "plan", "level": "pro", "levels": levels},
                    {"feature": "newsletter", "level": "yes",
                     "levels": [{"level": "no", "share": 1 - yes, "base_share": 0.6},
                                {"level": "yes", "share": yes, "base_share": 0.4}]}],
                "distinctive": []}}


@pytest.fixture(scope="module")
def result() -> RunResult:
    labels = np.repeat([1, 2], 150)
    edges, scale = bin_edges(SPEND)
    counts = {s: np.histogram(SPEND[labels == s], bins=edges)[0].tolist() for s in (1, 2)}
    return RunResult.from_dict({
        "dataset": {"rows_read": 300, "rows_used": 300, "features": [
            {"name": "spend", "kind": "numeric"}, {"name": "age", "kind": "numeric"},
            {"name": "plan", "kind": "categorical"}, {"name": "newsletter", "kind": "binary"}]},
        "k_selection": {"chosen_k": 2}, "clustering": {"k": 2, "method": "kmeans"},
        "explanation": {"fidelity": 1.0},
        "segments": [segment(1, name="Careful basic buyers with a very long persona name",
                             size=150, plan_shares=[0.7, 0.2, 0.1], yes=0.2),
                     segment(2, name="Pro spenders", size=150, plan_shares=[0.3, 0.4, 0.3],
                             yes=0.6)],
        "plots": {"points": {"columns": ["spend", "age"], "segment": labels.tolist(),
                             "values": {"spend": SPEND.tolist(), "age": AGE.tolist()},
                             "rows_total": 300},
                  "telling_features": ["spend", "age"],
                  "distributions": {"spend": {"kind": "numeric", "edges": edges.tolist(),
                                              "counts": counts, "scale": scale}}},
        "schema_version": 2})


# --- profile -----------------------------------------------------------------------------------

def test_the_profile_shows_each_level_share_in_the_segment_against_the_base(result):
    fig = profile_heatmap(result)
    numeric, levels = fig.data
    assert list(fig.layout.xaxis.ticktext) == ["Spend", "Age"]
    assert list(fig.layout.xaxis2.ticktext) == [
        "Plan: basic", "Plan: plus", "Plan: pro", "Newsletter: yes"]   # yes/no: one level
    assert [row[0] for row in levels.text] == ["70%", "30%"]
    basic = (0.7 - 0.5) / math.sqrt(0.5 * 0.5)
    assert levels.z[0][0] == pytest.approx(basic)
    assert levels.customdata[1][3] == ["Pro spenders", "Newsletter: yes", "40%"]
    assert "of all customers" in levels.hovertemplate
    assert numeric.coloraxis == levels.coloraxis == "coloraxis"
    assert fig.layout.xaxis.domain[1] < fig.layout.xaxis2.domain[0]


def test_levels_come_from_the_stored_distributions_when_profiles_lack_them(result):
    stored = result.to_dict()
    for seg in stored["segments"]:
        for entry in seg["profile"]["categorical"]:
            entry.pop("levels")
    stored["plots"]["distributions"]["plan"] = {"kind": "categorical", "levels": ["basic", "pro"],
                                                "counts": {"1": [120, 30], "2": [30, 120]}}
    columns = level_columns(RunResult.from_dict(stored))
    assert [(c.feature, c.level) for c in columns] == [("plan", "basic"), ("plan", "pro")]
    assert columns[0].base_share == pytest.approx(0.5)
    assert columns[0].shares == pytest.approx((0.8, 0.2))


def test_the_segment_size_chart_has_one_bar_per_segment_in_its_colour(result):
    fig = segment_size_figure(result)
    bar = fig.data[0]
    assert list(bar.x) == [150, 150] and bar.orientation == "h"
    assert list(bar.text) == ["150 · 50%", "150 · 50%"]
    assert list(fig.layout.yaxis.ticktext) == [s.name for s in result.segments]


# --- log axes ----------------------------------------------------------------------------------

def test_a_skewed_money_column_is_drawn_on_a_log_axis_labelled_in_its_units(result):
    assert wants_log(SPEND.tolist()) and not wants_log(AGE.tolist())
    assert not wants_log((-SPEND).tolist())                       # negatives: never log
    fig = pair_plot_figure(result)
    spend, age = fig.data[0].dimensions
    assert spend.label == "Spend (log scale)" and age.label == "Age"
    assert spend.values[0] == pytest.approx(math.log10(1 + SPEND[0]))
    assert list(age.values) == AGE[:150].tolist()
    assert "1k" in fig.layout.xaxis.ticktext and fig.layout.xaxis.tickvals[0] == 0
    assert fig.data[0].text[0].startswith("Spend: ")               # hover reads the units


def test_log_bins_spread_a_skewed_column_and_the_distribution_uses_them(result):
    edges, scale = bin_edges(SPEND)
    assert scale == "log" and edges[0] == SPEND.min() and edges[-1] == SPEND.max()
    linear, _ = np.histogram(SPEND, bins=np.histogram_bin_edges(SPEND, bins=30))
    logged, _ = np.histogram(SPEND, bins=edges)
    assert linear.max() > 2 * logged.max()                        # no single crowded bin
    fig = distribution_figure(result, "spend")
    assert fig.layout.xaxis.title.text == "Spend (log scale)"
    assert fig.data[0].x[0] == pytest.approx(to_log(edges[0]))
    overview = feature_overview_figure(result)
    assert overview.layout.xaxis.ticktext[0] == "0"


def test_log_ticks_are_round_numbers_and_skewness_is_the_usual_one():
    places, labels = log_ticks(1500)
    assert labels == ["0", "1", "10", "100", "1k"]
    assert log_ticks(400)[1] == ["0", "1", "2", "5", "10", "20", "50", "100", "200"]
    assert places == sorted(places)
    assert skewness([1, 2, 3]) == pytest.approx(0.0)
    assert skewness([0, 0, 0, 10]) == pytest.approx(1.1547, abs=1e-3)


def test_hover_text_is_never_cut(result):
    for fig in (pair_plot_figure(result), profile_heatmap(result), segment_size_figure(result)):
        assert fig.layout.hoverlabel.namelength == -1


# --- names a user typed ------------------------------------------------------------------------

def test_a_typed_name_is_folded_limited_and_unique():
    assert clean_name("  Weekend\tbuyers\n\r ") == "Weekend buyers"
    assert clean_name("Zero\u200bwidth") == "Zero width"
    with pytest.raises(InputError, match="at most 60 characters"):
        clean_name("x" * 61)
    with pytest.raises(InputError, match="already called 'vip'"):
        clean_name("vip", others=["VIP"])
    with pytest.raises(InputError, match="Type a name"):
        clean_name(None)


def test_renamed_assignments_change_only_the_name_column():
    content = ('customer_id,cluster,segment,segment_name\n'
               '00001,1,1,Old one\n"a,b",2,2,Old two\n').encode()
    out = renamed_assignments(content, {2: '=cmd|" /c calc"!A1'})
    rows = list(csv.reader(io.StringIO(out.decode())))
    assert rows[1] == ["00001", "1", "1", "Old one"]
    assert rows[2] == ["a,b", "2", "2", '\'=cmd|" /c calc"!A1']
    assert renamed_assignments(content, {}) is content


def test_named_result_leaves_the_stored_result_alone(result):
    renamed = named_result(result, {1: "New"})
    assert renamed.segments[0].name == "New"
    assert result.segments[0].name.startswith("Careful")
