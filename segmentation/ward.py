"""Ward linkage on weighted points (micro-cluster centres), in scipy's linkage format.

scipy's `linkage` has no weights, so large runs use this nearest-neighbour-chain Ward: each centre
starts as a cluster of its weight (the rows it stands for), and merge heights are on scipy's Ward
scale, so with all weights 1 the result equals `scipy.cluster.hierarchy.linkage(X, "ward")`.

Column 3 of the linkage counts leaves (centres), not weight: scipy's `is_valid_linkage`, and so
`fcluster` and `dendrogram`, reject counts above the number of leaves. `merged_weights` gives the
weight (rows) of every merged cluster.
"""
from __future__ import annotations

import operator

import numpy as np
from scipy.cluster.hierarchy import is_valid_linkage
from scipy.spatial.distance import cdist

from segmentation.errors import InputError

BLOCK_ROWS = 512    # rows of the distance matrix weighted at once, so temporaries stay small
MAX_DISTANCE = 1e150    # squares of larger distances overflow in the Lance-Williams update


def weighted_ward(centres: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Ward linkage of `centres` weighted by `weights`, as a scipy linkage matrix of shape (m-1, 4).

    Heights are scipy's Ward distances between the weighted clusters; column 3 counts centres.
    """
    centres, weights = _check_points(centres, weights)
    dist = _initial_distances(centres, weights)
    pairs, heights = _nn_chain(dist, weights.copy())
    heights = _monotone(pairs, heights, len(weights))
    return _scipy_order(pairs, heights, len(weights))


def merged_weights(Z: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Total starting weight of the cluster each row of Z forms, shape (m-1,): rows per merge."""
    Z = _check_linkage(Z)
    m = len(Z) + 1
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (m,):
        raise InputError(f"weights has shape {weights.shape} but the linkage has {m} leaves; "
                         "pass one weight per leaf.")
    node = np.concatenate([weights, np.zeros(m - 1)])
    children = Z[:, :2].astype(np.intp)
    for i, (a, b) in enumerate(children):
        node[m + i] = node[a] + node[b]
    return node[m:]


def cut_tree_labels(Z: np.ndarray, k: int) -> np.ndarray:
    """Labels 0..k-1 of the m leaves when the tree is cut into exactly k clusters.

    The last k-1 merges are undone (the same partition as `fcluster(Z, k, "maxclust")` when the
    heights at the cut are distinct); labels are numbered by first appearance over the leaves.
    """
    Z = _check_linkage(Z)
    m = len(Z) + 1
    k = _check_count(k, name="k", low=1, high=m)
    return _first_appearance(_leaf_roots(Z, m - k))


def condense_linkage(Z: np.ndarray, *, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep the top p-1 merges of Z (like dendrogram's truncate_mode="lastp") over p pseudo-leaves.

    Returns (Zp, leaf_members): Zp of shape (p-1, 4) in scipy format, its column 3 counting
    pseudo-leaves, and for each original leaf the pseudo-leaf 0..p-1 it falls in.
    """
    Z = _check_linkage(Z)
    m = len(Z) + 1
    p = _check_count(p, name="p", low=2, high=None)
    if p >= m:
        return Z.copy(), np.arange(m)
    roots = _leaf_roots(Z, m - p)
    members = _first_appearance(roots)
    new_id = np.full(2 * m - 1, -1, dtype=np.intp)
    new_id[roots] = members
    new_id[2 * m - p:] = p + np.arange(p - 1)
    children = np.sort(new_id[Z[m - p:, :2].astype(np.intp)], axis=1)
    Zp = np.column_stack([children.astype(np.float64), Z[m - p:, 2], _leaf_counts(children, p)])
    return Zp, members


def _check_points(centres, weights) -> tuple[np.ndarray, np.ndarray]:
    """Centres as an (m, d) float array and weights as (m,), or InputError saying what is wrong."""
    centres = np.asarray(centres, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    if centres.ndim != 2 or centres.shape[1] == 0:
        raise InputError(f"centres must be a 2-D array (points x features); got shape "
                         f"{centres.shape}.")
    if weights.ndim != 1 or len(weights) != len(centres):
        raise InputError(f"weights must be 1-D with one weight per centre ({len(centres)}); "
                         f"got shape {weights.shape}.")
    if len(centres) < 2:
        raise InputError(f"Ward linkage needs at least 2 centres; got {len(centres)}.")
    if not np.isfinite(centres).all():
        raise InputError("centres contain NaN or infinite values; fill or drop them first.")
    if not (np.isfinite(weights).all() and (weights > 0).all()):
        raise InputError("weights must be finite and greater than 0; drop empty micro-clusters.")
    return centres, weights


def _initial_distances(centres: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Ward distances sqrt(2 w_i w_j / (w_i + w_j)) ||c_i - c_j||, inf on the diagonal.

    Their squares are twice Ward's merge cost; with weights 1 they are scipy's pdist distances.
    """
    dist = cdist(centres, centres, "euclidean")
    for start in range(0, len(weights), BLOCK_ROWS):
        w = weights[start:start + BLOCK_ROWS, None]
        dist[start:start + BLOCK_ROWS] *= np.sqrt(2.0 * w * weights / (w + weights))
    if not dist.max() <= MAX_DISTANCE:
        raise InputError("distances between centres are too large to square without overflow; "
                         "scale the features first.")
    np.fill_diagonal(dist, np.inf)
    return dist


def _nn_chain(dist: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge pairs (slot x < slot y, in merge order) and their heights; dist and size consumed.

    The merged cluster takes slot y and slot x is retired, as in scipy's nn_chain.
    """
    m = len(size)
    pairs = np.empty((m - 1, 2), dtype=np.intp)
    heights = np.empty(m - 1)
    active = np.ones(m, dtype=bool)
    chain: list[int] = []
    for k in range(m - 1):
        if not chain:
            chain.append(int(np.argmax(active)))
        x, y = _reciprocal_pair(dist, chain)
        del chain[-2:]
        x, y = min(x, y), max(x, y)
        pairs[k] = x, y
        heights[k] = dist[x, y]
        _merge(dist, size, x, y)
        active[x] = False
    return pairs, heights


def _reciprocal_pair(dist: np.ndarray, chain: list[int]) -> tuple[int, int]:
    """Grow the chain of nearest neighbours until its last two are each other's nearest.

    Ties keep the previous chain element, then the lowest index (scipy's order).
    """
    while True:
        x = chain[-1]
        row = dist[x]
        y = int(row.argmin())
        if len(chain) > 1 and row[chain[-2]] <= row[y]:
            return x, chain[-2]
        chain.append(y)


def _merge(dist: np.ndarray, size: np.ndarray, x: int, y: int) -> None:
    """Lance-Williams Ward update: slot y becomes x+y, slot x is retired (its row set to inf).

    D(i, x+y)^2 = ((w_i+w_x) D(i,x)^2 + (w_i+w_y) D(i,y)^2 - w_i D(x,y)^2) / (w_i+w_x+w_y),
    evaluated in scipy's order of operations so that unit weights reproduce its heights exactly.
    """
    nx, ny, d_xy = size[x], size[y], dist[x, y]
    t = 1.0 / ((nx + ny) + size)
    new = _scaled_square(size + nx, t, dist[x])
    new += _scaled_square(size + ny, t, dist[y])
    new -= _scaled_square(size, t, d_xy)
    np.maximum(new, 0.0, out=new)
    np.sqrt(new, out=new)
    new[x] = new[y] = np.inf
    dist[y, :] = new
    dist[:, y] = new
    dist[x, :] = np.inf
    dist[:, x] = np.inf
    size[y] = nx + ny


def _scaled_square(coef: np.ndarray, t: np.ndarray, d) -> np.ndarray:
    """coef * t * d * d, multiplied left to right."""
    out = coef * t
    out *= d
    out *= d
    return out


def _monotone(pairs: np.ndarray, heights: np.ndarray, m: int) -> np.ndarray:
    """Raise each height to at least its children's, so rounding cannot put a parent first."""
    last = np.full(m, -1, dtype=np.intp)
    for k, (x, y) in enumerate(pairs):
        for child in (last[x], last[y]):
            if child >= 0 and heights[child] > heights[k]:
                heights[k] = heights[child]
        last[y] = k
    return heights


def _scipy_order(pairs: np.ndarray, heights: np.ndarray, m: int) -> np.ndarray:
    """Sort merges by height (stable) and number clusters m, m+1, ... in that order."""
    order = np.argsort(heights, kind="mergesort")
    node = np.arange(m)
    count = np.ones(2 * m - 1)
    Z = np.empty((m - 1, 4))
    for i, (x, y) in enumerate(pairs[order]):
        a, b = sorted((int(node[x]), int(node[y])))
        count[m + i] = count[a] + count[b]
        Z[i] = a, b, heights[order[i]], count[m + i]
        node[y] = m + i
    return Z


def _check_linkage(Z) -> np.ndarray:
    """Z as a float array in scipy's linkage format with rows sorted by height, or InputError."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[1] != 4 or len(Z) == 0 or not is_valid_linkage(Z):
        raise InputError("Z is not a valid scipy linkage matrix; build it with weighted_ward "
                         "or scipy.cluster.hierarchy.linkage.")
    if (np.diff(Z[:, 2]) < 0).any():
        raise InputError("Z's rows are not sorted by height; sort them as scipy's linkage does.")
    return Z


def _check_count(value, *, name: str, low: int, high: int | None) -> int:
    """An integer number of clusters in [low, high], or InputError."""
    try:
        value = operator.index(value)
    except TypeError:
        raise InputError(f"{name} must be an integer; got {value!r}.") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InputError(f"{name} must be {bound}; got {value}.")
    return value


def _leaf_roots(Z: np.ndarray, n_merges: int) -> np.ndarray:
    """For each leaf, the id of its cluster once the first n_merges rows of Z are applied."""
    m = len(Z) + 1
    parent = np.arange(2 * m - 1)
    children = Z[:n_merges, :2].astype(np.intp)
    parent[children[:, 0]] = m + np.arange(n_merges)
    parent[children[:, 1]] = m + np.arange(n_merges)
    while True:
        jumped = parent[parent]
        if np.array_equal(jumped, parent):
            return parent[:m]
        parent = jumped


def _first_appearance(ids: np.ndarray) -> np.ndarray:
    """Renumber ids 0, 1, ... in order of first appearance."""
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.intp)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[inverse]


def _leaf_counts(children: np.ndarray, p: int) -> np.ndarray:
    """Leaves under each merge of a linkage over p leaves, given its child ids."""
    count = np.ones(2 * p - 1)
    for i, (a, b) in enumerate(children):
        count[p + i] = count[a] + count[b]
    return count[p:]
