"""The numbers and sentences of one segment's traits, as strategy cards quote them.

A fact states its basis: "spend $1.2k vs $540 on average, 2.2x the base average" (a ratio) or
"a higher x1 than the base: 0.61 vs 0.5 on average, 0.8 standard deviations above it" (an SMD).
"""

from __future__ import annotations

import re
import string

from .format import feature_label, human_number, human_ratio, human_share, humanize_name
from .states import level_truth

_PERCENT_MEANINGS = ("ratio", "category_share")


def _fill(template: str | None, values: dict) -> str | None:
    """The template with its placeholders filled, or None when one of them has no value."""
    if not template:
        return None
    fields = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    if any(values.get(field) is None for field in fields):
        return None
    return template.format(**values)


class Numbers:
    """Formatted figures of one segment's columns: currency, shares, time units, ratios."""

    def __init__(self, profile: dict, *, meanings: dict[str, str], playbook: dict):
        self.profile, self.meanings, self.playbook = profile, meanings, playbook
        self.numeric = {e["feature"]: e for e in profile.get("numeric", [])}
        self.levels = {e["feature"]: e for e in profile.get("categorical", [])}
        self.specs = {m["meaning"]: m for m in playbook["meanings"]}

    def spec(self, feature: str) -> dict:
        """The playbook entry of the column's confident meaning ({} for none)."""
        return self.specs.get(self.meanings.get(feature), {})

    def _show(self, feature: str, entry: dict):
        """The formatter for a column: percent for shares, currency for money, else plain."""
        formats, meaning = self.playbook["formats"], self.meanings.get(feature)
        text = humanize_name(feature).lower()
        unit = all(v is not None and 0 <= v <= 1 for v in (entry["mean"], entry["base_mean"]))
        if unit and meaning in _PERCENT_MEANINGS:
            return human_share
        if meaning in formats["currency_meanings"] and not re.search(formats["currency_exclude"], text):
            return lambda value: human_number(value, unit=formats["currency_symbol"])
        return human_number

    def _unit(self, feature: str) -> str | None:
        """The time unit the column's name gives ("recency_days" -> "days"); None when it gives none."""
        formats = self.playbook["formats"]
        found = re.search(formats["time_unit_pattern"], humanize_name(feature).lower())
        return f"{found.group(1)}s" if found else formats["default_time_unit"]

    def values(self, feature: str) -> dict:
        """Placeholders for one column's figures in this segment."""
        label = feature_label(feature)
        if feature not in self.numeric:
            entry = self.levels[feature]
            return {"feature": label, "level": str(entry["level"]).strip(),
                    "seg_share": human_share(entry["share"]), "base_share": human_share(entry["base_share"]),
                    "ratio": human_ratio(entry["lift"]) if entry.get("lift") else None}
        entry = self.numeric[feature]
        show = self._show(feature, entry)
        higher = (entry["z"] or 0) > 0
        return {"feature": label, "mean": show(entry["mean"]), "base": show(entry["base_mean"]),
                "median": show(entry["median"]), "unit": self._unit(feature),
                "ratio": human_ratio(entry["ratio"]) if entry.get("ratio") is not None else None,
                "smd": human_number(abs(entry["z"] or 0)), "side": "above" if higher else "below",
                "direction": "higher" if higher else "lower",
                "category": re.sub(r"^share (of )?", "", label, flags=re.IGNORECASE)}

    def trait_values(self, trait: dict, *, size: str) -> dict:
        """A trait's placeholders with the segment's size."""
        return {**self.values(trait["feature"]), "size": size}

    def by_meaning(self, *, typical_gap: float | None) -> dict:
        """{meaning}_{field} placeholders for each confidently read column (traits first)."""
        order = [t["feature"] for t in self.profile.get("distinctive") or []]
        order += [f for f in [*self.numeric, *self.levels] if f not in order]
        out: dict = {}
        for feature in order:
            meaning = self.meanings.get(feature)
            if meaning is None or f"{meaning}_feature" in out:
                continue
            out.update({f"{meaning}_{key}": value for key, value in self.values(feature).items()})
            if meaning == "recency":
                out.update(_gap_values(typical_gap, self.numeric.get(feature, {}), out["recency_unit"]))
        return out


def _gap_values(typical_gap: float | None, entry: dict, unit: str) -> dict:
    """The gap a lapsed segment is measured against, in words: between orders, or else since the
    base's median last purchase."""
    if typical_gap:
        gap = human_number(typical_gap)
        return {"recency_gap": gap, "recency_gap_text": f"the usual gap between orders ({gap} {unit})"}
    median = entry.get("base_median")
    if not median:
        return {"recency_gap": None, "recency_gap_text": None}
    gap = human_number(median)
    return {"recency_gap": gap,
            "recency_gap_text": f"the base's median time since the last purchase ({gap} {unit})"}


def _basis(trait: dict, values: dict) -> str:
    """Which criterion makes the difference large, in words."""
    if trait["basis"] == "ratio":
        return f"{values['ratio']} the base {'share' if trait['direction'] == 'level' else 'average'}"
    if trait["direction"] == "level":
        return f"{human_number(trait['smd'])} standard deviations above it"
    return f"{values['smd']} standard deviations {values['side']} it"


def trait_fact(trait: dict, *, numbers: Numbers) -> str:
    """One verb phrase with the trait's numbers and the basis it is cited on."""
    generic = numbers.playbook["generic"]
    values = numbers.values(trait["feature"])
    spec = numbers.spec(trait["feature"])
    fits = not spec.get("fact_when") or re.search(spec["fact_when"], values["feature"], flags=re.IGNORECASE)
    spec_fact = _fill(spec.get("fact"), values) if fits else None
    if trait["direction"] == "level":
        truth = level_truth(trait["level"])
        key = {True: "fact_flag_yes", False: "fact_flag_no"}.get(truth, "fact_level")
        core = spec_fact if spec_fact and truth else _fill(generic[key], values)
    else:
        known = trait["feature"] in numbers.meanings
        core = spec_fact or _fill(generic["fact_known" if known else "fact_plain"], values)
    return f"{core} ({_basis(trait, values)})"


def trait_action(trait: dict, *, numbers: Numbers, size: str) -> str | None:
    """An action on one trait's own numbers: the meaning's play where it is known, else neutral."""
    generic = numbers.playbook["generic"]
    values = {**numbers.values(trait["feature"]), "size": size}
    actions = numbers.spec(trait["feature"]).get("actions", {})
    if trait["direction"] == "level":
        truth = level_truth(trait["level"])
        key = {True: "high", False: "low"}.get(truth)
        fallback = {True: "action_flag_yes", False: "action_flag_no"}.get(truth, "action_level")
        return _fill(actions.get(key), values) or _fill(generic[fallback], values)
    return _fill(actions.get(trait["direction"]), values) or _fill(
        generic[f"action_{trait['direction']}"], values)
