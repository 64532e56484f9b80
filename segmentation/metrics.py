"""Quality of a partition: inertia, silhouette (sampled), Calinski-Harabasz, Davies-Bouldin.

Inertia and Calinski-Harabasz come exactly from the micro-cluster summary; Davies-Bouldin is one
linear pass over all rows; silhouette is quadratic, so it is measured on a fixed-seed sample.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import pairwise_distances

from .summaries import CHUNK, Summary

SILHOUETTE_SAMPLE = 4_000


def silhouette_sample(n: int, *, seed: int, size: int = SILHOUETTE_SAMPLE) -> np.ndarray:
    """The fixed rows silhouette (and stability) are measured on."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed + 1).choice(n, size=size, replace=False))


class SampleDistances:
    """Distances among the fixed silhouette sample, computed once and reused for every k."""

    def __init__(self, X: np.ndarray, sample: np.ndarray):
        self.rows = sample
        self.distances = pairwise_distances(X[sample])

    def silhouette(self, labels: np.ndarray) -> float:
        """Mean silhouette of the sample under `labels` (the labels of the sampled rows)."""
        codes, labels = np.unique(labels, return_inverse=True)
        if len(codes) < 2:
            return 0.0
        onehot = np.zeros((len(labels), len(codes)))
        onehot[np.arange(len(labels)), labels] = 1.0
        sums = self.distances @ onehot
        counts = onehot.sum(axis=0)
        own = counts[labels]
        a = sums[np.arange(len(labels)), labels] / np.maximum(own - 1, 1)
        means = sums / counts
        means[np.arange(len(labels)), labels] = np.inf
        b = means.min(axis=1)
        s = (b - a) / np.maximum(np.maximum(a, b), 1e-300)
        return float(np.where(own > 1, s, 0.0).mean())


def _cluster_stats(summary: Summary, micro_labels: np.ndarray, k: int):
    weights = np.bincount(micro_labels, weights=summary.counts, minlength=k)
    sums = np.zeros((k, summary.centres.shape[1]))
    np.add.at(sums, micro_labels, summary.centres * summary.counts[:, None])
    centres = sums / np.maximum(weights, 1e-12)[:, None]
    return weights, centres


def inertia_of(summary: Summary, micro_labels: np.ndarray, k: int) -> float:
    """Exact within-cluster sum of squares of the rows, from the summary."""
    _, centres = _cluster_stats(summary, micro_labels, k)
    diff = summary.centres - centres[micro_labels]
    return summary.within_sse + float((summary.counts * np.einsum("ij,ij->i", diff, diff)).sum())


def total_sse(summary: Summary) -> float:
    """Sum of squares of all rows about the grand mean."""
    return inertia_of(summary, np.zeros(summary.size, dtype=np.int64), 1)


def davies_bouldin_rows(X: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Davies-Bouldin index on all rows (mean distance to own centre as each cluster's scatter)."""
    counts = np.bincount(labels, minlength=k).astype("float64")
    sums = np.column_stack([np.bincount(labels, weights=X[:, d], minlength=k) for d in range(X.shape[1])])
    centres = sums / np.maximum(counts, 1)[:, None]
    scatter = np.zeros(k)
    for start in range(0, len(X), CHUNK):
        part = labels[start:start + CHUNK]
        dist = np.linalg.norm(X[start:start + CHUNK] - centres[part], axis=1)
        scatter += np.bincount(part, weights=dist, minlength=k)
    scatter /= np.maximum(counts, 1)
    gaps = np.linalg.norm(centres[:, None, :] - centres[None, :, :], axis=2)
    np.fill_diagonal(gaps, np.inf)
    ratio = (scatter[:, None] + scatter[None, :]) / gaps
    return float(np.max(ratio, axis=1).mean())


def partition_metrics(X: np.ndarray, summary: Summary, micro_labels: np.ndarray, *, k: int,
                      sample: SampleDistances, total: float) -> dict:
    """All four quality figures of one partition of the rows, given by its micro-cluster labels."""
    n = len(X)
    labels = micro_labels[summary.member]
    inertia = inertia_of(summary, micro_labels, k)
    between = max(total - inertia, 0.0)
    ch = (between / (k - 1)) / (inertia / (n - k)) if inertia > 0 and n > k else float("inf")
    sil = sample.silhouette(labels[sample.rows])
    return {
        "k": int(k),
        "inertia": float(inertia),
        "silhouette": sil,
        "calinski_harabasz": float(ch),
        "davies_bouldin": davies_bouldin_rows(X, labels, k),
    }
