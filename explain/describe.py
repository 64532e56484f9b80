"""Profiles, names and strategy cards of a run's segments, read with each column's meaning.

The meanings are inferred from the table (explain.meaning) with the user's overrides on top; the
base's own figures the words rest on (near-duplicate columns, the usual gap between orders) are
measured here once, so names and cards agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .meaning import apply_overrides, confident, infer_meanings
from .names import name_segments
from .profiles import build_profiles
from .states import load_playbook
from .strategy import lead_features, strategy_cards

RELATED_R = 0.95


def related_pairs(table: pd.DataFrame, columns: list[str]) -> frozenset:
    """(first, second) pairs of numeric columns, in table order, correlated beyond |r| 0.95
    (a charge computed from the minutes ...)."""
    if len(columns) < 2:
        return frozenset()
    values = table[columns].apply(pd.to_numeric, errors="coerce")
    with np.errstate(invalid="ignore", divide="ignore"):
        r = values.corr().to_numpy()
    pairs = set()
    for i, first in enumerate(columns):
        for j in range(i + 1, len(columns)):
            if np.isfinite(r[i, j]) and abs(r[i, j]) > RELATED_R:
                pairs.add((first, columns[j]))
    return frozenset(pairs)


def typical_gap(table: pd.DataFrame, meanings: dict[str, str]) -> float | None:
    """The base's median days between orders ((tenure - recency) / (orders - 1)), or None."""
    columns = {meaning: column for column, meaning in reversed(list(meanings.items()))}
    if not {"recency", "tenure", "frequency"} <= set(columns):
        return None
    part = table[[columns["recency"], columns["tenure"], columns["frequency"]]].apply(
        pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    recency, tenure, orders = part.T
    keep = np.isfinite(part).all(axis=1) & (orders >= 2) & (tenure >= recency)
    if keep.sum() < 10:
        return None
    gap = float(np.median((tenure[keep] - recency[keep]) / (orders[keep] - 1)))
    return gap if gap > 0 else None


def describe_segments(table: pd.DataFrame, *, features: list[dict], labels, segment_ids: list[int],
                      unusual_id: int | None = None, overrides: dict | None = None,
                      playbook: dict | None = None, cards: bool = True,
                      meanings: dict | None = None) -> dict:
    """{"profiles", "names", "cards", "meanings"} of the segments; `overrides` is column -> meaning.

    `cards=False` leaves the strategy cards out (names only, e.g. for a preview of another k);
    `meanings` passes the meanings a previous call returned, so they are not inferred again."""
    playbook = playbook or load_playbook()
    names_list = [f["name"] for f in features]
    if meanings is None:
        meanings = apply_overrides(infer_meanings(table, columns=names_list, playbook=playbook),
                                   overrides, playbook=playbook)
    sure = confident(meanings, playbook=playbook)
    interval = {m["meaning"] for m in playbook["meanings"] if m.get("interval")}
    profiles = build_profiles(table, features=features, labels=labels, segment_ids=segment_ids,
                              interval=frozenset(c for c, m in sure.items() if m in interval))
    numeric = [f["name"] for f in features if f["kind"] == "numeric"]
    words = {"meanings": sure, "related": related_pairs(table, numeric),
             "typical_gap": typical_gap(table, sure), "playbook": playbook}
    leads = {seg: lead_features(profile, **words) for seg, profile in profiles.items()
             if seg != unusual_id}
    names = name_segments(profiles, unusual_id=unusual_id, leads=leads, **words)
    made = strategy_cards(profiles, names=names, unusual_id=unusual_id, **words) if cards else {}
    return {"profiles": profiles, "names": names, "cards": made, "meanings": meanings}
