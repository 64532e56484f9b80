"""The typed chart data of a Result: small stored summaries every figure is drawn from."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .result_models import Figure, Number, Part


class Points(Part):
    """A sample of rows per segment, in original units (gaps as None), for the pair plot."""

    columns: list[Any] = Field(default_factory=list)
    values: dict[str, list[Any]] = Field(default_factory=dict)
    segment: list[int] = Field(default_factory=list)
    rows_total: int | None = None


class Distribution(Part):
    """One feature's histogram (numeric: bin edges) or level counts, per segment id."""

    kind: Literal["numeric", "categorical", "binary"]
    edges: list[Number] | None = None
    levels: list[Any] | None = None
    counts: dict[str, list[Number]] = Field(default_factory=dict)
    scale: str | None = None


class Correlation(Part):
    """Pearson correlation of the numeric features."""

    features: list[Any] = Field(default_factory=list)
    matrix: list[list[Figure]] = Field(default_factory=list)


class Dendrogram(Part):
    """The top of the Ward tree: merges, leaf sizes and each leaf's main segment."""

    linkage: list[list[Figure]] = Field(default_factory=list)
    leaf_sizes: list[int] = Field(default_factory=list)
    leaf_segments: list[int] = Field(default_factory=list)


class Plots(Part):
    """Everything the charts need, small whatever the data size."""

    telling_features: list[Any] = Field(default_factory=list)
    points: Points = Field(default_factory=Points)
    distributions: dict[str, Distribution] = Field(default_factory=dict)
    correlation: Correlation = Field(default_factory=Correlation)
    dendrogram: Dendrogram = Field(default_factory=Dendrogram)
