"""Segments as rules: one leaf of a k-leaf threshold tree per segment, in the columns' own units.

The tree of lowest k-means cost is chosen (tree_choice), its thresholds moved to the numbers a person
would write (the shortest number in the data gap, whole numbers on whole-number columns, rounder
numbers where the cost moves by at most 0.5%), and each leaf read as ONE conjunction. The clusters
are the reference the rules are measured against: cost ratio and agreement.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from .rules import Condition, clauses_mask, simplify
from .thresholds import gap_around, round_candidates, shortest_between
from .tree import RuleTree, apply_tree, fit_tree
from .tree_choice import QUICK, THOROUGH, RuleData, TreeFit, best_tree

ROUNDING_TOLERANCE = 0.005   # share of the cost the rounder thresholds may add
UNUSUAL = 0                  # segment id of the rows density clustering calls unusual


@dataclass
class Explanation:
    """Rules per segment, each row's segment by rule and its matched cluster, and the figures."""

    clauses: dict[int, list[list[Condition]]]
    segment: np.ndarray
    clusters: np.ndarray
    fidelity: float
    depth: int
    leaves: int
    method: str
    cost_ratio: float | None
    candidates: dict[str, float | None] = field(default_factory=dict)
    depth_costs: dict[str, float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _is_level(column) -> bool:
    return column.level is not None or column.other


def _snap(tree: RuleTree, data: RuleData, columns) -> RuleTree:
    """Each threshold to the shortest number with the same split of all rows (0.5 on indicators)."""
    tree = tree.copy()
    for node in tree.internal:
        col = tree.feature[node]
        if _is_level(columns[col]):
            tree.threshold[node] = 0.5
            continue
        gap = gap_around(data.sorted_values(col), tree.threshold[node])
        if gap is not None:
            tree.threshold[node] = shortest_between(*gap)
    return tree


def _whole(data: RuleData, col: int) -> bool:
    values = data.sorted_values(col)
    return bool(np.all(np.mod(values, 1) == 0))


def _round(tree: RuleTree, data: RuleData, columns) -> tuple[RuleTree, int]:
    """Take rounder thresholds, root first, while the cost stays within tolerance of the snapped tree."""
    limit = data.cost(tree) * (1 + ROUNDING_TOLERANCE)
    rounded = 0
    for node in sorted(tree.internal):
        col = tree.feature[node]
        if _is_level(columns[col]):
            continue
        value, values = tree.threshold[node], data.sorted_values(col)
        spread = 0.1 * max(abs(value), float(values[-1] - values[0]) * 0.1)
        for candidate in round_candidates(value, spread=spread):
            if _whole(data, col) and candidate % 1:
                continue
            trial = tree.copy()
            trial.threshold[node] = candidate
            if data.cost(trial) <= limit:
                tree, rounded = trial, rounded + 1
                break
    return tree, rounded


def _split_conditions(column, feature, threshold: float) -> tuple[Condition, Condition]:
    """The conditions for going left and right at a node, in the column's own terms."""
    name = column.feature
    if feature.kind == "numeric":
        return Condition(name, "<=", float(threshold)), Condition(name, ">", float(threshold))
    if feature.kind == "binary":
        negative, positive = feature.levels
        return Condition(name, "==", negative), Condition(name, "==", positive)
    if column.other:
        kept = tuple(feature.levels)
        return Condition(name, "in", kept), Condition(name, "not in", kept)
    return Condition(name, "!=", column.level), Condition(name, "==", column.level)


def leaf_conjunctions(tree: RuleTree, columns, features) -> dict[int, list[Condition]]:
    """Each leaf node's conjunction, simplified (repeated bounds on a column merged)."""
    by_name = {f.name: f for f in features}
    found: dict[int, list[Condition]] = {}

    def walk(node: int, path: list[Condition]) -> None:
        if tree.feature[node] < 0:
            found[node] = simplify(path) or []
            return
        column = columns[tree.feature[node]]
        go_left, go_right = _split_conditions(column, by_name[column.feature], tree.threshold[node])
        walk(tree.left[node], path + [go_left])
        walk(tree.right[node], path + [go_right])

    walk(0, [])
    return found


def _match(leaf_of_row: np.ndarray, labels: np.ndarray, leaves: list[int]):
    """Segment ids (largest leaf first) and each cluster's id, matched to segments one to one."""
    sizes = np.array([(leaf_of_row == leaf).sum() for leaf in leaves])
    order = [leaves[i] for i in np.lexsort((np.arange(len(leaves)), -sizes))]
    classes = np.unique(labels)
    table = np.array([[np.sum((leaf_of_row == leaf) & (labels == c)) for c in classes] for leaf in order])
    rows, cols = linear_sum_assignment(-table)
    unusual_leaf = next((order[r] for r, c in zip(rows, cols) if classes[c] < 0), None)
    leaf_ids, next_id = {}, 1
    for leaf in order:
        if leaf == unusual_leaf:
            leaf_ids[leaf] = UNUSUAL
        else:
            leaf_ids[leaf], next_id = next_id, next_id + 1
    class_ids = {classes[c]: leaf_ids[order[r]] for r, c in zip(rows, cols)}
    for c in classes:
        if c not in class_ids:
            class_ids[c], next_id = (UNUSUAL, next_id) if c < 0 else (next_id, next_id + 1)
    return leaf_ids, class_ids


def _ratio(cost: float, reference: float) -> float | None:
    return float(cost / reference) if reference > 0 and np.isfinite(cost) else None


def fit_segments(data: RuleData, labels: np.ndarray, *, k: int, depth: int, seed: int,
                 breadth: int = QUICK) -> TreeFit:
    """The tree for k segments: the cheapest candidate, or CART on the labels for density runs."""
    if (labels < 0).any():
        leaves = min(len(np.unique(labels)), 2 ** depth)
        rows = data.search_rows
        tree = fit_tree(data.T[rows], labels[rows], depth=depth, seed=seed, leaves=leaves,
                        min_rows=data.coarse.min_rows)
        return TreeFit(tree, "cart", data.cost(tree), {"cart": data.cost(tree)}, {"cart": tree.depth()})
    return best_tree(data, labels, k=k, depth=depth, seed=seed, breadth=breadth)


def explain_segments(prepared, labels: np.ndarray, *, k: int, depth: int, seed: int,
                     data: RuleData | None = None, reference: np.ndarray | None = None,
                     fit: TreeFit | None = None, depth_costs: bool = True) -> Explanation:
    """Rules for k segments of the rows; `labels` are the clusters (0..k-1, -1 unusual)."""
    data = data or RuleData.build(prepared.matrix, prepared.tree_matrix, seed=seed)
    fit = fit or fit_segments(data, labels, k=k, depth=depth, seed=seed, breadth=THOROUGH)
    columns, notes = prepared.tree_columns, []
    tree = _snap(fit.tree, data, columns)
    tree, rounded = _round(tree, data, columns)
    if rounded:
        notes.append(f"{rounded} threshold(s) rounded to rounder numbers "
                     f"(cost kept within {ROUNDING_TOLERANCE:.1%})")
    leaf_of_row = apply_tree(tree, data.T)
    leaf_ids, class_ids = _match(leaf_of_row, labels, tree.leaves())
    conj = leaf_conjunctions(tree, columns, prepared.features)
    clauses = {leaf_ids[leaf]: [conj[leaf]] for leaf in tree.leaves()}
    segment = np.zeros(len(labels), dtype=np.int64)
    for seg_id, rule in clauses.items():
        segment[clauses_mask(rule, prepared.filled)] = seg_id
    clusters = np.vectorize(class_ids.get, otypes=[np.int64])(labels)
    ref_labels = labels if reference is None else reference
    ref_cost = data.labels_cost(ref_labels) if not (ref_labels < 0).any() else 0.0
    ratio = _ratio(data.cost(tree), ref_cost)
    by_depth = (_depth_costs(data, labels, k=k, depth=depth, seed=seed, ref_cost=ref_cost)
                if depth_costs and ref_cost > 0 else {})
    if by_depth:
        by_depth[str(depth)] = ratio
    return Explanation(
        clauses, segment, clusters, float(np.mean(segment == clusters)), tree.depth(),
        len(tree.leaves()), fit.method, ratio,
        {n: _ratio(c, ref_cost) for n, c in fit.costs.items()}, by_depth, notes)


def _depth_costs(data, labels, *, k, depth, seed, ref_cost) -> dict[str, float | None]:
    """The cost ratio the best tree reaches at depth 2, 3 and 4 (None where k leaves cannot fit)."""
    out = {}
    for d in (2, 3, 4):
        fit = None if 2 ** d < k or d == depth else best_tree(data, labels, k=k, depth=d, seed=seed)
        out[str(d)] = _ratio(fit.cost, ref_cost) if fit else None
    return out

