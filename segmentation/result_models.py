"""The typed run-wide parts of a Result: dataset, k selection, clustering, explanation, params.

Segments live in segment_models, chart data in plot_models; all build on `Part`.

Every part keeps the keys it was given, in their order, and accepts keys it does not declare (an
older or newer run's extras survive a load and a save). Numbers stay the JSON type they came as.
"""
from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import (BaseModel, ConfigDict, Field, PrivateAttr, StrictBool, StrictInt,
                      model_serializer, model_validator)

Number = Union[StrictInt, float]          # an int stays an int, a float a float
Figure = Union[StrictInt, float, None]    # None where a figure could not be measured (or NaN)
Share = Union[Annotated[StrictInt, Field(ge=0, le=1)], Annotated[float, Field(ge=0, le=1)]]  # 0..1


def jsonable(value):
    """Plain JSON types all the way down: numpy scalars unwrapped, NaN and inf as None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Part(BaseModel):
    """A part of a Result: extra keys kept, the input's key order kept on output."""

    model_config = ConfigDict(extra="allow")
    _keys: list = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, data, handler):
        part = handler(data)
        if isinstance(data, dict):
            part._keys = list(data)
        return part

    @model_serializer(mode="wrap")
    def _in_order(self, handler):
        out = handler(self)
        order = [k for k in self._keys if k in out]
        return {**{k: out[k] for k in order}, **{k: v for k, v in out.items() if k not in order}}

    def to_dict(self) -> dict:
        """The part as plain JSON types: only the keys it was built with (or set since)."""
        return jsonable(self.model_dump(exclude_unset=True))

    def merge(self, values: dict) -> None:
        """Set these keys, each read as the model reads it (a verdict added, a k restated)."""
        read = type(self).model_validate(jsonable(values))
        for key in values:
            setattr(self, key, getattr(read, key))


# --- dataset ------------------------------------------------------------------------------------

class Column(Part):
    """One column of the upload and the role it was given."""

    name: Any
    role: str
    missing: int | None = None
    unique: int | None = None
    reason: str | None = None


class Feature(Part):
    """One feature as prepared: kind, transform, how its gaps were filled."""

    name: Any
    kind: Literal["numeric", "categorical", "binary"]
    transform: str | None = None
    missing: int | None = None
    fill: Union[StrictBool, StrictInt, float, str, None] = None
    fill_method: str | None = None
    text: bool | None = None
    levels: list[Any] = Field(default_factory=list)
    other_levels: list[Any] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class Dropped(Part):
    """Rows or a column left out, and why."""

    what: str
    reason: str
    name: Any = None
    count: int | None = None


class Dataset(Part):
    """What was read and used: rows, id column, columns, features, what was left out."""

    rows_read: int | None = None
    rows_used: int | None = None
    id_column: Any = None
    columns: list[Column] = Field(default_factory=list)
    features: list[Feature] = Field(default_factory=list)
    dropped: list[Dropped] = Field(default_factory=list)
    suggestions: list[Any] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


# --- k selection and clustering -----------------------------------------------------------------

class KCandidate(Part):
    """One candidate k: cluster and rule-segment figures."""

    k: int
    inertia: Figure = None
    silhouette: Figure = None
    calinski_harabasz: Figure = None
    davies_bouldin: Figure = None
    stability: Figure = None
    rule_silhouette: Figure = None
    rule_calinski_harabasz: Figure = None
    rule_davies_bouldin: Figure = None
    rule_inertia: Figure = None
    cost_ratio: Figure = None
    gap: Figure = None


class FinerK(Part):
    """Where the best k is 2: the best k from 3 to 8, and why."""

    k: int
    reason: str


class StructureFigures(Part):
    """The figures the structure verdict rests on."""

    gap: Figure = None
    rule_silhouette: Figure = None
    stability: Figure = None


class OptionSegment(Part):
    """One segment of a candidate k, as the k switcher shows it."""

    id: int
    name: str
    size: int | None = None
    share: Figure = None
    rule: str = ""


class KOption(Part):
    """One candidate k's segments, for a one-click switch."""

    k: int
    cost_ratio: Figure = None
    silhouette: Figure = None
    segments: list[OptionSegment] = Field(default_factory=list)


class KSelection(Part):
    """How k was chosen, and how much structure there is."""

    candidates: list[KCandidate] = Field(default_factory=list)
    chosen_k: int | None = None
    reason: str | None = None
    best_k_3_8: FinerK | None = None
    stability: Figure = None
    silhouette_sample: int | None = None
    summary_points: int | None = None
    structure: Literal["strong", "moderate", "weak"] | None = None
    structure_reason: str | None = None
    advice: str | None = None
    structure_figures: StructureFigures | None = None
    options: list[KOption] = Field(default_factory=list)


class Quality(Part):
    """Quality metrics of the final cluster labels (empty with fewer than two clusters)."""

    silhouette: Figure = None
    silhouette_sample: int | None = None
    calinski_harabasz: Figure = None
    davies_bouldin: Figure = None


class Clustering(Part):
    """The method, k, unusual rows (as the rules assign them) and quality of the clusters."""

    method: str | None = None
    k: int | None = None
    unusual: int | None = None
    quality: Quality = Field(default_factory=Quality)


class Explanation(Part):
    """The rule tree that won: method, depth, leaves, cost ratios, fidelity."""

    method: str | None = None
    max_depth: int | None = None
    depth: int | None = None
    leaves: int | None = None
    cost_ratio: Figure = None
    candidates: dict[str, Figure] = Field(default_factory=dict)
    depth_costs: dict[str, Figure] = Field(default_factory=dict)
    fidelity: Share | None = None
    fidelity_meaning: str | None = None
    cluster_cost_ratio: Figure = None
    rounding_tolerance: Figure = None
    notes: list[str] = Field(default_factory=list)


class Params(Part):
    """The run's options as the user gave them (k is "auto" when it was chosen)."""

    method: str | None = None
    k: Union[StrictInt, Literal["auto"], None] = None
    features: list[Any] = Field(default_factory=list)
    id_column: Any = None
    max_depth: int | None = None
    seed: int | None = None
    source: str | None = None
