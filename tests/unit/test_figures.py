import numpy as np
import pytest

from explain.figures import (MIXED_COLOUR, PALETTE, UNUSUAL_COLOUR, correlation_figure,
                             dendrogram_figure, distribution_figure, feature_overview_figure,
                             k_selection_figure, pair_plot_figure, profile_heatmap,
                             segment_colours)
from explain.format import capitalize_first, humanize_name
from segmentation.errors import InputError
from segmentation.pipeline import RunOptions, run_segmentation
from segmentation.result import RunResult
from segmentation.synthetic import make_customers

METHODS = ("kmeans", "hierarchical", "density")
NUMERIC = ["age", "annual_income", "spending_score", "visits_per_month", "days_since_last_purchase"]
HOSTILE = "<img src=x onerror=alert(1)>"
FIGURE_BUILDERS = (k_selection_figure, dendrogram_figure, pair_plot_figure, profile_heatmap,
                   correlation_figure, feature_overview_figure,
                   lambda r: distribution_figure(r, "annual_income"),
                   lambda r: distribution_figure(r, "signup_channel"))


@pytest.fixture(scope="module")
def results() -> dict[str, RunResult]:
    """One run per method on the same seeded customers, as stored (after a JSON round trip)."""
    table, _ = make_customers(600, seed=3)
    out = {}
    for method in METHODS:
        run = run_segmentation(table, options=RunOptions(id_column="customer_id", method=method))
        out[method] = RunResult.from_json(run.result.to_json())
    return out


@pytest.fixture(scope="module")
def hostile() -> RunResult:
    """A run whose best column is named like an HTML tag and whose channel level is a script."""
    table, _ = make_customers(400, seed=4)
    table = table.rename(columns={"annual_income": HOSTILE})
    table["signup_channel"] = table["signup_channel"].astype("str").replace(
        {"App": "<script>alert(2)</script>"})
    return run_segmentation(table, options=RunOptions(id_column="customer_id")).result


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def names(result: RunResult) -> list[str]:
    return [escaped(s.name) for s in result.segments]


def test_colours_follow_segment_ids_and_unusual_is_grey(results):
    assert segment_colours(results["kmeans"]) == {1: PALETTE[0], 2: PALETTE[1], 3: PALETTE[2],
                                                  4: PALETTE[3]}
    density = segment_colours(results["density"])
    assert density[0] == UNUSUAL_COLOUR
    coloured = [density[s] for s in sorted(density) if s != 0]
    assert coloured == list(PALETTE[:len(coloured)])


@pytest.mark.parametrize("method", ["kmeans", "hierarchical"])
def test_k_selection_has_every_metric_and_marks_the_chosen_k(results, method):
    result = results[method]
    fig = k_selection_figure(result)
    chosen = result.k_selection.chosen_k
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    marks = [t for t in fig.data if t.name == f"chosen k = {chosen}"]
    assert [t.name.split(" (")[0] for t in lines] == [
        "Inertia", "Silhouette", "Calinski-Harabasz", "Davies-Bouldin", "Stability"]
    assert list(lines[0].x) == sorted(c.k for c in result.k_selection.candidates)
    assert len(marks) == 5 and all(list(t.x) == [chosen] for t in marks)
    silhouette = next(c.silhouette for c in result.k_selection.candidates if c.k == chosen)
    assert marks[1].y[0] == pytest.approx(silhouette)
    assert fig.layout.shapes[0].x0 == chosen
    assert {t.xaxis for t in fig.data} == {"x", "x2", "x3", "x4", "x5"}
    assert all(fig.layout[f"xaxis{i}"].matches == "x" for i in range(2, 6))


def test_k_selection_of_a_density_run_says_why_it_is_empty(results):
    fig = k_selection_figure(results["density"])
    k = results["density"].k_selection.chosen_k
    assert len(fig.data) == 0
    assert fig.layout.annotations[0].text == (
        f"Density clustering found k = {k} by itself: there are no candidate k values to compare.")


def test_k_selection_without_candidates_says_so(results):
    result = RunResult.from_dict({**results["kmeans"].to_dict(),
                               "k_selection": {"candidates": [], "chosen_k": 4, "reason": ""}})
    fig = k_selection_figure(result)
    assert fig.layout.annotations[0].text == "This run stored no candidate k values to compare."


@pytest.mark.parametrize("method", METHODS)
def test_dendrogram_leaves_branches_and_cut(results, method):
    result = results[method]
    data = result.plots.dendrogram
    fig = dendrogram_figure(result)
    leaves = fig.data[-1]
    p = len(data.linkage) + 1
    assert len(leaves.x) == p and len(fig.layout.xaxis.ticktext) == p
    assert sorted(int(t[2:].replace(",", "")) for t in fig.layout.xaxis.ticktext) == sorted(
        data.leaf_sizes)
    colours = segment_colours(result)
    branches = fig.data[:-1]
    assert {t.line.color for t in branches} <= set(colours.values()) | {MIXED_COLOUR}
    assert sum(len(t.x) for t in branches) == 5 * (p - 1)   # four points and a gap per merge
    heights = np.sort(np.asarray(data.linkage)[:, 2])
    if method == "density":
        assert len(fig.layout.shapes) == 0
    else:
        k = result.clustering.k
        cut = fig.layout.shapes[0].y0
        assert heights[p - k - 1] < cut < heights[p - k]
        assert fig.layout.annotations[0].text == f"cut at k = {k}"


def test_dendrogram_branch_is_coloured_only_when_its_leaves_share_a_segment(results):
    result = results["kmeans"]
    fig = dendrogram_figure(result)
    by_name = {t.name: t for t in fig.data[:-1]}
    top = max(y for t in fig.data[:-1] for y in t.y if y is not None)
    assert top in [y for y in by_name["Mixed segments"].y if y is not None]
    for seg in result.segments:
        if seg.name in by_name:
            assert by_name[seg.name].line.color == segment_colours(result)[seg.id]


@pytest.mark.parametrize("method", METHODS)
def test_pair_plot_has_one_trace_per_segment_named_and_coloured(results, method):
    result = results[method]
    fig = pair_plot_figure(result)
    in_sample = set(result.plots.points.segment)
    expected = [s for s in result.segments if s.id in in_sample]
    colours = segment_colours(result)
    assert {t.name: t.marker.color for t in fig.data} == {
        escaped(s.name): colours[s.id] for s in expected}
    assert len(fig.data) == len(expected)
    telling = result.plots.telling_features[:4]
    assert [d.label.removesuffix(" (log scale)") for d in fig.data[0].dimensions] == [
        capitalize_first(humanize_name(f)) for f in telling]
    assert sum(len(t.dimensions[0].values) for t in fig.data) == len(
        result.plots.points.segment)


def test_pair_plot_of_a_density_run_draws_unusual_customers_underneath(results):
    fig = pair_plot_figure(results["density"])
    assert fig.data[0].name == "Unusual customers"
    assert fig.data[0].marker.color == UNUSUAL_COLOUR
    assert fig.data[0].legendrank == len(fig.data)


def test_pair_plot_thins_each_segment_evenly_when_asked(results):
    result = results["kmeans"]
    fig = pair_plot_figure(result, per_segment=50)
    assert [len(t.dimensions[0].values) for t in fig.data] == [50] * len(result.segments)
    assert fig.layout.title.text == ("Pair plot of the most telling features (200 of 600 "
                                     "customers, sampled by segment)")


def test_pair_plot_takes_chosen_features_and_rejects_unknown_ones(results):
    result = results["kmeans"]
    fig = pair_plot_figure(result, features=["age", "spending_score"])
    assert [d.label for d in fig.data[0].dimensions] == ["Age", "Spending score"]
    with pytest.raises(InputError, match=r"'income' are not in the stored point sample; choose from"):
        pair_plot_figure(result, features=["age", "income"])
    with pytest.raises(InputError, match="a pair plot shows 1 to 4 features"):
        pair_plot_figure(result, features=NUMERIC)


@pytest.mark.parametrize("method", METHODS)
def test_profile_heatmap_is_segments_by_numeric_features(results, method):
    result = results[method]
    trace = profile_heatmap(result).data[0]
    assert np.asarray(trace.z, dtype=float).shape == (len(result.segments), len(NUMERIC))
    fig = profile_heatmap(result)
    assert list(fig.layout.yaxis.ticktext) == names(result)
    assert list(fig.layout.xaxis.ticktext) == [
        "Age", "Annual income", "Spending score", "Visits per month", "Days since last purchase"]
    first = result.segments[0].profile.numeric[1]
    assert trace.z[0][1] == pytest.approx(first.z)
    assert fig.layout.coloraxis.cmid == 0 and trace.coloraxis == "coloraxis"


def test_profile_heatmap_text_is_the_readable_mean(results):
    result = results["kmeans"]
    trace = profile_heatmap(result).data[0]
    income = [e.mean for s in result.segments for e in s.profile.numeric
              if e.feature == "annual_income"]
    assert [row[1] for row in trace.text] == [f"{round(m / 1000, 1 if m < 1e4 else 0):g}k"
                                              for m in income]


def test_numeric_distribution_shares_sum_to_one_per_segment(results):
    result = results["kmeans"]
    fig = distribution_figure(result, "annual_income")
    assert len(fig.data) == len(result.segments)
    for trace in fig.data:
        assert sum(trace.y[:-1]) == pytest.approx(1.0)
        assert trace.line.shape == "hv"
    assert fig.layout.title.text == "Annual income by segment"


def test_level_distribution_has_grouped_bars_of_shares(results):
    result = results["hierarchical"]
    fig = distribution_figure(result, "signup_channel")
    assert fig.layout.barmode == "group" and fig.layout.xaxis.type == "category"
    assert len(fig.data) == len(result.segments)
    assert sorted(fig.data[0].x) == ["App", "Referral", "Store", "Web"]
    for trace in fig.data:
        assert sum(trace.y) == pytest.approx(1.0)


def test_distribution_of_an_unknown_feature_is_an_input_error(results):
    with pytest.raises(InputError, match="no stored distribution for 'income'; choose from: age"):
        distribution_figure(results["kmeans"], "income")


def test_colours_match_between_figures(results):
    result = results["density"]
    pair = {t.name: t.marker.color for t in pair_plot_figure(result).data}
    dist = {t.name: t.line.color for t in distribution_figure(result, "age").data}
    bars = {t.name: t.marker.color for t in distribution_figure(result, "gender").data}
    assert pair == {name: dist[name] for name in pair}
    assert dist == bars
    assert dist["Unusual customers"] == UNUSUAL_COLOUR


def test_correlation_and_overview(results):
    result = results["kmeans"]
    corr = correlation_figure(result).data[0]
    assert np.asarray(corr.z).shape == (5, 5)
    assert corr.z[0][0] == pytest.approx(1.0)
    overview = feature_overview_figure(result)
    assert len(overview.data) == len(result.plots.distributions)
    age = overview.data[0]
    assert sum(age.y) == result.dataset.rows_used
    assert [a.text for a in overview.layout.annotations][:3] == ["Age", "Gender", "Annual income"]


@pytest.mark.parametrize("method", METHODS)
def test_every_figure_is_fast_and_small(results, method):
    result = results[method]
    for build in FIGURE_BUILDERS:
        fig = build(result)
        assert len(fig.to_json()) < 300_000


def test_figures_from_a_live_result_equal_those_from_stored_json(hostile):
    stored = RunResult.from_json(hostile.to_json())
    builders = FIGURE_BUILDERS[:6] + (lambda r: distribution_figure(r, HOSTILE),
                                      lambda r: distribution_figure(r, "signup_channel"))
    for build in builders:
        assert build(hostile).to_json() == build(stored).to_json()


def test_hostile_names_and_levels_show_as_text(hostile):
    label = "&lt;img src=x onerror=alert(1)&gt;"
    assert label in profile_heatmap(hostile).layout.xaxis.ticktext
    assert [d.label for d in pair_plot_figure(hostile).data[0].dimensions][2] == label
    assert distribution_figure(hostile, HOSTILE).layout.title.text == f"{label} by segment"
    bars = distribution_figure(hostile, "signup_channel")
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in bars.data[0].x
    assert any("&lt;img src=x onerror=alert&gt;" in t.name for t in pair_plot_figure(hostile).data)
    for build in FIGURE_BUILDERS[1:6]:
        text = str(build(hostile).to_dict())   # the strings as plotly.js receives them
        assert "&lt;img src=x" in text and "<img" not in text
