"""Micro-cluster summaries: the few thousand weighted points the rest of a large run works on.

Count, centre and within-scatter per micro-cluster are all that k-means on the weighted centres,
Ward on the weighted centres and the exact inertia of any grouping of micro-clusters need. Small
tables skip the summary: every row is its own micro-cluster.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances_argmin

DIRECT_MAX_ROWS = 5_000     # up to this many rows, work on the rows themselves
MICRO_CLUSTERS = 1_000      # micro-clusters for larger tables
FIT_SAMPLE = 40_000         # rows the micro-cluster centres are first fitted on
CHUNK = 65_536


@dataclass
class Summary:
    """Weighted points standing for the rows; `member[i]` is row i's micro-cluster."""

    centres: np.ndarray
    counts: np.ndarray
    member: np.ndarray
    within_sse: float          # scatter inside the micro-clusters, part of every inertia
    direct: bool               # True when each row is its own micro-cluster

    @property
    def size(self) -> int:
        return len(self.counts)


def _assign(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Nearest centre of every row, in chunks so memory stays flat."""
    out = np.empty(len(X), dtype=np.int64)
    for start in range(0, len(X), CHUNK):
        out[start:start + CHUNK] = pairwise_distances_argmin(X[start:start + CHUNK], centres)
    return out


def _exact_stats(X: np.ndarray, member: np.ndarray, m: int):
    """Counts, centres and within-scatter of a given partition, computed in one pass."""
    counts = np.bincount(member, minlength=m).astype("float64")
    sums = np.column_stack([np.bincount(member, weights=X[:, d], minlength=m) for d in range(X.shape[1])])
    keep = counts > 0
    centres = sums[keep] / counts[keep, None]
    remap = np.cumsum(keep) - 1
    total_sq = float(np.einsum("ij,ij->", X, X))
    within = total_sq - float((counts[keep] * np.einsum("ij,ij->i", centres, centres)).sum())
    return centres, counts[keep], remap[member], max(within, 0.0)


def summarize(X: np.ndarray, *, seed: int, micro_clusters: int = MICRO_CLUSTERS) -> Summary:
    """Summarise the rows of X (already scaled) as weighted micro-clusters."""
    n = len(X)
    if n <= DIRECT_MAX_ROWS:
        return Summary(X.copy(), np.ones(n), np.arange(n), 0.0, True)
    m = min(micro_clusters, n // 5)
    rng = np.random.default_rng(seed)
    fit_rows = X[rng.choice(n, size=min(n, FIT_SAMPLE), replace=False)]
    km = KMeans(n_clusters=m, init="random", n_init=1, max_iter=20, random_state=seed)
    km.fit(fit_rows)
    member = _assign(X, km.cluster_centers_)
    centres, counts, member, within = _exact_stats(X, member, m)
    return Summary(centres, counts, member, within, False)
