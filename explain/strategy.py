"""Strategy cards: what to do with each segment, chosen by the playbook and quoting its own numbers.

A play (playbook.json "plays", first match wins) needs its meanings to be traits of the segment in the
wanted state ("monetary high", "recency lapsed"); only confident meanings count, so an unrecognised
column is spoken of in neutral terms ("higher x1 than the base"). No headline, KPI or action appears on
two cards of one run.
"""

from __future__ import annotations

import re
import string

from .cards_text import Numbers, trait_action, trait_fact
from .errors import InputError
from .format import human_number, human_share
from .names import trait_forms
from .states import PLAYBOOK_PATH, distinct_traits, load_playbook, segment_states

__all__ = ["PLAYBOOK_PATH", "lead_features", "load_playbook", "strategy_cards"]
_MAX_ACTIONS = 4


def _fill(template: str, values: dict) -> str | None:
    """The template with its placeholders filled, or None when one of them has no value."""
    fields = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    if any(values.get(field) is None for field in fields):
        return None
    return template.format(**values)


def _join(parts: list[str]) -> str:
    """Join phrases as "a", "a and b", "a, b and c"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _states_for_plays(states: dict, *, playbook: dict, play: str | None = None) -> dict:
    """The states with stand-ins added where the play allows them ("spending score high" may meet
    the "monetary high" condition of an upsell, never of "best customers")."""
    extra = {}
    for spec in playbook["meanings"]:
        stand = spec.get("stands_for")
        if stand and spec["meaning"] in states and stand["meaning"] not in states and (
                play is None or play in stand["plays"]):
            extra[stand["meaning"]] = states[spec["meaning"]]
    return {**states, **extra}


def _holds(state: dict | None, wanted: str) -> bool:
    """Whether a meaning's state is the wanted one ("lapsed" recency is also "high")."""
    if state is None:
        return False
    return state["state"] == wanted or (wanted == "high" and state["state"] == "lapsed") or (
        wanted == "low" and state["state"] == "new")


def _play_for(base_states: dict, *, playbook: dict) -> tuple[dict, list[str]] | None:
    """The first play whose conditions hold, with the meanings it rests on."""
    for play in playbook["plays"]:
        required, optional = play["when"].get("all", {}), play["when"].get("any", {})
        states = _states_for_plays(base_states, playbook=playbook, play=play["id"])
        if not all(_holds(states.get(m), wanted) for m, wanted in required.items()):
            continue
        matched = [m for m, wanted in optional.items() if _holds(states.get(m), wanted)]
        if optional and not matched:
            continue
        return play, list(required) + matched
    return None


class _Segment:
    """One segment's profile with its states and the numbers its texts may quote."""

    def __init__(self, profile: dict, *, context: dict):
        self.profile, self.context, self.playbook = profile, context, context["playbook"]
        self.states = segment_states(profile, meanings=context["meanings"], playbook=self.playbook,
                                     related=context["related"], typical_gap=context["typical_gap"])
        self.traits = distinct_traits(profile, meanings=context["meanings"], related=context["related"])
        self.numbers = Numbers(profile, meanings=context["meanings"], playbook=self.playbook)
        self.values = {"size": human_number(profile["size"]), "share": human_share(profile["share"]),
                       **self.numbers.by_meaning(typical_gap=context["typical_gap"])}

    def fact(self, trait: dict) -> str:
        """One trait as a verb phrase with its numbers and basis."""
        return trait_fact(trait, numbers=self.numbers)

    def facts(self, traits: list[dict]) -> str:
        """Several traits joined as "a, b and c"."""
        return _join([self.fact(trait) for trait in traits]) if traits else ""

    def action(self, trait: dict) -> str | None:
        """The action one trait suggests, in this segment's numbers."""
        return trait_action(trait, numbers=self.numbers, size=self.values["size"])


def _play_card(seg: _Segment, play: dict, *, meanings: list[str]) -> dict:
    """A play's card: its filled actions, then actions from the segment's other traits."""
    states = _states_for_plays(seg.states, playbook=seg.playbook, play=play["id"])
    used = [states[m]["trait"] for m in meanings]
    actions = [text for text in (_fill(a, seg.values) for a in play["actions"]) if text]
    if not any(re.search(r"\d", action) for action in actions):  # quote the segment's own numbers
        own = [text for text in (seg.action(trait) for trait in used) if text]
        actions = own[:1] + actions
    others = [t for t in seg.traits if t not in used]
    kpi = _fill(play["kpi"], seg.values) or next(
        (text for text in (_trait_kpi(seg, t) for t in used) if text), None) or _fill(
        seg.playbook["generic"]["kpi_response"], seg.values)
    cited = used + [t for t in seg.traits[:2] if t not in used]
    rationale = f"These {seg.values['size']} customers ({seg.values['share']} of the base) " \
                f"{seg.facts(cited[:3])}. " + (_fill(play["rationale"], seg.values) or "")
    return {"headline": play["headline"], "actions": actions, "others": others,
            "rationale": rationale.strip(), "kpi": kpi,
            "pattern": play["id"]}


def _tailored_card(seg: _Segment, *, name_forms) -> dict:
    """A card for traits no play fits: built on the traits themselves, in their own numbers."""
    spec, generic = seg.playbook["tailored"], seg.playbook["generic"]
    top = seg.traits[:2]
    words = [name_forms(trait)["with"].removeprefix("with ").removeprefix("who are ") for trait in top]
    kpi = next((text for text in (_trait_kpi(seg, trait) for trait in top) if text), None)
    kpi = kpi or _fill(generic["kpi_response"], seg.values)
    return {"headline": spec["headline"].format(traits=_join(words)), "actions": [],
            "others": list(seg.traits), "pattern": spec["id"], "kpi": kpi or "",
            "rationale": _fill(spec["rationale"], {**seg.values, "facts": seg.facts(top)})}


def _trait_kpi(seg: _Segment, trait: dict) -> str | None:
    """The KPI the trait's meaning names, in the segment's own numbers, if it has one."""
    template = seg.numbers.spec(trait["feature"]).get("kpi")
    values = {**seg.numbers.trait_values(trait, size=seg.values["size"])}
    text = _fill(template, values) if template else None
    return text[:1].upper() + text[1:] if text else None


def _fixed_card(seg: _Segment, spec: dict, *, traits: str = "") -> dict:
    """The typical or unusual card, its sentences quoting the segment's size."""
    values = {**seg.values, "traits": traits}
    return {"headline": spec["headline"], "actions": [_fill(a, values) for a in spec["actions"]],
            "others": [], "rationale": _fill(spec["rationale"], values), "kpi": _fill(spec["kpi"], values),
            "pattern": spec["id"]}


def _card(seg: _Segment, *, unusual: bool, name_forms) -> dict:
    """The segment's card before the run-wide de-duplication."""
    if unusual:
        top = seg.traits[:2]
        clause = f"; most notably they {seg.facts(top)}" if top else ""
        return _fixed_card(seg, seg.playbook["unusual"], traits=clause)
    if not seg.traits:
        return _fixed_card(seg, seg.playbook["typical"])
    found = _play_for(seg.states, playbook=seg.playbook)
    if found:
        return _play_card(seg, found[0], meanings=found[1])
    return _tailored_card(seg, name_forms=name_forms)


def _unique(text: str, *, taken: set, name: str) -> str:
    """The text, or with the segment's name added when another card of the run already has it."""
    return text if text not in taken else f"{text} ({name})"


def _finish(card: dict, seg: _Segment, *, seen: dict, name: str) -> dict:
    """Actions made unique across the run and topped up from the segment's other traits (2-4)."""
    actions = [a for a in dict.fromkeys(card["actions"]) if a not in seen["actions"]]
    for trait in card.pop("others"):
        extra = seg.action(trait)
        if len(actions) >= _MAX_ACTIONS or len(actions) >= 3 and card["pattern"] != "tailored":
            break
        if extra and extra not in actions and extra not in seen["actions"]:
            actions.append(extra)
    if len(actions) < 2:
        spare = _fill(seg.playbook["generic"]["action_size"], seg.values)
        actions.append(_unique(spare, taken=seen["actions"] | set(actions), name=name))
    card["actions"] = actions[:_MAX_ACTIONS]
    card["headline"] = _unique(card["headline"], taken=seen["headlines"], name=name)
    kpi = card["kpi"][:1].upper() + card["kpi"][1:]
    card["kpi"] = _unique(kpi, taken=seen["kpis"], name=name)
    seen["actions"].update(card["actions"])
    seen["headlines"].add(card["headline"])
    seen["kpis"].add(card["kpi"])
    return card


def lead_features(profile: dict, *, meanings: dict[str, str], playbook: dict, related=frozenset(),
                  typical_gap: float | None = None) -> list[str]:
    """The columns the segment's play rests on (the name leads with them), or [] without a play."""
    states = segment_states(profile, meanings=meanings, playbook=playbook, related=related,
                            typical_gap=typical_gap)
    found = _play_for(states, playbook=playbook)
    if not found:
        return []
    play, used = found
    chosen = _states_for_plays(states, playbook=playbook, play=play["id"])
    return [chosen[meaning]["feature"] for meaning in used]


def strategy_cards(profiles: dict[int, dict], *, names: dict[int, str],
                   meanings: dict[str, str] | None = None, unusual_id: int | None = None,
                   playbook: dict | None = None, related=frozenset(),
                   typical_gap: float | None = None) -> dict[int, dict]:
    """One card per segment: {"headline", "actions" (2-4), "rationale", "kpi", "pattern"}.

    `meanings` holds each column's confident meaning (explain.meaning.confident), `related` the
    column pairs correlated beyond |r| 0.95, `typical_gap` the base's usual days between orders.
    """
    unnamed = [seg for seg in profiles if seg not in names]
    if unnamed:
        raise InputError(f"no name for segments {unnamed}; pass the names from name_segments")
    context = {"meanings": dict(meanings or {}), "related": frozenset(related),
               "typical_gap": typical_gap, "playbook": playbook or load_playbook()}
    seen = {"actions": set(), "headlines": set(), "kpis": set()}
    cards = {}
    for seg_id, profile in profiles.items():
        seg = _Segment(profile, context=context)
        forms = lambda trait, seg=seg: trait_forms(  # noqa: E731 - bound to this segment
            trait, profile=seg.profile, meanings=context["meanings"], playbook=context["playbook"],
            typical_gap=typical_gap)
        card = _card(seg, unusual=seg_id == unusual_id, name_forms=forms)
        cards[seg_id] = _finish(card, seg, seen=seen, name=names[seg_id])
    return cards
