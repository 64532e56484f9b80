"""k-means, Ward and density clustering over the micro-cluster summary, with a stability check.

Each candidate k is fitted on the weighted summary (cheap whatever the row count); the chosen k is
then fitted for real: k-means refined by Lloyd steps on all rows, Ward cut on the summary's tree.
"""
from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import linkage
from sklearn.cluster import HDBSCAN, KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import KNeighborsClassifier

from .errors import InputError
from .summaries import Summary
from .ward import cut_tree_labels, weighted_ward

BOOTSTRAPS = 3
STABILITY_ROWS = 4_000      # stability is judged at this sample size, whatever the table's size
DENSITY_FIT_ROWS = 10_000
DENSITY_DIMENSIONS = 10
DENSITY_MIN_ROWS = 30        # HDBSCAN needs clusters of at least 10 rows to find two of them
DENSITY_STRONG_UNUSUAL = 0.2  # at most this share unusual (and two groups or more): strong


def ward_tree(centres: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Ward linkage of weighted points (scipy's own routine when every weight is 1)."""
    if np.all(weights == 1):
        return linkage(centres, method="ward")
    return weighted_ward(centres, weights)


def kmeans_on_summary(summary: Summary, k: int, *, seed: int, weights=None, n_init: int = 4):
    """k-means of the weighted micro-cluster centres: (labels of every micro-cluster, centres)."""
    w = summary.counts if weights is None else weights
    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(summary.centres, sample_weight=w)
    return km.predict(summary.centres), km.cluster_centers_


def _bootstrap_weights(summary: Summary, rng: np.random.Generator) -> np.ndarray:
    """Resampled weights, as if STABILITY_ROWS rows were drawn with replacement."""
    scale = min(1.0, STABILITY_ROWS / summary.counts.sum())
    return rng.poisson(summary.counts * scale).astype("float64")


def _agreement(summary: Summary, ref: np.ndarray, other: np.ndarray, sample) -> float:
    rows = summary.member[sample.rows]
    return float(adjusted_rand_score(ref[rows], other[rows]))


def kmeans_stability(summary: Summary, k: int, ref: np.ndarray, *, sample, seed: int) -> float:
    """Mean agreement (adjusted Rand) between the fit and fits on resampled data."""
    rng = np.random.default_rng(seed + 1000 * k)
    scores = []
    for b in range(BOOTSTRAPS):
        w = _bootstrap_weights(summary, rng)
        if np.count_nonzero(w) <= k:
            continue
        labels, _ = kmeans_on_summary(summary, k, seed=seed + b + 1, weights=w, n_init=1)
        scores.append(_agreement(summary, ref, labels, sample))
    return float(np.mean(scores)) if scores else 0.0


def _nearest_group(centres: np.ndarray, kept: np.ndarray, labels: np.ndarray, weights, k: int):
    """Label every point by the nearest centroid of the groups found on the kept points."""
    sums = np.zeros((k, centres.shape[1]))
    np.add.at(sums, labels, centres[kept] * weights[kept, None])
    totals = np.bincount(labels, weights=weights[kept], minlength=k)
    means = sums / np.maximum(totals, 1e-12)[:, None]
    d = ((centres[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
    return d.argmin(axis=1)


def ward_stability(summary: Summary, refs: dict[int, np.ndarray], *, sample, seed: int) -> dict:
    """Agreement of each Ward cut with the same cut of trees built on resampled data."""
    rng = np.random.default_rng(seed + 7)
    scores = {k: [] for k in refs}
    for _ in range(BOOTSTRAPS):
        w = _bootstrap_weights(summary, rng)
        kept = np.flatnonzero(w > 0)
        if len(kept) <= max(refs):
            continue
        tree = ward_tree(summary.centres[kept], w[kept])
        for k, ref in refs.items():
            cut = cut_tree_labels(tree, k)
            labels = _nearest_group(summary.centres, kept, cut, w, k)
            scores[k].append(_agreement(summary, ref, labels, sample))
    return {k: float(np.mean(v)) if v else 0.0 for k, v in scores.items()}


def refine_kmeans(X: np.ndarray, centres: np.ndarray, *, seed: int) -> np.ndarray:
    """Lloyd iterations on all rows, started from the summary's centres."""
    km = KMeans(n_clusters=len(centres), init=centres, n_init=1, max_iter=100, random_state=seed)
    return km.fit(X).labels_


def order_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0..k-1 from largest to smallest (outliers, -1, stay -1)."""
    found = labels[labels >= 0]
    ids, counts = np.unique(found, return_counts=True)
    order = ids[np.lexsort((ids, -counts))]
    mapping = np.full(labels.max() + 2, -1)
    mapping[order] = np.arange(len(order))
    return np.where(labels >= 0, mapping[labels], -1)


def _hdbscan(points: np.ndarray) -> np.ndarray:
    """HDBSCAN labels; when it finds no group at all, the one group it can find (never none)."""
    size = max(10, int(0.02 * len(points)))
    labels = HDBSCAN(min_cluster_size=size, copy=True).fit_predict(points)
    if (labels < 0).all():
        labels = HDBSCAN(min_cluster_size=size, allow_single_cluster=True,
                         copy=True).fit_predict(points)
    if (labels < 0).all():
        raise InputError("density clustering found no dense group in this data: "
                         "use the k-means or hierarchical method")
    return labels


def density_labels(X: np.ndarray, *, seed: int) -> tuple[np.ndarray, list[str]]:
    """HDBSCAN on a reduced sample, other rows labelled like their nearest sampled neighbour.

    Bounded whatever the row count: HDBSCAN sees at most DENSITY_FIT_ROWS rows in at most
    DENSITY_DIMENSIONS dimensions. Fewer than two groups is a finding (see density_verdict).
    """
    notes = []
    if len(X) < DENSITY_MIN_ROWS:
        raise InputError(f"the density method needs at least {DENSITY_MIN_ROWS} rows (this table "
                         f"has {len(X)}): use the k-means or hierarchical method")
    reduced = X
    if X.shape[1] > DENSITY_DIMENSIONS:
        reduced = PCA(n_components=DENSITY_DIMENSIONS, random_state=seed).fit_transform(X)
        notes.append(f"density clustering ran on {DENSITY_DIMENSIONS} principal components")
    rng = np.random.default_rng(seed)
    fit = np.sort(rng.choice(len(X), size=min(len(X), DENSITY_FIT_ROWS), replace=False))
    labels = _hdbscan(reduced[fit])
    if len(fit) < len(X):
        notes.append(f"density clustering fitted on {len(fit):,} sampled rows; the others take "
                     "the group of their nearest sampled neighbour")
        knn = KNeighborsClassifier(n_neighbors=1).fit(reduced[fit], labels)
        labels = knn.predict(reduced)
    return order_by_size(labels), notes


def density_verdict(labels: np.ndarray) -> tuple[str, str, str | None]:
    """(structure, reason, advice) from HDBSCAN's own labels (0..g-1, -1 outside every group).

    Weak when more than half the rows lie outside every dense group or there are fewer than two
    groups; strong when at most DENSITY_STRONG_UNUSUAL of the rows lie outside; moderate between.
    The reason speaks of rows "outside any dense group": the count of unusual customers is the
    segment's, as the rules assign it (density_counts).
    """
    n, outside = len(labels), int(np.sum(labels < 0))
    groups, held = len(np.unique(labels[labels >= 0])), n - outside
    figures = (f"density clustering (HDBSCAN) found {groups} dense group{'s' * (groups != 1)} "
               f"holding {held:,} of {n:,} customers ({held / n:.0%})")
    if groups < 2 or outside > n / 2:
        why = ("fewer than two dense groups" if groups < 2
               else "more than half the customers lie outside any dense group")
        advice = ("Try the k-means method: it gives every customer a segment and compares "
                  "several k.")
        return "weak", f"Weak structure: {figures}; {why}.", advice
    if outside <= DENSITY_STRONG_UNUSUAL * n:
        return "strong", f"Strong structure: {figures}.", None
    return "moderate", f"Moderate structure: {figures}.", None


def density_counts(labels: np.ndarray) -> dict:
    """k and the choosing-k reason of a density run from the segments' groups (-1: unusual).

    Called with the groups as the rules assign them, so its unusual count is the one every
    page states.
    """
    k, unusual = len(np.unique(labels[labels >= 0])), int(np.sum(labels < 0))
    tail = (f"{unusual:,} customers ({unusual / len(labels):.1%}) are unusual" if unusual
            else "no customer is unusual")
    return {"chosen_k": k, "reason": f"k = {k}: found by density clustering (HDBSCAN); {tail}"}


def density_record(labels: np.ndarray) -> dict:
    """The k-selection record of a density run from HDBSCAN's labels: k, reason and verdict."""
    structure, reason, advice = density_verdict(labels)
    record = {"candidates": [], "sampled": False, **density_counts(labels),
              "structure": structure, "structure_reason": reason}
    return record | ({"advice": advice} if advice else {})
