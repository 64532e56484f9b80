"""The typed segment of a Result: its rule, figures, profile and strategy card."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .result_models import Figure, Part, Share

class Condition(Part):
    """One condition of a rule, in the original column's units and names."""

    feature: Any
    op: Literal["<=", ">", "==", "!=", "in", "not in"]
    value: Any


class Rule(Part):
    """A segment's rule: its text, its SQL and its conditions (one conjunction per segment;
    version 1 results could hold an OR-chain of several)."""

    text: str
    sql: str = ""
    clauses: list[list[Condition]] = Field(default_factory=list)


class NumericEntry(Part):
    """A numeric feature in a segment against the whole base."""

    feature: Any
    mean: Figure = None
    median: Figure = None
    base_mean: Figure = None
    base_median: Figure = None
    base_std: Figure = None
    base_min: Figure = None
    z: Figure = None
    ratio: Figure = None


class LevelShare(Part):
    """One level's share in the segment and in the base."""

    level: Any
    base_share: Figure = None
    share: Figure = None


class LevelEntry(Part):
    """A categorical or binary feature in a segment: its most over-represented level."""

    feature: Any
    level: Any = None
    share: Figure = None
    base_share: Figure = None
    lift: Figure = None
    score: Figure = None
    levels: list[LevelShare] = Field(default_factory=list)


class Distinctive(Part):
    """One of the traits that set a segment apart."""

    feature: Any
    direction: str | None = None
    score: Figure = None


class Profile(Part):
    """A segment's profile: numeric means and level shares against the base, and its traits."""

    size: int | None = None
    share: Share | None = None
    numeric: list[NumericEntry] = Field(default_factory=list)
    categorical: list[LevelEntry] = Field(default_factory=list)
    distinctive: list[Distinctive] = Field(default_factory=list)


class Strategy(Part):
    """A segment's strategy card."""

    headline: str = ""
    actions: list[str] = Field(default_factory=list)
    pattern: str | None = None
    kpi: str | None = None
    rationale: str | None = None


class Segment(Part):
    """One segment: one leaf of the rule tree, with its figures, profile, name and card."""

    id: int
    name: str
    size: int | None = Field(default=None, ge=0)
    share: Share | None = None
    cluster_size: int | None = Field(default=None, ge=0)
    precision: Share | None = None
    coverage: Share | None = None
    rule: Rule
    profile: Profile = Field(default_factory=Profile)
    strategy: Strategy | None = None

