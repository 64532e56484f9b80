"""Density runs: no empty segment, an honest verdict, and one unusual count everywhere.

The verdict is HDBSCAN's finding (how many rows its dense groups hold); the unusual count is the
unusual segment's size as the rules assign it, and it is the only unusual count any page states.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from explain.report import report_html
from segmentation import clustering
from segmentation.clustering import density_labels, density_record, density_verdict
from segmentation.pipeline import RunOptions, run_segmentation
from segmentation.synthetic import make_blobs_table, make_customers


def _uniform(n=1500, seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.random((n, 4)), columns=["recency", "frequency", "monetary", "tenure"])


def _skewed(n=2000, seed=2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"spend": rng.lognormal(3, 1, n).round(2), "orders": rng.poisson(3, n),
                         "tenure_days": rng.gamma(2, 100, n).round()})


TABLES = {
    "uniform": _uniform,
    "skewed": _skewed,
    "customers": lambda: make_customers(1500, seed=4)[0],
    "blobs": lambda: make_blobs_table(1500, n_features=3, k=3, seed=5)[0],
}


@pytest.fixture(scope="module", params=sorted(TABLES))
def density_run(request):
    table = TABLES[request.param]()
    return request.param, run_segmentation(table, options=RunOptions(method="density"))


def test_verdict_is_weak_when_most_rows_are_unusual():
    labels = np.array([0] * 20 + [1] * 20 + [-1] * 60)
    structure, reason, advice = density_verdict(labels)
    assert structure == "weak"
    assert "2 dense groups holding 40 of 100 customers (40%)" in reason
    assert "more than half the customers lie outside any dense group" in reason
    assert "k-means" in advice


def test_verdict_is_weak_with_fewer_than_two_dense_groups():
    structure, reason, advice = density_verdict(np.array([0] * 90 + [-1] * 10))
    assert structure == "weak" and "found 1 dense group holding 90 of 100" in reason
    assert "fewer than two dense groups" in reason
    assert "k-means" in advice
    assert density_verdict(np.full(50, -1))[0] == "weak"


def test_verdict_is_strong_with_few_unusual_and_moderate_in_between():
    assert density_verdict(np.array([0] * 45 + [1] * 45 + [-1] * 10))[:2] == (
        "strong", "Strong structure: density clustering (HDBSCAN) found 2 dense groups holding "
                  "90 of 100 customers (90%).")
    structure, _, advice = density_verdict(np.array([0] * 35 + [1] * 30 + [-1] * 35))
    assert structure == "moderate" and advice is None


def test_record_states_k_and_the_unusual_count_it_was_given():
    record = density_record(np.array([0] * 600 + [1] * 300 + [2] * 50 + [-1] * 1_050))
    assert record["chosen_k"] == 3 and record["candidates"] == []
    assert "1,050 customers (52.5%) are unusual" in record["reason"]
    assert record["structure"] == "weak" and "advice" in record


def test_density_run_never_has_an_empty_segment_or_a_card_for_one(density_run):
    _, out = density_run
    segments = out.result.segments
    assert segments and all(s.size > 0 for s in segments)
    assert sorted(s.id for s in segments) == sorted(out.assignments["segment"].unique())
    assert out.result.clustering.k == sum(1 for s in segments if s.id != 0)


def test_one_unusual_count_everywhere(density_run):
    """Header, card, choosing-k text, verdict and report all state the rows the rules put there."""
    _, out = density_run
    result = out.result
    unusual = int((out.assignments["segment"] == 0).sum())
    assert result.clustering.unusual == unusual
    card = next((s for s in result.segments if s.id == 0), None)
    assert (card.size if card else 0) == unusual
    ks = result.k_selection
    assert (f"; {unusual:,} customers" if unusual else "; no customer is unusual") in ks.reason
    assert "unusual" not in ks.structure_reason   # it speaks of HDBSCAN's groups instead
    counts = {int(m.replace(",", "")) for m in re.findall(r"([\d,]+) unusual customers",
                                                          report_html(result))}
    assert counts <= {unusual}


def test_structure_is_weak_on_noise_and_strong_on_separated_groups(density_run):
    name, out = density_run
    ks = out.result.k_selection
    assert ks.structure in ("strong", "moderate", "weak") and ks.structure_reason
    if name in ("uniform", "skewed"):
        assert ks.structure == "weak" and "k-means" in ks.advice
    if name == "blobs":
        assert ks.structure == "strong" and ks.advice is None


def test_structureless_table_completes_with_a_weak_verdict_not_an_error():
    out = run_segmentation(_uniform(400, seed=9), options=RunOptions(method="density"))
    assert out.result.k_selection.structure == "weak"
    assert len(out.assignments) == 400


def test_large_tables_are_fitted_on_a_sample_and_every_row_labelled(monkeypatch):
    monkeypatch.setattr(clustering, "DENSITY_FIT_ROWS", 600)
    table, truth = make_blobs_table(3000, n_features=4, k=3, seed=7)
    X = table.drop(columns="id").to_numpy()
    labels, notes = density_labels((X - X.mean(0)) / X.std(0), seed=0)
    assert len(labels) == 3000 and any("fitted on 600 sampled rows" in n for n in notes)
    kept = labels >= 0
    assert kept.mean() > 0.9 and adjusted_rand_score(truth[kept], labels[kept]) > 0.95
