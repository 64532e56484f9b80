"""Pick the k-leaf threshold tree of lowest cost among the searches, IMM and CART.

Every candidate is priced the same way: the within-segment sum of squares, in the clustering space,
of the segments its leaves make, on one fixed evaluation sample. Only trees within the depth asked
for, with k leaves of at least 1% of the rows each, can win.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .bins import bin_columns
from .cost_search import Node, greedy, search
from .imm import centre_codes, imm_tree
from .refine import leaf_sse, refine
from .split_stats import Space
from .tree import RuleTree, apply_tree, fit_tree

SEARCH_ROWS = 20_000       # rows the searches see
QUICK_ROWS = 5_000         # rows the quick search for every candidate k sees
EVAL_ROWS = 50_000         # rows every candidate is priced on
COARSE_BINS = 16           # thresholds per column in the exhaustive two-level search (32 if <= 6 columns)
FINE_BINS = 64             # thresholds per column for greedy splits, IMM and re-optimisation
MIN_SHARE = 0.01           # no segment under this share of the rows
QUICK = 4                  # root splits the look-ahead tries for every candidate k
THOROUGH = 16              # ... and for the chosen k
REFINED = 3                # cheapest candidates re-optimised locally (1 for the quick search)
INF = float("inf")


def _sample(n: int, size: int, seed: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


@dataclass
class RuleData:
    """The rows the tree searches and prices use, binned once per run and shared by every k."""

    X: np.ndarray
    T: np.ndarray
    search_rows: np.ndarray
    eval_rows: np.ndarray
    coarse: Space
    fine: Space
    coarse_edges: list
    fine_edges: list
    quick: Space               # 16 bins a column: the quick search for every candidate k ...
    quick_edges: list
    quick_rows: np.ndarray     # ... on at most QUICK_ROWS of the search rows (every m-th)
    _sorted: dict = field(default_factory=dict)
    _quick: dict = field(default_factory=dict)     # depth -> (leaves searched for, trees found)

    @classmethod
    def build(cls, X: np.ndarray, T: np.ndarray, *, seed: int) -> "RuleData":
        search_rows = _sample(len(X), SEARCH_ROWS, seed + 11)
        eval_rows = _sample(len(X), EVAL_ROWS, seed + 12)
        Xs, Ts = X[search_rows], T[search_rows]
        sq = np.einsum("ij,ij->i", Xs, Xs)
        min_rows = max(1, math.ceil(MIN_SHARE * len(Xs)))
        quick = bin_columns(Ts, n_bins=COARSE_BINS)
        coarse = bin_columns(Ts, n_bins=COARSE_BINS * 2) if T.shape[1] <= 6 else quick
        fine = bin_columns(Ts, n_bins=FINE_BINS)
        space = lambda b, m=min_rows: Space(Xs, sq, b.codes, b.width, m, Ts)    # noqa: E731
        quick_rows = np.arange(0, len(Xs), math.ceil(len(Xs) / QUICK_ROWS))
        return cls(X, T, search_rows, eval_rows, space(coarse), space(fine), coarse.edges,
                   fine.edges, space(quick, max(1, math.ceil(MIN_SHARE * len(quick_rows)))),
                   quick.edges, quick_rows)

    def sorted_values(self, col: int) -> np.ndarray:
        """Distinct values of a rule column over all rows (cached: thresholds snap to them)."""
        if col not in self._sorted:
            self._sorted[col] = np.unique(self.T[:, col])
        return self._sorted[col]

    def quick_search(self, *, depth: int, leaves: int) -> dict:
        """The quick search's cheapest tree for every leaf count up to `leaves`. The search prices
        leaves, not labels, so one search serves every candidate k (kept: larger asks first)."""
        done, found = self._quick.get(depth, (0, {}))
        if done < leaves:
            found = search(self.quick, self.quick_rows, depth=depth, max_leaves=leaves,
                           cols=np.arange(self.T.shape[1]), breadth=QUICK)
            self._quick[depth] = (leaves, found)
        return found

    def cost(self, tree: RuleTree, *, rows: np.ndarray | None = None) -> float:
        """The k-means cost of the tree's leaves on the evaluation rows (inf if a leaf is too small)."""
        rows = self.eval_rows if rows is None else rows
        X = self.X[rows]
        leaves = apply_tree(tree, self.T[rows])
        return leaf_sse(X, np.einsum("ij,ij->i", X, X), leaves,
                        min_rows=max(1, math.ceil(MIN_SHARE * len(rows))))

    def labels_cost(self, labels: np.ndarray) -> float:
        """The cost of a given partition of all rows, on the evaluation rows."""
        X = self.X[self.eval_rows]
        return leaf_sse(X, np.einsum("ij,ij->i", X, X), labels[self.eval_rows], min_rows=1)


def node_tree(node: Node | None, edges: list) -> RuleTree:
    """A search's tree as node arrays with thresholds in the columns' own units."""
    feature, threshold, left, right = [], [], [], []

    def add(n: Node | None) -> int:
        i = len(feature)
        feature.append(-1 if n is None else n.col)
        threshold.append(-2.0 if n is None else float(edges[n.col][n.cut]))
        left.append(-1)
        right.append(-1)
        if n is not None:
            left[i], right[i] = add(n.left), add(n.right)
        return i

    add(node)
    return RuleTree(np.array(feature, dtype=np.int64), np.array(threshold),
                    np.array(left, dtype=np.int64), np.array(right, dtype=np.int64))


def _imm(data: RuleData, labels: np.ndarray) -> RuleTree | None:
    rows = data.search_rows
    y = labels[rows]
    if (y < 0).any() or len(np.unique(y)) < 2:
        return None
    _, y = np.unique(y, return_inverse=True)
    cc = centre_codes(data.X[rows], data.T[rows], y, data.fine_edges)
    return node_tree(imm_tree(data.fine.codes, y, cc, width=data.fine.width), data.fine_edges)


def candidates(data: RuleData, labels: np.ndarray, *, k: int, depth: int, seed: int,
               breadth: int = QUICK) -> dict:
    """Every candidate tree by name (IMM also where its depth is too great: the caller checks)."""
    rows, cols = np.arange(len(data.search_rows)), np.arange(data.T.shape[1])
    thorough = breadth >= THOROUGH
    if thorough:
        edges = data.coarse_edges
        found = search(data.coarse, rows, depth=depth, max_leaves=k, cols=cols, breadth=breadth)
    else:
        edges, found = data.quick_edges, data.quick_search(depth=depth, leaves=k)
    trees = {}
    if k in found:
        trees["search"] = node_tree(found[k][1], edges)
    if thorough:
        trees["greedy"] = node_tree(greedy(data.fine, rows, depth=depth, leaves=k, cols=cols),
                                    data.fine_edges)
    trees["cart"] = fit_tree(data.T[data.search_rows], labels[data.search_rows], depth=depth,
                             seed=seed, leaves=k, min_rows=data.coarse.min_rows)
    imm = _imm(data, labels)
    if imm is not None:
        trees["imm"] = imm
    return trees


def _eligible(tree: RuleTree, *, k: int, depth: int) -> bool:
    return tree.depth() <= depth and len(tree.leaves()) == k


@dataclass
class TreeFit:
    """The winning tree, its name and cost, and every candidate's cost (inf: not eligible)."""

    tree: RuleTree
    method: str
    cost: float
    costs: dict[str, float]
    depths: dict[str, int]


def best_tree(data: RuleData, labels: np.ndarray, *, k: int, depth: int, seed: int,
              breadth: int = QUICK) -> TreeFit:
    """The eligible candidate of lowest cost: depth <= `depth`, exactly k leaves, none too small.

    The cheapest eligible candidates are then re-optimised locally and compete as well; `breadth`
    is how many root splits the look-ahead search tries (THOROUGH for the chosen k)."""
    trees = candidates(data, labels, k=k, depth=depth, seed=seed, breadth=breadth)
    costs = {n: data.cost(t) if _eligible(t, k=k, depth=depth) else INF for n, t in trees.items()}
    how_many = REFINED if breadth >= THOROUGH else 1
    for name in sorted((n for n in costs if np.isfinite(costs[n])), key=costs.get)[:how_many]:
        refined = refine(trees[name], data.fine, data.fine_edges)
        trees[name + "+refine"], costs[name + "+refine"] = refined, data.cost(refined)
    depths = {n: t.depth() for n, t in trees.items()}
    finite = {n: c for n, c in costs.items() if np.isfinite(c)}
    if not finite:    # too few distinct rows for k leaves: the largest tree the search found
        name = max(trees, key=lambda n: (trees[n].depth() <= depth, len(trees[n].leaves())))
        return TreeFit(trees[name], name, data.cost(trees[name]), costs, depths)
    name = min(finite, key=lambda n: (finite[n], n))
    return TreeFit(trees[name], name, finite[name], costs, depths)
