"""Human thresholds: the shortest number that splits the data the same way, and rounder ones.

A tree's threshold (68,450.5) can move anywhere between the two data values around it without
changing a single row's side; the shortest decimal in that gap (68k, say) is then free. Rounder still
numbers (70k) move rows and are only taken when the fidelity stays within tolerance.
"""
from __future__ import annotations

import math

import numpy as np


def _decimal(value: float) -> float:
    """Drop binary noise: 0.30000000000000004 -> 0.3."""
    return float(f"{value:.12g}")


def shortest_between(lo: float, hi: float) -> float:
    """The number with fewest significant digits in [lo, hi) (lo < hi); among those, a multiple
    of 5 or 2 in its last digit when there is one (0.25 rather than 0.24)."""
    top = max(abs(lo), abs(hi), 1e-300)
    for digits in range(-int(math.floor(math.log10(top))) - 1, 18):
        step = 10.0 ** (-digits)
        for mult in (10, 5, 2, 1):
            candidate = _decimal(math.ceil(lo / (step * mult)) * step * mult)
            if lo <= candidate < hi:
                return candidate
    return lo


def gap_around(sorted_values: np.ndarray, threshold: float) -> tuple[float, float] | None:
    """The data values just at or below and just above a threshold; None if one side is empty."""
    i = int(np.searchsorted(sorted_values, threshold, side="right"))
    if i == 0 or i == len(sorted_values):
        return None
    return float(sorted_values[i - 1]), float(sorted_values[i])


def round_candidates(value: float, *, spread: float) -> list[float]:
    """Rounder numbers near `value`, roundest first, no further away than `spread`."""
    if value == 0 or spread <= 0:
        return []
    top = int(math.floor(math.log10(abs(value))))
    found = []
    for exponent in range(top + 1, top - 3, -1):
        for mult in (1.0, 5.0, 2.5, 2.0):
            step = mult * 10.0 ** exponent
            candidate = _decimal(round(value / step) * step)
            if abs(candidate - value) <= spread and candidate not in found and candidate != value:
                found.append(candidate)
    return found
