"""The result of a run: one JSON-ready, versioned object that every page and export reads."""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)     # version 1: rules could be OR-chains; no verdict, no cost search


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


@dataclass
class Result:
    """Everything a run found; see README "result.json" for the fields."""

    dataset: dict
    k_selection: dict
    clustering: dict
    explanation: dict
    segments: list[dict]
    params: dict = field(default_factory=dict)
    plots: dict = field(default_factory=dict)
    created_at: str = ""
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict:
        return jsonable(asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> "Result":
        version = data.get("schema_version")
        if version not in READABLE_VERSIONS:
            raise ValueError(f"result schema version {version} is not supported "
                             f"(this version reads {', '.join(map(str, READABLE_VERSIONS))})")
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**fields)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=False, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> "Result":
        return cls.from_dict(json.loads(text))

    def segment(self, segment_id: int) -> dict | None:
        return next((s for s in self.segments if s["id"] == segment_id), None)
