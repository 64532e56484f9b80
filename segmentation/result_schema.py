"""The published JSON Schema of result.json (docs/result.schema.json), made from the typed Result.

Regenerate it after changing a model: `python -m segmentation.result_schema` (add `--check` to only
say whether the published file is current).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .result import READABLE_VERSIONS, SCHEMA_VERSION, RunResult

PUBLISHED = Path(__file__).resolve().parent.parent / "docs" / "result.schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _tidy(node):
    """The same schema, shorter and quicker to check: a choice of plain types as one `type` list,
    no empty `items`."""
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _tidy(value) for key, value in node.items() if not (key == "items" and value == {})}
    members = node.get("anyOf") or []
    if members and all(isinstance(m, dict) and list(m) == ["type"] and isinstance(m["type"], str)
                       for m in members):
        node = {"type": [m["type"] for m in members],
                **{key: value for key, value in node.items() if key != "anyOf"}}
    return node


def result_schema() -> dict:
    """The JSON Schema every result.json this version writes (or reads) satisfies."""
    schema = _tidy(RunResult.model_json_schema(mode="validation"))
    versions = ", ".join(map(str, READABLE_VERSIONS))
    return {"$schema": DIALECT, **schema,
            "description": (f"result.json of a Clearseg run: schema_version {SCHEMA_VERSION} is "
                            f"written; versions {versions} are read. Keys not listed here are "
                            "allowed and kept.")}


def schema_text() -> str:
    return json.dumps(result_schema(), indent=1, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the published schema, or with --check say whether it is current (exit 1 if not)."""
    args = sys.argv[1:] if argv is None else argv
    current = PUBLISHED.exists() and PUBLISHED.read_text(encoding="utf-8") == schema_text()
    if "--check" in args:
        print(f"{PUBLISHED} is {'current' if current else 'out of date: regenerate it'}")
        return 0 if current else 1
    PUBLISHED.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {PUBLISHED}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
