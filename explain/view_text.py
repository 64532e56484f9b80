"""The sentences and figures-as-text a run is read by, written once for every page and the report:
shares, the tightness rules keep, the structure verdict, fills and levels of a feature.

Each function takes plain values or a Result's typed parts (read by attribute) and returns text,
never markup.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .rules import number_text

LEVELS_SHOWN = 12
VERDICTS = {"strong": "Strong structure", "moderate": "Moderate structure",
            "weak": "Weak structure"}
WEAK = ("The segments are cuts of a continuum rather than distinct groups: customers near a "
        "boundary differ little from those just across it.")
TIGHTNESS = "of the clusters' tightness"


def _ratio(value) -> float | None:
    """A positive finite number, else None."""
    if isinstance(value, bool):
        return None
    try:
        ratio = float(value)
    except (TypeError, ValueError):
        return None
    return ratio if math.isfinite(ratio) and ratio > 0 else None


def percent(x) -> str:
    """A share to one decimal for fidelity, precision, coverage: 0.996 -> '99.6%'.

    Only an exact 1 reads '100%' (0.9996 reads '99.9%'), so a rule is never shown as perfect
    when it is not.
    """
    if x is None or isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return "n/a"
    tenths = round(float(x) * 1000) / 10
    if float(x) < 1 and tenths >= 100:
        tenths = 99.9
    return f"{tenths:.1f}".removesuffix(".0") + "%"


def kept_text(cost_ratio) -> str | None:
    """The share of the clusters' tightness rules keep (1 / cost ratio, at most all of it), as
    '97.9%' (a 100% only when nothing is lost); None without a usable cost ratio."""
    ratio = _ratio(cost_ratio)
    return None if ratio is None else percent(min(1.0, 1.0 / ratio))


def tightness_sentence(cost_ratio, *, structure: str | None = None) -> str | None:
    """'These rules keep 97.9% of the clusters' tightness', or None without a cost ratio. Where
    the structure is weak, it says that the clusters themselves are no real groups, so keeping
    their tightness is no sign of any."""
    kept = kept_text(cost_ratio)
    if not kept:
        return None
    if structure == "weak":
        return (f"These rules keep {kept} {TIGHTNESS}, but on this data the clusters are cuts "
                "of a continuum too: that is no sign of real groups")
    return f"These rules keep {kept} {TIGHTNESS}"


def depth_costs_text(depth_costs) -> str | None:
    """'depth 2 keeps 71.4%, depth 3 keeps 88% of the clusters' tightness', or None."""
    if not isinstance(depth_costs, dict):
        return None
    order = sorted(depth_costs, key=lambda d: int(d) if str(d).isdigit() else 99)
    parts = [f"depth {d} keeps {kept_text(depth_costs[d])}" for d in order
             if kept_text(depth_costs[d]) is not None]
    return ", ".join(parts) + f" {TIGHTNESS}" if parts else None


@dataclass(frozen=True)
class Verdict:
    """The structure verdict as read: its kind, title, reason, and for a weak one what it means
    and what to try (`advice_lead` is '' where the advice already says it)."""

    kind: str
    title: str
    reason: str
    continuum: str | None = None
    advice: str | None = None
    advice_lead: str = ""

    @property
    def opening(self) -> tuple[str, str]:
        """(bold part, rest): the title, unless the reason itself starts with it."""
        if self.reason.lower().startswith(self.title.lower()):
            return self.title, self.reason[len(self.title):]
        return self.title + ". ", self.reason


def verdict(k_selection) -> Verdict | None:
    """The stored verdict (strong / moderate / weak), or None for a run without one."""
    kind = k_selection.structure
    if kind not in VERDICTS:
        return None
    reason = str(k_selection.structure_reason or "")
    if kind != "weak":
        return Verdict(kind=kind, title=VERDICTS[kind], reason=reason)
    advice = str(k_selection.advice or "")
    said = "continuum" in f"{reason} {advice}".lower()
    return Verdict(kind=kind, title=VERDICTS[kind], reason=reason,
                   continuum=None if said else WEAK, advice=advice or None,
                   advice_lead="" if "continuum" in advice.lower() else "What to try: ")


def fill_text(feature) -> str:
    """How many values were missing and what filled them: '12 filled with 69k (median)'."""
    missing = feature.missing or 0
    if not missing:
        return "none"
    value = feature.fill
    text = (number_text(value) if isinstance(value, (int, float)) and not isinstance(value, bool)
            else str(value))
    method = f" ({feature.fill_method})" if feature.fill_method else ""
    return f"{missing:,} filled with {text}{method}"


def levels_text(feature) -> str:
    """The levels of a categorical or binary feature (the first 12), and how many rare ones were
    grouped as other."""
    levels = [str(v) for v in feature.levels]
    more = f" and {len(levels) - LEVELS_SHOWN} more" if len(levels) > LEVELS_SHOWN else ""
    other = len(feature.other_levels)
    return (", ".join(levels[:LEVELS_SHOWN]) + more
            + (f" ({other} rare level(s) grouped as other)" if other else ""))


def transform_text(feature) -> str:
    """The feature's transform and its notes, '; '-separated."""
    parts = [feature.transform] + list(feature.notes)
    return "; ".join(str(p) for p in parts if p)
