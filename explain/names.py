"""Short segment names from their strongest traits ("High annual income · Low spending score")."""

import re

from explain.format import capitalize_first, feature_label

UNUSUAL_NAME = "Unusual customers"
TYPICAL_NAME = "Typical customers"
SEPARATOR = " · "

_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})
_LEVEL_ALONE = re.compile(r"\b(gender|sex)\b", re.IGNORECASE)
# Measures whose "low"/"high" read better as words: (name pattern, low, high).
_MEASURE_WORDS = (
    (re.compile(r"recency|since last|last (purchase|order|visit)", re.IGNORECASE),
     "Bought recently", "Lapsing"),
    (re.compile(r"tenure|customer since|since first", re.IGNORECASE),
     "New customers", "Long-standing customers"),
    (re.compile(r"^age\b|\bage$", re.IGNORECASE), "Younger customers", "Older customers"),
    (re.compile(r"^monetary$", re.IGNORECASE), "Low spend", "High spend"),
)
# Spend share of one category (order-log "share_<category>"): "Electronics buyers".
_SHARE_OF = re.compile(r"^share (?:of )?(?!other$)(.+)$", re.IGNORECASE)


def level_truth(level) -> bool | None:
    """True/False for a yes/no-like level (1, "Yes", True...), None for any other level; phrases flags."""
    if isinstance(level, bool):
        return level
    if isinstance(level, (int, float)) and level in (0, 1):
        return bool(level)
    text = str(level).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


def _flag_label(feature: str, *, positive: bool) -> str:
    """A yes/no feature as words: "Loyalty member" / "Not loyalty member", "Has app" / "No app"."""
    words = feature_label(feature)
    lower = words.lower()
    if lower.startswith("is "):
        words = words[3:]
        return capitalize_first(words) if positive else f"Not {words}"
    if lower.startswith("has "):
        return capitalize_first(words) if positive else f"No {words[4:]}"
    return capitalize_first(words) if positive else f"Not {words}"


def _measure_label(feature: str, *, direction: str) -> str:
    """A high/low numeric trait as words: "High annual income", "Bought recently" (low recency)."""
    words = feature_label(feature)
    category = _SHARE_OF.match(words)
    if category:
        topic = category.group(1)
        return f"{capitalize_first(topic)} buyers" if direction == "high" else f"Low {topic} share"
    for pattern, low, high in _MEASURE_WORDS:
        if pattern.search(words):
            return high if direction == "high" else low
    return f"{capitalize_first(direction)} {words}"


def level_phrase(feature: str, *, level) -> str:
    """A level as a lower-case group: "loyalty member", "not loyalty member", "female", "region North"."""
    if _LEVEL_ALONE.search(str(feature)):
        return str(level).strip().lower()
    truth = level_truth(level)
    if truth is not None:
        label = _flag_label(feature, positive=truth)
        return label if len(label) > 1 and label[1].isupper() else label[:1].lower() + label[1:]
    return f"{feature_label(feature)} {str(level).strip()}"


def trait_label(trait: dict) -> str:
    """One distinctive trait as words: "High annual income", "Female", "Loyalty member", "Region: North"."""
    feature, level = trait["feature"], trait["level"]
    if trait["direction"] in ("high", "low"):
        return _measure_label(feature, direction=trait["direction"])
    if _LEVEL_ALONE.search(str(feature)):
        return capitalize_first(str(level).strip())
    if level_truth(level) is not None:
        return _flag_label(feature, positive=level_truth(level))
    return f"{capitalize_first(feature_label(feature))}: {str(level).strip()}"


def _base_name(profile: dict, *, n_traits: int) -> str:
    """The name from the first n distinctive traits, or "Typical customers" when there are none."""
    traits = profile.get("distinctive") or []
    if not traits:
        return TYPICAL_NAME
    return SEPARATOR.join(trait_label(trait) for trait in traits[:n_traits])


def _clashing(names: dict[int, str]) -> set[int]:
    """Ids whose name some other segment also has."""
    seen: dict[str, list[int]] = {}
    for seg, name in names.items():
        seen.setdefault(name, []).append(seg)
    return {seg for ids in seen.values() if len(ids) > 1 for seg in ids}


def _number_repeats(names: dict[int, str]) -> dict[int, str]:
    """Make names unique by appending " (2)", " (3)"... to later repeats, in segment order."""
    taken: set[str] = set()
    unique = {}
    for seg, name in names.items():
        candidate, count = name, 1
        while candidate in taken:
            count += 1
            candidate = f"{name} ({count})"
        taken.add(candidate)
        unique[seg] = candidate
    return unique


def name_segments(profiles: dict[int, dict], *, unusual_id: int | None = None) -> dict[int, str]:
    """A short, unique name per segment from its top 1-2 traits (a third trait, then "(2)", if names clash).

    The unusual segment (outliers) is "Unusual customers"; a segment with no trait is "Typical customers".
    """
    names = {seg: _base_name(profile, n_traits=2) for seg, profile in profiles.items()}
    if unusual_id in names:
        names[unusual_id] = UNUSUAL_NAME
    for seg in _clashing(names):
        if seg != unusual_id:
            names[seg] = _base_name(profiles[seg], n_traits=3)
    return _number_repeats(names)
