"""A shallow decision tree over the rule matrix, held as plain arrays we can edit.

Thresholds are moved (to human numbers) and sibling leaves of one segment are merged in these
arrays, so the rules read off them are exactly the tree that is measured.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.tree import DecisionTreeClassifier

FIT_ROWS = 200_000


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


def fit_rows(n: int, *, seed: int, limit: int = FIT_ROWS) -> np.ndarray:
    """Rows the tree is fitted on: all of them, or a fixed-seed sample of large tables."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed + 2).choice(n, size=limit, replace=False))


def fit_tree(X: np.ndarray, y: np.ndarray, *, depth: int, seed: int) -> RuleTree:
    """CART of the given depth on the segment labels; small leaves are not allowed."""
    clf = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=max(1, len(X) // 1000),
                                 random_state=seed)
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


def leaf_segments(leaves: np.ndarray, y: np.ndarray, *, n_nodes: int) -> tuple[np.ndarray, float]:
    """Majority segment of each leaf (-1 where empty) and the share of rows it gets right."""
    classes, codes = np.unique(y, return_inverse=True)
    counts = np.zeros((n_nodes, len(classes)), dtype=np.int64)
    np.add.at(counts, (leaves, codes), 1)
    best = counts.argmax(axis=1)
    mapping = np.where(counts.sum(axis=1) > 0, classes[best], -1)
    return mapping, float(counts.max(axis=1).sum() / max(len(y), 1))


def prune(tree: RuleTree, mapping: np.ndarray) -> tuple[RuleTree, np.ndarray]:
    """Merge sibling leaves that name the same segment (or are empty), bottom up."""
    tree, mapping = tree.copy(), mapping.copy()
    changed = True
    while changed:
        changed = False
        for node in tree.internal:
            left, right = tree.left[node], tree.right[node]
            if tree.feature[left] >= 0 or tree.feature[right] >= 0:
                continue
            a, b = mapping[left], mapping[right]
            if a == b or a < 0 or b < 0:
                tree.feature[node] = -1
                mapping[node] = a if a >= 0 else b
                changed = True
    return tree, mapping
