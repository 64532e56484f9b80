import re

import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from explain.figures import segment_colours
from explain.report import report_html
from explain.view import percent
from segmentation.pipeline import RunOptions, run_segmentation
from segmentation.synthetic import make_customers

HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_LEVEL = "<script>alert(2)</script>"
SECTIONS = ("segments", "rules", "k-selection", "dendrogram", "pair-plot", "profile",
            "correlation", "dataset")


def hostile_table() -> pd.DataFrame:
    """Customers whose income column and one channel level are HTML, with a duplicate row and a
    constant column so the dataset notes have something to say."""
    table, _ = make_customers(400, seed=4)
    table = table.rename(columns={"annual_income": HOSTILE})
    table["signup_channel"] = table["signup_channel"].astype("str").replace({"App": HOSTILE_LEVEL})
    table["region"] = "<b>North</b>"
    return pd.concat([table, table.iloc[:3]], ignore_index=True)


@pytest.fixture(scope="module")
def hostile_run():
    options = RunOptions(id_column="customer_id", source="<i>export</i>.csv")
    result = run_segmentation(hostile_table(), options=options).result
    return result, report_html(result)


@pytest.fixture(scope="module")
def density_report() -> tuple:
    table, _ = make_customers(500, seed=6)
    result = run_segmentation(table, options=RunOptions(method="density",
                                                        id_column="customer_id")).result
    return result, report_html(result)


def test_plotly_js_is_inlined_exactly_once(hostile_run):
    _, page = hostile_run
    plotly_js = get_plotlyjs()
    assert page.count(plotly_js[:300]) == 1
    rest = page.replace(plotly_js, "")
    assert "<script src=" not in rest and "cdn.plot.ly" not in rest
    assert rest.count("Plotly.newPlot(") == 6


def test_every_section_is_there(hostile_run):
    _, page = hostile_run
    for section in SECTIONS:
        assert f'<section id="{section}">' in page
    for key in ("k-selection", "dendrogram", "pair-plot", "segment-sizes", "profile",
                "correlation"):
        assert f'id="figure-{key}"' in page
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_header_states_rows_method_k_reason_and_fidelity(hostile_run):
    result, page = hostile_run
    fidelity = percent(result.explanation.fidelity)
    assert "<h1>Segmentation report: &lt;i&gt;export&lt;/i&gt;.csv</h1>" in page
    assert "<dt>Rows used</dt><dd>400 of 403 rows read</dd>" in page
    assert "<dt>Method</dt><dd>k-means</dd>" in page
    assert f"<dt>Segments</dt><dd>k = {result.clustering.k}</dd>" in page
    assert f"<dt>Why this k</dt><dd>{result.k_selection.reason}</dd>" in page
    assert (f"<dt>Agreement with the unconstrained clusters</dt><dd>{fidelity} of customers are "
            "put by the rules in the segment of their own cluster</dd>") in page
    kept = f"{100 / result.explanation.cost_ratio:.1f}%"
    assert (f"<dt>Tightness kept</dt><dd>These rules keep {kept} of the clusters&#39; tightness"
            "</dd>") in page


def test_cards_carry_name_size_rule_strategy_and_colour(hostile_run):
    result, page = hostile_run
    colours = segment_colours(result)
    cards = re.findall(r'<article class="card" style="--segment: (#[0-9A-F]{6})">(.*?)</article>',
                       page)
    assert [c for c, _ in cards] == [colours[s.id] for s in result.segments]
    first, body = result.segments[0], cards[0][1]
    assert f"{first.size:,} customers · {first.share:.0%}" in body
    assert f"<p class=\"headline\">{first.strategy.headline}</p>" in body
    for action in first.strategy.actions:
        assert f"<li>{action}</li>" in body
    assert f"<strong>KPI:</strong> {first.strategy.kpi}" in body


def test_rules_table_lists_precision_coverage_and_sql(hostile_run):
    result, page = hostile_run
    table = page[page.index('<section id="rules">'):page.index('<section id="k-selection">')]
    assert table.count("<tr>") == len(result.segments) + 1
    assert table.count("<pre>") == len(result.segments)
    assert "&#34;&lt;img src=x onerror=alert(1)&gt;&#34;" in table
    first = result.segments[0]
    assert (f'<td class="num">{percent(first.precision)}</td>'
            f'<td class="num">{percent(first.coverage)}</td>') in table


def test_data_text_is_escaped_everywhere(hostile_run):
    result, page = hostile_run
    assert "<img src=x" not in page
    assert "<script>alert" not in page
    assert "<b>North</b>" not in page and "<i>export" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    hostile_names = [s.name for s in result.segments if "<img" in s.name]
    assert hostile_names, "the hostile column should be strong enough to name a segment"
    assert all(name.replace("<", "&lt;").replace(">", "&gt;") in page for name in hostile_names)


def test_dataset_notes_list_drops_fills_and_transforms(hostile_run):
    _, page = hostile_run
    notes = page[page.index('<section id="dataset">'):]
    assert "<li>3 rows: exact duplicates</li>" in notes
    assert "<li>Column <code>region</code>: a single value throughout</li>" in notes
    assert "<td>log1p (skewness" in notes
    assert re.search(r"<td>\d+ filled with [\d.k]+ \(median\)</td>", notes)
    assert "<td>&lt;script&gt;alert(2)&lt;/script&gt;, Referral, Store, Web</td>" in notes


def test_report_is_under_five_megabytes(hostile_run, density_report):
    for _, page in (hostile_run, density_report):
        assert len(page.encode("utf-8")) < 5 * 1024 * 1024


def test_density_report_explains_the_unusual_segment_and_the_empty_k_chart(density_report):
    result, page = density_report
    unusual = result.clustering.unusual
    assert f"<dd>k = {result.clustering.k}, plus {unusual:,} unusual customers</dd>" in page
    assert "<dt>Method</dt><dd>density clustering (HDBSCAN)</dd>" in page
    assert "there are no candidate k values to compare" in page
    assert 'style="--segment: #B0B0B0"><h3><span class="swatch"></span>Unusual customers' in page
