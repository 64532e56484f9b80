"""Local re-optimisation: move each threshold of a tree, given all the others, while the cost falls.

A node whose children are both leaves may also change column (its best split is exact from the
bins); a higher node keeps its column and tries the nearby finer cuts, with its subtree fixed.
"""
from __future__ import annotations

import numpy as np

from .split_stats import Space, split_costs
from .tree import RuleTree

NEARBY_CUTS = 6
SWEEPS = 2


def route_from(tree: RuleTree, T: np.ndarray, start: int) -> np.ndarray:
    """The leaf each row of T reaches when it starts at node `start`."""
    node = np.full(len(T), start, dtype=np.int64)
    active = np.flatnonzero(tree.feature[node] >= 0)
    while len(active):
        here = node[active]
        go_left = T[active, tree.feature[here]] <= tree.threshold[here]
        node[active] = np.where(go_left, tree.left[here], tree.right[here])
        active = active[tree.feature[node[active]] >= 0]
    return node


def leaf_sse(X: np.ndarray, sq: np.ndarray, leaves: np.ndarray, *, min_rows: int) -> float:
    """Sum of squares of the rows about their leaf means; inf if a leaf is under `min_rows`."""
    if len(leaves) == 0:
        return float("inf")
    counts = np.bincount(leaves)
    used = counts > 0
    if counts[used].min() < min_rows:
        return float("inf")
    sums = np.column_stack([np.bincount(leaves, weights=X[:, d], minlength=len(counts))
                            for d in range(X.shape[1])])[used]
    return float(sq.sum() - (np.einsum("ij,ij->i", sums, sums) / counts[used]).sum())


def _subtree_rows(tree: RuleTree, T: np.ndarray) -> dict[int, np.ndarray]:
    """Rows reaching every node, from the root down."""
    reach = {0: np.arange(len(T))}
    for node in sorted(tree.internal):
        rows = reach[node]
        go_left = T[rows, tree.feature[node]] <= tree.threshold[node]
        reach[tree.left[node]], reach[tree.right[node]] = rows[go_left], rows[~go_left]
    return reach


def _cost_at(tree, node, rows, T, X, sq, min_rows) -> float:
    leaves = route_from(tree, T[rows], node)
    return leaf_sse(X[rows], sq[rows], leaves, min_rows=min_rows)


def _bottom_split(tree: RuleTree, node: int, rows, fine: Space, edges) -> bool:
    """Give a node over two leaves its exact best split; True if that changed it."""
    cols = np.arange(fine.codes.shape[1])
    costs = split_costs(fine, rows, cols)
    j, t = np.unravel_index(int(np.argmin(costs)), costs.shape)
    current = _cost_at(tree, node, rows, fine.T, fine.X, fine.sq, fine.min_rows)
    if not np.isfinite(costs[j, t]) or costs[j, t] >= current * (1 - 1e-9):
        return False
    tree.feature[node], tree.threshold[node] = int(j), float(edges[j][t])
    return True


def _nearby(tree: RuleTree, node: int, rows, fine: Space, edges) -> bool:
    """Try the finer cuts next to a node's threshold on its own column; True if one is cheaper."""
    col, T = tree.feature[node], fine.T[rows]
    via_left, via_right = route_from(tree, T, tree.left[node]), route_from(tree, T, tree.right[node])
    X, sq = fine.X[rows], fine.sq[rows]

    def cost(value: float) -> float:
        leaves = np.where(T[:, col] <= value, via_left, via_right)
        return leaf_sse(X, sq, leaves, min_rows=fine.min_rows)

    cut_edges = edges[col]
    at = int(np.searchsorted(cut_edges, tree.threshold[node]))
    best, start = cost(tree.threshold[node]), tree.threshold[node]
    for value in cut_edges[max(0, at - NEARBY_CUTS): at + NEARBY_CUTS + 1]:
        trial = cost(float(value))
        if trial < best * (1 - 1e-9):
            tree.threshold[node], best = float(value), trial
    return tree.threshold[node] != start


def refine(tree: RuleTree, fine: Space, edges: list[np.ndarray]) -> RuleTree:
    """The tree with thresholds (and bottom columns) moved while the cost of its leaves falls."""
    tree = tree.copy()
    for _ in range(SWEEPS):
        changed = False
        for node in sorted(tree.internal):
            rows = _subtree_rows(tree, fine.T)[node]
            bottom = tree.feature[tree.left[node]] < 0 and tree.feature[tree.right[node]] < 0
            step = _bottom_split if bottom else _nearby
            changed |= step(tree, node, rows, fine, edges)
        if not changed:
            break
    return tree
