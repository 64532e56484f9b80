"""Small, stored summaries the charts are drawn from, so no page ever touches the rows.

A stratified point sample for pair plots, binned distributions per segment, the correlation of the
numeric features, and the top of the Ward tree for the dendrogram: a few hundred KB at most,
whatever the table's size.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from explain.logscale import wants_log

from .ward import condense_linkage

POINTS_PER_SEGMENT = 400
BINS = 30
DENDROGRAM_LEAVES = 60
PAIR_FEATURES = 4


def telling_features(filled: pd.DataFrame, numeric: list[str], segment: np.ndarray) -> list[str]:
    """Numeric features ordered by how much of their variance lies between segments."""
    scores = {}
    for name in numeric:
        values = filled[name].to_numpy(dtype="float64")
        total = values.var()
        if total <= 0:
            continue
        means = pd.Series(values).groupby(segment).transform("mean").to_numpy()
        scores[name] = float(means.var() / total)
    return sorted(scores, key=lambda n: -scores[n])


def point_sample(table: pd.DataFrame, columns: list[str], segment: np.ndarray, *, seed: int) -> dict:
    """Up to POINTS_PER_SEGMENT rows of each segment, in original units (gaps left as None)."""
    rng = np.random.default_rng(seed + 3)
    picked = []
    for seg in np.unique(segment):
        rows = np.flatnonzero(segment == seg)
        if len(rows) > POINTS_PER_SEGMENT:
            rows = np.sort(rng.choice(rows, size=POINTS_PER_SEGMENT, replace=False))
        picked.append(rows)
    rows = np.concatenate(picked) if picked else np.array([], dtype=int)
    frame = table.iloc[rows][columns]
    return {"columns": columns,
            "values": {c: frame[c].astype("object").where(frame[c].notna(), None).tolist()
                       for c in columns},
            "segment": segment[rows].tolist(),
            "rows_total": int(len(segment))}


def bin_edges(values: np.ndarray) -> tuple[np.ndarray, str]:
    """BINS bins even in the values ("linear"), or even in log10(1 + x) ("log") for a skewed
    non-negative column, whose linear bins would put nearly every customer in the first one."""
    if not wants_log(values):
        return np.histogram_bin_edges(values, bins=BINS), "linear"
    top = np.log10(1.0 + np.nanmax(values))
    edges = 10.0 ** np.linspace(np.log10(1.0 + np.nanmin(values)), top, BINS + 1) - 1.0
    edges[0], edges[-1] = np.nanmin(values), np.nanmax(values)
    return edges, "log"


def distributions(filled: pd.DataFrame, features: list, segment: np.ndarray) -> dict:
    """Per feature: bin edges (numeric) or levels, and counts per segment."""
    out = {}
    segs = np.unique(segment)
    for feature in features:
        column = filled[feature.name]
        if feature.kind == "numeric":
            values = column.to_numpy(dtype="float64")
            edges, scale = bin_edges(values)
            counts = {int(s): np.histogram(values[segment == s], bins=edges)[0].tolist() for s in segs}
            out[feature.name] = {"kind": "numeric", "edges": edges.tolist(), "counts": counts,
                                 "scale": scale}
        else:
            levels = column.value_counts().index[:12].tolist()
            counts = {int(s): [int(((column == lv).to_numpy() & (segment == s)).sum()) for lv in levels]
                      for s in segs}
            out[feature.name] = {"kind": feature.kind, "levels": [str(v) for v in levels],
                                 "counts": counts}
    return out


def correlation(filled: pd.DataFrame, numeric: list[str]) -> dict:
    """Pearson correlation of the numeric features (on up to 200k rows)."""
    if len(numeric) < 2:
        return {"features": numeric, "matrix": [[1.0]] if numeric else []}
    matrix = filled[numeric].head(200_000).corr().fillna(0.0).to_numpy()
    return {"features": numeric, "matrix": np.round(matrix, 4).tolist()}


def dendrogram_data(tree: np.ndarray, member: np.ndarray, segment: np.ndarray) -> dict:
    """The top of the Ward tree: merges, leaf sizes and each leaf's main segment."""
    m = len(tree) + 1
    condensed, leaf_of = condense_linkage(tree, p=min(DENDROGRAM_LEAVES, m))
    row_leaf = leaf_of[member]
    p = len(condensed) + 1
    sizes = np.bincount(row_leaf, minlength=p)
    main = []
    for leaf in range(p):
        segs = segment[row_leaf == leaf]
        main.append(int(np.bincount(segs - segs.min()).argmax() + segs.min()) if len(segs) else -1)
    return {"linkage": np.round(condensed, 6).tolist(), "leaf_sizes": sizes.tolist(),
            "leaf_segments": main}
