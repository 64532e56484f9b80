"""Choose the number of segments: score every candidate k, pick one and say why in a sentence."""
from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from .clustering import kmeans_on_summary, kmeans_stability, ward_stability
from .metrics import partition_metrics
from .summaries import Summary
from .ward import cut_tree_labels

K_RANGE = range(2, 11)
STABLE = 0.8


def kmeans_candidates(X, summary: Summary, ks, *, sample, total, seed, progress=None) -> dict:
    """For each k: micro-cluster labels, centres and the quality figures (stability included)."""
    found = {}
    for i, k in enumerate(ks):
        with threadpool_limits(limits=1):  # small fits: thread start-up costs more than it saves
            labels, centres = kmeans_on_summary(summary, k, seed=seed)
            metrics = partition_metrics(X, summary, labels, k=k, sample=sample, total=total)
            metrics["stability"] = kmeans_stability(summary, k, labels, sample=sample, seed=seed)
        found[k] = {"labels": labels, "centres": centres, "metrics": metrics}
        if progress:
            progress((i + 1) / len(ks), f"k = {k}")
    return found


def ward_candidates(X, summary: Summary, tree, ks, *, sample, total, seed, progress=None) -> dict:
    """For each k: the Ward cut's micro-cluster labels and its quality figures."""
    found = {}
    for i, k in enumerate(ks):
        labels = cut_tree_labels(tree, k)
        found[k] = {"labels": labels,
                    "metrics": partition_metrics(X, summary, labels, k=k, sample=sample, total=total)}
        if progress:
            progress((i + 1) / len(ks), f"k = {k}")
    with threadpool_limits(limits=1):
        stability = ward_stability(summary, {k: c["labels"] for k, c in found.items()},
                                   sample=sample, seed=seed)
    for k, value in stability.items():
        found[k]["metrics"]["stability"] = value
    return found


def _ranks(values: np.ndarray, *, higher_better: bool) -> np.ndarray:
    order = np.argsort(-values if higher_better else values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    return ranks


CRITERIA = (("silhouette", True, "highest silhouette"),
            ("calinski_harabasz", True, "highest Calinski-Harabasz"),
            ("davies_bouldin", False, "lowest Davies-Bouldin"),
            ("stability", True, "most stable"))


def choose_k(table: list[dict], *, criteria=CRITERIA) -> tuple[int, str]:
    """The k with the best mean rank over the criteria, among stable candidates if any."""
    pool = [row for row in table if row["stability"] >= STABLE] or table
    ranks = np.zeros(len(pool))
    for name, higher, _ in criteria:
        ranks += _ranks(np.array([row[name] for row in pool]), higher_better=higher)
    order = np.lexsort((np.array([row["k"] for row in pool]),
                        -np.array([row["silhouette"] for row in pool]), ranks))
    best = pool[order[0]]
    return best["k"], _reason(best, pool, table, runner_up=pool[order[1]] if len(pool) > 1 else None,
                              criteria=criteria)


def _reason(best: dict, pool: list[dict], table: list[dict], *, runner_up, criteria) -> str:
    """One sentence citing the figures the choice rests on."""
    wins = [label for name, higher, label in criteria
            if best[name] == (max if higher else min)(row[name] for row in pool)]
    ks = [row["k"] for row in table]
    lead = (" and ".join(wins) if wins else f"best average rank over the {len(criteria)} criteria")
    text = (f"k = {best['k']}: {lead} among k = {min(ks)}-{max(ks)} "
            f"(silhouette {best['silhouette']:.2f}, Davies-Bouldin {best['davies_bouldin']:.2f}, "
            f"stability {best['stability']:.2f})")
    if len(pool) < len(table):
        text += f"; k values with stability below {STABLE} were set aside"
    if runner_up is not None:
        text += f"; next best k = {runner_up['k']} (silhouette {runner_up['silhouette']:.2f})"
    return text + "."
