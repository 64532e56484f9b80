"""Near-duplicate numeric columns (call minutes and the charge computed from them, a balance and
its copy in another currency): which pairs move together so closely that one adds nothing.

The measure is Spearman's rank correlation on the values with gaps filled by the median (as they
are prepared), on a fixed-seed sample of at most SAMPLE_ROWS rows. Ranks, because both the rules
(thresholds) and the log transform of skewed columns are monotone: a twin through any monotone map
cuts the rows exactly as the original does. Of a pair, the column with fewer missing values is
kept, then the one that comes first in the table.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NEAR_DUPLICATE_R = 0.95
SAMPLE_ROWS = 200_000
SAMPLE_SEED = 0


def r_text(r: float) -> str:
    """The correlation as written in reasons: two decimals, three where two would read 0.95."""
    text = f"{r:.2f}"
    return f"{r:.3f}" if abs(float(text)) <= NEAR_DUPLICATE_R else text


@dataclass(frozen=True)
class Twin:
    """A column left out as the near duplicate of a kept one, and why that one was kept."""

    kept: str
    r: float
    why: str

    def reason(self) -> str:
        return (f"near duplicate of '{self.kept}' (Spearman r = {r_text(self.r)}); "
                f"'{self.kept}' is kept ({self.why})")


def _sample(frame: pd.DataFrame) -> pd.DataFrame:
    """At most SAMPLE_ROWS rows, the same ones for the same table, gaps filled with the median."""
    if len(frame) > SAMPLE_ROWS:
        rows = np.sort(np.random.default_rng(SAMPLE_SEED).choice(len(frame), SAMPLE_ROWS,
                                                                  replace=False))
        part = frame.iloc[rows]
    else:
        part = frame
    part = part.astype("float64")
    gaps = [name for name, any_gap in part.isna().any().items() if any_gap]
    return part.fillna(frame[gaps].median()) if gaps else part


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of one column, ties sharing their average rank."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    average = np.cumsum(counts) - (counts - 1) / 2.0
    return average[inverse.ravel()]


def rank_correlation(frame: pd.DataFrame) -> np.ndarray:
    """Spearman's correlation between the columns (0 where a column is constant in the sample)."""
    sample = _sample(frame)
    if sample.shape[1] < 2 or len(sample) < 3:
        return np.eye(sample.shape[1])
    ranks = np.column_stack([_ranks(sample[name].to_numpy()) for name in sample.columns])
    ranks -= ranks.mean(axis=0)
    norms = np.sqrt((ranks ** 2).sum(axis=0))
    norms[norms == 0] = np.inf
    scaled = ranks / norms
    return np.clip(scaled.T @ scaled, -1.0, 1.0)


def near_duplicate_pairs(frame: pd.DataFrame) -> list[tuple[str, str, float]]:
    """(a, b, r) for every pair of columns with |r| above NEAR_DUPLICATE_R, in table order."""
    names = list(frame.columns)
    if len(names) < 2:
        return []
    corr = rank_correlation(frame)
    return [(names[i], names[j], float(corr[i, j]))
            for i in range(len(names)) for j in range(i + 1, len(names))
            if abs(corr[i, j]) > NEAR_DUPLICATE_R]


def _why(kept: int, dropped: int, missing: list[int]) -> str:
    if missing[kept] < missing[dropped]:
        return f"it has fewer missing values: {missing[kept]:,} against {missing[dropped]:,}"
    return "it comes first in the table"


def resolve(frame: pd.DataFrame) -> dict[str, Twin]:
    """The columns to leave out, each with the kept column it duplicates.

    Columns are visited by fewest missing values, then table order; one is kept unless it is a near
    duplicate of a column already kept (then the closest such column is named).
    """
    names = list(frame.columns)
    if len(names) < 2:
        return {}
    corr = rank_correlation(frame)
    missing = [int(v) for v in frame.isna().sum().to_numpy()]
    kept: list[int] = []
    twins: dict[str, Twin] = {}
    for i in sorted(range(len(names)), key=lambda c: (missing[c], c)):
        close = [j for j in kept if abs(corr[i, j]) > NEAR_DUPLICATE_R]
        if not close:
            kept.append(i)
            continue
        j = max(close, key=lambda c: (abs(corr[i, c]), -c))
        twins[names[i]] = Twin(names[j], float(corr[i, j]), _why(j, i, missing))
    return {name: twins[name] for name in names if name in twins}
