"""Which differences of a segment from the base are traits: large, and clear for the segment's size.

Large: a standardised mean difference (SMD, in base standard deviations) of at least 0.5, or a ratio
of means of at least 1.25 (or at most 1/1.25) on a non-negative measure. Clear: the difference is at
least three standard errors of a mean of that many customers drawn from the base (finite-population
corrected). On a non-negative measure a difference under 10% of the base mean is never a trait,
however narrow the base: a 4% longer tenure does not make customers "established".
"""

from __future__ import annotations

import math

SMD = 0.5
RATIO = 1.25
CLEAR_SE = 3.0
MIN_RELATIVE = 0.10
LEVEL_GAP = 0.05          # a level's share must also be 5 points above the base to count by lift
TOP_TRAITS = 5


def _standard_error(spread: float, *, size: int, total: int) -> float:
    """Standard error of a mean (or share) of `size` rows drawn without replacement from `total`."""
    if size <= 0 or total <= 1 or size >= total:
        return 0.0
    return spread * math.sqrt((total - size) / (size * (total - 1)))


def _ratio_applies(entry: dict, *, interval: bool) -> bool:
    """A ratio of means speaks only of a non-negative measure with a positive base mean."""
    base_min = entry.get("base_min")
    return (not interval and base_min is not None and base_min >= 0
            and (entry.get("base_mean") or 0) > 0 and entry.get("ratio") is not None)


def numeric_trait(entry: dict, *, size: int, total: int, interval: bool = False) -> dict | None:
    """The trait a numeric profile entry makes, with the basis it rests on ("smd" or "ratio"), or None."""
    smd, mean, base = entry.get("z"), entry.get("mean"), entry.get("base_mean")
    if smd is None or mean is None or base is None or not entry.get("base_std"):
        return None
    error = _standard_error(entry["base_std"], size=size, total=total)
    if error <= 0 or abs(mean - base) < CLEAR_SE * error:
        return None
    ratio_ok = _ratio_applies(entry, interval=interval)
    ratio = entry["ratio"] if ratio_ok else None
    if ratio is not None and abs(ratio - 1) < MIN_RELATIVE:
        return None
    by_ratio = ratio is not None and (ratio >= RATIO or ratio <= 1 / RATIO)
    if abs(smd) < SMD and not by_ratio:
        return None
    strength = max(abs(smd), SMD)  # ranked by SMD; a trait large only by its ratio ranks at 0.5
    return {"feature": entry["feature"], "direction": "high" if mean > base else "low",
            "level": None, "score": math.copysign(strength, mean - base),
            "basis": "ratio" if by_ratio else "smd", "smd": smd, "ratio": ratio}


def level_trait(entry: dict, *, size: int, total: int) -> dict | None:
    """The trait a yes/no or categorical level makes (over-represented, large and clear), or None."""
    share, base = entry.get("share"), entry.get("base_share")
    if share is None or base is None or not 0 < base < 1 or share <= base:
        return None
    error = _standard_error(math.sqrt(base * (1 - base)), size=size, total=total)
    if error <= 0 or share - base < CLEAR_SE * error:
        return None
    score = entry.get("score") or 0.0
    lift = share / base
    by_ratio = lift >= RATIO and share - base >= LEVEL_GAP
    if score < SMD and not by_ratio:
        return None
    strength = max(score, SMD)
    return {"feature": entry["feature"], "direction": "level", "level": entry["level"],
            "score": strength, "basis": "ratio" if by_ratio else "smd", "smd": score, "ratio": lift}


def distinctive(numeric: list[dict], *, levels: list[dict], size: int, total: int,
                interval=frozenset()) -> list[dict]:
    """The segment's traits, strongest first (at most five); empty for a typical segment."""
    found = [numeric_trait(entry, size=size, total=total, interval=entry["feature"] in interval)
             for entry in numeric]
    found += [level_trait(entry, size=size, total=total) for entry in levels]
    traits = [trait for trait in found if trait is not None]
    traits.sort(key=lambda trait: -round(abs(trait["score"]), 6))  # ties (a column and its copy) keep column order
    return traits[:TOP_TRAITS]
