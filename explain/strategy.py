"""Strategy cards: what to do with each segment, chosen by a data playbook and quoting its own numbers.

The playbook (playbook.json) maps column names to roles (spend, recency, income ...) and lists
patterns in priority order; the first pattern whose trait conditions hold for a segment gives its card.
A role's trait is "high"/"low" when the z-score of its feature passes the playbook's threshold.
"""

import json
import re
import string
from pathlib import Path

from explain.errors import InputError
from explain.format import feature_label, human_number, human_ratio, human_share, humanize_name
from explain.names import level_phrase, level_truth, trait_label

PLAYBOOK_PATH = Path(__file__).with_name("playbook.json")
_CARD_SECTIONS = ("fallback", "typical", "unusual")
_MAX_ACTIONS = 4


def load_playbook(path: str | Path | None = None) -> dict:
    """Read a playbook JSON (the bundled one by default) and check its shape, so bad edits fail early."""
    target = Path(path) if path is not None else PLAYBOOK_PATH
    try:
        playbook = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read playbook {target}: {exc}; fix the file or pass another") from exc
    _check_playbook(playbook, source=str(target))
    return playbook


def _check_playbook(playbook: dict, *, source: str) -> None:
    """Raise InputError when roles, patterns or the fixed cards are missing or malformed."""
    missing = [key for key in ("z_threshold", "formats", "roles", "generic", "patterns", *_CARD_SECTIONS)
               if key not in playbook]
    if missing:
        raise InputError(f"playbook {source} lacks {', '.join(missing)}; start from the bundled playbook")
    for role in playbook["roles"]:
        try:
            re.compile(role["pattern"])
        except (KeyError, re.error) as exc:
            raise InputError(
                f"playbook {source}: role {role.get('role')!r} needs a valid regex pattern"
            ) from exc
    for pattern in playbook["patterns"]:
        _check_pattern(pattern, role_defs=_role_defs(playbook), source=source)


def _check_pattern(pattern: dict, *, role_defs: dict, source: str) -> None:
    """Raise InputError unless a pattern has valid conditions, 2-3 actions, a KPI and texts."""
    name = pattern.get("id", "?")
    for key in ("id", "when", "headline", "actions", "kpi", "rationale"):
        if key not in pattern:
            raise InputError(f"playbook {source}: pattern {name!r} lacks {key!r}")
    conditions = {**pattern["when"].get("all", {}), **pattern["when"].get("any", {})}
    if not conditions:
        raise InputError(f"playbook {source}: pattern {name!r} has no conditions")
    for role, wanted in conditions.items():
        words = {"high", "low", *role_defs.get(role, {}).get("words", {}).values()}
        if role not in role_defs or wanted not in words:
            raise InputError(
                f"playbook {source}: pattern {name!r} asks {role!r} to be {wanted!r}; "
                "use a role of the playbook and one of its words (high, low ...)"
            )
    if not 2 <= len(pattern["actions"]) <= 3:
        raise InputError(f"playbook {source}: pattern {name!r} needs 2-3 actions (one slot stays free)")


def infer_feature_roles(feature_names: list[str], *, playbook: dict | None = None) -> dict[str, str]:
    """Map each feature to a playbook role (monetary, recency, income ...) by name; others are left out."""
    playbook = playbook or load_playbook()
    roles = {}
    for name in feature_names:
        text = humanize_name(name).lower()
        for role in playbook["roles"]:
            if re.search(role["pattern"], text, flags=re.IGNORECASE):
                roles[name] = role["role"]
                break
    return roles


def _role_defs(playbook: dict) -> dict[str, dict]:
    """Role definitions by role name."""
    return {role["role"]: role for role in playbook["roles"]}


def _check_card_inputs(profiles, *, names, roles, playbook) -> None:
    """Raise InputError for a segment without a name or a role the playbook does not know."""
    unnamed = [seg for seg in profiles if seg not in names]
    if unnamed:
        raise InputError(f"no name for segments {unnamed}; pass the names from name_segments")
    known = _role_defs(playbook)
    unknown = sorted({role for role in roles.values() if role not in known})
    if unknown:
        raise InputError(f"unknown roles {unknown}; use roles from the playbook: {', '.join(known)}")


def strategy_cards(
    profiles: dict[int, dict],
    *,
    names: dict[int, str],
    roles: dict[str, str],
    unusual_id: int | None = None,
    playbook: dict | None = None,
) -> dict[int, dict]:
    """One card per segment: {"headline", "actions" (2-4), "rationale", "kpi", "pattern"}, all distinct.

    The first playbook pattern whose conditions hold wins; a repeated pattern gets an action from the
    segment's next-strongest trait (and its name in a repeated headline); outliers are reviewed by hand.
    """
    if playbook is None:
        playbook = load_playbook()
    else:
        _check_playbook(playbook, source="given")
    _check_card_inputs(profiles, names=names, roles=roles, playbook=playbook)
    cards: dict[int, dict] = {}
    used_patterns: set[str] = set()
    for seg, profile in profiles.items():
        context = _Context(profile, roles=roles, playbook=playbook)
        card, used = _unusual_card(context) if seg == unusual_id else _segment_card(context)
        if card["pattern"] in used_patterns:
            card = _repeat_card(card, context, used=used)
        used_patterns.add(card["pattern"])
        cards[seg] = _distinct(card, seen=cards.values(), name=names[seg])
    return cards


class _Context:
    """One segment's profile seen through the playbook: role traits and number formatting."""

    def __init__(self, profile: dict, *, roles: dict[str, str], playbook: dict):
        self.profile = profile
        self.roles = roles
        self.playbook = playbook
        self.role_defs = _role_defs(playbook)
        self.threshold = float(playbook["z_threshold"])
        self.numeric = {entry["feature"]: entry for entry in profile.get("numeric", [])}
        self.levels = {entry["feature"]: entry for entry in profile.get("categorical", [])}
        self.traits = self._role_traits()

    def _role_traits(self) -> dict[str, dict]:
        """Per role, its strongest feature with a signed z-like score and "high"/"low"/"mid"."""
        traits: dict[str, dict] = {}
        for feature, role in self.roles.items():
            z = self._feature_z(feature)
            if z is None or role not in self.role_defs:
                continue
            if role not in traits or abs(z) > abs(traits[role]["z"]):
                traits[role] = {"feature": feature, "z": z, "level": self._level(z)}
        return traits

    def _feature_z(self, feature: str) -> float | None:
        """The z-score of a numeric feature, or the signed level score of a yes/no feature."""
        if feature in self.numeric:
            return self.numeric[feature]["z"]
        entry = self.levels.get(feature)
        if entry is None or entry.get("score") is None or level_truth(entry["level"]) is None:
            return None
        return entry["score"] if level_truth(entry["level"]) else -entry["score"]

    def _level(self, z: float) -> str:
        """"high" / "low" when |z| passes the threshold, else "mid"."""
        if z >= self.threshold:
            return "high"
        if z <= -self.threshold:
            return "low"
        return "mid"

    def holds(self, role: str, *, wanted: str) -> bool:
        """Whether the role's trait is at the wanted level ("high", "low" or a role word like "recent")."""
        trait = self.traits.get(role)
        if trait is None or trait["level"] == "mid":
            return False
        words = self.role_defs[role].get("words", {})
        return wanted in (trait["level"], words.get(trait["level"]))

    def header(self) -> dict:
        """Size and share placeholders."""
        return {"size": human_number(self.profile["size"]), "share": human_share(self.profile["share"])}

    def values(self, feature: str) -> dict:
        """Placeholders for one feature's numbers, formatted for reading (currency, shares, time unit)."""
        if feature not in self.numeric:
            entry = self.levels[feature]
            return {"feature": feature_label(feature), "level": str(entry["level"]).strip(),
                    "group": level_phrase(feature, level=entry["level"]),
                    "seg_share": human_share(entry["share"]),
                    "base_share": human_share(entry["base_share"])}
        entry = self.numeric[feature]
        mean, base, z = entry["mean"], entry["base_mean"], entry["z"] or 0.0
        show = self._formatter(feature, mean=mean, base=base)
        ratio_ok = entry["ratio"] is not None and base is not None and base > 0 and mean >= 0
        return {
            "feature": feature_label(feature), "mean": show(mean), "base": show(base),
            "category": re.sub(r"^share (of )?", "", feature_label(feature)),
            "ratio": human_ratio(entry["ratio"]) if ratio_ok else None,
            "direction": "high" if z > 0 else "low" if z < 0 else "similar",
            "time_unit": self._time_unit(feature),
        }

    def currency_like(self, feature: str) -> bool:
        """Whether the feature's values are amounts of money, judged by its name."""
        formats = self.playbook["formats"]
        text = humanize_name(feature).lower()
        return bool(re.search(formats["currency_pattern"], text)) and not re.search(
            formats["currency_exclude"], text
        )

    def _formatter(self, feature: str, *, mean, base):
        """The number formatter for a feature: share (rates in [0, 1]), currency or plain."""
        text = humanize_name(feature).lower()
        in_unit = all(value is not None and 0 <= value <= 1 for value in (mean, base))
        if in_unit and re.search(self.playbook["formats"]["share_pattern"], text):
            return human_share
        if self.currency_like(feature):
            symbol = self.playbook["formats"]["currency_symbol"]
            return lambda value: human_number(value, unit=symbol)
        return human_number

    def _time_unit(self, feature: str) -> str:
        """The time unit named in the column ("months_since_..." -> "months"), else the default."""
        formats = self.playbook["formats"]
        found = re.search(formats["time_unit_pattern"], humanize_name(feature).lower())
        return f"{found.group(1)}s" if found else formats["default_time_unit"]


def _fill(template: str, values: dict) -> str | None:
    """The template with its placeholders filled, or None when one of them has no value."""
    fields = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    if any(values.get(field) is None for field in fields):
        return None
    return template.format(**values)


def _join(parts: list[str]) -> str:
    """Join phrases as "a", "a and b", "a, b and c"."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _join_facts(facts: list[str]) -> str:
    """Join verb phrases, dropping a verb that repeats the previous one ("spend 2x ... and 3x ...")."""
    trimmed = facts[:1]
    for previous, fact in zip(facts, facts[1:]):
        verb = previous.split(" ", 1)[0]
        same = fact.split(" ", 1)[0] == verb and " " in fact
        trimmed.append(fact.split(" ", 1)[1] if same else fact)
    return _join(trimmed)


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless it starts an acronym ("High income" -> "high income")."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _fact(context: _Context, *, feature: str) -> str:
    """One verb phrase with the feature's numbers: "spend 2.3x the average ($1.2k vs $540)"."""
    generic = context.playbook["generic"]
    values = context.values(feature)
    if feature not in context.numeric:
        return _fill(generic["fact_level"], values)
    role = context.role_defs.get(context.roles.get(feature), {})
    if "fact" in role and (not role.get("currency") or context.currency_like(feature)):
        text = _fill(role["fact"], values)
        if text:
            return text
    return _fill(generic["fact_ratio"], values) or _fill(generic["fact_plain"], values)


def _trait_action(context: _Context, *, feature: str) -> str:
    """An action built on one feature's own numbers, role-specific where the playbook has one."""
    generic = context.playbook["generic"]
    values = context.values(feature)
    if feature not in context.numeric:
        return _fill(generic["action_level"], values)
    direction = "high" if (context.numeric[feature]["z"] or 0) > 0 else "low"
    role = context.role_defs.get(context.roles.get(feature), {})
    template = role.get("actions", {}).get(direction)
    if template and (not role.get("currency") or context.currency_like(feature)):
        text = _fill(template, values)
        if text:
            return text
    return _fill(generic[f"action_{direction}"], values)


def _pattern_roles(pattern: dict, *, context: _Context) -> list[str] | None:
    """The roles a pattern's conditions rest on when they hold for the segment, else None."""
    required = pattern["when"].get("all", {})
    optional = pattern["when"].get("any", {})
    if not all(context.holds(role, wanted=wanted) for role, wanted in required.items()):
        return None
    matched = [role for role, wanted in optional.items() if context.holds(role, wanted=wanted)]
    if optional and not matched:
        return None
    return list(required) + matched


def _card(spec: dict, context: _Context, *, features: list[str], **fills) -> dict:
    """A card from a playbook entry, its rationale quoting the given features' numbers."""
    facts = _join_facts([_fact(context, feature=feature) for feature in features])
    return {
        "headline": spec["headline"].format(**fills),
        "actions": list(spec["actions"]),
        "rationale": spec["rationale"].format(**context.header(), facts=facts, **fills),
        "kpi": spec["kpi"],
        "pattern": spec["id"],
    }


def _segment_card(context: _Context) -> tuple[dict, list[str]]:
    """The first matching pattern's card, else one built on the strongest traits, else the typical card."""
    for pattern in context.playbook["patterns"]:
        roles = _pattern_roles(pattern, context=context)
        if roles:
            features = [context.traits[role]["feature"] for role in roles]
            return _card(pattern, context, features=features, traits=""), features
    traits = context.profile.get("distinctive") or []
    if not traits:
        return _card(context.playbook["typical"], context, features=[], traits=""), []
    return _fallback_card(context, traits=traits[:2])


def _fallback_card(context: _Context, *, traits: list[dict]) -> tuple[dict, list[str]]:
    """A card for a segment no pattern fits: its two strongest traits, their actions and numbers."""
    features = [trait["feature"] for trait in traits]
    labels = _join([_lower_first(trait_label(trait)) for trait in traits])
    card = _card(context.playbook["fallback"], context, features=features, traits=labels)
    own = [_trait_action(context, feature=feature) for feature in features]
    card["actions"] = own + card["actions"]
    return card, features


def _unusual_card(context: _Context) -> tuple[dict, list[str]]:
    """The "review individually" card for outliers, naming what makes them stand out, if anything."""
    features = [trait["feature"] for trait in (context.profile.get("distinctive") or [])[:2]]
    facts = _join_facts([_fact(context, feature=feature) for feature in features])
    clause = f"; most notably they {facts}" if facts else ""
    return _card(context.playbook["unusual"], context, features=[], traits=clause), features


def _next_trait_action(context: _Context, *, used: list[str]) -> str:
    """An action from the strongest trait the card does not already rest on."""
    for trait in context.profile.get("distinctive") or []:
        if trait["feature"] not in used:
            return _trait_action(context, feature=trait["feature"])
    spare = [entry for entry in context.numeric.values()
             if entry["feature"] not in used and entry["z"]]
    if spare:
        strongest = max(spare, key=lambda entry: abs(entry["z"]))
        return _trait_action(context, feature=strongest["feature"])
    return context.playbook["generic"]["action_spare"]


def _repeat_card(card: dict, context: _Context, *, used: list[str]) -> dict:
    """A second card of the same pattern gets one more action, from its own next-strongest trait."""
    extra = _next_trait_action(context, used=used)
    actions = [action for action in card["actions"] if action != extra][: _MAX_ACTIONS - 1]
    return {**card, "actions": actions + [extra]}


def _distinct(card: dict, *, seen, name: str) -> dict:
    """The card, with the segment's name added to the headline if an earlier card has the same one."""
    if any(card["headline"] == other["headline"] for other in seen):
        return {**card, "headline": f"{card['headline']} ({name})"}
    return card
