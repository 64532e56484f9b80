"""Segments as rules: fit the tree, move thresholds to human numbers, read one rule per segment.

The tree is fitted on ORIGINAL units (filled, one-hot), so thresholds need no back-transform. Every
figure (fidelity, precision, coverage) is measured on the final rules, evaluated from their clauses.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .rules import Condition, clauses_mask, simplify
from .thresholds import gap_around, round_candidates, shortest_between
from .tree import RuleTree, apply_tree, fit_rows, fit_tree, leaf_segments, prune

ROUNDING_TOLERANCE = 0.005   # fidelity the rounded rules may give up, in share of rows
MAX_DEPTH = 6


@dataclass
class Explanation:
    """Rules per segment, each row's segment by rule, and how faithful the rules are."""

    clauses: dict[int, list[list[Condition]]]
    segment: np.ndarray
    fidelity: float
    depth: int
    leaves: int
    notes: list[str] = field(default_factory=list)


def _exact_thresholds(tree: RuleTree, X: np.ndarray, columns) -> RuleTree:
    """Move each numeric threshold to the shortest number with the same split of all rows."""
    tree = tree.copy()
    sorted_cache = {}
    for node in tree.internal:
        col = tree.feature[node]
        if columns[col].level is not None or columns[col].other:
            tree.threshold[node] = 0.5
            continue
        if col not in sorted_cache:
            sorted_cache[col] = np.unique(X[:, col])
        gap = gap_around(sorted_cache[col], tree.threshold[node])
        if gap is not None:
            tree.threshold[node] = shortest_between(*gap)
    return tree


def _round_thresholds(tree: RuleTree, X: np.ndarray, y: np.ndarray, columns) -> tuple[RuleTree, int]:
    """Greedily take rounder thresholds, root first, while fidelity stays within tolerance."""
    n_nodes = len(tree.feature)
    _, base = leaf_segments(apply_tree(tree, X), y, n_nodes=n_nodes)
    rounded = 0
    for node in sorted(tree.internal):
        col = tree.feature[node]
        if columns[col].level is not None or columns[col].other:
            continue
        value = tree.threshold[node]
        spread = 0.1 * max(abs(value), float(np.ptp(X[:, col])) * 0.1)
        for candidate in round_candidates(value, spread=spread):
            trial = tree.copy()
            trial.threshold[node] = candidate
            _, fid = leaf_segments(apply_tree(trial, X), y, n_nodes=n_nodes)
            if fid >= base - ROUNDING_TOLERANCE:
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


def read_clauses(tree: RuleTree, mapping: np.ndarray, columns, features) -> dict[int, list]:
    """Walk root to leaves collecting conditions; each segment gets the conjunctions of its leaves."""
    by_name = {f.name: f for f in features}
    clauses: dict[int, list] = {}

    def walk(node: int, path: list[Condition]) -> None:
        if tree.feature[node] < 0:
            conj = simplify(path)
            if conj is not None and mapping[node] >= 0:
                clauses.setdefault(int(mapping[node]), []).append(conj)
            return
        column = columns[tree.feature[node]]
        go_left, go_right = _split_conditions(column, by_name[column.feature], tree.threshold[node])
        walk(tree.left[node], path + [go_left])
        walk(tree.right[node], path + [go_right])

    walk(0, [])
    return clauses


def _fit_covering(X, y, *, depth: int, seed: int, notes: list[str]):
    """Fit, growing the depth until every segment owns a leaf (or the cap is reached)."""
    rows = fit_rows(len(X), seed=seed)
    wanted = set(np.unique(y).tolist())
    needed = max(depth, math.ceil(math.log2(max(len(wanted), 2))))
    if needed > depth:
        notes.append(f"rule depth raised from {depth} to {needed}: {len(wanted)} segments need "
                     f"at least {len(wanted)} leaves")
    for d in range(needed, max(needed, MAX_DEPTH) + 1):
        tree = fit_tree(X[rows], y[rows], depth=d, seed=seed)
        mapping, _ = leaf_segments(apply_tree(tree, X), y, n_nodes=len(tree.feature))
        if wanted <= set(mapping[tree.feature < 0].tolist()):
            break
        if d < max(needed, MAX_DEPTH):
            notes.append(f"rule depth raised to {d + 1} so every segment owns a rule")
    return tree, rows


def explain_segments(prepared, y: np.ndarray, *, depth: int, seed: int) -> Explanation:
    """Rules for the segments `y` (segment id per row) over the prepared rule matrix."""
    X, columns, notes = prepared.tree_matrix, prepared.tree_columns, []
    tree, rows = _fit_covering(X, y, depth=depth, seed=seed, notes=notes)
    tree = _exact_thresholds(tree, X, columns)
    tree, rounded = _round_thresholds(tree, X[rows], y[rows], columns)
    if rounded:
        notes.append(f"{rounded} threshold(s) rounded to human numbers "
                     f"(fidelity kept within {ROUNDING_TOLERANCE:.1%})")
    mapping, _ = leaf_segments(apply_tree(tree, X), y, n_nodes=len(tree.feature))
    tree, mapping = prune(tree, mapping)
    clauses = read_clauses(tree, mapping, columns, prepared.features)
    segment = np.full(len(y), -1, dtype=np.int64)
    for seg_id, conj in clauses.items():
        segment[clauses_mask(conj, prepared.filled)] = seg_id
    missing = sorted(set(np.unique(y).tolist()) - set(clauses))
    if missing:
        notes.append("no rule selects segment(s) " + ", ".join(map(str, missing)))
    fidelity = float(np.mean(segment == y))
    return Explanation(clauses, segment, fidelity, tree.depth(), len(tree.leaves()), notes)
