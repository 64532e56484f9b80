"""What the repositories return: frozen records whose fields are the tables' column names."""
from __future__ import annotations

import json
from dataclasses import dataclass, fields


DAMAGED_PREVIEW = "the stored preview of this upload is damaged: upload the file again"


def stored_object(text) -> dict | None:
    """A JSON-object column's value; None when it is empty or damaged, so that one corrupt row
    answers with a message, never an error page."""
    try:
        value = json.loads(text) if text else None
    except (ValueError, TypeError):
        return None
    return value if isinstance(value, dict) else None


class Record:
    """The base of the records: built from a result row; fields are read as attributes."""

    @classmethod
    def from_row(cls, row) -> "Record":
        """A record from a result row (mapping) holding at least this record's columns."""
        return cls(**{f.name: row[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class UploadRecord(Record):
    """An uploaded file: where it lies, its size and its preview (or why it cannot be used).

    `preview_state` is pending or reading until a runner has read the file, then done (with a
    preview or an error)."""

    id: str
    owner: str
    filename: str
    path: str
    size_bytes: int
    created_at: str
    preview: dict | None
    error: str | None
    preview_state: str = "done"
    preview_runner: str | None = None

    @property
    def being_read(self) -> bool:
        """True until the runner has read the file (no preview and no error yet)."""
        return self.preview_state != "done"

    @classmethod
    def from_row(cls, row) -> "UploadRecord":
        """The record of an `uploads` row (its preview JSON parsed)."""
        data = dict(row)
        data["preview"] = stored_object(data.get("preview"))
        if data["preview"] is None and row["preview"] and not data.get("error"):
            data["error"] = DAMAGED_PREVIEW
        return cls(**{f.name: data[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class RunRecord(Record):
    """A run (a job) without its result: options, state, progress, who runs it."""

    id: str
    owner: str
    upload_id: str | None
    title: str
    visibility: str
    options: dict
    status: str
    stage: str
    progress: float
    message: str
    cancel_requested: bool
    runner: str | None
    attempts: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    heartbeat_at: float | None

    @classmethod
    def from_row(cls, row) -> "RunRecord":
        """The record of a `runs` row without its result (options JSON parsed)."""
        data = dict(row)
        data["options"] = stored_object(data.get("options")) or {}   # damaged: claim fails it
        data["cancel_requested"] = bool(data["cancel_requested"])
        return cls(**{f.name: data[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class ShareRecord(Record):
    """A share link as its owner sees it (the token itself is never stored)."""

    id: str
    run_id: str
    created_at: str
    expires_at: float | None
    revoked_at: str | None
