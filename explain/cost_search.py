"""Threshold trees with k leaves searched for the lowest k-means cost of the leaves themselves.

`search` is exact over the binned thresholds for every depth-2 subtree (joint bins of two columns)
and looks ahead from the best depth-2 roots for deeper trees; `greedy` splits, best first, the leaf
whose split lowers the cost most. Both price a split by the sum of squares it leaves.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .split_stats import Moments, Space, joint_left_moments, left_moments, split_costs

PER_COLUMN = 4         # root cuts per column the look-ahead tries
FOCUS_COLUMNS = 8       # columns the joint (two-level) search looks at in one node
INF = float("inf")


@dataclass(frozen=True)
class Node:
    """A split `code[col] <= cut`; children None are leaves."""

    col: int
    cut: int
    left: "Node | None" = None
    right: "Node | None" = None


Options = dict   # leaves -> (cost, Node | None)


def node_leaves(node: Node | None) -> int:
    return 1 if node is None else node_leaves(node.left) + node_leaves(node.right)


def _focus(space: Space, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The columns whose best single split is cheapest here (all of them when few)."""
    if len(cols) <= FOCUS_COLUMNS:
        return cols
    best = split_costs(space, rows, cols).min(axis=1)
    return cols[np.sort(np.argsort(best, kind="stable")[:FOCUS_COLUMNS])]


def _single(space: Space, rows: np.ndarray, cols: np.ndarray) -> tuple[float, Node | None]:
    costs = split_costs(space, rows, cols)
    j, t = np.unravel_index(int(np.argmin(costs)), costs.shape)
    if not np.isfinite(costs[j, t]):
        return INF, None
    return float(costs[j, t]), Node(int(cols[j]), int(t))


def _child_splits(single: Moments, joint: Moments, total: Moments, min_rows: int):
    """Best split of the left and of the right child for every root split: (cost, argmin) each."""
    n, s, q = single.n, single.s, single.q
    root = Moments(n[:, :, None, None], s[:, :, None, None, :], q[:, :, None, None])
    col = Moments(n[None, None], s[None, None], q[None, None])
    other = col - joint
    left = joint.sse(min_rows) + (root - joint).sse(min_rows)
    right = other.sse(min_rows) + (total - root - other).sse(min_rows)
    f, w = n.shape
    left, right = left.reshape(f, w, f * w), right.reshape(f, w, f * w)
    return (left.min(axis=2), left.argmin(axis=2)), (right.min(axis=2), right.argmin(axis=2))


def depth_two(space: Space, rows: np.ndarray, cols: np.ndarray) -> tuple[Options, np.ndarray]:
    """The cheapest trees of depth <= 2 with 1..4 leaves, and each root split's best score."""
    total, mr = space.moments(rows), space.min_rows
    single = left_moments(space, rows, cols)
    sse_l, sse_r = single.sse(mr), (total - single).sse(mr)
    (best_l, arg_l), (best_r, arg_r) = _child_splits(single, joint_left_moments(space, rows, cols),
                                                     total, mr)
    w = space.width

    def child(arg: int) -> Node:
        m, u = divmod(int(arg), w)
        return Node(int(cols[m]), u)

    shapes = {2: (sse_l + sse_r, False, False), 3: (best_l + sse_r, True, False),
              -3: (sse_l + best_r, False, True), 4: (best_l + best_r, True, True)}
    found: Options = {1: (float(total.sse(1)), None)}
    for key, (cost, split_left, split_right) in shapes.items():
        j, t = np.unravel_index(int(np.argmin(cost)), cost.shape)
        if not np.isfinite(cost[j, t]):
            continue
        node = Node(int(cols[j]), int(t), child(arg_l[j, t]) if split_left else None,
                    child(arg_r[j, t]) if split_right else None)
        leaves = abs(key)
        if cost[j, t] < found.get(leaves, (INF,))[0]:
            found[leaves] = (float(cost[j, t]), node)
    score = np.minimum.reduce([sse_l + sse_r, best_l + sse_r, sse_l + best_r, best_l + best_r])
    return found, score


def _roots(score: np.ndarray, cols: np.ndarray, breadth: int) -> list[tuple[int, int]]:
    """The `breadth` best root splits by their depth-2 score, at most two cuts per column unless
    every root is asked for."""
    per_column = PER_COLUMN if breadth < score.size else score.shape[1]
    order = np.argsort(score, axis=None, kind="stable")
    picked, per_col = [], {}
    for flat in order:
        j, t = np.unravel_index(int(flat), score.shape)
        if not np.isfinite(score[j, t]) or len(picked) >= breadth:
            break
        if per_col.get(j, 0) < per_column:
            per_col[j] = per_col.get(j, 0) + 1
            picked.append((int(cols[j]), int(t)))
    return picked


def _combine(best: Options, left: Options, right: Options, split: tuple[int, int], max_leaves: int):
    for a, (ca, na) in left.items():
        for b, (cb, nb) in right.items():
            if a + b <= max_leaves and ca + cb < best.get(a + b, (INF,))[0]:
                best[a + b] = (ca + cb, Node(split[0], split[1], na, nb))


def search(space: Space, rows: np.ndarray, *, depth: int, max_leaves: int, cols: np.ndarray,
           breadth: int = 8) -> Options:
    """The cheapest tree found for every leaf count up to `max_leaves`, depth <= `depth`."""
    found: Options = {1: (float(space.moments(rows).sse(1)), None)}
    if depth == 0 or max_leaves == 1 or len(rows) < 2 * space.min_rows:
        return found
    focus = _focus(space, rows, cols)
    if depth == 1 or max_leaves == 2:
        cost, node = _single(space, rows, cols)
        if node is not None:
            found[2] = (cost, node)
        return found
    two, score = depth_two(space, rows, focus)
    found.update({k: v for k, v in two.items() if k <= max_leaves})
    if depth == 2 or max_leaves <= 2:
        return found
    for col, cut in _roots(score, focus, breadth):
        go_left = space.codes[rows, col] <= cut
        kw = dict(depth=depth - 1, max_leaves=max_leaves - 1, cols=cols, breadth=max(2, breadth // 2))
        _combine(found, search(space, rows[go_left], **kw), search(space, rows[~go_left], **kw),
                 (col, cut), max_leaves)
    return found


def greedy(space: Space, rows: np.ndarray, *, depth: int, leaves: int, cols: np.ndarray) -> Node | None:
    """Best-first splits: each step splits the leaf whose best split lowers the cost most."""
    def entry(r: np.ndarray, d: int, path: tuple):
        if d >= depth or len(r) < 2 * space.min_rows:
            return (-INF, r, d, path, None)
        cost, node = _single(space, r, cols)
        gain = float(space.moments(r).sse(1)) - cost if node is not None else -INF
        return (gain, r, d, path, node)

    frontier = [entry(rows, 0, ())]       # (gain, rows, depth, path of went-left flags, split)
    splits: dict[tuple, tuple[int, int]] = {}
    for _ in range(leaves - 1):
        i = max(range(len(frontier)), key=lambda j: frontier[j][0])
        gain, r, d, path, node = frontier[i]
        if node is None:
            break
        frontier.pop(i)
        splits[path] = (node.col, node.cut)
        go_left = space.codes[r, node.col] <= node.cut
        frontier += [entry(r[go_left], d + 1, path + (True,)), entry(r[~go_left], d + 1, path + (False,))]
    return _build(splits, ())


def _build(splits: dict, path: tuple) -> Node | None:
    if path not in splits:
        return None
    col, cut = splits[path]
    return Node(col, cut, _build(splits, path + (True,)), _build(splits, path + (False,)))
