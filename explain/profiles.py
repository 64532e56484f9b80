"""Segment profiles: how each segment differs from the whole customer base, in original units.

Numeric features compare the segment's mean and median with the base (all rows of the table), as a
z-score (difference of means in base standard deviations, population std) and a ratio. Categorical
and binary features report the level most over-represented in the segment, with its share, lift and
score (share - base share) / sqrt(base share * (1 - base share)), comparable to a z-score. Shares of a
level are taken among the rows where the feature is known. Rows are sorted by segment once and levels
counted with bincount, so a million rows take well under a second.
"""

import math

import numpy as np
import pandas as pd

from .errors import InputError
from .traits import distinctive

_KINDS = ("numeric", "categorical", "binary")
_MIN_LEVEL_SHARE = 0.2
_MAX_LEVELS = 12


def build_profiles(
    table: pd.DataFrame,
    *,
    features: list[dict],
    labels: np.ndarray,
    segment_ids: list[int],
    interval=frozenset(),
) -> dict[int, dict]:
    """Profile each segment against the whole table: size, numeric contrasts, dominant levels, top traits.

    Returns {segment_id: {"size", "share", "numeric", "categorical", "distinctive"}}, JSON-ready.
    `interval` names features on an interval scale (scores, ratings, age): no ratio is cited for them.
    """
    labels = _check_inputs(table, features=features, labels=labels, segment_ids=segment_ids)
    seg_index = pd.Index(list(segment_ids)).get_indexer(labels)
    sizes = np.bincount(seg_index[seg_index >= 0], minlength=len(segment_ids))
    numeric_cols = [f["name"] for f in features if f["kind"] == "numeric"]
    level_cols = [f["name"] for f in features if f["kind"] != "numeric"]
    numeric = _numeric_entries(table, cols=numeric_cols, seg_index=seg_index,
                               n_segments=len(segment_ids))
    levels = _level_entries(table, cols=level_cols, seg_index=seg_index, n_segments=len(segment_ids))
    total = len(table)
    profiles = {}
    for pos, seg in enumerate(segment_ids):
        seg_numeric = [entries[pos] for entries in numeric]
        seg_levels = [entries[pos] for entries in levels]
        profiles[int(seg)] = {
            "size": int(sizes[pos]),
            "share": float(sizes[pos] / total) if total else 0.0,
            "numeric": seg_numeric,
            "categorical": seg_levels,
            "distinctive": distinctive(seg_numeric, levels=seg_levels, size=int(sizes[pos]),
                                       total=total, interval=frozenset(interval)),
        }
    return profiles


def _check_inputs(table, *, features, labels, segment_ids) -> np.ndarray:
    """Validate the arguments a caller controls; return the labels as a 1-d array."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != len(table):
        raise InputError(
            f"labels has {labels.size} entries but the table has {len(table)} rows; "
            "pass one segment id per row of the table"
        )
    if len(set(segment_ids)) != len(segment_ids):
        raise InputError("segment_ids contains duplicates; list each segment id once")
    for feature in features:
        _check_feature(table, feature=feature)
    return labels


def _check_feature(table: pd.DataFrame, *, feature: dict) -> None:
    """Raise InputError unless the feature names a column of the table with a known kind."""
    name, kind = feature.get("name"), feature.get("kind")
    if name not in table.columns:
        raise InputError(f"feature {name!r} is not a column of the table; check the feature list")
    if kind not in _KINDS:
        raise InputError(f"feature {name!r} has kind {kind!r}; use one of {', '.join(_KINDS)}")
    if kind == "numeric" and not pd.api.types.is_numeric_dtype(table[name]):
        raise InputError(
            f"feature {name!r} is declared numeric but holds text; "
            "convert it to numbers or declare it categorical"
        )


def _clean(x) -> float | None:
    """A plain Python float, or None for NaN/inf/None."""
    if x is None:
        return None
    value = float(x)
    return value if math.isfinite(value) else None


def _numeric_entries(table, *, cols, seg_index, n_segments) -> list[list[dict]]:
    """Per numeric feature, one entry per segment (in segment_ids order) with mean/median/z/ratio.

    Rows are sorted by segment once; each segment is then a contiguous block of every column.
    """
    order = np.argsort(seg_index, kind="stable")
    sorted_index = seg_index[order]
    starts = np.searchsorted(sorted_index, np.arange(n_segments), side="left")
    ends = np.searchsorted(sorted_index, np.arange(n_segments), side="right")
    entries = []
    for col in cols:
        values = table[col].to_numpy(dtype=float, na_value=np.nan)
        base = _center_spread(values)
        blocks = values[order]
        entries.append([
            _numeric_entry(col, segment=_center_spread(blocks[start:end]), base=base)
            for start, end in zip(starts, ends)
        ])
    return entries


def _center_spread(values: np.ndarray) -> tuple:
    """(mean, median, population std, min) of the finite values, or Nones when there are none."""
    known = values[np.isfinite(values)]
    if known.size == 0:
        return None, None, None, None
    return float(known.mean()), float(np.median(known)), float(known.std()), float(known.min())


def _numeric_entry(col: str, *, segment: tuple, base: tuple) -> dict:
    """One numeric profile entry; z is 0 when the base has no spread, ratio None when base mean is 0."""
    base_mean, base_median, base_std, base_min = base
    mean, median = _clean(segment[0]), _clean(segment[1])
    z = ratio = None
    if mean is not None and base_mean is not None:
        z = (mean - base_mean) / base_std if base_std else 0.0
        ratio = mean / base_mean if base_mean != 0 else None
    return {
        "feature": col, "mean": mean, "median": median,
        "base_mean": base_mean, "base_median": base_median, "base_std": base_std, "base_min": base_min,
        "z": _clean(z), "ratio": _clean(ratio),
    }


def _level_entries(table, *, cols, seg_index, n_segments) -> list[list[dict]]:
    """Per categorical/binary feature, one entry per segment with its most over-represented level."""
    entries = []
    for col in cols:
        codes, uniques = pd.factorize(table[col], use_na_sentinel=True)
        n_levels = max(len(uniques), 1)
        keep = (codes >= 0) & (seg_index >= 0)
        counts = np.bincount(
            seg_index[keep] * n_levels + codes[keep], minlength=n_segments * n_levels
        ).reshape(n_segments, n_levels)
        base = np.bincount(codes[codes >= 0], minlength=n_levels).astype(float)
        base_share = base / base.sum() if base.sum() else base
        entries.append(
            [_level_entry(col, counts=counts[pos], base_share=base_share, uniques=uniques)
             for pos in range(n_segments)]
        )
    return entries


def _level_entry(col: str, *, counts: np.ndarray, base_share: np.ndarray, uniques) -> dict:
    """The level with the highest lift among those holding >= 20% of the segment, else the most frequent."""
    known = counts.sum()
    if known == 0:
        return {"feature": col, "level": None, "share": None, "base_share": None, "lift": None,
                "score": None, "levels": _level_shares(counts, base_share=base_share,
                                                       uniques=uniques)}
    share = counts / known
    eligible = share >= _MIN_LEVEL_SHARE
    if eligible.any():
        lift = np.divide(share, base_share, out=np.zeros_like(share), where=base_share > 0)
        pick = int(np.argmax(np.where(eligible, lift, -1.0)))
    else:
        pick = int(np.argmax(share))
    s, b = float(share[pick]), float(base_share[pick])
    spread = math.sqrt(b * (1 - b))
    return {
        "feature": col, "level": _plain_level(uniques[pick]), "share": s, "base_share": b,
        "lift": s / b if b > 0 else None, "score": (s - b) / spread if spread > 0 else 0.0,
        "levels": _level_shares(counts, base_share=base_share, uniques=uniques),
    }


def _level_shares(counts: np.ndarray, *, base_share: np.ndarray, uniques) -> list[dict]:
    """Every level's share in the segment and in the base, most common in the base first (at most
    _MAX_LEVELS); the segment's share is None when it has no known value."""
    known = counts.sum()
    order = np.argsort(-base_share, kind="stable")[:_MAX_LEVELS]
    return [{"level": _plain_level(uniques[i]), "base_share": float(base_share[i]),
             "share": float(counts[i] / known) if known else None} for i in order]


def _plain_level(value):
    """A level as a JSON-ready Python value (numpy scalars unwrapped, whole floats as int)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
