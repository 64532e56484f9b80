"""The yes/no and categorical side of a segment profile: each level's share in a segment vs the base.

Read from the profiles' per-level shares where a run stored them, else from the stored per-segment
level counts of the distributions (older runs), so every stored run can show them. A yes/no
feature shows one level (the "yes" one, else the rarer one); a categorical feature its most
common levels. Each cell carries a score (share - base) / sqrt(base (1 - base)), on the same
footing as a numeric feature's z-score.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from segmentation.result import RunResult as Result

LEVELS_PER_FEATURE = 6
YES = {"yes", "y", "true", "1", "1.0", "t"}


@dataclass(frozen=True)
class LevelColumn:
    """One level of one feature across the segments: shares in segment order and in the base."""

    feature: str
    level: str
    base_share: float
    shares: tuple

    def score(self, share) -> float | None:
        """(share - base) / sqrt(base (1 - base)); 0 where the base does not vary."""
        if share is None:
            return None
        spread = math.sqrt(self.base_share * (1 - self.base_share))
        return (share - self.base_share) / spread if spread > 0 else 0.0


def _kinds(result: "Result") -> dict[str, str]:
    return {f.name: f.kind for f in result.dataset.features}


def _from_profiles(result: "Result", feature: str) -> tuple[list, list[dict]] | None:
    """(levels with base shares, per segment {level: share}) from the profiles, if stored."""
    entries = [next((e for e in seg.profile.categorical if e.feature == feature), None)
               for seg in result.segments]
    if any(entry is None or not entry.levels for entry in entries):
        return None
    per_segment = [{str(x.level): x.share for x in entry.levels} for entry in entries]
    return [(str(x.level), float(x.base_share or 0.0)) for x in entries[0].levels], per_segment


def _from_distributions(result: "Result", feature: str) -> tuple[list, list[dict]] | None:
    """The same from the stored level counts per segment (levels as the distributions hold them)."""
    data = result.plots.distributions.get(feature)
    if not data or data.kind == "numeric":
        return None
    counts = {int(k): v for k, v in data.counts.items()}
    total = sum(sum(c) for c in counts.values()) or 1
    levels = [str(v) for v in data.levels or []]
    base = [sum(c[i] for c in counts.values()) / total for i in range(len(levels))]
    per_segment = []
    for seg in result.segments:
        row = counts.get(seg.id)
        size = float(seg.size or (sum(row) if row else 0) or 1)
        per_segment.append({lv: (row[i] / size if row else None) for i, lv in enumerate(levels)})
    return list(zip(levels, base)), per_segment


def _shown(levels: list[tuple[str, float]], *, kind: str) -> list[tuple[str, float]]:
    """The levels a profile shows: one for yes/no, the most common ones otherwise."""
    ordered = sorted(levels, key=lambda item: -item[1])
    if kind == "binary":
        yes = [item for item in ordered if item[0].strip().lower() in YES]
        return yes[:1] or ordered[-1:]
    return ordered[:LEVELS_PER_FEATURE]


def level_columns(result: "Result") -> list[LevelColumn]:
    """Every shown level of every yes/no and categorical feature, in the dataset's feature order."""
    if not result.segments:
        return []
    out = []
    for feature, kind in _kinds(result).items():
        if kind not in ("binary", "categorical"):
            continue
        found = _from_profiles(result, feature) or _from_distributions(result, feature)
        if found is None:
            continue
        levels, per_segment = found
        for level, base in _shown(levels, kind=kind):
            out.append(LevelColumn(feature, level, base,
                                   tuple(shares.get(level) for shares in per_segment)))
    return out
