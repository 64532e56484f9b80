"""Candidate thresholds per rule column: quantile cut points that are real data values.

A split `x <= edges[b]` is the same as `code <= b`, so every search works on small integer codes and
sums per bin instead of on sorted raw values.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Bins:
    """`codes[i, j]` is row i's bin in column j; `edges[j][b]` the threshold of `code <= b`."""

    codes: np.ndarray
    edges: list[np.ndarray]
    width: int                 # bins per column, padded: max(len(edges[j])) + 1

    def threshold(self, column: int, cut: int) -> float:
        return float(self.edges[column][cut])


def column_edges(values: np.ndarray, n_bins: int) -> np.ndarray:
    """At most n_bins - 1 cut points at quantiles, each a data value below the column's maximum."""
    distinct = np.unique(values)
    if len(distinct) <= 1:
        return distinct[:0]
    if len(distinct) <= n_bins:
        return distinct[:-1]
    levels = np.arange(1, n_bins) / n_bins
    cuts = np.unique(np.quantile(values, levels, method="lower"))
    return cuts[cuts < distinct[-1]]


def bin_columns(T: np.ndarray, *, n_bins: int) -> Bins:
    """Quantile bins of every column of T (rows x rule columns)."""
    edges = [column_edges(T[:, j], n_bins) for j in range(T.shape[1])]
    codes = np.empty(T.shape, dtype=np.int32)
    for j, cut in enumerate(edges):
        codes[:, j] = np.searchsorted(cut, T[:, j], side="left")
    width = max((len(e) for e in edges), default=0) + 1
    return Bins(codes, edges, width)
