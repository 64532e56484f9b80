"""Rules as data: conditions on original columns, joined into conjunctions, one or more per segment.

The structured form is canonical. The text a user reads, the SQL and the pandas masks that every
figure is measured with are all rendered from it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .format import humanize_name

OPS = ("<=", ">", "==", "!=", "in", "not in")


@dataclass(frozen=True)
class Condition:
    """`feature op value` in the column's own units; value is a list for `in` / `not in`."""

    feature: str
    op: str
    value: object

    def to_dict(self) -> dict:
        value = list(self.value) if isinstance(self.value, (list, tuple)) else self.value
        return {"feature": self.feature, "op": self.op, "value": value}

    @classmethod
    def from_dict(cls, data: dict) -> "Condition":
        value = data["value"]
        return cls(data["feature"], data["op"], tuple(value) if isinstance(value, list) else value)

    @classmethod
    def of(cls, condition) -> "Condition":
        """The same condition from any object with feature, op and value (a Result's)."""
        return cls.from_dict({"feature": condition.feature, "op": condition.op,
                              "value": condition.value})


def _merge_numeric(conds: list[Condition]) -> list[Condition]:
    """Keep the tightest lower and upper bound."""
    lows = [c.value for c in conds if c.op == ">"]
    highs = [c.value for c in conds if c.op == "<="]
    out = []
    if lows:
        out.append(Condition(conds[0].feature, ">", max(lows)))
    if highs:
        out.append(Condition(conds[0].feature, "<=", min(highs)))
    return out


def _merge_levels(conds: list[Condition]) -> list[Condition] | None:
    """Intersect level conditions into one `==`, `!=`, `in` or `not in`; None if unsatisfiable."""
    allowed, excluded = None, set()
    for c in conds:
        values = set(c.value) if c.op in ("in", "not in") else {c.value}
        if c.op in ("==", "in"):
            allowed = values if allowed is None else allowed & values
        else:
            excluded |= values
    name = conds[0].feature
    if allowed is not None:
        allowed -= excluded
        if not allowed:
            return None
        ordered = tuple(sorted(allowed, key=str))
        return [Condition(name, "==", ordered[0]) if len(ordered) == 1 else Condition(name, "in", ordered)]
    ordered = tuple(sorted(excluded, key=str))
    return [Condition(name, "!=", ordered[0]) if len(ordered) == 1 else Condition(name, "not in", ordered)]


def simplify(conjunction: list[Condition]) -> list[Condition] | None:
    """Merge repeated conditions per feature (first-seen feature order); None if it selects nothing."""
    by_feature: dict[str, list[Condition]] = {}
    for cond in conjunction:
        by_feature.setdefault(cond.feature, []).append(cond)
    out = []
    for conds in by_feature.values():
        merged = (_merge_numeric(conds) if conds[0].op in ("<=", ">") else _merge_levels(conds))
        if merged is None:
            return None
        out.extend(merged)
    return out


def condition_mask(cond: Condition, column: pd.Series) -> np.ndarray:
    """Rows of a filled, tidy column that satisfy the condition."""
    if cond.op == "<=":
        return (column <= cond.value).to_numpy()
    if cond.op == ">":
        return (column > cond.value).to_numpy()
    if cond.op == "==":
        return (column == cond.value).to_numpy()
    if cond.op == "!=":
        return (column != cond.value).to_numpy()
    inside = column.isin(list(cond.value)).to_numpy()
    return inside if cond.op == "in" else ~inside


def clauses_mask(clauses: list[list[Condition]], filled: pd.DataFrame) -> np.ndarray:
    """Rows selected by a disjunction of conjunctions."""
    selected = np.zeros(len(filled), dtype=bool)
    for conjunction in clauses:
        rows = np.ones(len(filled), dtype=bool)
        for cond in conjunction:
            rows &= condition_mask(cond, filled[cond.feature])
        selected |= rows
    return selected


def number_text(value: float) -> str:
    """A threshold as written: 70000 -> '70k', 1500000 -> '1.5M', 34.5 -> '34.5' (never rounded)."""
    v = float(value)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale and (v / scale) == float(f"{v / scale:.3g}"):
            return f"{v / scale:.3g}{suffix}"
    return f"{int(v)}" if v.is_integer() else repr(v)


def _value_text(value) -> str:
    return number_text(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def condition_text(cond: Condition) -> str:
    """'annual income > 70k', 'gender is Female', 'plan in {basic, plus}'."""
    name = humanize_name(cond.feature)
    if cond.op in ("<=", ">"):
        return f"{name} {cond.op} {_value_text(cond.value)}"
    if cond.op in ("==", "!="):
        verb = "is" if cond.op == "==" else "is not"
        return f"{name} {verb} {_value_text(cond.value)}"
    levels = ", ".join(_value_text(v) for v in cond.value)
    return f"{name} {cond.op} {{{levels}}}"


def clauses_text(clauses: list[list[Condition]]) -> str:
    """The whole rule of a segment in words."""
    if not clauses:
        return "no rule selects this segment"
    parts = [" and ".join(condition_text(c) for c in conj) or "every customer" for conj in clauses]
    if len(parts) == 1:
        return parts[0]
    return " or ".join(f"({p})" for p in parts)
