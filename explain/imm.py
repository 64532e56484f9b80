"""IMM (Dasgupta, Frost, Moshkovitz, Rashtchian 2020): a threshold tree from the cluster centres.

Each node splits its centres with the cut that separates the fewest rows from their own centre
("mistakes"); mistaken rows leave the recursion. The tree has one leaf per centre; its depth is
whatever the centres need, so it is a candidate only where that depth is allowed.
"""
from __future__ import annotations

import numpy as np

from .cost_search import Node


def centre_codes(X: np.ndarray, T: np.ndarray, labels: np.ndarray, edges: list[np.ndarray]) -> np.ndarray:
    """Each cluster centre's bin per column, its X coordinate read back in T's units.

    X and T columns are monotone in each other, so a centre's coordinate is placed among the rows'
    sorted values and takes the T value found there."""
    k, q = int(labels.max()) + 1, T.shape[1]
    out = np.zeros((k, q), dtype=np.int64)
    for j in range(q):
        order = np.argsort(X[:, j], kind="stable")
        xs, ts = X[order, j], T[order, j]
        for c in range(k):
            centre = X[labels == c, j].mean()
            t_value = np.interp(centre, xs, ts)
            out[c, j] = np.searchsorted(edges[j], t_value, side="left")
    return out


def _best_cut(codes: np.ndarray, labels: np.ndarray, centres: np.ndarray, cc: np.ndarray, width: int):
    """(mistakes, column, cut) of the cut that separates the centres with the fewest mistakes."""
    best = None
    local = np.searchsorted(centres, labels)
    for j in range(codes.shape[1]):
        lo, hi = cc[centres, j].min(), cc[centres, j].max()
        if lo == hi:
            continue
        counts = np.bincount(local * width + codes[:, j],
                             minlength=len(centres) * width).reshape(len(centres), width)
        below = counts.cumsum(axis=1)[:, lo:hi]                    # rows at or below each cut
        centre_left = cc[centres, j][:, None] <= np.arange(lo, hi)[None, :]
        mistakes = np.where(centre_left, counts.sum(axis=1)[:, None] - below, below).sum(axis=0)
        t = int(np.argmin(mistakes))
        if best is None or mistakes[t] < best[0]:
            best = (float(mistakes[t]), j, lo + t)
    return best


def imm_tree(codes: np.ndarray, labels: np.ndarray, cc: np.ndarray, *, width: int) -> Node | None:
    """The IMM tree over binned columns: `codes` rows x columns, `cc` centres x columns."""

    def build(rows: np.ndarray, centres: np.ndarray) -> Node | None:
        if len(centres) <= 1:
            return None
        found = _best_cut(codes[rows], labels[rows], centres, cc, width)
        if found is None:
            return None
        _, j, cut = found
        goes_left = cc[centres, j] <= cut
        row_left = codes[rows, j] <= cut
        own_left = cc[labels[rows], j] <= cut
        keep_left, keep_right = rows[row_left & own_left], rows[~row_left & ~own_left]
        return Node(j, cut, build(keep_left, centres[goes_left]), build(keep_right, centres[~goes_left]))

    return build(np.arange(len(codes)), np.unique(labels))
