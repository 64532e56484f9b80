"""A whole run through the core: methods, k selection, depth growth, order logs, the Result."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from explain.rules import Condition, clauses_mask
from segmentation.errors import InputError
from segmentation.orders import aggregate_orders
from segmentation.pipeline import RunOptions, run_segmentation
from segmentation.result import RunResult
from segmentation.summaries import DIRECT_MAX_ROWS
from segmentation.synthetic import make_blobs_table, make_customers, make_orders


@pytest.fixture(scope="module")
def blobs():
    return make_blobs_table(3000, n_features=6, k=4, seed=1)


@pytest.fixture(scope="module")
def auto_run(blobs):
    """`auto_run(method)`: the auto-k run of that method on the blobs, made once for the module
    (the tests only read it)."""
    made = {}

    def run(method: str):
        if method not in made:
            made[method] = run_segmentation(blobs[0], options=RunOptions(method=method,
                                                                         id_column="id"))
        return made[method]
    return run


@pytest.mark.parametrize("method", ["kmeans", "hierarchical"])
def test_auto_k_finds_the_planted_segments(blobs, auto_run, method):
    planted = blobs[1]
    out = auto_run(method)
    assert out.result.k_selection.chosen_k == 4
    assert adjusted_rand_score(planted, out.assignments["cluster"]) >= 0.9
    reason = out.result.k_selection.reason
    assert reason.startswith("k = 4") and "silhouette" in reason


def test_two_stage_on_larger_tables_keeps_k_and_a_dendrogram():
    table, planted = make_blobs_table(DIRECT_MAX_ROWS * 3, n_features=5, k=5, seed=2)
    for method in ("kmeans", "hierarchical"):
        out = run_segmentation(table, options=RunOptions(method=method, id_column="id"))
        assert out.result.k_selection.chosen_k == 5
        assert adjusted_rand_score(planted, out.assignments["cluster"]) >= 0.9
        assert out.result.k_selection.summary_points < len(table)
        dendro = out.result.plots.dendrogram
        assert sum(dendro.leaf_sizes) == len(table) and len(dendro.linkage) >= 4


def test_k_selection_has_every_figure_for_every_candidate(auto_run):
    out = auto_run("kmeans")    # the default method
    rows = out.result.k_selection.candidates
    assert [r.k for r in rows] == list(range(2, 9))     # depth 3 holds at most 8 segments
    for r in rows:
        assert r.model_fields_set >= {"inertia", "silhouette", "calinski_harabasz",
                                      "davies_bouldin", "stability", "rule_silhouette",
                                      "rule_davies_bouldin", "cost_ratio", "gap"}
    inertia = [r.inertia for r in rows]
    assert inertia[0] > inertia[2] > inertia[-1]


def test_density_marks_unusual_customers_as_their_own_group():
    table, _ = make_blobs_table(2000, n_features=4, k=3, seed=3)
    rng = np.random.default_rng(0)
    far = pd.DataFrame(rng.uniform(500, 900, size=(30, 4)), columns=table.columns[1:])
    far.insert(0, "id", np.arange(10_000, 10_030))
    table = pd.concat([table, far], ignore_index=True)
    out = run_segmentation(table, options=RunOptions(method="density", id_column="id"))
    ids = [s.id for s in out.result.segments]
    assert ids[-1] == 0 and out.result.segments[-1].name == "Unusual customers"
    assert out.result.clustering.unusual > 0
    assert (out.assignments["cluster"].iloc[-30:] == 0).mean() > 0.9
    assert "review" in out.result.segments[-1].strategy.headline.lower()


def test_a_k_beyond_the_leaves_of_the_depth_is_refused_not_deepened():
    with pytest.raises(InputError, match=r"^k: k = 6 needs a rule depth of 3: depth 2 gives at "
                                         r"most 4 segments; raise the rule depth or lower k$"):
        RunOptions(k=6, max_depth=2, id_column="id")


def test_segment_membership_is_the_rule(blobs):
    out = run_segmentation(blobs[0], options=RunOptions(id_column="id", k=4))
    table = blobs[0]
    for seg in out.result.segments:
        clauses = [[Condition.from_dict(c.to_dict()) for c in conj] for conj in seg.rule.clauses]
        mask = clauses_mask(clauses, table)
        assert (out.assignments["segment"].to_numpy()[mask] == seg.id).all()
        assert mask.sum() == seg.size


def test_result_round_trips_through_json(blobs):
    out = run_segmentation(blobs[0], options=RunOptions(id_column="id", k=3))
    text = out.result.to_json()
    back = RunResult.from_json(text)
    assert back.to_dict() == json.loads(text)
    with pytest.raises(ValueError, match="schema version"):
        RunResult.from_dict({**json.loads(text), "schema_version": 99})


def test_every_segment_has_profile_name_and_a_distinct_card():
    table, _ = make_customers(2500, seed=5)
    out = run_segmentation(table, options=RunOptions(id_column="customer_id"))
    segments = out.result.segments
    names = [s.name for s in segments]
    assert len(set(names)) == len(names)
    cards = [json.dumps(s.strategy.to_dict(), sort_keys=True) for s in segments]
    assert len(set(cards)) == len(cards)
    for s in segments:
        assert 2 <= len(s.strategy.actions) <= 4 and s.strategy.kpi
        assert s.profile.numeric


def test_order_log_runs_on_per_customer_features():
    orders = make_orders(400, seed=6)
    agg = aggregate_orders(orders, category="category")
    assert {"recency_days", "frequency", "monetary", "tenure_days"} <= set(agg.customers.columns)
    out = run_segmentation(agg.customers, options=RunOptions(id_column=agg.columns["customer"]))
    used = {f.name for f in out.result.dataset.features}
    assert "recency_days" in used and "monetary" in used
    assert len(out.assignments) == len(agg.customers)


def test_requested_feature_that_is_an_id_is_refused(blobs):
    with pytest.raises(InputError, match="cannot be a feature"):
        run_segmentation(blobs[0], options=RunOptions(features=("id", "f01")))


def test_sample_silhouette_equals_scikit_learn():
    from sklearn.metrics import silhouette_score
    from segmentation.metrics import SampleDistances

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4))
    X[:200] += 4
    labels = (np.arange(600) >= 200).astype(int) + (np.arange(600) >= 450)
    labels[5] = 3  # a singleton cluster counts as 0, as in scikit-learn
    sample = SampleDistances(X, np.arange(600))
    assert np.isclose(sample.silhouette(labels), silhouette_score(X, labels))
