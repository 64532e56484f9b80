"""Log axes for skewed non-negative columns (money, counts, days): which ones, and their ticks.

A column qualifies when it has no negative value, reaches at least 10 and is skewed (skewness above
1, the threshold the preparation uses to log-transform a feature). Its values are drawn at
log10(1 + x), so zeros stay on the chart, and the ticks are labelled in the column's own units.
"""
from __future__ import annotations

import math

import numpy as np

from .format import human_number

SKEW_LOG = 1.0
MIN_TOP = 10.0
MIN_VALUES = 20


def _numbers(values) -> np.ndarray:
    """The finite numbers among values (None, text and booleans left out)."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        values = values.astype(float, copy=False)
        return values[np.isfinite(values)]
    kept = [float(v) for v in values
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]
    return np.asarray(kept, dtype=float)


def skewness(values) -> float:
    """Sample skewness of the finite numbers (0 when there is no spread)."""
    known = _numbers(values)
    spread = known.std() if known.size else 0.0
    if spread == 0:
        return 0.0
    return float(((known - known.mean()) ** 3).mean() / spread ** 3)


def wants_log(values) -> bool:
    """True for a non-negative, skewed column wide enough that a linear axis crowds its points."""
    known = _numbers(values)
    if known.size < MIN_VALUES or known.min() < 0 or known.max() < MIN_TOP:
        return False
    return skewness(known) > SKEW_LOG


def to_log(value):
    """A value at its place on a log axis (log10(1 + x)); gaps and text stay as they are."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return math.log10(1.0 + max(float(value), 0.0))
    return value


def log_ticks(top: float, *, fine: bool = True) -> tuple[list[float], list[str]]:
    """Tick places and labels for a log axis up to `top`: 0, 1, 10, 100 ... (with 2 and 5 steps
    while the axis spans three decades or fewer, unless `fine` is off for a small panel)."""
    decades = max(1, math.ceil(math.log10(max(top, 1.0) + 1.0)))
    steps = (1, 2, 5) if decades <= 3 and fine else (1,)
    marks = [0.0] + [m * 10.0 ** d for d in range(decades + 1) for m in steps
                     if m * 10.0 ** d <= top * 1.05]
    return [to_log(v) for v in marks], [human_number(v) for v in marks]


def log_axis(top: float, *, fine: bool = True, **extra) -> dict:
    """A layout axis labelled in original units for values drawn with `to_log`."""
    places, labels = log_ticks(top, fine=fine)
    return {"tickmode": "array", "tickvals": places, "ticktext": labels, **extra}
