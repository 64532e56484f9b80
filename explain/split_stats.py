"""Sums per bin that price every split of a node at once: count, sum and sum of squares.

The within-segment sum of squares of a set of rows is `sumsq - |sum|^2 / count`, so the cost of all
`code <= b` splits of a column comes from cumulative sums over its bins (one pass over the rows),
and the best second-level splits from the joint bins of two columns.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass
class Moments:
    """Count, sum (vector) and sum of squared norms of sets of rows; any leading shape."""

    n: np.ndarray
    s: np.ndarray
    q: np.ndarray

    def __sub__(self, other: "Moments") -> "Moments":
        return Moments(self.n - other.n, self.s - other.s, self.q - other.q)

    def sse(self, min_rows: int) -> np.ndarray:
        """Sum of squares about the mean; inf where a set has fewer than `min_rows` rows."""
        norm = np.einsum("...p,...p->...", self.s, self.s)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = self.q - norm / self.n
        return np.where(self.n >= max(min_rows, 1), np.maximum(out, 0.0), np.inf)


@dataclass
class Space:
    """The rows a search sees: clustering coordinates X, their squared norms, and bin codes."""

    X: np.ndarray
    sq: np.ndarray
    codes: np.ndarray
    width: int
    min_rows: int
    T: np.ndarray | None = None     # the same rows in the rule columns' own units

    def moments(self, rows: np.ndarray) -> Moments:
        return Moments(np.array(float(len(rows))), self.X[rows].sum(axis=0), np.array(self.sq[rows].sum()))


def _cell_moments(space: Space, rows: np.ndarray, index: np.ndarray, n_cells: int) -> Moments:
    """Moments of the rows in each cell; `index[i]` lists the cells row i falls in."""
    n_rows, per_row = index.shape
    flat = index.ravel()
    cells_by_rows = sparse.csc_matrix((np.ones(flat.size), flat, np.arange(0, flat.size + 1, per_row)),
                                      shape=(n_cells, n_rows))
    n = np.bincount(flat, minlength=n_cells).astype("float64")
    q = np.bincount(flat, weights=np.repeat(space.sq[rows], per_row), minlength=n_cells)
    return Moments(n, np.asarray(cells_by_rows @ space.X[rows]), q)


def left_moments(space: Space, rows: np.ndarray, cols: np.ndarray) -> Moments:
    """Moments of `code <= b` for each column in `cols` and cut b: shape (f, width)."""
    f, w = len(cols), space.width
    index = space.codes[np.ix_(rows, cols)] + (np.arange(f) * w)[None, :]
    cells = _cell_moments(space, rows, index, f * w)
    p = space.X.shape[1]
    return Moments(np.cumsum(cells.n.reshape(f, w), axis=1),
                   np.cumsum(cells.s.reshape(f, w, p), axis=1),
                   np.cumsum(cells.q.reshape(f, w), axis=1))


def joint_left_moments(space: Space, rows: np.ndarray, cols: np.ndarray) -> Moments:
    """Moments of `code_j <= t and code_m <= u` for all column pairs and cuts: (f, w, f, w)."""
    f, w = len(cols), space.width
    flat = space.codes[np.ix_(rows, cols)] + (np.arange(f) * w)[None, :]
    pairs = (flat[:, :, None] * (f * w) + flat[:, None, :]).reshape(len(rows), f * f)
    cells = _cell_moments(space, rows, pairs, (f * w) ** 2)
    p = space.X.shape[1]
    n = cells.n.reshape(f, w, f, w).cumsum(axis=1).cumsum(axis=3)
    s = cells.s.reshape(f, w, f, w, p).cumsum(axis=1).cumsum(axis=3)
    q = cells.q.reshape(f, w, f, w).cumsum(axis=1).cumsum(axis=3)
    return Moments(n, s, q)


def split_costs(space: Space, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Cost (left + right sum of squares) of every split `code <= b`: shape (f, width)."""
    total = space.moments(rows)
    left = left_moments(space, rows, cols)
    return left.sse(space.min_rows) + (_broadcast(total, left.n.shape) - left).sse(space.min_rows)


def _broadcast(m: Moments, shape: tuple) -> Moments:
    p = m.s.shape[-1]
    return Moments(np.broadcast_to(m.n, shape), np.broadcast_to(m.s, shape + (p,)),
                   np.broadcast_to(m.q, shape))
