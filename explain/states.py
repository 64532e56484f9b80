"""A segment's traits read through their meanings: "monetary high", "recency lapsed", "tenure new".

Names and strategy cards both speak from these states, so a name never claims what the card does not.
Only traits (large, clear differences: explain.traits) with a confident meaning get a state;
near-duplicate columns (|r| > 0.95) and a second column of the same meaning are left out.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import InputError

PLAYBOOK_PATH = Path(__file__).with_name("playbook.json")
_REQUIRED = ("thresholds", "formats", "meanings", "plays", "generic", "tailored", "typical", "unusual")


def load_playbook(path: str | Path | None = None) -> dict:
    """Read a playbook JSON (the bundled one by default) and check its top-level shape."""
    target = Path(path) if path is not None else PLAYBOOK_PATH
    try:
        playbook = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read playbook {target}: {exc}; fix the file or pass another") from exc
    missing = [key for key in _REQUIRED if key not in playbook]
    if missing:
        raise InputError(f"playbook {target} lacks {', '.join(missing)}; start from the bundled playbook")
    return playbook


def level_truth(level) -> bool | None:
    """True/False for a yes/no-like level (1, "Yes", True...), None for any other level."""
    if isinstance(level, bool):
        return level
    if isinstance(level, (int, float)) and level in (0, 1):
        return bool(level)
    text = str(level).strip().lower()
    if text in ("yes", "y", "true", "1"):
        return True
    if text in ("no", "n", "false", "0"):
        return False
    return None


def distinct_traits(profile: dict, *, meanings: dict[str, str], related=frozenset()) -> list[dict]:
    """The profile's traits without near-duplicates. `related` holds (first, second) column pairs
    with |r| > 0.95 in table order: the second (a charge computed from minutes) gives way to the
    first; a column of the same meaning as a stronger trait is dropped too."""
    traits = profile.get("distinctive") or []
    present = {trait["feature"] for trait in traits}
    pairs = {tuple(pair) for pair in related}
    kept: list[dict] = []
    for trait in traits:
        feature, meaning = trait["feature"], meanings.get(trait["feature"])
        twin = any((first, feature) in pairs for first in present) or any(
            (feature, other["feature"]) in pairs for other in kept)
        same = meaning is not None and any(meanings.get(o["feature"]) == meaning for o in kept)
        if not (twin or same):
            kept.append(trait)
    return kept


def _numeric_entry(profile: dict, feature: str) -> dict | None:
    """The profile's numeric entry of a feature, if it has one."""
    return next((e for e in profile.get("numeric", []) if e["feature"] == feature), None)


def trait_state(trait: dict, *, meaning: str | None, profile: dict, playbook: dict,
                typical_gap: float | None = None) -> str | None:
    """"high" / "low" (or "lapsed", "new") for a trait, None for a level that is not yes/no."""
    if trait["direction"] == "level":
        truth = level_truth(trait["level"])
        return None if truth is None else ("high" if truth else "low")
    state = trait["direction"]
    entry = _numeric_entry(profile, trait["feature"]) or {}
    limits = playbook["thresholds"]
    if meaning == "recency" and state == "high":
        gap = typical_gap if typical_gap else entry.get("base_median")
        seen = entry.get("median") if entry.get("median") is not None else entry.get("mean")
        if gap and seen is not None and seen >= float(limits["lapsed_gap_multiple"]) * gap:
            return "lapsed"
    if meaning == "tenure" and state == "low":
        ratio = entry.get("ratio")
        if ratio is not None and ratio <= float(limits["new_tenure_ratio"]):
            return "new"
    return state


def segment_states(profile: dict, *, meanings: dict[str, str], playbook: dict, related=frozenset(),
                   typical_gap: float | None = None) -> dict[str, dict]:
    """{meaning: {"feature", "state", "trait"}} for the segment's traits with a confident meaning."""
    states: dict[str, dict] = {}
    for trait in distinct_traits(profile, meanings=meanings, related=related):
        meaning = meanings.get(trait["feature"])
        if meaning is None or meaning in states:
            continue
        state = trait_state(trait, meaning=meaning, profile=profile, playbook=playbook,
                            typical_gap=typical_gap)
        if state is not None:
            states[meaning] = {"feature": trait["feature"], "state": state, "trait": trait}
    return states
