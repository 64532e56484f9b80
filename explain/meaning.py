"""What each column measures (monetary, recency, credit rating, complaints ...), with a confidence.

A meaning is recognised from the column's name (the playbook's patterns, matched on the humanised,
lower-case name) and checked against its values: a 300-850 integer "rating" is a credit rating, a
1-5 one is satisfaction; a "ratio" outside 0-1 is not a share. Pure: it reads only what it is given.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from explain.errors import InputError
from explain.format import humanize_name

UNKNOWN = "other"
_NAME_ONLY = 0.6        # a name match with nothing in the values to confirm or contradict it
_CONFIRMED = 0.9        # a name match whose values fit a specific check (range, yes/no)
_PLAUSIBLE = 0.75       # a name match whose values are at least non-negative as expected
_CONTRADICTED = 0.2     # a name match the values rule out
_DOMAIN_BONUS = 0.05


def detect_domain(columns, *, playbook: dict) -> str | None:
    """The vocabulary (retail, subscription, financial) most column names speak, or None."""
    counts = {}
    for domain, spec in playbook.get("vocabularies", {}).items():
        pattern = re.compile(spec["pattern"], flags=re.IGNORECASE)
        counts[domain] = sum(bool(pattern.search(humanize_name(c).lower())) for c in columns)
    best = max(counts, key=counts.get, default=None)
    return best if best is not None and counts[best] >= 2 else None


def _values(series: pd.Series) -> np.ndarray:
    """The finite numeric values of a column (empty when it holds text)."""
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return numbers[np.isfinite(numbers)]


def _check(checks: dict, series: pd.Series) -> float:
    """The confidence a name match keeps once the column's values are looked at."""
    if not checks:
        return _NAME_ONLY
    distinct = series.dropna().unique()
    if checks.get("binary"):
        return _CONFIRMED if len(distinct) <= 2 else _CONTRADICTED
    values = _values(series)
    if values.size == 0:
        return _CONTRADICTED
    whole = bool(np.all(values == np.round(values)))
    if checks.get("integer") and not whole:
        return _CONTRADICTED
    if "range" in checks:
        low, high = checks["range"]
        return _CONFIRMED if values.min() >= low and values.max() <= high else _CONTRADICTED
    if values.min() < 0 and checks.get("nonnegative"):
        return _CONTRADICTED
    if checks.get("integer"):
        return _CONFIRMED
    if checks.get("nonnegative"):
        return _PLAUSIBLE
    return _NAME_ONLY


def infer_meaning(name: str, series: pd.Series, *, playbook: dict, domain: str | None = None) -> dict:
    """{"meaning", "label", "confidence", "why"} for one column; "other" at 0 when nothing fits."""
    text = humanize_name(name).lower()
    best = {"meaning": UNKNOWN, "label": "not recognised", "confidence": 0.0,
            "why": "the name matches no known measure"}
    for spec in playbook["meanings"]:
        if not re.search(spec["pattern"], text, flags=re.IGNORECASE):
            continue
        if spec.get("exclude") and re.search(spec["exclude"], text, flags=re.IGNORECASE):
            continue
        confidence = _check(spec.get("checks") or {}, series)
        if domain and domain in spec.get("domains", ()):
            confidence += _DOMAIN_BONUS
        if confidence > best["confidence"] + 1e-9:
            best = {"meaning": spec["meaning"], "label": spec["label"],
                    "confidence": round(min(confidence, 0.95), 2),
                    "why": _why(spec, confidence=confidence)}
    return best


def _why(spec: dict, *, confidence: float) -> str:
    """A short reason for the preview: what matched and what the values said."""
    if confidence <= _CONTRADICTED + _DOMAIN_BONUS:
        return f"the name suggests {spec['label']}, but the values do not fit"
    if confidence >= _CONFIRMED:
        return f"the name and the values fit {spec['label']}"
    return f"the name suggests {spec['label']}"


def infer_meanings(table: pd.DataFrame, *, columns=None, playbook: dict) -> dict[str, dict]:
    """The meaning of each listed column (all columns by default), judged with the table's vocabulary."""
    columns = list(table.columns if columns is None else columns)
    domain = detect_domain(columns, playbook=playbook)
    return {column: infer_meaning(column, table[column], playbook=playbook, domain=domain)
            for column in columns}


def meaning_choices(playbook: dict) -> list[tuple[str, str]]:
    """(meaning, label) pairs a user may pick, "other" (no specific meaning) first."""
    return [(UNKNOWN, "no specific meaning")] + [(m["meaning"], m["label"]) for m in playbook["meanings"]]


def apply_overrides(meanings: dict[str, dict], overrides, *, playbook: dict) -> dict[str, dict]:
    """The inferred meanings with the user's choices on top (taken as certain); unknown ones raise."""
    labels = dict(meaning_choices(playbook))
    merged = dict(meanings)
    for column, meaning in dict(overrides or {}).items():
        if meaning not in labels:
            raise InputError(f"unknown meaning {meaning!r} for column {column!r}: "
                             f"use one of {', '.join(labels)}")
        if column in merged:
            merged[column] = {"meaning": meaning, "label": labels[meaning],
                              "confidence": 1.0 if meaning != UNKNOWN else 0.0, "why": "set by the user"}
    return merged


def confident(meanings: dict[str, dict], *, playbook: dict) -> dict[str, str]:
    """{column: meaning} for the columns whose meaning is confident enough to pick a specific play."""
    floor = float(playbook["thresholds"]["confident"])
    return {column: entry["meaning"] for column, entry in meanings.items()
            if entry["meaning"] != UNKNOWN and entry["confidence"] >= floor}
