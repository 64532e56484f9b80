"""The chosen k's rules and verdict, and every other candidate k's segments for a one-click switch."""
from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from explain.describe import describe_segments
from explain.rules import clauses_text
from explain.segment_rules import UNUSUAL, Explanation, explain_segments

from .result_models import KOption, KSelection, OptionSegment
from .rule_k import kmeans_reference

NAME_ROWS = 50_000
from .verdict import gap, rule_space, structure_verdict


def explain_chosen(prepared, labels, record: KSelection, *, options, summary, data,
                   sample) -> Explanation:
    """Rules for the chosen clusters; for k-means and Ward also the structure verdict in `record`."""
    with threadpool_limits(limits=1):    # many small fits: threads cost more than they save
        return _explain_chosen(prepared, labels, record, options=options, summary=summary,
                               data=data, sample=sample)


def _explain_chosen(prepared, labels, record: KSelection, *, options, summary, data,
                    sample) -> Explanation:
    density = bool((labels < 0).any()) or options.method == "density"
    k = int(record.chosen_k)
    if density:
        return explain_segments(prepared, labels, k=k, depth=options.max_depth, seed=options.seed,
                                data=data, depth_costs=False)
    reference = labels if options.method == "kmeans" else kmeans_reference(summary, k, seed=options.seed)
    explained = explain_segments(prepared, labels, k=k, depth=options.max_depth, seed=options.seed,
                                 data=data, reference=reference)
    record.merge(_verdict(prepared, explained, record, k=k, seed=options.seed, sample=sample))
    return explained


def _rule_columns(prepared, explained: Explanation) -> tuple[list[str], np.ndarray]:
    """The features the rules speak of, and their columns of the clustering matrix."""
    used = {c.feature for conj in explained.clauses.values() for rule in conj for c in rule}
    names = [f.name for f in prepared.features if f.name in used]
    cols = np.array([j for j, col in enumerate(prepared.tree_columns) if col.feature in used])
    return names, cols


def _verdict(prepared, explained: Explanation, record: KSelection, *, k: int, seed: int,
             sample) -> dict:
    """The verdict, measured in the columns the rules use when they are a few of many."""
    X = prepared.matrix
    names, cols = _rule_columns(prepared, explained)
    if 0 < len(cols) <= X.shape[1] // 2:
        gap_value, silhouette = rule_space(X, explained.segment, cols, k=k, seed=seed)
        shown = ", ".join(names[:4]) + (" ..." if len(names) > 4 else "")
        where = f"measured in the {len(names)} column(s) the rules use ({shown}): "
    else:
        row = next((r for r in record.candidates if r.k == k), None)
        gap_value = row.gap if row is not None and row.gap is not None else gap(X, k, seed=seed)
        silhouette, where = sample.silhouette(explained.segment[sample.rows]), ""
    return structure_verdict(k=k, gap_value=gap_value, silhouette=silhouette,
                             stability=record.stability, where=where)


def _option(table, prepared, explained: Explanation, *, k: int, ratio, silhouette, meanings,
            known: dict) -> KOption:
    """One candidate k as the switcher shows it: sizes, names and rules of its segments (names from
    the profiles of a fixed sample of at most NAME_ROWS rows: a preview, not the run's cards)."""
    ids = sorted(int(s) for s in np.unique(explained.segment))
    specs = [{"name": f.name, "kind": f.kind} for f in prepared.features]
    rows = _name_rows(len(table))
    described = describe_segments(table.iloc[rows], features=specs, labels=explained.segment[rows],
                                  segment_ids=ids, unusual_id=UNUSUAL if UNUSUAL in ids else None,
                                  overrides=meanings, cards=False, meanings=known.get("meanings"))
    known["meanings"] = described["meanings"]
    names = described["names"]
    n = len(explained.segment)
    segments = [OptionSegment(id=s, name=names[s], size=int((explained.segment == s).sum()),
                              share=float((explained.segment == s).sum() / n),
                              rule=clauses_text(explained.clauses.get(s, []))) for s in ids]
    return KOption(k=int(k), cost_ratio=ratio, silhouette=silhouette, segments=segments)


def _name_rows(n: int) -> np.ndarray:
    if n <= NAME_ROWS:
        return np.arange(n)
    return np.sort(np.random.default_rng(17).choice(n, size=NAME_ROWS, replace=False))


def k_options(table, prepared, rules: dict, chosen: Explanation, record: KSelection, *, options,
              data, sample) -> list[KOption]:
    """Every candidate k's segments (the chosen one as explained), for the run page's switcher."""
    with threadpool_limits(limits=1):
        return _k_options(table, prepared, rules, chosen, record, options=options, data=data)


def _k_options(table, prepared, rules: dict, chosen: Explanation, record: KSelection, *, options,
               data) -> list[KOption]:
    out, known = [], {}
    meanings = dict(getattr(options, "meanings", ()) or ())
    for k in sorted(rules):
        cand = rules[k]
        explained = chosen if k == record.chosen_k else explain_segments(
            prepared, cand["labels"], k=k, depth=options.max_depth, seed=options.seed, data=data,
            reference=cand["reference"], fit=cand["fit"], depth_costs=False)
        silhouette = cand["metrics"]["rule_silhouette"]      # of the same tree, before rounding
        out.append(_option(table, prepared, explained, k=k, ratio=explained.cost_ratio,
                           silhouette=silhouette, meanings=meanings, known=known))
    return out
