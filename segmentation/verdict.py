"""How much structure there is: strong, moderate or weak, from stated criteria, in one sentence.

Three figures: the gap (how much more k segments tighten the data than they tighten structureless
data of the same spread: a uniform reference in the data's principal axes, as in Tibshirani's gap
statistic, with the k = 1 cost as the baseline of both), the silhouette of the RULE segments, and
the stability of the clusters across resamples. Uniform noise, one Gaussian and skewed continuous
RFM tables give a gap near 0; overlapping groups about 0.2; well-separated groups 1 or more.
"""
from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

GAP_ROWS = 2_000
REFERENCES = 2
STRONG = {"gap": 0.5, "silhouette": 0.45, "stability": 0.8}
WEAK = {"gap": 0.1, "silhouette": 0.2}
ADVICE = ("These segments are cuts of a continuum rather than distinct groups: use them as tiers or "
          "ranges of their rules' columns, or try other features; do not treat them as different "
          "kinds of customer.")


def _log_tightening(X: np.ndarray, k: int, seed: int) -> float:
    """log(cost of one group / cost of k-means with k groups)."""
    total = float(((X - X.mean(axis=0)) ** 2).sum())
    inertia = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(X).inertia_
    return float(np.log(max(total, 1e-300) / max(inertia, 1e-300)))


def gaps(X: np.ndarray, ks, *, seed: int) -> dict[int, float]:
    """The gap at every k: the data's log tightening minus that of uniform references drawn once
    in its principal box (the same references for every k)."""
    rng = np.random.default_rng(seed + 3)
    rows = np.sort(rng.choice(len(X), size=min(len(X), GAP_ROWS), replace=False))
    sample = X[rows]
    distinct = len(np.unique(sample, axis=0))
    pca = PCA(random_state=seed).fit(sample)
    z = pca.transform(sample)
    refs = [pca.inverse_transform(rng.uniform(z.min(axis=0), z.max(axis=0), z.shape))
            for _ in range(REFERENCES)]
    out = {}
    with threadpool_limits(limits=1):   # small fits: threads cost more than they save
        for k in ks:
            if distinct <= k:
                out[k] = 0.0
                continue
            ref = np.mean([_log_tightening(r, k, seed + b) for b, r in enumerate(refs)])
            out[k] = _log_tightening(sample, k, seed) - float(ref)
    return out


def gap(X: np.ndarray, k: int, *, seed: int) -> float:
    """The gap at one k (see gaps)."""
    return gaps(X, [k], seed=seed)[k]


def rule_space(X: np.ndarray, segment: np.ndarray, cols: np.ndarray, *, k: int, seed: int):
    """(gap, silhouette) of the rule segments in the columns the rules use: a table whose groups
    live in 5 of 60 columns has them there, whatever the other 55 hold."""
    sub = X[:, cols]
    rows = np.random.default_rng(seed + 5).choice(len(X), size=min(len(X), GAP_ROWS), replace=False)
    labels = segment[rows]
    sil = float(silhouette_score(sub[rows], labels)) if len(np.unique(labels)) > 1 else 0.0
    return gap(sub, k, seed=seed), sil


def structure_verdict(*, k: int, gap_value: float, silhouette: float, stability: float | None,
                      where: str = "") -> dict:
    """{structure, structure_reason, advice?, figures} for k rule segments; `where` names the
    columns the figures were measured in, when not all of them."""
    stable = stability if stability is not None else 1.0
    figures = {"gap": round(gap_value, 3), "rule_silhouette": round(silhouette, 3),
               "stability": None if stability is None else round(stability, 3)}
    facts = (where + f"gap {gap_value:.2f}, where structureless data gives about 0 and {STRONG['gap']} or "
             f"more shows groups; silhouette of the rule segments {silhouette:.2f}"
             + (f"; stability across resamples {stability:.2f}" if stability is not None else ""))
    if gap_value < WEAK["gap"] or silhouette < WEAK["silhouette"]:
        reason = (f"Weak structure: {k} segments tighten this data hardly more than they would "
                  f"tighten structureless data of the same spread ({facts}).")
        return {"structure": "weak", "structure_reason": reason, "advice": ADVICE, "structure_figures": figures}
    if (gap_value >= STRONG["gap"] and silhouette >= STRONG["silhouette"]
            and stable >= STRONG["stability"]):
        reason = f"Strong structure: {k} well-separated groups that come back on resampling ({facts})."
        return {"structure": "strong", "structure_reason": reason, "structure_figures": figures}
    reason = (f"Moderate structure: {k} groups that overlap; the segments are real but their "
              f"edges are soft ({facts}).")
    return {"structure": "moderate", "structure_reason": reason, "structure_figures": figures}
