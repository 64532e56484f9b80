"""The chosen k's rules and verdict, and every other candidate k's segments for a one-click switch."""
from __future__ import annotations

import numpy as np

from explain.describe import describe_segments
from explain.rules import clauses_text
from explain.segment_rules import UNUSUAL, Explanation, explain_segments

from .rule_k import kmeans_reference
from .verdict import gap, structure_verdict


def explain_chosen(prepared, labels, record: dict, *, options, summary, data, sample) -> Explanation:
    """Rules for the chosen clusters; for k-means and Ward also the structure verdict in `record`."""
    density = bool((labels < 0).any()) or options.method == "density"
    k = int(record["chosen_k"])
    if density:
        return explain_segments(prepared, labels, k=k, depth=options.max_depth, seed=options.seed,
                                data=data, depth_costs=False)
    reference = labels if options.method == "kmeans" else kmeans_reference(summary, k, seed=options.seed)
    explained = explain_segments(prepared, labels, k=k, depth=options.max_depth, seed=options.seed,
                                 data=data, reference=reference)
    silhouette = sample.silhouette(explained.segment[sample.rows])
    row = next((r for r in record["candidates"] if r["k"] == k), {})
    gap_value = row["gap"] if "gap" in row else gap(prepared.matrix, k, seed=options.seed)
    record.update(structure_verdict(k=k, gap_value=gap_value, silhouette=silhouette,
                                    stability=record.get("stability")))
    return explained


def _option(table, prepared, explained: Explanation, *, k: int, ratio, silhouette, meanings) -> dict:
    """One candidate k as the switcher shows it: sizes, names and rules of its segments."""
    ids = sorted(int(s) for s in np.unique(explained.segment))
    specs = [{"name": f.name, "kind": f.kind} for f in prepared.features]
    names = describe_segments(table, features=specs, labels=explained.segment, segment_ids=ids,
                              unusual_id=UNUSUAL if UNUSUAL in ids else None,
                              overrides=meanings)["names"]
    n = len(explained.segment)
    segments = [{"id": s, "name": names[s], "size": int((explained.segment == s).sum()),
                 "share": float((explained.segment == s).sum() / n),
                 "rule": clauses_text(explained.clauses.get(s, []))} for s in ids]
    return {"k": int(k), "cost_ratio": ratio, "silhouette": silhouette, "segments": segments}


def k_options(table, prepared, rules: dict, chosen: Explanation, record: dict, *, options,
              data, sample) -> list[dict]:
    """Every candidate k's segments (the chosen one as explained), for the run page's switcher."""
    out = []
    meanings = dict(getattr(options, "meanings", ()) or ())
    for k in sorted(rules):
        cand = rules[k]
        explained = chosen if k == record["chosen_k"] else explain_segments(
            prepared, cand["labels"], k=k, depth=options.max_depth, seed=options.seed, data=data,
            reference=cand["reference"], fit=cand["fit"], depth_costs=False)
        silhouette = sample.silhouette(explained.segment[sample.rows])
        out.append(_option(table, prepared, explained, k=k, ratio=explained.cost_ratio,
                           silhouette=silhouette, meanings=meanings))
    return out
