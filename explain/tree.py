"""A threshold tree over the rule matrix, held as plain arrays we can edit.

Thresholds are moved (to human numbers) in these arrays, so the rules read off the leaves are
exactly the tree that is measured.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.tree import DecisionTreeClassifier


@dataclass
class RuleTree:
    """Node arrays: `feature[i]` is a rule-matrix column or -1 at a leaf."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray

    def copy(self) -> "RuleTree":
        return RuleTree(self.feature.copy(), self.threshold.copy(), self.left.copy(), self.right.copy())

    @property
    def internal(self) -> np.ndarray:
        return np.flatnonzero(self.feature >= 0)

    def depth(self) -> int:
        def walk(node: int) -> int:
            if self.feature[node] < 0:
                return 0
            return 1 + max(walk(self.left[node]), walk(self.right[node]))
        return walk(0)

    def leaves(self) -> list[int]:
        """Leaf nodes from left to right."""
        out, stack = [], [0]
        while stack:
            node = stack.pop()
            if self.feature[node] < 0:
                out.append(node)
            else:
                stack.extend((self.right[node], self.left[node]))
        return out


def fit_tree(X: np.ndarray, y: np.ndarray, *, depth: int, seed: int, leaves: int | None = None,
             min_rows: int | None = None) -> RuleTree:
    """CART on the segment labels (at most `leaves` leaves when given); small leaves not allowed."""
    clf = DecisionTreeClassifier(max_depth=depth, max_leaf_nodes=leaves, random_state=seed,
                                 min_samples_leaf=min_rows or max(1, len(X) // 1000))
    clf.fit(X, y)
    t = clf.tree_
    return RuleTree(t.feature.astype(np.int64).copy(), t.threshold.astype("float64").copy(),
                    t.children_left.astype(np.int64).copy(), t.children_right.astype(np.int64).copy())


def apply_tree(tree: RuleTree, X: np.ndarray) -> np.ndarray:
    """The leaf each row falls in (x <= threshold goes left)."""
    node = np.zeros(len(X), dtype=np.int64)
    rows = np.arange(len(X))
    while True:
        feat = tree.feature[node]
        active = feat >= 0
        if not active.any():
            return node
        idx = rows[active]
        go_left = X[idx, feat[active]] <= tree.threshold[node[active]]
        node[idx] = np.where(go_left, tree.left[node[active]], tree.right[node[active]])
