"""Short persona-style segment names from the one or two traits that set a segment apart.

Each trait offers word forms (an adjective "Lapsed", a noun "high spenders", a phrase "with high
balances") from its meaning in the playbook, or neutral ones ("with high x1") where the meaning is
not confident; two traits combine as "Lapsed high spenders" or "Young students with high balances".
"""

from __future__ import annotations

import re

from .format import capitalize_first, feature_label
from .states import distinct_traits, level_truth, load_playbook, trait_state

UNUSUAL_NAME = "Unusual customers"
TYPICAL_NAME = "Typical customers"
_NOUN = "customers"
_LEVEL_ALONE = re.compile(r"\b(gender|sex)\b", re.IGNORECASE)

__all__ = ["UNUSUAL_NAME", "TYPICAL_NAME", "level_truth", "name_segments", "trait_forms"]


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless it starts an acronym or a coded name ("CUST_BAL")."""
    if len(text) > 1 and (text[1].isupper() or text[1] == "_"):
        return text
    return text[:1].lower() + text[1:]


def _flag_forms(feature: str, *, truth: bool) -> dict:
    """A yes/no column without a known meaning: "is_student" -> "Student", "card" -> "without card"."""
    words = feature_label(feature)
    lower = words.lower()
    if lower.startswith("is "):
        return {"adj": capitalize_first(words[3:])} if truth else {"with": f"who are not {words[3:]}"}
    if lower.startswith("has "):
        return {"with": f"with {words[4:]}" if truth else f"without {words[4:]}"}
    return {"with": f"with {words}" if truth else f"without {words}"}


def _level_forms(trait: dict, *, playbook: dict) -> dict:
    """A categorical level: a known group noun ("students"), a place ("in North"), or "with plan Gold"."""
    level = str(trait["level"]).strip()
    noun = playbook.get("level_nouns", {}).get(level.lower())
    if noun:
        return {"noun": noun, "with": f"who are {noun}"}
    adjective = playbook.get("level_adjectives", {}).get(level.lower())
    if adjective:
        return {"adj": adjective, "with": f"who are {adjective.lower()}"}
    label = feature_label(trait["feature"])
    if _LEVEL_ALONE.search(label):
        return {"with": f"who are {level}"}
    if re.search(playbook.get("place_pattern", "$^"), label, flags=re.IGNORECASE):
        return {"with": f"in {level}"}
    return {"with": f"with {label} {level}"}


def _meaning_spec(playbook: dict, meaning: str | None) -> dict:
    """The playbook entry of a meaning ({} for none)."""
    return next((m for m in playbook["meanings"] if m["meaning"] == meaning), {})


def _category(feature: str) -> str:
    """The category of a spend-share column ("share_electronics" -> "electronics")."""
    return re.sub(r"^share (of )?", "", feature_label(feature), flags=re.IGNORECASE)


def trait_forms(trait: dict, *, profile: dict, meanings: dict[str, str], playbook: dict,
                typical_gap: float | None = None) -> dict:
    """The word forms ("adj", "noun", "with") one trait offers; "with" is always there."""
    meaning = meanings.get(trait["feature"])
    state = trait_state(trait, meaning=meaning, profile=profile, playbook=playbook,
                        typical_gap=typical_gap)
    words = _meaning_spec(playbook, meaning).get("words", {})
    label = feature_label(trait["feature"])
    if state is not None and (words.get(state) or words.get(trait["direction"])):
        chosen = words.get(state) or words[trait["direction"]]
        fills = {"feature": label, "category": _category(trait["feature"])}
        forms = {key: text.format(**fills) for key, text in chosen.items()}
    elif trait["direction"] == "level":
        truth = level_truth(trait["level"])
        forms = (_flag_forms(trait["feature"], truth=truth) if truth is not None
                 else _level_forms(trait, playbook=playbook))
    else:
        forms = {"with": f"with {'higher' if trait['direction'] == 'high' else 'lower'} {label}"}
    if "with" not in forms:
        forms["with"] = f"who are {_lower_first(forms.get('noun') or forms['adj'] + ' ' + _NOUN)}"
    return forms


def compose(forms: list[dict]) -> str:
    """One name from the traits' forms: adjectives, then one noun (or "customers"), then phrases."""
    adjectives, noun, phrases = [], None, []
    nouns = [form for form in forms if "noun" in form]
    head = next((form for form in nouns if "adj" not in form), nouns[0] if nouns else None)
    for form in forms:
        if form is head:
            noun = form["noun"]
        elif "adj" in form:
            adjectives.append(form["adj"])
        else:
            phrases.append(form["with"])
    words = [*adjectives, noun or _NOUN]
    text = " ".join([words[0]] + [_lower_first(word) for word in words[1:]])
    if phrases:
        later = [p.removeprefix("with ") if phrases[0].startswith("with ") else p for p in phrases[1:]]
        text += " " + " and ".join([phrases[0], *later])
    return capitalize_first(text)


def _base_name(seg: int, profile: dict, *, n_traits: int, context: dict) -> str:
    """The name from the first n distinct traits (those the card's play rests on first), or
    "Typical customers" when there are none."""
    traits = distinct_traits(profile, meanings=context["meanings"], related=context["related"])
    if not traits:
        return TYPICAL_NAME
    lead = context["leads"].get(seg, [])
    traits.sort(key=lambda trait: lead.index(trait["feature"]) if trait["feature"] in lead else len(lead))
    forms = [trait_forms(trait, profile=profile, meanings=context["meanings"],
                         playbook=context["playbook"], typical_gap=context["typical_gap"])
             for trait in traits[:n_traits]]
    return compose(forms)


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


def name_segments(profiles: dict[int, dict], *, unusual_id: int | None = None,
                  meanings: dict[str, str] | None = None, related=frozenset(),
                  typical_gap: float | None = None, playbook: dict | None = None,
                  leads: dict[int, list[str]] | None = None) -> dict[int, str]:
    """A short, unique name per segment from its top 1-2 traits (a third trait, then "(2)", if names
    clash). `meanings` holds the confident meaning of each column; `related` the pairs of columns
    correlated beyond |r| 0.95; `leads` the columns each card's play rests on (strategy.lead_features).
    Outliers are "Unusual customers"; a segment with no trait is "Typical customers"."""
    context = {"meanings": dict(meanings or {}), "related": frozenset(related), "leads": leads or {},
               "typical_gap": typical_gap, "playbook": playbook or load_playbook()}
    names = {seg: _base_name(seg, profile, n_traits=2, context=context)
             for seg, profile in profiles.items()}
    if unusual_id in names:
        names[unusual_id] = UNUSUAL_NAME
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    for seg, name in list(names.items()):
        if counts[name] > 1 and seg != unusual_id and name != TYPICAL_NAME:
            names[seg] = _base_name(seg, profiles[seg], n_traits=3, context=context)
    return _number_repeats(names)
