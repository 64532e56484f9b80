"""The result of a run: one JSON-ready, versioned object that every page and export reads.

`RunResult` is the typed Result; its parts live in result_models, segment_models and plot_models.
"""
from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .plot_models import Plots
from .result_models import Clustering, Dataset, Explanation, KSelection, Params, jsonable
from .segment_models import Segment

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)     # version 1: rules could be OR-chains; no verdict, no cost search


def check_version(data) -> None:
    """Refuse anything but a result of a version this code reads, saying which it reads."""
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version not in READABLE_VERSIONS:
        raise ValueError(f"result schema version {version} is not supported "
                         f"(this version reads {', '.join(map(str, READABLE_VERSIONS))})")


class RunResult(BaseModel):
    """Everything a run found, typed; see README "result.json" and docs/result.schema.json."""

    model_config = ConfigDict(extra="allow", title="Clearseg result")

    dataset: Dataset
    k_selection: KSelection
    clustering: Clustering
    explanation: Explanation
    segments: list[Segment]
    params: Params = Field(default_factory=Params)
    plots: Plots = Field(default_factory=Plots)
    created_at: str = ""
    schema_version: Literal[1, 2] = SCHEMA_VERSION

    @model_validator(mode="after")
    def _every_field_written(self):
        """The top-level keys are always written, as result.json has always had them."""
        self.__pydantic_fields_set__.update(type(self).model_fields)
        return self

    def to_dict(self) -> dict:
        return jsonable(self.model_dump(exclude_unset=True))

    @classmethod
    def from_dict(cls, data: dict) -> "RunResult":
        check_version(data)
        return cls.model_validate(jsonable(data))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=False, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> "RunResult":
        return cls.from_dict(json.loads(text))

    def segment(self, segment_id: int) -> Segment | None:
        return next((s for s in self.segments if s.id == segment_id), None)
