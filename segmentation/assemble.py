"""Put a run's findings together: segment records, dataset record, chart data, assignments."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from explain.describe import describe_segments
from explain.rules import clauses_text
from explain.sql import clauses_sql
from explain.segment_rules import ROUNDING_TOLERANCE, UNUSUAL

from . import plotdata
from .clustering import density_counts
from .cleaning import id_values
from .metrics import silhouette_sample
from .plot_models import Plots
from .prepare import left_out_notes
from .result import RunResult, jsonable
from .result_models import Clustering, Column, Dataset, Dropped, Explanation, Feature, KSelection, Params
from .segment_models import Condition, Profile, Rule, Segment, Strategy


def _segment_ids(segment: np.ndarray) -> list[int]:
    """The segments the rules give rows to (1..k, then unusual): never an empty one."""
    ids = sorted(int(s) for s in np.unique(segment) if s > UNUSUAL)
    return ids + ([UNUSUAL] if (segment == UNUSUAL).any() else [])


def _density_by_rule(k_selection: KSelection, segment: np.ndarray) -> KSelection:
    """A density run's k and reason restated with the rows the rules assign (one unusual count)."""
    groups = np.where(segment > UNUSUAL, segment - 1, -1)
    restated = k_selection.model_copy(deep=True)
    restated.merge(density_counts(groups))
    return restated


CONTINUUM = ("A cut of a continuum rather than a distinct group (the structure is weak): treat it as a "
             "tier of its rule's columns. ")


def _mark_continuum(segments: list[Segment]) -> None:
    """Say on every card of a weak run that its segment is a cut, not a kind of customer."""
    for seg in segments:
        if seg.strategy is not None:
            seg.strategy.rationale = CONTINUUM + (seg.strategy.rationale or "")


def _rule_figures(seg_id: int, y: np.ndarray, segment: np.ndarray) -> dict:
    """Size by rule, and how well the rule matches the cluster (precision, coverage)."""
    by_rule, in_cluster = segment == seg_id, y == seg_id
    both = int((by_rule & in_cluster).sum())
    size = int(by_rule.sum())
    return {"size": size, "share": size / len(y), "cluster_size": int(in_cluster.sum()),
            "precision": both / size if size else None,
            "coverage": both / int(in_cluster.sum()) if in_cluster.any() else None}


def _quality(X: np.ndarray, labels: np.ndarray, *, seed: int) -> dict:
    """Silhouette (sampled), Calinski-Harabasz and Davies-Bouldin of the final clusters."""
    keep = labels >= 0
    Xk, lk = X[keep], labels[keep]
    if len(np.unique(lk)) < 2:
        return {}
    sample = silhouette_sample(len(Xk), seed=seed)
    return {"silhouette": float(silhouette_score(Xk[sample], lk[sample])),
            "silhouette_sample": int(len(sample)),
            "calinski_harabasz": float(calinski_harabasz_score(Xk, lk)),
            "davies_bouldin": float(davies_bouldin_score(Xk, lk))}


def _sse(X: np.ndarray, labels: np.ndarray) -> float:
    total = 0.0
    for lab in np.unique(labels):
        part = X[labels == lab]
        total += float(((part - part.mean(axis=0)) ** 2).sum())
    return total


def _rule(clauses, by_name: dict) -> Rule:
    """A segment's rule from its conditions: text, SQL and the conditions themselves."""
    return Rule(text=clauses_text(clauses), sql=clauses_sql(clauses, by_name),
                clauses=[[Condition.model_validate(jsonable(c.to_dict())) for c in conj]
                         for conj in clauses])


def _segments(table, prepared, y, explained, meanings=None) -> list[Segment]:
    """Segments with rule, figures, profile, name and strategy card.

    `meanings` holds the user's column -> meaning overrides (the run options' `meanings`).
    """
    ids = _segment_ids(explained.segment)
    specs = [{"name": f.name, "kind": f.kind} for f in prepared.features]
    described = describe_segments(table, features=specs, labels=explained.segment, segment_ids=ids,
                                  unusual_id=UNUSUAL if UNUSUAL in ids else None, overrides=meanings)
    profiles, names, cards = described["profiles"], described["names"], described["cards"]
    by_name = {f.name: f for f in prepared.features}
    return [Segment(id=seg_id, name=names[seg_id], **_rule_figures(seg_id, y, explained.segment),
                    rule=_rule(explained.clauses.get(seg_id, []), by_name),
                    profile=Profile.model_validate(jsonable(profiles[seg_id])),
                    strategy=Strategy.model_validate(jsonable(cards[seg_id])))
            for seg_id in ids]


def _dropped(raw, table, roles, prepared, id_column) -> list[Dropped]:
    """Duplicate rows and the columns that are no feature, each with its reason."""
    dropped = []
    if len(raw) > len(table):
        dropped.append(Dropped(what="rows", count=len(raw) - len(table), reason="exact duplicates"))
    used = {f.name for f in prepared.features}
    for name, role in roles.items():
        if name == id_column:
            dropped.append(Dropped(what="column", name=name,
                                   reason="identifies a customer: kept as the id, not a feature"))
        elif name not in used:
            dropped.append(Dropped(what="column", name=name, reason=role.reason or role.role))
    return dropped


def _dataset(raw, table, roles, prepared, id_column, notes) -> Dataset:
    return Dataset(rows_read=int(len(raw)), rows_used=int(len(table)), id_column=id_column,
                   columns=[Column.model_validate(jsonable(r.to_dict())) for r in roles.values()],
                   features=[Feature.model_validate(jsonable(f.to_dict())) for f in prepared.features],
                   dropped=_dropped(raw, table, roles, prepared, id_column),
                   suggestions=jsonable(prepared.suggestions),
                   notes=notes + left_out_notes(roles, prepared.features))


def _plots(table, prepared, summary, tree, y, segment, *, seed) -> Plots:
    numeric = [f.name for f in prepared.features if f.kind == "numeric"]
    telling = plotdata.telling_features(prepared.filled, numeric, segment)
    pair = telling[:plotdata.PAIR_FEATURES] or [f.name for f in prepared.features][:plotdata.PAIR_FEATURES]
    return Plots.model_validate(jsonable({
        "telling_features": telling,
        "points": plotdata.point_sample(table, list(dict.fromkeys(telling[:8] + pair)), segment,
                                        seed=seed),
        "distributions": plotdata.distributions(prepared.filled, prepared.features, segment),
        "correlation": plotdata.correlation(prepared.filled, numeric),
        "dendrogram": plotdata.dendrogram_data(tree, summary.member, y)}))


def _assignments(table, y, segment, names, id_column) -> pd.DataFrame:
    key = (id_values(table[id_column]).array if id_column else table.index.to_numpy() + 1)
    return pd.DataFrame({id_column or "row": key, "cluster": y, "segment": segment,
                         "segment_name": [names[s] for s in segment]})


def _explanation(X, y, explained, options) -> Explanation:
    """The rule tree that won, its cost against the clusters and its agreement with them."""
    cluster_sse = _sse(X, y)
    return Explanation.model_validate(jsonable({
        "method": explained.method, "max_depth": options.max_depth,
        "depth": explained.depth, "leaves": explained.leaves,
        "cost_ratio": explained.cost_ratio, "candidates": explained.candidates,
        "depth_costs": explained.depth_costs, "fidelity": explained.fidelity,
        "fidelity_meaning": "agreement with the unconstrained clusters",
        "cluster_cost_ratio": _sse(X, explained.segment) / cluster_sse if cluster_sse else None,
        "rounding_tolerance": ROUNDING_TOLERANCE, "notes": explained.notes}))


def _clustering(X, y, explained, k_selection: KSelection, options) -> Clustering:
    return Clustering(method=options.method, k=int(k_selection.chosen_k),
                      unusual=int((explained.segment == UNUSUAL).sum()),  # as the rules assign
                      quality=_quality(X, np.where(y > 0, y - 1, -1), seed=options.seed))


def _params(options) -> Params:
    return Params(method=options.method, k=options.k or "auto",
                  features=list(options.features or []), id_column=options.id_column,
                  max_depth=options.max_depth, seed=options.seed, source=options.source)


def build_result(*, raw, table, roles, prepared, summary, tree, y, explained,
                 k_selection: KSelection, id_column, options, notes,
                 created_at) -> tuple[RunResult, pd.DataFrame]:
    """The Result of a run and its assignments table."""
    X = prepared.matrix
    segments = _segments(table, prepared, y, explained, getattr(options, "meanings", None))
    if k_selection.structure == "weak":
        _mark_continuum(segments)
    chosen = (_density_by_rule(k_selection, explained.segment) if options.method == "density"
              else k_selection)
    result = RunResult(dataset=_dataset(raw, table, roles, prepared, id_column, notes),
                       k_selection=chosen, clustering=_clustering(X, y, explained, chosen, options),
                       explanation=_explanation(X, y, explained, options), segments=segments,
                       params=_params(options),
                       plots=_plots(table, prepared, summary, tree, y, explained.segment, seed=options.seed),
                       created_at=created_at)
    names = {s.id: s.name for s in segments}
    return result, _assignments(table, y, explained.segment, names, id_column)
